//! Roles and the permission catalogue: the built-in roles every city has,
//! custom roles, and reloading the policy when roles or grants change.

use crate::access::Ctx;
use crate::model::{Permission, Role, RoleInput, RolePatch};
use crate::services::DbResultExt;
use crate::services::tenants::TenantRecord;
use chrono::Utc;
use minsheng_domain::Error;
use minsheng_domain::access::{BUILTIN_ROLES, CATALOGUE, builtin_role, is_permission};
use minsheng_domain::error::Problems;
use minsheng_domain::ids::{RoleId, TenantId};
use minsheng_domain::values::{Code, Locale, parse_text};
use minsheng_store::entity::role;
use minsheng_store::queries::access as q;
use minsheng_store::{ConnectionTrait, DatabaseTransaction, Scope, Store};
use sea_orm::ActiveValue::Set;

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

pub(super) fn check_permissions(p: &mut Problems, field: &str, list: &[String]) {
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
pub(super) async fn policy_changed(ctx: &Ctx, tx: DatabaseTransaction) -> Result<(), Error> {
    q::bump_policy_version(&tx).await.or_internal()?;
    tx.commit().await.or_internal()?;
    ctx.app.policy.reload().await.map_err(Error::internal)
}
