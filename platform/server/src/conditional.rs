//! Conditional reads for the REST API and Open311: every successful `GET`
//! gets a strong `ETag` (a hash of the body) and a `Cache-Control` saying
//! who may keep it, and a request whose `If-None-Match` lists that tag is
//! answered `304 Not Modified` without a body. An integrator polling a
//! case or a listing then transfers nothing until something changed.
//!
//! The tag is computed from the body the handler produced, so it changes
//! exactly when the answer does: a write is never hidden behind an old tag.
//! Anonymous answers are `public, no-cache` (any cache may keep them but
//! must ask again before use); answers to a signed-in user or an API key
//! are `private, no-cache`.

use minsheng_app::access::{Ctx, Principal};
use poem::http::{HeaderValue, Method, StatusCode, header};
use poem::{Body, Endpoint, IntoResponse, Request, Response};
use std::sync::Arc;

/// Larger bodies (archives, exports) are streamed as they are, untagged.
const MAX_TAGGED: usize = 4 * 1024 * 1024;

/// A strong entity tag of `body`.
pub fn etag_of(body: &[u8]) -> HeaderValue {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    body.hash(&mut h);
    HeaderValue::from_str(&format!("\"{:016x}\"", h.finish()))
        .unwrap_or_else(|_| HeaderValue::from_static("\"0\""))
}

/// The entity tags a request's `If-None-Match` lists.
pub fn if_none_match(req: &Request) -> Vec<String> {
    req.headers()
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().to_owned())
        .collect()
}

/// Whether `tags` (from `If-None-Match`) list `etag` or are `*`: the weak
/// comparison RFC 9110 asks for there.
pub fn matches(tags: &[String], etag: &HeaderValue) -> bool {
    tags.iter()
        .any(|tag| tag == "*" || tag.trim_start_matches("W/").as_bytes() == etag.as_bytes())
}

/// The middleware, around `/api` and `/open311`.
pub async fn tag<E: Endpoint>(ep: Arc<E>, req: Request) -> poem::Result<Response> {
    if !matches!(*req.method(), Method::GET | Method::HEAD) {
        return ep.call(req).await.map(IntoResponse::into_response);
    }
    let anonymous = req
        .data::<Ctx>()
        .is_none_or(|c| matches!(c.principal, Principal::Anonymous));
    let tags = if_none_match(&req);
    let resp = ep.call(req).await?.into_response();
    if resp.status() != StatusCode::OK || resp.headers().contains_key(header::ETAG) {
        return Ok(resp);
    }
    let (mut parts, body) = resp.into_parts();
    let body = body.into_bytes().await?;
    if body.len() > MAX_TAGGED {
        return Ok(Response::from_parts(parts, Body::from_bytes(body)));
    }
    let etag = etag_of(&body);
    if !parts.headers.contains_key(header::CACHE_CONTROL) {
        parts.headers.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static(if anonymous {
                "public, no-cache"
            } else {
                "private, no-cache"
            }),
        );
    }
    parts.headers.insert(header::ETAG, etag.clone());
    if matches(&tags, &etag) {
        let mut not_modified = Response::builder()
            .status(StatusCode::NOT_MODIFIED)
            .finish();
        for name in [header::ETAG, header::CACHE_CONTROL, header::VARY] {
            if let Some(v) = parts.headers.get(&name) {
                not_modified.headers_mut().insert(name, v.clone());
            }
        }
        return Ok(not_modified);
    }
    Ok(Response::from_parts(parts, Body::from_bytes(body)))
}
