//! `GET {base}admin/quotas`: the city's quotas, set by the platform's
//! operators, and what the city uses of each.

use super::console;
use crate::app::ServerState;
use minsheng_app::access::Ctx;
use minsheng_app::services::quotas;
use poem::http::StatusCode;
use poem::web::{Data, Path};
use poem::{Request, Response, Route, get, handler};
use serde_json::json;

pub fn mount(route: Route) -> Route {
    route.at("/t/:slug/admin/quotas", get(quotas_page))
}

#[handler]
pub async fn quotas_page(
    state: Data<&ServerState>,
    ctx: Data<&Ctx>,
    req: &Request,
    Path(slug): Path<String>,
) -> Response {
    let console = console!(&state, &ctx, req, &slug);
    let q = match quotas::get_by(&ctx, &console.site.tenant.slug).await {
        Ok(q) => q,
        Err(e) => return console.site.error(&state, &ctx, &e),
    };
    let (l, u) = (&q.limits, &q.used);
    let rows = [
        (quotas::CASES_PER_DAY, l.cases_per_day, u.cases_today),
        ("staff_users", l.staff_users, u.staff_users),
        ("departments", l.departments, u.departments),
        ("plugins", l.plugins, u.plugins),
        ("plugin_bytes", l.plugin_bytes, u.plugin_bytes),
        ("webhooks", l.webhooks, u.webhooks),
    ]
    .map(|(name, limit, used)| {
        json!({
            "name": name,
            "limit": limit,
            "used": used,
            "full": limit.is_some_and(|limit| used >= limit),
        })
    });
    let mut context = console.context(&ctx, "quotas");
    context.insert("quotas".into(), json!(rows));
    console.render(&state, "admin_quotas.html", context, StatusCode::OK)
}
