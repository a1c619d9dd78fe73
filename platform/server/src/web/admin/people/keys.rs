//! `{base}admin/keys`: the city's API keys. A new key's secret is shown on
//! the page that created it, and never again; a key can be revoked.

use super::super::console;
use super::{Fields, Outcome, catalogue, console_form, parse_id, see_other};
use crate::app::ServerState;
use crate::web::staff::{Desk, local};
use minsheng_app::access::Ctx;
use minsheng_app::model::ApiKeyInput;
use minsheng_app::services::accounts;
use minsheng_domain::Error;
use poem::web::{Data, Form, Path};
use poem::{Request, Response, Route, get, handler};
use serde_json::json;

pub fn mount(route: Route) -> Route {
    route.at("/t/:slug/admin/keys", get(keys).post(keys_submit))
}

#[handler]
pub async fn keys(
    state: Data<&ServerState>,
    ctx: Data<&Ctx>,
    req: &Request,
    Path(slug): Path<String>,
) -> Response {
    let console = console!(&state, &ctx, req, &slug);
    keys_page(
        &state,
        &ctx,
        &console,
        &Fields::default(),
        Outcome::Shown(None),
    )
    .await
}

async fn keys_page(
    state: &ServerState,
    ctx: &Ctx,
    console: &Desk,
    form: &Fields,
    outcome: Outcome,
) -> Response {
    let tenant = &console.site.tenant;
    let list = match accounts::list_api_keys(ctx, tenant).await {
        Ok(l) => l,
        Err(e) => return console.site.error(state, ctx, &e),
    };
    let rows: Vec<_> = list
        .iter()
        .map(|k| {
            json!({
                "id": k.id, "name": k.name, "prefix": k.prefix, "scopes": k.scopes,
                "created_at": local(tenant, k.created_at),
                "last_used_at": k.last_used_at.map(|at| local(tenant, at)),
                "revoked_at": k.revoked_at.map(|at| local(tenant, at)),
            })
        })
        .collect();
    let mut context = console.context(ctx, "keys");
    context.insert("keys".into(), json!(rows));
    context.insert("catalogue".into(), catalogue(&form.all("scopes")));
    context.insert("form".into(), form.kept());
    let status = outcome.into_context(&mut context);
    console.render(state, "admin_keys.html", context, status)
}

#[handler]
pub async fn keys_submit(
    state: Data<&ServerState>,
    ctx: Data<&Ctx>,
    req: &Request,
    Path(slug): Path<String>,
    Form(form): Form<Fields>,
) -> Response {
    let console = console_form!(&state, &ctx, req, &slug, form);
    let tenant = &console.site.tenant;
    let outcome = match form.one("op") {
        "create" => {
            let input = ApiKeyInput {
                name: form.one("name").to_owned(),
                scopes: Some(form.all("scopes")),
            };
            accounts::create_api_key(&ctx, tenant, input)
                .await
                .map(Some)
        }
        "revoke" => match parse_id("id", form.one("id")) {
            Ok(id) => accounts::revoke_api_key(&ctx, tenant, id)
                .await
                .map(|_| None),
            Err(e) => Err(e),
        },
        _ => Err(Error::invalid("op", "one of create, revoke")),
    };
    match outcome {
        Ok(Some(created)) => {
            let made = json!({"name": created.api_key.name, "key": created.key});
            let outcome = Outcome::Created(made);
            keys_page(&state, &ctx, &console, &Fields::default(), outcome).await
        }
        Ok(None) => see_other(&format!("{}keys", console.home)),
        Err(e) => keys_page(&state, &ctx, &console, &form, Outcome::failed(&e)).await,
    }
}
