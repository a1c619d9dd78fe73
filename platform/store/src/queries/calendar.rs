//! A city's listed calendar days: holidays and make-up working days.

use crate::entity::calendar_day;
use chrono::NaiveDate;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
};
use uuid::Uuid;

pub async fn list(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
) -> Result<Vec<calendar_day::Model>, DbErr> {
    calendar_day::Entity::find()
        .filter(calendar_day::Column::TenantId.eq(tenant_id))
        .order_by_asc(calendar_day::Column::Day)
        .all(db)
        .await
}

pub async fn by_day(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    day: NaiveDate,
) -> Result<Option<calendar_day::Model>, DbErr> {
    calendar_day::Entity::find()
        .filter(calendar_day::Column::TenantId.eq(tenant_id))
        .filter(calendar_day::Column::Day.eq(day))
        .one(db)
        .await
}

pub async fn insert(
    db: &impl ConnectionTrait,
    row: calendar_day::ActiveModel,
) -> Result<calendar_day::Model, DbErr> {
    row.insert(db).await
}

pub async fn update(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    id: Uuid,
    row: calendar_day::ActiveModel,
) -> Result<bool, DbErr> {
    let result = calendar_day::Entity::update_many()
        .set(row)
        .filter(calendar_day::Column::TenantId.eq(tenant_id))
        .filter(calendar_day::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(result.rows_affected > 0)
}

/// Remove a listed day; false when the city had none on that date.
pub async fn delete(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    day: NaiveDate,
) -> Result<bool, DbErr> {
    let result = calendar_day::Entity::delete_many()
        .filter(calendar_day::Column::TenantId.eq(tenant_id))
        .filter(calendar_day::Column::Day.eq(day))
        .exec(db)
        .await?;
    Ok(result.rows_affected > 0)
}
