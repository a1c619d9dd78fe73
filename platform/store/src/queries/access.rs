//! Accounts, roles, sessions, API keys, login throttling, the audit log and
//! the policy version. Queries of city data take the tenant; platform
//! operators are the users whose tenant is NULL.

use crate::entity::{
    api_key, audit_event, login_throttle, policy_version, role, session, user, user_department,
    user_role,
};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use uuid::Uuid;

fn tenant_filter(tenant_id: Option<Uuid>) -> sea_orm::Condition {
    match tenant_id {
        Some(t) => sea_orm::Condition::all().add(user::Column::TenantId.eq(t)),
        None => sea_orm::Condition::all().add(user::Column::TenantId.is_null()),
    }
}

/// A user by name in a city, or a platform operator when `tenant_id` is None.
pub async fn user_by_username(
    db: &impl ConnectionTrait,
    tenant_id: Option<Uuid>,
    username: &str,
) -> Result<Option<user::Model>, DbErr> {
    user::Entity::find()
        .filter(tenant_filter(tenant_id))
        .filter(user::Column::Username.eq(username))
        .one(db)
        .await
}

pub async fn user_by_id(
    db: &impl ConnectionTrait,
    tenant_id: Option<Uuid>,
    id: Uuid,
) -> Result<Option<user::Model>, DbErr> {
    user::Entity::find()
        .filter(tenant_filter(tenant_id))
        .filter(user::Column::Id.eq(id))
        .one(db)
        .await
}

pub async fn users(db: &impl ConnectionTrait, tenant_id: Uuid) -> Result<Vec<user::Model>, DbErr> {
    user::Entity::find()
        .filter(user::Column::TenantId.eq(tenant_id))
        .order_by_asc(user::Column::Username)
        .all(db)
        .await
}

pub async fn insert_user(
    db: &impl ConnectionTrait,
    row: user::ActiveModel,
) -> Result<user::Model, DbErr> {
    row.insert(db).await
}

pub async fn update_user(
    db: &impl ConnectionTrait,
    tenant_id: Option<Uuid>,
    id: Uuid,
    row: user::ActiveModel,
) -> Result<bool, DbErr> {
    let result = user::Entity::update_many()
        .set(row)
        .filter(tenant_filter(tenant_id))
        .filter(user::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(result.rows_affected > 0)
}

/// Who works for which department, in a city or (None) in every city.
pub async fn user_departments(
    db: &impl ConnectionTrait,
    tenant_id: Option<Uuid>,
) -> Result<Vec<user_department::Model>, DbErr> {
    let mut query = user_department::Entity::find();
    if let Some(t) = tenant_id {
        query = query.filter(user_department::Column::TenantId.eq(t));
    }
    query.all(db).await
}

pub async fn departments_of(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    user_id: Uuid,
) -> Result<Vec<Uuid>, DbErr> {
    Ok(user_department::Entity::find()
        .filter(user_department::Column::TenantId.eq(tenant_id))
        .filter(user_department::Column::UserId.eq(user_id))
        .all(db)
        .await?
        .into_iter()
        .map(|r| r.department_id)
        .collect())
}

pub async fn set_departments_of(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    user_id: Uuid,
    departments: &[Uuid],
) -> Result<(), DbErr> {
    user_department::Entity::delete_many()
        .filter(user_department::Column::TenantId.eq(tenant_id))
        .filter(user_department::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    for d in departments {
        user_department::ActiveModel {
            tenant_id: Set(tenant_id),
            user_id: Set(user_id),
            department_id: Set(*d),
        }
        .insert(db)
        .await?;
    }
    Ok(())
}

/// Role grants of a city, or of every city when `tenant_id` is None (the
/// authorization policy loads them all).
pub async fn user_roles(
    db: &impl ConnectionTrait,
    tenant_id: Option<Uuid>,
) -> Result<Vec<user_role::Model>, DbErr> {
    let mut query = user_role::Entity::find();
    if let Some(t) = tenant_id {
        query = query.filter(user_role::Column::TenantId.eq(t));
    }
    query.all(db).await
}

pub async fn set_roles_of(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    user_id: Uuid,
    roles: &[String],
) -> Result<(), DbErr> {
    user_role::Entity::delete_many()
        .filter(user_role::Column::TenantId.eq(tenant_id))
        .filter(user_role::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    for code in roles {
        user_role::ActiveModel {
            tenant_id: Set(tenant_id),
            user_id: Set(user_id),
            role_code: Set(code.clone()),
        }
        .insert(db)
        .await?;
    }
    Ok(())
}

/// Roles of a city, or of every city when `tenant_id` is None.
pub async fn roles(
    db: &impl ConnectionTrait,
    tenant_id: Option<Uuid>,
) -> Result<Vec<role::Model>, DbErr> {
    let mut query = role::Entity::find();
    if let Some(t) = tenant_id {
        query = query.filter(role::Column::TenantId.eq(t));
    }
    query.order_by_asc(role::Column::Code).all(db).await
}

pub async fn role_by_code(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    code: &str,
) -> Result<Option<role::Model>, DbErr> {
    role::Entity::find()
        .filter(role::Column::TenantId.eq(tenant_id))
        .filter(role::Column::Code.eq(code))
        .one(db)
        .await
}

pub async fn insert_role(
    db: &impl ConnectionTrait,
    row: role::ActiveModel,
) -> Result<role::Model, DbErr> {
    row.insert(db).await
}

pub async fn update_role(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    id: Uuid,
    row: role::ActiveModel,
) -> Result<bool, DbErr> {
    let result = role::Entity::update_many()
        .set(row)
        .filter(role::Column::TenantId.eq(tenant_id))
        .filter(role::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(result.rows_affected > 0)
}

pub async fn insert_session(
    db: &impl ConnectionTrait,
    row: session::ActiveModel,
) -> Result<session::Model, DbErr> {
    row.insert(db).await
}

/// A session and its user, in one query (every signed-in request asks).
/// The user is none when it is gone or belongs to another city than the
/// session.
pub async fn session_with_user(
    db: &impl ConnectionTrait,
    id: &str,
) -> Result<Option<(session::Model, Option<user::Model>)>, DbErr> {
    let found = session::Entity::find_by_id(id.to_owned())
        .find_also_related(user::Entity)
        .one(db)
        .await?;
    Ok(found.map(|(session, user)| {
        let user = user.filter(|u| u.tenant_id == session.tenant_id);
        (session, user)
    }))
}

pub async fn touch_session(
    db: &impl ConnectionTrait,
    id: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    session::Entity::update_many()
        .col_expr(session::Column::LastSeenAt, Expr::value(now))
        .filter(session::Column::Id.eq(id))
        .exec(db)
        .await
        .map(|_| ())
}

pub async fn delete_session(db: &impl ConnectionTrait, id: &str) -> Result<(), DbErr> {
    session::Entity::delete_by_id(id.to_owned())
        .exec(db)
        .await
        .map(|_| ())
}

/// End every session of a user ("log out everywhere", password change).
pub async fn delete_sessions_of(db: &impl ConnectionTrait, user_id: Uuid) -> Result<u64, DbErr> {
    Ok(session::Entity::delete_many()
        .filter(session::Column::UserId.eq(user_id))
        .exec(db)
        .await?
        .rows_affected)
}

pub async fn insert_api_key(
    db: &impl ConnectionTrait,
    row: api_key::ActiveModel,
) -> Result<api_key::Model, DbErr> {
    row.insert(db).await
}

pub async fn api_key_by_prefix(
    db: &impl ConnectionTrait,
    prefix: &str,
) -> Result<Option<api_key::Model>, DbErr> {
    api_key::Entity::find()
        .filter(api_key::Column::Prefix.eq(prefix))
        .one(db)
        .await
}

pub async fn api_keys(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
) -> Result<Vec<api_key::Model>, DbErr> {
    api_key::Entity::find()
        .filter(api_key::Column::TenantId.eq(tenant_id))
        .order_by_asc(api_key::Column::Name)
        .all(db)
        .await
}

/// Revoke a key; false when the city has no such live key.
pub async fn revoke_api_key(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let result = api_key::Entity::update_many()
        .col_expr(api_key::Column::RevokedAt, Expr::value(now))
        .filter(api_key::Column::TenantId.eq(tenant_id))
        .filter(api_key::Column::Id.eq(id))
        .filter(api_key::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(result.rows_affected > 0)
}

pub async fn touch_api_key(
    db: &impl ConnectionTrait,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    api_key::Entity::update_many()
        .col_expr(api_key::Column::LastUsedAt, Expr::value(now))
        .filter(api_key::Column::Id.eq(id))
        .exec(db)
        .await
        .map(|_| ())
}

pub async fn throttle(
    db: &impl ConnectionTrait,
    key: &str,
) -> Result<Option<login_throttle::Model>, DbErr> {
    login_throttle::Entity::find_by_id(key.to_owned())
        .one(db)
        .await
}

/// The throttle rows whose key starts with `prefix` (a city's accounts).
pub async fn throttles_starting(
    db: &impl ConnectionTrait,
    prefix: &str,
) -> Result<Vec<login_throttle::Model>, DbErr> {
    login_throttle::Entity::find()
        .filter(login_throttle::Column::Key.starts_with(prefix))
        .all(db)
        .await
}

pub async fn save_throttle(
    db: &impl ConnectionTrait,
    row: login_throttle::Model,
) -> Result<(), DbErr> {
    let exists = throttle(db, &row.key).await?.is_some();
    let active: login_throttle::ActiveModel = login_throttle::ActiveModel {
        key: Set(row.key),
        failures: Set(row.failures),
        locked_until: Set(row.locked_until),
        updated_at: Set(row.updated_at),
    };
    if exists {
        active.update(db).await.map(|_| ())
    } else {
        active.insert(db).await.map(|_| ())
    }
}

pub async fn clear_throttle(db: &impl ConnectionTrait, key: &str) -> Result<(), DbErr> {
    login_throttle::Entity::delete_by_id(key.to_owned())
        .exec(db)
        .await
        .map(|_| ())
}

pub async fn insert_audit(
    db: &impl ConnectionTrait,
    row: audit_event::ActiveModel,
) -> Result<(), DbErr> {
    row.insert(db).await.map(|_| ())
}

/// The newest audit events of a city.
pub async fn audit_events(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    limit: u64,
) -> Result<Vec<audit_event::Model>, DbErr> {
    audit_event::Entity::find()
        .filter(audit_event::Column::TenantId.eq(tenant_id))
        .order_by_desc(audit_event::Column::At)
        .order_by_desc(audit_event::Column::Id)
        .limit(limit)
        .all(db)
        .await
}

/// What to look for in a city's audit log; empty fields match everything.
#[derive(Clone, Debug, Default)]
pub struct AuditFilter {
    /// Part of who acted (`staff:alice`, `apikey:…`).
    pub actor: Option<String>,
    /// The action, exactly (`user_created`, `role_change` …).
    pub action: Option<String>,
    /// Part of what was acted on.
    pub target: Option<String>,
    /// From this time on.
    pub from: Option<DateTime<Utc>>,
    /// Before this time.
    pub until: Option<DateTime<Utc>>,
}

/// A page of a city's audit events matching `filter`, newest first.
pub async fn audit_events_matching(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    filter: &AuditFilter,
    offset: u64,
    limit: u64,
) -> Result<Vec<audit_event::Model>, DbErr> {
    use audit_event::Column as C;
    let mut query = audit_event::Entity::find().filter(C::TenantId.eq(tenant_id));
    if let Some(actor) = &filter.actor {
        query = query.filter(C::Actor.contains(actor));
    }
    if let Some(action) = &filter.action {
        query = query.filter(C::Action.eq(action.as_str()));
    }
    if let Some(target) = &filter.target {
        query = query.filter(C::Target.contains(target));
    }
    if let Some(from) = filter.from {
        query = query.filter(C::At.gte(from));
    }
    if let Some(until) = filter.until {
        query = query.filter(C::At.lt(until));
    }
    query
        .order_by_desc(C::At)
        .order_by_desc(C::Id)
        .offset(offset)
        .limit(limit)
        .all(db)
        .await
}

pub async fn policy_version(db: &impl ConnectionTrait) -> Result<i64, DbErr> {
    Ok(policy_version::Entity::find_by_id(1)
        .one(db)
        .await?
        .map_or(0, |r| r.version))
}

/// Tell every replica that roles or grants changed.
pub async fn bump_policy_version(db: &impl ConnectionTrait) -> Result<(), DbErr> {
    policy_version::Entity::update_many()
        .col_expr(
            policy_version::Column::Version,
            Expr::col(policy_version::Column::Version).add(1),
        )
        .filter(policy_version::Column::Id.eq(1))
        .exec(db)
        .await
        .map(|_| ())
}
