//! The staff workbench: the pages where departments, dispatchers and
//! supervisors do their work, under `/t/{slug}/staff/` (and the city's
//! host names). Only the city's signed-in staff get them; everyone else is
//! sent to sign in. Every form carries the session's CSRF token, and every
//! action goes through the same services as the REST API.

pub mod board;
pub mod campaigns;
pub mod case;
pub mod inbox;

use super::site::Site;
use crate::app::ServerState;
use minsheng_app::access::tokens::constant_time_eq;
use minsheng_app::access::{Ctx, Principal};
use minsheng_app::services::tenants::TenantRecord;
use poem::http::{StatusCode, header};
use poem::{Request, Response};
use serde_json::{Value, json};

/// Load the city and require its staff, or return the page to show instead.
macro_rules! desk {
    ($state:expr, $ctx:expr, $req:expr, $slug:expr) => {
        match super::Desk::load($state, $ctx, $req, $slug).await {
            Ok(desk) => desk,
            Err(resp) => return resp,
        }
    };
}
pub(crate) use desk;

/// A staff or console page's city and person.
pub struct Desk {
    pub site: Site,
    /// `staff` (the workbench) or `admin` (the administration console).
    pub section: &'static str,
    /// `{base}{section}/`
    pub home: String,
}

impl Desk {
    pub async fn load(
        state: &ServerState,
        ctx: &Ctx,
        req: &Request,
        slug: &str,
    ) -> Result<Desk, Response> {
        let site = Site::load(state, ctx, req, slug).await?;
        if !is_staff_of(ctx, &site.tenant) {
            return Err(sign_in_first(&site));
        }
        Ok(Desk::new(site, "staff"))
    }

    pub fn new(site: Site, section: &'static str) -> Desk {
        let home = format!("{}{section}/", site.base);
        Desk {
            site,
            section,
            home,
        }
    }

    /// What every template of the section gets: the site's context, the
    /// section's navigation (`staff_nav`, `staff_home` …).
    pub fn context(&self, ctx: &Ctx, nav: &str) -> serde_json::Map<String, Value> {
        let mut map = self.site.context(ctx, self.section);
        map.insert(format!("{}_nav", self.section), json!(nav));
        map.insert(format!("{}_home", self.section), json!(self.home));
        map
    }

    pub fn render(
        &self,
        state: &ServerState,
        template: &str,
        context: serde_json::Map<String, Value>,
        status: StatusCode,
    ) -> Response {
        private(super::respond::render(
            state,
            template,
            Value::Object(context),
            status,
        ))
    }
}

/// To the city's sign-in form, back to this page afterwards.
pub fn sign_in_first(site: &Site) -> Response {
    let login = format!("{}login?next={}", site.base, query_value(&site.path));
    Response::builder()
        .status(StatusCode::SEE_OTHER)
        .header(header::LOCATION, login)
        .header(header::CACHE_CONTROL, "no-store")
        .finish()
}

/// A page for its reader only.
pub fn private(mut resp: Response) -> Response {
    resp.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("private, no-store"),
    );
    resp
}

/// Staff of this city (or a platform operator).
pub fn is_staff_of(ctx: &Ctx, tenant: &TenantRecord) -> bool {
    match &ctx.principal {
        Principal::Staff { tenant: t, .. } => *t == tenant.id,
        Principal::Operator { .. } => true,
        _ => false,
    }
}

/// The form carries this session's CSRF token.
pub fn csrf_ok(ctx: &Ctx, sent: &str) -> bool {
    ctx.session_csrf
        .as_ref()
        .is_some_and(|expected| constant_time_eq(expected, sent))
}

/// `s` as one query-string value.
pub fn query_value(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// A time as the city reads it.
pub fn local(tenant: &TenantRecord, at: chrono::DateTime<chrono::Utc>) -> String {
    minsheng_app::services::escalation::local_time(tenant, at)
}
