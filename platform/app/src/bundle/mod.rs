//! Tenant bundles: a city described in a folder of TOML files, applied to the
//! database idempotently and exported back.

pub mod apply;
pub mod csv;
pub mod departments_csv;
pub mod export;
pub mod format;
