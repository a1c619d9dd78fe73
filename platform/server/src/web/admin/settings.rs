//! `{base}admin/settings`: the city's name, colours, logo, locale,
//! time zone, host names, mail texts and publication settings. Each form
//! saves through the same services as `PATCH /api/v1/tenants/{slug}`.

use super::console;
use crate::app::ServerState;
use crate::web::colors;
use crate::web::staff::{Desk, csrf_ok};
use crate::web::{respond, upload};
use minsheng_app::access::Ctx;
use minsheng_app::model::{Branding, Publication, Tenant, TenantPatch};
use minsheng_app::services::{logos, tenants};
use minsheng_domain::Error;
use poem::http::{StatusCode, header};
use poem::web::{Data, Form, Multipart, Path};
use poem::{IntoResponse, Request, Response, Route, get, handler, post};
use serde_json::{Value, json};
use std::collections::BTreeMap;

pub fn mount(route: Route) -> Route {
    route
        .at("/t/:slug/admin", get(home))
        .at("/t/:slug/admin/", get(home))
        .at("/t/:slug/admin/settings", get(page).post(submit))
        .at("/t/:slug/admin/settings/logo", post(logo_submit))
}

/// The console opens on the city's settings.
#[handler]
pub async fn home(
    state: Data<&ServerState>,
    ctx: Data<&Ctx>,
    req: &Request,
    Path(slug): Path<String>,
) -> Response {
    let console = console!(&state, &ctx, req, &slug);
    see_other(&format!("{}settings", console.home))
}

#[handler]
pub async fn page(
    state: Data<&ServerState>,
    ctx: Data<&Ctx>,
    req: &Request,
    Path(slug): Path<String>,
) -> Response {
    let console = console!(&state, &ctx, req, &slug);
    let saved = req.uri().query().is_some_and(|q| q.contains("saved=1"));
    render(&state, &ctx, &console, None, Vec::new(), saved).await
}

/// `POST {base}admin/settings`: `op` is `settings` (the city and its
/// publication), `mail` (the city's own mail texts) or `logo_remove`.
#[handler]
pub async fn submit(
    state: Data<&ServerState>,
    ctx: Data<&Ctx>,
    req: &Request,
    Path(slug): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let console = console!(&state, &ctx, req, &slug);
    let first = |name: &str| {
        form.iter()
            .find(|(n, _)| n == name)
            .map_or("", |(_, v)| v.as_str())
    };
    if !csrf_ok(&ctx, first("csrf_token")) {
        return respond::refused(&console.site.word("form_expired"));
    }
    let slug = console.site.tenant.slug.clone();
    let result = match first("op") {
        "settings" => match settings_patch(&console, &form) {
            Ok(patch) => tenants::update_by(&ctx, &slug, patch).await.map(|_| ()),
            Err(e) => Err(e),
        },
        "mail" => {
            let mail: BTreeMap<String, String> = tenants::MAIL_KEYS
                .iter()
                .map(|key| (*key, first(&format!("mail.{key}")).trim()))
                .filter(|(_, text)| !text.is_empty())
                .map(|(key, text)| (key.to_owned(), text.to_owned()))
                .collect();
            let patch = TenantPatch {
                mail: Some(mail),
                ..TenantPatch::default()
            };
            tenants::update_by(&ctx, &slug, patch).await.map(|_| ())
        }
        "logo_remove" => logos::remove_by(&ctx, &slug).await.map(|_| ()),
        _ => Err(Error::invalid("op", "not a form of this page")),
    };
    match result {
        Ok(()) => see_other(&format!("{}settings?saved=1", console.home)),
        Err(e) => {
            let (status, _, _) = respond::status_and_message(&e);
            let posted = (first("op") == "settings").then_some(form.as_slice());
            render(&state, &ctx, &console, posted, problems(&e), false)
                .await
                .with_status(status)
                .into_response()
        }
    }
}

/// `POST {base}admin/settings/logo` (`multipart/form-data`): a new logo.
#[handler]
pub async fn logo_submit(
    state: Data<&ServerState>,
    ctx: Data<&Ctx>,
    req: &Request,
    Path(slug): Path<String>,
    multipart: Multipart,
) -> Response {
    let console = console!(&state, &ctx, req, &slug);
    let result = match upload::read(multipart, "logo", logos::MAX_BYTES).await {
        Ok(form) if !csrf_ok(&ctx, form.field("csrf_token")) => {
            return respond::refused(&console.site.word("form_expired"));
        }
        Ok(form) => logos::upload_by(&ctx, &console.site.tenant.slug, &form.file)
            .await
            .map(|_| ()),
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => see_other(&format!("{}settings?saved=1#logo", console.home)),
        Err(e) => {
            let (status, _, _) = respond::status_and_message(&e);
            render(&state, &ctx, &console, None, problems(&e), false)
                .await
                .with_status(status)
                .into_response()
        }
    }
}

fn see_other(to: &str) -> Response {
    Response::builder()
        .status(StatusCode::SEE_OTHER)
        .header(header::LOCATION, to)
        .finish()
}

/// What to fix, field by field.
fn problems(error: &Error) -> Vec<Value> {
    match error {
        Error::Invalid(fields) => fields
            .iter()
            .map(|f| json!({"field": f.field, "id": field_id(&f.field), "message": f.message}))
            .collect(),
        other => {
            let (_, _, message) = respond::status_and_message(other);
            vec![json!({"field": "", "id": "", "message": message})]
        }
    }
}

/// The input a field's problem is about (`weekend[2]` is `weekend`'s).
fn field_id(field: &str) -> String {
    field.split('[').next().unwrap_or(field).to_owned()
}

/// The change the settings form asks for. The logo stays as it is.
fn settings_patch(console: &Desk, form: &[(String, String)]) -> Result<TenantPatch, Error> {
    let first = |name: &str| {
        form.iter()
            .find(|(n, _)| n == name)
            .map_or("", |(_, v)| v.trim())
    };
    let optional = |name: &str| Some(first(name).to_owned()).filter(|v| !v.is_empty());
    let checked = |name: &str| !first(name).is_empty();
    let days = first("publication.close_unrated_after_days");
    let close_unrated_after_days = days.parse().map_err(|_| {
        Error::invalid(
            "publication.close_unrated_after_days",
            "a whole number of working days, 1 to 60",
        )
    })?;
    let words = first("publication.words")
        .split(|c: char| c.is_whitespace() || ",，、;；".contains(c))
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect();
    let weekend = form
        .iter()
        .filter(|(n, _)| n == "weekend")
        .map(|(_, v)| v.clone())
        .collect();
    Ok(TenantPatch {
        name: Some(first("name").to_owned()),
        locale: Some(first("locale").to_owned()),
        time_zone: Some(first("time_zone").to_owned()),
        weekend: Some(weekend),
        branding: Some(Branding {
            site_title: optional("branding.site_title"),
            primary_color: first("branding.primary_color").to_owned(),
            accent_color: first("branding.accent_color").to_owned(),
            logo_url: console.site.tenant.branding.logo_url.clone(),
            footer: optional("branding.footer"),
            contact: optional("branding.contact"),
        }),
        publication: Some(Publication {
            redact_personal_data: checked("publication.redact_personal_data"),
            review_before_publication: checked("publication.review_before_publication"),
            close_unrated_after_days,
            demo: checked("publication.demo"),
            words,
        }),
        ..TenantPatch::default()
    })
}

/// The form's values: the city's, or what was posted when it is shown
/// again with what to fix.
fn values(tenant: &Tenant, posted: Option<&[(String, String)]>) -> Value {
    if let Some(form) = posted {
        let mut map = serde_json::Map::new();
        let mut weekend = Vec::new();
        for (name, value) in form {
            if name == "weekend" {
                weekend.push(json!(value));
            } else {
                map.entry(name.clone()).or_insert_with(|| json!(value));
            }
        }
        map.insert("weekend".into(), Value::Array(weekend));
        return Value::Object(map);
    }
    let (b, p) = (&tenant.branding, &tenant.publication);
    json!({
        "name": tenant.name,
        "locale": tenant.locale,
        "time_zone": tenant.time_zone,
        "weekend": tenant.weekend,
        "branding.site_title": b.site_title,
        "branding.primary_color": b.primary_color,
        "branding.accent_color": b.accent_color,
        "branding.footer": b.footer,
        "branding.contact": b.contact,
        "publication.redact_personal_data": p.redact_personal_data.then_some("on"),
        "publication.review_before_publication": p.review_before_publication.then_some("on"),
        "publication.close_unrated_after_days": p.close_unrated_after_days.to_string(),
        "publication.demo": p.demo.then_some("on"),
        "publication.words": p.words.join(" "),
    })
}

/// How a brand colour reads on white, and what the site shows instead
/// when it is too light for text.
fn colour(value: &str, fallback: &str) -> Value {
    let shown = colors::ink(value, fallback);
    json!({
        "value": value,
        "shown": shown,
        "contrast": colors::contrast(&shown, "#ffffff").map(|c| format!("{c:.1}")),
        "darkened": !shown.eq_ignore_ascii_case(value),
    })
}

async fn render(
    state: &ServerState,
    ctx: &Ctx,
    console: &Desk,
    posted: Option<&[(String, String)]>,
    errors: Vec<Value>,
    saved: bool,
) -> Response {
    let slug = &console.site.tenant.slug;
    let tenant = match tenants::get_by(ctx, slug).await {
        Ok(t) => t,
        Err(e) => return console.site.error(state, ctx, &e),
    };
    let own_mail = &console.site.tenant.row.mail_templates;
    let defaults = &console.site.words()["mail"];
    let mail: Vec<Value> = tenants::MAIL_KEYS
        .iter()
        .map(|key| {
            json!({
                "key": key,
                "value": own_mail.as_ref().and_then(|m| m[*key].as_str()).unwrap_or_default(),
                "default": defaults[*key].as_str().unwrap_or_default(),
                "body": key.ends_with("_body"),
            })
        })
        .collect();
    let values = values(&tenant, posted);
    let mut context = console.context(ctx, "settings");
    context.insert(
        "colours".into(),
        json!({
            "primary": colour(values["branding.primary_color"].as_str().unwrap_or_default(), "#0b5394"),
            "accent": colour(values["branding.accent_color"].as_str().unwrap_or_default(), "#8a4b00"),
        }),
    );
    context.insert("values".into(), values);
    context.insert("tenant".into(), json!(tenant));
    context.insert("mail".into(), json!(mail));
    let by_field: serde_json::Map<String, Value> = errors
        .iter()
        .filter_map(|e| Some((e["id"].as_str()?.to_owned(), e["message"].clone())))
        .collect();
    context.insert("errors".into(), Value::Object(by_field));
    context.insert("problems".into(), json!(errors));
    context.insert(
        "weekdays".into(),
        json!(["mon", "tue", "wed", "thu", "fri", "sat", "sun"]),
    );
    context.insert("logo_max_kib".into(), json!(logos::MAX_BYTES / 1024));
    context.insert("logo_max_side".into(), json!(logos::MAX_SIDE));
    context.insert("saved".into(), json!(saved));
    console.render(state, "admin_settings.html", context, StatusCode::OK)
}
