//! The platform operators' console under `/operator/`: every city, its
//! suspension, host names and quotas. Operators sign in at
//! `/operator/login`; anyone else signed in gets 404 (the console does not
//! exist for them). Every change goes through the same services as the
//! REST API, with the same checks, into the audit log. No JavaScript.

use super::account::{FORM_COOKIE, form_cookie, form_token_ok, signed_in};
use super::respond::{error_page, render, status_and_message};
use super::site::{ASSET_VERSION, LANG_COOKIE};
use crate::app::ServerState;
use minsheng_app::access::tokens::{constant_time_eq, random_token};
use minsheng_app::access::{Ctx, Principal};
use minsheng_app::model::{HostInput, QuotaLimits, TenantPatch};
use minsheng_app::services::{accounts, quotas, tenants};
use minsheng_app::words::words;
use minsheng_domain::Error;
use minsheng_domain::values::Locale;
use poem::http::{StatusCode, header};
use poem::web::{Data, Form, Path};
use poem::{IntoResponse, Request, Response, handler};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use uuid::Uuid;

const HOME: &str = "/operator/";

/// The words of the operator's language (the language cookie, else English).
fn context(req: &Request, ctx: &Ctx) -> Map<String, Value> {
    let locale = super::resolve::cookie(req, LANG_COOKIE)
        .and_then(|l| Locale::parse(&l).ok())
        .unwrap_or(Locale::En);
    let mut map = Map::new();
    map.insert("t".into(), words(locale).clone());
    map.insert("asset".into(), json!(ASSET_VERSION.as_str()));
    map.insert(
        "session_csrf".into(),
        json!(ctx.session_csrf.clone().unwrap_or_default()),
    );
    map.insert("operator_home".into(), json!(HOME));
    map
}

fn page(
    state: &ServerState,
    name: &str,
    context: Map<String, Value>,
    status: StatusCode,
) -> Response {
    render(state, name, Value::Object(context), status)
        .with_header(header::CACHE_CONTROL, "private, no-store")
        .into_response()
}

fn see_other(to: &str) -> Response {
    Response::builder()
        .status(StatusCode::SEE_OTHER)
        .header(header::LOCATION, to)
        .header(header::CACHE_CONTROL, "no-store")
        .finish()
}

/// The page to show instead of the console, unless an operator is signed
/// in: sign in when nobody is, 404 for everyone else.
pub(crate) fn not_an_operator(ctx: &Ctx) -> Option<Response> {
    match ctx.principal {
        Principal::Operator { .. } => None,
        Principal::Anonymous => Some(see_other("/operator/login")),
        _ => Some(error_page(&Error::not_found("page"))),
    }
}

macro_rules! operator {
    ($ctx:expr) => {
        if let Some(resp) = not_an_operator($ctx) {
            return resp;
        }
    };
}

/// The form carries the session's CSRF token.
pub(crate) fn session_form(ctx: &Ctx, sent: &str) -> bool {
    ctx.session_csrf
        .as_ref()
        .is_some_and(|expected| constant_time_eq(expected, sent))
}

/// A form sent without its session's token: nothing changed.
fn expired(req: &Request, ctx: &Ctx) -> Response {
    let t = &context(req, ctx)["t"];
    super::respond::refused(t["form_expired"].as_str().unwrap_or_default())
}

fn login_page(
    state: &ServerState,
    req: &Request,
    ctx: &Ctx,
    csrf: &str,
    username: &str,
    error: Option<&str>,
    status: StatusCode,
) -> Response {
    let mut c = context(req, ctx);
    c.insert("csrf".into(), json!(csrf));
    c.insert("username".into(), json!(username));
    let message = error.map(|key| c["t"][key].as_str().unwrap_or_default().to_owned());
    c.insert("error".into(), json!(message));
    page(state, "operator_login.html", c, status)
        .with_header(header::SET_COOKIE, form_cookie(csrf))
        .into_response()
}

/// `GET /operator/login`
#[handler]
pub async fn login_form(state: Data<&ServerState>, ctx: Data<&Ctx>, req: &Request) -> Response {
    let csrf = super::resolve::cookie(req, FORM_COOKIE).unwrap_or_else(random_token);
    login_page(&state, req, &ctx, &csrf, "", None, StatusCode::OK)
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

/// `POST /operator/login`: operators only (no city).
#[handler]
pub async fn login_submit(
    state: Data<&ServerState>,
    ctx: Data<&Ctx>,
    req: &Request,
    Form(form): Form<LoginForm>,
) -> Response {
    let again = |key: &str, status| {
        login_page(
            &state,
            req,
            &ctx,
            &form.csrf_token,
            &form.username,
            Some(key),
            status,
        )
    };
    if !form_token_ok(req, &form.csrf_token) {
        let csrf = random_token();
        return login_page(
            &state,
            req,
            &ctx,
            &csrf,
            &form.username,
            Some("form_expired"),
            StatusCode::FORBIDDEN,
        );
    }
    match accounts::login(&ctx, None, form.username.trim(), &form.password).await {
        Ok(session) => signed_in(&state, &session.token, HOME),
        Err(Error::TooManyRequests { .. }) => again("too_many", StatusCode::TOO_MANY_REQUESTS),
        Err(Error::Unauthenticated(_) | Error::NotFound(_)) => {
            again("wrong_login", StatusCode::UNAUTHORIZED)
        }
        Err(e) => error_page(&e),
    }
}

/// `GET /operator/`: every city.
#[handler]
pub async fn cities(state: Data<&ServerState>, ctx: Data<&Ctx>, req: &Request) -> Response {
    operator!(&ctx);
    match tenants::list_by(&ctx).await {
        Ok(list) => {
            let mut c = context(req, &ctx);
            c.insert("cities".into(), json!(list));
            page(&state, "operator_cities.html", c, StatusCode::OK)
        }
        Err(e) => error_page(&e),
    }
}

/// `GET /operator/cities/{slug}`: a city's state, host names and quotas.
#[handler]
pub async fn city(
    state: Data<&ServerState>,
    ctx: Data<&Ctx>,
    req: &Request,
    Path(slug): Path<String>,
) -> Response {
    operator!(&ctx);
    city_page(&state, &ctx, req, &slug, None).await
}

async fn city_page(
    state: &ServerState,
    ctx: &Ctx,
    req: &Request,
    slug: &str,
    failed: Option<(&Error, &CityForm)>,
) -> Response {
    let (tenant, hosts, quotas) = match tokio::try_join!(
        tenants::get_by(ctx, slug),
        tenants::hosts_by(ctx, slug),
        quotas::get_by(ctx, slug)
    ) {
        Ok(found) => found,
        Err(e) => return error_page(&e),
    };
    let mut c = context(req, ctx);
    c.insert("city".into(), Value::Null);
    c.insert("tenant".into(), json!(tenant));
    let hosts: Vec<Value> = hosts
        .iter()
        .map(|h| json!({"id": h.id, "host": h.host}))
        .collect();
    c.insert("hosts".into(), json!(hosts));
    c.insert("quotas".into(), json!(quotas));
    let mut status = StatusCode::OK;
    if let Some((error, form)) = failed {
        let (code, _, message) = status_and_message(error);
        status = code;
        c.insert("error".into(), json!(message));
        c.insert("typed".into(), json!({"host": form.host}));
    }
    page(state, "operator_city.html", c, status)
}

#[derive(Deserialize, Default)]
pub struct CityForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    op: String,
    #[serde(default)]
    host: String,
    #[serde(default)]
    host_id: String,
    #[serde(default)]
    cases_per_day: String,
    #[serde(default)]
    staff_users: String,
    #[serde(default)]
    departments: String,
    #[serde(default)]
    plugins: String,
    #[serde(default)]
    plugin_bytes: String,
    #[serde(default)]
    webhooks: String,
}

/// One quota field: empty is no limit.
fn quota(p: &mut minsheng_domain::error::Problems, field: &str, text: &str) -> Option<u64> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    p.check(
        field,
        text.parse::<u64>()
            .map_err(|_| "a whole number of 0 or more, or empty for no limit".to_owned()),
    )
}

fn quota_limits(form: &CityForm) -> Result<QuotaLimits, Error> {
    let mut p = minsheng_domain::error::Problems::new();
    let limits = QuotaLimits {
        cases_per_day: quota(&mut p, quotas::CASES_PER_DAY, &form.cases_per_day),
        staff_users: quota(&mut p, "staff_users", &form.staff_users),
        departments: quota(&mut p, "departments", &form.departments),
        plugins: quota(&mut p, "plugins", &form.plugins),
        plugin_bytes: quota(&mut p, "plugin_bytes", &form.plugin_bytes),
        webhooks: quota(&mut p, "webhooks", &form.webhooks),
    };
    p.finish()?;
    Ok(limits)
}

async fn change(ctx: &Ctx, slug: &str, form: &CityForm) -> Result<(), Error> {
    let active = |active| TenantPatch {
        active: Some(active),
        ..TenantPatch::default()
    };
    match form.op.as_str() {
        "suspend" => tenants::update_by(ctx, slug, active(false)).await.map(drop),
        "reactivate" => tenants::update_by(ctx, slug, active(true)).await.map(drop),
        "add_host" => {
            let input = HostInput {
                host: form.host.clone(),
            };
            tenants::add_host_by(ctx, slug, &input).await.map(drop)
        }
        "remove_host" => {
            let id = Uuid::parse_str(form.host_id.trim())
                .map_err(|_| Error::invalid("host_id", "not a host of this city"))?;
            tenants::remove_host_by(ctx, slug, id).await
        }
        "quotas" => quotas::set_by(ctx, slug, quota_limits(form)?)
            .await
            .map(drop),
        other => Err(Error::invalid("op", format!("no action {other:?}"))),
    }
}

/// `POST /operator/cities/{slug}`: suspend, reactivate, add or remove a
/// host name, set the quotas.
#[handler]
pub async fn city_submit(
    state: Data<&ServerState>,
    ctx: Data<&Ctx>,
    req: &Request,
    Path(slug): Path<String>,
    Form(form): Form<CityForm>,
) -> Response {
    operator!(&ctx);
    if !session_form(&ctx, &form.csrf_token) {
        return expired(req, &ctx);
    }
    match change(&ctx, &slug, &form).await {
        Ok(()) => see_other(&format!("/operator/cities/{slug}")),
        Err(e) => city_page(&state, &ctx, req, &slug, Some((&e, &form))).await,
    }
}

#[derive(Deserialize, Default, serde::Serialize)]
pub struct BundleForm {
    #[serde(default, skip_serializing)]
    csrf_token: String,
    #[serde(default)]
    tenant: String,
    #[serde(default)]
    departments: String,
    #[serde(default)]
    categories: String,
    #[serde(default)]
    calendar: String,
}

fn new_city_page(
    state: &ServerState,
    ctx: &Ctx,
    req: &Request,
    form: &BundleForm,
    error: Option<&Error>,
) -> Response {
    let mut c = context(req, ctx);
    c.insert("typed".into(), json!(form));
    let mut status = StatusCode::OK;
    if let Some(error) = error {
        let (code, _, message) = status_and_message(error);
        status = code;
        c.insert("error".into(), json!(message));
    }
    page(state, "operator_new_city.html", c, status)
}

/// `GET /operator/cities/new`: the four files of a bundle, pasted.
#[handler]
pub async fn new_city(state: Data<&ServerState>, ctx: Data<&Ctx>, req: &Request) -> Response {
    operator!(&ctx);
    new_city_page(&state, &ctx, req, &BundleForm::default(), None)
}

/// `POST /operator/cities`: create a city from a bundle, as `tenant apply`
/// reads it.
#[handler]
pub async fn create_city(
    state: Data<&ServerState>,
    ctx: Data<&Ctx>,
    req: &Request,
    Form(form): Form<BundleForm>,
) -> Response {
    operator!(&ctx);
    if !session_form(&ctx, &form.csrf_token) {
        return expired(req, &ctx);
    }
    let created = async {
        let bundle = minsheng_app::bundle::format::Bundle::parse(
            &form.tenant,
            &form.departments,
            &form.categories,
            &form.calendar,
        )?;
        minsheng_app::bundle::apply::create_by(&ctx, &bundle).await?;
        Ok::<_, Error>(bundle.tenant.slug)
    }
    .await;
    match created {
        Ok(slug) => see_other(&format!("/operator/cities/{slug}")),
        Err(e) => new_city_page(&state, &ctx, req, &form, Some(&e)),
    }
}
