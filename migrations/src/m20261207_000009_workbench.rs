//! The staff workbench: co-handling opinions (协办意见) with their own
//! deadline, answer templates (常用语) per department, supervision (督办)
//! of a case, and each city's publication settings (personal data hidden
//! from the public, review before publication, closing unrated answers).

use crate::columns::{optional, required, same_tenant_fk, uuid_pk};
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Tenants {
    Table,
    /// `{"redact_personal_data", "review_before_publication",
    /// "close_unrated_after_days", "demo"}`; null for the defaults.
    Publication,
}

#[derive(DeriveIden)]
enum CaseDepartments {
    Table,
    /// When the co-handler's opinion is due (city calendar).
    Deadline,
    /// The co-handler's opinion (协办意见), once given.
    Opinion,
    OpinionAt,
    /// Who gave it (the timeline's actor label).
    OpinionBy,
    /// The highest escalation step reached for this opinion's deadline.
    EscalationLevel,
}

#[derive(DeriveIden)]
enum Cases {
    Table,
    Id,
    TenantId,
    State,
    AnswerDeadline,
    /// When a supervisor put the case under supervision (督办); null if not.
    SupervisedAt,
    Review,
}

#[derive(DeriveIden)]
enum AnswerTemplates {
    Table,
    Id,
    TenantId,
    /// The department whose staff use it; null for the whole city.
    DepartmentId,
    Title,
    Text,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Departments {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Tenants::Table)
                    .add_column(ColumnDef::new(Tenants::Publication).json().null())
                    .to_owned(),
            )
            .await?;
        // SQLite adds one column per statement.
        let co_columns = [
            optional(CaseDepartments::Deadline)
                .timestamp_with_time_zone()
                .to_owned(),
            optional(CaseDepartments::Opinion).text().to_owned(),
            optional(CaseDepartments::OpinionAt)
                .timestamp_with_time_zone()
                .to_owned(),
            optional(CaseDepartments::OpinionBy)
                .string_len(200)
                .to_owned(),
            required(CaseDepartments::EscalationLevel)
                .small_integer()
                .default(0)
                .to_owned(),
        ];
        for mut column in co_columns {
            manager
                .alter_table(
                    Table::alter()
                        .table(CaseDepartments::Table)
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Cases::Table)
                    .add_column(
                        optional(Cases::SupervisedAt)
                            .timestamp_with_time_zone()
                            .to_owned(),
                    )
                    .to_owned(),
            )
            .await?;
        // The inbox: open cases of a state by deadline, with what its tabs
        // count, so the tab counts read the index alone; and the few cases
        // held for review, by themselves.
        manager
            .create_index(
                Index::create()
                    .name("ix_cases_tenant_state_deadline")
                    .table(Cases::Table)
                    .col(Cases::TenantId)
                    .col(Cases::State)
                    .col(Cases::AnswerDeadline)
                    .col(Cases::Id)
                    .col(Cases::SupervisedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_cases_tenant_held")
                    .table(Cases::Table)
                    .col(Cases::TenantId)
                    .col(Cases::State)
                    .and_where(Expr::col(Cases::Review).is_not_null())
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(AnswerTemplates::Table)
                    .col(uuid_pk(AnswerTemplates::Id))
                    .col(required(AnswerTemplates::TenantId).uuid())
                    .col(optional(AnswerTemplates::DepartmentId).uuid())
                    .col(required(AnswerTemplates::Title).string_len(100))
                    .col(required(AnswerTemplates::Text).text())
                    .col(required(AnswerTemplates::CreatedBy).string_len(200))
                    .col(required(AnswerTemplates::CreatedAt).timestamp_with_time_zone())
                    .col(required(AnswerTemplates::UpdatedAt).timestamp_with_time_zone())
                    .foreign_key(&mut same_tenant_fk(
                        "fk_answer_templates_department",
                        (AnswerTemplates::Table, AnswerTemplates::DepartmentId),
                        (Departments::Table, Departments::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_answer_templates_tenant_department")
                    .table(AnswerTemplates::Table)
                    .col(AnswerTemplates::TenantId)
                    .col(AnswerTemplates::DepartmentId)
                    .to_owned(),
            )
            .await?;
        if manager.get_database_backend() == DbBackend::Postgres {
            manager
                .get_connection()
                .execute_unprepared(&super::m20261128_000003_row_level_security::enable_sql(
                    "answer_templates",
                ))
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AnswerTemplates::Table).to_owned())
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("ix_cases_tenant_held")
                    .table(Cases::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("ix_cases_tenant_state_deadline")
                    .table(Cases::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Cases::Table)
                    .drop_column(Cases::SupervisedAt)
                    .to_owned(),
            )
            .await?;
        for column in [
            CaseDepartments::EscalationLevel,
            CaseDepartments::OpinionBy,
            CaseDepartments::OpinionAt,
            CaseDepartments::Opinion,
            CaseDepartments::Deadline,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(CaseDepartments::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Tenants::Table)
                    .drop_column(Tenants::Publication)
                    .to_owned(),
            )
            .await
    }
}
