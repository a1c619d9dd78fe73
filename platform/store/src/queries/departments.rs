//! A city's department directory.

use crate::entity::department;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
};
use uuid::Uuid;

pub async fn list(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    include_inactive: bool,
) -> Result<Vec<department::Model>, DbErr> {
    let mut query = department::Entity::find().filter(department::Column::TenantId.eq(tenant_id));
    if !include_inactive {
        query = query.filter(department::Column::Active.eq(true));
    }
    query
        .order_by_asc(department::Column::SortOrder)
        .order_by_asc(department::Column::Code)
        .all(db)
        .await
}

pub async fn by_id(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    id: Uuid,
) -> Result<Option<department::Model>, DbErr> {
    department::Entity::find()
        .filter(department::Column::TenantId.eq(tenant_id))
        .filter(department::Column::Id.eq(id))
        .one(db)
        .await
}

pub async fn by_code(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    code: &str,
) -> Result<Option<department::Model>, DbErr> {
    department::Entity::find()
        .filter(department::Column::TenantId.eq(tenant_id))
        .filter(department::Column::Code.eq(code))
        .one(db)
        .await
}

pub async fn insert(
    db: &impl ConnectionTrait,
    row: department::ActiveModel,
) -> Result<department::Model, DbErr> {
    row.insert(db).await
}

/// Save the set columns of a row; false when the city has no such row. The
/// update is filtered by tenant too, so a forged id cannot cross cities.
pub async fn update(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    id: Uuid,
    row: department::ActiveModel,
) -> Result<bool, DbErr> {
    let result = department::Entity::update_many()
        .set(row)
        .filter(department::Column::TenantId.eq(tenant_id))
        .filter(department::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(result.rows_affected > 0)
}
