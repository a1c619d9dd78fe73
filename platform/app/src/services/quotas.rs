//! A city's quotas: set by the platform's operators, visible to the city's
//! administrators, enforced where each thing is created. A quota reached
//! is a 422 naming it (`quota.staff_users` …), or for the daily cases a
//! 429 until the city's next midnight; a refused case is never saved.

use super::DbResultExt;
use super::tenants::{TenantRecord, find};
use crate::access::Ctx;
use crate::model::{QuotaLimits, QuotaUsage, Quotas};
use chrono::{DateTime, NaiveDate, Utc};
use minsheng_domain::Error;
use minsheng_domain::error::Problems;
use minsheng_domain::ids::TenantId;
use minsheng_store::ConnectionTrait;
use minsheng_store::entity::tenant_quota;
use minsheng_store::queries::quotas as q;

/// The daily case quota's name, as messages and the API give it.
pub const CASES_PER_DAY: &str = "cases_per_day";

/// The largest quota one can set (beyond it, leave the quota empty).
const MOST: u64 = 1_000_000_000_000;

/// The city's quotas (all empty when none were set).
pub(crate) async fn limits(
    db: &impl ConnectionTrait,
    tenant: TenantId,
) -> Result<QuotaLimits, Error> {
    let row = q::get(db, tenant.into_uuid()).await.or_internal()?;
    let to = |v: Option<i64>| v.and_then(|v| u64::try_from(v).ok());
    Ok(row
        .map(|r| QuotaLimits {
            cases_per_day: to(r.cases_per_day),
            staff_users: to(r.staff_users),
            departments: to(r.departments),
            plugins: to(r.plugins),
            plugin_bytes: to(r.plugin_bytes),
            webhooks: to(r.webhooks),
        })
        .unwrap_or_default())
}

/// Refuse one more of `what` when the city already has `used` of its
/// quota `name`.
pub(crate) fn check(name: &str, what: &str, limit: Option<u64>, used: u64) -> Result<(), Error> {
    match limit {
        Some(limit) if used >= limit => Err(Error::invalid(
            format!("quota.{name}"),
            format!(
                "this city's quota {name} allows {limit} {what} and it has {used}; ask the platform's operators to raise it"
            ),
        )),
        _ => Ok(()),
    }
}

/// The refusal of a case over the daily quota: retry after the city's
/// next midnight.
pub(crate) fn cases_refused(tenant: &TenantRecord, limit: u64, now: DateTime<Utc>) -> Error {
    let today: NaiveDate = now.with_timezone(&tenant.time_zone).date_naive();
    let midnight = today
        .succ_opt()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .and_then(|t| t.and_local_timezone(tenant.time_zone).earliest())
        .map(|t| t.with_timezone(&Utc));
    let wait = midnight
        .map(|m| (m - now).num_seconds().max(1))
        .unwrap_or(86_400);
    Error::TooManyRequests {
        retry_after_secs: u64::try_from(wait).unwrap_or(86_400),
        message: format!(
            "this city accepts at most {limit} cases a day (quota {CASES_PER_DAY}) and today's are in; the case was not saved: submit it again tomorrow"
        ),
    }
}

async fn usage(
    db: &impl ConnectionTrait,
    tenant: &TenantRecord,
    now: DateTime<Utc>,
) -> Result<QuotaUsage, Error> {
    let t = tenant.id.into_uuid();
    let today = now.with_timezone(&tenant.time_zone).date_naive();
    let cases = q::cases_received(db, t, today).await.or_internal()?;
    let departments = super::departments::count(db, tenant.id).await?;
    let (plugins, plugin_bytes) = minsheng_store::queries::plugins::usage(db, t)
        .await
        .or_internal()?;
    Ok(QuotaUsage {
        cases_today: u64::try_from(cases).unwrap_or(0),
        staff_users: q::staff_users(db, t).await.or_internal()?,
        departments,
        plugins,
        plugin_bytes,
        webhooks: q::webhooks(db, t).await.or_internal()?,
    })
}

/// A city's quotas and what it uses: its administrators and the platform's
/// operators.
pub async fn get_by(ctx: &Ctx, slug: &str) -> Result<Quotas, Error> {
    let tenant = find(ctx.db(), slug).await?;
    ctx.authorize(&tenant, "tenant:read").await?;
    read(ctx, &tenant).await
}

async fn read(ctx: &Ctx, tenant: &TenantRecord) -> Result<Quotas, Error> {
    let tx = ctx.read_tx(tenant.id).await?;
    let limits = limits(&tx, tenant.id).await?;
    let used = usage(&tx, tenant, ctx.now()).await?;
    tx.commit().await.or_internal()?;
    Ok(Quotas { limits, used })
}

/// Set a city's quotas, whole: the platform's operators only.
pub async fn set_by(ctx: &Ctx, slug: &str, input: QuotaLimits) -> Result<Quotas, Error> {
    let tenant = find(ctx.db(), slug).await?;
    ctx.require_operator_for(&tenant)?;
    let mut p = Problems::new();
    let mut value = |field: &str, v: Option<u64>| -> Option<i64> {
        let v = v?;
        if v > MOST {
            p.push(
                field,
                format!("at most {MOST}; leave it empty for no limit"),
            );
            return None;
        }
        i64::try_from(v).ok()
    };
    let row = tenant_quota::Model {
        tenant_id: tenant.id.into_uuid(),
        cases_per_day: value(CASES_PER_DAY, input.cases_per_day),
        staff_users: value("staff_users", input.staff_users),
        departments: value("departments", input.departments),
        plugins: value("plugins", input.plugins),
        plugin_bytes: value("plugin_bytes", input.plugin_bytes),
        webhooks: value("webhooks", input.webhooks),
        updated_at: ctx.now(),
    };
    p.finish()?;
    let tx = ctx.tx(tenant.id).await?;
    q::put(&tx, row).await.or_internal()?;
    tx.commit().await.or_internal()?;
    ctx.audit(
        Some(tenant.id),
        "quota_update",
        &format!("tenant:{slug}"),
        "ok",
    )
    .await;
    read(ctx, &tenant).await
}
