//! One call of a plugin: a fresh store and instance, its limits, and what
//! came of it.

use crate::bindings::host_api::{self, CaseRef, LogLevel};
use crate::bindings::types::RuleError;
use crate::engine::{EPOCH_TICK, Host};
use crate::limits::Limits;
use serde::Serialize;
use std::sync::Arc;
use std::time::{Duration, Instant};
use wasmtime::component::ResourceTable;
use wasmtime::{ResourceLimiter, Store, Trap};
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{
    HostMonotonicClock, HostWallClock, WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView,
};

/// Read-only lookups a host grants a rule, scoped to one city by whoever
/// implements them. Called synchronously from the guest: keep them quick
/// (epochs and fuel do not stop a host call).
pub trait Lookups: Send + Sync {
    fn find_recent_cases(&self, text: &str, within_hours: u32, limit: u32) -> Vec<CaseRef>;
    fn find_same_title(&self, title: &str, within_hours: u32, limit: u32) -> Vec<CaseRef>;
}

/// Lookups that find nothing (local runs without a database).
pub struct NoLookups;

impl Lookups for NoLookups {
    fn find_recent_cases(&self, _: &str, _: u32, _: u32) -> Vec<CaseRef> {
        Vec::new()
    }

    fn find_same_title(&self, _: &str, _: u32, _: u32) -> Vec<CaseRef> {
        Vec::new()
    }
}

/// One line a rule logged.
#[derive(Clone, Debug, Serialize)]
pub struct LogLine {
    pub level: &'static str,
    pub message: String,
}

/// What a call cost, whatever its result.
#[derive(Clone, Debug, Default, Serialize)]
pub struct CallReport {
    pub fuel_used: u64,
    /// The largest linear memory the guest asked for, in bytes.
    pub peak_memory: usize,
    #[serde(serialize_with = "micros")]
    pub duration: Duration,
    pub logs: Vec<LogLine>,
    /// Log bytes past the cap, dropped.
    pub logs_dropped: usize,
    /// What the guest wrote to stdout and stderr (a panic message lands here).
    pub output: String,
}

fn micros<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u128(d.as_micros())
}

/// Why a call gave no usable decision.
#[derive(Clone, Debug, PartialEq, Serialize, thiserror::Error)]
#[serde(tag = "kind", content = "detail", rename_all = "snake_case")]
pub enum Failure {
    #[error("ran out of fuel: the instruction budget of {0} was used up")]
    OutOfFuel(u64),
    #[error("timed out: still running after {0} ms")]
    Timeout(u64),
    #[error("memory limit: asked for {wanted} bytes of memory, the limit is {limit}")]
    Memory { wanted: usize, limit: usize },
    #[error("stack overflow (recursion too deep)")]
    StackOverflow,
    #[error("the rule panicked: {0}")]
    Panic(String),
    #[error("trap: {0}")]
    Trap(String),
    #[error("the rule returned an error: {0}")]
    RuleError(String),
    #[error("output too large: {size} bytes, the limit is {limit}")]
    OutputTooLarge { size: usize, limit: usize },
    #[error("invalid decision: {0}")]
    Invalid(String),
    #[error("could not start the rule: {0}")]
    Instantiate(String),
}

impl Failure {
    /// A short stable name for metrics and the timeline.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::OutOfFuel(_) => "fuel",
            Self::Timeout(_) => "timeout",
            Self::Memory { .. } => "memory",
            Self::StackOverflow => "stack",
            Self::Panic(_) => "panic",
            Self::Trap(_) => "trap",
            Self::RuleError(_) => "rule_error",
            Self::OutputTooLarge { .. } => "output",
            Self::Invalid(_) => "invalid",
            Self::Instantiate(_) => "instantiate",
        }
    }
}

impl From<RuleError> for Failure {
    fn from(e: RuleError) -> Self {
        Self::RuleError(match e {
            RuleError::BadConfig(m) => format!("bad configuration: {m}"),
            RuleError::BadInput(m) => format!("bad input: {m}"),
            RuleError::Internal(m) => m,
        })
    }
}

/// A decision or why there is none, and the cost either way.
#[derive(Debug)]
pub struct Outcome<T> {
    pub result: Result<T, Failure>,
    pub report: CallReport,
}

/// Everything one call's store holds.
pub struct CallState {
    wasi: WasiCtx,
    table: ResourceTable,
    memory: MemoryLimiter,
    log: LogBuffer,
    lookups: Arc<dyn Lookups>,
}

impl WasiView for CallState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl host_api::Host for CallState {
    fn log(&mut self, level: LogLevel, message: String) {
        self.log.push(level, message);
    }

    fn find_recent_cases(&mut self, text: String, within_hours: u32, limit: u32) -> Vec<CaseRef> {
        if text.trim().is_empty() {
            return Vec::new();
        }
        let text: String = text.chars().take(100).collect();
        self.lookups
            .find_recent_cases(&text, within_hours.min(24 * 90), limit.min(20))
    }
    fn find_same_title(&mut self, title: String, within_hours: u32, limit: u32) -> Vec<CaseRef> {
        if title.trim().is_empty() || title.len() > 400 {
            return Vec::new();
        }
        self.lookups
            .find_same_title(&title, within_hours.min(24 * 90), limit.min(20))
    }
}

struct LogBuffer {
    lines: Vec<LogLine>,
    bytes: usize,
    cap: usize,
    dropped: usize,
}

impl LogBuffer {
    fn push(&mut self, level: LogLevel, message: String) {
        let room = self.cap.saturating_sub(self.bytes);
        if room == 0 {
            self.dropped += message.len();
            return;
        }
        let mut keep = message.len().min(room);
        while !message.is_char_boundary(keep) {
            keep -= 1;
        }
        self.dropped += message.len() - keep;
        self.bytes += keep;
        let level = match level {
            LogLevel::Debug => "debug",
            LogLevel::Info => "info",
            LogLevel::Warn => "warn",
            LogLevel::Error => "error",
        };
        let mut message = message;
        message.truncate(keep);
        self.lines.push(LogLine { level, message });
    }
}

/// Enforces the memory limit and remembers the peak.
struct MemoryLimiter {
    limit: usize,
    peak: usize,
    refused: Option<usize>,
}

impl ResourceLimiter for MemoryLimiter {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.limit {
            self.refused = Some(desired);
            return Err(wasmtime::format_err!(
                "memory limit: asked for {desired} bytes, the limit is {}",
                self.limit
            ));
        }
        self.peak = self.peak.max(desired);
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= 100_000)
    }

    fn instances(&self) -> usize {
        32
    }

    fn tables(&self) -> usize {
        32
    }

    fn memories(&self) -> usize {
        4
    }
}

/// The clock a guest sees: fixed at 2000-01-01. Rules get the real time
/// as input, so their decisions can be replayed.
struct FixedClock;

impl HostWallClock for FixedClock {
    fn resolution(&self) -> Duration {
        Duration::from_secs(1)
    }
    fn now(&self) -> Duration {
        Duration::from_secs(946_684_800)
    }
}

impl HostMonotonicClock for FixedClock {
    fn resolution(&self) -> u64 {
        1
    }
    fn now(&self) -> u64 {
        0
    }
}

/// Make a store for one call under `limits`.
/// `limits` are already capped by the host's maxima.
pub(crate) fn store(
    host: &Host,
    limits: &Limits,
    lookups: Arc<dyn Lookups>,
) -> (Store<CallState>, MemoryOutputPipe) {
    // What a guest prints past this traps the call: generous, since a
    // panic message and its location land here.
    let output = MemoryOutputPipe::new(limits.log_bytes.max(64 << 10));
    let wasi = WasiCtxBuilder::new()
        .stdout(output.clone())
        .stderr(output.clone())
        .wall_clock(FixedClock)
        .monotonic_clock(FixedClock)
        .secure_random(wasmtime_wasi::Deterministic::new(vec![42; 16]))
        .insecure_random(wasmtime_wasi::Deterministic::new(vec![7; 16]))
        .insecure_random_seed(0)
        .allow_tcp(false)
        .allow_udp(false)
        .allow_ip_name_lookup(false)
        .build();
    let state = CallState {
        wasi,
        table: ResourceTable::new(),
        memory: MemoryLimiter {
            limit: limits.memory_bytes,
            peak: 0,
            refused: None,
        },
        log: LogBuffer {
            lines: Vec::new(),
            bytes: 0,
            cap: limits.log_bytes,
            dropped: 0,
        },
        lookups,
    };
    let mut store = Store::new(&host.engine, state);
    store.limiter(|s| &mut s.memory);
    // Fuel is always on in this engine; setting it cannot fail.
    store.set_fuel(limits.fuel).ok();
    let ticks = limits
        .timeout()
        .as_millis()
        .div_ceil(EPOCH_TICK.as_millis())
        + 1;
    store.set_epoch_deadline(u64::try_from(ticks).unwrap_or(u64::MAX));
    store.epoch_deadline_trap();
    (store, output)
}

/// Turn what happened into an outcome: classify traps, check the output's
/// size, and collect the report.
pub(crate) fn finish<T: Serialize>(
    mut store: Store<CallState>,
    output: MemoryOutputPipe,
    limits: &Limits,
    started: Instant,
    result: wasmtime::Result<Result<T, Failure>>,
) -> Outcome<T> {
    let remaining = store.get_fuel().unwrap_or(0);
    let state = store.data_mut();
    let printed = String::from_utf8_lossy(&output.contents()).into_owned();
    let result = match result {
        Ok(Ok(value)) => {
            let size = serde_json::to_vec(&value)
                .map(|v| v.len())
                .unwrap_or(usize::MAX);
            if size > limits.output_bytes {
                Err(Failure::OutputTooLarge {
                    size,
                    limit: limits.output_bytes,
                })
            } else {
                Ok(value)
            }
        }
        Ok(Err(failure)) => Err(failure),
        Err(error) => Err(classify(&error, state, limits, &printed)),
    };
    let report = CallReport {
        fuel_used: limits.fuel.saturating_sub(remaining),
        peak_memory: state.memory.peak,
        duration: started.elapsed(),
        logs: std::mem::take(&mut state.log.lines),
        logs_dropped: state.log.dropped,
        output: printed,
    };
    Outcome { result, report }
}

/// Why an instance could not be made: the rule's own memory limit (its
/// initial memory is too large), or the server's trouble (a full instance
/// pool, say), which is not the rule's fault.
pub(crate) fn not_started(store: &Store<CallState>, error: &wasmtime::Error) -> Failure {
    let memory = &store.data().memory;
    match memory.refused {
        Some(wanted) => Failure::Memory {
            wanted,
            limit: memory.limit,
        },
        None => Failure::Instantiate(format!("{error:#}")),
    }
}

fn classify(error: &wasmtime::Error, state: &CallState, limits: &Limits, printed: &str) -> Failure {
    if let Some(wanted) = state.memory.refused {
        return Failure::Memory {
            wanted,
            limit: state.memory.limit,
        };
    }
    match error.downcast_ref::<Trap>() {
        Some(Trap::OutOfFuel) => Failure::OutOfFuel(limits.fuel),
        Some(Trap::Interrupt) => Failure::Timeout(limits.timeout_ms),
        Some(Trap::StackOverflow) => Failure::StackOverflow,
        // Rust keeps its stack in linear memory, growing down from 1 MiB;
        // past the bottom the pointer wraps to the top of the 4 GiB space.
        Some(Trap::MemoryOutOfBounds) if wrapped_stack(&format!("{error:#}")) => {
            Failure::StackOverflow
        }
        Some(Trap::UnreachableCodeReached) if printed.contains("panicked") => {
            Failure::Panic(panic_message(printed))
        }
        Some(trap) => Failure::Trap(trap.to_string()),
        None => Failure::Trap(format!("{error:#}")),
    }
}

/// Whether a memory fault is at an address a stack pointer that went
/// below zero reaches: near or past the top of the 4 GiB space.
fn wrapped_stack(message: &str) -> bool {
    message
        .split("wasm address 0x")
        .nth(1)
        .and_then(|rest| {
            let hex: String = rest.chars().take_while(char::is_ascii_hexdigit).collect();
            u64::from_str_radix(&hex, 16).ok()
        })
        .is_some_and(|address| address >= 0xffff_0000)
}

/// The panic line Rust's standard library prints, without the backtrace hint.
fn panic_message(printed: &str) -> String {
    let text: String = printed
        .lines()
        .skip_while(|l| !l.contains("panicked"))
        .take_while(|l| !l.starts_with("note: run with"))
        .collect::<Vec<_>>()
        .join(" ");
    text.chars().take(500).collect()
}
