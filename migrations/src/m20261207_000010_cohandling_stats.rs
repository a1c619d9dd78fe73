//! Co-handling (协办) in the statistics: per city and department and day,
//! the cases a department was named co-handler of, the opinions it gave,
//! how many of them by their deadline, and those that went overdue.

use crate::columns::counter;
use sea_orm_migration::prelude::*;

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
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
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
