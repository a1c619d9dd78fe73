//! Delivering the outbox: messages written in the same transaction as what
//! they announce are sent afterwards by the workers: email over SMTP, and
//! webhook calls over HTTP, signed. A failed
//! attempt is retried with exponential backoff (2, 4, 8 … seconds, at most
//! an hour apart); twelve failed attempts, a recipient that is no address
//! or a removed webhook give up and leave the message `failed` for the
//! city's admins to see. A mail server's refusal is retried like any
//! failure: it may be its configuration, fixed within the hour. A server
//! without SMTP configured keeps its messages pending: nothing is lost.

use super::DbResultExt;
use super::escalation::Worker;
use crate::App;
use chrono::{DateTime, Duration, Utc};
use lettre::message::{Mailbox, header::ContentType};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use minsheng_domain::Error;
use minsheng_store::Scope;
use minsheng_store::entity::outbox;
use minsheng_store::queries::escalation::{self as q, Delivery};
use tracing::Instrument;
use tracing_opentelemetry::OpenTelemetrySpanExt;

/// Attempts before a message is given up.
pub const MAX_ATTEMPTS: i32 = 12;

/// Send every message that is due at `now`; returns how many were sent.
pub async fn deliver_due(state: &App, worker: &Worker, now: DateTime<Utc>) -> Result<u64, Error> {
    // Without SMTP (or with a sender that is not an address), email waits
    // in the outbox; webhooks still go.
    let from: Option<Mailbox> = match state.config.mail_from.parse() {
        Ok(from) => Some(from),
        Err(e) => {
            tracing::warn!(error = %e, "mail_from is not an address: email waits");
            None
        }
    };
    let smtp = match (
        state.config.smtp_url.as_deref().filter(|u| !u.is_empty()),
        from,
    ) {
        (Some(url), Some(from)) => match transport(url) {
            Ok(t) => Some((t, from)),
            Err(e) => {
                tracing::warn!(error = %e, "email waits");
                None
            }
        },
        _ => None,
    };
    let http = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(Error::internal)?;
    let mut sent = 0;
    let mut slugs = std::collections::HashMap::new();
    loop {
        let claimed = {
            let tx = state.store.begin(Scope::Platform).await.or_internal()?;
            let rows =
                q::claim_outbox(&tx, &worker.id, now, now + worker.lease, 32, smtp.is_none())
                    .await
                    .or_internal()?;
            tx.commit().await.or_internal()?;
            rows
        };
        if claimed.is_empty() {
            return Ok(sent);
        }
        for message in claimed {
            let span = delivery_span(state, &mut slugs, &message).await;
            let outcome = async {
                match (message.channel.as_str(), &smtp) {
                    ("email", Some((transport, from))) => send(transport, from, &message).await,
                    ("webhook", _) => call(state, &http, &message).await,
                    (other, _) => Err((format!("cannot send on channel {other:?}"), true)),
                }
            }
            .instrument(span.clone())
            .await;
            if outcome.is_err() {
                span.record("otel.status_code", "ERROR");
            }
            let delivery = match outcome {
                Ok(()) => {
                    sent += 1;
                    Delivery::Sent { at: Utc::now() }
                }
                Err((error, permanent)) if permanent || message.attempts + 1 >= MAX_ATTEMPTS => {
                    tracing::warn!(message = %message.id, %error, "message given up");
                    Delivery::GaveUp { error }
                }
                Err((error, _)) => Delivery::Retry {
                    at: Utc::now() + backoff(message.attempts + 1),
                    error,
                },
            };
            let outcome = match &delivery {
                Delivery::Sent { .. } => "sent",
                Delivery::Retry { .. } => "retry",
                Delivery::GaveUp { .. } => "failed",
            };
            state.metrics.count(
                "minsheng_messages_total",
                vec![
                    ("channel", message.channel.clone()),
                    ("outcome", outcome.to_owned()),
                ],
            );
            let tx = state.store.begin(Scope::Platform).await.or_internal()?;
            q::settle_outbox(&tx, message.id, &worker.id, delivery)
                .await
                .or_internal()?;
            tx.commit().await.or_internal()?;
        }
    }
}

/// The span of one delivery: a child of whatever queued the message (a
/// staff action, a rating, an escalation step), so the trace follows a
/// case event to the receiving system.
async fn delivery_span(
    state: &App,
    slugs: &mut std::collections::HashMap<uuid::Uuid, String>,
    message: &outbox::Model,
) -> tracing::Span {
    // The city's slug only matters to exported spans: no query otherwise.
    if crate::trace::exporting()
        && !slugs.contains_key(&message.tenant_id)
        && let Ok(Some(t)) =
            minsheng_store::queries::tenants::by_id(state.store.db(), message.tenant_id).await
    {
        slugs.insert(message.tenant_id, t.slug);
    }
    let span = tracing::info_span!(
        "deliver",
        otel.name = %format!("deliver {}", message.channel),
        otel.kind = "client",
        otel.status_code = tracing::field::Empty,
        minsheng.tenant = slugs.get(&message.tenant_id).map_or("", String::as_str),
        message.channel = %message.channel,
        message.event = %message.event,
        message.attempt = message.attempts + 1,
    );
    if let Some(parent) = message.trace_parent.as_deref() {
        span.set_parent(crate::trace::from_traceparent(parent));
    }
    span
}

/// Deliver one webhook call, signed as Standard Webhooks describe. A 2xx
/// answer is delivered; anything else is tried again later; a removed
/// endpoint is given up.
async fn call(
    state: &App,
    http: &reqwest::Client,
    message: &outbox::Model,
) -> Result<(), (String, bool)> {
    let id = uuid::Uuid::parse_str(&message.recipient)
        .map_err(|_| ("the recipient is not a webhook id".to_owned(), true))?;
    let endpoint = {
        let tx = state
            .store
            .begin(Scope::Platform)
            .await
            .map_err(|e| (e.to_string(), false))?;
        let row = q::webhook_by_id(&tx, id)
            .await
            .map_err(|e| (e.to_string(), false))?;
        let _ = tx.commit().await;
        row
    };
    let Some(endpoint) = endpoint.filter(|w| w.active && w.tenant_id == message.tenant_id) else {
        return Err(("the webhook was removed".into(), true));
    };
    let timestamp = Utc::now().timestamp();
    let msg_id = message.id.to_string();
    let signature = super::webhooks::signature(&endpoint.secret, &msg_id, timestamp, &message.body)
        .map_err(|e| (e.to_string(), true))?;
    let resp = http
        .post(&endpoint.url)
        .header("content-type", "application/json")
        .header("webhook-id", &msg_id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signature);
    // The receiver's trace continues the delivery's (W3C trace context).
    let resp = match crate::trace::traceparent().or_else(|| message.trace_parent.clone()) {
        Some(traceparent) => resp.header("traceparent", traceparent),
        None => resp,
    };
    let resp = resp
        .body(message.body.clone())
        .send()
        .await
        .map_err(|e| (format!("cannot reach the endpoint: {e}"), false))?;
    let status = resp.status();
    if status.is_success() {
        Ok(())
    } else {
        Err((format!("the endpoint answered {status}"), false))
    }
}

/// The wait before attempt `n + 1`.
pub fn backoff(attempts: i32) -> Duration {
    let exponent = u32::try_from(attempts.clamp(1, 12)).unwrap_or(12);
    Duration::seconds(2_i64.pow(exponent).min(3600))
}

fn transport(url: &str) -> Result<AsyncSmtpTransport<Tokio1Executor>, Error> {
    let shown = crate::config::redact_url(url);
    AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
        .map(|b| b.timeout(Some(std::time::Duration::from_secs(20))).build())
        .map_err(|e| Error::internal(format!("smtp_url {shown}: {e}")))
}

/// Send one email; an error says what went wrong and whether trying again
/// could help.
async fn send(
    transport: &AsyncSmtpTransport<Tokio1Executor>,
    from: &Mailbox,
    message: &outbox::Model,
) -> Result<(), (String, bool)> {
    let to: Mailbox = message
        .recipient
        .parse()
        .map_err(|e| (format!("recipient is not an address: {e}"), true))?;
    let email = Message::builder()
        .from(from.clone())
        .to(to)
        .subject(message.subject.clone())
        .header(ContentType::TEXT_PLAIN)
        .body(message.body.clone())
        .map_err(|e| (format!("cannot build the message: {e}"), true))?;
    transport
        .send(email)
        .await
        .map(|_| ())
        // Even a permanent refusal may be the server's configuration (a
        // wrong password): retried until the attempts run out.
        .map_err(|e| (e.to_string(), false))
}

#[cfg(test)]
mod tests {
    #[test]
    fn backoff_doubles_up_to_an_hour() {
        assert_eq!(super::backoff(1).num_seconds(), 2);
        assert_eq!(super::backoff(3).num_seconds(), 8);
        assert_eq!(super::backoff(12).num_seconds(), 3600);
        assert_eq!(super::backoff(40).num_seconds(), 3600);
    }
}
