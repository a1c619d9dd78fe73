//! Rule plugins: each city's uploaded components (every version kept),
//! their configuration, order and health; what rules decided about a case
//! (priority, tags, spam, duplicate, review hold, a failed rule, the text
//! before redaction); and the city's plugin limits.

use crate::columns::{optional, required, uuid_pk};
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Plugins {
    Table,
    Id,
    TenantId,
    /// From the component's descriptor: lowercase letters, digits, dashes.
    Name,
    Version,
    /// `intake` or `escalation`.
    Hook,
    /// Hex SHA-256 of the component: the compile cache's key.
    Hash,
    /// The `minsheng:rules` version it was built against.
    WitVersion,
    /// The whole descriptor (schema, fields it reads, summary, …).
    Descriptor,
    /// The uploaded component itself, never precompiled code.
    Component,
    Size,
    /// The city's configuration, checked against the descriptor's schema.
    Config,
    Enabled,
    /// Order in the chain of its hook: lower runs first.
    Position,
    /// Consecutive failures; at the limit the plugin is disabled.
    Failures,
    LastError,
    DisabledReason,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Cases {
    Table,
    TenantId,
    Title,
    SubmittedAt,
    /// 0 low, 1 normal, 2 high, 3 urgent.
    Priority,
    /// JSON list of short labels rules (or staff) put on the case.
    Tags,
    Spam,
    /// Tracking code of the case this one repeats.
    DuplicateOf,
    /// Held for a person to look at: `{"reasons": [...], "public": bool}`, the
    /// case private until released; null when not held.
    Review,
    /// A rule failed on this case and the default took over.
    RuleFailed,
    /// The text as the citizen wrote it, before redaction:
    /// `{"title": …, "text": …, "address": …}`; staff only.
    Unredacted,
}

#[derive(DeriveIden)]
enum Tenants {
    Table,
    /// Limits of one plugin call in this city (fuel, memory, time, …),
    /// within the platform's maxima; null for the defaults.
    PluginLimits,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Plugins::Table)
                    .col(uuid_pk(Plugins::Id))
                    .col(required(Plugins::TenantId).uuid())
                    .col(required(Plugins::Name).string_len(64))
                    .col(required(Plugins::Version).string_len(40))
                    .col(required(Plugins::Hook).string_len(12))
                    .col(required(Plugins::Hash).string_len(64))
                    .col(required(Plugins::WitVersion).string_len(20))
                    .col(required(Plugins::Descriptor).json())
                    .col(required(Plugins::Component).blob())
                    .col(required(Plugins::Size).integer())
                    .col(required(Plugins::Config).json())
                    .col(required(Plugins::Enabled).boolean())
                    .col(required(Plugins::Position).integer())
                    .col(required(Plugins::Failures).integer().default(0))
                    .col(optional(Plugins::LastError).text())
                    .col(optional(Plugins::DisabledReason).text())
                    .col(required(Plugins::CreatedBy).string_len(120))
                    .col(required(Plugins::CreatedAt).timestamp_with_time_zone())
                    .col(required(Plugins::UpdatedAt).timestamp_with_time_zone())
                    .index(
                        Index::create()
                            .name("uq_plugins_version")
                            .col(Plugins::TenantId)
                            .col(Plugins::Name)
                            .col(Plugins::Version)
                            .unique(),
                    )
                    .to_owned(),
            )
            .await?;

        // Rules look for recent repeats of a title (`find-same-title`).
        // With the time in the index, SQLite's planner takes it over the
        // (tenant, submitted_at) index, which would walk every recent case.
        manager
            .create_index(
                Index::create()
                    .name("ix_cases_tenant_title")
                    .table(Cases::Table)
                    .col(Cases::TenantId)
                    .col(Cases::Title)
                    .col(Cases::SubmittedAt)
                    .to_owned(),
            )
            .await?;

        // SQLite alters one column per statement.
        let columns = [
            ColumnDef::new(Cases::Priority)
                .small_integer()
                .not_null()
                .default(1)
                .to_owned(),
            ColumnDef::new(Cases::Tags).json().null().to_owned(),
            ColumnDef::new(Cases::Spam)
                .boolean()
                .not_null()
                .default(false)
                .to_owned(),
            ColumnDef::new(Cases::DuplicateOf)
                .string_len(20)
                .null()
                .to_owned(),
            ColumnDef::new(Cases::Review).json().null().to_owned(),
            ColumnDef::new(Cases::RuleFailed)
                .boolean()
                .not_null()
                .default(false)
                .to_owned(),
            ColumnDef::new(Cases::Unredacted).json().null().to_owned(),
        ];
        for mut column in columns {
            manager
                .alter_table(
                    Table::alter()
                        .table(Cases::Table)
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Tenants::Table)
                    .add_column(ColumnDef::new(Tenants::PluginLimits).json().null())
                    .to_owned(),
            )
            .await?;

        if manager.get_database_backend() == DbBackend::Postgres {
            manager
                .get_connection()
                .execute_unprepared(&super::m20261128_000003_row_level_security::enable_sql(
                    "plugins",
                ))
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Tenants::Table)
                    .drop_column(Tenants::PluginLimits)
                    .to_owned(),
            )
            .await?;
        for column in [
            Cases::Unredacted,
            Cases::RuleFailed,
            Cases::Review,
            Cases::DuplicateOf,
            Cases::Spam,
            Cases::Tags,
            Cases::Priority,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Cases::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .drop_index(
                Index::drop()
                    .name("ix_cases_tenant_title")
                    .table(Cases::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(Plugins::Table).to_owned())
            .await?;
        Ok(())
    }
}
