//! A store for the rules of one chain: each rule gets a fresh instance in
//! it, and its own fuel, deadline, memory limit, log and output, reset
//! before it starts. wasmtime 48 refuses every component call in a store
//! once anything in it trapped, so after a trap the next rule gets a new
//! store: a trap costs only its own rule.

use crate::engine::{Host, YIELD_FUEL};
use crate::limits::Limits;
use crate::run::{
    CallReport, CallState, Failure, FixedClock, LogBuffer, Lookups, MemoryLimiter, NoLookups,
    Outcome, classify,
};
use serde::Serialize;
use std::sync::Arc;
use std::time::Instant;
use wasmtime::component::ResourceTable;
use wasmtime::{Store, UpdateDeadline};
use wasmtime_wasi::WasiCtxBuilder;
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;

/// What a rule may print (a panic message and its location land here);
/// printing past what is left of its chain's room traps the call.
const PRINT_BYTES: usize = 64 << 10;

/// One store for up to `rules` calls, one after the other.
pub struct Session {
    host: Arc<Host>,
    rules: usize,
    pub(crate) store: Store<CallState>,
    output: MemoryOutputPipe,
    /// What the earlier calls printed, in bytes.
    printed: usize,
    /// A call trapped: the store is of no more use.
    trapped: bool,
}

impl Session {
    /// A store for a chain of `rules` rules of `host`.
    pub fn new(host: &Arc<Host>, rules: usize) -> Self {
        let rules = rules.max(1);
        let (store, output) = store(host, rules);
        Self {
            host: host.clone(),
            rules,
            store,
            output,
            printed: 0,
            trapped: false,
        }
    }
}

/// A store whose calls yield to the caller's executor, for `rules` rules.
fn store(host: &Host, rules: usize) -> (Store<CallState>, MemoryOutputPipe) {
    let output = MemoryOutputPipe::new(PRINT_BYTES.max(host.maxima.log_bytes) * rules);
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
        memory: MemoryLimiter::new(0, rules),
        log: LogBuffer::new(0),
        lookups: Arc::new(NoLookups),
        deadline: Instant::now(),
        heavy: Arc::default(),
    };
    let mut store = Store::new(&host.engine, state);
    store.limiter(|s| &mut s.memory);
    // Fuel is always on in this engine: this cannot fail.
    store.fuel_async_yield_interval(Some(YIELD_FUEL)).ok();
    let permits = host.heavy.clone();
    // At every epoch tick until the deadline, yield to the caller's
    // executor; a call still running at its first tick waits for one
    // of the host's heavy-call permits first. At the deadline,
    // interrupt.
    store.epoch_deadline_callback(move |mut store| {
        let state = store.data_mut();
        if Instant::now() >= state.deadline {
            return Ok(UpdateDeadline::Interrupt);
        }
        if state.heavy.lock().map(|h| h.is_some()).unwrap_or(true) {
            return Ok(UpdateDeadline::Yield(1));
        }
        let (permits, heavy) = (permits.clone(), state.heavy.clone());
        Ok(UpdateDeadline::YieldCustom(
            1,
            Box::pin(async move {
                if let Ok(permit) = permits.acquire_owned().await
                    && let Ok(mut slot) = heavy.lock()
                {
                    *slot = Some(permit);
                }
            }),
        ))
    });
    (store, output)
}

impl Session {
    /// Reset everything a call may use before the next rule starts under
    /// `limits` (already capped by the host's maxima).
    pub(crate) fn begin(&mut self, limits: &Limits, lookups: Arc<dyn Lookups>) -> Instant {
        if self.trapped {
            *self = Self::new(&self.host, self.rules);
        }
        let started = Instant::now();
        let state = self.store.data_mut();
        state.memory = MemoryLimiter::new(limits.memory_bytes, state.memory.rules);
        state.log = LogBuffer::new(limits.log_bytes);
        state.lookups = lookups;
        state.deadline = started + limits.timeout();
        if let Ok(mut heavy) = state.heavy.lock() {
            *heavy = None;
        }
        self.printed = self.output.contents().len();
        // Fuel is always on in this engine: this cannot fail.
        self.store.set_fuel(limits.fuel).ok();
        self.store.set_epoch_deadline(1);
        started
    }

    /// Why the instance could not be made.
    pub(crate) fn not_started(&mut self, error: &wasmtime::Error) -> Failure {
        self.trapped = true;
        crate::run::not_started(self.store.data(), error)
    }

    /// Turn what happened to the call begun at `started` into an outcome:
    /// classify traps, check the output's size, and collect the report.
    pub(crate) fn finish<T: Serialize>(
        &mut self,
        limits: &Limits,
        started: Instant,
        result: wasmtime::Result<Result<T, Failure>>,
    ) -> Outcome<T> {
        let remaining = self.store.get_fuel().unwrap_or(0);
        let contents = self.output.contents();
        let printed =
            String::from_utf8_lossy(contents.get(self.printed..).unwrap_or_default()).into_owned();
        let state = self.store.data_mut();
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
            Err(error) => {
                self.trapped = true;
                Err(classify(&error, state, limits, &printed))
            }
        };
        if let Ok(mut heavy) = state.heavy.lock() {
            *heavy = None;
        }
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
}
