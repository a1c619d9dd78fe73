//! `{base}admin/roles`: the city's roles, built in (shown as they are) and
//! custom ones made from the permission catalogue; `{base}admin/roles/{code}`
//! changes a custom role.

use super::super::console;
use super::{Fields, Outcome, catalogue, console_form, see_other};
use crate::app::ServerState;
use crate::web::staff::Desk;
use minsheng_app::access::Ctx;
use minsheng_app::model::{Role, RoleInput, RolePatch};
use minsheng_app::services::accounts;
use minsheng_domain::Error;
use poem::web::{Data, Form, Path};
use poem::{Request, Response, Route, get, handler};
use serde_json::json;

pub fn mount(route: Route) -> Route {
    route
        .at("/t/:slug/admin/roles", get(roles).post(roles_submit))
        .at(
            "/t/:slug/admin/roles/:code",
            get(role_view).post(role_submit),
        )
}

fn role_json(r: &Role) -> serde_json::Value {
    json!({
        "code": r.code, "name": r.name, "builtin": r.builtin,
        "permissions": r.permissions,
    })
}

#[handler]
pub async fn roles(
    state: Data<&ServerState>,
    ctx: Data<&Ctx>,
    req: &Request,
    Path(slug): Path<String>,
) -> Response {
    let console = console!(&state, &ctx, req, &slug);
    roles_page(
        &state,
        &ctx,
        &console,
        &Fields::default(),
        Outcome::Shown(None),
    )
    .await
}

async fn roles_page(
    state: &ServerState,
    ctx: &Ctx,
    console: &Desk,
    form: &Fields,
    outcome: Outcome,
) -> Response {
    let list = match accounts::list_roles(ctx, &console.site.tenant).await {
        Ok(l) => l,
        Err(e) => return console.site.error(state, ctx, &e),
    };
    let mut context = console.context(ctx, "roles");
    context.insert(
        "roles".into(),
        json!(list.iter().map(role_json).collect::<Vec<_>>()),
    );
    context.insert("catalogue".into(), catalogue(&form.all("permissions")));
    context.insert("form".into(), form.kept());
    let status = outcome.into_context(&mut context);
    console.render(state, "admin_roles.html", context, status)
}

#[handler]
pub async fn roles_submit(
    state: Data<&ServerState>,
    ctx: Data<&Ctx>,
    req: &Request,
    Path(slug): Path<String>,
    Form(form): Form<Fields>,
) -> Response {
    let console = console_form!(&state, &ctx, req, &slug, form);
    let input = RoleInput {
        code: form.one("code").trim().to_owned(),
        name: form.one("name").to_owned(),
        permissions: form.all("permissions"),
    };
    match accounts::create_role(&ctx, &console.site.tenant, input).await {
        Ok(r) => see_other(&format!("{}roles/{}", console.home, r.code)),
        Err(e) => roles_page(&state, &ctx, &console, &form, Outcome::failed(&e)).await,
    }
}

async fn find(ctx: &Ctx, console: &Desk, code: &str) -> Result<Role, Error> {
    accounts::list_roles(ctx, &console.site.tenant)
        .await?
        .into_iter()
        .find(|r| r.code == code)
        .ok_or_else(|| Error::not_found(format!("role {code:?}")))
}

#[handler]
pub async fn role_view(
    state: Data<&ServerState>,
    ctx: Data<&Ctx>,
    req: &Request,
    Path((slug, code)): Path<(String, String)>,
) -> Response {
    let console = console!(&state, &ctx, req, &slug);
    match find(&ctx, &console, &code).await {
        Ok(r) => {
            let (name, perms) = (r.name.clone(), r.permissions.clone());
            role_page(
                &state,
                &ctx,
                &console,
                &r,
                &name,
                &perms,
                Outcome::Shown(None),
            )
        }
        Err(e) => console.site.error(&state, &ctx, &e),
    }
}

fn role_page(
    state: &ServerState,
    ctx: &Ctx,
    console: &Desk,
    role: &Role,
    name: &str,
    permissions: &[String],
    outcome: Outcome,
) -> Response {
    let mut context = console.context(ctx, "roles");
    context.insert("role".into(), role_json(role));
    context.insert("name".into(), json!(name));
    context.insert("catalogue".into(), catalogue(permissions));
    let status = outcome.into_context(&mut context);
    console.render(state, "admin_role.html", context, status)
}

#[handler]
pub async fn role_submit(
    state: Data<&ServerState>,
    ctx: Data<&Ctx>,
    req: &Request,
    Path((slug, code)): Path<(String, String)>,
    Form(form): Form<Fields>,
) -> Response {
    let console = console_form!(&state, &ctx, req, &slug, form);
    let current = match find(&ctx, &console, &code).await {
        Ok(r) => r,
        Err(e) => return console.site.error(&state, &ctx, &e),
    };
    let patch = RolePatch {
        name: Some(form.one("name").to_owned()),
        permissions: Some(form.all("permissions")),
    };
    match accounts::update_role(&ctx, &console.site.tenant, &code, patch).await {
        Ok(_) => see_other(&format!("{}roles/{code}", console.home)),
        Err(e) => role_page(
            &state,
            &ctx,
            &console,
            &current,
            form.one("name"),
            &form.all("permissions"),
            Outcome::failed(&e),
        ),
    }
}
