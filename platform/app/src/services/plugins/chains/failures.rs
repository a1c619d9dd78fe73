//! Failure counting: what each rule run leaves to record, a plugin disabled
//! after too many failures in a row, and the city's administrators told.

use super::Link;
use crate::App;
use crate::services::DbResultExt;
use crate::services::tenants::TenantRecord;
use chrono::{DateTime, Utc};
use minsheng_domain::Error;
use minsheng_plugin_host::Failure;
use minsheng_store::queries::plugins as q;
use uuid::Uuid;

/// A rule run to record after the submission: failures counted, successes
/// end a run of failures.
pub struct Tally {
    pub plugin: Uuid,
    pub name: String,
    pub failed: Option<Failure>,
    pub had_failures: bool,
}

impl Tally {
    pub fn of(link: &Link, failed: Option<Failure>) -> Self {
        Self {
            plugin: link.id,
            name: link.name.clone(),
            had_failures: failed.is_some() || link.failures > 0,
            failed,
        }
    }
}

/// Record what happened to each plugin: failures are counted (and may
/// disable the plugin, telling the city's administrators); a success ends
/// a run of failures. Errors are logged, never returned: the citizen's case
/// is already saved.
pub async fn record(state: &App, tenant: &TenantRecord, tallies: Vec<Tally>, now: DateTime<Utc>) {
    let t = tenant.id.into_uuid();
    let limit = i32::try_from(state.config.plugin_failure_limit.max(1)).unwrap_or(5);
    for tally in tallies {
        if tally.failed.is_none() && !tally.had_failures {
            continue;
        }
        let result = async {
            let tx = state.tenant_tx(tenant.id).await?;
            match &tally.failed {
                None => q::reset_failures(&tx, t, tally.plugin)
                    .await
                    .or_internal()?,
                Some(failure) => {
                    // The server's own trouble (the engine, a full
                    // instance pool, a component it cannot compile) is
                    // recorded but not held against the plugin.
                    let counts = !matches!(failure, Failure::Instantiate(_));
                    let error = failure.to_string();
                    let disabled =
                        q::record_failure(&tx, t, tally.plugin, &error, counts, limit, now)
                            .await
                            .or_internal()?;
                    if disabled {
                        tell_admins(state, &tx, tenant, &tally.name, limit, failure, now).await?;
                    }
                }
            }
            tx.commit().await.or_internal()?;
            Ok::<_, Error>(tally.failed.is_some())
        }
        .await;
        match result {
            Ok(true) => state.rules.forget(t),
            Ok(false) => {}
            Err(e) => {
                tracing::warn!(error = %e, plugin = %tally.name, "could not record a rule run")
            }
        }
    }
}

async fn tell_admins(
    state: &App,
    tx: &minsheng_store::DatabaseTransaction,
    tenant: &TenantRecord,
    plugin: &str,
    limit: i32,
    failure: &Failure,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    use minsheng_store::queries::escalation as eq;
    let t = tenant.id.into_uuid();
    let admins = eq::staff_emails(tx, t, None, Some(minsheng_domain::access::CITY_ADMIN))
        .await
        .or_internal()?;
    let subject = format!(
        "[{}] 规则插件 {plugin} 已停用 / rule plugin {plugin} disabled",
        tenant.name
    );
    let body = format!(
        "规则插件 {plugin} 连续 {limit} 次运行失败，已自动停用；案件改按默认规则分办。\n\
         The rule plugin {plugin} failed {limit} times in a row and has been disabled; cases follow the default routing.\n\n\
         最后一次错误 / Last error: {failure}\n\n{}/api/v1/tenants/{}/plugins\n",
        state.config.public_url.trim_end_matches('/'),
        tenant.slug
    );
    let messages = admins
        .into_iter()
        .map(|to| {
            eq::NewMessage {
                tenant_id: t,
                case_id: None,
                channel: "email",
                recipient: to,
                event: "plugin.disabled".into(),
                subject: subject.clone(),
                body: body.clone(),
                trace_parent: crate::trace::traceparent(),
            }
            .row(now)
        })
        .collect();
    eq::insert_outbox(tx, messages).await.or_internal()?;
    tracing::warn!(tenant = %tenant.slug, plugin, "rule plugin disabled after repeated failures");
    Ok(())
}
