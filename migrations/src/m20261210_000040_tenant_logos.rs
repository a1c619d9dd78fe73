//! A city's logo, uploaded in the administration console and served with
//! its site: one image per city, checked for type and size on upload.

use crate::columns::required;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum TenantLogos {
    Table,
    TenantId,
    /// `image/png`, `image/jpeg` or `image/webp`.
    ContentType,
    Image,
    /// Hex SHA-256 of the image: its URL's version and its ETag.
    Hash,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Tenants {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(TenantLogos::Table)
                    .col(
                        ColumnDef::new(TenantLogos::TenantId)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(required(TenantLogos::ContentType).string_len(40))
                    .col(required(TenantLogos::Image).blob())
                    .col(required(TenantLogos::Hash).string_len(64))
                    .col(required(TenantLogos::UpdatedAt).timestamp_with_time_zone())
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_tenant_logos_tenant")
                            .from(TenantLogos::Table, TenantLogos::TenantId)
                            .to(Tenants::Table, Tenants::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        super::m20261128_000003_row_level_security::enable_on(manager, "tenant_logos").await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(TenantLogos::Table).to_owned())
            .await
    }
}
