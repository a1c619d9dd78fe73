//! The city administration console under `/t/{slug}/admin/` (and the
//! city's host names): the pages where a city's administrators see and set
//! up their city. Someone not signed in is sent to sign in; another city's
//! staff get 404, the city's staff without the city-admin permission
//! (`tenant:write`) 403. The pages read and change through the same
//! services, with the same permission checks, as the REST API.

pub mod quotas;

use super::site::Site;
use super::staff::{private, sign_in_first};
use crate::app::ServerState;
use minsheng_app::access::{Ctx, Principal};
use poem::http::StatusCode;
use poem::{Request, Response};
use serde_json::{Value, json};

/// Load the city and require its administrators, or return the page to
/// show instead.
macro_rules! console {
    ($state:expr, $ctx:expr, $req:expr, $slug:expr) => {
        match super::Console::load($state, $ctx, $req, $slug).await {
            Ok(console) => console,
            Err(resp) => return resp,
        }
    };
}
pub(crate) use console;

/// A console page's city.
pub struct Console {
    pub site: Site,
    /// `{base}admin/`
    pub home: String,
}

impl Console {
    pub async fn load(
        state: &ServerState,
        ctx: &Ctx,
        req: &Request,
        slug: &str,
    ) -> Result<Console, Response> {
        let site = Site::load(state, ctx, req, slug).await?;
        if matches!(ctx.principal, Principal::Anonymous) {
            return Err(sign_in_first(&site));
        }
        if let Err(e) = ctx.authorize(&site.tenant, "tenant:write").await {
            return Err(private(site.error(state, ctx, &e)));
        }
        let home = format!("{}admin/", site.base);
        Ok(Console { site, home })
    }

    /// What every console template gets: the site's context, the console's
    /// navigation.
    pub fn context(&self, ctx: &Ctx, nav: &str) -> serde_json::Map<String, Value> {
        let mut map = self.site.context(ctx, "admin");
        map.insert("admin_nav".into(), json!(nav));
        map.insert("admin_home".into(), json!(self.home));
        map
    }

    pub fn render(
        &self,
        state: &ServerState,
        template: &str,
        context: serde_json::Map<String, Value>,
    ) -> Response {
        private(super::respond::render(
            state,
            template,
            Value::Object(context),
            StatusCode::OK,
        ))
    }
}
