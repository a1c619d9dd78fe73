//! `{base}admin/calendar`: a month of the city's working-day calendar
//! (`?month=2027-01`): working days, weekly days off, holidays and make-up
//! working days (调休); a day set or cleared, and a year's schedule imported
//! from a file (see `services::calendar_import` for its format).

use super::console;
use super::departments::{problems, read_upload, see_other, upload_text};
use crate::app::ServerState;
use crate::web::respond::refused;
use crate::web::staff::{Desk, csrf_ok};
use chrono::{Datelike, Duration, NaiveDate, Utc};
use minsheng_app::access::Ctx;
use minsheng_app::model::CalendarDayInput;
use minsheng_app::services::calendar::{self, HOLIDAY};
use minsheng_app::services::{calendar_import, directory};
use minsheng_domain::Error;
use poem::http::StatusCode;
use poem::web::{Data, Form, Multipart, Path, Query};
use poem::{Request, Response, Route, get, handler, post};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

pub fn mount(route: Route) -> Route {
    route
        .at("/t/:slug/admin/calendar", get(month_page).post(set_day))
        .at("/t/:slug/admin/calendar/import", post(import))
}

#[derive(Default, Deserialize)]
pub struct MonthQuery {
    #[serde(default)]
    month: String,
    #[serde(default)]
    done: String,
    #[serde(default)]
    count: usize,
}

/// The first day of `2027-01`.
fn parse_month(month: &str) -> Result<NaiveDate, Error> {
    NaiveDate::parse_from_str(&format!("{}-01", month.trim()), "%Y-%m-%d")
        .map_err(|_| Error::invalid("month", format!("{month:?} is not a month like 2027-01")))
}

fn month_of(date: NaiveDate) -> String {
    date.format("%Y-%m").to_string()
}

/// The form's fields, shown again after a problem.
#[derive(Clone, Default, Deserialize, Serialize)]
pub struct DayForm {
    #[serde(default, skip_serializing)]
    csrf_token: String,
    #[serde(default)]
    op: String,
    #[serde(default)]
    date: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    name: String,
}

#[handler]
pub async fn month_page(
    state: Data<&ServerState>,
    ctx: Data<&Ctx>,
    req: &Request,
    Path(slug): Path<String>,
    Query(q): Query<MonthQuery>,
) -> Response {
    let console = console!(&state, &ctx, req, &slug);
    let first = if q.month.trim().is_empty() {
        let today = Utc::now()
            .with_timezone(&console.site.tenant.time_zone)
            .date_naive();
        today.with_day(1).unwrap_or(today)
    } else {
        match parse_month(&q.month) {
            Ok(first) => first,
            Err(e) => return console.site.error(&state, &ctx, &e),
        }
    };
    let form = DayForm {
        kind: HOLIDAY.into(),
        ..Default::default()
    };
    let done = (!q.done.is_empty()).then(|| json!({"done": q.done, "count": q.count}));
    month(
        &state,
        &ctx,
        &console,
        first,
        &form,
        Vec::new(),
        done,
        StatusCode::OK,
    )
    .await
}

#[allow(clippy::too_many_arguments)]
async fn month(
    state: &ServerState,
    ctx: &Ctx,
    console: &Desk,
    first: NaiveDate,
    form: &DayForm,
    errors: Vec<Value>,
    done: Option<Value>,
    status: StatusCode,
) -> Response {
    let tenant = &console.site.tenant;
    let listed = match directory::calendar(ctx, tenant).await {
        Ok(c) => c.days,
        Err(e) => return console.site.error(state, ctx, &e),
    };
    let next = first + Duration::days(32);
    let next = next.with_day(1).unwrap_or(next);
    let previous = (first - Duration::days(1)).with_day(1).unwrap_or(first);
    // Whole weeks, Monday first; days of the months around are blank.
    let mut weeks = Vec::new();
    let mut week = vec![Value::Null; first.weekday().num_days_from_monday() as usize];
    let mut day = first;
    while day < next {
        let listed = listed.iter().find(|d| d.date == day);
        let kind = match listed {
            Some(d) => d.kind.clone(),
            None if tenant.weekend.contains(&day.weekday()) => "weekend".into(),
            None => "working".into(),
        };
        week.push(json!({
            "date": day.to_string(),
            "day": day.day(),
            "kind": kind,
            "name": listed.map(|d| d.name.clone()),
        }));
        if week.len() == 7 {
            weeks.push(std::mem::take(&mut week));
        }
        day += Duration::days(1);
    }
    if !week.is_empty() {
        week.resize(7, Value::Null);
        weeks.push(week);
    }
    let in_month: Vec<_> = listed
        .iter()
        .filter(|d| d.date >= first && d.date < next)
        .collect();
    let mut context = console.context(ctx, "calendar");
    context.extend([
        ("month".into(), json!(month_of(first))),
        ("year".into(), json!(first.year())),
        ("month_number".into(), json!(first.month())),
        ("previous".into(), json!(month_of(previous))),
        ("next".into(), json!(month_of(next))),
        ("weeks".into(), json!(weeks)),
        ("listed".into(), json!(in_month)),
        ("form".into(), json!(form)),
        ("field_errors".into(), super::departments::by_field(&errors)),
        ("errors".into(), json!(errors)),
        ("done".into(), json!(done)),
    ]);
    console.render(state, "admin_calendar.html", context, status)
}

#[handler]
pub async fn set_day(
    state: Data<&ServerState>,
    ctx: Data<&Ctx>,
    req: &Request,
    Path(slug): Path<String>,
    Form(form): Form<DayForm>,
) -> Response {
    let console = console!(&state, &ctx, req, &slug);
    if !csrf_ok(&ctx, &form.csrf_token) {
        return refused(&console.site.word("form_expired"));
    }
    let tenant = &console.site.tenant;
    let date = NaiveDate::parse_from_str(form.date.trim(), "%Y-%m-%d").map_err(|_| {
        Error::invalid(
            "date",
            format!("{:?} is not a date like 2027-01-01", form.date),
        )
    });
    let result = match (date.clone(), form.op.as_str()) {
        (Ok(date), "clear") => calendar::delete_day_by(&ctx, tenant, date).await,
        (Ok(date), _) => {
            let input = CalendarDayInput {
                kind: form.kind.clone(),
                name: form.name.trim().to_owned(),
            };
            calendar::put_day_by(&ctx, tenant, date, &input)
                .await
                .map(|_| ())
        }
        (Err(e), _) => Err(e),
    };
    match (result, date) {
        (Ok(()), Ok(date)) => see_other(format!(
            "{}calendar?month={}&done=saved",
            console.home,
            month_of(date)
        )),
        (Err(e), date) => {
            let (status, errors) = problems(&e, "day-");
            let first = date
                .ok()
                .and_then(|d| d.with_day(1))
                .unwrap_or_else(|| Utc::now().date_naive().with_day(1).unwrap_or_default());
            month(&state, &ctx, &console, first, &form, errors, None, status).await
        }
        (Ok(()), Err(e)) => console.site.error(&state, &ctx, &e),
    }
}

#[handler]
pub async fn import(
    state: Data<&ServerState>,
    ctx: Data<&Ctx>,
    req: &Request,
    Path(slug): Path<String>,
    multipart: Multipart,
) -> Response {
    let console = console!(&state, &ctx, req, &slug);
    let upload = read_upload(multipart).await;
    if let Ok(u) = &upload
        && !csrf_ok(&ctx, &u.csrf_token)
    {
        return refused(&console.site.word("form_expired"));
    }
    let year = upload.as_ref().ok().and_then(|u| {
        u.fields
            .get("year")
            .and_then(|y| y.trim().parse::<i32>().ok())
    });
    let result = match (&upload, year) {
        (Err(e), _) => Err(e.clone()),
        (Ok(_), None) | (Ok(_), Some(..1970)) | (Ok(_), Some(2101..)) => Err(Error::invalid(
            "year",
            "give the year of the schedule, like 2027",
        )),
        (Ok(u), Some(year)) => match upload_text(u).and_then(|t| calendar_import::parse(t, year)) {
            Ok(days) => calendar_import::import_by(&ctx, &console.site.tenant, year, &days).await,
            Err(e) => Err(e),
        },
    };
    match result {
        Ok(done) => see_other(format!(
            "{}calendar?month={}-01&done=imported&count={}",
            console.home,
            year.unwrap_or_default(),
            done.listed
        )),
        Err(e) => {
            let (status, mut errors) = problems(&e, "");
            for e in &mut errors {
                let id = if e["field"] == "year" {
                    "import-year"
                } else {
                    "import-file"
                };
                e["id"] = json!(id);
            }
            let first = year
                .and_then(|y| NaiveDate::from_ymd_opt(y, 1, 1))
                .unwrap_or_else(|| Utc::now().date_naive().with_day(1).unwrap_or_default());
            let form = DayForm {
                kind: HOLIDAY.into(),
                ..Default::default()
            };
            month(&state, &ctx, &console, first, &form, errors, None, status).await
        }
    }
}
