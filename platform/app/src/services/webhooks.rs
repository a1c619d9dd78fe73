//! Webhooks: a city registers endpoints, and its case events are delivered
//! to them through the outbox (written in the same transaction as the
//! event, sent afterwards, retried with backoff, logged). Payloads carry no
//! personal data: the case's tracking code, state, category, department
//! and what happened.

use super::DbResultExt;
use crate::access::Ctx;
use crate::model::{Notification, Webhook, WebhookCreated, WebhookInput};
use crate::services::tenants::TenantRecord;
use chrono::{DateTime, Utc};
use minsheng_domain::Error;
use minsheng_domain::error::Problems;
use minsheng_store::DatabaseTransaction;
use minsheng_store::entity::{outbox, webhook};
use minsheng_store::queries::escalation as q;
use sea_orm::ActiveValue::Set;
use uuid::Uuid;

/// The events a city can subscribe to.
pub const EVENTS: &[&str] = &[
    "case.accepted",
    "case.assigned",
    "case.answered",
    "case.closed",
    "case.rejected",
    "case.rated",
    "case.reminder",
    "case.overdue",
    "case.supervision",
    "case.escalated",
    "case.accept_reminder",
    "case.accept_overdue",
    "case.opinion_reminder",
    "case.opinion_overdue",
    "case.opinion_supervision",
    "suggestion.answered",
    "project.created",
    "project.progress_updated",
    "bulletin.published",
];

fn to_api(row: &webhook::Model) -> Webhook {
    Webhook {
        id: row.id,
        url: row.url.clone(),
        events: serde_json::from_value(row.events.clone()).unwrap_or_default(),
        created_at: row.created_at,
    }
}

pub async fn create(
    ctx: &Ctx,
    tenant: &TenantRecord,
    input: WebhookInput,
) -> Result<WebhookCreated, Error> {
    ctx.authorize(tenant, "tenant:write").await?;
    let mut p = Problems::new();
    let url = input.url.trim().to_owned();
    let parsed_ok = (url.starts_with("https://") || url.starts_with("http://"))
        && url.len() <= 500
        && url
            .split("://")
            .nth(1)
            .is_some_and(|rest| !rest.is_empty() && !rest.starts_with('/'));
    if !parsed_ok {
        p.push(
            "url",
            "give an http:// or https:// address of at most 500 characters",
        );
    }
    let events = input.events.unwrap_or_else(|| vec!["*".into()]);
    if events.is_empty() {
        p.push("events", "list at least one event, or \"*\" for all");
    }
    for (i, e) in events.iter().enumerate() {
        if e != "*" && !EVENTS.contains(&e.as_str()) {
            p.push(
                format!("events[{i}]"),
                format!("no event {e:?}; the events are {}", EVENTS.join(", ")),
            );
        }
    }
    p.finish()?;
    use base64::Engine;
    // 24 random bytes, as Standard Webhooks secrets are.
    let key = base64::engine::general_purpose::STANDARD.encode(rand::random::<[u8; 24]>());
    let secret = format!("whsec_{key}");
    let tx = ctx.tx(tenant.id).await?;
    let quota = super::quotas::limits(&tx, tenant.id).await?.webhooks;
    let endpoints = minsheng_store::queries::quotas::webhooks(&tx, tenant.id.into_uuid())
        .await
        .or_internal()?;
    super::quotas::check("webhooks", "webhook endpoints", quota, endpoints)?;
    let row = q::insert_webhook(
        &tx,
        webhook::ActiveModel {
            id: Set(Uuid::now_v7()),
            tenant_id: Set(tenant.id.into_uuid()),
            url: Set(url),
            secret: Set(secret.clone()),
            events: Set(serde_json::json!(events)),
            active: Set(true),
            created_at: Set(ctx.now()),
        },
    )
    .await
    .or_internal()?;
    tx.commit().await.or_internal()?;
    ctx.audit(
        Some(tenant.id),
        "webhook_create",
        &format!("webhook:{}", row.id),
        "ok",
    )
    .await;
    Ok(WebhookCreated {
        webhook: to_api(&row),
        secret,
    })
}

pub async fn list(ctx: &Ctx, tenant: &TenantRecord) -> Result<Vec<Webhook>, Error> {
    ctx.authorize(tenant, "tenant:write").await?;
    let tx = ctx.read_tx(tenant.id).await?;
    let rows = q::webhooks_of(&tx, tenant.id.into_uuid())
        .await
        .or_internal()?;
    tx.commit().await.or_internal()?;
    Ok(rows.iter().map(to_api).collect())
}

pub async fn remove(ctx: &Ctx, tenant: &TenantRecord, id: Uuid) -> Result<(), Error> {
    ctx.authorize(tenant, "tenant:write").await?;
    let tx = ctx.tx(tenant.id).await?;
    let found = q::deactivate_webhook(&tx, tenant.id.into_uuid(), id)
        .await
        .or_internal()?;
    tx.commit().await.or_internal()?;
    if !found {
        return Err(Error::not_found(format!("webhook {id}")));
    }
    ctx.audit(
        Some(tenant.id),
        "webhook_remove",
        &format!("webhook:{id}"),
        "ok",
    )
    .await;
    Ok(())
}

fn notification(row: outbox::Model) -> Notification {
    Notification {
        id: row.id,
        channel: row.channel,
        recipient: row.recipient,
        event: row.event,
        subject: row.subject,
        state: row.state,
        attempts: row.attempts,
        next_attempt_at: row.next_attempt_at,
        last_error: row.last_error,
        created_at: row.created_at,
        sent_at: row.sent_at,
    }
}

/// An endpoint's delivery log, newest first.
pub async fn deliveries(
    ctx: &Ctx,
    tenant: &TenantRecord,
    id: Uuid,
) -> Result<Vec<Notification>, Error> {
    ctx.authorize(tenant, "tenant:write").await?;
    let tx = ctx.read_tx(tenant.id).await?;
    let ours = q::webhook_by_id(&tx, id)
        .await
        .or_internal()?
        .is_some_and(|w| w.tenant_id == tenant.id.into_uuid());
    if !ours {
        return Err(Error::not_found(format!("webhook {id}")));
    }
    let rows = q::outbox_to(&tx, tenant.id.into_uuid(), &id.to_string(), 200)
        .await
        .or_internal()?;
    tx.commit().await.or_internal()?;
    Ok(rows.into_iter().map(notification).collect())
}

/// The city's messages (email and webhooks), newest first; `state`
/// `failed` shows what was given up.
pub async fn notifications(
    ctx: &Ctx,
    tenant: &TenantRecord,
    state: Option<&str>,
) -> Result<Vec<Notification>, Error> {
    ctx.authorize(tenant, "tenant:write").await?;
    if let Some(s) = state
        && ![q::PENDING, q::SENT, q::FAILED].contains(&s)
    {
        return Err(Error::invalid("state", "one of pending, sent, failed"));
    }
    let tx = ctx.read_tx(tenant.id).await?;
    let rows = q::outbox_of(&tx, tenant.id.into_uuid(), state, 200)
        .await
        .or_internal()?;
    tx.commit().await.or_internal()?;
    Ok(rows.into_iter().map(notification).collect())
}

/// Send a given-up message (email or webhook call) again: the workers
/// take it up at once, with all its attempts ahead of it. Only a `failed`
/// message can be resent; a webhook call needs its endpoint still there.
pub async fn resend(ctx: &Ctx, tenant: &TenantRecord, id: Uuid) -> Result<Notification, Error> {
    ctx.authorize(tenant, "tenant:write").await?;
    let tx = ctx.tx(tenant.id).await?;
    let row = q::outbox_by_id(&tx, tenant.id.into_uuid(), id)
        .await
        .or_internal()?
        .ok_or_else(|| Error::not_found(format!("notification {id}")))?;
    if row.state != q::FAILED {
        return Err(Error::conflict(
            "state",
            format!(
                "only a failed message can be resent; this one is {}",
                row.state
            ),
        ));
    }
    if row.channel == "webhook" {
        let active = match Uuid::parse_str(&row.recipient) {
            Ok(hook) => q::webhook_by_id(&tx, hook)
                .await
                .or_internal()?
                .is_some_and(|w| w.active && w.tenant_id == tenant.id.into_uuid()),
            Err(_) => false,
        };
        if !active {
            return Err(Error::conflict(
                "webhook",
                "the webhook was removed: add the endpoint again instead",
            ));
        }
    }
    if !q::requeue_outbox(&tx, tenant.id.into_uuid(), id, ctx.now())
        .await
        .or_internal()?
    {
        return Err(Error::conflict("state", "the message is no longer failed"));
    }
    let saved = q::outbox_by_id(&tx, tenant.id.into_uuid(), id)
        .await
        .or_internal()?
        .ok_or_else(|| Error::not_found(format!("notification {id}")))?;
    tx.commit().await.or_internal()?;
    ctx.audit(
        Some(tenant.id),
        "notification_resend",
        &format!("notification:{id} {}:{}", row.channel, row.event),
        "ok",
    )
    .await;
    Ok(notification(saved))
}

/// Queue `event` about a case for every endpoint of the city that wants
/// it, in the caller's transaction.
pub(crate) async fn enqueue(
    tx: &DatabaseTransaction,
    tenant: &TenantRecord,
    case_id: Uuid,
    event: &str,
    data: serde_json::Value,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    enqueue_about(tx, tenant, Some(case_id), event, data, now).await
}

/// Queue `event` (about a case, or about something else such as a
/// campaign's project) for every endpoint of the city that wants it.
pub(crate) async fn enqueue_about(
    tx: &DatabaseTransaction,
    tenant: &TenantRecord,
    case_id: Option<Uuid>,
    event: &str,
    data: serde_json::Value,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    let endpoints = q::webhooks_of(tx, tenant.id.into_uuid())
        .await
        .or_internal()?;
    let wanted: Vec<_> = endpoints
        .iter()
        .filter(|w| {
            w.events
                .as_array()
                .is_some_and(|list| list.iter().any(|e| e == "*" || e == event))
        })
        .collect();
    if wanted.is_empty() {
        return Ok(());
    }
    let body = serde_json::json!({
        "type": event,
        "timestamp": now,
        "data": data,
    })
    .to_string();
    let rows = wanted
        .iter()
        .map(|w| {
            q::NewMessage {
                tenant_id: tenant.id.into_uuid(),
                case_id,
                channel: "webhook",
                recipient: w.id.to_string(),
                event: event.to_owned(),
                subject: event.to_owned(),
                body: body.clone(),
                trace_parent: crate::trace::traceparent(),
            }
            .row(now)
        })
        .collect();
    q::insert_outbox(tx, rows).await.or_internal()
}

/// Whether any endpoint of the city wants `event` (so a bulk change can
/// skip building messages nobody receives).
pub(crate) async fn wanted(
    tx: &DatabaseTransaction,
    tenant: &TenantRecord,
    event: &str,
) -> Result<bool, Error> {
    Ok(q::webhooks_of(tx, tenant.id.into_uuid())
        .await
        .or_internal()?
        .iter()
        .any(|w| {
            w.events
                .as_array()
                .is_some_and(|list| list.iter().any(|e| e == "*" || e == event))
        }))
}

/// What a case event's payload says about the case (no personal data).
pub fn case_data(
    tenant: &TenantRecord,
    row: &minsheng_store::entity::case::Model,
    state: &str,
    department: Option<&str>,
) -> serde_json::Value {
    serde_json::json!({
        "tenant": tenant.slug,
        "tracking_code": row.tracking_code,
        "state": state,
        "department": department,
        "answer_deadline": row.answer_deadline,
    })
}

/// Sign a delivery as Standard Webhooks do: base64 of HMAC-SHA256 over
/// `{id}.{timestamp}.{body}`, keyed with the secret's base64 part.
pub fn signature(secret: &str, id: &str, timestamp: i64, body: &str) -> Result<String, Error> {
    use base64::Engine;
    use hmac::{Hmac, Mac};
    let engine = base64::engine::general_purpose::STANDARD;
    let key = engine
        .decode(secret.trim_start_matches("whsec_"))
        .map_err(|e| Error::internal(format!("webhook secret: {e}")))?;
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(&key).map_err(Error::internal)?;
    mac.update(format!("{id}.{timestamp}.{body}").as_bytes());
    Ok(format!("v1,{}", engine.encode(mac.finalize().into_bytes())))
}
