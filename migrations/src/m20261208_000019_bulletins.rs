//! Public-opinion bulletins (三情通报): one row per city, kind (weekly or
//! monthly) and period, numbered per city and kind (第N期). The figures are
//! counted once, when the period has ended, and kept as JSON: they never
//! change afterwards, whatever arrives later. Row-level security on
//! PostgreSQL like every city table.

use crate::columns::{required, uuid_pk};
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Bulletins {
    Table,
    Id,
    TenantId,
    Kind,
    Number,
    PeriodFrom,
    PeriodTo,
    Figures,
    PublishedAt,
}

#[derive(DeriveIden)]
enum Tenants {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Bulletins::Table)
                    .col(uuid_pk(Bulletins::Id))
                    .col(required(Bulletins::TenantId).uuid())
                    .col(required(Bulletins::Kind).string_len(16))
                    .col(required(Bulletins::Number).integer())
                    .col(required(Bulletins::PeriodFrom).date())
                    .col(required(Bulletins::PeriodTo).date())
                    .col(required(Bulletins::Figures).json())
                    .col(required(Bulletins::PublishedAt).timestamp_with_time_zone())
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_bulletins_tenant")
                            .from(Bulletins::Table, Bulletins::TenantId)
                            .to(Tenants::Table, Tenants::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        // One bulletin per period, and numbers never repeat: a second
        // worker generating the same period fails on these and backs off.
        manager
            .create_index(
                Index::create()
                    .name("ux_bulletins_period")
                    .table(Bulletins::Table)
                    .col(Bulletins::TenantId)
                    .col(Bulletins::Kind)
                    .col(Bulletins::PeriodFrom)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_bulletins_number")
                    .table(Bulletins::Table)
                    .col(Bulletins::TenantId)
                    .col(Bulletins::Kind)
                    .col(Bulletins::Number)
                    .unique()
                    .to_owned(),
            )
            .await?;
        if manager.get_database_backend() == DbBackend::Postgres {
            manager
                .get_connection()
                .execute_unprepared(&super::m20261128_000003_row_level_security::enable_sql(
                    "bulletins",
                ))
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Bulletins::Table).to_owned())
            .await
    }
}
