//! `{base}admin/audit`: the city's audit log, filtered by who acted, the
//! action, the target and a range of days (in the city's time zone), a
//! page at a time.

use super::super::console;
use crate::app::ServerState;
use crate::web::staff::{local, query_value};
use minsheng_app::access::Ctx;
use minsheng_app::services::accounts::{self, AuditFilter};
use minsheng_domain::Error;
use poem::http::StatusCode;
use poem::web::{Data, Path, Query};
use poem::{Request, Response, Route, get, handler};
use serde::Deserialize;
use serde_json::json;

/// Events on a page unless `per_page` says otherwise (at most 500).
const PER_PAGE: u64 = 50;

pub fn mount(route: Route) -> Route {
    route.at("/t/:slug/admin/audit", get(audit))
}

#[derive(Default, Deserialize)]
pub struct AuditParams {
    #[serde(default)]
    actor: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    target: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    page: Option<String>,
    per_page: Option<u64>,
}

/// The start of `day` in `tz`, in UTC.
fn start_of(
    tz: chrono_tz::Tz,
    field: &str,
    day: &str,
    days_after: i64,
) -> Result<Option<chrono::DateTime<chrono::Utc>>, Error> {
    let day = day.trim();
    if day.is_empty() {
        return Ok(None);
    }
    let date = chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d")
        .map_err(|_| Error::invalid(field, "a day as YYYY-MM-DD"))?
        + chrono::Duration::days(days_after);
    let midnight = date.and_hms_opt(0, 0, 0).unwrap_or_default();
    Ok(midnight
        .and_local_timezone(tz)
        .earliest()
        .map(|t| t.with_timezone(&chrono::Utc)))
}

#[handler]
pub async fn audit(
    state: Data<&ServerState>,
    ctx: Data<&Ctx>,
    req: &Request,
    Path(slug): Path<String>,
    Query(params): Query<AuditParams>,
) -> Response {
    let console = console!(&state, &ctx, req, &slug);
    let tenant = &console.site.tenant;
    let text = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
    let parsed = (|| {
        let page = match params.page.as_deref().map(str::trim) {
            None | Some("") => 1,
            Some(p) => p
                .parse::<u64>()
                .ok()
                .filter(|p| (1..=100_000).contains(p))
                .ok_or_else(|| Error::invalid("page", "a page number from 1"))?,
        };
        let filter = AuditFilter {
            actor: text(&params.actor),
            action: text(&params.action),
            target: text(&params.target),
            from: start_of(tenant.time_zone, "from", &params.from, 0)?,
            until: start_of(tenant.time_zone, "to", &params.to, 1)?,
        };
        Ok::<_, Error>((page, filter))
    })();
    let per_page = params.per_page.unwrap_or(PER_PAGE).clamp(1, 500);
    let mut context = console.context(&ctx, "audit");
    context.insert(
        "filter".into(),
        json!({
            "actor": params.actor, "action": params.action, "target": params.target,
            "from": params.from, "to": params.to,
        }),
    );
    let (status, error) = match parsed {
        Ok((page, filter)) => {
            match accounts::audit_search(&ctx, tenant, &filter, page, per_page).await {
                Ok((events, more)) => {
                    let per = per_page.to_string();
                    let query = [
                        ("actor", params.actor.as_str()),
                        ("action", &params.action),
                        ("target", &params.target),
                        ("from", &params.from),
                        ("to", &params.to),
                        ("per_page", if per_page == PER_PAGE { "" } else { &per }),
                    ]
                    .iter()
                    .filter(|(_, v)| !v.trim().is_empty())
                    .map(|(k, v)| format!("{k}={}&", query_value(v.trim())))
                    .collect::<String>();
                    let link = |p: u64| format!("{}audit?{query}page={p}", console.home);
                    context.insert(
                        "events".into(),
                        json!(
                            events
                                .iter()
                                .map(|e| json!({
                                    "at": local(tenant, e.at), "actor": e.actor,
                                    "action": e.action, "target": e.target,
                                    "outcome": e.outcome, "client_ip": e.client_ip,
                                }))
                                .collect::<Vec<_>>()
                        ),
                    );
                    context.insert("page".into(), json!(page));
                    context.insert("newer".into(), json!((page > 1).then(|| link(page - 1))));
                    context.insert("older".into(), json!(more.then(|| link(page + 1))));
                    (StatusCode::OK, None)
                }
                Err(e) => {
                    let (status, message) = super::failure(&e);
                    if status == StatusCode::FORBIDDEN || status == StatusCode::NOT_FOUND {
                        return console.site.error(&state, &ctx, &e);
                    }
                    (status, Some(message))
                }
            }
        }
        Err(e) => {
            let (status, message) = super::failure(&e);
            (status, Some(message))
        }
    };
    context.insert("error".into(), json!(error));
    console.render(&state, "admin_audit.html", context, status)
}
