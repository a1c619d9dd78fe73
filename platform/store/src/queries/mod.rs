//! Queries, one module per table. Each function of a tenant table takes the
//! tenant id first.

pub mod access;
pub mod answer_templates;
pub mod bulletins;
pub mod calendar;
pub mod campaigns;
pub mod cases;
pub mod directory;
pub mod duplicates;
pub mod escalation;
pub mod logos;
pub mod plugins;
pub mod quotas;
pub mod search;
pub mod tenants;

/// Whether a database error is a unique-key violation, on either backend.
pub fn is_unique_violation(error: &sea_orm::DbErr) -> bool {
    matches!(
        error.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
    )
}
