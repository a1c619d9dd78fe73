//! A short-lived cache of public pages, in front of the page handlers.
//!
//! A city's home page and its public answers are read far more often than
//! anything changes, and every visitor who is not signed in sees the same
//! page. Responses a handler marked `Cache-Control: public` are kept for a
//! few seconds per host, path, query and language; any successful write
//! through this process (a submission, an answer, a rating, an admin
//! change) empties the cache at once, so a visitor never sees their own
//! change missing. Changes made by another replica or the command line
//! show within the configured time (`page_cache_secs`, 10 s by default; 0
//! turns the cache off). Every cached page gets a strong `ETag`, and a
//! matching `If-None-Match` is answered `304 Not Modified`.

use super::resolve;
use super::site::LANG_COOKIE;
use crate::app::ServerState;
use crate::conditional::{etag_of, if_none_match, matches};
use minsheng_app::access::Ctx;
use minsheng_app::services::tenants::TenantRecord;
use poem::http::{HeaderMap, HeaderValue, StatusCode, header};
use poem::{Body, Endpoint, IntoResponse, Request, Response};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Pages kept at most; when full, the cache starts again empty.
const MAX_ENTRIES: usize = 10_000;
/// Larger pages are not kept.
const MAX_BODY: usize = 512 * 1024;

/// A public case page was shown: the cache counts a view when it serves
/// the page again, as the handler would have.
#[derive(Clone)]
pub struct CountsView {
    pub tenant: TenantRecord,
    pub code: String,
}

#[derive(Clone)]
struct Entry {
    at: Instant,
    status: StatusCode,
    headers: HeaderMap,
    body: bytes::Bytes,
    etag: HeaderValue,
    view: Option<CountsView>,
}

pub struct PageCache {
    entries: Mutex<HashMap<String, Entry>>,
    ttl: Duration,
}

impl PageCache {
    /// Pages kept for `ttl` at most (zero: none).
    pub fn new(ttl: Duration) -> Self {
        Self {
            entries: Mutex::new(HashMap::new()),
            ttl,
        }
    }

    /// Forget every page (something changed, no telling which city's).
    pub fn clear(&self) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.clear();
        }
    }

    /// Forget one city's pages.
    pub fn clear_city(&self, slug: &str) {
        let prefix = format!("/t/{slug}/");
        if let Ok(mut entries) = self.entries.lock() {
            entries.retain(|key, _| {
                key.split('|')
                    .nth(1)
                    .is_none_or(|uri| !uri.starts_with(&prefix))
            });
        }
    }

    fn get(&self, key: &str) -> Option<Entry> {
        let entries = self.entries.lock().ok()?;
        entries
            .get(key)
            .filter(|e| e.at.elapsed() < self.ttl)
            .cloned()
    }

    fn put(&self, key: String, entry: Entry) {
        if self.ttl.is_zero() {
            return;
        }
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= MAX_ENTRIES {
                entries.clear();
            }
            entries.insert(key, entry);
        }
    }
}

fn respond(tags: &[String], entry: &Entry) -> Response {
    if matches(tags, &entry.etag) {
        let mut resp = Response::builder()
            .status(StatusCode::NOT_MODIFIED)
            .header(header::ETAG, entry.etag.clone())
            .finish();
        for name in [header::CACHE_CONTROL, header::VARY] {
            if let Some(v) = entry.headers.get(&name) {
                resp.headers_mut().insert(name, v.clone());
            }
        }
        return resp;
    }
    let mut resp = Response::builder().status(entry.status).finish();
    *resp.headers_mut() = entry.headers.clone();
    resp.headers_mut().insert(header::ETAG, entry.etag.clone());
    resp.set_body(Body::from_bytes(entry.body.clone()));
    resp
}

fn cacheable(headers: &HeaderMap) -> bool {
    headers
        .get(header::CACHE_CONTROL)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|d| d.trim() == "public"))
        && !headers.contains_key(header::SET_COOKIE)
}

/// The city a write is for, when its path says so (`/t/{slug}/…`,
/// `/api/v1/tenants/{slug}/…`); `None` means any city may have changed.
fn written_city(path: &str) -> Option<String> {
    let rest = path
        .strip_prefix("/t/")
        .or_else(|| path.strip_prefix("/api/v1/tenants/"))?;
    let slug = rest.split('/').next()?;
    (!slug.is_empty() && rest.contains('/')).then(|| slug.to_owned())
}

/// The middleware: serve public pages from memory, empty the cache after
/// every successful write.
pub async fn serve<E: Endpoint>(ep: Arc<E>, req: Request) -> poem::Result<Response> {
    let Some(state) = req.data::<ServerState>().cloned() else {
        return ep.call(req).await.map(IntoResponse::into_response);
    };
    let method = req.method().clone();
    if !matches!(method.as_str(), "GET" | "HEAD") {
        let city = written_city(req.uri().path());
        let resp = ep.call(req).await.map(IntoResponse::into_response);
        if resp.as_ref().is_ok_and(|r| r.status().as_u16() < 400) {
            match city {
                Some(slug) => state.pages.clear_city(&slug),
                None => state.pages.clear(),
            }
        }
        return resp;
    }
    // Pages differ only for a city's own signed-in users (they see their
    // name); everyone else shares them.
    let shared = req
        .data::<Ctx>()
        .is_some_and(|c| c.principal.tenant().is_none());
    if !shared || !req.uri().path().starts_with("/t/") {
        return ep.call(req).await.map(IntoResponse::into_response);
    }
    let key = format!(
        "{}|{}|{}",
        resolve::request_host(&req, &state.config).unwrap_or_default(),
        req.uri(),
        resolve::cookie(&req, LANG_COOKIE).unwrap_or_default()
    );
    if let Some(entry) = state.pages.get(&key) {
        if let (Some(view), Some(ctx)) = (&entry.view, req.data::<Ctx>()) {
            minsheng_app::services::cases::note_view(&state, &view.tenant, &view.code, ctx.ip);
        }
        return Ok(respond(&if_none_match(&req), &entry));
    }
    let tags = if_none_match(&req);
    let resp = ep.call(req).await?.into_response();
    if resp.status() != StatusCode::OK || !cacheable(resp.headers()) {
        return Ok(resp);
    }
    let view = resp.extensions().get::<CountsView>().cloned();
    let (parts, body) = resp.into_parts();
    let body = body.into_bytes().await?;
    let entry = Entry {
        at: Instant::now(),
        status: parts.status,
        etag: etag_of(&body),
        headers: parts.headers,
        body,
        view,
    };
    if entry.body.len() <= MAX_BODY {
        state.pages.put(key, entry.clone());
    }
    Ok(respond(&tags, &entry))
}

#[cfg(test)]
mod tests {
    use super::written_city;

    #[test]
    fn writes_name_their_city_when_the_path_does() {
        assert_eq!(written_city("/t/daqing/ask").as_deref(), Some("daqing"));
        assert_eq!(
            written_city("/api/v1/tenants/springfield/cases/X/answer").as_deref(),
            Some("springfield")
        );
        // Creating a city, Open311 (the city is in the body): any city.
        assert_eq!(written_city("/api/v1/tenants"), None);
        assert_eq!(written_city("/api/v1/tenants/new"), None);
        assert_eq!(written_city("/open311/v2/requests.json"), None);
    }
}
