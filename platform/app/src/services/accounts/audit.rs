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
