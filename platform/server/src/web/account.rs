//! The sign-in and sign-out forms of a city's site. They work without
//! JavaScript. The sign-in form is protected against cross-site submission
//! with a double-submit token (a `__Host-` cookie that must match a hidden
//! field); the sign-out form carries the session's own CSRF token.

use super::pages::{branding_context, error_page, not_found, render};
use super::resolve;
use super::templates::words;
use crate::access::Ctx;
use crate::access::tokens::{constant_time_eq, random_token};
use crate::api::{expired_session_cookie, session_cookie};
use crate::app::AppState;
use crate::services::access;
use crate::services::tenants::TenantRecord;
use minsheng_domain::Error;
use poem::http::{StatusCode, header};
use poem::web::{Data, Form, Path};
use poem::{IntoResponse, Request, Response, handler};
use serde::Deserialize;

const FORM_COOKIE: &str = "__Host-minsheng-form";

fn form_cookie(token: &str) -> String {
    format!("{FORM_COOKIE}={token}; Path=/; Secure; HttpOnly; SameSite=Strict")
}

async fn city(state: &AppState, req: &Request, slug: &str) -> Result<TenantRecord, Response> {
    match resolve::by_slug(state, slug).await? {
        Some(t) => Ok(t),
        None => Err(not_found(state, req, None)),
    }
}

fn form_page(
    state: &AppState,
    tenant: &TenantRecord,
    csrf: &str,
    username: &str,
    error: Option<&str>,
    status: StatusCode,
) -> Response {
    let context = serde_json::json!({
        "t": words(tenant.locale),
        "city": branding_context(tenant, &format!("/t/{}/", tenant.slug)),
        "csrf": csrf,
        "username": username,
        "error": error,
    });
    render(state, "login.html", context, status)
        .with_header(header::SET_COOKIE, form_cookie(csrf))
        .with_header(header::CACHE_CONTROL, "no-store")
        .into_response()
}

/// `GET /t/{slug}/login`
#[handler]
pub async fn login_form(
    state: Data<&AppState>,
    req: &Request,
    Path(slug): Path<String>,
) -> Response {
    let tenant = match city(&state, req, &slug).await {
        Ok(t) => t,
        Err(resp) => return resp,
    };
    let csrf = resolve::cookie(req, FORM_COOKIE).unwrap_or_else(random_token);
    form_page(&state, &tenant, &csrf, "", None, StatusCode::OK)
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

/// `POST /t/{slug}/login`
#[handler]
pub async fn login_submit(
    state: Data<&AppState>,
    ctx: Data<&Ctx>,
    req: &Request,
    Path(slug): Path<String>,
    Form(form): Form<LoginForm>,
) -> Response {
    let tenant = match city(&state, req, &slug).await {
        Ok(t) => t,
        Err(resp) => return resp,
    };
    let t = words(tenant.locale);
    let text = |key: &str| t[key].as_str().unwrap_or_default().to_owned();
    let cookie = resolve::cookie(req, FORM_COOKIE).unwrap_or_default();
    if cookie.is_empty() || !constant_time_eq(&cookie, &form.csrf_token) {
        let fresh = random_token();
        return form_page(
            &state,
            &tenant,
            &fresh,
            &form.username,
            Some(&text("form_expired")),
            StatusCode::FORBIDDEN,
        );
    }
    match access::login(&ctx, Some(&slug), form.username.trim(), &form.password).await {
        Ok(session) => Response::builder()
            .status(StatusCode::SEE_OTHER)
            .header(header::LOCATION, format!("/t/{slug}/"))
            .header(
                header::SET_COOKIE,
                session_cookie(&session.token, state.config.session_max_age_secs),
            )
            .header(header::CACHE_CONTROL, "no-store")
            .finish(),
        Err(Error::Unauthenticated(_)) => form_page(
            &state,
            &tenant,
            &cookie,
            &form.username,
            Some(&text("wrong_login")),
            StatusCode::UNAUTHORIZED,
        ),
        Err(Error::TooManyRequests {
            retry_after_secs, ..
        }) => form_page(
            &state,
            &tenant,
            &cookie,
            &form.username,
            Some(&text("too_many")),
            StatusCode::TOO_MANY_REQUESTS,
        )
        .with_header(header::RETRY_AFTER, retry_after_secs.to_string())
        .into_response(),
        Err(Error::NotFound(_)) => not_found(&state, req, None),
        Err(e) => error_page(&e),
    }
}

#[derive(Deserialize)]
pub struct LogoutForm {
    #[serde(default)]
    csrf_token: String,
}

/// `POST /t/{slug}/logout`
#[handler]
pub async fn logout_submit(
    ctx: Data<&Ctx>,
    Path(slug): Path<String>,
    Form(form): Form<LogoutForm>,
) -> Response {
    let Some(expected) = &ctx.session_csrf else {
        return redirect_home(&slug);
    };
    if !constant_time_eq(expected, &form.csrf_token) {
        return StatusCode::FORBIDDEN.into_response();
    }
    if let Err(e) = access::logout(&ctx).await {
        return error_page(&e);
    }
    redirect_home(&slug)
}

fn redirect_home(slug: &str) -> Response {
    Response::builder()
        .status(StatusCode::SEE_OTHER)
        .header(header::LOCATION, format!("/t/{slug}/"))
        .header(header::SET_COOKIE, expired_session_cookie())
        .finish()
}
