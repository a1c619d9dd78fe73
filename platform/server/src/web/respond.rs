//! The responses every page shares: a template rendered, the 404 page,
//! and errors as pages. An error gets the status the API gives it
//! ([`ApiError`]: one mapping for both), and for what the visitor can fix,
//! the message that says what; a city's page shows it in the city's
//! branding ([`Site::error`](super::site::Site::error)).

use super::site::{ASSET_VERSION, branding};
use super::templates::words;
use crate::api::error::ApiError;
use crate::app::ServerState;
use minsheng_app::services::tenants::TenantRecord;
use minsheng_domain::Error;
use minsheng_domain::values::Locale;
use poem::http::{StatusCode, header};
use poem::web::Html;
use poem::{IntoResponse, Request, Response};
use serde_json::{Value, json};

/// A 404: a page for browsers (in the city's branding when there is one),
/// JSON for everyone else.
pub fn not_found(state: &ServerState, req: &Request, tenant: Option<&TenantRecord>) -> Response {
    let wants_html = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("text/html"));
    if !wants_html {
        return poem::web::Json(json!({
            "error": "not_found",
            "message": format!("no city or page at {}", req.uri().path()),
        }))
        .with_status(StatusCode::NOT_FOUND)
        .into_response();
    }
    let locale = tenant.map_or(Locale::En, |t| t.locale);
    let context = json!({
        "t": words(locale),
        "city": tenant.map(|t| branding(t, "/")),
        "asset": *ASSET_VERSION,
    });
    render(state, "not_found.html", context, StatusCode::NOT_FOUND)
}

pub fn render(state: &ServerState, name: &str, context: Value, status: StatusCode) -> Response {
    let rendered = state
        .templates
        .get_template(name)
        .and_then(|t| t.render(super::templates::template_context(context)));
    match rendered {
        Ok(html) => Html(html).with_status(status).into_response(),
        Err(e) => error_page(&Error::internal(format!("template {name}: {e}"))),
    }
}

/// A short plain page for a request the visitor can fix.
pub fn bad_request(message: &str) -> Response {
    plain(StatusCode::BAD_REQUEST, message)
}

/// A short plain page for a form sent without its token (cross-site, or
/// kept open past its session).
pub fn refused(message: &str) -> Response {
    plain(StatusCode::FORBIDDEN, message)
}

fn plain(status: StatusCode, message: &str) -> Response {
    let escaped = message
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    let code = status.as_u16();
    Html(format!(
        "<!doctype html><title>{code}</title><h1>{code}</h1><p>{escaped}</p>"
    ))
    .with_status(status)
    .into_response()
}

/// What a page says of an error, and its status: those the API gives for
/// it. A server error says only that it was logged.
pub fn status_and_message(error: &Error) -> (StatusCode, Option<u64>, String) {
    let api = ApiError::from(error.clone());
    let message = api.message().to_owned();
    let response = api.into_response();
    let retry_after = response
        .headers()
        .get(header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    (response.status(), retry_after, message)
}

/// An error as a plain page, where no city is known (see `Site::error`).
pub fn error_page(error: &Error) -> Response {
    let (status, retry_after, message) = status_and_message(error);
    with_retry_after(plain(status, &message), retry_after)
}

/// `Retry-After`, when the error said when to try again.
pub fn with_retry_after(mut response: Response, retry_after: Option<u64>) -> Response {
    if let Some(secs) = retry_after
        && let Ok(value) = secs.to_string().parse()
    {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

/// An error in a city's branding and language.
pub fn city_error(
    state: &ServerState,
    mut context: serde_json::Map<String, Value>,
    locale: Locale,
    error: &Error,
) -> Response {
    let (status, retry_after, message) = status_and_message(error);
    let title = words(locale)["errors"][status.as_str()]
        .as_str()
        .or_else(|| words(locale)["errors"]["500"].as_str())
        .unwrap_or_default()
        .to_owned();
    context.insert("status".into(), json!(status.as_u16()));
    context.insert("error_title".into(), json!(title));
    context.insert("error_message".into(), json!(message));
    with_retry_after(
        render(state, "error.html", Value::Object(context), status),
        retry_after,
    )
}

#[cfg(test)]
mod tests {
    use super::status_and_message;
    use minsheng_domain::Error;

    /// A page gets the status the API gives the same error, says what to
    /// fix when the visitor can, and nothing of a bug's details.
    #[test]
    fn pages_take_the_api_status_and_hide_only_bugs() {
        for (error, status, said) in [
            (Error::invalid("title", "too short"), 422, "too short"),
            (Error::not_found("case \"X\""), 404, "not found"),
            (
                Error::conflict("rating", "already rated"),
                409,
                "already rated",
            ),
            (Error::Unauthenticated("sign in".into()), 401, "sign in"),
            (Error::Forbidden("not yours".into()), 403, "not yours"),
            (
                Error::TooManyRequests {
                    retry_after_secs: 7,
                    message: "slow down".into(),
                },
                429,
                "slow down",
            ),
            (Error::Unavailable("db down".into()), 503, "try again"),
            (Error::internal("secret detail"), 500, "logged"),
        ] {
            let (got, retry, message) = status_and_message(&error);
            assert_eq!(got.as_u16(), status, "{error:?}");
            assert!(message.contains(said), "{error:?}: {message}");
            assert!(!message.contains("secret detail") && !message.contains("db down"));
            let expected = match status {
                429 => Some(7),
                503 => Some(crate::api::error::UNAVAILABLE_RETRY_SECS),
                _ => None,
            };
            assert_eq!(retry, expected, "{error:?}");
        }
    }
}
