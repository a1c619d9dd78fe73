//! New accounts made outside the staff API: residents registering, citizens
//! and operators made from the command line, and the checks and insert
//! every new account goes through.

use crate::access::{Ctx, password};
use crate::services::DbResultExt;
use crate::services::tenants::TenantRecord;
use chrono::Utc;
use minsheng_domain::Error;
use minsheng_domain::error::Problems;
use minsheng_domain::ids::{TenantId, UserId};
use minsheng_store::entity::user;
use minsheng_store::queries::access as q;
use minsheng_store::{ConnectionTrait, Scope, Store};
use sea_orm::ActiveValue::Set;
use uuid::Uuid;

pub(super) fn check_username(name: &str) -> Result<String, String> {
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
pub(super) struct NewAccount<'a> {
    pub(super) tenant: Option<TenantId>,
    pub(super) kind: &'a str,
    pub(super) username: &'a str,
    pub(super) display_name: &'a str,
    pub(super) email: Option<String>,
    pub(super) password: &'a str,
}

/// Insert an account whose fields were checked; its user name must be free
/// in its city (or among operators).
pub(super) async fn insert_account(
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
