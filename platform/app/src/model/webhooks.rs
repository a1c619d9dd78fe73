//! Webhooks and the messages (emails and webhook calls) a city sends.

use chrono::{DateTime, Utc};
use poem_openapi::Object;
use serde::Serialize;
use uuid::Uuid;

/// An endpoint that is told about the city's case events.
#[derive(Clone, Debug, Object, Serialize)]
pub struct Webhook {
    pub id: Uuid,
    pub url: String,
    /// Event types (`case.answered`, `case.overdue`, …) or `*` for all.
    pub events: Vec<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(Clone, Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct WebhookInput {
    /// `https://…` (or `http://` for an endpoint on a private network).
    pub url: String,
    /// Event types to send; default: all (`*`).
    pub events: Option<Vec<String>>,
}

/// A new endpoint: keep the secret, it is shown once. Deliveries are
/// signed with it as Standard Webhooks describe (`webhook-id`,
/// `webhook-timestamp`, `webhook-signature: v1,<base64 HMAC-SHA256 of
/// "{id}.{timestamp}.{body}">`, keyed with the secret's base64 part).
#[derive(Clone, Debug, Object, Serialize)]
pub struct WebhookCreated {
    pub webhook: Webhook,
    pub secret: String,
}

/// A message the city sent or is sending: an email or a webhook call.
#[derive(Clone, Debug, Object, Serialize)]
pub struct Notification {
    pub id: Uuid,
    /// `email` or `webhook`.
    pub channel: String,
    /// The address, or the webhook's id.
    pub recipient: String,
    pub event: String,
    pub subject: String,
    /// `pending`, `sent` or `failed` (given up).
    pub state: String,
    pub attempts: i32,
    pub next_attempt_at: DateTime<Utc>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}
