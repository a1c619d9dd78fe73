//! A city's quotas, set by the platform's operators: cases a day, staff
//! users, departments, rule plugins and their storage, webhook endpoints.
//! No row, or an empty column, means no limit of the city's own (plugins
//! stay within the platform's configured maxima either way).

use crate::columns::{optional, required};
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum TenantQuotas {
    Table,
    TenantId,
    /// Cases (and campaign suggestions) received per local day.
    CasesPerDay,
    /// Staff accounts, active or not.
    StaffUsers,
    /// Departments, active or not (cases may refer to inactive ones).
    Departments,
    /// Rule plugin versions kept.
    Plugins,
    /// Bytes of rule plugin components kept.
    PluginBytes,
    /// Webhook endpoints.
    Webhooks,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(TenantQuotas::Table)
                    .col(
                        ColumnDef::new(TenantQuotas::TenantId)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(optional(TenantQuotas::CasesPerDay).big_integer())
                    .col(optional(TenantQuotas::StaffUsers).big_integer())
                    .col(optional(TenantQuotas::Departments).big_integer())
                    .col(optional(TenantQuotas::Plugins).big_integer())
                    .col(optional(TenantQuotas::PluginBytes).big_integer())
                    .col(optional(TenantQuotas::Webhooks).big_integer())
                    .col(required(TenantQuotas::UpdatedAt).timestamp_with_time_zone())
                    .to_owned(),
            )
            .await?;
        if manager.get_database_backend() == DbBackend::Postgres {
            manager
                .get_connection()
                .execute_unprepared(&super::m20261128_000003_row_level_security::enable_sql(
                    "tenant_quotas",
                ))
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(TenantQuotas::Table).to_owned())
            .await
    }
}
