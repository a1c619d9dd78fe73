//! API keys: integrations' credentials, with the permissions they may use.

use super::roles::check_permissions;
use crate::access::{Ctx, tokens};
use crate::model::{ApiKey, ApiKeyCreated, ApiKeyInput};
use crate::services::DbResultExt;
use crate::services::tenants::TenantRecord;
use chrono::Utc;
use minsheng_domain::Error;
use minsheng_domain::error::Problems;
use minsheng_domain::ids::ApiKeyId;
use minsheng_domain::values::parse_text;
use minsheng_store::entity::api_key;
use minsheng_store::queries::access as q;
use sea_orm::ActiveValue::Set;
use uuid::Uuid;

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
