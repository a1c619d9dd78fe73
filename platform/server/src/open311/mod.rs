//! Open311 GeoReport v2 at `/open311/v2/`: every city's categories as
//! services, its public cases as service requests, submission through the
//! same intake as every other route, and the updates extension for clients
//! that sync. Each answer is JSON or XML as the path's extension asks, with
//! the specification's field names and error shape. `docs/open311.md`
//! describes the mapping.

pub mod format;

mod requests;
mod services;

use format::Format;
use minsheng_app::access::Ctx;
use minsheng_app::services::tenants::{self, TenantRecord};
use minsheng_domain::Error;
use poem::http::StatusCode;
use poem::{Body, Request, Response, handler};
use requests::{create, list, render_requests, requests, updates};
use services::{discovery, service_definition, services};

/// Requests listed when the client gives no date range: the last 90 days.
const DEFAULT_DAYS: i64 = 90;
/// Requests listed at most per answer (`page_size` up to this).
const DEFAULT_LIMIT: u64 = 1000;
/// Requests per page when the client does not say (`page_size`): a
/// polling integrator's request reads and renders 50 cases, not 1,000.
const DEFAULT_PAGE: u64 = 50;

/// Every Open311 path, GET and POST.
#[handler]
pub async fn endpoint(req: &Request, body: Body) -> Response {
    let path = req
        .uri()
        .path()
        .split_once("/open311/v2/")
        .map_or("", |(_, rest)| rest)
        .to_owned();
    let Some((resource, format)) = Format::split(&path) else {
        return format::error(
            Format::Json,
            StatusCode::NOT_FOUND,
            &["ask for a resource ending in .json or .xml, e.g. services.json".into()],
        );
    };
    let Some(ctx) = req.extensions().get::<Ctx>().cloned() else {
        return format::error(
            format,
            StatusCode::INTERNAL_SERVER_ERROR,
            &["no request context".into()],
        );
    };
    let query = pairs(req.uri().query().unwrap_or(""));
    let form = if req.method() == poem::http::Method::POST {
        match body.into_string().await {
            Ok(text) => pairs(&text),
            Err(e) => {
                return format::error(
                    format,
                    StatusCode::BAD_REQUEST,
                    &[format!("the request body could not be read: {e}")],
                );
            }
        }
    } else {
        Vec::new()
    };
    let method = req.method().clone();
    let result = route(&ctx, req, &method, resource, &query, &form, format).await;
    match result {
        Ok(response) => response,
        Err(e) => error_response(format, &e),
    }
}

/// Form or query pairs in order, repeated keys kept.
fn pairs(text: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(text.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn first<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.trim().is_empty())
}

/// The specification's statuses: 400 for bad input, 403 for a bad
/// `api_key`, 404 for what does not exist.
fn error_response(format: Format, e: &Error) -> Response {
    let (status, messages) = match e {
        Error::Invalid(fields) => (
            StatusCode::BAD_REQUEST,
            fields
                .iter()
                .map(|f| format!("{}: {}", f.field, f.message))
                .collect(),
        ),
        Error::NotFound(what) => (StatusCode::NOT_FOUND, vec![format!("{what} not found")]),
        Error::Unauthenticated(m) | Error::Forbidden(m) => (StatusCode::FORBIDDEN, vec![m.clone()]),
        Error::Conflict { message, .. } => (StatusCode::BAD_REQUEST, vec![message.clone()]),
        Error::TooManyRequests { .. } => (
            StatusCode::TOO_MANY_REQUESTS,
            vec!["too many requests; try again in a minute".into()],
        ),
        other => {
            tracing::error!(error = %other, "open311 request failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                vec!["something went wrong on our side; it has been logged".into()],
            )
        }
    };
    format::error(format, status, &messages)
}

async fn route(
    ctx: &Ctx,
    req: &Request,
    method: &poem::http::Method,
    resource: &str,
    query: &[(String, String)],
    form: &[(String, String)],
    format: Format,
) -> Result<Response, Error> {
    let post = method == poem::http::Method::POST;
    let params = if post { form } else { query };
    if resource == "discovery" && !post {
        return Ok(discovery(ctx, req, format));
    }
    let tenant = jurisdiction(ctx, req, first(params, "jurisdiction_id")).await?;
    let parts: Vec<&str> = resource.split('/').collect();
    match (post, parts.as_slice()) {
        (false, ["services"]) => services(ctx, &tenant, format).await,
        (false, ["services", code]) => service_definition(ctx, &tenant, code, format).await,
        (false, ["requests"]) => requests(ctx, &tenant, query, format).await,
        (false, ["requests", id]) => {
            let only = vec![("service_request_id".to_owned(), (*id).to_owned())];
            let page = list(ctx, &tenant, &only).await?;
            if page.is_empty() {
                return Err(Error::not_found(format!("service request {id:?}")));
            }
            Ok(render_requests(&tenant, &page, format))
        }
        (true, ["requests"]) => create(ctx, &tenant, form, format).await,
        (false, ["servicerequestupdates"]) => updates(ctx, &tenant, query, format).await,
        (false, ["tokens", token]) => Err(Error::not_found(format!(
            "token {token:?} (requests are created at once and answered with their service_request_id; no tokens are issued)"
        ))),
        _ => Err(Error::not_found(format!(
            "{} /open311/v2/{resource}",
            method.as_str()
        ))),
    }
}

/// The city a request is about: `jurisdiction_id` (a slug or a host name),
/// else the city served at the request's host.
async fn jurisdiction(
    ctx: &Ctx,
    req: &Request,
    given: Option<&str>,
) -> Result<TenantRecord, Error> {
    let db = ctx.app.store.db();
    let found = match given.map(str::trim) {
        Some(id) => match tenants::find(db, id).await {
            Ok(t) if t.active => Some(t),
            Ok(_) | Err(Error::NotFound(_)) => {
                tenants::find_by_host(db, &id.to_ascii_lowercase()).await?
            }
            Err(e) => return Err(e),
        },
        None => match crate::request::request_host(req, &ctx.app.config) {
            Some(host) => tenants::find_by_host(db, &host).await?,
            None => None,
        },
    };
    match (found, given) {
        (Some(t), _) => Ok(t),
        (None, Some(id)) => Err(Error::not_found(format!("jurisdiction_id {id:?}"))),
        (None, None) => Err(Error::invalid(
            "jurisdiction_id",
            "required: name the city by its slug (e.g. daqing) or host name",
        )),
    }
}
