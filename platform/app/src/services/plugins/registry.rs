//! A city's registry of rule plugins: upload (checked and compiled at
//! once), versions, configuration checked against each plugin's schema,
//! order, enable and disable, and the city's limits.

use crate::access::Ctx;
use crate::model::{PluginLimits, PluginQuota, PluginUpdate, PluginView};
use crate::services::DbResultExt;
use crate::services::plugins::chains::{LoadFailure, tenant_limits};
use crate::services::tenants::TenantRecord;
use minsheng_domain::Error;
use minsheng_domain::error::Problems;
use minsheng_domain::ids::TenantId;
use minsheng_plugin_host::{Hook, Limits, check_config};
use minsheng_store::entity::{plugin, tenant};
use minsheng_store::queries::plugins::{self as q, Summary};
use sea_orm::ActiveValue::Set;
use serde_json::Value;
use uuid::Uuid;

fn view(row: Summary) -> PluginView {
    let d = &row.descriptor;
    let schema = d["config_schema"]
        .as_str()
        .and_then(|s| serde_json::from_str(s).ok())
        .unwrap_or(Value::Null);
    let needs = d["needs"]
        .as_array()
        .map(|n| n.iter().filter_map(Value::as_str).map(field_name).collect())
        .unwrap_or_default();
    PluginView {
        id: row.id,
        summary: d["summary"].as_str().unwrap_or_default().to_owned(),
        fail_closed: d["fail_closed"].as_bool().unwrap_or(false),
        needs,
        config_schema: schema,
        name: row.name,
        version: row.version,
        hook: row.hook,
        config: row.config,
        enabled: row.enabled,
        position: row.position,
        failures: row.failures,
        last_error: row.last_error,
        disabled_reason: row.disabled_reason,
        wit_version: row.wit_version,
        hash: row.hash,
        size: row.size,
        created_by: row.created_by,
        created_at: row.created_at,
        updated_at: row.updated_at,
    }
}

/// `ContactPhone` (serde's name of the WIT enum case) → `contact-phone`.
fn field_name(serde_name: &str) -> String {
    let mut out = String::new();
    for (i, c) in serde_name.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('-');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

fn hook_name(hook: Hook) -> &'static str {
    match hook {
        Hook::Intake => crate::services::plugins::chains::INTAKE,
        Hook::Escalation => crate::services::plugins::chains::ESCALATION,
    }
}

/// Upload a component: checked (a component of our WIT at a compatible
/// version, granted imports only, a valid descriptor), compiled, and kept
/// disabled until enabled. Its configuration starts as `{}` when the
/// schema accepts that.
pub async fn upload(ctx: &Ctx, tenant: &TenantRecord, bytes: Vec<u8>) -> Result<PluginView, Error> {
    ctx.authorize(tenant, "plugin:write").await?;
    if bytes.is_empty() {
        return Err(Error::invalid(
            "body",
            "send the component's bytes (the .wasm file cargo built for wasm32-wasip2) as the body, Content-Type: application/wasm",
        ));
    }
    let size = i32::try_from(bytes.len()).unwrap_or(i32::MAX);
    let t = tenant.id.into_uuid();
    // The quota and a repeated upload are refused before compiling.
    {
        let tx = ctx.read_tx(tenant.id).await?;
        let quota = usage(ctx, &tx, t).await?;
        let hash = minsheng_plugin_host::content_hash(&bytes);
        let again = q::has_hash(&tx, t, &hash).await.or_internal()?;
        tx.commit().await.or_internal()?;
        if again {
            return Err(Error::conflict(
                "component",
                "this exact component is already uploaded in this city",
            ));
        }
        if quota.plugins >= quota.max_plugins {
            return Err(Error::invalid(
                "quota.plugins",
                format!(
                    "this city keeps {} plugin versions, the most its quota plugins allows; delete versions no longer used (GET /plugins) before uploading",
                    quota.plugins
                ),
            ));
        }
        if quota.bytes + bytes.len() as u64 > quota.max_bytes {
            return Err(Error::invalid(
                "quota.plugin_bytes",
                format!(
                    "this city keeps {} KiB of components and this one is {} KiB; its quota plugin_bytes allows {} per city: delete versions no longer used before uploading",
                    quota.bytes >> 10,
                    bytes.len() >> 10,
                    size_text(quota.max_bytes)
                ),
            ));
        }
    }
    let fresh = match ctx.app.rules.compile(t, bytes.clone()).await {
        Ok(p) => p,
        Err(LoadFailure::Refused(e)) => return Err(Error::invalid("component", e.to_string())),
        Err(LoadFailure::Server(e)) => return Err(e),
    };
    let plugin = &fresh.plugin;
    let d = &plugin.descriptor;
    let hook = hook_name(d.hook);
    let config = if check_config(&d.config_schema, &serde_json::json!({})).is_ok() {
        serde_json::json!({})
    } else {
        Value::Null
    };
    let now = ctx.now();
    let id = Uuid::now_v7();
    let tx = ctx.tx(tenant.id).await?;
    let position = q::last_position(&tx, t, hook).await.or_internal()? + 10;
    q::insert(
        &tx,
        plugin::ActiveModel {
            id: Set(id),
            tenant_id: Set(t),
            name: Set(d.name.clone()),
            version: Set(d.version.clone()),
            hook: Set(hook.to_owned()),
            hash: Set(plugin.hash.clone()),
            wit_version: Set(plugin.wit_version.clone()),
            descriptor: Set(serde_json::to_value(d).map_err(Error::internal)?),
            component: Set(bytes),
            size: Set(size),
            config: Set(config),
            enabled: Set(false),
            position: Set(position),
            failures: Set(0),
            last_error: Set(None),
            disabled_reason: Set(None),
            created_by: Set(ctx.principal.label()),
            created_at: Set(now),
            updated_at: Set(now),
        },
    )
    .await
    .or_conflict(
        "component",
        &format!(
            "{} {} is already uploaded in this city; raise the version in describe() to upload a new build",
            d.name, d.version
        ),
    )?;
    let row = q::summary(&tx, t, id)
        .await
        .or_internal()?
        .ok_or_else(|| Error::internal("uploaded plugin vanished"))?;
    tx.commit().await.or_internal()?;
    // Kept only now that the upload is saved.
    ctx.app.rules.admit(fresh);
    ctx.audit(
        Some(tenant.id),
        "plugin_upload",
        &format!("plugin:{id}"),
        "ok",
    )
    .await;
    Ok(view(row))
}

pub async fn list(ctx: &Ctx, tenant: &TenantRecord) -> Result<Vec<PluginView>, Error> {
    ctx.authorize(tenant, "tenant:read").await?;
    let tx = ctx.read_tx(tenant.id).await?;
    let rows = q::list(&tx, tenant.id.into_uuid()).await.or_internal()?;
    tx.commit().await.or_internal()?;
    Ok(rows.into_iter().map(view).collect())
}

pub async fn get(ctx: &Ctx, tenant: &TenantRecord, id: Uuid) -> Result<PluginView, Error> {
    ctx.authorize(tenant, "tenant:read").await?;
    let tx = ctx.read_tx(tenant.id).await?;
    let row = q::summary(&tx, tenant.id.into_uuid(), id)
        .await
        .or_internal()?
        .ok_or_else(|| Error::not_found("plugin"))?;
    tx.commit().await.or_internal()?;
    Ok(view(row))
}

/// Enable, disable, reorder or configure a plugin.
pub async fn update(
    ctx: &Ctx,
    tenant: &TenantRecord,
    id: Uuid,
    input: PluginUpdate,
) -> Result<PluginView, Error> {
    ctx.authorize(tenant, "plugin:write").await?;
    let t = tenant.id.into_uuid();
    let now = ctx.now();
    let tx = ctx.tx(tenant.id).await?;
    let current = q::summary(&tx, t, id)
        .await
        .or_internal()?
        .ok_or_else(|| Error::not_found("plugin"))?;
    let schema = current.descriptor["config_schema"]
        .as_str()
        .unwrap_or("{}")
        .to_owned();
    let mut p = Problems::new();
    let config = input
        .config
        .clone()
        .unwrap_or_else(|| current.config.clone());
    if (input.config.is_some() || input.enabled == Some(true))
        && let Err(errors) = check_config(&schema, &config)
    {
        for e in errors {
            let field = if e.path.is_empty() {
                "config".to_owned()
            } else {
                format!("config{}", e.path)
            };
            p.push(field, e.message);
        }
    }
    if let Some(position) = input.position
        && !(0..=1_000_000).contains(&position)
    {
        p.push("position", "must be between 0 and 1000000");
    }
    p.finish()?;
    let mut row = plugin::ActiveModel {
        updated_at: Set(now),
        ..Default::default()
    };
    if input.config.is_some() {
        row.config = Set(config);
    }
    if let Some(position) = input.position {
        row.position = Set(position);
    }
    if let Some(enabled) = input.enabled {
        row.enabled = Set(enabled);
        if enabled {
            row.failures = Set(0);
            row.disabled_reason = Set(None);
            q::disable_other_versions(&tx, t, &current.name, id, now)
                .await
                .or_internal()?;
        }
    }
    q::update(&tx, t, id, row).await.or_internal()?;
    updated(ctx, tenant, tx, id).await
}

/// The changed plugin, once its change is committed, the city's chains
/// forgotten and the change audited.
async fn updated(
    ctx: &Ctx,
    tenant: &TenantRecord,
    tx: minsheng_store::DatabaseTransaction,
    id: Uuid,
) -> Result<PluginView, Error> {
    let t = tenant.id.into_uuid();
    let row = q::summary(&tx, t, id)
        .await
        .or_internal()?
        .ok_or_else(|| Error::not_found("plugin"))?;
    tx.commit().await.or_internal()?;
    ctx.app.rules.forget(t);
    ctx.audit(
        Some(tenant.id),
        "plugin_update",
        &format!("plugin:{id}"),
        "ok",
    )
    .await;
    Ok(view(row))
}

/// Move a plugin one place up (`up`) or down in its hook's chain order
/// (among every uploaded version of that hook); the hook's positions are
/// numbered again 10, 20, 30 … At the top or bottom it stays.
pub async fn reorder(
    ctx: &Ctx,
    tenant: &TenantRecord,
    id: Uuid,
    up: bool,
) -> Result<PluginView, Error> {
    ctx.authorize(tenant, "plugin:write").await?;
    let t = tenant.id.into_uuid();
    let now = ctx.now();
    let tx = ctx.tx(tenant.id).await?;
    let all = q::list(&tx, t).await.or_internal()?;
    let hook = all
        .iter()
        .find(|p| p.id == id)
        .map(|p| p.hook.clone())
        .ok_or_else(|| Error::not_found("plugin"))?;
    let mut order: Vec<&Summary> = all.iter().filter(|p| p.hook == hook).collect();
    let at = order.iter().position(|p| p.id == id).unwrap_or(0);
    let to = if up {
        at.saturating_sub(1)
    } else {
        (at + 1).min(order.len() - 1)
    };
    order.swap(at, to);
    for (i, p) in order.iter().enumerate() {
        let position = i32::try_from(i + 1).unwrap_or(i32::MAX / 10) * 10;
        if p.position != position {
            let row = plugin::ActiveModel {
                position: Set(position),
                updated_at: Set(now),
                ..Default::default()
            };
            q::update(&tx, t, p.id, row).await.or_internal()?;
        }
    }
    updated(ctx, tenant, tx, id).await
}

pub async fn remove(ctx: &Ctx, tenant: &TenantRecord, id: Uuid) -> Result<(), Error> {
    ctx.authorize(tenant, "plugin:write").await?;
    let t = tenant.id.into_uuid();
    let tx = ctx.tx(tenant.id).await?;
    let row = q::summary(&tx, t, id)
        .await
        .or_internal()?
        .ok_or_else(|| Error::not_found("plugin"))?;
    if !q::delete(&tx, t, id).await.or_internal()? {
        return Err(Error::not_found("plugin"));
    }
    tx.commit().await.or_internal()?;
    ctx.app.rules.components().discard(&row.hash);
    ctx.app.rules.forget(t);
    ctx.audit(
        Some(tenant.id),
        "plugin_delete",
        &format!("plugin:{id}"),
        "ok",
    )
    .await;
    Ok(())
}

async fn usage(
    ctx: &Ctx,
    tx: &minsheng_store::DatabaseTransaction,
    t: Uuid,
) -> Result<PluginQuota, Error> {
    let (plugins, bytes) = q::usage(tx, t).await.or_internal()?;
    let config = &ctx.app.config;
    // The platform's maxima, lowered by the city's own quotas.
    let city = crate::services::quotas::limits(tx, TenantId::from_uuid(t)).await?;
    let lower = |platform: u64, city: Option<u64>| city.map_or(platform, |c| c.min(platform));
    Ok(PluginQuota {
        plugins,
        max_plugins: lower(u64::from(config.plugin_max_per_city), city.plugins),
        bytes,
        max_bytes: lower(config.plugin_max_mib_per_city << 20, city.plugin_bytes),
    })
}

/// Bytes as whole MiB when they are, else KiB.
fn size_text(bytes: u64) -> String {
    if bytes.is_multiple_of(1 << 20) {
        format!("{} MiB", bytes >> 20)
    } else {
        format!("{} KiB", bytes >> 10)
    }
}

/// What the city keeps against its quota.
pub async fn quota(ctx: &Ctx, tenant: &TenantRecord) -> Result<PluginQuota, Error> {
    ctx.authorize(tenant, "tenant:read").await?;
    let tx = ctx.read_tx(tenant.id).await?;
    let quota = usage(ctx, &tx, tenant.id.into_uuid()).await?;
    tx.commit().await.or_internal()?;
    Ok(quota)
}

fn limits_view(l: &Limits) -> PluginLimits {
    PluginLimits {
        fuel: l.fuel,
        memory_bytes: l.memory_bytes as u64,
        timeout_ms: l.timeout_ms,
        log_bytes: l.log_bytes as u64,
        output_bytes: l.output_bytes as u64,
    }
}

/// The limits the city's calls run with (its own, capped by the platform).
pub async fn limits(ctx: &Ctx, tenant: &TenantRecord) -> Result<PluginLimits, Error> {
    ctx.authorize(tenant, "tenant:read").await?;
    Ok(limits_view(
        &tenant_limits(tenant).capped_by(ctx.app.rules.maxima()),
    ))
}

/// Set the city's limits; each must be within the platform's maxima.
pub async fn set_limits(
    ctx: &Ctx,
    tenant: &TenantRecord,
    input: PluginLimits,
) -> Result<PluginLimits, Error> {
    ctx.authorize(tenant, "plugin:write").await?;
    let max = ctx.app.rules.maxima();
    let mut p = Problems::new();
    let mut check = |field: &str, value: u64, low: u64, high: u64| {
        if value < low || value > high {
            p.push(
                field,
                format!("must be between {low} and {high} on this platform"),
            );
        }
    };
    check("fuel", input.fuel, 1_000, max.fuel);
    check(
        "memory_bytes",
        input.memory_bytes,
        1 << 20,
        max.memory_bytes as u64,
    );
    check("timeout_ms", input.timeout_ms, 1, max.timeout_ms);
    check("log_bytes", input.log_bytes, 0, max.log_bytes as u64);
    check(
        "output_bytes",
        input.output_bytes,
        1024,
        max.output_bytes as u64,
    );
    p.finish()?;
    let limits = Limits {
        fuel: input.fuel,
        memory_bytes: usize::try_from(input.memory_bytes).unwrap_or(usize::MAX),
        timeout_ms: input.timeout_ms,
        log_bytes: usize::try_from(input.log_bytes).unwrap_or(usize::MAX),
        output_bytes: usize::try_from(input.output_bytes).unwrap_or(usize::MAX),
    };
    minsheng_store::queries::tenants::update(
        ctx.db(),
        tenant::ActiveModel {
            id: sea_orm::ActiveValue::Unchanged(tenant.id.into_uuid()),
            plugin_limits: Set(Some(
                serde_json::to_value(&limits).map_err(Error::internal)?,
            )),
            updated_at: Set(ctx.now()),
            ..Default::default()
        },
    )
    .await
    .or_internal()?;
    ctx.app.tenants.forget(&tenant.slug);
    ctx.app.rules.forget(tenant.id.into_uuid());
    ctx.audit(
        Some(tenant.id),
        "plugin_limits",
        &format!("tenant:{}", tenant.slug),
        "ok",
    )
    .await;
    Ok(limits_view(&limits))
}
