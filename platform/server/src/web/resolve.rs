//! Finding the city a page request is for: by the `/t/{slug}/` path, or by
//! the exact host name. `X-Forwarded-Host` is believed only when the peer is
//! a configured trusted proxy, so a client cannot pick another city's site
//! by forging the header.

use crate::app::ServerState;
pub use crate::request::{client_ip, cookie, request_host, request_scheme};
use minsheng_app::services::tenants::{self, TenantRecord};
use poem::{Request, Response};

/// The city a page request resolved to.
#[derive(Clone, Debug)]
pub struct SiteTenant(pub TenantRecord);

/// The active city with this slug.
pub async fn by_slug(state: &ServerState, slug: &str) -> Result<Option<TenantRecord>, Response> {
    match tenants::find(state.store.db(), slug).await {
        Ok(t) if t.active => Ok(Some(t)),
        Ok(_) | Err(minsheng_domain::Error::NotFound(_)) => Ok(None),
        Err(e) => Err(super::respond::error_page(&e)),
    }
}

/// The active city served at the request's host.
pub async fn by_host(state: &ServerState, req: &Request) -> Result<Option<TenantRecord>, Response> {
    let Some(host) = request_host(req, &state.config) else {
        return Ok(None);
    };
    state
        .tenants
        .find_by_host(state.store.db(), &host)
        .await
        .map_err(|e| super::respond::error_page(&e))
}
