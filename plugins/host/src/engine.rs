//! The one wasmtime engine and linker of a process.

use crate::bindings::host_api;
use crate::limits::Limits;
use crate::run::CallState;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use wasmtime::component::{HasSelf, Linker};
use wasmtime::{
    Cache, CacheConfig, Config, Enabled, Engine, InstanceAllocationStrategy,
    PoolingAllocationConfig,
};

/// How often the epoch advances: the granularity of the wall-clock backstop.
const EPOCH_TICK: Duration = Duration::from_millis(5);

/// Guest stack: deep recursion traps here rather than growing without end.
const MAX_WASM_STACK: usize = 512 << 10;

/// Bytes at the start of a linear memory kept mapped between calls and
/// reset by copying. Where the kernel tells which pages a call wrote, only
/// those are copied back, so a whole 1 MiB costs no more than what was
/// used; else the stack, data and start of the heap (a 64 KiB stack: see
/// plugins/examples/.cargo/config.toml), copied back whole.
const KEEP_RESIDENT_SCANNED: usize = 1 << 20;
const KEEP_RESIDENT: usize = 192 << 10;

/// Instances alive at once across the process (calls in flight).
const POOL_INSTANCES: u32 = 256;

/// Fuel a guest burns between yields to the caller's executor: a few
/// hundred microseconds of a tight loop, so a heavy rule never holds a
/// worker thread for long.
pub(crate) const YIELD_FUEL: u64 = 1_000_000;

/// The engine, the linker and the epoch ticker. Cheap to share (`Arc`).
pub struct Host {
    pub(crate) engine: Engine,
    pub(crate) linker: Linker<CallState>,
    pub(crate) maxima: Limits,
    /// Calls still running at an epoch tick ("heavy" ones) across all
    /// cities: once past their first tick, at most this many run at once.
    pub(crate) heavy: Arc<tokio::sync::Semaphore>,
    ticker: Arc<AtomicBool>,
}

impl Host {
    /// Make the engine. With `cache_dir`, compiled code is kept there by
    /// content hash and engine settings, so a restart does not recompile;
    /// the cache is written only by this process's compiler.
    pub fn new(cache_dir: Option<&Path>, maxima: Limits) -> wasmtime::Result<Arc<Self>> {
        let mut config = settings();
        let mut pool = PoolingAllocationConfig::new();
        pool.total_component_instances(POOL_INSTANCES)
            .total_core_instances(POOL_INSTANCES * 8)
            .total_memories(POOL_INSTANCES * 2)
            .total_tables(POOL_INSTANCES * 8)
            .total_stacks(POOL_INSTANCES)
            .max_core_instances_per_component(16)
            .max_memories_per_component(4)
            .max_tables_per_component(16)
            .max_memory_size(maxima.memory_bytes)
            .table_keep_resident(16 << 10);
        // A call touches the stack, the data and the start of the heap:
        // resetting those pages by copying is cheaper than unmapping them
        // and faulting them in again on the next call. Where the kernel can
        // say which pages a call dirtied (PAGEMAP_SCAN, Linux 6.7), only
        // those are reset, so more can stay resident for the same cost.
        // With swap on, wasmtime 48's page-map reset neither resets nor
        // decommits dirty pages that were swapped out, so the next
        // instance in the slot could read them (wasmtime PR #14357): it
        // is used only where no swap is active.
        if PoolingAllocationConfig::is_pagemap_scan_available() && !swap_on() {
            pool.pagemap_scan(Enabled::Yes)
                .linear_memory_keep_resident(KEEP_RESIDENT_SCANNED);
        } else {
            pool.linear_memory_keep_resident(KEEP_RESIDENT);
        }
        config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
        if let Some(dir) = cache_dir {
            std::fs::create_dir_all(dir)?;
            let mut cache = CacheConfig::new();
            cache.with_directory(dir);
            config.cache(Some(Cache::new(cache)?));
        }
        let engine = Engine::new(&config)?;
        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
        host_api::add_to_linker::<CallState, HasSelf<CallState>>(&mut linker, |s| s)?;
        let ticker = Arc::new(AtomicBool::new(true));
        let running = ticker.clone();
        let ticking = engine.clone();
        std::thread::Builder::new()
            .name("plugin-epoch".into())
            .spawn(move || {
                while running.load(Ordering::Relaxed) {
                    std::thread::sleep(EPOCH_TICK);
                    ticking.increment_epoch();
                }
            })?;
        Ok(Arc::new(Self {
            engine,
            linker,
            maxima,
            heavy: Arc::new(tokio::sync::Semaphore::new(heavy_calls())),
            ticker,
        }))
    }

    /// The most a city's limits can be raised to.
    pub fn maxima(&self) -> &Limits {
        &self.maxima
    }
}

/// Heavy calls at once: one per core, so that busy rules leave the
/// cores' other work (and light rules) room.
fn heavy_calls() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

/// Whether any swap area is active (`/proc/swaps` lists more than its
/// header). When unknown, assume it is.
fn swap_on() -> bool {
    std::fs::read_to_string("/proc/swaps").map_or(true, |s| s.lines().count() > 1)
}

/// The settings that decide what compiled code looks like, shared by the
/// running engine and the compiling child so that what the child compiles
/// loads here. (How instances are allocated is not among them.)
fn settings() -> Config {
    let mut config = Config::new();
    config
        .wasm_component_model(true)
        .consume_fuel(true)
        .epoch_interruption(true)
        .cranelift_nan_canonicalization(true)
        .max_wasm_stack(MAX_WASM_STACK)
        .memory_init_cow(true);
    config
}

/// An engine that only compiles: no instance pool, no cache.
pub(crate) fn compiling_engine() -> wasmtime::Result<Engine> {
    Engine::new(&settings())
}

impl Drop for Host {
    fn drop(&mut self) {
        self.ticker.store(false, Ordering::Relaxed);
    }
}
