//! The Minsheng server: configuration, services, the HTTP application and
//! the `minsheng` command.

#![recursion_limit = "256"] // the page words are one large `json!` per language

pub mod access;
pub mod api;
pub mod app;
pub mod bundle;
pub mod cli;
pub mod config;
pub mod demo;
pub mod model;
pub mod open311;
pub mod services;
pub mod telemetry;
pub mod web;
