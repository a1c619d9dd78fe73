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
//! limit (several calls may share one store, a [`Session`], each in a
//! fresh instance), and comes back as an [`Outcome`]: the decision or why there is
//! none, plus what the call cost.
//!
//! Calls are async and run on the caller's task: the guest yields to the
//! executor every so much fuel and at every epoch tick, and a call still
//! running at a tick waits for one of the host's heavy-call permits (one
//! per core, across cities). Loading a plugin blocks (it deserializes
//! machine code and calls `describe`): do it off the async workers.

mod bindings;
mod compile;
mod engine;
#[cfg(feature = "testing")]
pub mod examples;
mod limits;
mod load;
mod run;
mod schema;
mod session;
mod validate;

pub use bindings::host_api::{CaseRef, LogLevel};
pub use bindings::types;
pub use compile::{
    CompileLimits, Compiled, Compiler, WALL_CLOCK_FACTOR, child_main, compile_in_child, memory_of,
};
pub use engine::Host;
pub use limits::Limits;
pub use load::{LoadError, MAX_COMPONENT_BYTES, Plugin, WIT_VERSION, content_hash};
pub use run::{CallReport, Failure, Found, LogLine, Lookups, NoLookups, Outcome};
pub use schema::{
    ConfigError, MAX_CONFIG_BYTES, MAX_SCHEMA_BYTES, MAX_SCHEMA_DEPTH, MAX_SCHEMA_EXPANDED,
    check_config, check_schema,
};
pub use session::Session;
pub use types::{
    Descriptor, EscalationAction, EscalationDecision, EscalationInput, Hook, IntakeDecision,
    IntakeInput,
};
pub use validate::{Directory, check_escalation, check_intake, visible};
