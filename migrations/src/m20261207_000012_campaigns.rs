//! Campaigns (惠民工程): a city's time-boxed call for suggestions, the
//! working groups of departments that answer them, each suggestion's
//! disposition and published answer, clusters of merged suggestions, the
//! projects chosen (money in integer fen), their milestones and the
//! suggestions or clusters they came from.
//!
//! A suggestion is a case of kind `suggestion` (the new `cases.kind`
//! column), so intake, rules, redaction, tracking codes, the timeline and
//! the statistics carry over; `campaign_suggestions` holds what only a
//! suggestion has. Nothing is deleted when suggestions are merged: each
//! keeps its row and points at its cluster.

use crate::columns::{optional, required, same_tenant_fk, uuid_pk};
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{DbBackend, Statement};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Cases {
    Table,
    Id,
    /// `case` or `suggestion`.
    Kind,
}

#[derive(DeriveIden)]
enum Departments {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Campaigns {
    Table,
    Id,
    TenantId,
    Slug,
    Title,
    Description,
    /// What the campaign may commit, in fen.
    BudgetFen,
    /// draft, collecting, answering, selecting, implementing, closed.
    Phase,
    /// `[{"phase", "planned": date|null, "started_at": time|null}]`.
    Phases,
    AnswerDays,
    /// The category codes suggestions are filed under.
    Themes,
    /// `[{"code", "name", "progress"}]`: the project statuses.
    Statuses,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum CampaignGroups {
    Table,
    Id,
    TenantId,
    CampaignId,
    Name,
    /// Department ids (a department may serve in several groups).
    Departments,
    /// The themes (category codes) this group answers.
    Themes,
    CreatedAt,
}

#[derive(DeriveIden)]
enum CampaignClusters {
    Table,
    Id,
    TenantId,
    CampaignId,
    Title,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum CampaignSuggestions {
    Table,
    CaseId,
    TenantId,
    CampaignId,
    GroupId,
    /// not_answered, under_study, adopted, partly_adopted, merged,
    /// not_adopted, withdrawn.
    Disposition,
    /// The answer as drafted; public once published.
    Answer,
    /// Why it is not adopted (required then).
    Reason,
    AnsweredBy,
    AnsweredAt,
    PublishedAt,
    ClusterId,
    SubmittedAt,
}

#[derive(DeriveIden)]
enum CampaignProjects {
    Table,
    Id,
    TenantId,
    CampaignId,
    Reference,
    Title,
    Description,
    Theme,
    LeadDepartmentId,
    PlannedFen,
    SpentFen,
    StartsOn,
    EndsOn,
    Status,
    Progress,
    ParentId,
    Weight,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum CampaignMilestones {
    Table,
    Id,
    TenantId,
    ProjectId,
    Day,
    Text,
    ImageUrl,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum CampaignProjectSources {
    Table,
    Id,
    TenantId,
    ProjectId,
    ClusterId,
    CaseId,
}

const TABLES: [&str; 7] = [
    "campaigns",
    "campaign_groups",
    "campaign_clusters",
    "campaign_suggestions",
    "campaign_projects",
    "campaign_milestones",
    "campaign_project_sources",
];

/// Permissions the built-in roles of existing cities gain.
const NEW_GRANTS: &[(&str, &[&str])] = &[
    ("city-admin", &["campaign:write", "campaign:answer"]),
    ("department-admin", &["campaign:answer"]),
    ("department-staff", &["campaign:answer"]),
];

fn unique(name: &str, table: impl IntoIden, cols: &[&'static str]) -> IndexCreateStatement {
    let mut index = Index::create().name(name).table(table).unique().to_owned();
    for col in cols {
        index.col(Alias::new(*col));
    }
    index
}

fn index(name: &str, table: impl IntoIden, cols: &[&'static str]) -> IndexCreateStatement {
    let mut index = Index::create().name(name).table(table).to_owned();
    for col in cols {
        index.col(Alias::new(*col));
    }
    index
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Cases::Table)
                    .add_column(
                        ColumnDef::new(Cases::Kind)
                            .string_len(20)
                            .not_null()
                            .default("case"),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Campaigns::Table)
                    .col(uuid_pk(Campaigns::Id))
                    .col(required(Campaigns::TenantId).uuid())
                    .col(required(Campaigns::Slug).string_len(64))
                    .col(required(Campaigns::Title).string_len(200))
                    .col(required(Campaigns::Description).text())
                    .col(required(Campaigns::BudgetFen).big_integer())
                    .col(required(Campaigns::Phase).string_len(20))
                    .col(required(Campaigns::Phases).json_binary())
                    .col(required(Campaigns::AnswerDays).integer())
                    .col(required(Campaigns::Themes).json_binary())
                    .col(required(Campaigns::Statuses).json_binary())
                    .col(required(Campaigns::CreatedAt).timestamp_with_time_zone())
                    .col(required(Campaigns::UpdatedAt).timestamp_with_time_zone())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(unique(
                "uq_campaigns_tenant_slug",
                Campaigns::Table,
                &["tenant_id", "slug"],
            ))
            .await?;
        manager
            .create_index(unique(
                "uq_campaigns_tenant_id",
                Campaigns::Table,
                &["tenant_id", "id"],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(CampaignGroups::Table)
                    .col(uuid_pk(CampaignGroups::Id))
                    .col(required(CampaignGroups::TenantId).uuid())
                    .col(required(CampaignGroups::CampaignId).uuid())
                    .col(required(CampaignGroups::Name).string_len(200))
                    .col(required(CampaignGroups::Departments).json_binary())
                    .col(required(CampaignGroups::Themes).json_binary())
                    .col(required(CampaignGroups::CreatedAt).timestamp_with_time_zone())
                    .foreign_key(&mut same_tenant_fk(
                        "fk_campaign_groups_campaign",
                        (CampaignGroups::Table, CampaignGroups::CampaignId),
                        (Campaigns::Table, Campaigns::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(unique(
                "uq_campaign_groups_tenant_id",
                CampaignGroups::Table,
                &["tenant_id", "id"],
            ))
            .await?;
        manager
            .create_index(unique(
                "uq_campaign_groups_tenant_campaign_name",
                CampaignGroups::Table,
                &["tenant_id", "campaign_id", "name"],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(CampaignClusters::Table)
                    .col(uuid_pk(CampaignClusters::Id))
                    .col(required(CampaignClusters::TenantId).uuid())
                    .col(required(CampaignClusters::CampaignId).uuid())
                    .col(required(CampaignClusters::Title).string_len(200))
                    .col(required(CampaignClusters::CreatedBy).string_len(200))
                    .col(required(CampaignClusters::CreatedAt).timestamp_with_time_zone())
                    .foreign_key(&mut same_tenant_fk(
                        "fk_campaign_clusters_campaign",
                        (CampaignClusters::Table, CampaignClusters::CampaignId),
                        (Campaigns::Table, Campaigns::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(unique(
                "uq_campaign_clusters_tenant_id",
                CampaignClusters::Table,
                &["tenant_id", "id"],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(CampaignSuggestions::Table)
                    .col(uuid_pk(CampaignSuggestions::CaseId))
                    .col(required(CampaignSuggestions::TenantId).uuid())
                    .col(required(CampaignSuggestions::CampaignId).uuid())
                    .col(optional(CampaignSuggestions::GroupId).uuid())
                    .col(required(CampaignSuggestions::Disposition).string_len(20))
                    .col(optional(CampaignSuggestions::Answer).text())
                    .col(optional(CampaignSuggestions::Reason).text())
                    .col(optional(CampaignSuggestions::AnsweredBy).string_len(200))
                    .col(optional(CampaignSuggestions::AnsweredAt).timestamp_with_time_zone())
                    .col(optional(CampaignSuggestions::PublishedAt).timestamp_with_time_zone())
                    .col(optional(CampaignSuggestions::ClusterId).uuid())
                    .col(required(CampaignSuggestions::SubmittedAt).timestamp_with_time_zone())
                    .foreign_key(&mut same_tenant_fk(
                        "fk_campaign_suggestions_case",
                        (CampaignSuggestions::Table, CampaignSuggestions::CaseId),
                        (Cases::Table, Cases::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut same_tenant_fk(
                        "fk_campaign_suggestions_campaign",
                        (CampaignSuggestions::Table, CampaignSuggestions::CampaignId),
                        (Campaigns::Table, Campaigns::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut same_tenant_fk(
                        "fk_campaign_suggestions_group",
                        (CampaignSuggestions::Table, CampaignSuggestions::GroupId),
                        (CampaignGroups::Table, CampaignGroups::Id),
                        ForeignKeyAction::NoAction,
                    ))
                    .foreign_key(&mut same_tenant_fk(
                        "fk_campaign_suggestions_cluster",
                        (CampaignSuggestions::Table, CampaignSuggestions::ClusterId),
                        (CampaignClusters::Table, CampaignClusters::Id),
                        ForeignKeyAction::NoAction,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(unique(
                "uq_campaign_suggestions_tenant_case",
                CampaignSuggestions::Table,
                &["tenant_id", "case_id"],
            ))
            .await?;
        manager
            .create_index(index(
                "ix_campaign_suggestions_campaign",
                CampaignSuggestions::Table,
                &["tenant_id", "campaign_id", "group_id", "disposition"],
            ))
            .await?;
        manager
            .create_index(index(
                "ix_campaign_suggestions_cluster",
                CampaignSuggestions::Table,
                &["tenant_id", "cluster_id"],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(CampaignProjects::Table)
                    .col(uuid_pk(CampaignProjects::Id))
                    .col(required(CampaignProjects::TenantId).uuid())
                    .col(required(CampaignProjects::CampaignId).uuid())
                    .col(required(CampaignProjects::Reference).string_len(64))
                    .col(required(CampaignProjects::Title).string_len(200))
                    .col(required(CampaignProjects::Description).text())
                    .col(optional(CampaignProjects::Theme).string_len(64))
                    .col(optional(CampaignProjects::LeadDepartmentId).uuid())
                    .col(required(CampaignProjects::PlannedFen).big_integer())
                    .col(required(CampaignProjects::SpentFen).big_integer())
                    .col(optional(CampaignProjects::StartsOn).date())
                    .col(optional(CampaignProjects::EndsOn).date())
                    .col(required(CampaignProjects::Status).string_len(32))
                    .col(required(CampaignProjects::Progress).small_integer())
                    .col(optional(CampaignProjects::ParentId).uuid())
                    .col(required(CampaignProjects::Weight).integer())
                    .col(required(CampaignProjects::CreatedAt).timestamp_with_time_zone())
                    .col(required(CampaignProjects::UpdatedAt).timestamp_with_time_zone())
                    .foreign_key(&mut same_tenant_fk(
                        "fk_campaign_projects_campaign",
                        (CampaignProjects::Table, CampaignProjects::CampaignId),
                        (Campaigns::Table, Campaigns::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut same_tenant_fk(
                        "fk_campaign_projects_lead",
                        (CampaignProjects::Table, CampaignProjects::LeadDepartmentId),
                        (Departments::Table, Departments::Id),
                        ForeignKeyAction::NoAction,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(unique(
                "uq_campaign_projects_tenant_id",
                CampaignProjects::Table,
                &["tenant_id", "id"],
            ))
            .await?;
        manager
            .create_index(unique(
                "uq_campaign_projects_tenant_reference",
                CampaignProjects::Table,
                &["tenant_id", "campaign_id", "reference"],
            ))
            .await?;
        manager
            .create_index(index(
                "ix_campaign_projects_parent",
                CampaignProjects::Table,
                &["tenant_id", "parent_id"],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(CampaignMilestones::Table)
                    .col(uuid_pk(CampaignMilestones::Id))
                    .col(required(CampaignMilestones::TenantId).uuid())
                    .col(required(CampaignMilestones::ProjectId).uuid())
                    .col(required(CampaignMilestones::Day).date())
                    .col(required(CampaignMilestones::Text).text())
                    .col(optional(CampaignMilestones::ImageUrl).string_len(500))
                    .col(required(CampaignMilestones::CreatedBy).string_len(200))
                    .col(required(CampaignMilestones::CreatedAt).timestamp_with_time_zone())
                    .foreign_key(&mut same_tenant_fk(
                        "fk_campaign_milestones_project",
                        (CampaignMilestones::Table, CampaignMilestones::ProjectId),
                        (CampaignProjects::Table, CampaignProjects::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_campaign_milestones_project",
                CampaignMilestones::Table,
                &["tenant_id", "project_id", "day"],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(CampaignProjectSources::Table)
                    .col(uuid_pk(CampaignProjectSources::Id))
                    .col(required(CampaignProjectSources::TenantId).uuid())
                    .col(required(CampaignProjectSources::ProjectId).uuid())
                    .col(optional(CampaignProjectSources::ClusterId).uuid())
                    .col(optional(CampaignProjectSources::CaseId).uuid())
                    .foreign_key(&mut same_tenant_fk(
                        "fk_campaign_sources_project",
                        (
                            CampaignProjectSources::Table,
                            CampaignProjectSources::ProjectId,
                        ),
                        (CampaignProjects::Table, CampaignProjects::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut same_tenant_fk(
                        "fk_campaign_sources_cluster",
                        (
                            CampaignProjectSources::Table,
                            CampaignProjectSources::ClusterId,
                        ),
                        (CampaignClusters::Table, CampaignClusters::Id),
                        ForeignKeyAction::NoAction,
                    ))
                    .foreign_key(&mut same_tenant_fk(
                        "fk_campaign_sources_case",
                        (
                            CampaignProjectSources::Table,
                            CampaignProjectSources::CaseId,
                        ),
                        (CampaignSuggestions::Table, CampaignSuggestions::CaseId),
                        ForeignKeyAction::NoAction,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_campaign_sources_project",
                CampaignProjectSources::Table,
                &["tenant_id", "project_id"],
            ))
            .await?;
        manager
            .create_index(index(
                "ix_campaign_sources_cluster",
                CampaignProjectSources::Table,
                &["tenant_id", "cluster_id"],
            ))
            .await?;
        manager
            .create_index(index(
                "ix_campaign_sources_case",
                CampaignProjectSources::Table,
                &["tenant_id", "case_id"],
            ))
            .await?;

        let backend = manager.get_database_backend();
        let db = manager.get_connection();
        if backend == DbBackend::Postgres {
            for table in TABLES {
                db.execute_unprepared(&super::m20261128_000003_row_level_security::enable_sql(
                    table,
                ))
                .await?;
            }
        }
        grant_new_permissions(db, backend).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in TABLES.iter().rev() {
            manager
                .drop_table(Table::drop().table(Alias::new(*table)).to_owned())
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Cases::Table)
                    .drop_column(Cases::Kind)
                    .to_owned(),
            )
            .await
    }
}

/// The built-in roles of cities made before campaigns gain the campaign
/// permissions their definition now lists (new cities get them at birth).
async fn grant_new_permissions(
    db: &SchemaManagerConnection<'_>,
    backend: DbBackend,
) -> Result<(), DbErr> {
    for (role, permissions) in NEW_GRANTS {
        let rows = db
            .query_all_raw(Statement::from_sql_and_values(
                backend,
                match backend {
                    DbBackend::Postgres => {
                        "SELECT id, permissions::text AS permissions FROM roles WHERE builtin AND code = $1"
                    }
                    _ => "SELECT id, CAST(permissions AS TEXT) AS permissions FROM roles WHERE builtin AND code = ?",
                },
                [(*role).into()],
            ))
            .await?;
        for row in rows {
            let id: sea_orm_migration::sea_orm::prelude::Uuid = row.try_get("", "id")?;
            let text: String = row.try_get("", "permissions")?;
            let mut list: Vec<String> = serde_json_list(&text);
            let before = list.len();
            for p in *permissions {
                if !list.iter().any(|have| have == p) {
                    list.push((*p).to_owned());
                }
            }
            if list.len() == before {
                continue;
            }
            let json = format!(
                "[{}]",
                list.iter()
                    .map(|p| format!("\"{p}\""))
                    .collect::<Vec<_>>()
                    .join(",")
            );
            let sql = match backend {
                DbBackend::Postgres => "UPDATE roles SET permissions = $1::jsonb WHERE id = $2",
                _ => "UPDATE roles SET permissions = ? WHERE id = ?",
            };
            db.execute_raw(Statement::from_sql_and_values(
                backend,
                sql,
                [json.into(), id.into()],
            ))
            .await?;
        }
    }
    db.execute_unprepared("UPDATE policy_version SET version = version + 1")
        .await?;
    Ok(())
}

/// A JSON list of permission names (`resource:action`, no quotes inside).
fn serde_json_list(text: &str) -> Vec<String> {
    text.trim()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .split(',')
        .map(|p| p.trim().trim_matches('"').to_owned())
        .filter(|p| !p.is_empty())
        .collect()
}
