//! Tenants and their host names. These are the only queries that are not
//! scoped by a tenant: they are how a tenant is found.

use crate::entity::{tenant, tenant_host};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
};
use uuid::Uuid;

pub async fn list(db: &impl ConnectionTrait) -> Result<Vec<tenant::Model>, DbErr> {
    tenant::Entity::find()
        .order_by_asc(tenant::Column::Slug)
        .all(db)
        .await
}

pub async fn count(db: &impl ConnectionTrait) -> Result<u64, DbErr> {
    use sea_orm::PaginatorTrait;
    tenant::Entity::find().count(db).await
}

pub async fn by_id(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<tenant::Model>, DbErr> {
    tenant::Entity::find_by_id(id).one(db).await
}

pub async fn by_slug(
    db: &impl ConnectionTrait,
    slug: &str,
) -> Result<Option<tenant::Model>, DbErr> {
    tenant::Entity::find()
        .filter(tenant::Column::Slug.eq(slug))
        .one(db)
        .await
}

/// The tenant served at an exact host name.
pub async fn by_host(
    db: &impl ConnectionTrait,
    host: &str,
) -> Result<Option<tenant::Model>, DbErr> {
    let Some(row) = tenant_host::Entity::find()
        .filter(tenant_host::Column::Host.eq(host))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    by_id(db, row.tenant_id).await
}

pub async fn insert(
    db: &impl ConnectionTrait,
    row: tenant::ActiveModel,
) -> Result<tenant::Model, DbErr> {
    row.insert(db).await
}

pub async fn update(
    db: &impl ConnectionTrait,
    row: tenant::ActiveModel,
) -> Result<tenant::Model, DbErr> {
    row.update(db).await
}

pub async fn hosts(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
) -> Result<Vec<tenant_host::Model>, DbErr> {
    tenant_host::Entity::find()
        .filter(tenant_host::Column::TenantId.eq(tenant_id))
        .order_by_asc(tenant_host::Column::Host)
        .all(db)
        .await
}

/// Who owns a host name, if anyone.
pub async fn host_owner(
    db: &impl ConnectionTrait,
    host: &str,
) -> Result<Option<tenant_host::Model>, DbErr> {
    tenant_host::Entity::find()
        .filter(tenant_host::Column::Host.eq(host))
        .one(db)
        .await
}

pub async fn insert_host(
    db: &impl ConnectionTrait,
    row: tenant_host::ActiveModel,
) -> Result<tenant_host::Model, DbErr> {
    row.insert(db).await
}

/// Remove one of the tenant's host names; false when it had no such host.
pub async fn delete_host(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    host_id: Uuid,
) -> Result<bool, DbErr> {
    let result = tenant_host::Entity::delete_many()
        .filter(tenant_host::Column::TenantId.eq(tenant_id))
        .filter(tenant_host::Column::Id.eq(host_id))
        .exec(db)
        .await?;
    Ok(result.rows_affected > 0)
}
