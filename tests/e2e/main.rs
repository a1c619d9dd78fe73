//! End-to-end tests: each starts the real `minsheng` binary on port 0
//! against a fresh SQLite file and a fresh PostgreSQL database.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod access;
mod archive;
mod authoring;
mod browser;
mod bulletins;
mod bundles;
mod campaigns;
mod cases;
mod console;
mod console_directory;
mod console_matrix;
mod console_people;
mod console_rules;
mod console_settings;
mod deadlines;
mod delivery;
mod directory;
mod duplicates;
mod durability;
mod escalation;
mod flows;
mod forms;
mod isolation;
mod lifecycle;
mod matrix;
mod matrix_targets;
mod open311;
mod open311_requests;
mod otlp;
mod page_errors;
mod plugins;
mod publication;
mod quotas;
mod reads;
mod resolution;
mod rls;
mod sandbox;
mod search;
mod site;
mod submissions;
mod support;
mod telemetry;
mod workbench;
