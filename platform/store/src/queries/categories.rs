//! A city's case categories (Open311 services).

use crate::entity::category;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
};
use uuid::Uuid;

pub async fn list(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    include_inactive: bool,
) -> Result<Vec<category::Model>, DbErr> {
    let mut query = category::Entity::find().filter(category::Column::TenantId.eq(tenant_id));
    if !include_inactive {
        query = query.filter(category::Column::Active.eq(true));
    }
    query
        .order_by_asc(category::Column::SortOrder)
        .order_by_asc(category::Column::Code)
        .all(db)
        .await
}

pub async fn by_id(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    id: Uuid,
) -> Result<Option<category::Model>, DbErr> {
    category::Entity::find()
        .filter(category::Column::TenantId.eq(tenant_id))
        .filter(category::Column::Id.eq(id))
        .one(db)
        .await
}

pub async fn by_code(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    code: &str,
) -> Result<Option<category::Model>, DbErr> {
    category::Entity::find()
        .filter(category::Column::TenantId.eq(tenant_id))
        .filter(category::Column::Code.eq(code))
        .one(db)
        .await
}

pub async fn insert(
    db: &impl ConnectionTrait,
    row: category::ActiveModel,
) -> Result<category::Model, DbErr> {
    row.insert(db).await
}

pub async fn update(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    id: Uuid,
    row: category::ActiveModel,
) -> Result<bool, DbErr> {
    let result = category::Entity::update_many()
        .set(row)
        .filter(category::Column::TenantId.eq(tenant_id))
        .filter(category::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(result.rows_affected > 0)
}
