//! Page handlers. Each finds its city (by path or host), loads what it shows
//! through the services and renders one template.

use super::resolve;
use super::templates::words;
use crate::access::{Ctx, Principal};
use crate::app::AppState;
use crate::model::Department;
use crate::services::tenants::TenantRecord;
use crate::services::{categories, departments, tenants};
use minsheng_domain::Error;
use minsheng_domain::values::Locale;
use poem::http::{StatusCode, header};
use poem::web::{Data, Html, Path, Redirect};
use poem::{IntoResponse, Request, Response, handler};
use serde::Serialize;

/// `/t/{slug}` without the slash: send the browser to the canonical URL.
#[handler]
pub fn slug_redirect(Path(slug): Path<String>) -> Redirect {
    Redirect::permanent(format!("/t/{slug}/"))
}

/// `/t/{slug}/`: a city's landing page by path.
#[handler]
pub async fn landing_by_path(
    state: Data<&AppState>,
    ctx: Data<&Ctx>,
    req: &Request,
    Path(slug): Path<String>,
) -> Response {
    match resolve::by_slug(&state, &slug).await {
        Ok(Some(tenant)) => landing(&state, &ctx, &tenant, &format!("/t/{slug}/")).await,
        Ok(None) => not_found(&state, req, None),
        Err(resp) => resp,
    }
}

/// `/`: the landing page of the city served at this host, or the platform
/// index on the platform's own host names.
async fn root(state: &AppState, ctx: &Ctx, req: &Request) -> Response {
    match resolve::by_host(state, req).await {
        Ok(Some(tenant)) => landing(state, ctx, &tenant, "/").await,
        Ok(None) => {
            let host = resolve::request_host(req, state).unwrap_or_default();
            if state
                .config
                .platform_hosts
                .iter()
                .any(|h| h.eq_ignore_ascii_case(&host))
            {
                index(state).await
            } else {
                not_found(state, req, None)
            }
        }
        Err(resp) => resp,
    }
}

/// Every other path: `/` is the host's home page, `/cases/{code}` a public
/// case; anything else is a 404, in the city's branding when the host is a
/// city's.
#[handler]
pub async fn by_host(state: Data<&AppState>, ctx: Data<&Ctx>, req: &Request) -> Response {
    let path = req.uri().path().to_owned();
    if path == "/" {
        return root(&state, &ctx, req).await;
    }
    let tenant = resolve::by_host(&state, req).await.ok().flatten();
    if let (Some(tenant), Some(code)) = (&tenant, path.strip_prefix("/cases/"))
        && !code.contains('/')
    {
        return case_page(&state, &ctx, req, tenant, code, "/").await;
    }
    not_found(&state, req, tenant.as_ref())
}

#[derive(serde::Deserialize)]
pub struct TrackQuery {
    code: Option<String>,
}

/// `/t/{slug}/track?code=…`: the tracking form (it works without
/// JavaScript). A code of a public case goes to its page; anything else
/// shows the home page again with the message next to the field.
#[handler]
pub async fn track(
    state: Data<&AppState>,
    ctx: Data<&Ctx>,
    req: &Request,
    Path(slug): Path<String>,
    poem::web::Query(query): poem::web::Query<TrackQuery>,
) -> Response {
    let tenant = match resolve::by_slug(&state, &slug).await {
        Ok(Some(t)) => t,
        Ok(None) => return not_found(&state, req, None),
        Err(resp) => return resp,
    };
    let typed = query.code.unwrap_or_default();
    let base = format!("/t/{slug}/");
    if let Some(code) = minsheng_domain::case::normalize_tracking_code(&typed)
        && let Ok(detail) = crate::services::cases::get(&ctx, &tenant, &code, None).await
        && detail.public
    {
        return Redirect::see_other(format!("{base}cases/{code}")).into_response();
    }
    landing_with(&state, &ctx, &tenant, &base, Some(typed.trim())).await
}

/// `/t/{slug}/cases/{code}`: a public case by path.
#[handler]
pub async fn case_by_path(
    state: Data<&AppState>,
    ctx: Data<&Ctx>,
    req: &Request,
    Path((slug, code)): Path<(String, String)>,
) -> Response {
    match resolve::by_slug(&state, &slug).await {
        Ok(Some(tenant)) => {
            case_page(&state, &ctx, req, &tenant, &code, &format!("/t/{slug}/")).await
        }
        Ok(None) => not_found(&state, req, None),
        Err(resp) => resp,
    }
}

/// A public case: the question, the official answer, the rating and the
/// public steps, as anyone may see them (staff see the same page; their
/// tools are elsewhere). A private or unknown case is a 404.
async fn case_page(
    state: &AppState,
    ctx: &Ctx,
    req: &Request,
    tenant: &TenantRecord,
    code: &str,
    base: &str,
) -> Response {
    let detail = match crate::services::cases::get(ctx, tenant, code, None).await {
        Ok(d) if d.public => d,
        Ok(_) | Err(Error::NotFound(_) | Error::Invalid(_)) => {
            return not_found(state, req, Some(tenant));
        }
        Err(e) => return error_page(&e),
    };
    crate::services::cases::note_view(state, tenant, &detail.case.tracking_code, ctx.ip);
    let local = |at: chrono::DateTime<chrono::Utc>| {
        at.with_timezone(&tenant.time_zone)
            .format("%Y-%m-%d %H:%M")
            .to_string()
    };
    let timeline: Vec<_> = detail
        .timeline
        .iter()
        .filter(|e| e.public)
        .map(|e| {
            serde_json::json!({
                "at": e.at,
                "local": local(e.at),
                "action": e.action,
                "department": e.department,
                "text": e.text,
            })
        })
        .collect();
    let context = serde_json::json!({
        "t": words(tenant.locale),
        "city": branding_context(tenant, base),
        "case": detail.case,
        "submitted": local(detail.case.submitted_at),
        "answer_by": local(detail.case.answer_deadline),
        "timeline": timeline,
    });
    render(state, "case.html", context, StatusCode::OK)
        .with_header(header::CACHE_CONTROL, "public, max-age=60")
        .into_response()
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

pub(super) fn branding_context(tenant: &TenantRecord, base: &str) -> serde_json::Value {
    serde_json::json!({
        "slug": tenant.slug,
        "name": tenant.name,
        "title": tenant.site_title(),
        "primary": tenant.branding.primary_color,
        "accent": tenant.branding.accent_color,
        "logo_url": tenant.branding.logo_url,
        "footer": tenant.branding.footer,
        "contact": tenant.branding.contact,
        "base": base,
    })
}

async fn landing(state: &AppState, ctx: &Ctx, tenant: &TenantRecord, base: &str) -> Response {
    landing_with(state, ctx, tenant, base, None).await
}

/// The landing page; `unfound` is a tracking code that found nothing, shown
/// again with the message next to the field.
async fn landing_with(
    state: &AppState,
    ctx: &Ctx,
    tenant: &TenantRecord,
    base: &str,
    unfound: Option<&str>,
) -> Response {
    let signed_in = match &ctx.principal {
        Principal::Staff {
            username,
            tenant: t,
            ..
        }
        | Principal::Citizen {
            username,
            tenant: t,
            ..
        } if *t == tenant.id => Some(username.clone()),
        _ => None,
    };
    let loaded = async {
        let tx = state.tenant_read(tenant.id).await?;
        let db = &tx;
        let depts = departments::list(db, tenant.id, false).await?;
        let cats = categories::list(db, tenant.id, false).await?;
        drop(tx);
        // The past year's figures, from the rollup (no scan of the cases).
        let figures = crate::services::cases::city_stats(ctx, tenant, None, None).await?;
        let answered = minsheng_store::queries::cases::Filter {
            states: Some(vec!["answered".into(), "closed".into()]),
            ..Default::default()
        };
        let recent =
            crate::services::cases::list_public(ctx, tenant, answered, None, None, 0, 5).await?;
        Ok::<_, Error>((depts, cats, figures, recent.items))
    }
    .await;
    let (depts, cats, figures, recent) = match loaded {
        Ok(x) => x,
        Err(e) => return error_page(&e),
    };
    let percent = |rate: f64| format!("{:.1}%", rate * 100.0);
    let context = serde_json::json!({
        "t": words(tenant.locale),
        "city": branding_context(tenant, base),
        "count": depts.len(),
        "figures": {
            "received": figures.received,
            "answered": figures.answered,
            "answer_rate": percent(figures.answer_rate),
            "satisfaction_rate": percent(figures.satisfaction_rate),
            "views": figures.views,
        },
        "recent": recent,
        "track_code": unfound.unwrap_or_default(),
        "track_error": unfound.map(|_| words(tenant.locale)["no_such_code"].clone()),
        "tree": tree(&depts),
        "categories": cats,
        "signed_in": signed_in,
        "session_csrf": ctx.session_csrf,
    });
    // A signed-in page shows who is signed in: never cache it publicly.
    let cache = if signed_in.is_some() {
        "private, no-store"
    } else {
        "public, max-age=60"
    };
    let status = if unfound.is_some() {
        StatusCode::NOT_FOUND
    } else {
        StatusCode::OK
    };
    render(state, "landing.html", context, status)
        .with_header(header::CACHE_CONTROL, cache)
        .with_header(header::VARY, "Cookie")
        .into_response()
}

async fn index(state: &AppState) -> Response {
    match tenants::list(&state.store).await {
        Ok(list) => {
            let cities: Vec<_> = list.into_iter().filter(|t| t.active).collect();
            let context = serde_json::json!({ "t": words(Locale::En), "cities": cities });
            render(state, "index.html", context, StatusCode::OK)
        }
        Err(e) => error_page(&e),
    }
}

/// A 404: a page for browsers (in the city's branding when there is one),
/// JSON for everyone else.
pub fn not_found(state: &AppState, req: &Request, tenant: Option<&TenantRecord>) -> Response {
    let wants_html = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("text/html"));
    if !wants_html {
        return poem::web::Json(serde_json::json!({
            "error": "not_found",
            "message": format!("no city or page at {}", req.uri().path()),
        }))
        .with_status(StatusCode::NOT_FOUND)
        .into_response();
    }
    let locale = tenant.map_or(Locale::En, |t| t.locale);
    let context = serde_json::json!({
        "t": words(locale),
        "city": tenant.map(|t| branding_context(t, "/")),
    });
    render(state, "not_found.html", context, StatusCode::NOT_FOUND)
}

pub(super) fn render(
    state: &AppState,
    name: &str,
    context: serde_json::Value,
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

/// A plain page for errors that are not the visitor's fault.
pub fn error_page(error: &Error) -> Response {
    tracing::error!(error = %error, "page failed");
    Html("<!doctype html><title>Error</title><h1>Something went wrong</h1><p>It has been logged.</p>")
        .with_status(StatusCode::INTERNAL_SERVER_ERROR)
        .into_response()
}
