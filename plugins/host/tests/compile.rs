//! Compiling in a bounded child process: the examples compile there and
//! load in the server's engine; components built to be expensive to
//! compile are refused at the limit, without the parent growing.

use minsheng_plugin_host::examples::{self, bombs};
use minsheng_plugin_host::{
    CompileLimits, Compiler, Host, Limits, LoadError, Plugin, compile_in_child, content_hash,
    memory_of,
};
use std::time::{Duration, Instant};

fn compiler(memory_mib: u64, timeout_secs: u64) -> Compiler {
    Compiler {
        program: env!("CARGO_BIN_EXE_minsheng-rule-compiler").into(),
        args: Vec::new(),
        limits: CompileLimits {
            memory_bytes: memory_mib << 20,
            timeout: Duration::from_secs(timeout_secs),
        },
    }
}

fn resident_bytes() -> u64 {
    memory_of(None, "VmRSS")
}

#[test]
fn examples_compile_in_a_child_and_load_in_the_pooled_engine() {
    let host = Host::new(None, Limits::platform_maxima()).expect("engine");
    for (example, name) in [
        ("daqing-router", "daqing-router"),
        ("redactor", "pii-redactor"),
        ("spam-guard", "spam-guard"),
        ("escalation-ladder", "escalation-ladder"),
    ] {
        let bytes = examples::bytes(example);
        let compiled = compile_in_child(&compiler(512, 30), &bytes)
            .unwrap_or_else(|e| panic!("{name} compiles: {e}"));
        assert!(
            compiled.peak_memory > 0,
            "{name}: the child reports its peak"
        );
        let plugin = Plugin::load_compiled(&host, content_hash(&bytes), &compiled.artifact)
            .unwrap_or_else(|e| panic!("{name} loads: {e}"));
        assert_eq!(plugin.descriptor.name, name);
        assert_eq!(plugin.hash, content_hash(&bytes));
    }
}

#[test]
fn what_is_not_a_component_never_reaches_the_compiler() {
    let c = compiler(512, 30);
    assert!(matches!(
        compile_in_child(&c, b"\x7fELF\x02\x01\x01"),
        Err(LoadError::NotAComponent(_))
    ));
    assert!(matches!(
        compile_in_child(&c, &vec![0; 9 << 20]),
        Err(LoadError::TooLarge(_))
    ));
    // A component that does not validate is refused with the reason.
    let mut broken = examples::bytes("redactor");
    broken.truncate(broken.len() / 2);
    match compile_in_child(&c, &broken) {
        Err(LoadError::Compile(message)) => assert!(!message.is_empty()),
        other => panic!("a truncated component: {other:?}"),
    }
}

#[test]
fn compile_bombs_are_refused_at_the_limit_without_the_parent_growing() {
    let before = resident_bytes();
    for (what, bytes) in [
        ("live locals", bombs::live_locals(30_000, 3_000)),
        ("a million functions", bombs::many_functions(1_000_000)),
    ] {
        assert!(bytes.len() < 8 << 20, "{what}: {} bytes", bytes.len());
        let started = Instant::now();
        let refused = compile_in_child(&compiler(256, 4), &bytes);
        let took = started.elapsed();
        match refused {
            Err(LoadError::CompileMemory(256)) | Err(LoadError::CompileTimeout(_)) => {}
            other => panic!("{what}: {other:?}"),
        }
        // The limit is processor time; the wall clock's backstop is three
        // times it.
        assert!(
            took < Duration::from_secs(4 * 3 + 2),
            "{what}: refused after {took:?}"
        );
    }
    let grown = resident_bytes().saturating_sub(before);
    assert!(grown < 64 << 20, "the parent grew by {grown} bytes");
}
