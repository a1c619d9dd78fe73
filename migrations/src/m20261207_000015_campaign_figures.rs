//! A campaign's public figures kept on its row (suggestions received,
//! answered, adopted; top-level projects, those from citizens, the budget
//! they commit, those delivered), changed in the same transaction as each
//! write that changes them, so a campaign's page reads one row instead of
//! counting thousands. Existing campaigns are counted once here.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The figure columns, as the application names them.
const COLUMNS: [&str; 7] = [
    "figure_suggestions",
    "figure_answered",
    "figure_adopted",
    "figure_projects",
    "figure_from_citizens",
    "figure_committed_fen",
    "figure_delivered",
];

/// Each figure as a recount (correlated to the campaign row).
const RECOUNT: &str = "UPDATE campaigns SET
  figure_suggestions = (SELECT COUNT(*) FROM campaign_suggestions s
    WHERE s.tenant_id = campaigns.tenant_id AND s.campaign_id = campaigns.id),
  figure_answered = (SELECT COUNT(*) FROM campaign_suggestions s
    WHERE s.tenant_id = campaigns.tenant_id AND s.campaign_id = campaigns.id
      AND s.published_at IS NOT NULL),
  figure_adopted = (SELECT COUNT(*) FROM campaign_suggestions s
    WHERE s.tenant_id = campaigns.tenant_id AND s.campaign_id = campaigns.id
      AND s.published_at IS NOT NULL AND s.disposition IN ('adopted', 'partly_adopted')),
  figure_projects = (SELECT COUNT(*) FROM campaign_projects p
    WHERE p.tenant_id = campaigns.tenant_id AND p.campaign_id = campaigns.id
      AND p.parent_id IS NULL),
  figure_from_citizens = (SELECT COUNT(*) FROM campaign_projects p
    WHERE p.tenant_id = campaigns.tenant_id AND p.campaign_id = campaigns.id
      AND p.parent_id IS NULL AND EXISTS (SELECT 1 FROM campaign_project_sources x
        WHERE x.tenant_id = p.tenant_id AND x.project_id = p.id)),
  figure_committed_fen = (SELECT COALESCE(SUM(p.planned_fen), 0) FROM campaign_projects p
    WHERE p.tenant_id = campaigns.tenant_id AND p.campaign_id = campaigns.id
      AND p.parent_id IS NULL),
  figure_delivered = (SELECT COUNT(*) FROM campaign_projects p
    WHERE p.tenant_id = campaigns.tenant_id AND p.campaign_id = campaigns.id
      AND p.parent_id IS NULL AND p.status = 'delivered')";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one thing at a time.
        for column in COLUMNS {
            manager
                .alter_table(
                    Table::alter()
                        .table(Alias::new("campaigns"))
                        .add_column(
                            ColumnDef::new(Alias::new(column))
                                .big_integer()
                                .not_null()
                                .default(0),
                        )
                        .to_owned(),
                )
                .await?;
        }
        // The page of a campaign's suggestions, oldest first.
        manager
            .create_index(
                Index::create()
                    .name("ix_campaign_suggestions_submitted")
                    .table(Alias::new("campaign_suggestions"))
                    .col(Alias::new("tenant_id"))
                    .col(Alias::new("campaign_id"))
                    .col(Alias::new("submitted_at"))
                    .col(Alias::new("case_id"))
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        if manager.get_database_backend() == DbBackend::Postgres {
            // Every city's campaigns: the migration's transaction is the
            // platform's (the tables force row-level security).
            db.execute_unprepared("SELECT set_config('app.tenant_id', '*', true)")
                .await?;
        }
        db.execute_unprepared(RECOUNT).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("ix_campaign_suggestions_submitted")
                    .table(Alias::new("campaign_suggestions"))
                    .to_owned(),
            )
            .await?;
        for column in COLUMNS {
            manager
                .alter_table(
                    Table::alter()
                        .table(Alias::new("campaigns"))
                        .drop_column(Alias::new(column))
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
