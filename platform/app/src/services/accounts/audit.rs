//! Reading a city's audit log.

use crate::access::Ctx;
use crate::model::AuditEvent;
use crate::services::DbResultExt;
use crate::services::tenants::TenantRecord;
use minsheng_domain::Error;
use minsheng_store::queries::access as q;

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
    Ok(rows.into_iter().map(event).collect())
}

pub use minsheng_store::queries::access::AuditFilter;

/// A page of the city's audit log matching `filter`, newest first, and
/// whether there are older events.
pub async fn audit_search(
    ctx: &Ctx,
    tenant: &TenantRecord,
    filter: &AuditFilter,
    page: u64,
    per_page: u64,
) -> Result<(Vec<AuditEvent>, bool), Error> {
    ctx.authorize(tenant, "audit:read").await?;
    if let (Some(from), Some(until)) = (filter.from, filter.until)
        && until <= from
    {
        return Err(Error::invalid("to", "a day on or after the first day"));
    }
    let per_page = per_page.clamp(1, 500);
    let offset = page.saturating_sub(1).saturating_mul(per_page);
    let tx = ctx.read_tx(tenant.id).await?;
    let mut rows =
        q::audit_events_matching(&tx, tenant.id.into_uuid(), filter, offset, per_page + 1)
            .await
            .or_internal()?;
    let more = rows.len() as u64 > per_page;
    rows.truncate(per_page as usize);
    Ok((rows.into_iter().map(event).collect(), more))
}

fn event(r: minsheng_store::entity::audit_event::Model) -> AuditEvent {
    AuditEvent {
        id: r.id,
        at: r.at,
        actor: r.actor,
        action: r.action,
        target: r.target,
        outcome: r.outcome,
        client_ip: r.client_ip,
    }
}
