//! What each public campaign page shows, read in one transaction: the
//! campaign with its figures (from its row), its projects and a page of
//! its suggestions; a project; a suggestion; the themes of the
//! suggestion form with their questions.

use super::projects::Filter;
use super::{figures, load, projects, strings, suggestions, to_api};
use crate::access::Ctx;
use crate::model::{Campaign, Category, Project, Suggestion};
use crate::services::categories;
use crate::services::commit;
use crate::services::tenants::TenantRecord;
use minsheng_domain::Error;

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

/// What a campaign's page shows.
#[derive(Clone, Debug)]
pub struct CampaignPage {
    pub campaign: Campaign,
    /// The campaign's themes: (code, name).
    pub themes: Vec<(String, String)>,
    /// Its projects (filtered), without milestones and sources.
    pub projects: Vec<Project>,
    /// A page of its public suggestions, and whether more follow.
    pub suggestions: Vec<Suggestion>,
    pub more: bool,
}

/// A campaign's page.
pub async fn campaign(
    ctx: &Ctx,
    tenant: &TenantRecord,
    slug: &str,
    f: &CampaignFilters<'_>,
) -> Result<CampaignPage, Error> {
    let tx = ctx.read_tx(tenant.id).await?;
    let (row, _) = load(ctx, &tx, tenant, slug).await?;
    let filter = Filter {
        status: f.status,
        theme: f.theme,
        department: f.department,
    };
    let projects = projects::list_in(ctx, &tx, tenant, &row, &filter, false).await?;
    let (suggestions, more) =
        suggestions::page_in(ctx, &tx, tenant, &row, f.disposition, f.theme, f.page).await?;
    let themes = strings(&row.themes);
    let names = ctx.app.calendars.rules_in(&tx, tenant).await?.names;
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
