//! Projects, their milestones and sources.

use super::{CHUNK, Result, sum_bigint};
use crate::entity::{
    campaign_milestone as m, campaign_project as p, campaign_project_source as src,
};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use uuid::Uuid;

pub async fn list(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    campaign_id: Uuid,
) -> Result<Vec<p::Model>> {
    p::Entity::find()
        .filter(p::Column::TenantId.eq(tenant_id))
        .filter(p::Column::CampaignId.eq(campaign_id))
        .order_by_asc(p::Column::Reference)
        .all(db)
        .await
}

/// What a list of projects shows of each.
#[derive(Clone, Debug, sea_orm::FromQueryResult)]
pub struct ProjectLine {
    pub id: Uuid,
    pub reference: String,
    pub title: String,
    pub theme: Option<String>,
    pub lead_department_id: Option<Uuid>,
    pub planned_fen: i64,
    pub status: String,
    pub progress: i16,
    pub parent_id: Option<Uuid>,
}

/// A campaign's projects by reference, only the columns a list shows.
pub async fn lines(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    campaign_id: Uuid,
) -> Result<Vec<ProjectLine>> {
    p::Entity::find()
        .select_only()
        .columns([
            p::Column::Id,
            p::Column::Reference,
            p::Column::Title,
            p::Column::Theme,
            p::Column::LeadDepartmentId,
            p::Column::PlannedFen,
            p::Column::Status,
            p::Column::Progress,
            p::Column::ParentId,
        ])
        .filter(p::Column::TenantId.eq(tenant_id))
        .filter(p::Column::CampaignId.eq(campaign_id))
        .order_by_asc(p::Column::Reference)
        .into_model::<ProjectLine>()
        .all(db)
        .await
}

/// Which of a campaign's projects have a source (come from citizens).
pub async fn sourced(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    campaign_id: Uuid,
) -> Result<Vec<Uuid>> {
    src::Entity::find()
        .select_only()
        .column(src::Column::ProjectId)
        .distinct()
        .filter(src::Column::TenantId.eq(tenant_id))
        .filter(
            src::Column::ProjectId.in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(p::Column::Id)
                    .from(p::Entity)
                    .and_where(Expr::col(p::Column::TenantId).eq(tenant_id))
                    .and_where(Expr::col(p::Column::CampaignId).eq(campaign_id))
                    .to_owned(),
            ),
        )
        .into_tuple::<Uuid>()
        .all(db)
        .await
}

pub async fn by_reference(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    campaign_id: Uuid,
    reference: &str,
) -> Result<Option<p::Model>> {
    p::Entity::find()
        .filter(p::Column::TenantId.eq(tenant_id))
        .filter(p::Column::CampaignId.eq(campaign_id))
        .filter(p::Column::Reference.eq(reference))
        .one(db)
        .await
}

pub async fn by_ids(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    ids: &[Uuid],
) -> Result<Vec<p::Model>> {
    let mut out = Vec::new();
    for ids in ids.chunks(CHUNK) {
        out.extend(
            p::Entity::find()
                .filter(p::Column::TenantId.eq(tenant_id))
                .filter(p::Column::Id.is_in(ids.iter().copied()))
                .order_by_asc(p::Column::Reference)
                .all(db)
                .await?,
        );
    }
    Ok(out)
}

pub async fn children(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    parent_id: Uuid,
) -> Result<Vec<p::Model>> {
    p::Entity::find()
        .filter(p::Column::TenantId.eq(tenant_id))
        .filter(p::Column::ParentId.eq(parent_id))
        .order_by_asc(p::Column::Reference)
        .all(db)
        .await
}

pub async fn insert(db: &impl ConnectionTrait, row: p::ActiveModel) -> Result<p::Model> {
    row.insert(db).await
}

pub async fn update(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    id: Uuid,
    row: p::ActiveModel,
) -> Result<()> {
    p::Entity::update_many()
        .set(row)
        .filter(p::Column::TenantId.eq(tenant_id))
        .filter(p::Column::Id.eq(id))
        .exec(db)
        .await
        .map(|_| ())
}

pub async fn milestones(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    project_ids: &[Uuid],
) -> Result<Vec<m::Model>> {
    let mut out = Vec::new();
    for ids in project_ids.chunks(CHUNK) {
        out.extend(
            m::Entity::find()
                .filter(m::Column::TenantId.eq(tenant_id))
                .filter(m::Column::ProjectId.is_in(ids.iter().copied()))
                .order_by_asc(m::Column::Day)
                .order_by_asc(m::Column::Id)
                .all(db)
                .await?,
        );
    }
    Ok(out)
}

pub async fn insert_milestone(db: &impl ConnectionTrait, row: m::ActiveModel) -> Result<m::Model> {
    row.insert(db).await
}

pub async fn insert_sources(db: &impl ConnectionTrait, rows: Vec<src::ActiveModel>) -> Result<()> {
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        src::Entity::insert_many(rows.by_ref().take(CHUNK))
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// The sources of `project_ids`.
pub async fn sources(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    project_ids: &[Uuid],
) -> Result<Vec<src::Model>> {
    let mut out = Vec::new();
    for ids in project_ids.chunks(CHUNK) {
        out.extend(
            src::Entity::find()
                .filter(src::Column::TenantId.eq(tenant_id))
                .filter(src::Column::ProjectId.is_in(ids.iter().copied()))
                .order_by_asc(src::Column::Id)
                .all(db)
                .await?,
        );
    }
    Ok(out)
}

/// The sources naming a suggestion or a cluster.
pub async fn sources_naming(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    case_id: Uuid,
    cluster_id: Option<Uuid>,
) -> Result<Vec<src::Model>> {
    let mut any = Condition::any().add(src::Column::CaseId.eq(case_id));
    if let Some(c) = cluster_id {
        any = any.add(src::Column::ClusterId.eq(c));
    }
    src::Entity::find()
        .filter(src::Column::TenantId.eq(tenant_id))
        .filter(any)
        .all(db)
        .await
}

/// The figures of a campaign's projects: (projects, with a source,
/// planned fen of top-level projects, delivered).
pub async fn figures(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    campaign_id: Uuid,
    delivered_status: &str,
) -> Result<(i64, i64, i64, i64)> {
    let top = || {
        p::Entity::find()
            .filter(p::Column::TenantId.eq(tenant_id))
            .filter(p::Column::CampaignId.eq(campaign_id))
            .filter(p::Column::ParentId.is_null())
    };
    let (projects, planned): (i64, i64) = top()
        .select_only()
        .column_as(Expr::col(p::Column::Id).count(), "n")
        .column_as(sum_bigint(p::Column::PlannedFen), "planned")
        .into_tuple()
        .one(db)
        .await?
        .unwrap_or((0, 0));
    let delivered: i64 = top()
        .filter(p::Column::Status.eq(delivered_status))
        .select_only()
        .column_as(Expr::col(p::Column::Id).count(), "n")
        .into_tuple()
        .one(db)
        .await?
        .unwrap_or(0);
    let sourced: i64 = top()
        .filter(
            p::Column::Id.in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(src::Column::ProjectId)
                    .from(src::Entity)
                    .and_where(Expr::col(src::Column::TenantId).eq(tenant_id))
                    .to_owned(),
            ),
        )
        .select_only()
        .column_as(Expr::col(p::Column::Id).count(), "n")
        .into_tuple()
        .one(db)
        .await?
        .unwrap_or(0);
    Ok((projects, sourced, planned, delivered))
}
