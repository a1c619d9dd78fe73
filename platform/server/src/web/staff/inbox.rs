//! `GET {base}staff/`: the work queue. Tabs with counts, filters, the
//! earliest deadline first, keyset pages.

use super::{Desk, desk, local};
use crate::app::ServerState;
use minsheng_app::access::Ctx;
use minsheng_app::services::cases::{self, InboxQuery, Tab};
use minsheng_domain::Error;
use poem::http::StatusCode;
use poem::web::{Data, Path, Query};
use poem::{Request, Response, handler};
use serde::Deserialize;
use serde_json::json;

#[derive(Default, Deserialize)]
pub struct InboxParams {
    tab: Option<String>,
    category: Option<String>,
    department: Option<String>,
    priority: Option<String>,
    tag: Option<String>,
    from: Option<String>,
    to: Option<String>,
    q: Option<String>,
    after: Option<String>,
}

fn day(field: &str, value: Option<&str>) -> Result<Option<chrono::NaiveDate>, Error> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| Error::invalid(field, "a day as YYYY-MM-DD")),
    }
}

fn query_of(p: &InboxParams, default_tab: Tab) -> Result<InboxQuery, Error> {
    let tab = match p.tab.as_deref().filter(|t| !t.is_empty()) {
        Some(t) => Tab::parse(t)?,
        None => default_tab,
    };
    Ok(InboxQuery {
        tab,
        category: p.category.clone(),
        department: p.department.clone(),
        priority: p.priority.clone(),
        tag: p.tag.clone(),
        from: day("from", p.from.as_deref())?,
        to: day("to", p.to.as_deref())?,
        text: p.q.clone(),
        after: p.after.clone().filter(|a| !a.is_empty()),
        page_size: 25,
    })
}

/// The query string of the current filters, for tab and page links.
fn filters_query(p: &InboxParams) -> String {
    let mut parts = Vec::new();
    for (k, v) in [
        ("category", &p.category),
        ("department", &p.department),
        ("priority", &p.priority),
        ("tag", &p.tag),
        ("from", &p.from),
        ("to", &p.to),
        ("q", &p.q),
    ] {
        if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
            parts.push(format!("{k}={}", super::query_value(v)));
        }
    }
    parts.join("&")
}

#[handler]
pub async fn inbox(
    state: Data<&ServerState>,
    ctx: Data<&Ctx>,
    req: &Request,
    Path(slug): Path<String>,
    Query(params): Query<InboxParams>,
) -> Response {
    let desk = desk!(&state, &ctx, req, &slug);
    let query = match query_of(&params, Tab::Submitted) {
        Ok(q) => q,
        Err(e) => return desk.site.error(&state, &ctx, &e),
    };
    let queue = match cases::work_queue(&ctx, &desk.site.tenant, &query).await {
        Ok(i) => i,
        Err(e) => return desk.site.error(&state, &ctx, &e),
    };
    render(&state, &ctx, &desk, &params, &query, &queue)
}

fn render(
    state: &ServerState,
    ctx: &Ctx,
    desk: &Desk,
    params: &InboxParams,
    query: &InboxQuery,
    queue: &cases::Inbox,
) -> Response {
    let tenant = &desk.site.tenant;
    let filters = filters_query(params);
    let tabs: Vec<_> = queue
        .tabs
        .iter()
        .map(|t| {
            json!({
                "tab": t.tab.as_str(),
                "count": t.count,
                "capped": t.capped,
                "current": t.tab == query.tab,
            })
        })
        .collect();
    let items: Vec<_> = queue
        .items
        .iter()
        .map(|i| {
            json!({
                "code": i.code,
                "title": i.title,
                "state": i.state,
                "category_name": i.category_name,
                "department_name": i.department_name,
                "priority": i.priority,
                "tags": i.tags,
                "submitted": local(tenant, i.submitted_at),
                "deadline": local(tenant, i.answer_deadline),
                "deadline_iso": i.answer_deadline.to_rfc3339(),
                "days_left": i.days_left,
                "held": i.held,
                "supervised": i.supervised,
                "public": i.public,
            })
        })
        .collect();
    let pair = |v: &Vec<(String, String)>| -> Vec<serde_json::Value> {
        v.iter()
            .map(|(code, name)| json!({"code": code, "name": name}))
            .collect()
    };
    let mut context = desk.context(ctx, "inbox");
    context.insert("tabs".into(), json!(tabs));
    context.insert("tab".into(), json!(query.tab.as_str()));
    context.insert("items".into(), json!(items));
    context.insert("next".into(), json!(queue.next));
    context.insert("filters".into(), json!(filters));
    context.insert("scope".into(), json!(queue.scope));
    context.insert("departments".into(), json!(pair(&queue.departments)));
    context.insert("categories".into(), json!(pair(&queue.categories)));
    context.insert(
        "form".into(),
        json!({
            "category": params.category, "department": params.department,
            "priority": params.priority, "tag": params.tag, "from": params.from,
            "to": params.to, "q": params.q,
        }),
    );
    context.insert("first_page".into(), json!(query.after.is_none()));
    desk.render(state, "staff_inbox.html", context, StatusCode::OK)
}
