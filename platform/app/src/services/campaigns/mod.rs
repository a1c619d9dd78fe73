//! Campaigns (惠民工程): a city's call for suggestions, traced to the
//! projects it delivers.
//!
//! A suggestion is a case of kind `suggestion`: it is submitted through
//! `intake` (checks, rules, redaction, tracking code, deadlines in working
//! days) and its published answer is the case's answer
//! (`cases::publish_answer`). What only a suggestion has (campaign, working
//! group, disposition, drafted answer, cluster) sits beside the case.
//!
//! The parts: `phases` (campaigns and their phases), `groups` (working
//! groups), `suggestions` (submission, reading, the group's queue,
//! answers and bulk publication), `clusters` (merging), `projects`
//! (projects, progress, milestones, sources), `figures` (the public
//! counts, kept on the campaign's row), `pages` (what each public page
//! shows, in one read transaction) and `open_data` (CSV and JSON). Writes need `campaign:write`
//! (running the campaign) or `campaign:answer` (working groups; department
//! staff only in the groups their departments serve in); reads are public,
//! except a campaign still in draft.

pub mod clusters;
pub mod figures;
pub mod groups;
pub mod open_data;
pub mod pages;
pub mod phases;
pub mod projects;
pub mod suggestions;

use crate::access::Ctx;
use crate::model::{Campaign, Figures, PhaseEntry, ProjectStatusView};
use crate::services::DbResultExt;
use crate::services::tenants::TenantRecord;
use minsheng_domain::Error;
use minsheng_domain::campaign::{Phase, ProjectStatus};
use minsheng_store::ConnectionTrait;
use minsheng_store::entity::{campaign, campaign_group};
use minsheng_store::queries::campaigns as q;
use uuid::Uuid;

/// A campaign by slug; one in draft is only found by those who run
/// campaigns.
pub(crate) async fn load(
    ctx: &Ctx,
    db: &impl ConnectionTrait,
    tenant: &TenantRecord,
    slug: &str,
) -> Result<(campaign::Model, Phase), Error> {
    let not_found = || Error::not_found(format!("campaign {slug:?}"));
    let row = q::rows::by_slug(db, tenant.id.into_uuid(), slug)
        .await
        .or_internal()?
        .ok_or_else(not_found)?;
    let phase = Phase::parse(&row.phase).map_err(Error::internal)?;
    if phase == Phase::Draft && !crate::services::cases::holds(ctx, tenant, "campaign:write").await
    {
        return Err(not_found());
    }
    Ok((row, phase))
}

/// Refuse what the campaign's phase does not allow.
pub(crate) fn require(allowed: bool, phase: Phase, what: &str) -> Result<(), Error> {
    if allowed {
        Ok(())
    } else {
        Err(Error::Conflict {
            field: Some("phase".into()),
            message: format!(
                "{what} is not possible while the campaign is {}",
                phase.as_str()
            ),
        })
    }
}

pub(crate) fn strings(v: &serde_json::Value) -> Vec<String> {
    serde_json::from_value(v.clone()).unwrap_or_default()
}

pub(crate) fn uuids(v: &serde_json::Value) -> Vec<Uuid> {
    serde_json::from_value(v.clone()).unwrap_or_default()
}

pub(crate) fn statuses(row: &campaign::Model) -> Vec<ProjectStatus> {
    serde_json::from_value(row.statuses.clone()).unwrap_or_default()
}

pub(crate) fn to_api(row: &campaign::Model, figures: Figures) -> Campaign {
    Campaign {
        slug: row.slug.clone(),
        title: row.title.clone(),
        description: row.description.clone(),
        budget_fen: row.budget_fen,
        phase: row.phase.clone(),
        phases: serde_json::from_value::<Vec<PhaseEntry>>(row.phases.clone()).unwrap_or_default(),
        answer_days: row.answer_days,
        themes: strings(&row.themes),
        statuses: statuses(row)
            .into_iter()
            .map(|s| ProjectStatusView {
                code: s.code,
                name: s.name,
                progress: s.progress,
            })
            .collect(),
        figures,
    }
}

/// The working groups `ctx` answers for: `None` for city-wide staff, else
/// the groups one of their departments serves in. Call after authorizing
/// `campaign:answer`.
pub(crate) async fn answer_scope(
    ctx: &Ctx,
    db: &impl ConnectionTrait,
    tenant: &TenantRecord,
    campaign_id: Uuid,
) -> Result<Option<Vec<Uuid>>, Error> {
    let Some(mine) = ctx.department_scope(tenant, "campaign:answer").await else {
        return Ok(None);
    };
    let groups: Vec<campaign_group::Model> =
        q::groups::list(db, tenant.id.into_uuid(), campaign_id)
            .await
            .or_internal()?;
    Ok(Some(
        groups
            .iter()
            .filter(|g| {
                uuids(&g.departments)
                    .iter()
                    .any(|d| mine.iter().any(|m| m.into_uuid() == *d))
            })
            .map(|g| g.id)
            .collect(),
    ))
}
