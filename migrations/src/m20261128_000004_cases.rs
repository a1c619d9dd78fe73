//! Cases (petitions), their co-handling departments, their append-only
//! timeline, idempotency keys for submission, and the statistics rollup that
//! is updated in the same transaction as every event that changes it. The
//! rollup is split into shards so concurrent transactions seldom wait for
//! the same row; readers sum the shards.

use crate::columns::*;
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Cases {
    Table,
    Id,
    TenantId,
    TrackingCode,
    SecretHash,
    CategoryId,
    Title,
    Body,
    Address,
    Latitude,
    Longitude,
    ContactName,
    ContactPhone,
    ContactEmail,
    Public,
    CitizenId,
    State,
    LeadDepartmentId,
    ExtensionPending,
    Reopened,
    SubmittedAt,
    AcceptDeadline,
    AnswerDeadline,
    AcceptedAt,
    AnsweredAt,
    ClosedAt,
    Answer,
    Rating,
    RatingComment,
    RatedAt,
    Views,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum CaseDepartments {
    Table,
    TenantId,
    CaseId,
    DepartmentId,
}

#[derive(DeriveIden)]
enum CaseEvents {
    Table,
    Id,
    TenantId,
    CaseId,
    At,
    Actor,
    Action,
    FromState,
    ToState,
    DepartmentId,
    Public,
    Text,
    Detail,
}

#[derive(DeriveIden)]
enum CaseIdempotency {
    Table,
    TenantId,
    Key,
    RequestHash,
    CaseId,
    Response,
    CreatedAt,
}

#[derive(DeriveIden)]
enum CaseStats {
    Table,
    TenantId,
    DepartmentId,
    Day,
    Shard,
    Received,
    Accepted,
    Answered,
    AnsweredOnTime,
    AnswerSeconds,
    Rated,
    Satisfied,
    Views,
}

#[derive(DeriveIden)]
enum Departments {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Categories {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Cases::Table)
                    .col(ColumnDef::new(Cases::Id).uuid().not_null().primary_key())
                    .col(required(Cases::TenantId).uuid())
                    .col(required(Cases::TrackingCode).string_len(16))
                    .col(required(Cases::SecretHash).string_len(64))
                    .col(required(Cases::CategoryId).uuid())
                    .col(required(Cases::Title).string_len(200))
                    .col(required(Cases::Body).text())
                    .col(optional(Cases::Address).string_len(300))
                    .col(optional(Cases::Latitude).double())
                    .col(optional(Cases::Longitude).double())
                    .col(optional(Cases::ContactName).string_len(100))
                    .col(optional(Cases::ContactPhone).string_len(50))
                    .col(optional(Cases::ContactEmail).string_len(200))
                    .col(required(Cases::Public).boolean())
                    .col(optional(Cases::CitizenId).uuid())
                    .col(required(Cases::State).string_len(20))
                    .col(optional(Cases::LeadDepartmentId).uuid())
                    .col(required(Cases::ExtensionPending).boolean())
                    .col(required(Cases::Reopened).integer())
                    .col(required(Cases::SubmittedAt).timestamp_with_time_zone())
                    .col(required(Cases::AcceptDeadline).timestamp_with_time_zone())
                    .col(required(Cases::AnswerDeadline).timestamp_with_time_zone())
                    .col(optional(Cases::AcceptedAt).timestamp_with_time_zone())
                    .col(optional(Cases::AnsweredAt).timestamp_with_time_zone())
                    .col(optional(Cases::ClosedAt).timestamp_with_time_zone())
                    .col(optional(Cases::Answer).text())
                    .col(optional(Cases::Rating).string_len(24))
                    .col(optional(Cases::RatingComment).text())
                    .col(optional(Cases::RatedAt).timestamp_with_time_zone())
                    .col(required(Cases::Views).big_integer().default(0))
                    .col(required(Cases::UpdatedAt).timestamp_with_time_zone())
                    .index(
                        Index::create()
                            .name("uq_cases_tenant_code")
                            .col(Cases::TenantId)
                            .col(Cases::TrackingCode)
                            .unique(),
                    )
                    .index(
                        Index::create()
                            .name("uq_cases_tenant_id")
                            .col(Cases::TenantId)
                            .col(Cases::Id)
                            .unique(),
                    )
                    .foreign_key(&mut same_tenant_fk(
                        "fk_cases_category",
                        (Cases::Table, Cases::CategoryId),
                        (Categories::Table, Categories::Id),
                        ForeignKeyAction::NoAction,
                    ))
                    .foreign_key(&mut same_tenant_fk(
                        "fk_cases_lead_department",
                        (Cases::Table, Cases::LeadDepartmentId),
                        (Departments::Table, Departments::Id),
                        ForeignKeyAction::NoAction,
                    ))
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            ("ix_cases_tenant_state", vec![Cases::TenantId, Cases::State]),
            (
                "ix_cases_tenant_submitted",
                vec![Cases::TenantId, Cases::SubmittedAt],
            ),
            (
                "ix_cases_tenant_lead",
                vec![Cases::TenantId, Cases::LeadDepartmentId],
            ),
        ] {
            let mut index = Index::create().name(name).table(Cases::Table).to_owned();
            for col in cols {
                index.col(col);
            }
            manager.create_index(index).await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(CaseDepartments::Table)
                    .col(required(CaseDepartments::TenantId).uuid())
                    .col(required(CaseDepartments::CaseId).uuid())
                    .col(required(CaseDepartments::DepartmentId).uuid())
                    .primary_key(
                        Index::create()
                            .col(CaseDepartments::TenantId)
                            .col(CaseDepartments::CaseId)
                            .col(CaseDepartments::DepartmentId),
                    )
                    .foreign_key(&mut same_tenant_fk(
                        "fk_case_departments_case",
                        (CaseDepartments::Table, CaseDepartments::CaseId),
                        (Cases::Table, Cases::Id),
                        ForeignKeyAction::NoAction,
                    ))
                    .foreign_key(&mut same_tenant_fk(
                        "fk_case_departments_department",
                        (CaseDepartments::Table, CaseDepartments::DepartmentId),
                        (Departments::Table, Departments::Id),
                        ForeignKeyAction::NoAction,
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(CaseEvents::Table)
                    .col(
                        ColumnDef::new(CaseEvents::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(required(CaseEvents::TenantId).uuid())
                    .col(required(CaseEvents::CaseId).uuid())
                    .col(required(CaseEvents::At).timestamp_with_time_zone())
                    .col(required(CaseEvents::Actor).string_len(200))
                    .col(required(CaseEvents::Action).string_len(32))
                    .col(optional(CaseEvents::FromState).string_len(20))
                    .col(optional(CaseEvents::ToState).string_len(20))
                    .col(optional(CaseEvents::DepartmentId).uuid())
                    .col(required(CaseEvents::Public).boolean())
                    .col(optional(CaseEvents::Text).text())
                    .col(optional(CaseEvents::Detail).json_binary())
                    .foreign_key(&mut same_tenant_fk(
                        "fk_case_events_case",
                        (CaseEvents::Table, CaseEvents::CaseId),
                        (Cases::Table, Cases::Id),
                        ForeignKeyAction::NoAction,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_case_events_case")
                    .table(CaseEvents::Table)
                    .col(CaseEvents::TenantId)
                    .col(CaseEvents::CaseId)
                    .col(CaseEvents::At)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(CaseIdempotency::Table)
                    .col(required(CaseIdempotency::TenantId).uuid())
                    .col(required(CaseIdempotency::Key).string_len(200))
                    .col(required(CaseIdempotency::RequestHash).string_len(64))
                    .col(required(CaseIdempotency::CaseId).uuid())
                    .col(required(CaseIdempotency::Response).json_binary())
                    .col(required(CaseIdempotency::CreatedAt).timestamp_with_time_zone())
                    .primary_key(
                        Index::create()
                            .col(CaseIdempotency::TenantId)
                            .col(CaseIdempotency::Key),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(CaseStats::Table)
                    .col(required(CaseStats::TenantId).uuid())
                    .col(required(CaseStats::DepartmentId).uuid())
                    .col(required(CaseStats::Day).date())
                    .col(required(CaseStats::Shard).small_integer())
                    .col(counter(CaseStats::Received))
                    .col(counter(CaseStats::Accepted))
                    .col(counter(CaseStats::Answered))
                    .col(counter(CaseStats::AnsweredOnTime))
                    .col(counter(CaseStats::AnswerSeconds))
                    .col(counter(CaseStats::Rated))
                    .col(counter(CaseStats::Satisfied))
                    .col(counter(CaseStats::Views))
                    .primary_key(
                        Index::create()
                            .col(CaseStats::TenantId)
                            .col(CaseStats::DepartmentId)
                            .col(CaseStats::Day)
                            .col(CaseStats::Shard),
                    )
                    .to_owned(),
            )
            .await?;

        if manager.get_database_backend() == DbBackend::Postgres {
            let db = manager.get_connection();
            for table in [
                "cases",
                "case_departments",
                "case_events",
                "case_idempotency",
                "case_stats",
            ] {
                db.execute_unprepared(&super::m20261128_000003_row_level_security::enable_sql(
                    table,
                ))
                .await?;
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            CaseStats::Table.into_iden(),
            CaseIdempotency::Table.into_iden(),
            CaseEvents::Table.into_iden(),
            CaseDepartments::Table.into_iden(),
            Cases::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
