//! What one call of a plugin holds, may use and comes to: the store's
//! state, the host functions a guest calls, and its outcome.

use crate::bindings::host_api::{self, CaseRef, LogLevel};
use crate::bindings::types::RuleError;
use crate::limits::Limits;
use serde::Serialize;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::OwnedSemaphorePermit;
use wasmtime::component::ResourceTable;
use wasmtime::{ResourceLimiter, Trap};
use wasmtime_wasi::{HostMonotonicClock, HostWallClock, WasiCtx, WasiCtxView, WasiView};

/// What a lookup finds, when it is done.
pub type Found<'a> = Pin<Box<dyn Future<Output = Vec<CaseRef>> + Send + 'a>>;

/// Read-only lookups a host grants a rule, scoped to one city by whoever
/// implements them. Awaited on the call's task while the guest waits:
/// epochs and fuel do not stop a host call, so each must end by the
/// call's own deadline.
pub trait Lookups: Send + Sync {
    fn find_recent_cases<'a>(&'a self, text: &'a str, within_hours: u32, limit: u32) -> Found<'a>;
    fn find_same_title<'a>(&'a self, title: &'a str, within_hours: u32, limit: u32) -> Found<'a>;
}

/// Lookups that find nothing (local runs without a database).
pub struct NoLookups;

impl Lookups for NoLookups {
    fn find_recent_cases<'a>(&'a self, _: &'a str, _: u32, _: u32) -> Found<'a> {
        Box::pin(std::future::ready(Vec::new()))
    }

    fn find_same_title<'a>(&'a self, _: &'a str, _: u32, _: u32) -> Found<'a> {
        Box::pin(std::future::ready(Vec::new()))
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
    pub(crate) wasi: WasiCtx,
    pub(crate) table: ResourceTable,
    pub(crate) memory: MemoryLimiter,
    pub(crate) log: LogBuffer,
    pub(crate) lookups: Arc<dyn Lookups>,
    /// When the rule being called must stop.
    pub(crate) deadline: Instant,
    /// The permit of a heavy call, once it has one (dropped at the next
    /// rule or with the store).
    pub(crate) heavy: Arc<Mutex<Option<OwnedSemaphorePermit>>>,
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
    async fn log(&mut self, level: LogLevel, message: String) {
        self.log.push(level, message);
    }

    async fn find_recent_cases(
        &mut self,
        text: String,
        within_hours: u32,
        limit: u32,
    ) -> Vec<CaseRef> {
        if text.trim().is_empty() {
            return Vec::new();
        }
        let text: String = text.chars().take(100).collect();
        self.lookups
            .find_recent_cases(&text, within_hours.min(24 * 90), limit.min(20))
            .await
    }

    async fn find_same_title(
        &mut self,
        title: String,
        within_hours: u32,
        limit: u32,
    ) -> Vec<CaseRef> {
        if title.trim().is_empty() || title.len() > 400 {
            return Vec::new();
        }
        self.lookups
            .find_same_title(&title, within_hours.min(24 * 90), limit.min(20))
            .await
    }
}

pub(crate) struct LogBuffer {
    pub(crate) lines: Vec<LogLine>,
    bytes: usize,
    cap: usize,
    pub(crate) dropped: usize,
}

impl LogBuffer {
    pub(crate) fn new(cap: usize) -> Self {
        Self {
            lines: Vec::new(),
            bytes: 0,
            cap,
            dropped: 0,
        }
    }

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
pub(crate) struct MemoryLimiter {
    pub(crate) limit: usize,
    pub(crate) peak: usize,
    pub(crate) refused: Option<usize>,
    /// Rules one store holds (each a fresh instance): what the store may
    /// hold is this many times what one rule may.
    pub(crate) rules: usize,
}

impl MemoryLimiter {
    pub(crate) fn new(limit: usize, rules: usize) -> Self {
        Self {
            limit,
            peak: 0,
            refused: None,
            rules: rules.max(1),
        }
    }
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
        32 * self.rules
    }

    fn tables(&self) -> usize {
        32 * self.rules
    }

    fn memories(&self) -> usize {
        4 * self.rules
    }
}

/// The clock a guest sees: fixed at 2000-01-01. Rules get the real time
/// as input, so their decisions can be replayed.
pub(crate) struct FixedClock;

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

/// Why an instance could not be made: the rule's own memory limit (its
/// initial memory is too large), or the server's trouble (a full instance
/// pool, say), which is not the rule's fault.
pub(crate) fn not_started(state: &CallState, error: &wasmtime::Error) -> Failure {
    let memory = &state.memory;
    match memory.refused {
        Some(wanted) => Failure::Memory {
            wanted,
            limit: memory.limit,
        },
        None => Failure::Instantiate(format!("{error:#}")),
    }
}

pub(crate) fn classify(
    error: &wasmtime::Error,
    state: &CallState,
    limits: &Limits,
    printed: &str,
) -> Failure {
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
