//! The newest public answers (the home page's 已答复 list, the sitemap)
//! through a partial index of just those cases, newest first: without it
//! both databases walked the newest cases of every state until five were
//! answered (or read every answered case's entry and sorted them), 2 to
//! 85 ms on 100,000 cases (`benches/reads.rs`). The condition is the one
//! `queries::cases::PUBLISHED_ANSWERS` writes into the query, word for word.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE INDEX ix_cases_published_answers ON cases (tenant_id, submitted_at) \
                 WHERE \"public\" AND \"state\" IN ('answered', 'closed')",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("DROP INDEX ix_cases_published_answers")
            .await?;
        Ok(())
    }
}
