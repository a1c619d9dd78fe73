//! What compiling an uploaded component costs, in the bounded child the
//! server uses: the examples (compile time, the child's peak memory) and
//! the compile bombs (how soon they are refused, at which limit), each as
//! a ratio to the smallest example's compile time in the same run. The
//! parent's resident memory before and after shows that none of it lands
//! in the server.
//!
//! `cargo bench -p minsheng-plugin-host --bench compile`

use minsheng_plugin_host::examples::{self, bombs};
use minsheng_plugin_host::{CompileLimits, Compiler, LoadError, compile_in_child, memory_of};
use std::time::Duration;

/// Runs of each example; the median is printed.
const ROUNDS: usize = 5;

fn compiler() -> Compiler {
    Compiler {
        program: env!("CARGO_BIN_EXE_minsheng-rule-compiler").into(),
        args: Vec::new(),
        // The server's defaults.
        limits: CompileLimits::default(),
    }
}

fn resident_mib() -> u64 {
    memory_of(None, "VmRSS") >> 20
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn main() {
    let compiler = compiler();
    let limits = &compiler.limits;
    println!(
        "compile in a child: memory limit {} MiB, time limit {} s, {ROUNDS} rounds per example",
        limits.memory_bytes >> 20,
        limits.timeout.as_secs()
    );
    let before = resident_mib();
    let mut baseline = None;
    println!(
        "{:<22} {:>9} {:>11} {:>10} {:>9}",
        "component", "KiB", "compile", "peak MiB", "ratio"
    );
    for name in [
        "spam-guard",
        "redactor",
        "daqing-router",
        "escalation-ladder",
        "hostile",
    ] {
        let bytes = examples::bytes(name);
        let mut times = Vec::new();
        let mut peak = 0;
        for _ in 0..ROUNDS {
            let compiled = compile_in_child(&compiler, &bytes)
                .unwrap_or_else(|e| panic!("{name} compiles: {e}"));
            times.push(compiled.duration);
            peak = peak.max(compiled.peak_memory);
        }
        let took = median(times);
        let base = *baseline.get_or_insert(took);
        println!(
            "{name:<22} {:>9} {:>9.0}ms {:>10} {:>8.2}×",
            bytes.len() >> 10,
            took.as_secs_f64() * 1e3,
            peak >> 20,
            took.as_secs_f64() / base.as_secs_f64()
        );
    }
    let base = baseline.unwrap_or(Duration::from_millis(1));
    for (what, bytes) in [
        ("bomb: live locals", bombs::live_locals(30_000, 3_000)),
        ("bomb: 1M functions", bombs::many_functions(1_000_000)),
    ] {
        let started = std::time::Instant::now();
        let outcome = match compile_in_child(&compiler, &bytes) {
            Ok(c) => format!("compiled (peak {} MiB)", c.peak_memory >> 20),
            Err(LoadError::CompileMemory(mib)) => format!("refused at {mib} MiB"),
            Err(LoadError::CompileTimeout(s)) => format!("refused at {s} s"),
            Err(e) => format!("refused: {e}"),
        };
        let took = started.elapsed();
        println!(
            "{what:<22} {:>9} {:>9.0}ms {:>10} {:>8.2}×  {outcome}",
            bytes.len() >> 10,
            took.as_secs_f64() * 1e3,
            "-",
            took.as_secs_f64() / base.as_secs_f64()
        );
    }
    println!(
        "this process: {before} MiB resident before, {} MiB after",
        resident_mib()
    );
}
