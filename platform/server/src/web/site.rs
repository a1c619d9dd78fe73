//! What every page of a city's site shares: finding the city (by the
//! `/t/{slug}/` path or by its own host name), the visitor's language, the
//! branding and navigation every template gets, the language switch, the
//! stylesheet and script, `robots.txt` and the sitemap.

use super::colors;
use super::resolve;
use super::respond::{error_page, not_found};
use super::templates::words;
use crate::app::ServerState;
use minsheng_app::access::{Ctx, Principal};
use minsheng_app::services::tenants::TenantRecord;
use minsheng_domain::Error;
use minsheng_domain::values::Locale;
use poem::http::{StatusCode, Uri, header};
use poem::web::{Data, Path, Query};
use poem::{Endpoint, IntoResponse, Request, Response, handler};
use serde::Deserialize;
use std::sync::Arc;

/// The visitor's chosen language, when it is not the city's default.
pub const LANG_COOKIE: &str = "minsheng-lang";

/// Set on requests that came by a city's own host name (`/ask` rather
/// than `/t/{slug}/ask`), so links are made relative to `/`.
#[derive(Clone, Copy, Debug)]
pub struct ByHost;

/// Load the city or return its 404 page.
macro_rules! site {
    ($state:expr, $ctx:expr, $req:expr, $slug:expr) => {
        match Site::load($state, $ctx, $req, $slug).await {
            Ok(site) => site,
            Err(resp) => return resp,
        }
    };
}
pub(super) use site;

/// One city's site, as one request sees it.
pub struct Site {
    pub tenant: TenantRecord,
    /// `/t/{slug}/`, or `/` on the city's own host name.
    pub base: String,
    pub locale: Locale,
    /// The signed-in user of this city, if any.
    pub signed_in: Option<String>,
    /// The path and query of this page (for the language switch).
    pub path: String,
}

impl Site {
    /// The active city `slug` as this request sees it; a 404 page otherwise.
    pub async fn load(
        state: &ServerState,
        ctx: &Ctx,
        req: &Request,
        slug: &str,
    ) -> Result<Site, Response> {
        let tenant = match state.tenants.find(state.store.db(), slug).await {
            Ok(t) if t.active => t,
            Ok(_) | Err(Error::NotFound(_)) => return Err(not_found(state, req, None)),
            Err(e) => return Err(error_page(&e)),
        };
        let by_host = req.extensions().get::<ByHost>().is_some();
        let base = if by_host {
            "/".to_owned()
        } else {
            format!("/t/{slug}/")
        };
        let locale = resolve::cookie(req, LANG_COOKIE)
            .and_then(|v| Locale::parse(&v).ok())
            .unwrap_or(tenant.locale);
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
        // The path the visitor sees (without the `/t/{slug}` a host name
        // request was rewritten to).
        let uri = req.original_uri();
        let path = uri
            .path_and_query()
            .map_or_else(|| base.clone(), |p| p.as_str().to_owned());
        Ok(Site {
            tenant,
            base,
            locale,
            signed_in,
            path,
        })
    }

    /// The words of this page's language.
    pub fn words(&self) -> &'static serde_json::Value {
        words(self.locale)
    }

    /// One word of this page's language.
    pub fn word(&self, key: &str) -> String {
        super::templates::word(self.locale, key)
    }

    /// What every template of the site gets: `t` (words), `city`
    /// (branding), `nav`, `path`, `signed_in`, `session_csrf`, `asset`.
    pub fn context(&self, ctx: &Ctx, nav: &str) -> serde_json::Map<String, serde_json::Value> {
        let mut map = serde_json::Map::new();
        map.insert("t".into(), super::templates::words_ref(self.locale));
        map.insert("city".into(), branding(&self.tenant, &self.base));
        map.insert("nav".into(), nav.into());
        map.insert("path".into(), self.path.clone().into());
        map.insert("signed_in".into(), self.signed_in.clone().into());
        map.insert(
            "session_csrf".into(),
            ctx.session_csrf.clone().unwrap_or_default().into(),
        );
        map.insert("asset".into(), ASSET_VERSION.as_str().into());
        map.insert(
            "staff_desk".into(),
            super::staff::is_staff_of(ctx, &self.tenant).into(),
        );
        map
    }

    /// The `Cache-Control` of a public page: any cache may keep it, but
    /// browsers revalidate each time (a cheap `304` thanks to the `ETag`)
    /// so nobody sees yesterday's figures; shared caches may serve it for
    /// `shared_secs`. A page that differs for a signed-in visitor is never
    /// shared.
    pub fn cache_control(&self, shared_secs: u32) -> String {
        if self.signed_in.is_some() {
            "private, no-store".into()
        } else {
            format!("public, max-age=0, s-maxage={shared_secs}")
        }
    }

    /// A 404 in this city's branding and language.
    /// An error as this city's page: the status the API gives it and, for
    /// what the visitor can fix, what to fix.
    pub fn error(&self, state: &ServerState, ctx: &Ctx, error: &Error) -> Response {
        super::respond::city_error(state, self.context(ctx, ""), self.tenant.locale, error)
    }

    pub fn not_found(&self, state: &ServerState, ctx: &Ctx) -> Response {
        let context = self.context(ctx, "");
        super::respond::render(
            state,
            "not_found.html",
            serde_json::Value::Object(context),
            StatusCode::NOT_FOUND,
        )
    }
}

/// The branding every template shows, with colours made readable.
pub fn branding(tenant: &TenantRecord, base: &str) -> serde_json::Value {
    serde_json::json!({
        "slug": tenant.slug,
        "name": tenant.name,
        "title": tenant.site_title(),
        "primary": colors::ink(&tenant.branding.primary_color, "#0b5394"),
        "accent": colors::ink(&tenant.branding.accent_color, "#8a4b00"),
        "logo_url": tenant.branding.logo_url,
        "footer": tenant.branding.footer,
        "contact": tenant.branding.contact,
        "demo": tenant.publication().demo,
        "base": base,
    })
}

// ---- city host names ---------------------------------------------------------

/// Paths that are never a city page, whatever the host.
fn platform_path(path: &str) -> bool {
    [
        "/api",
        "/open311/",
        "/healthz",
        "/readyz",
        "/t/",
        "/static/",
    ]
    .iter()
    .any(|p| path == *p || path.starts_with(p))
        || path == "/t"
}

/// A request to a city's own host name (`daqing.example.org/ask`) is
/// served by the same handlers as `/t/daqing/ask`: the path is rewritten
/// before routing and the request marked [`ByHost`].
pub async fn route_by_host<E: Endpoint>(ep: Arc<E>, mut req: Request) -> poem::Result<Response> {
    let path = req.uri().path().to_owned();
    if !platform_path(&path)
        && let Some(state) = req.data::<ServerState>().cloned()
        && let Ok(Some(tenant)) = resolve::by_host(&state, &req).await
    {
        let rewritten = match req.uri().query() {
            Some(q) => format!("/t/{}{path}?{q}", tenant.slug),
            None => format!("/t/{}{path}", tenant.slug),
        };
        if let Ok(uri) = rewritten.parse::<Uri>() {
            *req.uri_mut() = uri;
            req.extensions_mut().insert(ByHost);
        }
    }
    ep.call(req).await.map(IntoResponse::into_response)
}

// ---- language ----------------------------------------------------------------

#[derive(Deserialize)]
pub struct LanguageQuery {
    to: Option<String>,
    back: Option<String>,
}

/// `GET {base}lang?to=en&back=/t/daqing/answers`: remember the language in
/// a cookie and go back to the page. Works without JavaScript.
#[handler]
pub async fn switch_language(
    state: Data<&ServerState>,
    ctx: Data<&Ctx>,
    req: &Request,
    Path(slug): Path<String>,
    Query(query): Query<LanguageQuery>,
) -> Response {
    let site = site!(&state, &ctx, req, &slug);
    let Some(locale) = query.to.as_deref().and_then(|l| Locale::parse(l).ok()) else {
        return super::respond::bad_request(&site.word("err_other"));
    };
    // Only a path on this site: never an open redirect.
    let back = query
        .back
        .filter(|b| b.starts_with('/') && !b.starts_with("//") && !b.contains('\\'))
        .unwrap_or_else(|| site.base.clone());
    Response::builder()
        .status(StatusCode::SEE_OTHER)
        .header(header::LOCATION, back)
        .header(
            header::SET_COOKIE,
            format!(
                "{LANG_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax",
                locale.as_str()
            ),
        )
        .header(header::CACHE_CONTROL, "no-store")
        .finish()
}

// ---- the stylesheet and script -----------------------------------------------

const CSS: &str = include_str!("../../static/minsheng.css");
const JS: &str = include_str!("../../static/minsheng.js");

/// Changes whenever the stylesheet or script does, so pages can link them
/// with `?v=` and browsers keep them for a year.
pub static ASSET_VERSION: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    CSS.hash(&mut h);
    JS.hash(&mut h);
    format!("{:08x}", h.finish() & 0xffff_ffff)
});

/// `GET /static/minsheng.css` and `/static/minsheng.js`.
#[handler]
pub fn asset(Path(name): Path<String>) -> Response {
    let (body, kind) = match name.as_str() {
        "minsheng.css" => (CSS, "text/css; charset=utf-8"),
        "minsheng.js" => (JS, "text/javascript; charset=utf-8"),
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    Response::builder()
        .header(header::CONTENT_TYPE, kind)
        .header(header::CACHE_CONTROL, "public, max-age=31536000, immutable")
        .body(body)
}

/// `GET {base}logo`: the city's uploaded logo. Under the versioned URL
/// the settings give it (`?v=` the start of its hash) any cache may keep
/// it for a year; otherwise for five minutes.
#[handler]
pub async fn logo(
    state: Data<&ServerState>,
    ctx: Data<&Ctx>,
    req: &Request,
    Path(slug): Path<String>,
) -> Response {
    let site = site!(&state, &ctx, req, &slug);
    let logo = match minsheng_app::services::logos::get(&ctx, &site.tenant).await {
        Ok(Some(logo)) => logo,
        Ok(None) => return site.not_found(&state, &ctx),
        Err(e) => return site.error(&state, &ctx, &e),
    };
    let etag = format!("\"{}\"", logo.hash);
    let versioned = req
        .uri()
        .query()
        .and_then(|q| q.strip_prefix("v="))
        .is_some_and(|v| v.len() >= 8 && logo.hash.starts_with(v));
    let cache = if versioned {
        "public, max-age=31536000, immutable"
    } else {
        "public, max-age=300"
    };
    if req
        .headers()
        .get(header::IF_NONE_MATCH)
        .is_some_and(|v| v.as_bytes() == etag.as_bytes())
    {
        return Response::builder()
            .status(StatusCode::NOT_MODIFIED)
            .header(header::ETAG, etag)
            .header(header::CACHE_CONTROL, cache)
            .finish();
    }
    Response::builder()
        .header(header::CONTENT_TYPE, logo.content_type)
        .header(header::CACHE_CONTROL, cache)
        .header(header::ETAG, etag)
        .header("X-Content-Type-Options", "nosniff")
        .body(logo.image)
}

// ---- robots.txt and the sitemap ----------------------------------------------

/// The absolute origin of this request (`https://host`), for the
/// sitemap's absolute URLs. Scheme and host come from a trusted proxy's
/// `X-Forwarded-*` headers when there is one.
pub fn origin(state: &ServerState, req: &Request) -> String {
    let scheme = resolve::request_scheme(req, &state.config);
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.chars()
                    .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c))
        })
        .map_or_else(
            || resolve::request_host(req, &state.config).unwrap_or_default(),
            str::to_owned,
        );
    format!("{scheme}://{host}")
}

/// `GET {base}robots.txt`: public pages may be indexed; forms and personal
/// pages may not.
#[handler]
pub async fn robots(
    state: Data<&ServerState>,
    ctx: Data<&Ctx>,
    req: &Request,
    Path(slug): Path<String>,
) -> Response {
    let site = site!(&state, &ctx, req, &slug);
    let body = format!(
        "User-agent: *\n{}Sitemap: {}{}sitemap.xml\n",
        robots_rules(&site.base),
        origin(&state, req),
        site.base
    );
    Response::builder()
        .header(header::CONTENT_TYPE, "text/plain; charset=utf-8")
        .header(header::CACHE_CONTROL, "public, max-age=3600")
        .body(body)
}

/// What crawlers may read of a site at `base`: public pages yes; forms,
/// personal pages and the language switch no.
pub fn robots_rules(base: &str) -> String {
    let mut rules = format!("Allow: {base}\n");
    for page in [
        "ask",
        "track",
        "my",
        "login",
        "register",
        "lang",
        "cases/*/rate",
        "cases/*/information",
    ] {
        rules.push_str(&format!("Disallow: {base}{page}\n"));
    }
    rules
}

/// How many answers a sitemap lists (the protocol allows 50,000).
const SITEMAP_CASES: u64 = 5000;

/// `GET {base}sitemap.xml`: the site's pages and its most recent public
/// answers.
#[handler]
pub async fn sitemap(
    state: Data<&ServerState>,
    ctx: Data<&Ctx>,
    req: &Request,
    Path(slug): Path<String>,
) -> Response {
    let site = site!(&state, &ctx, req, &slug);
    let root = format!("{}{}", origin(&state, req), site.base);
    let answered = minsheng_store::queries::cases::Filter {
        published_answers: true,
        ..Default::default()
    };
    let cases = match minsheng_app::services::cases::list_recent_public(
        &ctx,
        &site.tenant,
        answered,
        SITEMAP_CASES,
    )
    .await
    {
        Ok(c) => c,
        Err(e) => return site.error(&state, &ctx, &e),
    };
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    for page in ["", "answers", "departments"] {
        xml.push_str(&format!(
            "<url><loc>{}</loc></url>\n",
            escape(&format!("{root}{page}"))
        ));
    }
    for c in cases {
        xml.push_str(&format!(
            "<url><loc>{}</loc><lastmod>{}</lastmod></url>\n",
            escape(&format!("{root}cases/{}", c.tracking_code)),
            c.updated_at.format("%Y-%m-%d")
        ));
    }
    xml.push_str("</urlset>\n");
    Response::builder()
        .header(header::CONTENT_TYPE, "application/xml; charset=utf-8")
        .header(header::CACHE_CONTROL, "public, max-age=600")
        .body(xml)
}

pub(super) fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::platform_path;

    #[test]
    fn platform_paths_are_never_rewritten() {
        for p in [
            "/api/v1/tenants",
            "/open311/v2/services.json",
            "/healthz",
            "/t/daqing/",
            "/static/minsheng.css",
            "/t",
        ] {
            assert!(platform_path(p), "{p}");
        }
        for p in ["/", "/ask", "/cases/ABCD-EFGH-JKLM", "/robots.txt", "/tea"] {
            assert!(!platform_path(p), "{p}");
        }
    }
}
