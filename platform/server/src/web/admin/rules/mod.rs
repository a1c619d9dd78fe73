//! `{base}admin/rules`: the city's rule plugins per hook in chain order,
//! and uploading a component (`multipart/form-data`, at most
//! [`MAX_COMPONENT_BYTES`]); `rules/{id}` a plugin's page (`plugin`),
//! `rules/replays/{job}` a replay's progress and result (`replay`). Every
//! change goes through `minsheng_app::services::plugins`, as the API's.

mod plugin;
mod replay;
mod schema_form;

use super::console;
// `console!` in this section's modules loads the page through `super::load`.
use super::load;
use crate::app::ServerState;
use crate::web::respond;
use crate::web::staff::{Desk, csrf_ok};
use minsheng_app::access::Ctx;
use minsheng_app::model::PluginView;
use minsheng_app::services::plugins;
use minsheng_app::services::plugins::replay::jobs;
use minsheng_domain::Error;
use minsheng_plugin_host::MAX_COMPONENT_BYTES;
use poem::http::{StatusCode, header};
use poem::web::{Data, Multipart, Path};
use poem::{Request, Response, Route, get, handler};
use serde_json::{Value, json};
use tokio::io::AsyncReadExt;

pub fn mount(route: Route) -> Route {
    route
        .at("/t/:slug/admin/rules", get(rules_page).post(upload))
        .at(
            "/t/:slug/admin/rules/:id",
            get(plugin::plugin_page).post(plugin::act),
        )
        .at(
            "/t/:slug/admin/rules/replays/:job",
            get(replay::replay_page),
        )
}

/// `contact-*`: personal data, marked wherever a rule asks for it.
pub(super) fn personal(field: &str) -> bool {
    field.starts_with("contact-")
}

/// A plugin's state: `enabled`, `disabled`, or `auto_disabled` (by its
/// failures, with the reason).
fn state(p: &PluginView) -> &'static str {
    if p.enabled {
        "enabled"
    } else if p.disabled_reason.is_some() {
        "auto_disabled"
    } else {
        "disabled"
    }
}

/// A plugin as the pages show it.
fn row(p: &PluginView) -> Value {
    json!({
        "id": p.id,
        "name": p.name,
        "version": p.version,
        "hook": p.hook,
        "summary": p.summary,
        "state": state(p),
        "disabled_reason": p.disabled_reason,
        "failures": p.failures,
        "last_error": p.last_error,
        "position": p.position,
        "personal": p.needs.iter().filter(|n| personal(n)).collect::<Vec<_>>(),
        "size_kib": (i64::from(p.size) + 1023) / 1024,
    })
}

/// The error summary's entries: each problem with its field, and the id
/// of the control to fix it at.
pub(super) fn problems(error: &Error) -> Vec<Value> {
    let anchor = |field: &str| match field.strip_prefix("config/") {
        Some(rest) => format!("f-{}", rest.split('/').next().unwrap_or(rest)),
        None if field == "config" => "config-form".to_owned(),
        None => field.replace(['.', '/'], "-"),
    };
    match error {
        Error::Invalid(errors) => errors
            .iter()
            .map(|e| json!({"field": e.field, "message": e.message, "anchor": anchor(&e.field)}))
            .collect(),
        Error::Conflict {
            field: Some(field),
            message,
        } => vec![json!({"field": field, "message": message, "anchor": anchor(field)})],
        other => vec![
            json!({"field": "", "message": respond::status_and_message(other).2, "anchor": ""}),
        ],
    }
}

#[handler]
pub async fn rules_page(
    state: Data<&ServerState>,
    ctx: Data<&Ctx>,
    req: &Request,
    Path(slug): Path<String>,
) -> Response {
    let console = console!(&state, &ctx, req, &slug);
    list_page(&state, &ctx, &console, Vec::new(), StatusCode::OK).await
}

async fn list_page(
    state: &ServerState,
    ctx: &Ctx,
    console: &Desk,
    errors: Vec<Value>,
    status: StatusCode,
) -> Response {
    let tenant = &console.site.tenant;
    let loaded = async {
        Ok::<_, Error>((
            plugins::list(ctx, tenant).await?,
            plugins::quota(ctx, tenant).await?,
            jobs::list(ctx, tenant).await?,
        ))
    };
    let (list, quota, replays) = match loaded.await {
        Ok(l) => l,
        Err(e) => return console.site.error(state, ctx, &e),
    };
    let hooks: Vec<Value> = ["intake", "escalation"]
        .iter()
        .map(|hook| {
            let rows: Vec<Value> = list.iter().filter(|p| p.hook == *hook).map(row).collect();
            json!({"hook": hook, "plugins": rows})
        })
        .collect();
    let replays: Vec<Value> = replays
        .iter()
        .map(|j| {
            json!({"id": j.id, "plugin": j.plugin, "days": j.days, "running": j.running,
                   "percent": j.percent, "changed": j.tally.changed, "cases": j.tally.cases})
        })
        .collect();
    let mut context = console.context(ctx, "rules");
    context.insert("hooks".into(), json!(hooks));
    context.insert("quota".into(), json!(quota));
    context.insert("replays".into(), json!(replays));
    context.insert("errors".into(), json!(errors));
    context.insert("max_mib".into(), json!(MAX_COMPONENT_BYTES >> 20));
    console.render(state, "admin_rules.html", context, status)
}

/// The body may carry the form's other fields besides the component.
const SLACK: usize = 64 << 10;

/// `POST {base}admin/rules`: upload a component (`multipart/form-data`
/// with `csrf_token` and the file as `component`); to its page.
#[handler]
pub async fn upload(
    state: Data<&ServerState>,
    ctx: Data<&Ctx>,
    req: &Request,
    Path(slug): Path<String>,
    multipart: poem::Result<Multipart>,
) -> Response {
    let console = console!(&state, &ctx, req, &slug);
    let too_large = || {
        vec![json!({"field": "component", "anchor": "component",
                    "message": word(&console, "too_large")
                        .replace("{mib}", &(MAX_COMPONENT_BYTES >> 20).to_string())})]
    };
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|len| len > MAX_COMPONENT_BYTES + SLACK) {
        let status = StatusCode::PAYLOAD_TOO_LARGE;
        return closing(list_page(&state, &ctx, &console, too_large(), status).await);
    }
    let bad_form = |message: &str| {
        vec![json!({"field": "component", "anchor": "component", "message": message})]
    };
    let (token, bytes) = match read_upload(multipart).await {
        Ok(sent) => sent,
        Err(Unread::TooLarge) => {
            let status = StatusCode::PAYLOAD_TOO_LARGE;
            return closing(list_page(&state, &ctx, &console, too_large(), status).await);
        }
        Err(Unread::Broken) => {
            let e = bad_form(&word(&console, "not_multipart"));
            return list_page(&state, &ctx, &console, e, StatusCode::BAD_REQUEST).await;
        }
    };
    if !csrf_ok(&ctx, &token) {
        return respond::refused(&console.site.word("form_expired"));
    }
    let bytes = bytes.filter(|b| !b.is_empty());
    let Some(bytes) = bytes else {
        let e = bad_form(&word(&console, "choose_file"));
        return list_page(&state, &ctx, &console, e, StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    match plugins::upload(&ctx, &console.site.tenant, bytes).await {
        Ok(p) => see_other(&format!("{}rules/{}", console.home, p.id)),
        Err(e) => {
            let status = respond::status_and_message(&e).0;
            list_page(&state, &ctx, &console, problems(&e), status).await
        }
    }
}

/// One of this section's words (`admin_rules.{key}`).
pub(super) fn word(console: &Desk, key: &str) -> String {
    console.site.words()["admin_rules"][key]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// The rest of a refused body stays on the connection: close it.
fn closing(mut resp: Response) -> Response {
    resp.headers_mut().insert(
        header::CONNECTION,
        header::HeaderValue::from_static("close"),
    );
    resp
}

/// Why an upload's form could not be read.
enum Unread {
    TooLarge,
    Broken,
}

/// The form's `csrf_token` and `component` (read up to one byte over the
/// limit).
async fn read_upload(
    multipart: poem::Result<Multipart>,
) -> Result<(String, Option<Vec<u8>>), Unread> {
    let mut multipart = multipart.map_err(|_| Unread::Broken)?;
    let (mut token, mut bytes) = (String::new(), None);
    while let Some(field) = multipart.next_field().await.map_err(|_| Unread::Broken)? {
        match field.name() {
            Some("csrf_token") => token = field.text().await.unwrap_or_default(),
            Some("component") => {
                let mut read = Vec::new();
                field
                    .into_async_read()
                    .take(MAX_COMPONENT_BYTES as u64 + 1)
                    .read_to_end(&mut read)
                    .await
                    .map_err(|_| Unread::Broken)?;
                if read.len() > MAX_COMPONENT_BYTES {
                    return Err(Unread::TooLarge);
                }
                bytes = Some(read);
            }
            _ => {}
        }
    }
    Ok((token, bytes))
}

pub(super) fn see_other(to: &str) -> Response {
    Response::builder()
        .status(StatusCode::SEE_OTHER)
        .header(header::LOCATION, to)
        .finish()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use crate::web::templates::{environment, template_context, words_ref};
    use minsheng_domain::values::Locale;
    use serde_json::json;

    /// A rule asking for the citizen's contact fields has them marked as
    /// personal data on its page, in both languages.
    #[test]
    fn personal_fields_are_marked() {
        let env = environment();
        let needs: Vec<_> = ["title", "contact-phone"]
            .iter()
            .map(|f| json!({"field": f, "personal": super::personal(f)}))
            .collect();
        for (locale, marked) in [
            (
                Locale::En,
                "Citizen's phone <code>contact-phone</code> (personal data)",
            ),
            (
                Locale::ZhCn,
                "群众电话 <code>contact-phone</code> (个人信息)",
            ),
        ] {
            let context = json!({
                "t": words_ref(locale), "asset": "1", "admin_home": "/t/x/admin/",
                "city": {"title": "X", "base": "/t/x/", "primary": "#000", "accent": "#000"},
                "plugin": {"id": "1", "name": "r", "version": "1.0.0", "hook": "intake",
                           "summary": "", "state": "disabled", "failures": 0, "size_kib": 1},
                "needs": needs, "hash": "abcdef0123456789", "schema": "{}", "fields": null,
                "limits": {"fuel": 1, "memory_bytes": 1, "timeout_ms": 1, "output_bytes": 1, "log_bytes": 1},
                "place": 1, "chain_len": 1, "first": true, "last": true, "intake": true,
                "days": "30", "max_days": 366, "errors": [],
            });
            let html = env
                .get_template("admin_rule.html")
                .unwrap()
                .render(template_context(context))
                .unwrap();
            let html = html.replace("&#x27;", "'");
            assert!(html.contains(marked), "{html}");
            assert_eq!(html.matches("data-testid=\"personal\"").count(), 1);
        }
    }
}
