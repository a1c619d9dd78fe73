//! The department directory of a city, sortable by its figures, and one
//! department's page.

use super::pages::{percent, public_page};
use super::site::{Site, site};
use crate::app::ServerState;
use minsheng_app::access::Ctx;
use minsheng_app::model::Department;
use minsheng_app::services::directory;
use minsheng_domain::Error;
use minsheng_store::queries::cases::Filter;
use poem::web::{Data, Path, Query};
use poem::{Request, Response, handler};
use serde::Deserialize;
use serde_json::json;

#[derive(Deserialize)]
pub struct DirectoryQuery {
    sort: Option<String>,
    dir: Option<String>,
}

/// The sortable columns of the directory: key, word, numeric.
const COLUMNS: [(&str, &str, bool); 5] = [
    ("name", "department", false),
    ("cases", "cases", true),
    ("answer_rate", "answer_rate", true),
    ("on_time_rate", "on_time_rate", true),
    ("satisfaction", "satisfaction_rate", true),
];

/// `/t/{slug}/departments`: every department with its past year's figures,
/// sortable by any column (links, so it works without JavaScript).
#[handler]
pub async fn departments_page(
    state: Data<&ServerState>,
    ctx: Data<&Ctx>,
    req: &Request,
    Path(slug): Path<String>,
    Query(query): Query<DirectoryQuery>,
) -> Response {
    let site = site!(&state, &ctx, req, &slug);
    let tenant = &site.tenant;
    let loaded = async {
        let depts = directory::departments(&ctx, tenant, false).await?;
        let stats =
            minsheng_app::services::cases::department_stats(&ctx, tenant, None, None).await?;
        Ok::<_, Error>((depts, stats))
    }
    .await;
    let (depts, stats) = match loaded {
        Ok(x) => x,
        Err(e) => return site.error(&state, &ctx, &e),
    };
    let sort = query
        .sort
        .filter(|s| COLUMNS.iter().any(|c| c.0 == s))
        .unwrap_or_else(|| "cases".into());
    let numeric = COLUMNS.iter().any(|c| c.0 == sort && c.2);
    // Numbers sort largest first unless asked otherwise; names A to Z.
    let desc = match query.dir.as_deref() {
        Some("asc") => false,
        Some("desc") => true,
        _ => numeric,
    };
    struct Row<'a> {
        d: &'a Department,
        received: i64,
        answer_rate: f64,
        on_time_rate: f64,
        satisfaction: f64,
    }
    let mut rows: Vec<Row<'_>> = depts
        .iter()
        .map(|d| {
            let s = stats
                .iter()
                .find(|s| s.department.as_deref() == Some(d.code.as_str()));
            Row {
                d,
                received: s.map_or(0, |s| s.received),
                answer_rate: s.map_or(0.0, |s| s.answer_rate),
                on_time_rate: s.map_or(0.0, |s| s.on_time_rate),
                satisfaction: s.map_or(0.0, |s| s.satisfaction_rate),
            }
        })
        .collect();
    rows.sort_by(|a, b| {
        let order = match sort.as_str() {
            "name" => a.d.name.cmp(&b.d.name),
            "answer_rate" => a.answer_rate.total_cmp(&b.answer_rate),
            "on_time_rate" => a.on_time_rate.total_cmp(&b.on_time_rate),
            "satisfaction" => a.satisfaction.total_cmp(&b.satisfaction),
            _ => a.received.cmp(&b.received),
        };
        let order = if desc { order.reverse() } else { order };
        order.then_with(|| a.d.sort_order.cmp(&b.d.sort_order))
    });
    let rows: Vec<_> = rows
        .iter()
        .map(|r| {
            json!({
                "code": r.d.code,
                "name": r.d.name,
                "received": r.received,
                "answer_rate": percent(r.answer_rate),
                "on_time_rate": percent(r.on_time_rate),
                "satisfaction_rate": percent(r.satisfaction),
            })
        })
        .collect();
    let t = site.words();
    let columns: Vec<_> = COLUMNS
        .iter()
        .map(|(key, word, num)| {
            // Selecting the sorted column again flips its direction.
            let dir = if *key == sort {
                if desc { "asc" } else { "desc" }
            } else if *num {
                "desc"
            } else {
                "asc"
            };
            json!({
                "key": key,
                "label": t[*word],
                "num": num,
                "href": format!("{}departments?sort={key}&dir={dir}", site.base),
            })
        })
        .collect();
    let mut context = site.context(&ctx, "departments");
    context.extend([
        ("rows".into(), json!(rows)),
        ("columns".into(), json!(columns)),
        ("sort".into(), json!(sort)),
        ("desc".into(), json!(desc)),
    ]);
    public_page(&state, &site, "departments.html", context)
}

/// `/t/{slug}/departments/{code}`: one department, its figures and its
/// latest public cases.
#[handler]
pub async fn department_page(
    state: Data<&ServerState>,
    ctx: Data<&Ctx>,
    req: &Request,
    Path((slug, code)): Path<(String, String)>,
) -> Response {
    let site = site!(&state, &ctx, req, &slug);
    let tenant = &site.tenant;
    let loaded = async {
        let depts = directory::departments(&ctx, tenant, false).await?;
        let Some(dept) = depts.into_iter().find(|d| d.code == code) else {
            return Ok(None);
        };
        let stats =
            minsheng_app::services::cases::department_stats(&ctx, tenant, None, None).await?;
        let filter = Filter {
            department: Some(dept.id),
            ..Default::default()
        };
        let recent =
            minsheng_app::services::cases::list_recent_public(&ctx, tenant, filter, 10).await?;
        let mine = stats
            .into_iter()
            .find(|s| s.department.as_deref() == Some(dept.code.as_str()));
        Ok::<_, Error>(Some((dept, mine, recent)))
    }
    .await;
    let (dept, stats, recent) = match loaded {
        Ok(Some(x)) => x,
        Ok(None) => return site.not_found(&state, &ctx),
        Err(e) => return site.error(&state, &ctx, &e),
    };
    let mut context = site.context(&ctx, "departments");
    context.extend([
        ("department".into(), json!(dept)),
        (
            "stats".into(),
            json!({
                "received": stats.as_ref().map_or(0, |s| s.received),
                "answer_rate": percent(stats.as_ref().map_or(0.0, |s| s.answer_rate)),
                "on_time_rate": percent(stats.as_ref().map_or(0.0, |s| s.on_time_rate)),
                "satisfaction_rate": percent(stats.as_ref().map_or(0.0, |s| s.satisfaction_rate)),
            }),
        ),
        ("items".into(), json!(recent)),
    ]);
    public_page(&state, &site, "department.html", context)
}
