//! Minsheng's application layer: the model, access control, the services,
//! tenant bundles and archives, demo data, metrics counters and the words
//! of pages and mail. No transport: the HTTP server, its pages and the
//! command line are `minsheng-server`, which depends on this crate and
//! never the other way round.

/// The hidden first argument that makes `minsheng` a compiling child for
/// one uploaded rule component (see `minsheng_plugin_host::compile`).
pub const COMPILE_RULE: &str = "__compile-rule";

pub mod access;
mod app;
pub mod archive;
pub mod bundle;
pub mod config;
pub mod demo;
pub mod metrics;
pub mod model;
pub mod services;
pub mod trace;
pub mod words;

pub use app::App;
pub use minsheng_domain::Error;
