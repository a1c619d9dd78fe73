//! Campaign rows.

use super::Result;
use crate::entity::campaign;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
};
use uuid::Uuid;

pub async fn list(db: &impl ConnectionTrait, tenant_id: Uuid) -> Result<Vec<campaign::Model>> {
    campaign::Entity::find()
        .filter(campaign::Column::TenantId.eq(tenant_id))
        .order_by_desc(campaign::Column::CreatedAt)
        .order_by_desc(campaign::Column::Id)
        .all(db)
        .await
}

pub async fn by_slug(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    slug: &str,
) -> Result<Option<campaign::Model>> {
    campaign::Entity::find()
        .filter(campaign::Column::TenantId.eq(tenant_id))
        .filter(campaign::Column::Slug.eq(slug))
        .one(db)
        .await
}

pub async fn insert(
    db: &impl ConnectionTrait,
    row: campaign::ActiveModel,
) -> Result<campaign::Model> {
    row.insert(db).await
}

/// Change a campaign only while it is still in `phase` (a concurrent change
/// of phase makes this return false).
pub async fn update_in_phase(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    id: Uuid,
    phase: &str,
    row: campaign::ActiveModel,
) -> Result<bool> {
    let done = campaign::Entity::update_many()
        .set(row)
        .filter(campaign::Column::TenantId.eq(tenant_id))
        .filter(campaign::Column::Id.eq(id))
        .filter(campaign::Column::Phase.eq(phase))
        .exec(db)
        .await?;
    Ok(done.rows_affected > 0)
}
