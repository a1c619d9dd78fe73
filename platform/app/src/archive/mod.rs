//! Tenant archives: one file holding everything of one city (its
//! configuration, people, keys, webhooks, plugins, cases, timeline,
//! ratings, statistics, pending work and audit log), written by
//! `minsheng tenant export <city> --with-cases` and loaded into another
//! deployment by `minsheng tenant import`. Nothing changes on the way:
//! every id and every column comes back as it was.
//!
//! [`format`] is the file's layout and its versioning, [`tables`] the
//! tables and how their rows become JSON, [`write`] the export, [`read`]
//! the file reader and [`import`] the import. The bundle (`tenant export`
//! without `--with-cases`) is the other, declarative way out: configuration
//! only, for `tenant apply`.

pub mod format;
pub mod import;
pub mod read;
pub mod tables;
pub mod write;

use chrono::Utc;
use minsheng_domain::ids::AuditEventId;
use minsheng_store::entity::audit_event;
use minsheng_store::{Scope, Store};
use sea_orm::ActiveValue::Set;

/// Record an export or import in the platform's audit log (no city: the
/// row must not become part of the city it is about).
pub async fn audit(store: &Store, action: &str, slug: &str) -> anyhow::Result<()> {
    let row = audit_event::ActiveModel {
        id: Set(AuditEventId::new().into_uuid()),
        tenant_id: Set(None),
        at: Set(Utc::now()),
        actor: Set("operator:cli".to_owned()),
        action: Set(action.to_owned()),
        target: Set(format!("tenant:{slug}")),
        outcome: Set("ok".to_owned()),
        client_ip: Set(None),
    };
    let tx = store.begin(Scope::Platform).await?;
    minsheng_store::queries::access::insert_audit(&tx, row).await?;
    tx.commit().await?;
    Ok(())
}
