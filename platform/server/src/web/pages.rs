//! The pages anyone may read: a city's home page, its public answers and a
//! public case (the department directory is in [`super::departments`]),
//! plus the platform index and the error pages. Each handler finds its city
//! ([`Site::load`]), loads what it shows through the services and renders
//! one template.

use super::cache::CountsView;
use super::respond::{error_page, not_found, render};
use super::site::{Site, site};
use super::templates::words;
use crate::app::ServerState;
use minsheng_app::access::Ctx;
use minsheng_app::model::{Department, PublicCase};
use minsheng_app::services::tenants::TenantRecord;
use minsheng_app::services::{directory, tenants};
use minsheng_domain::Error;
use minsheng_domain::values::Locale;
use minsheng_store::queries::cases::Filter;
use poem::http::{StatusCode, header};
use poem::web::{Data, Path, Query, Redirect};
use poem::{IntoResponse, Request, Response, handler};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// How long shared caches (a CDN, a proxy) may serve a public page.
const PUBLIC_MAX_AGE: u32 = 10;

/// `/t/{slug}` without the slash: send the browser to the canonical URL.
#[handler]
pub fn slug_redirect(Path(slug): Path<String>) -> Redirect {
    Redirect::permanent(format!("/t/{slug}/"))
}

/// A local time in the city's zone, as pages show it.
pub(super) fn local(tenant: &TenantRecord, at: chrono::DateTime<chrono::Utc>) -> String {
    at.with_timezone(&tenant.time_zone)
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

pub(super) fn percent(rate: f64) -> String {
    format!("{:.1}%", rate * 100.0)
}

// ---- home --------------------------------------------------------------------

/// `/t/{slug}/` (or `/` on the city's host): the city's home page.
#[handler]
pub async fn home(
    state: Data<&ServerState>,
    ctx: Data<&Ctx>,
    req: &Request,
    Path(slug): Path<String>,
) -> Response {
    let site = site!(&state, &ctx, req, &slug);
    landing(&state, &ctx, &site, None).await
}

/// The home page; `unfound` is a tracking code that found nothing, shown
/// again with the message next to the field.
async fn landing(state: &ServerState, ctx: &Ctx, site: &Site, unfound: Option<&str>) -> Response {
    let tenant = &site.tenant;
    let loaded = async {
        let (depts, cats) = directory::active(ctx, tenant).await?;
        // The past year's figures, from the rollup (no scan of the cases).
        let figures = minsheng_app::services::cases::city_stats(ctx, tenant, None, None).await?;
        let recent =
            minsheng_app::services::cases::list_recent_public(ctx, tenant, answered_filter(), 5)
                .await?;
        Ok::<_, Error>((depts, cats, figures, recent))
    }
    .await;
    let (depts, cats, figures, recent) = match loaded {
        Ok(x) => x,
        Err(e) => return site.error(state, ctx, &e),
    };
    let mut context = site.context(ctx, "home");
    context.extend([
        ("count".into(), json!(depts.len())),
        (
            "figures".into(),
            json!({
                "received": figures.received,
                "answered": figures.answered,
                "answer_rate": percent(figures.answer_rate),
                "satisfaction_rate": percent(figures.satisfaction_rate),
                "views": figures.views,
            }),
        ),
        ("recent".into(), json!(recent)),
        ("track_code".into(), json!(unfound.unwrap_or_default())),
        (
            "track_error".into(),
            json!(unfound.map(|_| site.word("no_such_code"))),
        ),
        ("tree".into(), json!(tree(&depts))),
        ("categories".into(), json!(cats)),
    ]);
    let status = if unfound.is_some() {
        StatusCode::NOT_FOUND
    } else {
        StatusCode::OK
    };
    render(state, "landing.html", Value::Object(context), status)
        .with_header(header::CACHE_CONTROL, site.cache_control(PUBLIC_MAX_AGE))
        .with_header(header::VARY, "Cookie")
        .into_response()
}

/// A public page: shared by every visitor not signed in to the city.
pub(super) fn public_page(
    state: &ServerState,
    site: &Site,
    template: &str,
    context: serde_json::Map<String, Value>,
) -> Response {
    render(state, template, Value::Object(context), StatusCode::OK)
        .with_header(header::CACHE_CONTROL, site.cache_control(PUBLIC_MAX_AGE))
        .with_header(header::VARY, "Cookie")
        .into_response()
}

fn answered_filter() -> Filter {
    Filter {
        published_answers: true,
        ..Default::default()
    }
}

/// The home page's tracking form sends `?code=` to the track page, which
/// shows a public case or, when nothing is found, the home page again with
/// the message next to the field.
pub(super) async fn landing_unfound(
    state: &ServerState,
    ctx: &Ctx,
    site: &Site,
    typed: &str,
) -> Response {
    landing(state, ctx, site, Some(typed)).await
}

#[derive(Serialize)]
struct Node {
    department: Department,
    children: Vec<Node>,
}

fn tree(all: &[Department]) -> Vec<Node> {
    fn children_of(all: &[Department], parent: Option<uuid::Uuid>, depth: usize) -> Vec<Node> {
        if depth > 32 {
            return Vec::new();
        }
        all.iter()
            .filter(|d| d.parent_id == parent)
            .map(|d| Node {
                department: d.clone(),
                children: children_of(all, Some(d.id), depth + 1),
            })
            .collect()
    }
    // A department whose parent is inactive is shown at the top level.
    let ids: std::collections::HashSet<_> = all.iter().map(|d| d.id).collect();
    let mut roots = children_of(all, None, 0);
    for d in all
        .iter()
        .filter(|d| d.parent_id.is_some_and(|p| !ids.contains(&p)))
    {
        roots.push(Node {
            department: d.clone(),
            children: children_of(all, Some(d.id), 1),
        });
    }
    roots
}

// ---- a public case -----------------------------------------------------------

/// `/t/{slug}/cases/{code}`: a public case.
#[handler]
pub async fn case_page(
    state: Data<&ServerState>,
    ctx: Data<&Ctx>,
    req: &Request,
    Path((slug, code)): Path<(String, String)>,
) -> Response {
    let site = site!(&state, &ctx, req, &slug);
    let detail = match minsheng_app::services::cases::get(&ctx, &site.tenant, &code, None).await {
        Ok(d) if d.public => d,
        Ok(_) | Err(Error::NotFound(_) | Error::Invalid(_)) => {
            return site.not_found(&state, &ctx);
        }
        Err(e) => return site.error(&state, &ctx, &e),
    };
    let code = detail.case.tracking_code.clone();
    minsheng_app::services::cases::note_view(&state, &site.tenant, &code, ctx.ip);
    let context = case_context(&site, &ctx, &detail, None);
    let mut resp = render(&state, "case.html", Value::Object(context), StatusCode::OK)
        .with_header(header::CACHE_CONTROL, site.cache_control(PUBLIC_MAX_AGE))
        .with_header(header::VARY, "Cookie")
        .into_response();
    resp.extensions_mut().insert(CountsView {
        tenant: site.tenant.clone(),
        code,
    });
    resp
}

/// What the case template shows; `owner` adds the citizen's own forms.
pub(super) fn case_context(
    site: &Site,
    ctx: &Ctx,
    detail: &minsheng_app::model::CaseDetail,
    owner: Option<Value>,
) -> serde_json::Map<String, Value> {
    let tenant = &site.tenant;
    let timeline: Vec<_> = detail
        .timeline
        .iter()
        .filter(|e| e.public)
        .map(|e| {
            json!({
                "at": e.at,
                "local": local(tenant, e.at),
                "action": e.action,
                "department": e.department,
                "text": e.text,
            })
        })
        .collect();
    let mut context = site.context(ctx, "");
    context.extend([
        ("case".into(), json!(detail.case)),
        ("public".into(), json!(detail.public)),
        ("awaiting_review".into(), json!(detail.awaiting_review)),
        ("merged_into".into(), json!(detail.merged_into)),
        ("merged_answer".into(), json!(detail.merged_answer)),
        (
            "submitted".into(),
            json!(local(tenant, detail.case.submitted_at)),
        ),
        (
            "answer_by".into(),
            json!(local(tenant, detail.case.answer_deadline)),
        ),
        ("timeline".into(), json!(timeline)),
        ("owner".into(), owner.unwrap_or(Value::Null)),
    ]);
    context
}

// ---- public answers ----------------------------------------------------------

const PAGE_SIZE: u64 = 20;
const STATES: [&str; 6] = [
    "accepted",
    "assigned",
    "in_progress",
    "answered",
    "closed",
    "rejected",
];

#[derive(Default, Deserialize, Serialize)]
pub struct AnswersQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    department: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    period: String,
    page: Option<u64>,
}

/// `/t/{slug}/answers`: every public case, newest first, with filters and
/// search, 20 a page. Links are plain GET URLs, so every view can be
/// shared and bookmarked.
#[handler]
pub async fn answers(
    state: Data<&ServerState>,
    ctx: Data<&Ctx>,
    req: &Request,
    Path(slug): Path<String>,
    query: Result<Query<AnswersQuery>, poem::Error>,
) -> Response {
    let site = site!(&state, &ctx, req, &slug);
    let tenant = &site.tenant;
    // A hand-edited query (page=abc) shows the first page with a message.
    let (mut f, mut filter_error) = match query {
        Ok(Query(f)) => (f, false),
        Err(_) => (AnswersQuery::default(), true),
    };
    f.q = f.q.trim().chars().take(50).collect();
    let (depts, cats) = match directory::active(&ctx, tenant).await {
        Ok(x) => x,
        Err(e) => return site.error(&state, &ctx, &e),
    };
    let mut filter = Filter {
        search: Some(f.q.clone()).filter(|q| !q.is_empty()),
        ..Default::default()
    };
    if !f.state.is_empty() {
        if STATES.contains(&f.state.as_str()) {
            filter.state = Some(f.state.clone());
        } else {
            filter_error = true;
            f.state.clear();
        }
    }
    if !f.period.is_empty() {
        match f.period.parse::<i64>() {
            Ok(days @ (7 | 30 | 365)) => {
                filter.from = Some(chrono::Utc::now() - chrono::Duration::days(days));
            }
            _ => {
                filter_error = true;
                f.period.clear();
            }
        }
    }
    if !f.department.is_empty() && !depts.iter().any(|d| d.code == f.department) {
        filter_error = true;
        f.department.clear();
    }
    if !f.category.is_empty() && !cats.iter().any(|c| c.code == f.category) {
        filter_error = true;
        f.category.clear();
    }
    let page = f.page.unwrap_or(1).clamp(1, 10_000);
    let listed = minsheng_app::services::cases::browse_public(
        &ctx,
        tenant,
        filter,
        Some(f.department.as_str()).filter(|d| !d.is_empty()),
        Some(f.category.as_str()).filter(|c| !c.is_empty()),
        page - 1,
        PAGE_SIZE,
    )
    .await;
    let listed = match listed {
        Ok(l) => l,
        Err(e) => return site.error(&state, &ctx, &e),
    };
    // Pages are known when the count is; past the count's cap, "next" is.
    let pages = (!listed.capped).then(|| listed.total.div_ceil(PAGE_SIZE).max(1));
    let link = |p: u64| {
        let mut url = form_urlencoded::Serializer::new(String::new());
        for (k, v) in [
            ("q", &f.q),
            ("department", &f.department),
            ("category", &f.category),
            ("state", &f.state),
            ("period", &f.period),
        ] {
            if !v.is_empty() {
                url.append_pair(k, v);
            }
        }
        if p > 1 {
            url.append_pair("page", &p.to_string());
        }
        format!("{}answers?{}", site.base, url.finish())
    };
    let items: Vec<_> = listed.items.iter().map(|c| with_local(tenant, c)).collect();
    let mut context = site.context(&ctx, "answers");
    context.extend([
        ("f".into(), json!(f)),
        ("filter_error".into(), json!(filter_error)),
        ("departments".into(), json!(depts)),
        ("categories".into(), json!(cats)),
        ("states".into(), json!(STATES)),
        ("items".into(), json!(items)),
        (
            "total".into(),
            json!(if listed.capped {
                format!("{}+", listed.total)
            } else {
                listed.total.to_string()
            }),
        ),
        ("page".into(), json!(page)),
        ("pages".into(), json!(pages)),
        ("prev".into(), json!((page > 1).then(|| link(page - 1)))),
        ("next".into(), json!(listed.more.then(|| link(page + 1)))),
    ]);
    public_page(&state, &site, "answers.html", context)
}

/// A case for a list, with its local submission time.
fn with_local(tenant: &TenantRecord, c: &PublicCase) -> Value {
    let mut v = json!(c);
    v["local"] = json!(local(tenant, c.submitted_at));
    v
}

// ---- the platform's own pages ------------------------------------------------

/// Every path no route took: the platform index on the platform's own
/// host names, a 404 otherwise (city host names were rewritten to their
/// city's routes before routing, see [`super::site::route_by_host`]).
#[handler]
pub async fn fallback(state: Data<&ServerState>, ctx: Data<&Ctx>, req: &Request) -> Response {
    // An unknown page of a city: the city's own 404 page.
    if let Some(slug) = req
        .uri()
        .path()
        .strip_prefix("/t/")
        .and_then(|rest| rest.split('/').next())
        .filter(|s| !s.is_empty())
    {
        return match Site::load(&state, &ctx, req, slug).await {
            Ok(site) => site.not_found(&state, &ctx),
            Err(resp) => resp,
        };
    }
    let host = super::resolve::request_host(req, &state.config).unwrap_or_default();
    let platform = state
        .config
        .platform_hosts
        .iter()
        .any(|h| h.eq_ignore_ascii_case(&host));
    match req.uri().path() {
        "/" if platform => index(&state).await,
        "/robots.txt" if platform => platform_robots(&state, req).await,
        _ => not_found(&state, req, None),
    }
}

async fn index(state: &ServerState) -> Response {
    match tenants::list(&state.store).await {
        Ok(list) => {
            let cities: Vec<_> = list.into_iter().filter(|t| t.active).collect();
            let context = json!({
                "t": words(Locale::En),
                "cities": cities,
                "asset": *super::site::ASSET_VERSION,
            });
            render(state, "index.html", context, StatusCode::OK)
        }
        Err(e) => error_page(&e),
    }
}

/// The platform host's `robots.txt`: every city's rules under its path,
/// and every city's sitemap.
async fn platform_robots(state: &ServerState, req: &Request) -> Response {
    match tenants::list(&state.store).await {
        Ok(list) => {
            let origin = super::site::origin(state, req);
            let mut body = String::from("User-agent: *\nDisallow: /api/\n");
            for t in list.iter().filter(|t| t.active) {
                body.push_str(&super::site::robots_rules(&format!("/t/{}/", t.slug)));
            }
            for t in list.iter().filter(|t| t.active) {
                body.push_str(&format!("Sitemap: {origin}/t/{}/sitemap.xml\n", t.slug));
            }
            Response::builder()
                .header(header::CONTENT_TYPE, "text/plain; charset=utf-8")
                .header(header::CACHE_CONTROL, "public, max-age=3600")
                .body(body)
        }
        Err(e) => error_page(&e),
    }
}
