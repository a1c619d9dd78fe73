//! The escalation engine's tables: work that must happen at a time
//! (`due_work`), the escalations that happened, exactly once each
//! (`escalations`, unique per case, deadline and level), the outbox of
//! notifications written in the same transaction as what they announce,
//! and the webhook endpoints cities register.
//! Cases remember how far they have been escalated; the rollup counts
//! overdue and supervised cases.

use crate::columns::{counter, optional, required, same_tenant_fk, uuid_pk};
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum DueWork {
    Table,
    Id,
    TenantId,
    CaseId,
    /// Which deadline: `answer`.
    Deadline,
    /// 0 reminder, 1 overdue (超期), 2 supervision (督办), 3 city admin.
    Level,
    /// The deadline this step belongs to (a moved deadline makes the step
    /// stale).
    DeadlineAt,
    DueAt,
    /// `pending`, `done` or `cancelled`.
    State,
    LeaseOwner,
    LeaseUntil,
    Attempts,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Escalations {
    Table,
    Id,
    TenantId,
    CaseId,
    Deadline,
    Level,
    DeadlineAt,
    DueAt,
    FiredAt,
    Worker,
    /// `ladder`, or the rule that decided.
    Source,
}

#[derive(DeriveIden)]
enum Outbox {
    Table,
    Id,
    TenantId,
    CaseId,
    /// `email` or `webhook`.
    Channel,
    /// An email address, or a webhook endpoint's id.
    Recipient,
    /// What happened: `case.answered`, `case.overdue`, …
    Event,
    Subject,
    Body,
    /// `pending`, `sent` or `failed` (gave up).
    State,
    Attempts,
    NextAttemptAt,
    LeaseOwner,
    LeaseUntil,
    LastError,
    CreatedAt,
    SentAt,
}

#[derive(DeriveIden)]
enum Webhooks {
    Table,
    Id,
    TenantId,
    Url,
    /// `whsec_` and 24 random bytes in base64 (Standard Webhooks); needed
    /// in clear to sign, so kept like a password the platform must use.
    Secret,
    /// A JSON list of event types, or `["*"]`.
    Events,
    Active,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Tenants {
    Table,
    /// The city's own mail texts (`[mail]` in tenant.toml): key → text.
    MailTemplates,
}

#[derive(DeriveIden)]
enum Cases {
    Table,
    Id,
    /// The highest escalation level reached for the current deadline.
    EscalationLevel,
}

#[derive(DeriveIden)]
enum CaseStats {
    Table,
    Overdue,
    Supervised,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(DueWork::Table)
                    .col(uuid_pk(DueWork::Id))
                    .col(required(DueWork::TenantId).uuid())
                    .col(required(DueWork::CaseId).uuid())
                    .col(required(DueWork::Deadline).string_len(20))
                    .col(required(DueWork::Level).small_integer())
                    .col(required(DueWork::DeadlineAt).timestamp_with_time_zone())
                    .col(required(DueWork::DueAt).timestamp_with_time_zone())
                    .col(required(DueWork::State).string_len(12))
                    .col(optional(DueWork::LeaseOwner).string_len(80))
                    .col(optional(DueWork::LeaseUntil).timestamp_with_time_zone())
                    .col(required(DueWork::Attempts).integer().default(0))
                    .col(required(DueWork::CreatedAt).timestamp_with_time_zone())
                    .col(required(DueWork::UpdatedAt).timestamp_with_time_zone())
                    .foreign_key(&mut same_tenant_fk(
                        "fk_due_work_case",
                        (DueWork::Table, DueWork::CaseId),
                        (Cases::Table, Cases::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        // The workers' question: what is pending and due, oldest first.
        manager
            .create_index(
                Index::create()
                    .name("ix_due_work_state_due")
                    .table(DueWork::Table)
                    .col(DueWork::State)
                    .col(DueWork::DueAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_due_work_tenant_case")
                    .table(DueWork::Table)
                    .col(DueWork::TenantId)
                    .col(DueWork::CaseId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Escalations::Table)
                    .col(uuid_pk(Escalations::Id))
                    .col(required(Escalations::TenantId).uuid())
                    .col(required(Escalations::CaseId).uuid())
                    .col(required(Escalations::Deadline).string_len(20))
                    .col(required(Escalations::Level).small_integer())
                    .col(required(Escalations::DeadlineAt).timestamp_with_time_zone())
                    .col(required(Escalations::DueAt).timestamp_with_time_zone())
                    .col(required(Escalations::FiredAt).timestamp_with_time_zone())
                    .col(required(Escalations::Worker).string_len(80))
                    .col(required(Escalations::Source).string_len(80))
                    // Exactly once: a second worker's insert of the same
                    // step fails, and its transaction does nothing.
                    .index(
                        Index::create()
                            .name("uq_escalations_step")
                            .col(Escalations::TenantId)
                            .col(Escalations::CaseId)
                            .col(Escalations::Deadline)
                            .col(Escalations::DeadlineAt)
                            .col(Escalations::Level)
                            .unique(),
                    )
                    .foreign_key(&mut same_tenant_fk(
                        "fk_escalations_case",
                        (Escalations::Table, Escalations::CaseId),
                        (Cases::Table, Cases::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Outbox::Table)
                    .col(uuid_pk(Outbox::Id))
                    .col(required(Outbox::TenantId).uuid())
                    .col(optional(Outbox::CaseId).uuid())
                    .col(required(Outbox::Channel).string_len(12))
                    .col(required(Outbox::Recipient).string_len(300))
                    .col(required(Outbox::Event).string_len(40))
                    .col(required(Outbox::Subject).string_len(300))
                    .col(required(Outbox::Body).text())
                    .col(required(Outbox::State).string_len(12))
                    .col(required(Outbox::Attempts).integer().default(0))
                    .col(required(Outbox::NextAttemptAt).timestamp_with_time_zone())
                    .col(optional(Outbox::LeaseOwner).string_len(80))
                    .col(optional(Outbox::LeaseUntil).timestamp_with_time_zone())
                    .col(optional(Outbox::LastError).text())
                    .col(required(Outbox::CreatedAt).timestamp_with_time_zone())
                    .col(optional(Outbox::SentAt).timestamp_with_time_zone())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_outbox_state_next")
                    .table(Outbox::Table)
                    .col(Outbox::State)
                    .col(Outbox::NextAttemptAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_outbox_tenant_created")
                    .table(Outbox::Table)
                    .col(Outbox::TenantId)
                    .col(Outbox::CreatedAt)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Webhooks::Table)
                    .col(uuid_pk(Webhooks::Id))
                    .col(required(Webhooks::TenantId).uuid())
                    .col(required(Webhooks::Url).string_len(500))
                    .col(required(Webhooks::Secret).string_len(100))
                    .col(required(Webhooks::Events).json())
                    .col(required(Webhooks::Active).boolean())
                    .col(required(Webhooks::CreatedAt).timestamp_with_time_zone())
                    .to_owned(),
            )
            .await?;

        // SQLite alters one column per statement.
        manager
            .alter_table(
                Table::alter()
                    .table(Cases::Table)
                    .add_column(
                        ColumnDef::new(Cases::EscalationLevel)
                            .small_integer()
                            .not_null()
                            .default(0),
                    )
                    .to_owned(),
            )
            .await?;
        for column in [CaseStats::Overdue, CaseStats::Supervised] {
            manager
                .alter_table(
                    Table::alter()
                        .table(CaseStats::Table)
                        .add_column(counter(column))
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Tenants::Table)
                    .add_column(ColumnDef::new(Tenants::MailTemplates).json().null())
                    .to_owned(),
            )
            .await?;

        if manager.get_database_backend() == DbBackend::Postgres {
            let db = manager.get_connection();
            for table in ["due_work", "escalations", "outbox", "webhooks"] {
                db.execute_unprepared(&super::m20261128_000003_row_level_security::enable_sql(
                    table,
                ))
                .await?;
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Tenants::Table)
                    .drop_column(Tenants::MailTemplates)
                    .to_owned(),
            )
            .await?;
        for column in [CaseStats::Overdue, CaseStats::Supervised] {
            manager
                .alter_table(
                    Table::alter()
                        .table(CaseStats::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Cases::Table)
                    .drop_column(Cases::EscalationLevel)
                    .to_owned(),
            )
            .await?;
        for table in [
            Webhooks::Table.into_iden(),
            Outbox::Table.into_iden(),
            Escalations::Table.into_iden(),
            DueWork::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
