//! The Minsheng server: configuration, services, the HTTP application and
//! the `minsheng` command.

/// The hidden first argument that makes `minsheng` a compiling child for
/// one uploaded rule component (see `minsheng_plugin_host::compile`).
pub const COMPILE_RULE: &str = "__compile-rule";

pub mod access;
pub mod api;
pub mod app;
pub mod archive;
pub mod bundle;
pub mod cli;
pub mod config;
pub mod demo;
pub mod metrics;
pub mod model;
pub mod open311;
pub mod plugin_cli;
pub mod services;
pub mod telemetry;
pub mod web;
