//! Working groups and clusters of a campaign.

use super::Result;
use crate::entity::{campaign_cluster, campaign_group};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use uuid::Uuid;

pub async fn list(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    campaign_id: Uuid,
) -> Result<Vec<campaign_group::Model>> {
    campaign_group::Entity::find()
        .filter(campaign_group::Column::TenantId.eq(tenant_id))
        .filter(campaign_group::Column::CampaignId.eq(campaign_id))
        .order_by_asc(campaign_group::Column::CreatedAt)
        .order_by_asc(campaign_group::Column::Id)
        .all(db)
        .await
}

pub async fn insert(
    db: &impl ConnectionTrait,
    row: campaign_group::ActiveModel,
) -> Result<campaign_group::Model> {
    row.insert(db).await
}

pub async fn clusters(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    campaign_id: Uuid,
) -> Result<Vec<campaign_cluster::Model>> {
    campaign_cluster::Entity::find()
        .filter(campaign_cluster::Column::TenantId.eq(tenant_id))
        .filter(campaign_cluster::Column::CampaignId.eq(campaign_id))
        .order_by_asc(campaign_cluster::Column::CreatedAt)
        .order_by_asc(campaign_cluster::Column::Id)
        .all(db)
        .await
}

/// (id, title) of the clusters `ids`.
pub async fn cluster_titles(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    ids: &[Uuid],
) -> Result<Vec<(Uuid, String)>> {
    let mut out = Vec::new();
    for ids in ids.chunks(super::CHUNK) {
        out.extend(
            campaign_cluster::Entity::find()
                .select_only()
                .columns([
                    campaign_cluster::Column::Id,
                    campaign_cluster::Column::Title,
                ])
                .filter(campaign_cluster::Column::TenantId.eq(tenant_id))
                .filter(campaign_cluster::Column::Id.is_in(ids.iter().copied()))
                .into_tuple::<(Uuid, String)>()
                .all(db)
                .await?,
        );
    }
    Ok(out)
}

pub async fn cluster(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    id: Uuid,
) -> Result<Option<campaign_cluster::Model>> {
    campaign_cluster::Entity::find()
        .filter(campaign_cluster::Column::TenantId.eq(tenant_id))
        .filter(campaign_cluster::Column::Id.eq(id))
        .one(db)
        .await
}

pub async fn insert_cluster(
    db: &impl ConnectionTrait,
    row: campaign_cluster::ActiveModel,
) -> Result<campaign_cluster::Model> {
    row.insert(db).await
}
