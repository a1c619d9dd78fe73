//! Finding the city a page request is for: by the `/t/{slug}/` path, or by
//! the exact host name. `X-Forwarded-Host` is believed only when the peer is
//! a configured trusted proxy, so a client cannot pick another city's site
//! by forging the header.

use crate::app::AppState;
use crate::services::tenants::{self, TenantRecord};
use poem::http::header;
use poem::{Request, Response};

/// The city a page request resolved to.
#[derive(Clone, Debug)]
pub struct SiteTenant(pub TenantRecord);

/// The host name the client asked for, lowercase and without port.
pub fn request_host(req: &Request, state: &AppState) -> Option<String> {
    let from_proxy = req.remote_addr().as_socket_addr().is_some_and(|peer| {
        state
            .config
            .trusted_proxies
            .iter()
            .any(|net| net.contains(&peer.ip()))
    });
    let forwarded = from_proxy
        .then(|| req.headers().get("x-forwarded-host"))
        .flatten()
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next());
    let raw = forwarded.or_else(|| {
        req.headers()
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
    })?;
    Some(
        strip_port(raw.trim())
            .trim_end_matches('.')
            .to_ascii_lowercase(),
    )
}

/// `https` when a trusted proxy says the client used it, else `http`.
pub fn request_scheme(req: &Request, state: &AppState) -> &'static str {
    let from_proxy = req.remote_addr().as_socket_addr().is_some_and(|peer| {
        state
            .config
            .trusted_proxies
            .iter()
            .any(|net| net.contains(&peer.ip()))
    });
    let https = from_proxy
        && req
            .headers()
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("https"));
    if https { "https" } else { "http" }
}

/// The client's address: the first `X-Forwarded-For` entry when the peer is
/// a trusted proxy, else the peer itself.
pub fn client_ip(req: &Request, state: &AppState) -> Option<std::net::IpAddr> {
    let peer = req.remote_addr().as_socket_addr().map(|a| a.ip());
    let trusted =
        peer.is_some_and(|ip| state.config.trusted_proxies.iter().any(|n| n.contains(&ip)));
    if trusted
        && let Some(forwarded) = req
            .headers()
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .and_then(|v| v.trim().parse().ok())
    {
        return Some(forwarded);
    }
    peer
}

/// The value of one cookie.
pub fn cookie(req: &Request, name: &str) -> Option<String> {
    req.headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

fn strip_port(host: &str) -> &str {
    if let Some(rest) = host.strip_prefix('[') {
        // [::1]:8080
        return rest.split(']').next().unwrap_or(rest);
    }
    match host.rsplit_once(':') {
        Some((name, port)) if port.chars().all(|c| c.is_ascii_digit()) && !name.contains(':') => {
            name
        }
        _ => host,
    }
}

/// The active city with this slug.
pub async fn by_slug(state: &AppState, slug: &str) -> Result<Option<TenantRecord>, Response> {
    match tenants::find(state.store.db(), slug).await {
        Ok(t) if t.active => Ok(Some(t)),
        Ok(_) | Err(minsheng_domain::Error::NotFound(_)) => Ok(None),
        Err(e) => Err(super::pages::error_page(&e)),
    }
}

/// The active city served at the request's host.
pub async fn by_host(state: &AppState, req: &Request) -> Result<Option<TenantRecord>, Response> {
    let Some(host) = request_host(req, state) else {
        return Ok(None);
    };
    state
        .tenants
        .find_by_host(state.store.db(), &host)
        .await
        .map_err(|e| super::pages::error_page(&e))
}

#[cfg(test)]
mod tests {
    use super::strip_port;

    #[test]
    fn ports_are_stripped() {
        assert_eq!(strip_port("daqing.localhost:8080"), "daqing.localhost");
        assert_eq!(strip_port("daqing.localhost"), "daqing.localhost");
        assert_eq!(strip_port("[::1]:8080"), "::1");
        assert_eq!(strip_port("::1"), "::1");
    }
}
