//! The Minsheng server: the transports over `minsheng-app` (the REST API,
//! Open311, the city pages), HTTP middleware, telemetry set-up, and the
//! `minsheng` command.

pub use minsheng_app::COMPILE_RULE;

pub mod api;
pub mod app;
pub mod cli;
pub mod conditional;
pub mod http_metrics;
pub mod open311;
pub mod request;
pub mod telemetry;
pub mod web;
