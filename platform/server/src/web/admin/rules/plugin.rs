//! `{base}admin/rules/{id}`: a plugin's descriptor (what it reads, personal
//! fields marked), its configuration form generated from its schema, the
//! city's limits, and its actions: save the configuration, replay it,
//! enable, disable, move up or down the chain, remove.

use super::{console, problems, row, schema_form, see_other};
use crate::app::ServerState;
use crate::web::respond;
use crate::web::staff::{Desk, csrf_ok};
use minsheng_app::access::Ctx;
use minsheng_app::model::{PluginLimits, PluginUpdate, PluginView};
use minsheng_app::services::plugins;
use minsheng_app::services::plugins::replay::jobs;
use minsheng_domain::Error;
use poem::http::StatusCode;
use poem::web::{Data, Form, Path};
use poem::{Request, Response, handler};
use serde_json::{Value, json};
use uuid::Uuid;

/// What a form sent back, to show again with its errors.
struct Sent<'a> {
    /// The configuration form's fields, when it was that form.
    form: Option<&'a [(String, String)]>,
    errors: Vec<Value>,
    status: StatusCode,
}

#[handler]
pub async fn plugin_page(
    state: Data<&ServerState>,
    ctx: Data<&Ctx>,
    req: &Request,
    Path((slug, id)): Path<(String, String)>,
) -> Response {
    let console = console!(&state, &ctx, req, &slug);
    let Ok(id) = Uuid::parse_str(&id) else {
        return console.site.not_found(&state, &ctx);
    };
    page(&state, &ctx, &console, id, None).await
}

async fn page(
    state: &ServerState,
    ctx: &Ctx,
    console: &Desk,
    id: Uuid,
    sent: Option<Sent<'_>>,
) -> Response {
    let tenant = &console.site.tenant;
    let loaded = async {
        Ok::<_, Error>((
            plugins::get(ctx, tenant, id).await?,
            plugins::list(ctx, tenant).await?,
            plugins::limits(ctx, tenant).await?,
        ))
    };
    let (plugin, all, limits) = match loaded.await {
        Ok(l) => l,
        Err(e) => return console.site.error(state, ctx, &e),
    };
    let chain: Vec<&PluginView> = all.iter().filter(|p| p.hook == plugin.hook).collect();
    let place = chain.iter().position(|p| p.id == id).unwrap_or(0);
    let needs: Vec<Value> = plugin
        .needs
        .iter()
        .map(|n| json!({"field": n, "personal": super::personal(n)}))
        .collect();
    let form = sent.as_ref().and_then(|s| s.form);
    let fields = schema_form::fields(&plugin.config_schema, &plugin.config, form);
    let whole = match form {
        Some(f) => value(f, schema_form::WHOLE).to_owned(),
        None => serde_json::to_string_pretty(&plugin.config).unwrap_or_default(),
    };
    let days = form.map_or("30", |f| value(f, "days"));
    let mut context = console.context(ctx, "rules");
    context.insert("plugin".into(), row(&plugin));
    context.insert("needs".into(), json!(needs));
    context.insert("fail_closed".into(), json!(plugin.fail_closed));
    context.insert("wit_version".into(), json!(plugin.wit_version));
    context.insert("hash".into(), json!(plugin.hash));
    context.insert(
        "schema".into(),
        json!(serde_json::to_string_pretty(&plugin.config_schema).unwrap_or_default()),
    );
    context.insert("fields".into(), json!(fields));
    context.insert("config_json".into(), json!(whole));
    context.insert("days".into(), json!(days));
    context.insert("max_days".into(), json!(jobs::MAX_DAYS));
    let mut limits = json!(limits);
    if let Some(f) = form.filter(|f| value(f, "op") == "limits") {
        for key in [
            "fuel",
            "memory_bytes",
            "timeout_ms",
            "log_bytes",
            "output_bytes",
        ] {
            limits[key] = json!(value(f, key));
        }
    }
    context.insert("limits".into(), limits);
    context.insert("place".into(), json!(place + 1));
    context.insert("chain_len".into(), json!(chain.len()));
    context.insert("first".into(), json!(place == 0));
    context.insert("last".into(), json!(place + 1 == chain.len()));
    context.insert("intake".into(), json!(plugin.hook == "intake"));
    let status = sent.as_ref().map_or(StatusCode::OK, |s| s.status);
    context.insert(
        "errors".into(),
        json!(sent.map(|s| s.errors).unwrap_or_default()),
    );
    console.render(state, "admin_rule.html", context, status)
}

fn value<'a>(form: &'a [(String, String)], name: &str) -> &'a str {
    form.iter()
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .next_back()
        .unwrap_or("")
}

/// `POST {base}admin/rules/{id}`: `op` is `config`, `replay`, `enable`,
/// `disable`, `up`, `down` or `remove`.
#[handler]
pub async fn act(
    state: Data<&ServerState>,
    ctx: Data<&Ctx>,
    req: &Request,
    Path((slug, id)): Path<(String, String)>,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let console = console!(&state, &ctx, req, &slug);
    if !csrf_ok(&ctx, value(&form, "csrf_token")) {
        return respond::refused(&console.site.word("form_expired"));
    }
    let Ok(id) = Uuid::parse_str(&id) else {
        return console.site.not_found(&state, &ctx);
    };
    let tenant = &console.site.tenant;
    let here = format!("{}rules/{id}", console.home);
    let list = format!("{}rules", console.home);
    let back = if value(&form, "back") == "list" {
        list.clone()
    } else {
        here.clone()
    };
    let update = |enabled: Option<bool>, config: Option<Value>| PluginUpdate {
        enabled,
        position: None,
        config,
    };
    let op = value(&form, "op");
    let result: Result<String, Error> = match op {
        "config" => match read_config(&ctx, &console, id, &form).await {
            Ok(config) => plugins::update(&ctx, tenant, id, update(None, Some(config)))
                .await
                .map(|_| here.clone()),
            Err(e) => Err(e),
        },
        "replay" => match read_config(&ctx, &console, id, &form).await {
            Ok(config) => match value(&form, "days").trim().parse::<u32>() {
                Ok(days) => jobs::start(&ctx, tenant, id, config, days)
                    .await
                    .map(|job| format!("{}rules/replays/{job}", console.home)),
                Err(_) => Err(Error::invalid(
                    "days",
                    format!("a whole number of days, 1 to {}", jobs::MAX_DAYS),
                )),
            },
            Err(e) => Err(e),
        },
        "enable" => plugins::update(&ctx, tenant, id, update(Some(true), None))
            .await
            .map(|_| back.clone()),
        "disable" => plugins::update(&ctx, tenant, id, update(Some(false), None))
            .await
            .map(|_| back.clone()),
        op @ ("up" | "down") => plugins::reorder(&ctx, tenant, id, op == "up")
            .await
            .map(|_| back.clone()),
        "remove" => plugins::remove(&ctx, tenant, id)
            .await
            .map(|()| list.clone()),
        "limits" => match read_limits(&form) {
            Ok(limits) => plugins::set_limits(&ctx, tenant, limits)
                .await
                .map(|_| here.clone()),
            Err(e) => Err(e),
        },
        _ => Err(Error::invalid("op", "not an action of this page")),
    };
    match result {
        Ok(to) => see_other(&to),
        Err(e) => {
            let status = respond::status_and_message(&e).0;
            if status == StatusCode::NOT_FOUND {
                return console.site.error(&state, &ctx, &e);
            }
            let sent = Sent {
                form: matches!(op, "config" | "replay" | "limits").then_some(form.as_slice()),
                errors: problems(&e),
                status,
            };
            page(&state, &ctx, &console, id, Some(sent)).await
        }
    }
}

/// The city's limits as the form sent them, each a whole number.
fn read_limits(form: &[(String, String)]) -> Result<PluginLimits, Error> {
    let mut p = minsheng_domain::error::Problems::new();
    let mut number = |field: &str| {
        value(form, field)
            .trim()
            .parse::<u64>()
            .unwrap_or_else(|_| {
                p.push(field, "a whole number");
                0
            })
    };
    let limits = PluginLimits {
        fuel: number("fuel"),
        memory_bytes: number("memory_bytes"),
        timeout_ms: number("timeout_ms"),
        log_bytes: number("log_bytes"),
        output_bytes: number("output_bytes"),
    };
    p.finish()?;
    Ok(limits)
}

/// The configuration the form sent, read by the plugin's schema.
async fn read_config(
    ctx: &Ctx,
    console: &Desk,
    id: Uuid,
    form: &[(String, String)],
) -> Result<Value, Error> {
    let plugin = plugins::get(ctx, &console.site.tenant, id).await?;
    schema_form::read(&plugin.config_schema, form)
}
