//! A covering index for search listings driven from the search index
//! (`queries::search::driven`): each match is joined to its case by
//! `(tenant_id, id)` and filtered on `public`; with `public` in the index
//! that is one index lookup instead of an index and a table lookup (the
//! wide case row), which made counting a common word's first 1,001 public
//! matches several times slower on 100,000 cases (`benches/search.rs`).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Cases {
    Table,
    TenantId,
    Id,
    Public,
}

const NAME: &str = "ix_cases_tenant_id_public";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name(NAME)
                    .table(Cases::Table)
                    .col(Cases::TenantId)
                    .col(Cases::Id)
                    .col(Cases::Public)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(Index::drop().name(NAME).table(Cases::Table).to_owned())
            .await
    }
}
