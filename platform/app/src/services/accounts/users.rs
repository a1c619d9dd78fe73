//! A city's staff accounts: listing, reading, creating and changing them,
//! with their departments and roles.

use super::create::{NewAccount, check_username, insert_account};
use super::roles::policy_changed;
use crate::access::{Ctx, password, throttle};
use crate::model::{User, UserInput, UserPatch};
use crate::services::DbResultExt;
use crate::services::tenants::TenantRecord;
use chrono::Utc;
use minsheng_domain::Error;
use minsheng_domain::error::Problems;
use minsheng_domain::ids::TenantId;
use minsheng_domain::values::{parse_email, parse_text};
use minsheng_store::ConnectionTrait;
use minsheng_store::entity::user;
use minsheng_store::queries::access as q;
use minsheng_store::queries::directory;
use sea_orm::ActiveValue::Set;
use std::collections::HashMap;
use uuid::Uuid;

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
    let quota = crate::services::quotas::limits(db, tenant.id)
        .await?
        .staff_users;
    let staff = minsheng_store::queries::quotas::staff_users(db, tenant.id.into_uuid())
        .await
        .or_internal()?;
    crate::services::quotas::check("staff_users", "staff users", quota, staff)?;
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

/// The city's staff whose sign-in is locked after failed attempts, with
/// when the lock ends (a lock that has run out is not listed).
pub async fn sign_in_locks(
    ctx: &Ctx,
    tenant: &TenantRecord,
    users: &[User],
) -> Result<HashMap<Uuid, chrono::DateTime<Utc>>, Error> {
    ctx.authorize(tenant, "user:read").await?;
    let now = Utc::now();
    // One read of the city's account keys (`account:{slug}:{name}`).
    let prefix = throttle::account_key(Some(&tenant.slug), "");
    let locked: HashMap<String, chrono::DateTime<Utc>> =
        q::throttles_starting(ctx.app.store.db(), &prefix)
            .await
            .or_internal()?
            .into_iter()
            .filter_map(|row| Some((row.key, row.locked_until.filter(|until| *until > now)?)))
            .collect();
    let mut locks = HashMap::new();
    for u in users {
        let key = throttle::account_key(Some(&tenant.slug), &u.username);
        if let Some(until) = locked.get(&key) {
            locks.insert(u.id, *until);
        }
    }
    Ok(locks)
}

/// Let a staff member sign in again at once after failed sign-ins: their
/// account's count of failures is forgotten.
pub async fn unlock_user(ctx: &Ctx, tenant: &TenantRecord, id: Uuid) -> Result<(), Error> {
    ctx.authorize(tenant, "user:write").await?;
    let user = {
        let tx = ctx.read_tx(tenant.id).await?;
        q::user_by_id(&tx, Some(tenant.id.into_uuid()), id)
            .await
            .or_internal()?
            .ok_or_else(|| Error::not_found(format!("user {id}")))?
    };
    let key = throttle::account_key(Some(&tenant.slug), &user.username);
    throttle::clear(ctx.app.store.db(), &key).await?;
    ctx.audit(
        Some(tenant.id),
        "user_unlocked",
        &format!("user:{}", user.username),
        "ok",
    )
    .await;
    Ok(())
}
