//! Co-handling (协办) in the statistics, and room for the ladders' names.
//!
//! Per city and department and day: the cases a department was named
//! co-handler of, the opinions it gave, how many of them by their
//! deadline, and those that went overdue. `due_work.deadline` and
//! `escalations.deadline` name a ladder (`opinion:<department id>` is 44
//! characters, a rule's re-check up to 33): 64 characters on PostgreSQL
//! (SQLite does not enforce a length).

use crate::columns::{counter, required};
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum CaseStats {
    Table,
    CoHandled,
    Opinions,
    OpinionsOnTime,
    OpinionsOverdue,
}

const COLUMNS: [CaseStats; 4] = [
    CaseStats::CoHandled,
    CaseStats::Opinions,
    CaseStats::OpinionsOnTime,
    CaseStats::OpinionsOverdue,
];

#[derive(DeriveIden)]
enum DueWork {
    Table,
    Deadline,
}

#[derive(DeriveIden)]
enum Escalations {
    Table,
    Deadline,
}

/// Set the length of the two `deadline` columns (PostgreSQL only).
async fn deadline_length(manager: &SchemaManager<'_>, length: u32) -> Result<(), DbErr> {
    if manager.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    manager
        .alter_table(
            Table::alter()
                .table(DueWork::Table)
                .modify_column(required(DueWork::Deadline).string_len(length))
                .to_owned(),
        )
        .await?;
    manager
        .alter_table(
            Table::alter()
                .table(Escalations::Table)
                .modify_column(required(Escalations::Deadline).string_len(length))
                .to_owned(),
        )
        .await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per statement.
        for column in COLUMNS {
            manager
                .alter_table(
                    Table::alter()
                        .table(CaseStats::Table)
                        .add_column(counter(column))
                        .to_owned(),
                )
                .await?;
        }
        deadline_length(manager, 64).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        deadline_length(manager, 20).await?;
        for column in COLUMNS.into_iter().rev() {
            manager
                .alter_table(
                    Table::alter()
                        .table(CaseStats::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
