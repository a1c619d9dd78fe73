//! Following a case: the track page (tracking code, and the secret for
//! private cases and the citizen's own actions), and the citizen's forms on
//! their case: rating the answer and adding information. The citizen proves
//! the case is theirs with its secret or by being signed in as the account
//! that filed it.

use super::pages::{case_context, landing_unfound};
use super::respond::{refused, render};
use super::site::Site;
use super::site::site;
use crate::app::ServerState;
use minsheng_app::access::Ctx;
use minsheng_app::access::tokens::constant_time_eq;
use minsheng_app::services::cases;
use minsheng_domain::Error;
use poem::http::{StatusCode, header};
use poem::web::{Data, Form, Path, Query, Redirect};
use poem::{IntoResponse, Request, Response, handler};
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Deserialize)]
pub struct TrackQuery {
    code: Option<String>,
    secret: Option<String>,
    done: Option<String>,
    /// Set by the home page's form: an unknown code shows the home page
    /// again with the message.
    from: Option<String>,
}

/// `/t/{slug}/track`: with no code, the form; with a public case's code,
/// its page; with the case's secret (or signed in as its citizen), the
/// case with the citizen's own forms.
#[handler]
pub async fn track(
    state: Data<&ServerState>,
    ctx: Data<&Ctx>,
    req: &Request,
    Path(slug): Path<String>,
    Query(query): Query<TrackQuery>,
) -> Response {
    let site = site!(&state, &ctx, req, &slug);
    let typed = query.code.as_deref().unwrap_or_default().trim().to_owned();
    let secret = query
        .secret
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    if typed.is_empty() {
        return form(&state, &ctx, &site, "", None, StatusCode::OK);
    }
    let Some(code) = minsheng_domain::case::normalize_tracking_code(&typed) else {
        return unfound(&state, &ctx, &site, &typed, query.from.is_some()).await;
    };
    // The citizen's own view, by secret or account.
    match cases::get_own(&ctx, &site.tenant, &code, secret).await {
        Ok(detail) => {
            let notice = query.done.as_deref().and_then(|d| match d {
                "rated" => Some(site.word("rated_thanks")),
                "information" => Some(site.word("info_added")),
                _ => None,
            });
            return owner_page(
                &state,
                &ctx,
                &site,
                &detail,
                secret,
                notice,
                &Value::Null,
                StatusCode::OK,
            );
        }
        Err(Error::Forbidden(_)) if secret.is_some() => {
            let message = site.word("wrong_secret");
            return form(
                &state,
                &ctx,
                &site,
                &typed,
                Some(message),
                StatusCode::FORBIDDEN,
            );
        }
        Err(Error::Forbidden(_) | Error::NotFound(_) | Error::Invalid(_)) => {}
        Err(e) => return site.error(&state, &ctx, &e),
    }
    // Anyone else: a public case's page.
    match cases::get(&ctx, &site.tenant, &code, None).await {
        Ok(d) if d.public => {
            Redirect::see_other(format!("{}cases/{code}", site.base)).into_response()
        }
        Ok(_) | Err(Error::NotFound(_) | Error::Invalid(_)) => {
            if secret.is_some() {
                let message = site.word("wrong_secret");
                form(
                    &state,
                    &ctx,
                    &site,
                    &typed,
                    Some(message),
                    StatusCode::NOT_FOUND,
                )
            } else {
                unfound(&state, &ctx, &site, &typed, query.from.is_some()).await
            }
        }
        Err(e) => site.error(&state, &ctx, &e),
    }
}

async fn unfound(
    state: &ServerState,
    ctx: &Ctx,
    site: &Site,
    typed: &str,
    from_home: bool,
) -> Response {
    if from_home {
        return landing_unfound(state, ctx, site, typed).await;
    }
    let message = site.word("no_such_code");
    form(
        state,
        ctx,
        site,
        typed,
        Some(message),
        StatusCode::NOT_FOUND,
    )
}

fn form(
    state: &ServerState,
    ctx: &Ctx,
    site: &Site,
    code: &str,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let mut context = site.context(ctx, "track");
    context.insert("code".into(), json!(code));
    context.insert("errors".into(), json!({ "code": error }));
    render(state, "track.html", Value::Object(context), status)
        .with_header(header::CACHE_CONTROL, "no-store")
        .into_response()
}

#[allow(clippy::too_many_arguments)]
fn owner_page(
    state: &ServerState,
    ctx: &Ctx,
    site: &Site,
    detail: &minsheng_app::model::CaseDetail,
    secret: Option<&str>,
    notice: Option<String>,
    errors: &Value,
    status: StatusCode,
) -> Response {
    let owner = json!({ "secret": secret.unwrap_or_default() });
    let mut context = case_context(site, ctx, detail, Some(owner));
    context.insert("nav".into(), json!("track"));
    context.insert("notice".into(), json!(notice));
    context.insert("errors".into(), errors.clone());
    // The secret is in this page: never stored, never sent on as a referrer.
    render(state, "case.html", Value::Object(context), status)
        .with_header(header::CACHE_CONTROL, "no-store")
        .with_header("Referrer-Policy", "no-referrer")
        .into_response()
}

#[derive(Deserialize)]
pub struct OwnerForm {
    #[serde(default)]
    secret: String,
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    rating: String,
    #[serde(default)]
    comment: String,
    #[serde(default)]
    text: String,
}

impl OwnerForm {
    fn secret(&self) -> Option<&str> {
        Some(self.secret.trim()).filter(|s| !s.is_empty())
    }
}

/// A form sent with the session instead of the secret must carry the
/// session's CSRF token.
fn session_checked(ctx: &Ctx, form: &OwnerForm) -> bool {
    form.secret().is_some()
        || ctx
            .session_csrf
            .as_deref()
            .is_some_and(|expected| constant_time_eq(expected, &form.csrf_token))
}

fn back_to(site: &Site, code: &str, secret: Option<&str>, done: &str) -> Response {
    let mut url = form_urlencoded::Serializer::new(String::new());
    url.append_pair("code", code);
    if let Some(s) = secret {
        url.append_pair("secret", s);
    }
    url.append_pair("done", done);
    Response::builder()
        .status(StatusCode::SEE_OTHER)
        .header(
            header::LOCATION,
            format!("{}track?{}", site.base, url.finish()),
        )
        .header("Referrer-Policy", "no-referrer")
        .finish()
}

/// The message next to a field, in the page's language.
fn field_errors(site: &Site, e: &Error, known: &[(&str, &str)]) -> Option<Value> {
    let Error::Invalid(problems) = e else {
        return None;
    };
    let mut map = serde_json::Map::new();
    for p in problems {
        let word = known
            .iter()
            .find(|(f, _)| *f == p.field)
            .map_or("err_other", |(_, w)| w);
        map.insert(p.field.clone(), json!(site.word(word)));
    }
    Some(Value::Object(map))
}

/// `POST /t/{slug}/cases/{code}/rate`
#[handler]
pub async fn rate(
    state: Data<&ServerState>,
    ctx: Data<&Ctx>,
    req: &Request,
    Path((slug, code)): Path<(String, String)>,
    Form(form): Form<OwnerForm>,
) -> Response {
    let site = site!(&state, &ctx, req, &slug);
    if !session_checked(&ctx, &form) {
        return refused(&site.word("form_expired"));
    }
    let result = cases::rate(
        &ctx,
        &site.tenant,
        &code,
        form.secret(),
        form.rating.trim(),
        Some(form.comment.as_str()).filter(|c| !c.trim().is_empty()),
    )
    .await;
    let errors = match result {
        Ok(detail) => return back_to(&site, &detail.case.tracking_code, form.secret(), "rated"),
        Err(e) => match field_errors(
            &site,
            &e,
            &[("rating", "err_rating"), ("comment", "err_other")],
        ) {
            Some(errors) => errors,
            None => return owner_failure(&state, &ctx, &site, &code, &form, &e, "rating").await,
        },
    };
    owner_again(&state, &ctx, &site, &code, &form, errors).await
}

/// `POST /t/{slug}/cases/{code}/information`
#[handler]
pub async fn add_information(
    state: Data<&ServerState>,
    ctx: Data<&Ctx>,
    req: &Request,
    Path((slug, code)): Path<(String, String)>,
    Form(form): Form<OwnerForm>,
) -> Response {
    let site = site!(&state, &ctx, req, &slug);
    if !session_checked(&ctx, &form) {
        return refused(&site.word("form_expired"));
    }
    match cases::add_information(&ctx, &site.tenant, &code, form.secret(), &form.text).await {
        Ok(()) => {
            let code = minsheng_domain::case::normalize_tracking_code(&code).unwrap_or(code);
            back_to(&site, &code, form.secret(), "information")
        }
        Err(e) => match field_errors(&site, &e, &[("text", "err_info")]) {
            Some(errors) => owner_again(&state, &ctx, &site, &code, &form, errors).await,
            None => owner_failure(&state, &ctx, &site, &code, &form, &e, "text").await,
        },
    }
}

/// The case page again, with the messages next to the fields.
async fn owner_again(
    state: &ServerState,
    ctx: &Ctx,
    site: &Site,
    code: &str,
    form: &OwnerForm,
    errors: Value,
) -> Response {
    match cases::get_own(ctx, &site.tenant, code, form.secret()).await {
        Ok(detail) => owner_page(
            state,
            ctx,
            site,
            &detail,
            form.secret(),
            None,
            &errors,
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        Err(Error::Forbidden(_) | Error::NotFound(_) | Error::Invalid(_)) => {
            let message = site.word("wrong_secret");
            form_page_for(state, ctx, site, code, message)
        }
        Err(e) => site.error(state, ctx, &e),
    }
}

fn form_page_for(
    state: &ServerState,
    ctx: &Ctx,
    site: &Site,
    code: &str,
    message: String,
) -> Response {
    form(state, ctx, site, code, Some(message), StatusCode::FORBIDDEN)
}

/// A refusal that is not about one field: a wrong secret, a case that
/// cannot be rated now, too many attempts.
async fn owner_failure(
    state: &ServerState,
    ctx: &Ctx,
    site: &Site,
    code: &str,
    form: &OwnerForm,
    e: &Error,
    field: &str,
) -> Response {
    let (word, status) = match e {
        Error::Forbidden(_) | Error::NotFound(_) => {
            return form_page_for(state, ctx, site, code, site.word("wrong_secret"));
        }
        Error::Conflict { field: Some(f), .. } if f == "rating" => {
            ("already_rated", StatusCode::CONFLICT)
        }
        Error::Conflict { .. } if field == "rating" => ("not_answered", StatusCode::CONFLICT),
        Error::Conflict { .. } => ("case_finished", StatusCode::CONFLICT),
        Error::TooManyRequests { .. } => ("too_many", StatusCode::TOO_MANY_REQUESTS),
        Error::Unauthenticated(_) => {
            return form_page_for(state, ctx, site, code, site.word("wrong_secret"));
        }
        _ => return site.error(state, ctx, e),
    };
    let errors = json!({ "alert": site.word(word), "field": field });
    match cases::get_own(ctx, &site.tenant, code, form.secret()).await {
        Ok(detail) => owner_page(
            state,
            ctx,
            site,
            &detail,
            form.secret(),
            None,
            &errors,
            status,
        ),
        Err(e) => site.error(state, ctx, &e),
    }
}
