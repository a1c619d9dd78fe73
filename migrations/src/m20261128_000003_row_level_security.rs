//! PostgreSQL row-level security on every tenant table: the second line of
//! defence behind the `tenant_id` filter every query already has.
//!
//! The application sets `app.tenant_id` per transaction with
//! `set_config('app.tenant_id', …, true)` (never a session-level `SET`,
//! which would leak through pooled connections). A row is visible when its
//! tenant is the one set, or when the platform scope `*` is set (tenant
//! resolution, policy loading, sign-in before the city is known). With
//! nothing set, nothing is visible. `FORCE` makes the table owner obey the
//! policies too; only superusers and BYPASSRLS roles are exempt, and the
//! runtime role must be neither. SQLite has no row-level security; there the
//! filters in the queries are the only line.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Tables that hold one city's rows.
pub const TENANT_TABLES: &[&str] = &[
    "departments",
    "categories",
    "calendar_days",
    "users",
    "user_departments",
    "roles",
    "user_roles",
    "sessions",
    "api_keys",
    "audit_events",
];

/// Enable and force row-level security on a tenant table, with the policy
/// every tenant table shares.
pub fn enable_sql(table: &str) -> String {
    let visible = TENANT_VISIBLE;
    format!(
        "ALTER TABLE {table} ENABLE ROW LEVEL SECURITY;
         ALTER TABLE {table} FORCE ROW LEVEL SECURITY;
         CREATE POLICY tenant_isolation ON {table}
           USING ({visible}) WITH CHECK ({visible});"
    )
}

/// Enable row-level security on a new tenant table where the database
/// has it (PostgreSQL); SQLite databases hold one deployment's cities
/// behind the application's own checks.
pub async fn enable_on(manager: &SchemaManager<'_>, table: &str) -> Result<(), DbErr> {
    if manager.get_database_backend() == sea_orm_migration::sea_orm::DbBackend::Postgres {
        manager
            .get_connection()
            .execute_unprepared(&enable_sql(table))
            .await?;
    }
    Ok(())
}

/// Whether a row is the transaction's city's (or the transaction is the
/// platform's, `*`). The setting is read once per statement (the
/// subqueries become init plans) and compared as a uuid, so each row costs
/// one uuid comparison, not two `current_setting` calls and a uuid-to-text
/// conversion (three times the cost of counting an index range).
pub const TENANT_VISIBLE: &str = "(SELECT current_setting('app.tenant_id', true)) = '*'
           OR tenant_id = (SELECT NULLIF(NULLIF(current_setting('app.tenant_id', true), '*'), '')::uuid)";

/// The policy's first form, per row: kept for migrating back.
pub const TENANT_VISIBLE_PER_ROW: &str = "current_setting('app.tenant_id', true) = '*'
           OR tenant_id::text = current_setting('app.tenant_id', true)";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        let db = manager.get_connection();
        for table in TENANT_TABLES {
            db.execute_unprepared(&enable_sql(table)).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        let db = manager.get_connection();
        for table in TENANT_TABLES {
            db.execute_unprepared(&format!(
                "DROP POLICY IF EXISTS tenant_isolation ON {table};
                 ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY;
                 ALTER TABLE {table} DISABLE ROW LEVEL SECURITY;"
            ))
            .await?;
        }
        Ok(())
    }
}
