//! The pages anyone may read: a city's home page, its public answers, a
//! public case, the department directory and one department's page, plus
//! the platform index and the error pages. Each handler finds its city
//! ([`Site::load`]), loads what it shows through the services and renders
//! one template.

use super::cache::CountsView;
use super::site::{Site, branding, site};
use super::templates::words;
use crate::app::ServerState;
use minsheng_app::access::Ctx;
use minsheng_app::model::{Department, PublicCase};
use minsheng_app::services::tenants::TenantRecord;
use minsheng_app::services::{categories, departments, tenants};
use minsheng_domain::Error;
use minsheng_domain::values::Locale;
use minsheng_store::queries::cases::Filter;
use poem::http::{StatusCode, header};
use poem::web::{Data, Html, Path, Query, Redirect};
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

fn percent(rate: f64) -> String {
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
        let tx = state.tenant_read(tenant.id).await?;
        let depts = departments::list(&tx, tenant.id, false).await?;
        let cats = categories::list(&tx, tenant.id, false).await?;
        drop(tx);
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
        Err(e) => return error_page(&e),
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
fn public_page(
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
        states: Some(vec!["answered".into(), "closed".into()]),
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
        Err(e) => return error_page(&e),
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
    let loaded = async {
        let tx = state.tenant_read(tenant.id).await?;
        let depts = departments::list(&tx, tenant.id, false).await?;
        let cats = categories::list(&tx, tenant.id, false).await?;
        drop(tx);
        Ok::<_, Error>((depts, cats))
    }
    .await;
    let (depts, cats) = match loaded {
        Ok(x) => x,
        Err(e) => return error_page(&e),
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
        Err(e) => return error_page(&e),
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

// ---- departments -------------------------------------------------------------

#[derive(Deserialize)]
pub struct DirectoryQuery {
    sort: Option<String>,
    dir: Option<String>,
}

/// The sortable columns of the directory: key, word, numeric.
const COLUMNS: [(&str, &str, bool); 5] = [
    ("name", "department", false),
    ("cases", "cases", true),
    ("answer_rate", "answer_rate", true),
    ("on_time_rate", "on_time_rate", true),
    ("satisfaction", "satisfaction_rate", true),
];

/// `/t/{slug}/departments`: every department with its past year's figures,
/// sortable by any column (links, so it works without JavaScript).
#[handler]
pub async fn departments_page(
    state: Data<&ServerState>,
    ctx: Data<&Ctx>,
    req: &Request,
    Path(slug): Path<String>,
    Query(query): Query<DirectoryQuery>,
) -> Response {
    let site = site!(&state, &ctx, req, &slug);
    let tenant = &site.tenant;
    let loaded = async {
        let tx = state.tenant_read(tenant.id).await?;
        let depts = departments::list(&tx, tenant.id, false).await?;
        drop(tx);
        let stats =
            minsheng_app::services::cases::department_stats(&ctx, tenant, None, None).await?;
        Ok::<_, Error>((depts, stats))
    }
    .await;
    let (depts, stats) = match loaded {
        Ok(x) => x,
        Err(e) => return error_page(&e),
    };
    let sort = query
        .sort
        .filter(|s| COLUMNS.iter().any(|c| c.0 == s))
        .unwrap_or_else(|| "cases".into());
    let numeric = COLUMNS.iter().any(|c| c.0 == sort && c.2);
    // Numbers sort largest first unless asked otherwise; names A to Z.
    let desc = match query.dir.as_deref() {
        Some("asc") => false,
        Some("desc") => true,
        _ => numeric,
    };
    struct Row<'a> {
        d: &'a Department,
        received: i64,
        answer_rate: f64,
        on_time_rate: f64,
        satisfaction: f64,
    }
    let mut rows: Vec<Row<'_>> = depts
        .iter()
        .map(|d| {
            let s = stats
                .iter()
                .find(|s| s.department.as_deref() == Some(d.code.as_str()));
            Row {
                d,
                received: s.map_or(0, |s| s.received),
                answer_rate: s.map_or(0.0, |s| s.answer_rate),
                on_time_rate: s.map_or(0.0, |s| s.on_time_rate),
                satisfaction: s.map_or(0.0, |s| s.satisfaction_rate),
            }
        })
        .collect();
    rows.sort_by(|a, b| {
        let order = match sort.as_str() {
            "name" => a.d.name.cmp(&b.d.name),
            "answer_rate" => a.answer_rate.total_cmp(&b.answer_rate),
            "on_time_rate" => a.on_time_rate.total_cmp(&b.on_time_rate),
            "satisfaction" => a.satisfaction.total_cmp(&b.satisfaction),
            _ => a.received.cmp(&b.received),
        };
        let order = if desc { order.reverse() } else { order };
        order.then_with(|| a.d.sort_order.cmp(&b.d.sort_order))
    });
    let rows: Vec<_> = rows
        .iter()
        .map(|r| {
            json!({
                "code": r.d.code,
                "name": r.d.name,
                "received": r.received,
                "answer_rate": percent(r.answer_rate),
                "on_time_rate": percent(r.on_time_rate),
                "satisfaction_rate": percent(r.satisfaction),
            })
        })
        .collect();
    let t = site.words();
    let columns: Vec<_> = COLUMNS
        .iter()
        .map(|(key, word, num)| {
            // Selecting the sorted column again flips its direction.
            let dir = if *key == sort {
                if desc { "asc" } else { "desc" }
            } else if *num {
                "desc"
            } else {
                "asc"
            };
            json!({
                "key": key,
                "label": t[*word],
                "num": num,
                "href": format!("{}departments?sort={key}&dir={dir}", site.base),
            })
        })
        .collect();
    let mut context = site.context(&ctx, "departments");
    context.extend([
        ("rows".into(), json!(rows)),
        ("columns".into(), json!(columns)),
        ("sort".into(), json!(sort)),
        ("desc".into(), json!(desc)),
    ]);
    public_page(&state, &site, "departments.html", context)
}

/// `/t/{slug}/departments/{code}`: one department, its figures and its
/// latest public cases.
#[handler]
pub async fn department_page(
    state: Data<&ServerState>,
    ctx: Data<&Ctx>,
    req: &Request,
    Path((slug, code)): Path<(String, String)>,
) -> Response {
    let site = site!(&state, &ctx, req, &slug);
    let tenant = &site.tenant;
    let loaded = async {
        let tx = state.tenant_read(tenant.id).await?;
        let depts = departments::list(&tx, tenant.id, false).await?;
        drop(tx);
        let Some(dept) = depts.into_iter().find(|d| d.code == code) else {
            return Ok(None);
        };
        let stats =
            minsheng_app::services::cases::department_stats(&ctx, tenant, None, None).await?;
        let filter = Filter {
            department: Some(dept.id),
            ..Default::default()
        };
        let recent =
            minsheng_app::services::cases::list_recent_public(&ctx, tenant, filter, 10).await?;
        let mine = stats
            .into_iter()
            .find(|s| s.department.as_deref() == Some(dept.code.as_str()));
        Ok::<_, Error>(Some((dept, mine, recent)))
    }
    .await;
    let (dept, stats, recent) = match loaded {
        Ok(Some(x)) => x,
        Ok(None) => return site.not_found(&state, &ctx),
        Err(e) => return error_page(&e),
    };
    let mut context = site.context(&ctx, "departments");
    context.extend([
        ("department".into(), json!(dept)),
        (
            "stats".into(),
            json!({
                "received": stats.as_ref().map_or(0, |s| s.received),
                "answer_rate": percent(stats.as_ref().map_or(0.0, |s| s.answer_rate)),
                "on_time_rate": percent(stats.as_ref().map_or(0.0, |s| s.on_time_rate)),
                "satisfaction_rate": percent(stats.as_ref().map_or(0.0, |s| s.satisfaction_rate)),
            }),
        ),
        ("items".into(), json!(recent)),
    ]);
    public_page(&state, &site, "department.html", context)
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

/// A 404: a page for browsers (in the city's branding when there is one),
/// JSON for everyone else.
pub fn not_found(state: &ServerState, req: &Request, tenant: Option<&TenantRecord>) -> Response {
    let wants_html = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("text/html"));
    if !wants_html {
        return poem::web::Json(json!({
            "error": "not_found",
            "message": format!("no city or page at {}", req.uri().path()),
        }))
        .with_status(StatusCode::NOT_FOUND)
        .into_response();
    }
    let locale = tenant.map_or(Locale::En, |t| t.locale);
    let context = json!({
        "t": words(locale),
        "city": tenant.map(|t| branding(t, "/")),
        "asset": *super::site::ASSET_VERSION,
    });
    render(state, "not_found.html", context, StatusCode::NOT_FOUND)
}

pub(super) fn render(
    state: &ServerState,
    name: &str,
    context: Value,
    status: StatusCode,
) -> Response {
    let rendered = state
        .templates
        .get_template(name)
        .and_then(|t| t.render(context));
    match rendered {
        Ok(html) => Html(html).with_status(status).into_response(),
        Err(e) => error_page(&Error::internal(format!("template {name}: {e}"))),
    }
}

/// A short plain page for a request the visitor can fix.
pub fn bad_request(message: &str) -> Response {
    plain(StatusCode::BAD_REQUEST, message)
}

/// A short plain page for a form sent without its token (cross-site, or
/// kept open past its session).
pub fn refused(message: &str) -> Response {
    plain(StatusCode::FORBIDDEN, message)
}

fn plain(status: StatusCode, message: &str) -> Response {
    let escaped = message
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    let code = status.as_u16();
    Html(format!(
        "<!doctype html><title>{code}</title><h1>{code}</h1><p>{escaped}</p>"
    ))
    .with_status(status)
    .into_response()
}

/// A plain page for errors that are not the visitor's fault.
pub fn error_page(error: &Error) -> Response {
    tracing::error!(error = %error, "page failed");
    Html("<!doctype html><title>Error</title><h1>Something went wrong</h1><p>It has been logged.</p>")
        .with_status(StatusCode::INTERNAL_SERVER_ERROR)
        .into_response()
}
