//! Answer templates (常用语): a department's (or the whole city's) texts
//! staff start an answer from.

use crate::entity::answer_template;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter,
    QueryOrder,
};
use uuid::Uuid;

/// The city-wide templates and those of `departments`, by title.
pub async fn list(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    departments: &[Uuid],
) -> Result<Vec<answer_template::Model>, DbErr> {
    answer_template::Entity::find()
        .filter(answer_template::Column::TenantId.eq(tenant_id))
        .filter(
            Condition::any()
                .add(answer_template::Column::DepartmentId.is_null())
                .add(answer_template::Column::DepartmentId.is_in(departments.to_vec())),
        )
        .order_by_asc(answer_template::Column::Title)
        .order_by_asc(answer_template::Column::Id)
        .all(db)
        .await
}

/// Every template of the city.
pub async fn all(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
) -> Result<Vec<answer_template::Model>, DbErr> {
    answer_template::Entity::find()
        .filter(answer_template::Column::TenantId.eq(tenant_id))
        .order_by_asc(answer_template::Column::Title)
        .order_by_asc(answer_template::Column::Id)
        .all(db)
        .await
}

pub async fn get(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    id: Uuid,
) -> Result<Option<answer_template::Model>, DbErr> {
    answer_template::Entity::find()
        .filter(answer_template::Column::TenantId.eq(tenant_id))
        .filter(answer_template::Column::Id.eq(id))
        .one(db)
        .await
}

pub async fn insert(
    db: &impl ConnectionTrait,
    row: answer_template::ActiveModel,
) -> Result<answer_template::Model, DbErr> {
    row.insert(db).await
}

pub async fn delete(db: &impl ConnectionTrait, tenant_id: Uuid, id: Uuid) -> Result<u64, DbErr> {
    Ok(answer_template::Entity::delete_many()
        .filter(answer_template::Column::TenantId.eq(tenant_id))
        .filter(answer_template::Column::Id.eq(id))
        .exec(db)
        .await?
        .rows_affected)
}
