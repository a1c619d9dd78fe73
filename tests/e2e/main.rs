//! End-to-end tests: each starts the real `minsheng` binary on port 0
//! against a fresh SQLite file and a fresh PostgreSQL database.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod access;
mod archive;
mod browser;
mod bundles;
mod cases;
mod directory;
mod durability;
mod escalation;
mod forms;
mod isolation;
mod lifecycle;
mod matrix;
mod open311;
mod otlp;
mod plugins;
mod resolution;
mod rls;
mod sandbox;
mod site;
mod support;
mod telemetry;
