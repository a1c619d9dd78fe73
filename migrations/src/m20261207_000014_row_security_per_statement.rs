//! Row-level security that costs one uuid comparison per row: the policy
//! of every city table reads the transaction's city once per statement
//! (see `TENANT_VISIBLE`). Who sees which rows does not change.
//! PostgreSQL only.

use crate::m20261128_000003_row_level_security::{TENANT_VISIBLE, TENANT_VISIBLE_PER_ROW};
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Every table with the city policy, whichever migration created it.
const TABLES: &str = "SELECT c.relname AS name FROM pg_policy p
    JOIN pg_class c ON c.oid = p.polrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE p.polname = 'tenant_isolation' AND n.nspname = current_schema()";

async fn set_policy(manager: &SchemaManager<'_>, visible: &str) -> Result<(), DbErr> {
    if manager.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    let db = manager.get_connection();
    let rows = db
        .query_all_raw(sea_orm_migration::sea_orm::Statement::from_string(
            DbBackend::Postgres,
            TABLES,
        ))
        .await?;
    for row in rows {
        let table: String = row.try_get("", "name")?;
        db.execute_unprepared(&format!(
            "ALTER POLICY tenant_isolation ON \"{table}\" USING ({visible}) WITH CHECK ({visible})"
        ))
        .await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        set_policy(manager, TENANT_VISIBLE).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        set_policy(manager, TENANT_VISIBLE_PER_ROW).await
    }
}
