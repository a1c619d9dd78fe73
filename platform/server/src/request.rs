//! What a request says about itself, for every transport (API, Open311,
//! pages): the host and scheme the client used, its address, its cookies,
//! and the session cookie the server sets. `X-Forwarded-*` headers are
//! believed only from a configured trusted proxy, so a client cannot pick
//! another city's site or address by forging them.

use minsheng_app::access::ctx::SESSION_COOKIE;
use minsheng_app::config::Config;
use poem::Request;
use poem::http::header;

/// The host name the client asked for, lowercase and without port.
pub fn request_host(req: &Request, config: &Config) -> Option<String> {
    let from_proxy = req.remote_addr().as_socket_addr().is_some_and(|peer| {
        config
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
pub fn request_scheme(req: &Request, config: &Config) -> &'static str {
    let from_proxy = req.remote_addr().as_socket_addr().is_some_and(|peer| {
        config
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
pub fn client_ip(req: &Request, config: &Config) -> Option<std::net::IpAddr> {
    let peer = req.remote_addr().as_socket_addr().map(|a| a.ip());
    let trusted = peer.is_some_and(|ip| config.trusted_proxies.iter().any(|n| n.contains(&ip)));
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

/// The session cookie: host-only, secure, not readable by scripts.
pub fn session_cookie(token: &str, max_age_secs: u64) -> String {
    format!(
        "{SESSION_COOKIE}={token}; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}"
    )
}

/// The session cookie, expired (signing out).
pub fn expired_session_cookie() -> String {
    format!("{SESSION_COOKIE}=; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=0")
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
