//! The city administration console under `/t/{slug}/admin/` (and the
//! city's host names): the pages where a city's administrators see and set
//! up their city. Someone not signed in is sent to sign in; another city's
//! staff get 404, the city's staff without the city-admin permission
//! (`tenant:write`) 403. The pages read and change through the same
//! services, with the same permission checks, as the REST API.

pub mod bundle;
pub mod calendar;
pub mod categories;
pub mod departments;
pub mod people;
pub mod quotas;
pub mod rules;
pub mod settings;
pub mod webhooks;

use super::site::Site;
use super::staff::{Desk, private, sign_in_first};
use crate::app::ServerState;
use minsheng_app::access::{Ctx, Principal};
use poem::{Request, Response, Route};

/// The console's routes, each section's from its own module.
pub fn mount(route: Route) -> Route {
    let route = quotas::mount(route);
    let route = settings::mount(route);
    let route = departments::mount(route);
    let route = categories::mount(route);
    let route = calendar::mount(route);
    let route = people::mount(route);
    let route = rules::mount(route);
    let route = bundle::mount(route);
    webhooks::mount(route)
}

/// Load the city and require its administrators, or return the page to
/// show instead.
macro_rules! console {
    ($state:expr, $ctx:expr, $req:expr, $slug:expr) => {
        match super::load($state, $ctx, $req, $slug).await {
            Ok(console) => console,
            Err(resp) => return resp,
        }
    };
}
pub(crate) use console;

/// A console page's city and person: a [`Desk`] of the `admin` section.
pub async fn load(
    state: &ServerState,
    ctx: &Ctx,
    req: &Request,
    slug: &str,
) -> Result<Desk, Response> {
    let site = Site::load(state, ctx, req, slug).await?;
    if matches!(ctx.principal, Principal::Anonymous) {
        return Err(sign_in_first(&site));
    }
    if let Err(e) = ctx.authorize(&site.tenant, "tenant:write").await {
        return Err(private(site.error(state, ctx, &e)));
    }
    Ok(Desk::new(site, "admin"))
}
