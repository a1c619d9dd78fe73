//! Tenants, their host names, department directory, categories and
//! working-day calendar.

use crate::columns::*;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Tenants {
    Table,
    Id,
    Slug,
    Name,
    SiteTitle,
    Locale,
    TimeZone,
    Weekend,
    PrimaryColor,
    AccentColor,
    LogoUrl,
    Footer,
    Contact,
    Active,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum TenantHosts {
    Table,
    Id,
    TenantId,
    Host,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Departments {
    Table,
    Id,
    TenantId,
    Code,
    Name,
    Kind,
    ParentId,
    Phone,
    Email,
    Address,
    Description,
    SortOrder,
    Active,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Categories {
    Table,
    Id,
    TenantId,
    Code,
    Name,
    GroupName,
    Description,
    Keywords,
    DefaultDepartmentId,
    AcceptDays,
    AnswerDays,
    PublicByDefault,
    Attributes,
    SortOrder,
    Active,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum CalendarDays {
    Table,
    Id,
    TenantId,
    Day,
    Kind,
    Name,
}

fn tenant_fk<T: IntoIden + 'static>(table: T, name: &str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from_tbl(table)
        .from_col(Alias::new("tenant_id"))
        .to_tbl(Tenants::Table)
        .to_col(Tenants::Id)
        .on_delete(ForeignKeyAction::Restrict)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Tenants::Table)
                    .col(uuid_pk(Tenants::Id))
                    .col(required(Tenants::Slug).string_len(40).unique_key())
                    .col(required(Tenants::Name).string_len(200))
                    .col(required(Tenants::SiteTitle).string_len(200))
                    .col(required(Tenants::Locale).string_len(10))
                    .col(required(Tenants::TimeZone).string_len(64))
                    .col(required(Tenants::Weekend).json_binary())
                    .col(required(Tenants::PrimaryColor).string_len(7))
                    .col(required(Tenants::AccentColor).string_len(7))
                    .col(optional(Tenants::LogoUrl).string_len(500))
                    .col(optional(Tenants::Footer).text())
                    .col(optional(Tenants::Contact).text())
                    .col(required(Tenants::Active).boolean())
                    .col(required(Tenants::CreatedAt).timestamp_with_time_zone())
                    .col(required(Tenants::UpdatedAt).timestamp_with_time_zone())
                    .to_owned(),
            )
            .await?;

        // Host names are one global namespace (a name serves at most one
        // city), so this is the one unique key without tenant_id.
        manager
            .create_table(
                Table::create()
                    .table(TenantHosts::Table)
                    .col(uuid_pk(TenantHosts::Id))
                    .col(required(TenantHosts::TenantId).uuid())
                    .col(required(TenantHosts::Host).string_len(253).unique_key())
                    .col(required(TenantHosts::CreatedAt).timestamp_with_time_zone())
                    .foreign_key(&mut tenant_fk(TenantHosts::Table, "fk_tenant_hosts_tenant"))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Departments::Table)
                    .col(uuid_pk(Departments::Id))
                    .col(required(Departments::TenantId).uuid())
                    .col(required(Departments::Code).string_len(64))
                    .col(required(Departments::Name).string_len(200))
                    .col(required(Departments::Kind).string_len(20))
                    .col(optional(Departments::ParentId).uuid())
                    .col(optional(Departments::Phone).string_len(50))
                    .col(optional(Departments::Email).string_len(200))
                    .col(optional(Departments::Address).string_len(200))
                    .col(optional(Departments::Description).text())
                    .col(required(Departments::SortOrder).integer())
                    .col(required(Departments::Active).boolean())
                    .col(required(Departments::CreatedAt).timestamp_with_time_zone())
                    .col(required(Departments::UpdatedAt).timestamp_with_time_zone())
                    .index(
                        Index::create()
                            .name("uq_departments_tenant_code")
                            .col(Departments::TenantId)
                            .col(Departments::Code)
                            .unique(),
                    )
                    .index(
                        Index::create()
                            .name("uq_departments_tenant_id")
                            .col(Departments::TenantId)
                            .col(Departments::Id)
                            .unique(),
                    )
                    .foreign_key(&mut tenant_fk(Departments::Table, "fk_departments_tenant"))
                    .foreign_key(&mut same_tenant_fk(
                        "fk_departments_parent",
                        (Departments::Table, Departments::ParentId),
                        (Departments::Table, Departments::Id),
                        ForeignKeyAction::Restrict,
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Categories::Table)
                    .col(uuid_pk(Categories::Id))
                    .col(required(Categories::TenantId).uuid())
                    .col(required(Categories::Code).string_len(64))
                    .col(required(Categories::Name).string_len(200))
                    .col(optional(Categories::GroupName).string_len(200))
                    .col(optional(Categories::Description).text())
                    .col(required(Categories::Keywords).json_binary())
                    .col(optional(Categories::DefaultDepartmentId).uuid())
                    .col(required(Categories::AcceptDays).integer())
                    .col(required(Categories::AnswerDays).integer())
                    .col(required(Categories::PublicByDefault).boolean())
                    .col(required(Categories::Attributes).json_binary())
                    .col(required(Categories::SortOrder).integer())
                    .col(required(Categories::Active).boolean())
                    .col(required(Categories::CreatedAt).timestamp_with_time_zone())
                    .col(required(Categories::UpdatedAt).timestamp_with_time_zone())
                    .index(
                        Index::create()
                            .name("uq_categories_tenant_code")
                            .col(Categories::TenantId)
                            .col(Categories::Code)
                            .unique(),
                    )
                    .index(
                        Index::create()
                            .name("uq_categories_tenant_id")
                            .col(Categories::TenantId)
                            .col(Categories::Id)
                            .unique(),
                    )
                    .foreign_key(&mut tenant_fk(Categories::Table, "fk_categories_tenant"))
                    .foreign_key(&mut same_tenant_fk(
                        "fk_categories_default_department",
                        (Categories::Table, Categories::DefaultDepartmentId),
                        (Departments::Table, Departments::Id),
                        ForeignKeyAction::Restrict,
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(CalendarDays::Table)
                    .col(uuid_pk(CalendarDays::Id))
                    .col(required(CalendarDays::TenantId).uuid())
                    .col(required(CalendarDays::Day).date())
                    .col(required(CalendarDays::Kind).string_len(10))
                    .col(required(CalendarDays::Name).string_len(200))
                    .index(
                        Index::create()
                            .name("uq_calendar_days_tenant_day")
                            .col(CalendarDays::TenantId)
                            .col(CalendarDays::Day)
                            .unique(),
                    )
                    .foreign_key(&mut tenant_fk(
                        CalendarDays::Table,
                        "fk_calendar_days_tenant",
                    ))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            CalendarDays::Table.into_iden(),
            Categories::Table.into_iden(),
            Departments::Table.into_iden(),
            TenantHosts::Table.into_iden(),
            Tenants::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
