//! Merging: suggestions are grouped into clusters. Nothing is deleted or
//! moved: each original keeps its page, its author's view and its answer,
//! and says which cluster it was merged into; each merge is on its
//! timeline.

use super::suggestions::projects_of;
use super::{answer_scope, load, require};
use crate::access::Ctx;
use crate::model::{Cluster, MergeInput, SuggestionRef};
use crate::services::tenants::TenantRecord;
use crate::services::{DbResultExt, cases, commit};
use minsheng_domain::Error;
use minsheng_domain::error::Problems;
use minsheng_domain::ids::ClusterId;
use minsheng_domain::values::parse_text;
use minsheng_store::ConnectionTrait;
use minsheng_store::entity::{campaign_cluster, case};
use minsheng_store::queries::campaigns as q;
use minsheng_store::queries::campaigns::suggestions::CaseRef;
use sea_orm::ActiveValue::Set;
use std::collections::HashMap;
use uuid::Uuid;

pub(crate) fn suggestion_ref(tenant: &TenantRecord, row: &CaseRef) -> SuggestionRef {
    SuggestionRef {
        tracking_code: row.tracking_code.clone(),
        title: if row.public {
            cases::public_title(tenant, &row.title)
        } else {
            String::new()
        },
        public: row.public,
    }
}

/// The suggestions of a cluster, oldest first.
pub(crate) async fn members(
    db: &impl ConnectionTrait,
    tenant: &TenantRecord,
    cluster_id: Uuid,
) -> Result<Vec<SuggestionRef>, Error> {
    let t = tenant.id.into_uuid();
    let ids: Vec<Uuid> = q::suggestions::cluster_members(db, t, &[cluster_id])
        .await
        .or_internal()?
        .into_iter()
        .map(|(case, _)| case)
        .collect();
    let refs: HashMap<Uuid, CaseRef> = q::suggestions::case_refs(db, t, &ids)
        .await
        .or_internal()?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    Ok(ids
        .iter()
        .filter_map(|id| refs.get(id))
        .map(|c| suggestion_ref(tenant, c))
        .collect())
}

async fn to_api(
    db: &impl ConnectionTrait,
    tenant: &TenantRecord,
    row: &campaign_cluster::Model,
) -> Result<Cluster, Error> {
    let suggestions = members(db, tenant, row.id).await?;
    let t = tenant.id.into_uuid();
    let sources = q::projects::sources_naming(db, t, Uuid::nil(), Some(row.id))
        .await
        .or_internal()?;
    let mut ids: Vec<Uuid> = sources.iter().map(|s| s.project_id).collect();
    ids.dedup();
    let projects = q::projects::by_ids(db, t, &ids)
        .await
        .or_internal()?
        .iter()
        .map(super::projects::to_ref)
        .collect();
    Ok(Cluster {
        id: row.id,
        title: row.title.clone(),
        suggestions,
        projects,
    })
}

/// Merge suggestions into a new cluster (a title and at least two) or an
/// existing one. A suggestion already in another cluster is refused.
pub async fn merge(
    ctx: &Ctx,
    tenant: &TenantRecord,
    slug: &str,
    input: &MergeInput,
) -> Result<Cluster, Error> {
    ctx.authorize(tenant, "campaign:answer").await?;
    let tx = ctx.tx(tenant.id).await?;
    let (campaign, phase) = load(ctx, &tx, tenant, slug).await?;
    require(phase.allows_answers(), phase, "merging suggestions")?;
    let scope = answer_scope(ctx, &tx, tenant, campaign.id).await?;
    let t = tenant.id.into_uuid();
    let mut p = Problems::new();
    let existing = match (&input.title, input.cluster) {
        (_, Some(id)) => Some(
            q::groups::cluster(&tx, t, id)
                .await
                .or_internal()?
                .filter(|c| c.campaign_id == campaign.id)
                .ok_or_else(|| Error::invalid("cluster", "no such cluster in this campaign"))?,
        ),
        (Some(_), None) => None,
        (None, None) => {
            return Err(Error::invalid(
                "title",
                "give a title for a new cluster, or the cluster to add to",
            ));
        }
    };
    let title = match (&existing, &input.title) {
        (None, Some(title)) => p.check("title", parse_text(title, 2, 200)),
        _ => None,
    };
    let least = if existing.is_some() { 1 } else { 2 };
    if input.suggestions.len() < least {
        p.push(
            "suggestions",
            format!("name at least {least} suggestion(s) to merge"),
        );
    }
    let mut found = Vec::new();
    for (i, code) in input.suggestions.iter().enumerate() {
        let field = format!("suggestions[{i}]");
        let Ok(row) = cases::find_suggestion(&tx, tenant, code).await else {
            p.push(field, format!("no suggestion {code:?} in this campaign"));
            continue;
        };
        let Some(s) = q::suggestions::by_case(&tx, t, row.id)
            .await
            .or_internal()?
            .filter(|s| s.campaign_id == campaign.id)
        else {
            p.push(field, format!("no suggestion {code:?} in this campaign"));
            continue;
        };
        if let Some(mine) = &scope
            && !s.group_id.is_some_and(|g| mine.contains(&g))
        {
            return Err(Error::Forbidden(format!(
                "{code} belongs to a working group your departments do not serve in"
            )));
        }
        if s.cluster_id.is_some() && s.cluster_id != existing.as_ref().map(|c| c.id) {
            return Err(Error::conflict(
                field,
                format!("{code} is already merged into another cluster"),
            ));
        }
        if !found.iter().any(|(r, _): &(case::Model, _)| r.id == row.id) {
            found.push((row, s));
        }
    }
    p.finish()?;
    let now = ctx.now();
    let cluster = match existing {
        Some(c) => c,
        None => q::groups::insert_cluster(
            &tx,
            campaign_cluster::ActiveModel {
                id: Set(ClusterId::new().into_uuid()),
                tenant_id: Set(t),
                campaign_id: Set(campaign.id),
                title: Set(title.unwrap_or_default()),
                created_by: Set(ctx.principal.label()),
                created_at: Set(now),
            },
        )
        .await
        .or_internal()?,
    };
    let ids: Vec<Uuid> = found.iter().map(|(r, _)| r.id).collect();
    q::suggestions::merge(&tx, t, &ids, cluster.id)
        .await
        .or_internal()?;
    for (row, _) in &found {
        cases::note_merge(ctx, &tx, tenant, row, &cluster.title, now).await?;
    }
    let out = to_api(&tx, tenant, &cluster).await?;
    let out = commit(tx, out).await?;
    ctx.audit(
        Some(tenant.id),
        "campaign.merge",
        &format!("{}:{}", cluster.id, ids.len()),
        "ok",
    )
    .await;
    Ok(out)
}

/// A campaign's clusters with their suggestions and projects.
pub async fn list(ctx: &Ctx, tenant: &TenantRecord, slug: &str) -> Result<Vec<Cluster>, Error> {
    let tx = ctx.read_tx(tenant.id).await?;
    let (campaign, _) = load(ctx, &tx, tenant, slug).await?;
    let rows = q::groups::clusters(&tx, tenant.id.into_uuid(), campaign.id)
        .await
        .or_internal()?;
    let mut out = Vec::new();
    for row in &rows {
        out.push(to_api(&tx, tenant, row).await?);
    }
    commit(tx, out).await
}

/// The projects a cluster led to (for pages).
pub async fn projects(
    db: &impl ConnectionTrait,
    tenant: &TenantRecord,
    cluster: Uuid,
) -> Result<Vec<crate::model::ProjectRef>, Error> {
    projects_of(db, tenant, Uuid::nil(), Some(cluster)).await
}
