#![allow(elided_lifetimes_in_paths)] // async_trait signatures of MigrationTrait
//! The database schema, as an ordered list of migrations that run on both
//! SQLite and PostgreSQL.
//!
//! Rules: every tenant table carries `tenant_id`, and every unique key starts
//! with it (so the tables can later be distributed by tenant); references
//! between tenant tables are composite `(tenant_id, id)` foreign keys, so a
//! row can never point at another city's row. Ids are UUIDv7 made by the
//! application. Migrations are append-only: never edit one that has shipped.

pub use sea_orm_migration::prelude::*;

mod columns;
mod m20261127_000001_directory;
mod m20261128_000002_access;
pub mod m20261128_000003_row_level_security;
mod m20261128_000004_cases;
mod m20261128_000005_case_details;
mod m20261128_000006_escalation;
mod m20261128_000007_plugins;
mod m20261128_000008_trace_context;
mod m20261207_000009_workbench;
mod m20261207_000010_cohandling_stats;
mod m20261207_000011_supervised_index;
mod m20261207_000012_campaigns;
mod m20261207_000013_search;
mod m20261207_000014_row_security_per_statement;
mod m20261207_000015_campaign_figures;
mod m20261207_000016_case_merges;
mod m20261207_000017_search_listing;
mod m20261207_000018_duplicate_window;
mod m20261208_000018_quotas;
mod m20261208_000019_bulletins;
mod m20261209_000020_stored_duplicates;
mod m20261209_000030_published_answers;
mod m20261210_000040_tenant_logos;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261127_000001_directory::Migration),
            Box::new(m20261128_000002_access::Migration),
            Box::new(m20261128_000003_row_level_security::Migration),
            Box::new(m20261128_000004_cases::Migration),
            Box::new(m20261128_000005_case_details::Migration),
            Box::new(m20261128_000006_escalation::Migration),
            Box::new(m20261128_000007_plugins::Migration),
            Box::new(m20261128_000008_trace_context::Migration),
            Box::new(m20261207_000009_workbench::Migration),
            Box::new(m20261207_000010_cohandling_stats::Migration),
            Box::new(m20261207_000011_supervised_index::Migration),
            Box::new(m20261207_000012_campaigns::Migration),
            Box::new(m20261207_000013_search::Migration),
            Box::new(m20261207_000014_row_security_per_statement::Migration),
            Box::new(m20261207_000015_campaign_figures::Migration),
            Box::new(m20261207_000016_case_merges::Migration),
            Box::new(m20261207_000017_search_listing::Migration),
            Box::new(m20261207_000018_duplicate_window::Migration),
            Box::new(m20261208_000018_quotas::Migration),
            Box::new(m20261208_000019_bulletins::Migration),
            Box::new(m20261209_000020_stored_duplicates::Migration),
            Box::new(m20261209_000030_published_answers::Migration),
            Box::new(m20261210_000040_tenant_logos::Migration),
        ]
    }
}
