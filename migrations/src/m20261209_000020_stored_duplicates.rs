//! Likely duplicates kept, not sought on every read: `case_duplicates`
//! holds, for each case, the cases found alike when it was scanned (both
//! directions: a new case's scan also adds itself to each older case it
//! resembles), and `case_search.duplicates_scanned` says which cases the
//! worker has scanned (a partial index keeps the unscanned ones at hand;
//! every case indexed before this migration is unscanned, so the worker
//! scans the backlog). Seeking them on every staff case page cost more
//! than half of the page on a 100,000-case city. Row-level security on
//! PostgreSQL like every city table; not in archives (made again from
//! the cases, like the search index).

use crate::columns::{required, same_tenant_fk};
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Cases {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum CaseSearch {
    Table,
    DuplicatesScanned,
}

#[derive(DeriveIden)]
enum CaseDuplicates {
    Table,
    TenantId,
    CaseId,
    OtherId,
    Score,
    Kind,
}

const UNSCANNED: &str = "ix_case_search_unscanned";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(CaseSearch::Table)
                    .add_column(
                        ColumnDef::new(CaseSearch::DuplicatesScanned)
                            .boolean()
                            .not_null()
                            .default(false),
                    )
                    .to_owned(),
            )
            .await?;
        // The literal `false` is what the worker's query says, so both
        // databases use the partial index for it.
        manager
            .get_connection()
            .execute_unprepared(&format!(
                "CREATE INDEX {UNSCANNED} ON case_search (tenant_id, case_id) \
                 WHERE duplicates_scanned = false"
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CaseDuplicates::Table)
                    .col(required(CaseDuplicates::TenantId).uuid())
                    .col(required(CaseDuplicates::CaseId).uuid())
                    .col(required(CaseDuplicates::OtherId).uuid())
                    // Per mille (0 to 1000).
                    .col(required(CaseDuplicates::Score).integer())
                    .col(required(CaseDuplicates::Kind).string_len(16))
                    .primary_key(
                        Index::create()
                            .col(CaseDuplicates::TenantId)
                            .col(CaseDuplicates::CaseId)
                            .col(CaseDuplicates::OtherId),
                    )
                    .foreign_key(&mut same_tenant_fk(
                        "fk_case_duplicates_case",
                        (CaseDuplicates::Table, CaseDuplicates::CaseId),
                        (Cases::Table, Cases::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut same_tenant_fk(
                        "fk_case_duplicates_other",
                        (CaseDuplicates::Table, CaseDuplicates::OtherId),
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
                    "case_duplicates",
                ))
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(CaseDuplicates::Table).to_owned())
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name(UNSCANNED)
                    .table(CaseSearch::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(CaseSearch::Table)
                    .drop_column(CaseSearch::DuplicatesScanned)
                    .to_owned(),
            )
            .await
    }
}
