//! What each public campaign page shows, read in one transaction: the
//! campaign with its figures (from its row), its projects and a page of
//! its suggestions; a project; a suggestion; the themes of the
//! suggestion form with their questions.

use super::{figures, load, projects, statuses, strings, suggestions, to_api};
use crate::access::Ctx;
use crate::model::{Campaign, Category, Project, Suggestion};
use crate::services::tenants::TenantRecord;
use crate::services::{DbResultExt, cases, categories, commit};
use minsheng_domain::Error;
use minsheng_domain::campaign::Disposition;
use minsheng_store::queries::campaigns as q;
use minsheng_store::queries::campaigns::suggestions::CaseRef;
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

/// Suggestions a campaign page lists at a time.
pub const PAGE_SIZE: u64 = 20;

/// A campaign page's filters, as the URL gives them.
#[derive(Clone, Copy, Debug, Default)]
pub struct CampaignFilters<'a> {
    pub status: Option<&'a str>,
    pub theme: Option<&'a str>,
    pub department: Option<&'a str>,
    pub disposition: Option<&'a str>,
    pub page: u64,
}

/// A project as a campaign's page lists it.
#[derive(Clone, Debug, Serialize)]
pub struct ProjectLine {
    pub reference: String,
    pub title: String,
    /// The lead department's code and name.
    pub department: Option<(String, String)>,
    pub planned_fen: i64,
    pub status: String,
    pub status_name: String,
    pub progress: i16,
    /// Not a sub-project.
    pub top_level: bool,
    pub from_citizens: bool,
}

/// A suggestion as a campaign's page lists it: what is public of it.
#[derive(Clone, Debug, Serialize)]
pub struct SuggestionLine {
    pub tracking_code: String,
    pub title: String,
    pub theme: String,
    /// The published disposition (`not_answered` until one is).
    pub disposition: String,
}

/// What a campaign's page shows.
#[derive(Clone, Debug)]
pub struct CampaignPage {
    pub campaign: Campaign,
    /// The campaign's themes: (code, name).
    pub themes: Vec<(String, String)>,
    /// Its projects (filtered).
    pub projects: Vec<ProjectLine>,
    /// A page of its public suggestions, and whether more follow.
    pub suggestions: Vec<SuggestionLine>,
    pub more: bool,
}

/// A campaign's page: the campaign row (its figures kept on it), its
/// projects and a page of its suggestions, each in one narrow query.
pub async fn campaign(
    ctx: &Ctx,
    tenant: &TenantRecord,
    slug: &str,
    f: &CampaignFilters<'_>,
) -> Result<CampaignPage, Error> {
    let tx = ctx.read_tx(tenant.id).await?;
    let (row, _) = load(ctx, &tx, tenant, slug).await?;
    let t = tenant.id.into_uuid();
    let names = ctx.app.calendars.rules_in(&tx, tenant).await?.names;
    let list = statuses(&row);
    let sourced: HashSet<Uuid> = q::projects::sourced(&tx, t, row.id)
        .await
        .or_internal()?
        .into_iter()
        .collect();
    let projects = q::projects::lines(&tx, t, row.id)
        .await
        .or_internal()?
        .into_iter()
        .filter_map(|p| {
            let department = p
                .lead_department_id
                .and_then(|d| names.departments.get(&d))
                .cloned();
            let wanted = f.status.is_none_or(|s| s == p.status)
                && f.theme.is_none_or(|th| p.theme.as_deref() == Some(th))
                && f.department
                    .is_none_or(|d| department.as_ref().is_some_and(|x| x.0 == d));
            wanted.then(|| ProjectLine {
                status_name: list
                    .iter()
                    .find(|s| s.code == p.status)
                    .map_or_else(|| p.status.clone(), |s| s.name.clone()),
                from_citizens: sourced.contains(&p.id),
                top_level: p.parent_id.is_none(),
                reference: p.reference,
                title: p.title,
                department,
                planned_fen: p.planned_fen,
                status: p.status,
                progress: p.progress,
            })
        })
        .collect();
    let query = suggestions::public_query(ctx, &tx, tenant, &row, f.disposition, f.theme).await?;
    let mut lines = q::suggestions::page_lines(&tx, t, row.id, &query, f.page, PAGE_SIZE)
        .await
        .or_internal()?;
    let more = lines.len() as u64 > PAGE_SIZE;
    lines.truncate(usize::try_from(PAGE_SIZE).unwrap_or(usize::MAX));
    let ids: Vec<Uuid> = lines.iter().map(|l| l.case_id).collect();
    let cases: HashMap<Uuid, CaseRef> = q::suggestions::case_refs(&tx, t, &ids)
        .await
        .or_internal()?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    let suggestions = lines
        .iter()
        .filter_map(|l| {
            let c = cases.get(&l.case_id)?;
            Some(SuggestionLine {
                tracking_code: c.tracking_code.clone(),
                title: cases::public_title(tenant, &c.title),
                theme: names
                    .categories
                    .get(&c.category_id)
                    .map(|x| x.1.clone())
                    .unwrap_or_default(),
                disposition: if l.published_at.is_some() {
                    l.disposition.clone()
                } else {
                    Disposition::NotAnswered.as_str().into()
                },
            })
        })
        .collect();
    let themes = strings(&row.themes);
    let themes = names
        .active_categories
        .iter()
        .filter(|(code, _)| themes.contains(code))
        .cloned()
        .collect();
    let page = CampaignPage {
        campaign: to_api(&row, figures::of(&row)),
        themes,
        projects,
        suggestions,
        more,
    };
    commit(tx, page).await
}

/// A project's page: its campaign and the project.
pub async fn project(
    ctx: &Ctx,
    tenant: &TenantRecord,
    slug: &str,
    reference: &str,
) -> Result<(Campaign, Project), Error> {
    let tx = ctx.read_tx(tenant.id).await?;
    let (row, _) = load(ctx, &tx, tenant, slug).await?;
    let project = projects::get_in(ctx, &tx, tenant, &row, reference).await?;
    commit(tx, (to_api(&row, figures::of(&row)), project)).await
}

/// A suggestion's page: its campaign and the suggestion.
pub async fn suggestion(
    ctx: &Ctx,
    tenant: &TenantRecord,
    slug: &str,
    code: &str,
) -> Result<(Campaign, Suggestion), Error> {
    let tx = ctx.read_tx(tenant.id).await?;
    let (row, _) = load(ctx, &tx, tenant, slug).await?;
    let s = suggestions::get_in(ctx, &tx, tenant, &row, code).await?;
    commit(tx, (to_api(&row, figures::of(&row)), s)).await
}

/// The suggestion form's page: the campaign and its themes (the active
/// categories it names, each with its questions).
pub async fn suggest(
    ctx: &Ctx,
    tenant: &TenantRecord,
    slug: &str,
) -> Result<(Campaign, Vec<Category>), Error> {
    let tx = ctx.read_tx(tenant.id).await?;
    let (row, _) = load(ctx, &tx, tenant, slug).await?;
    let themes = strings(&row.themes);
    let categories = categories::list(&tx, tenant.id, false)
        .await?
        .into_iter()
        .filter(|c| themes.contains(&c.code))
        .collect();
    commit(tx, (to_api(&row, figures::of(&row)), categories)).await
}
