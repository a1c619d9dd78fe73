//! Accounts, roles, API keys, sign-in and the audit log. Every change to
//! roles or grants bumps the policy version and reloads the local policy;
//! other replicas follow within a second.

use super::DbResultExt;
use crate::access::principal::Principal;
use crate::access::{Ctx, password, throttle, tokens};
use crate::model::{
    ApiKey, ApiKeyCreated, ApiKeyInput, AuditEvent, Me, Permission, Role, RoleInput, RolePatch,
    User, UserInput, UserPatch,
};
use crate::services::tenants::{self, TenantRecord};
use chrono::Utc;
use minsheng_domain::Error;
use minsheng_domain::access::{BUILTIN_ROLES, CATALOGUE, builtin_role, is_permission};
use minsheng_domain::error::Problems;
use minsheng_domain::ids::{ApiKeyId, RoleId, TenantId, UserId};
use minsheng_domain::values::{Code, Locale, parse_email, parse_text};
use minsheng_store::entity::{api_key, role, session, user};
use minsheng_store::queries::access as q;
use minsheng_store::queries::directory;
use minsheng_store::{ConnectionTrait, DatabaseTransaction, Scope, Store};
use sea_orm::ActiveValue::Set;
use std::collections::HashMap;
use uuid::Uuid;

/// Give a city the built-in roles it lacks (new cities, and cities created
/// before roles existed). Returns whether anything was added.
pub async fn ensure_builtin_roles(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    locale: Locale,
) -> Result<bool, Error> {
    let mut added = false;
    for b in BUILTIN_ROLES {
        if q::role_by_code(db, tenant.into_uuid(), b.code)
            .await
            .or_internal()?
            .is_some()
        {
            continue;
        }
        let now = Utc::now();
        let name = match locale {
            Locale::ZhCn => b.name_zh,
            Locale::En => b.name_en,
        };
        q::insert_role(
            db,
            role::ActiveModel {
                id: Set(RoleId::new().into_uuid()),
                tenant_id: Set(tenant.into_uuid()),
                code: Set(b.code.to_owned()),
                name: Set(name.to_owned()),
                builtin: Set(true),
                permissions: Set(serde_json::json!(b.permissions)),
                created_at: Set(now),
                updated_at: Set(now),
            },
        )
        .await
        .or_internal()?;
        added = true;
    }
    if added {
        q::bump_policy_version(db).await.or_internal()?;
    }
    Ok(added)
}

/// Every city gets its built-in roles; run at start.
pub async fn ensure_all_builtin_roles(store: &Store) -> Result<(), Error> {
    for t in minsheng_store::queries::tenants::list(store.db())
        .await
        .or_internal()?
    {
        let record = TenantRecord::from_row(t)?;
        let tx = store.begin(Scope::Platform).await.or_internal()?;
        ensure_builtin_roles(&tx, record.id, record.locale).await?;
        tx.commit().await.or_internal()?;
    }
    Ok(())
}

fn check_username(name: &str) -> Result<String, String> {
    let ok = (3..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c));
    if ok {
        Ok(name.to_owned())
    } else {
        Err(format!(
            "{name:?} is not a user name: use 3 to 64 of a-z, 0-9, '.', '_' and '-'"
        ))
    }
}

// ---- sign-in ---------------------------------------------------------------

/// A new session: the cookie token (shown once) and its CSRF token.
pub struct NewSession {
    pub token: String,
    pub me: Me,
}

pub async fn login(
    ctx: &Ctx,
    tenant_slug: Option<&str>,
    username: &str,
    password_given: &str,
) -> Result<NewSession, Error> {
    let state = &ctx.app;
    let db = state.store.db();
    let now = Utc::now();
    let tenant = match tenant_slug {
        Some(slug) => Some(tenants::find(db, slug).await?),
        None => None,
    };
    state
        .limits
        .take(&format!("login:{}", tenant_slug.unwrap_or("-")), ctx.ip)?;
    let account_key = throttle::account_key(tenant_slug, username);
    let address_key = throttle::address_key(ctx.ip);
    throttle::check(db, &[account_key.clone(), address_key.clone()], now).await?;

    let tenant_id = tenant.as_ref().map(|t| t.id);
    let tx = match tenant_id {
        Some(t) => ctx.tx(t).await?,
        None => ctx.platform_tx().await?,
    };
    let user = q::user_by_username(&tx, tenant_id.map(TenantId::into_uuid), username)
        .await
        .or_internal()?;
    let stored = user
        .as_ref()
        .map_or(password::dummy_hash(), |u| u.password_hash.as_str());
    let verified = password::verify(password_given, stored);
    let user = match user {
        Some(user) if verified && user.active => user,
        _ => {
            drop(tx);
            throttle::record_failure(db, &account_key, throttle::FREE_FAILURES_PER_ACCOUNT, now)
                .await?;
            throttle::record_failure(db, &address_key, throttle::FREE_FAILURES_PER_ADDRESS, now)
                .await?;
            ctx.audit(
                tenant_id,
                "login_failure",
                &format!("user:{username}"),
                "denied",
            )
            .await;
            return Err(Error::Unauthenticated(
                "the user name or password is wrong".into(),
            ));
        }
    };

    let token = tokens::random_token();
    let csrf = tokens::random_token();
    q::insert_session(
        &tx,
        session::ActiveModel {
            id: Set(tokens::sha256_hex(&token)),
            user_id: Set(user.id),
            tenant_id: Set(user.tenant_id),
            csrf_token: Set(csrf.clone()),
            created_at: Set(now),
            last_seen_at: Set(now),
            expires_at: Set(
                now + chrono::Duration::seconds(state.config.session_max_age_secs as i64)
            ),
        },
    )
    .await
    .or_internal()?;
    tx.commit().await.or_internal()?;
    let principal = crate::access::ctx::principal_of(&state.policy, &user).await?;
    // After the commit: on SQLite a write from another connection while this
    // transaction reads would make its own write fail.
    throttle::clear(db, &account_key).await?;
    throttle::clear(db, &address_key).await?;
    let signed_in = Ctx {
        principal,
        ..ctx.clone()
    };
    signed_in
        .audit(
            tenant_id,
            "login_success",
            &format!("user:{username}"),
            "ok",
        )
        .await;
    let mut me = me(&signed_in, tenant.as_ref()).await;
    me.csrf_token = Some(csrf);
    Ok(NewSession { token, me })
}

pub async fn logout(ctx: &Ctx) -> Result<(), Error> {
    if let Some(id) = &ctx.session_id {
        let tx = ctx.platform_tx().await?;
        q::delete_session(&tx, id).await.or_internal()?;
        tx.commit().await.or_internal()?;
    }
    Ok(())
}

/// End every session of the signed-in person.
pub async fn logout_everywhere(ctx: &Ctx) -> Result<u64, Error> {
    let user = match &ctx.principal {
        Principal::Operator { user, .. }
        | Principal::Staff { user, .. }
        | Principal::Citizen { user, .. } => *user,
        _ => return Err(Error::Unauthenticated("sign in first".into())),
    };
    let tx = ctx.platform_tx().await?;
    let n = q::delete_sessions_of(&tx, user.into_uuid())
        .await
        .or_internal()?;
    tx.commit().await.or_internal()?;
    ctx.audit(
        ctx.principal.tenant(),
        "logout_everywhere",
        &ctx.principal.label(),
        "ok",
    )
    .await;
    Ok(n)
}

/// Who is signed in, with their permissions in their city.
pub async fn me(ctx: &Ctx, tenant: Option<&TenantRecord>) -> Me {
    let (kind, name) = match &ctx.principal {
        Principal::Anonymous => ("anonymous", String::new()),
        Principal::Operator { username, .. } => ("operator", username.clone()),
        Principal::Staff { username, .. } => ("staff", username.clone()),
        Principal::Citizen { username, .. } => ("citizen", username.clone()),
        Principal::ApiClient { name, .. } => ("api_client", name.clone()),
    };
    let mut permissions = Vec::new();
    match (&ctx.principal, tenant) {
        (Principal::Operator { .. }, _) => {
            permissions = CATALOGUE.iter().map(|(p, _)| (*p).to_owned()).collect()
        }
        (
            Principal::Staff {
                user, tenant: t, ..
            },
            _,
        ) => {
            if let Err(e) = ctx.app.policy.refresh_if_changed().await {
                tracing::warn!(error = %e, "cannot refresh the authorization policy");
            }
            for (p, _) in CATALOGUE {
                if ctx.app.policy.allows(*user, *t, p).await {
                    permissions.push((*p).to_owned());
                }
            }
        }
        (Principal::ApiClient { scopes, .. }, _) => permissions.clone_from(scopes),
        _ => {}
    }
    let tenant_slug = match ctx.principal.tenant() {
        Some(t) => match tenant {
            Some(r) if r.id == t => Some(r.slug.clone()),
            _ => minsheng_store::queries::tenants::by_id(ctx.app.store.db(), t.into_uuid())
                .await
                .ok()
                .flatten()
                .map(|r| r.slug),
        },
        None => None,
    };
    Me {
        kind: kind.to_owned(),
        name,
        tenant: tenant_slug,
        permissions,
        csrf_token: ctx.session_csrf.clone(),
    }
}

// ---- users ----------------------------------------------------------------

async fn department_ids(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    codes: &[String],
    p: &mut Problems,
) -> Result<Vec<Uuid>, Error> {
    let mut ids = Vec::new();
    for (i, code) in codes.iter().enumerate() {
        match directory::by_code::<minsheng_store::entity::department::Entity>(
            db,
            tenant.into_uuid(),
            code,
        )
        .await
        .or_internal()?
        {
            Some(d) => ids.push(d.id),
            None => p.push(
                format!("departments[{i}]"),
                format!("no department {code:?} in this city"),
            ),
        }
    }
    Ok(ids)
}

async fn check_roles(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    codes: &[String],
    p: &mut Problems,
) -> Result<(), Error> {
    for (i, code) in codes.iter().enumerate() {
        if q::role_by_code(db, tenant.into_uuid(), code)
            .await
            .or_internal()?
            .is_none()
        {
            p.push(
                format!("roles[{i}]"),
                format!("no role {code:?} in this city"),
            );
        }
    }
    Ok(())
}

async fn user_to_api(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    row: user::Model,
) -> Result<User, Error> {
    let codes: HashMap<Uuid, String> =
        directory::list::<minsheng_store::entity::department::Entity>(db, tenant.into_uuid(), true)
            .await
            .or_internal()?
            .into_iter()
            .map(|d| (d.id, d.code))
            .collect();
    let departments = q::departments_of(db, tenant.into_uuid(), row.id)
        .await
        .or_internal()?
        .iter()
        .filter_map(|d| codes.get(d).cloned())
        .collect();
    let roles = q::user_roles(db, Some(tenant.into_uuid()))
        .await
        .or_internal()?
        .into_iter()
        .filter(|g| g.user_id == row.id)
        .map(|g| g.role_code)
        .collect();
    Ok(User {
        id: row.id,
        username: row.username,
        display_name: row.display_name,
        email: row.email,
        kind: row.kind,
        departments,
        roles,
        active: row.active,
        created_at: row.created_at,
    })
}

/// Whether a department-scoped viewer may see `user` (shares a department).
async fn visible_to(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    scope: &Option<Vec<minsheng_domain::ids::DepartmentId>>,
    user: Uuid,
) -> Result<bool, Error> {
    let Some(scope) = scope else { return Ok(true) };
    let theirs = q::departments_of(db, tenant.into_uuid(), user)
        .await
        .or_internal()?;
    Ok(theirs
        .iter()
        .any(|d| scope.iter().any(|s| s.into_uuid() == *d)))
}

pub async fn list_users(ctx: &Ctx, tenant: &TenantRecord) -> Result<Vec<User>, Error> {
    ctx.authorize(tenant, "user:read").await?;
    let scope = ctx.department_scope(tenant, "user:read").await;
    let tx = ctx.read_tx(tenant.id).await?;
    let db = &tx;
    let mut out = Vec::new();
    for row in q::users(db, tenant.id.into_uuid()).await.or_internal()? {
        if visible_to(db, tenant.id, &scope, row.id).await? {
            out.push(user_to_api(db, tenant.id, row).await?);
        }
    }
    Ok(out)
}

pub async fn get_user(ctx: &Ctx, tenant: &TenantRecord, id: Uuid) -> Result<User, Error> {
    ctx.authorize(tenant, "user:read").await?;
    let scope = ctx.department_scope(tenant, "user:read").await;
    let tx = ctx.read_tx(tenant.id).await?;
    let db = &tx;
    let not_found = || Error::not_found(format!("user {id}"));
    let row = q::user_by_id(db, Some(tenant.id.into_uuid()), id)
        .await
        .or_internal()?
        .ok_or_else(not_found)?;
    if !visible_to(db, tenant.id, &scope, row.id).await? {
        return Err(not_found());
    }
    user_to_api(db, tenant.id, row).await
}

/// Create a staff account (the API and `minsheng user create`).
pub async fn create_user(
    ctx: &Ctx,
    tenant: &TenantRecord,
    input: UserInput,
) -> Result<User, Error> {
    ctx.authorize(tenant, "user:write").await?;
    let tx = ctx.tx(tenant.id).await?;
    let db = &tx;
    let mut p = Problems::new();
    let username = p.check("username", check_username(&input.username));
    let display_name = p.check("display_name", parse_text(&input.display_name, 1, 100));
    let email = match input
        .email
        .as_deref()
        .map(str::trim)
        .filter(|e| !e.is_empty())
    {
        Some(e) => p.check("email", parse_email(e).map(Some)),
        None => Some(None),
    };
    p.check("password", password::check_new(&input.password));
    let departments = department_ids(
        db,
        tenant.id,
        input.departments.as_deref().unwrap_or_default(),
        &mut p,
    )
    .await?;
    let roles = input.roles.clone().unwrap_or_default();
    check_roles(db, tenant.id, &roles, &mut p).await?;
    p.finish()?;
    let (Some(username), Some(display_name), Some(email)) = (username, display_name, email) else {
        return Err(Error::internal("checked user fields missing"));
    };
    let account = NewAccount {
        tenant: Some(tenant.id),
        kind: "staff",
        username: &username,
        display_name: &display_name,
        email,
        password: &input.password,
    };
    let row = insert_account(db, account).await?;
    q::set_departments_of(db, tenant.id.into_uuid(), row.id, &departments)
        .await
        .or_internal()?;
    q::set_roles_of(db, tenant.id.into_uuid(), row.id, &roles)
        .await
        .or_internal()?;
    let created = user_to_api(db, tenant.id, row).await?;
    policy_changed(ctx, tx).await?;
    ctx.audit(
        Some(tenant.id),
        "user_created",
        &format!("user:{username} roles:{}", roles.join(",")),
        "ok",
    )
    .await;
    Ok(created)
}

pub async fn update_user(
    ctx: &Ctx,
    tenant: &TenantRecord,
    id: Uuid,
    patch: UserPatch,
) -> Result<User, Error> {
    ctx.authorize(tenant, "user:write").await?;
    let tx = ctx.tx(tenant.id).await?;
    let db = &tx;
    let current = q::user_by_id(db, Some(tenant.id.into_uuid()), id)
        .await
        .or_internal()?
        .ok_or_else(|| Error::not_found(format!("user {id}")))?;
    let mut p = Problems::new();
    let mut row: user::ActiveModel = current.clone().into();
    if let Some(name) = &patch.display_name
        && let Some(name) = p.check("display_name", parse_text(name, 1, 100))
    {
        row.display_name = Set(name);
    }
    let mut email = current.email.clone();
    patch.email.clone().update_to(&mut email);
    match email.as_deref().map(str::trim).filter(|e| !e.is_empty()) {
        Some(e) => {
            if let Some(e) = p.check("email", parse_email(e)) {
                row.email = Set(Some(e));
            }
        }
        None => row.email = Set(None),
    }
    if let Some(pw) = &patch.password
        && p.check("password", password::check_new(pw)).is_some()
    {
        row.password_hash = Set(password::hash(pw)?);
    }
    let departments = match &patch.departments {
        Some(codes) => Some(department_ids(db, tenant.id, codes, &mut p).await?),
        None => None,
    };
    if let Some(roles) = &patch.roles {
        check_roles(db, tenant.id, roles, &mut p).await?;
    }
    p.finish()?;
    if let Some(active) = patch.active {
        row.active = Set(active);
    }
    row.updated_at = Set(Utc::now());
    q::update_user(db, Some(tenant.id.into_uuid()), id, row)
        .await
        .or_internal()?;
    if let Some(departments) = &departments {
        q::set_departments_of(db, tenant.id.into_uuid(), id, departments)
            .await
            .or_internal()?;
    }
    if let Some(roles) = &patch.roles {
        q::set_roles_of(db, tenant.id.into_uuid(), id, roles)
            .await
            .or_internal()?;
    }
    if patch.password.is_some() || patch.active == Some(false) {
        q::delete_sessions_of(db, id).await.or_internal()?;
    }
    let saved = q::user_by_id(db, Some(tenant.id.into_uuid()), id)
        .await
        .or_internal()?
        .ok_or_else(|| Error::not_found(format!("user {id}")))?;
    let saved = user_to_api(db, tenant.id, saved).await?;
    if patch.roles.is_some() || patch.departments.is_some() {
        policy_changed(ctx, tx).await?;
    } else {
        tx.commit().await.or_internal()?;
    }
    if let Some(roles) = &patch.roles {
        let target = format!("user:{} roles:{}", current.username, roles.join(","));
        ctx.audit(Some(tenant.id), "role_change", &target, "ok")
            .await;
    }
    Ok(saved)
}

/// Create a citizen account in a city (the CLI; residents use
/// [`register_citizen`]).
pub async fn create_citizen(
    store: &Store,
    tenant: &TenantRecord,
    username: &str,
    display_name: &str,
    password_given: &str,
) -> Result<Uuid, Error> {
    create_account(
        store,
        Some(tenant.id),
        "citizen",
        username,
        display_name,
        password_given,
    )
    .await
}

/// A resident creates their own account on the city's site. Limited per
/// address like other anonymous writes; the display name is 1 to 50
/// characters.
pub async fn register_citizen(
    ctx: &Ctx,
    tenant: &TenantRecord,
    username: &str,
    display_name: &str,
    password_given: &str,
) -> Result<Uuid, Error> {
    ctx.app
        .limits
        .take(&format!("register:{}", tenant.slug), ctx.ip)?;
    let mut p = Problems::new();
    p.check(
        "display_name",
        minsheng_domain::values::parse_text(display_name, 1, 50),
    );
    p.finish()?;
    let id = create_citizen(
        &ctx.app.store,
        tenant,
        username,
        display_name.trim(),
        password_given,
    )
    .await?;
    ctx.audit(
        Some(tenant.id),
        "register",
        &format!("citizen:{username}"),
        "ok",
    )
    .await;
    Ok(id)
}

/// Create a platform operator (CLI only: there is no first operator to ask).
pub async fn create_operator(
    store: &Store,
    username: &str,
    display_name: &str,
    password_given: &str,
) -> Result<Uuid, Error> {
    create_account(
        store,
        None,
        "operator",
        username,
        display_name,
        password_given,
    )
    .await
}

async fn create_account(
    store: &Store,
    tenant: Option<TenantId>,
    kind: &str,
    username: &str,
    display_name: &str,
    password_given: &str,
) -> Result<Uuid, Error> {
    let mut p = Problems::new();
    p.check("username", check_username(username));
    p.check("password", password::check_new(password_given));
    p.finish()?;
    let tx = store.begin(Scope::Platform).await.or_internal()?;
    let db = &tx;
    let account = NewAccount {
        tenant,
        kind,
        username,
        display_name,
        email: None,
        password: password_given,
    };
    let row = insert_account(db, account).await?;
    tx.commit().await.or_internal()?;
    Ok(row.id)
}

/// A new account's checked fields.
struct NewAccount<'a> {
    tenant: Option<TenantId>,
    kind: &'a str,
    username: &'a str,
    display_name: &'a str,
    email: Option<String>,
    password: &'a str,
}

/// Insert an account whose fields were checked; its user name must be free
/// in its city (or among operators).
async fn insert_account(
    db: &impl ConnectionTrait,
    a: NewAccount<'_>,
) -> Result<user::Model, Error> {
    let tenant_id = a.tenant.map(TenantId::into_uuid);
    let taken = || Error::conflict("username", format!("{:?} is taken", a.username));
    if q::user_by_username(db, tenant_id, a.username)
        .await
        .or_internal()?
        .is_some()
    {
        return Err(taken());
    }
    let now = Utc::now();
    q::insert_user(
        db,
        user::ActiveModel {
            id: Set(UserId::new().into_uuid()),
            tenant_id: Set(tenant_id),
            kind: Set(a.kind.into()),
            username: Set(a.username.to_owned()),
            display_name: Set(a.display_name.to_owned()),
            email: Set(a.email),
            password_hash: Set(password::hash(a.password)?),
            active: Set(true),
            created_at: Set(now),
            updated_at: Set(now),
        },
    )
    .await
    .or_conflict("username", "this user name is taken")
}

// ---- roles ----------------------------------------------------------------

fn role_to_api(row: role::Model) -> Role {
    Role {
        id: row.id,
        code: row.code,
        name: row.name,
        builtin: row.builtin,
        permissions: serde_json::from_value(row.permissions).unwrap_or_default(),
    }
}

pub fn permissions() -> Vec<Permission> {
    CATALOGUE
        .iter()
        .map(|(name, description)| Permission {
            name: (*name).into(),
            description: (*description).into(),
        })
        .collect()
}

fn check_permissions(p: &mut Problems, field: &str, list: &[String]) {
    for (i, perm) in list.iter().enumerate() {
        if !is_permission(perm) {
            p.push(
                format!("{field}[{i}]"),
                format!("{perm:?} is not in the permission catalogue"),
            );
        }
    }
}

pub async fn list_roles(ctx: &Ctx, tenant: &TenantRecord) -> Result<Vec<Role>, Error> {
    ctx.authorize(tenant, "role:read").await?;
    let tx = ctx.read_tx(tenant.id).await?;
    let rows = q::roles(&tx, Some(tenant.id.into_uuid()))
        .await
        .or_internal()?;
    Ok(rows.into_iter().map(role_to_api).collect())
}

pub async fn create_role(
    ctx: &Ctx,
    tenant: &TenantRecord,
    input: RoleInput,
) -> Result<Role, Error> {
    ctx.authorize(tenant, "role:write").await?;
    let tx = ctx.tx(tenant.id).await?;
    let db = &tx;
    let mut p = Problems::new();
    let code = p.check("code", Code::parse(&input.code));
    let name = p.check("name", parse_text(&input.name, 1, 100));
    check_permissions(&mut p, "permissions", &input.permissions);
    if builtin_role(&input.code).is_some() {
        p.push("code", format!("{:?} is a built-in role", input.code));
    }
    p.finish()?;
    let (Some(code), Some(name)) = (code, name) else {
        return Err(Error::internal("checked role fields missing"));
    };
    if q::role_by_code(db, tenant.id.into_uuid(), code.as_str())
        .await
        .or_internal()?
        .is_some()
    {
        return Err(Error::conflict("code", format!("the role {code:?} exists")));
    }
    let now = Utc::now();
    let row = q::insert_role(
        db,
        role::ActiveModel {
            id: Set(RoleId::new().into_uuid()),
            tenant_id: Set(tenant.id.into_uuid()),
            code: Set(code.into_string()),
            name: Set(name),
            builtin: Set(false),
            permissions: Set(serde_json::json!(input.permissions)),
            created_at: Set(now),
            updated_at: Set(now),
        },
    )
    .await
    .or_conflict("code", "this role exists")?;
    policy_changed(ctx, tx).await?;
    ctx.audit(
        Some(tenant.id),
        "role_change",
        &format!("role:{} created", row.code),
        "ok",
    )
    .await;
    Ok(role_to_api(row))
}

pub async fn update_role(
    ctx: &Ctx,
    tenant: &TenantRecord,
    code: &str,
    patch: RolePatch,
) -> Result<Role, Error> {
    ctx.authorize(tenant, "role:write").await?;
    let tx = ctx.tx(tenant.id).await?;
    let db = &tx;
    let current = q::role_by_code(db, tenant.id.into_uuid(), code)
        .await
        .or_internal()?
        .ok_or_else(|| Error::not_found(format!("role {code:?}")))?;
    if current.builtin {
        return Err(Error::conflict(
            "code",
            format!("{code:?} is built in; define a custom role instead"),
        ));
    }
    let mut p = Problems::new();
    let mut row: role::ActiveModel = current.clone().into();
    if let Some(name) = &patch.name
        && let Some(name) = p.check("name", parse_text(name, 1, 100))
    {
        row.name = Set(name);
    }
    if let Some(perms) = &patch.permissions {
        check_permissions(&mut p, "permissions", perms);
        row.permissions = Set(serde_json::json!(perms));
    }
    p.finish()?;
    row.updated_at = Set(Utc::now());
    q::update_role(db, tenant.id.into_uuid(), current.id, row)
        .await
        .or_internal()?;
    let saved = q::role_by_code(db, tenant.id.into_uuid(), code)
        .await
        .or_internal()?
        .ok_or_else(|| Error::not_found(format!("role {code:?}")))?;
    policy_changed(ctx, tx).await?;
    ctx.audit(
        Some(tenant.id),
        "role_change",
        &format!("role:{code} changed"),
        "ok",
    )
    .await;
    Ok(role_to_api(saved))
}

/// Commit a change to roles or grants, tell every replica, and reload here.
async fn policy_changed(ctx: &Ctx, tx: DatabaseTransaction) -> Result<(), Error> {
    q::bump_policy_version(&tx).await.or_internal()?;
    tx.commit().await.or_internal()?;
    ctx.app.policy.reload().await.map_err(Error::internal)
}

// ---- API keys -------------------------------------------------------------

fn key_to_api(row: api_key::Model) -> ApiKey {
    ApiKey {
        id: row.id,
        name: row.name,
        prefix: row.prefix,
        scopes: serde_json::from_value(row.scopes).unwrap_or_default(),
        created_at: row.created_at,
        last_used_at: row.last_used_at,
        revoked_at: row.revoked_at,
    }
}

pub async fn list_api_keys(ctx: &Ctx, tenant: &TenantRecord) -> Result<Vec<ApiKey>, Error> {
    ctx.authorize(tenant, "apikey:read").await?;
    let tx = ctx.read_tx(tenant.id).await?;
    let rows = q::api_keys(&tx, tenant.id.into_uuid())
        .await
        .or_internal()?;
    Ok(rows.into_iter().map(key_to_api).collect())
}

pub async fn create_api_key(
    ctx: &Ctx,
    tenant: &TenantRecord,
    input: ApiKeyInput,
) -> Result<ApiKeyCreated, Error> {
    ctx.authorize(tenant, "apikey:write").await?;
    let mut p = Problems::new();
    let name = p.check("name", parse_text(&input.name, 1, 100));
    let scopes = input.scopes.unwrap_or_default();
    check_permissions(&mut p, "scopes", &scopes);
    p.finish()?;
    let Some(name) = name else {
        return Err(Error::internal("checked key fields missing"));
    };
    let tx = ctx.tx(tenant.id).await?;
    let db = &tx;
    if q::api_keys(db, tenant.id.into_uuid())
        .await
        .or_internal()?
        .iter()
        .any(|k| k.name == name)
    {
        return Err(Error::conflict(
            "name",
            format!("a key named {name:?} exists"),
        ));
    }
    let key = tokens::new_api_key();
    let row = q::insert_api_key(
        db,
        api_key::ActiveModel {
            id: Set(ApiKeyId::new().into_uuid()),
            tenant_id: Set(tenant.id.into_uuid()),
            name: Set(name.clone()),
            prefix: Set(key.prefix.clone()),
            secret_hash: Set(key.secret_hash.clone()),
            scopes: Set(serde_json::json!(scopes)),
            created_at: Set(Utc::now()),
            last_used_at: Set(None),
            revoked_at: Set(None),
        },
    )
    .await
    .or_conflict("name", "a key with this name exists")?;
    tx.commit().await.or_internal()?;
    ctx.audit(
        Some(tenant.id),
        "apikey_created",
        &format!("apikey:{name} scopes:{}", scopes.join(",")),
        "ok",
    )
    .await;
    Ok(ApiKeyCreated {
        key: key.full,
        api_key: key_to_api(row),
    })
}

pub async fn revoke_api_key(ctx: &Ctx, tenant: &TenantRecord, id: Uuid) -> Result<(), Error> {
    ctx.authorize(tenant, "apikey:write").await?;
    let tx = ctx.tx(tenant.id).await?;
    if !q::revoke_api_key(&tx, tenant.id.into_uuid(), id, Utc::now())
        .await
        .or_internal()?
    {
        return Err(Error::not_found(format!("API key {id}")));
    }
    tx.commit().await.or_internal()?;
    ctx.audit(
        Some(tenant.id),
        "apikey_revoked",
        &format!("apikey:{id}"),
        "ok",
    )
    .await;
    Ok(())
}

// ---- audit ----------------------------------------------------------------

pub async fn audit_log(
    ctx: &Ctx,
    tenant: &TenantRecord,
    limit: u64,
) -> Result<Vec<AuditEvent>, Error> {
    ctx.authorize(tenant, "audit:read").await?;
    let tx = ctx.read_tx(tenant.id).await?;
    let rows = q::audit_events(&tx, tenant.id.into_uuid(), limit.clamp(1, 1000))
        .await
        .or_internal()?;
    Ok(rows
        .into_iter()
        .map(|r| AuditEvent {
            id: r.id,
            at: r.at,
            actor: r.actor,
            action: r.action,
            target: r.target,
            outcome: r.outcome,
            client_ip: r.client_ip,
        })
        .collect())
}
