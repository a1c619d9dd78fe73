//! `{base}admin/people`: the city's staff accounts, and
//! `{base}admin/people/{id}`: one person's departments, roles, password,
//! sign-in lock and whether the account is active.

use super::super::console;
use super::{Fields, Outcome, console_form, see_other};
use crate::app::ServerState;
use crate::web::staff::{Desk, local};
use minsheng_app::access::Ctx;
use minsheng_app::model::{User, UserInput, UserPatch};
use minsheng_app::services::{accounts, directory};
use minsheng_domain::Error;
use poem::web::{Data, Form, Path, Query};
use poem::{Request, Response, Route, get, handler};
use serde::Deserialize;
use serde_json::{Value, json};

pub fn mount(route: Route) -> Route {
    route
        .at("/t/:slug/admin/people", get(people).post(people_submit))
        .at("/t/:slug/admin/people/:id", get(person).post(person_submit))
}

/// The city's departments and roles as choices, each checked when
/// `departments` / `roles` has it.
async fn choices(
    ctx: &Ctx,
    console: &Desk,
    departments: &[String],
    roles: &[String],
) -> Result<(Value, Value), Error> {
    let tenant = &console.site.tenant;
    let all_departments = directory::departments(ctx, tenant, false).await?;
    let all_roles = accounts::list_roles(ctx, tenant).await?;
    Ok((
        json!(
            all_departments
                .iter()
                .map(|d| json!({"code": d.code, "name": d.name, "checked": departments.contains(&d.code)}))
                .collect::<Vec<_>>()
        ),
        json!(
            all_roles
                .iter()
                .map(|r| json!({"code": r.code, "name": r.name, "checked": roles.contains(&r.code)}))
                .collect::<Vec<_>>()
        ),
    ))
}

#[handler]
pub async fn people(
    state: Data<&ServerState>,
    ctx: Data<&Ctx>,
    req: &Request,
    Path(slug): Path<String>,
) -> Response {
    let console = console!(&state, &ctx, req, &slug);
    people_page(
        &state,
        &ctx,
        &console,
        &Fields::default(),
        Outcome::Shown(None),
    )
    .await
}

async fn people_page(
    state: &ServerState,
    ctx: &Ctx,
    console: &Desk,
    form: &Fields,
    outcome: Outcome,
) -> Response {
    let tenant = &console.site.tenant;
    let loaded = async {
        let users = accounts::list_users(ctx, tenant).await?;
        let locks = accounts::sign_in_locks(ctx, tenant, &users).await?;
        let choices = choices(ctx, console, &form.all("departments"), &form.all("roles")).await?;
        Ok::<_, Error>((users, locks, choices))
    };
    let (users, locks, (departments, roles)) = match loaded.await {
        Ok(l) => l,
        Err(e) => return console.site.error(state, ctx, &e),
    };
    let rows: Vec<_> = users
        .iter()
        .filter(|u| u.kind == "staff")
        .map(|u| {
            json!({
                "id": u.id, "username": u.username, "display_name": u.display_name,
                "departments": u.departments, "roles": u.roles, "active": u.active,
                "locked_until": locks.get(&u.id).map(|at| local(tenant, *at)),
            })
        })
        .collect();
    let mut context = console.context(ctx, "people");
    context.insert("users".into(), json!(rows));
    context.insert("departments".into(), departments);
    context.insert("roles".into(), roles);
    context.insert("form".into(), form.kept());
    let status = outcome.into_context(&mut context);
    console.render(state, "admin_people.html", context, status)
}

#[handler]
pub async fn people_submit(
    state: Data<&ServerState>,
    ctx: Data<&Ctx>,
    req: &Request,
    Path(slug): Path<String>,
    Form(form): Form<Fields>,
) -> Response {
    let console = console_form!(&state, &ctx, req, &slug, form);
    let input = UserInput {
        username: form.one("username").trim().to_owned(),
        display_name: form.one("display_name").to_owned(),
        email: Some(form.one("email").to_owned()).filter(|e| !e.trim().is_empty()),
        password: form.one("password").to_owned(),
        departments: Some(form.all("departments")),
        roles: Some(form.all("roles")),
    };
    match accounts::create_user(&ctx, &console.site.tenant, input).await {
        Ok(user) => see_other(&format!("{}people/{}?done=created", console.home, user.id)),
        Err(e) => people_page(&state, &ctx, &console, &form, Outcome::failed(&e)).await,
    }
}

#[derive(Default, Deserialize)]
pub struct Done {
    done: Option<String>,
}

#[handler]
pub async fn person(
    state: Data<&ServerState>,
    ctx: Data<&Ctx>,
    req: &Request,
    Path((slug, id)): Path<(String, String)>,
    Query(done): Query<Done>,
) -> Response {
    let console = console!(&state, &ctx, req, &slug);
    let user = match load(&ctx, &console, &id).await {
        Ok(u) => u,
        Err(e) => return console.site.error(&state, &ctx, &e),
    };
    let done = done.done.filter(|d| {
        [
            "created",
            "access",
            "password",
            "deactivate",
            "reactivate",
            "unlock",
        ]
        .contains(&d.as_str())
    });
    person_page(&state, &ctx, &console, &user, Outcome::Shown(done)).await
}

async fn load(ctx: &Ctx, console: &Desk, id: &str) -> Result<User, Error> {
    let id = uuid::Uuid::parse_str(id).map_err(|_| Error::not_found(format!("user {id}")))?;
    accounts::get_user(ctx, &console.site.tenant, id).await
}

async fn person_page(
    state: &ServerState,
    ctx: &Ctx,
    console: &Desk,
    user: &User,
    outcome: Outcome,
) -> Response {
    let tenant = &console.site.tenant;
    let loaded = async {
        let locks = accounts::sign_in_locks(ctx, tenant, std::slice::from_ref(user)).await?;
        let choices = choices(ctx, console, &user.departments, &user.roles).await?;
        Ok::<_, Error>((locks, choices))
    };
    let (locks, (departments, roles)) = match loaded.await {
        Ok(l) => l,
        Err(e) => return console.site.error(state, ctx, &e),
    };
    let mut context = console.context(ctx, "people");
    context.insert(
        "user".into(),
        json!({
            "id": user.id, "username": user.username, "display_name": user.display_name,
            "email": user.email, "active": user.active,
            "created_at": local(tenant, user.created_at),
            "locked_until": locks.get(&user.id).map(|at| local(tenant, *at)),
        }),
    );
    context.insert("departments".into(), departments);
    context.insert("roles".into(), roles);
    let status = outcome.into_context(&mut context);
    console.render(state, "admin_person.html", context, status)
}

#[handler]
pub async fn person_submit(
    state: Data<&ServerState>,
    ctx: Data<&Ctx>,
    req: &Request,
    Path((slug, id)): Path<(String, String)>,
    Form(form): Form<Fields>,
) -> Response {
    let console = console_form!(&state, &ctx, req, &slug, form);
    let user = match load(&ctx, &console, &id).await {
        Ok(u) => u,
        Err(e) => return console.site.error(&state, &ctx, &e),
    };
    let tenant = &console.site.tenant;
    let op = form.one("op");
    let patch = match op {
        "access" => Some(UserPatch {
            departments: Some(form.all("departments")),
            roles: Some(form.all("roles")),
            ..UserPatch::default()
        }),
        "password" => Some(UserPatch {
            password: Some(form.one("password").to_owned()),
            ..UserPatch::default()
        }),
        "deactivate" | "reactivate" => Some(UserPatch {
            active: Some(op == "reactivate"),
            ..UserPatch::default()
        }),
        _ => None,
    };
    let result = match (op, patch) {
        (_, Some(patch)) => accounts::update_user(&ctx, tenant, user.id, patch)
            .await
            .map(|_| ()),
        ("unlock", None) => accounts::unlock_user(&ctx, tenant, user.id).await,
        _ => Err(Error::invalid(
            "op",
            "one of access, password, deactivate, reactivate, unlock",
        )),
    };
    match result {
        Ok(()) => see_other(&format!("{}people/{}?done={op}", console.home, user.id)),
        Err(e) => person_page(&state, &ctx, &console, &user, Outcome::failed(&e)).await,
    }
}
