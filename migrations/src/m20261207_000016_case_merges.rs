//! Merging duplicates (并单): `cases.merged_into_id`, the case a duplicate
//! was merged into (the duplicate is closed; nothing is deleted), and
//! `case_not_duplicates`, pairs staff said are not duplicates, so they are
//! not suggested again. A pair is stored once, the smaller case id first.
//! Row-level security on PostgreSQL like every city table.

use crate::columns::{required, same_tenant_fk};
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Cases {
    Table,
    Id,
    MergedIntoId,
}

#[derive(DeriveIden)]
enum CaseNotDuplicates {
    Table,
    TenantId,
    CaseId,
    OtherId,
    DecidedBy,
    DecidedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Cases::Table)
                    .add_column(ColumnDef::new(Cases::MergedIntoId).uuid().null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CaseNotDuplicates::Table)
                    .col(required(CaseNotDuplicates::TenantId).uuid())
                    .col(required(CaseNotDuplicates::CaseId).uuid())
                    .col(required(CaseNotDuplicates::OtherId).uuid())
                    .col(required(CaseNotDuplicates::DecidedBy).string_len(200))
                    .col(required(CaseNotDuplicates::DecidedAt).timestamp_with_time_zone())
                    .primary_key(
                        Index::create()
                            .col(CaseNotDuplicates::TenantId)
                            .col(CaseNotDuplicates::CaseId)
                            .col(CaseNotDuplicates::OtherId),
                    )
                    .foreign_key(&mut same_tenant_fk(
                        "fk_case_not_duplicates_case",
                        (CaseNotDuplicates::Table, CaseNotDuplicates::CaseId),
                        (Cases::Table, Cases::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut same_tenant_fk(
                        "fk_case_not_duplicates_other",
                        (CaseNotDuplicates::Table, CaseNotDuplicates::OtherId),
                        (Cases::Table, Cases::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        if manager.get_database_backend() == DbBackend::Postgres {
            manager
                .get_connection()
                .execute_unprepared(&super::m20261128_000003_row_level_security::enable_sql(
                    "case_not_duplicates",
                ))
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(CaseNotDuplicates::Table).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Cases::Table)
                    .drop_column(Cases::MergedIntoId)
                    .to_owned(),
            )
            .await
    }
}
