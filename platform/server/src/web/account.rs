//! Accounts on a city's site: sign in (residents and staff), sign out,
//! register as a resident, and "my cases". The forms work without
//! JavaScript. Sign-in and registration are protected against cross-site
//! submission with a double-submit token (a `__Host-` cookie that must
//! match a hidden field); sign-out carries the session's own CSRF token.

use super::respond::render;
use super::site::Site;
use super::site::site;
use crate::app::ServerState;
use crate::request::{expired_session_cookie, session_cookie};
use minsheng_app::access::tokens::{constant_time_eq, random_token};
use minsheng_app::access::{Ctx, Principal};
use minsheng_app::services::{accounts, cases};
use minsheng_domain::Error;
use poem::http::{StatusCode, header};
use poem::web::{Data, Form, Path};
use poem::{IntoResponse, Request, Response, handler};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

pub(crate) const FORM_COOKIE: &str = "__Host-minsheng-form";

pub(crate) fn form_cookie(token: &str) -> String {
    format!("{FORM_COOKIE}={token}; Path=/; Secure; HttpOnly; SameSite=Strict")
}

/// The double-submit check: the hidden field matches the form cookie.
pub(crate) fn form_token_ok(req: &Request, sent: &str) -> bool {
    let cookie = super::resolve::cookie(req, FORM_COOKIE).unwrap_or_default();
    !cookie.is_empty() && constant_time_eq(&cookie, sent)
}

/// Where to go after signing in: a path on this site, else its home.
fn next_or_home(site: &Site, next: &str) -> String {
    if next.starts_with(&site.base) && !next.starts_with("//") && !next.contains('\\') {
        next.to_owned()
    } else {
        site.base.clone()
    }
}

#[allow(clippy::too_many_arguments)]
fn login_page(
    state: &ServerState,
    ctx: &Ctx,
    site: &Site,
    csrf: &str,
    username: &str,
    next: &str,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let mut context = site.context(ctx, "");
    context.extend([
        ("csrf".into(), json!(csrf)),
        ("username".into(), json!(username)),
        ("next".into(), json!(next)),
        ("error".into(), json!(error)),
    ]);
    render(state, "login.html", Value::Object(context), status)
        .with_header(header::SET_COOKIE, form_cookie(csrf))
        .with_header(header::CACHE_CONTROL, "no-store")
        .into_response()
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

/// `GET /t/{slug}/login`
#[handler]
pub async fn login_form(
    state: Data<&ServerState>,
    ctx: Data<&Ctx>,
    req: &Request,
    Path(slug): Path<String>,
    poem::web::Query(query): poem::web::Query<NextQuery>,
) -> Response {
    let site = site!(&state, &ctx, req, &slug);
    let csrf = super::resolve::cookie(req, FORM_COOKIE).unwrap_or_else(random_token);
    let next = query.next.unwrap_or_default();
    login_page(&state, &ctx, &site, &csrf, "", &next, None, StatusCode::OK)
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

/// `POST /t/{slug}/login`
#[handler]
pub async fn login_submit(
    state: Data<&ServerState>,
    ctx: Data<&Ctx>,
    req: &Request,
    Path(slug): Path<String>,
    Form(form): Form<LoginForm>,
) -> Response {
    let site = site!(&state, &ctx, req, &slug);
    if !form_token_ok(req, &form.csrf_token) {
        return login_page(
            &state,
            &ctx,
            &site,
            &random_token(),
            &form.username,
            &form.next,
            Some(site.word("form_expired")),
            StatusCode::FORBIDDEN,
        );
    }
    let again = |word: &str, status| {
        login_page(
            &state,
            &ctx,
            &site,
            &form.csrf_token,
            &form.username,
            &form.next,
            Some(site.word(word)),
            status,
        )
    };
    match accounts::login(&ctx, Some(&slug), form.username.trim(), &form.password).await {
        Ok(session) => {
            // Staff start at their work queue, citizens at the city's home.
            let to = if form.next.is_empty() && session.me.kind == "staff" {
                format!("{}staff/", site.base)
            } else {
                next_or_home(&site, &form.next)
            };
            signed_in(&state, &session.token, &to)
        }
        Err(Error::Unauthenticated(_)) => again("wrong_login", StatusCode::UNAUTHORIZED),
        Err(Error::TooManyRequests {
            retry_after_secs, ..
        }) => again("too_many", StatusCode::TOO_MANY_REQUESTS)
            .with_header(header::RETRY_AFTER, retry_after_secs.to_string())
            .into_response(),
        Err(Error::NotFound(_)) => site.not_found(&state, &ctx),
        Err(e) => site.error(&state, &ctx, &e),
    }
}

pub(crate) fn signed_in(state: &ServerState, token: &str, to: &str) -> Response {
    Response::builder()
        .status(StatusCode::SEE_OTHER)
        .header(header::LOCATION, to)
        .header(
            header::SET_COOKIE,
            session_cookie(token, state.config.session_max_age_secs),
        )
        .header(header::CACHE_CONTROL, "no-store")
        .finish()
}

#[derive(Deserialize)]
pub struct LogoutForm {
    #[serde(default)]
    csrf_token: String,
}

/// `POST /t/{slug}/logout`
#[handler]
pub async fn logout_submit(
    state: Data<&ServerState>,
    ctx: Data<&Ctx>,
    req: &Request,
    Path(slug): Path<String>,
    Form(form): Form<LogoutForm>,
) -> Response {
    let site = site!(&state, &ctx, req, &slug);
    let home = || {
        Response::builder()
            .status(StatusCode::SEE_OTHER)
            .header(header::LOCATION, site.base.clone())
            .header(header::SET_COOKIE, expired_session_cookie())
            .finish()
    };
    let Some(expected) = &ctx.session_csrf else {
        return home();
    };
    if !constant_time_eq(expected, &form.csrf_token) {
        return super::respond::refused(&site.word("form_expired"));
    }
    if let Err(e) = accounts::logout(&ctx).await {
        return site.error(&state, &ctx, &e);
    }
    home()
}

#[derive(Default, Deserialize, Serialize)]
pub struct RegisterForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    display_name: String,
    #[serde(default, skip_serializing)]
    password: String,
}

fn register_page(
    state: &ServerState,
    ctx: &Ctx,
    site: &Site,
    csrf: &str,
    form: &RegisterForm,
    errors: Value,
    status: StatusCode,
) -> Response {
    let mut context = site.context(ctx, "");
    context.extend([
        ("csrf".into(), json!(csrf)),
        ("form".into(), json!(form)),
        ("errors".into(), errors),
    ]);
    render(state, "register.html", Value::Object(context), status)
        .with_header(header::SET_COOKIE, form_cookie(csrf))
        .with_header(header::CACHE_CONTROL, "no-store")
        .into_response()
}

/// `GET /t/{slug}/register`
#[handler]
pub async fn register_form(
    state: Data<&ServerState>,
    ctx: Data<&Ctx>,
    req: &Request,
    Path(slug): Path<String>,
) -> Response {
    let site = site!(&state, &ctx, req, &slug);
    let csrf = super::resolve::cookie(req, FORM_COOKIE).unwrap_or_else(random_token);
    register_page(
        &state,
        &ctx,
        &site,
        &csrf,
        &RegisterForm::default(),
        Value::Null,
        StatusCode::OK,
    )
}

/// `POST /t/{slug}/register`: create the account and sign in.
#[handler]
pub async fn register_submit(
    state: Data<&ServerState>,
    ctx: Data<&Ctx>,
    req: &Request,
    Path(slug): Path<String>,
    Form(form): Form<RegisterForm>,
) -> Response {
    let site = site!(&state, &ctx, req, &slug);
    if !form_token_ok(req, &form.csrf_token) {
        let errors = json!({ "username": site.word("form_expired") });
        return register_page(
            &state,
            &ctx,
            &site,
            &random_token(),
            &form,
            errors,
            StatusCode::FORBIDDEN,
        );
    }
    let username = form.username.trim().to_owned();
    let created = accounts::register_citizen(
        &ctx,
        &site.tenant,
        &username,
        &form.display_name,
        &form.password,
    )
    .await;
    let errors = match created {
        Ok(_) => {
            return match accounts::login(&ctx, Some(&slug), &username, &form.password).await {
                Ok(session) => signed_in(
                    &state,
                    &session.token,
                    &format!("{}my?welcome=1", site.base),
                ),
                Err(e) => site.error(&state, &ctx, &e),
            };
        }
        Err(Error::Invalid(problems)) => {
            let mut map = serde_json::Map::new();
            for p in problems {
                let word = match p.field.as_str() {
                    "username" => "err_username",
                    "password" => "err_password",
                    "display_name" => "err_display_name",
                    _ => "err_other",
                };
                map.entry(p.field).or_insert_with(|| json!(site.word(word)));
            }
            Value::Object(map)
        }
        Err(Error::Conflict { .. }) => json!({ "username": site.word("username_taken") }),
        Err(Error::TooManyRequests {
            retry_after_secs, ..
        }) => {
            let errors = json!({ "username": site.word("too_many") });
            return register_page(
                &state,
                &ctx,
                &site,
                &form.csrf_token,
                &form,
                errors,
                StatusCode::TOO_MANY_REQUESTS,
            )
            .with_header(header::RETRY_AFTER, retry_after_secs.to_string())
            .into_response();
        }
        Err(e) => return site.error(&state, &ctx, &e),
    };
    register_page(
        &state,
        &ctx,
        &site,
        &form.csrf_token,
        &form,
        errors,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
}

#[derive(Deserialize)]
pub struct MyQuery {
    welcome: Option<String>,
}

/// `GET /t/{slug}/my`: the signed-in resident's cases (sign in first).
#[handler]
pub async fn my_cases(
    state: Data<&ServerState>,
    ctx: Data<&Ctx>,
    req: &Request,
    Path(slug): Path<String>,
    poem::web::Query(query): poem::web::Query<MyQuery>,
) -> Response {
    let site = site!(&state, &ctx, req, &slug);
    let is_citizen =
        matches!(&ctx.principal, Principal::Citizen { tenant, .. } if *tenant == site.tenant.id);
    if !is_citizen {
        let mut next = form_urlencoded::Serializer::new(String::new());
        next.append_pair("next", &format!("{}my", site.base));
        return Response::builder()
            .status(StatusCode::SEE_OTHER)
            .header(
                header::LOCATION,
                format!("{}login?{}", site.base, next.finish()),
            )
            .finish();
    }
    let page = match cases::mine(&ctx, &site.tenant, 0, 100).await {
        Ok(p) => p,
        Err(e) => return site.error(&state, &ctx, &e),
    };
    let mut context = site.context(&ctx, "");
    context.extend([
        ("items".into(), json!(page.items)),
        (
            "notice".into(),
            json!(query.welcome.map(|_| site.word("registered"))),
        ),
    ]);
    render(
        &state,
        "my_cases.html",
        Value::Object(context),
        StatusCode::OK,
    )
    .with_header(header::CACHE_CONTROL, "private, no-store")
    .into_response()
}
