//! The messages escalation steps queue: links to a case, times as the city
//! reads them, and emails in the city's language.

use crate::App;
use crate::services::tenants::TenantRecord;
use chrono::{DateTime, Utc};
use minsheng_store::entity::outbox;
use minsheng_store::queries::escalation as q;
use uuid::Uuid;

/// Where a case can be followed, for links in messages: the track page,
/// which shows a public case to anyone and a private one with its secret
/// or to its signed-in citizen.
pub fn case_link(state: &App, tenant: &TenantRecord, code: &str) -> String {
    format!(
        "{}/t/{}/track?code={code}",
        state.config.public_url.trim_end_matches('/'),
        tenant.slug
    )
}

/// A time as the city reads it.
pub fn local_time(tenant: &TenantRecord, at: DateTime<Utc>) -> String {
    at.with_timezone(&tenant.time_zone)
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

/// What a message may mention.
pub struct Facts<'a> {
    pub code: &'a str,
    pub title: &'a str,
    pub deadline: &'a str,
    pub department: &'a str,
    pub answer: &'a str,
    pub link: &'a str,
}

/// One email in the city's language, from the words of its pages
/// (`mail.<key>_subject`, `mail.<key>_body`).
pub fn email(
    tenant: &TenantRecord,
    case_id: Uuid,
    to: &str,
    event: &str,
    key: &str,
    facts: &Facts<'_>,
    now: DateTime<Utc>,
) -> outbox::ActiveModel {
    let words = &crate::words::words(tenant.locale)["mail"];
    // The city's own text, else the platform's in the city's language.
    let text = |name: String| {
        tenant
            .row
            .mail_templates
            .as_ref()
            .and_then(|m| m[&name].as_str())
            .or_else(|| words[&name].as_str())
            .unwrap_or(key)
            .to_owned()
    };
    let fill = |template: &str| {
        template
            .replace("{code}", facts.code)
            .replace("{title}", facts.title)
            .replace("{deadline}", facts.deadline)
            .replace("{department}", facts.department)
            .replace("{answer}", facts.answer)
            .replace("{link}", facts.link)
    };
    let subject = fill(&text(format!("{key}_subject")));
    let body = fill(&text(format!("{key}_body")));
    q::NewMessage {
        tenant_id: tenant.id.into_uuid(),
        case_id: Some(case_id),
        channel: "email",
        recipient: to.to_owned(),
        event: event.to_owned(),
        subject,
        body,
        trace_parent: crate::trace::traceparent(),
    }
    .row(now)
}
