//! Runs Minsheng rule plugins: WebAssembly components written against the
//! `minsheng:rules` WIT package (`plugins/wit`), under wasmtime with hard
//! limits.
//!
//! One [`Host`] per process holds the engine (component model, pooling
//! allocator, fuel, epoch interruption, an on-disk compilation cache) and
//! the linker, which grants a guest only a capped log, one read-only lookup
//! and the harmless parts of WASI (stdout and stderr captured in memory, a
//! fixed clock, deterministic randomness; no files, no sockets). A
//! [`Plugin`] is a checked component with its pre-instantiation; every call
//! gets a fresh instance and store with its own fuel, deadline and memory
//! limit, and comes back as an [`Outcome`]: the decision or why there is
//! none, plus what the call cost.
//!
//! Calls block: make them from a thread that does not drive async tasks
//! (`tokio::task::spawn_blocking`), since the guest's captured output goes
//! through WASI's streams, which wait on the runtime.

mod bindings;
mod compile;
mod engine;
#[cfg(feature = "testing")]
pub mod examples;
mod limits;
mod load;
mod run;
mod schema;
mod validate;

pub use bindings::host_api::{CaseRef, LogLevel};
pub use bindings::types;
pub use compile::{
    CompileLimits, Compiled, Compiler, WALL_CLOCK_FACTOR, child_main, compile_in_child, memory_of,
};
pub use engine::Host;
pub use limits::Limits;
pub use load::{LoadError, MAX_COMPONENT_BYTES, Plugin, WIT_VERSION, content_hash};
pub use run::{CallReport, Failure, LogLine, Lookups, NoLookups, Outcome};
pub use schema::{
    ConfigError, MAX_CONFIG_BYTES, MAX_SCHEMA_BYTES, MAX_SCHEMA_DEPTH, MAX_SCHEMA_EXPANDED,
    check_config, check_schema,
};
pub use types::{
    Descriptor, EscalationAction, EscalationDecision, EscalationInput, Hook, IntakeDecision,
    IntakeInput,
};
pub use validate::{Directory, check_escalation, check_intake, visible};
