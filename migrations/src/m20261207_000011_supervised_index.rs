//! The inbox's 督办中 (supervised) count through the few supervised cases
//! alone, as the held count goes through its own partial index: without it
//! the count reads every open case's index entry.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Cases {
    Table,
    TenantId,
    State,
    SupervisedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name("ix_cases_tenant_supervised")
                    .table(Cases::Table)
                    .col(Cases::TenantId)
                    .col(Cases::State)
                    .and_where(Expr::col(Cases::SupervisedAt).is_not_null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("ix_cases_tenant_supervised")
                    .table(Cases::Table)
                    .to_owned(),
            )
            .await
    }
}
