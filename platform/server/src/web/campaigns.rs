//! A city's campaigns (惠民工程) in public: the list, a campaign's page
//! (what is asked, the phase, the figures, its projects and suggestions,
//! with filters in the URL), the suggestion form (the ask form, filed
//! under one of the campaign's themes), each suggestion's page with its
//! answer and the path to its projects, and each project's page with its
//! progress, milestones and every suggestion it came from.

use super::ask::{AskForm, Target, file, form_page};
use super::pages::{local, public_page};
use super::site::{Site, site};
use crate::app::ServerState;
use minsheng_app::access::Ctx;
use minsheng_app::access::tokens::random_token;
use minsheng_app::model::Campaign;
use minsheng_app::services::campaigns::{pages, phases};
use minsheng_domain::Error;
use poem::http::StatusCode;
use poem::web::{Data, Path, Query};
use poem::{Body, Request, Response, handler};
use serde::Deserialize;
use serde_json::json;

/// Fen as yuan with thousands separators: `¥2,860,000,000`, and cents only
/// when there are any.
pub fn yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let fen = fen.unsigned_abs();
    let whole = (fen / 100).to_string();
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    match fen % 100 {
        0 => format!("{sign}¥{grouped}"),
        cents => format!("{sign}¥{grouped}.{cents:02}"),
    }
}

fn percent(share: f64) -> String {
    format!("{share:.1}%")
}

/// A campaign for the templates: its figures in words.
fn shown(c: &Campaign) -> serde_json::Value {
    let f = &c.figures;
    json!({
        "slug": c.slug, "title": c.title, "description": c.description, "phase": c.phase,
        "phases": c.phases, "themes": c.themes, "answer_days": c.answer_days,
        "budget": yuan(c.budget_fen),
        "figures": {
            "suggestions": f.suggestions, "answered": f.answered,
            "answered_share": percent(f.answered_share), "adopted": f.adopted,
            "projects": f.projects, "from_citizens": f.projects_from_citizens,
            "from_citizens_share": percent(f.from_citizens_share),
            "budget": yuan(f.budget_committed_fen), "delivered": f.delivered,
        },
    })
}

/// `/t/{slug}/campaigns`
#[handler]
pub async fn campaigns_page(
    state: Data<&ServerState>,
    ctx: Data<&Ctx>,
    req: &Request,
    Path(slug): Path<String>,
) -> Response {
    let site = site!(&state, &ctx, req, &slug);
    let list = match phases::list(&ctx, &site.tenant).await {
        Ok(l) => l,
        Err(e) => return site.error(&state, &ctx, &e),
    };
    let mut context = site.context(&ctx, "campaigns");
    context.insert(
        "campaigns".into(),
        json!(list.iter().map(shown).collect::<Vec<_>>()),
    );
    public_page(&state, &site, "campaigns.html", context)
}

#[derive(Deserialize)]
pub struct CampaignQuery {
    status: Option<String>,
    theme: Option<String>,
    department: Option<String>,
    disposition: Option<String>,
    page: Option<u64>,
}

/// Query values that are set and not empty.
fn set(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// `/t/{slug}/campaigns/{campaign}`: the figures, the projects (filtered by
/// status, theme and lead department) and a page of suggestions.
#[handler]
pub async fn campaign_page(
    state: Data<&ServerState>,
    ctx: Data<&Ctx>,
    req: &Request,
    Path((slug, campaign)): Path<(String, String)>,
    Query(query): Query<CampaignQuery>,
) -> Response {
    let site = site!(&state, &ctx, req, &slug);
    let page = query.page.unwrap_or(0).min(10_000);
    let filters = pages::CampaignFilters {
        status: set(&query.status),
        theme: set(&query.theme),
        department: set(&query.department),
        disposition: set(&query.disposition),
        page,
    };
    let loaded = pages::campaign(&ctx, &site.tenant, &campaign, &filters).await;
    let pages::CampaignPage {
        campaign: c,
        themes,
        projects: p,
        suggestions,
        more,
    } = match loaded {
        Ok(x) => x,
        Err(Error::NotFound(_)) => return site.not_found(&state, &ctx),
        Err(e) => return site.error(&state, &ctx, &e),
    };
    let themes: Vec<_> = themes
        .iter()
        .map(|(code, name)| json!({"code": code, "name": name}))
        .collect();
    let mut departments: Vec<(String, String)> =
        p.iter().filter_map(|p| p.department.clone()).collect();
    departments.sort();
    departments.dedup();
    let rows: Vec<_> = p
        .iter()
        .filter(|p| p.top_level)
        .map(|p| {
            json!({
                "reference": p.reference, "title": p.title,
                "department": p.department.as_ref().map(|d| &d.1),
                "planned": yuan(p.planned_fen), "status": p.status, "status_name": p.status_name,
                "progress": p.progress, "from_citizens": p.from_citizens,
            })
        })
        .collect();
    let mut filters = form_urlencoded::Serializer::new(String::new());
    for (k, v) in [
        ("status", &query.status),
        ("theme", &query.theme),
        ("department", &query.department),
        ("disposition", &query.disposition),
    ] {
        if let Some(v) = set(v) {
            filters.append_pair(k, v);
        }
    }
    let filters = filters.finish();
    let mut context = site.context(&ctx, "campaigns");
    context.extend([
        ("campaign".into(), shown(&c)),
        ("themes".into(), json!(themes)),
        ("statuses".into(), json!(c.statuses)),
        (
            "departments".into(),
            json!(
                departments
                    .iter()
                    .map(|(code, name)| json!({"code": code, "name": name}))
                    .collect::<Vec<_>>()
            ),
        ),
        ("projects".into(), json!(rows)),
        ("suggestions".into(), json!(suggestions)),
        ("page".into(), json!(page)),
        ("more".into(), json!(more)),
        ("filters".into(), json!(filters)),
        (
            "query".into(),
            json!({"status": set(&query.status), "theme": set(&query.theme),
                   "department": set(&query.department), "disposition": set(&query.disposition)}),
        ),
        (
            "collecting".into(),
            json!(c.phase == minsheng_domain::campaign::Phase::Collecting.as_str()),
        ),
    ]);
    public_page(&state, &site, "campaign.html", context)
}

#[derive(Deserialize)]
pub struct SuggestQuery {
    category: Option<String>,
}

fn target(c: &Campaign) -> Target {
    Target::Campaign {
        slug: c.slug.clone(),
        title: c.title.clone(),
        answer_days: c.answer_days,
    }
}

/// `GET /t/{slug}/campaigns/{campaign}/suggest`: the campaign's themes, or
/// with `?category=` the form.
#[handler]
pub async fn suggest(
    state: Data<&ServerState>,
    ctx: Data<&Ctx>,
    req: &Request,
    Path((slug, campaign)): Path<(String, String)>,
    Query(query): Query<SuggestQuery>,
) -> Response {
    let site = site!(&state, &ctx, req, &slug);
    let loaded = pages::suggest(&ctx, &site.tenant, &campaign).await;
    let (c, themes) = match loaded {
        Ok(x) => x,
        Err(Error::NotFound(_)) => return site.not_found(&state, &ctx),
        Err(e) => return site.error(&state, &ctx, &e),
    };
    if let Some(code) = query.category
        && let Some(category) = themes.iter().find(|cat| cat.code == code)
        && c.phase == minsheng_domain::campaign::Phase::Collecting.as_str()
    {
        let form = AskForm::public();
        return form_page(
            &state,
            &ctx,
            &site,
            &target(&c),
            category,
            &form,
            &random_token(),
            &[],
            None,
            StatusCode::OK,
            None,
        );
    }
    let mut context = site.context(&ctx, "campaigns");
    context.extend([
        ("campaign".into(), shown(&c)),
        ("themes".into(), json!(themes)),
        (
            "collecting".into(),
            json!(c.phase == minsheng_domain::campaign::Phase::Collecting.as_str()),
        ),
    ]);
    public_page(&state, &site, "campaign_suggest.html", context)
}

/// `POST /t/{slug}/campaigns/{campaign}/suggest`
#[handler]
pub async fn suggest_submit(
    state: Data<&ServerState>,
    ctx: Data<&Ctx>,
    req: &Request,
    Path((slug, campaign)): Path<(String, String)>,
    body: Body,
) -> Response {
    let site = site!(&state, &ctx, req, &slug);
    let bytes = match body.into_bytes().await {
        Ok(b) => b,
        Err(_) => return super::respond::bad_request(&site.word("form_expired")),
    };
    let form = AskForm::parse(&bytes);
    let loaded = pages::suggest(&ctx, &site.tenant, &campaign).await;
    let (c, themes) = match loaded {
        Ok(x) => x,
        Err(Error::NotFound(_)) => return site.not_found(&state, &ctx),
        Err(e) => return site.error(&state, &ctx, &e),
    };
    let Some(category) = themes.iter().find(|cat| cat.code == form.category.trim()) else {
        let mut context = site.context(&ctx, "campaigns");
        context.extend([
            ("campaign".into(), shown(&c)),
            ("themes".into(), json!(themes)),
            ("collecting".into(), json!(c.phase == "collecting")),
        ]);
        return public_page(&state, &site, "campaign_suggest.html", context);
    };
    file(&state, &ctx, &site, &target(&c), category, &form).await
}

/// `/t/{slug}/campaigns/{campaign}/suggestions/{code}`
#[handler]
pub async fn suggestion_page(
    state: Data<&ServerState>,
    ctx: Data<&Ctx>,
    req: &Request,
    Path((slug, campaign, code)): Path<(String, String, String)>,
) -> Response {
    let site = site!(&state, &ctx, req, &slug);
    let loaded = pages::suggestion(&ctx, &site.tenant, &campaign, &code).await;
    let (c, s) = match loaded {
        Ok(x) => x,
        Err(Error::NotFound(_)) => return site.not_found(&state, &ctx),
        Err(e) => return site.error(&state, &ctx, &e),
    };
    let mut context = site.context(&ctx, "campaigns");
    context.extend([
        ("campaign".into(), shown(&c)),
        ("s".into(), json!(s)),
        (
            "submitted".into(),
            json!(local(&site.tenant, s.case.submitted_at)),
        ),
        (
            "published".into(),
            json!(s.published_at.map(|p| local(&site.tenant, p))),
        ),
    ]);
    public_page(&state, &site, "suggestion.html", context)
}

/// `/t/{slug}/campaigns/{campaign}/projects/{reference}`
#[handler]
pub async fn project_page(
    state: Data<&ServerState>,
    ctx: Data<&Ctx>,
    req: &Request,
    Path((slug, campaign, reference)): Path<(String, String, String)>,
) -> Response {
    let site = site!(&state, &ctx, req, &slug);
    let loaded = pages::project(&ctx, &site.tenant, &campaign, &reference).await;
    let (c, p) = match loaded {
        Ok(x) => x,
        Err(Error::NotFound(_)) => return site.not_found(&state, &ctx),
        Err(e) => return site.error(&state, &ctx, &e),
    };
    let mut context = site.context(&ctx, "campaigns");
    context.extend([
        ("campaign".into(), shown(&c)),
        ("p".into(), json!(p)),
        ("planned".into(), json!(yuan(p.planned_fen))),
        ("spent".into(), json!(yuan(p.spent_fen))),
    ]);
    public_page(&state, &site, "project.html", context)
}

#[cfg(test)]
mod tests {
    use super::yuan;

    #[test]
    fn fen_read_as_yuan() {
        assert_eq!(yuan(286_000_000_000), "¥2,860,000,000");
        assert_eq!(yuan(100), "¥1");
        assert_eq!(yuan(123_456), "¥1,234.56");
        assert_eq!(yuan(0), "¥0");
        assert_eq!(yuan(-5_00), "-¥5");
    }
}
