//! People and roles in the city administration console: staff accounts
//! (`{base}admin/people`), roles (`admin/roles`), API keys (`admin/keys`)
//! and the audit log (`admin/audit`). Every change goes through the
//! accounts services, with their permission checks and audit entries.

mod audit;
mod keys;
mod roles;
mod users;

use super::super::respond::status_and_message;
// The `console!` macro of the submodules calls `super::load`.
use super::load;
use crate::app::ServerState;
use crate::web::staff::{Desk, csrf_ok};
use minsheng_app::access::Ctx;
use minsheng_domain::Error;
use poem::http::{StatusCode, header};
use poem::{Request, Response, Route};
use serde_json::{Map, Value, json};

pub fn mount(route: Route) -> Route {
    let route = users::mount(route);
    let route = roles::mount(route);
    let route = keys::mount(route);
    audit::mount(route)
}

/// A posted form's fields in order; a field may come more than once
/// (checkboxes).
#[derive(Debug, Default, serde::Deserialize)]
#[serde(transparent)]
pub struct Fields(Vec<(String, String)>);

impl Fields {
    /// The first value of `name`, or "".
    pub fn one(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    }

    /// Every non-empty value of `name`.
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, v)| k == name && !v.trim().is_empty())
            .map(|(_, v)| v.trim().to_owned())
            .collect()
    }

    /// The fields as a JSON object for a form shown again: each name's
    /// first value, and `{name}_all` with all of them.
    pub fn kept(&self) -> Value {
        let mut map = serde_json::Map::new();
        for (k, v) in &self.0 {
            if k == "csrf_token" || k.contains("password") {
                continue;
            }
            map.entry(k.clone()).or_insert_with(|| json!(v));
            let all = map.entry(format!("{k}_all")).or_insert_with(|| json!([]));
            if let Some(list) = all.as_array_mut() {
                list.push(json!(v));
            }
        }
        Value::Object(map)
    }

    /// Whether the form carries the session's CSRF token.
    pub fn csrf_ok(&self, ctx: &Ctx) -> bool {
        csrf_ok(ctx, self.one("csrf_token"))
    }
}

/// Load the city and require its administrators and a form with the
/// session's CSRF token, or return the page to show instead.
macro_rules! console_form {
    ($state:expr, $ctx:expr, $req:expr, $slug:expr, $form:expr) => {
        match $crate::web::admin::people::load_form($state, $ctx, $req, $slug, &$form).await {
            Ok(console) => console,
            Err(resp) => return resp,
        }
    };
}
pub(crate) use console_form;

/// See [`console_form!`].
pub async fn load_form(
    state: &ServerState,
    ctx: &Ctx,
    req: &Request,
    slug: &str,
    form: &Fields,
) -> Result<Desk, Response> {
    let console = load(state, ctx, req, slug).await?;
    if !form.csrf_ok(ctx) {
        return Err(expired(&console));
    }
    Ok(console)
}

/// What a list page shows besides its list: a note of what was done, what
/// was just made (a secret shown this once), or why a change failed.
pub enum Outcome {
    Shown(Option<String>),
    Created(Value),
    Failed(StatusCode, String),
}

impl Outcome {
    pub fn failed(e: &Error) -> Outcome {
        let (status, message) = failure(e);
        Outcome::Failed(status, message)
    }

    /// Put it in the page's context (`done`, `created`, `error`); the
    /// page's status.
    pub fn into_context(self, context: &mut Map<String, Value>) -> StatusCode {
        match self {
            Outcome::Shown(done) => {
                context.insert("done".into(), json!(done));
                StatusCode::OK
            }
            Outcome::Created(made) => {
                context.insert("created".into(), made);
                StatusCode::CREATED
            }
            Outcome::Failed(status, message) => {
                context.insert("error".into(), json!(message));
                status
            }
        }
    }
}

/// The page to show for a form without the session's token.
pub fn expired(console: &Desk) -> Response {
    super::super::respond::refused(&console.site.word("form_expired"))
}

/// To `location` after a change.
pub fn see_other(location: &str) -> Response {
    Response::builder()
        .status(StatusCode::SEE_OTHER)
        .header(header::LOCATION, location)
        .finish()
}

/// What a failed change shows: its status and a message naming the field.
pub fn failure(e: &Error) -> (StatusCode, String) {
    let (status, _, message) = status_and_message(e);
    (status, message)
}

/// An id from a form or path, or a 4xx naming the field.
pub fn parse_id(field: &str, s: &str) -> Result<uuid::Uuid, Error> {
    uuid::Uuid::parse_str(s.trim()).map_err(|_| Error::invalid(field, "not an id of this list"))
}

/// The permission catalogue, each with whether `chosen` has it.
pub fn catalogue(chosen: &[String]) -> Value {
    json!(
        minsheng_app::services::accounts::permissions()
            .into_iter()
            .map(|p| json!({
                "name": p.name,
                "description": p.description,
                "checked": chosen.contains(&p.name),
            }))
            .collect::<Vec<_>>()
    )
}
