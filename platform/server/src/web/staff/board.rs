//! The supervisors' board (`{base}staff/supervision`), department
//! performance (`{base}staff/performance`, also as CSV) and answer
//! templates (`{base}staff/templates`).

use super::{csrf_ok, desk, local};
use crate::app::ServerState;
use minsheng_app::access::Ctx;
use minsheng_app::services::{answer_templates, cases};
use poem::http::{StatusCode, header};
use poem::web::{Data, Form, Path, Query};
use poem::{Request, Response, handler};
use serde::Deserialize;
use serde_json::json;

#[handler]
pub async fn supervision(
    state: Data<&ServerState>,
    ctx: Data<&Ctx>,
    req: &Request,
    Path(slug): Path<String>,
) -> Response {
    let desk = desk!(&state, &ctx, req, &slug);
    let tenant = &desk.site.tenant;
    let board = match cases::board(&ctx, tenant).await {
        Ok(b) => b,
        Err(e) => return desk.site.error(&state, &ctx, &e),
    };
    let case = |c: &cases::BoardCase| {
        json!({
            "code": c.code, "title": c.title, "state": c.state,
            "department_name": c.department_name,
            "deadline": local(tenant, c.answer_deadline),
            "supervised": c.supervised,
        })
    };
    let mut context = desk.context(&ctx, "supervision");
    context.insert(
        "departments".into(),
        json!(
            board
                .departments
                .iter()
                .map(|d| json!({
                    "code": d.department, "name": d.department_name,
                    "open": d.open, "overdue": d.overdue, "supervised": d.supervised,
                }))
                .collect::<Vec<_>>()
        ),
    );
    context.insert(
        "extensions".into(),
        json!(board.extensions.iter().map(case).collect::<Vec<_>>()),
    );
    context.insert(
        "cases".into(),
        json!(board.cases.iter().map(case).collect::<Vec<_>>()),
    );
    desk.render(&state, "staff_supervision.html", context, StatusCode::OK)
}

#[derive(Default, Deserialize)]
pub struct PeriodParams {
    from: Option<String>,
    to: Option<String>,
    format: Option<String>,
}

#[handler]
pub async fn performance(
    state: Data<&ServerState>,
    ctx: Data<&Ctx>,
    req: &Request,
    Path(slug): Path<String>,
    Query(params): Query<PeriodParams>,
) -> Response {
    let desk = desk!(&state, &ctx, req, &slug);
    let tenant = &desk.site.tenant;
    let day = |field: &str, v: &Option<String>| match v.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| minsheng_domain::Error::invalid(field, "a day as YYYY-MM-DD")),
    };
    let period = day("from", &params.from).and_then(|f| Ok((f, day("to", &params.to)?)));
    let (from, to) = match period {
        Ok(p) => p,
        Err(e) => return desk.site.error(&state, &ctx, &e),
    };
    if let Err(e) = ctx.authorize(tenant, "case:read").await {
        return desk.site.error(&state, &ctx, &e);
    }
    let stats = match cases::department_stats(&ctx, tenant, from, to).await {
        Ok(s) => s,
        Err(e) => return desk.site.error(&state, &ctx, &e),
    };
    let names = match minsheng_app::services::directory::departments(&ctx, tenant, true).await {
        Ok(d) => d,
        Err(e) => return desk.site.error(&state, &ctx, &e),
    };
    let name_of = |code: &Option<String>| {
        code.as_ref()
            .and_then(|c| names.iter().find(|d| &d.code == c))
            .map(|d| d.name.clone())
            .unwrap_or_default()
    };
    let days_per_answer = |s: &minsheng_app::model::Stats| s.average_answer_hours / 24.0;
    if params.format.as_deref() == Some("csv") {
        let mut csv = String::from(
            "department,name,received,answered,answer_rate,on_time_rate,overdue,supervised,rated,satisfaction_rate,average_answer_days,co_handled,opinions,opinions_on_time,opinions_overdue\n",
        );
        for s in &stats {
            csv.push_str(&format!(
                "{},{},{},{},{:.3},{:.3},{},{},{},{:.3},{:.2},{},{},{},{}\n",
                csv_field(s.department.as_deref().unwrap_or_default()),
                csv_field(&name_of(&s.department)),
                s.received,
                s.answered,
                s.answer_rate,
                s.on_time_rate,
                s.overdue,
                s.supervised,
                s.rated,
                s.satisfaction_rate,
                days_per_answer(s),
                s.co_handled,
                s.opinions,
                s.opinions_on_time,
                s.opinions_overdue,
            ));
        }
        let from = stats
            .first()
            .map(|s| s.from.to_string())
            .unwrap_or_default();
        return Response::builder()
            .header(header::CONTENT_TYPE, "text/csv; charset=utf-8")
            .header(
                header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"{}-departments-{from}.csv\"",
                    tenant.slug
                ),
            )
            .header(header::CACHE_CONTROL, "private, no-store")
            .body(csv);
    }
    let rows: Vec<_> = stats
        .iter()
        .map(|s| {
            json!({
                "code": s.department, "name": name_of(&s.department),
                "received": s.received, "answered": s.answered,
                "answer_rate": format!("{:.1}%", s.answer_rate * 100.0),
                "on_time_rate": format!("{:.1}%", s.on_time_rate * 100.0),
                "overdue": s.overdue, "supervised": s.supervised, "rated": s.rated,
                "satisfaction_rate": format!("{:.1}%", s.satisfaction_rate * 100.0),
                "days": format!("{:.1}", days_per_answer(s)),
                "co_handled": s.co_handled, "opinions": s.opinions,
                "opinions_overdue": s.opinions_overdue,
            })
        })
        .collect();
    let trends = match minsheng_app::services::trends::trends(&ctx, tenant, None).await {
        Ok(t) => t,
        Err(e) => return desk.site.error(&state, &ctx, &e),
    };
    let mut context = desk.context(&ctx, "performance");
    context.insert("rows".into(), json!(rows));
    context.insert("trends".into(), json!(trends));
    context.insert(
        "period".into(),
        json!({
            "from": stats.first().map(|s| s.from.to_string()).or(params.from.clone()),
            "to": stats.first().map(|s| s.to.to_string()).or(params.to.clone()),
        }),
    );
    desk.render(&state, "staff_performance.html", context, StatusCode::OK)
}

/// A CSV field, quoted when it must be, and never read as a formula.
fn csv_field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.to_owned()
    };
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

#[handler]
pub async fn templates(
    state: Data<&ServerState>,
    ctx: Data<&Ctx>,
    req: &Request,
    Path(slug): Path<String>,
) -> Response {
    let desk = desk!(&state, &ctx, req, &slug);
    templates_page(&state, &ctx, &desk, None, StatusCode::OK).await
}

async fn templates_page(
    state: &ServerState,
    ctx: &Ctx,
    desk: &super::Desk,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let tenant = &desk.site.tenant;
    let list = match answer_templates::usable(ctx, tenant).await {
        Ok(l) => l,
        Err(e) => return desk.site.error(state, ctx, &e),
    };
    let scope = ctx.department_scope(tenant, "case:answer").await;
    let departments = match minsheng_app::services::directory::departments(ctx, tenant, false).await
    {
        Ok(d) => d,
        Err(e) => return desk.site.error(state, ctx, &e),
    };
    let choices: Vec<_> = departments
        .iter()
        .filter(|d| {
            scope
                .as_ref()
                .is_none_or(|s| s.iter().any(|m| m.into_uuid() == d.id))
        })
        .map(|d| json!({"code": d.code, "name": d.name}))
        .collect();
    let mut context = desk.context(ctx, "templates");
    context.insert("templates".into(), json!(list));
    context.insert("choices".into(), json!(choices));
    context.insert("city_wide".into(), json!(scope.is_none()));
    context.insert("error".into(), json!(error));
    desk.render(state, "staff_templates.html", context, status)
}

#[derive(Default, Deserialize)]
pub struct TemplateForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    op: String,
    #[serde(default)]
    id: String,
    #[serde(default)]
    department: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    text: String,
}

#[handler]
pub async fn templates_submit(
    state: Data<&ServerState>,
    ctx: Data<&Ctx>,
    req: &Request,
    Path(slug): Path<String>,
    Form(form): Form<TemplateForm>,
) -> Response {
    let desk = desk!(&state, &ctx, req, &slug);
    if !csrf_ok(&ctx, &form.csrf_token) {
        return super::super::respond::refused(&desk.site.word("form_expired"));
    }
    let tenant = &desk.site.tenant;
    let result = if form.op == "delete" {
        match uuid::Uuid::parse_str(form.id.trim()) {
            Ok(id) => answer_templates::delete(&ctx, tenant, id).await,
            Err(_) => Err(minsheng_domain::Error::invalid("id", "not a template id")),
        }
    } else {
        answer_templates::create(
            &ctx,
            tenant,
            Some(form.department.as_str()).filter(|d| !d.is_empty()),
            &form.title,
            &form.text,
        )
        .await
        .map(|_| ())
    };
    match result {
        Ok(()) => Response::builder()
            .status(StatusCode::SEE_OTHER)
            .header(header::LOCATION, format!("{}templates", desk.home))
            .finish(),
        Err(e) => {
            let (status, _, message) = super::super::respond::status_and_message(&e);
            templates_page(&state, &ctx, &desk, Some(message), status).await
        }
    }
}
