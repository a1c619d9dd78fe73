//! What campaigns ask of cases: a suggestion is a case of kind
//! `suggestion`, so its published answer is the case's answer (timeline,
//! statistics, its ladders ended) and its public view is the case's, with
//! the city's redaction. Campaigns call these instead of writing cases.

use super::{Entry, append, count, find, names, read::Redaction, read::public_view};
use crate::access::Ctx;
use crate::model::PublicCase;
use crate::services::DbResultExt;
use crate::services::tenants::TenantRecord;
use chrono::{DateTime, Utc};
use minsheng_domain::Error;
use minsheng_domain::case::State;
use minsheng_store::entity::case;
use minsheng_store::queries::cases::{self as q, StatDelta};
use minsheng_store::{ConnectionTrait, DatabaseTransaction};
use sea_orm::ActiveValue::Set;
use std::collections::HashMap;
use uuid::Uuid;

/// A suggestion's case by tracking code; another kind of case is "not
/// found" here.
pub(crate) async fn find_suggestion(
    db: &impl ConnectionTrait,
    tenant: &TenantRecord,
    code: &str,
) -> Result<case::Model, Error> {
    let row = find(db, tenant, code).await?;
    if row.kind != crate::services::intake::SUGGESTION {
        return Err(Error::not_found(format!("suggestion {code:?}")));
    }
    Ok(row)
}

/// Public views of cases, as anyone may read them.
pub(crate) async fn public_views(
    ctx: &Ctx,
    db: &impl ConnectionTrait,
    tenant: &TenantRecord,
    rows: &[case::Model],
) -> Result<Vec<PublicCase>, Error> {
    let names = names(ctx, db, tenant).await?;
    let shown = Redaction::public(tenant);
    Ok(rows.iter().map(|r| public_view(r, &names, shown)).collect())
}

/// The text the public reads of one case's title.
pub(crate) fn public_title(tenant: &TenantRecord, title: &str) -> String {
    Redaction::public(tenant).text(title)
}

/// Suggestions' cases by tracking codes as people type them; a code that
/// names no suggestion of the city is `None` in its place.
pub(crate) async fn find_suggestions(
    db: &impl ConnectionTrait,
    tenant: &TenantRecord,
    codes: &[String],
) -> Result<Vec<Option<case::Model>>, Error> {
    let normal: Vec<Option<String>> = codes
        .iter()
        .map(|c| minsheng_domain::case::normalize_tracking_code(c))
        .collect();
    let wanted: Vec<String> = normal.iter().flatten().cloned().collect();
    let rows = q::by_codes(db, tenant.id.into_uuid(), &wanted)
        .await
        .or_internal()?;
    Ok(normal
        .iter()
        .map(|code| {
            code.as_ref().and_then(|code| {
                rows.iter()
                    .find(|r| {
                        r.tracking_code == *code && r.kind == crate::services::intake::SUGGESTION
                    })
                    .cloned()
            })
        })
        .collect())
}

/// Publish working groups' answers as their cases' answers, together. A
/// case's first answer answers it (counted, on time or not, and its
/// deadlines' ladders end); a later one replaces the text. Each has its
/// public timeline entry.
pub(crate) async fn publish_answers(
    ctx: &Ctx,
    tx: &DatabaseTransaction,
    tenant: &TenantRecord,
    items: Vec<(&case::Model, String)>,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    let t = tenant.id.into_uuid();
    let actor = ctx.principal.label();
    let mut by_text: HashMap<(String, bool), Vec<Uuid>> = HashMap::new();
    let mut events = Vec::new();
    let mut deltas: HashMap<Option<Uuid>, StatDelta> = HashMap::new();
    let mut first_ids = Vec::new();
    for (row, text) in items {
        let first = row.answered_at.is_none();
        let from = State::parse(&row.state).map_err(Error::internal)?;
        by_text
            .entry((text.clone(), first))
            .or_default()
            .push(row.id);
        if first {
            first_ids.push(row.id);
            let delta = deltas.entry(row.lead_department_id).or_default();
            delta.answered += 1;
            delta.answered_on_time += i64::from(now <= row.answer_deadline);
            delta.answer_seconds += (now - row.submitted_at).num_seconds().max(0);
        }
        events.push(
            Entry {
                case_id: row.id,
                actor: actor.clone(),
                action: if first { "answered" } else { "answer_changed" },
                from: first.then_some(from),
                to: first.then_some(State::Answered),
                department: row.lead_department_id,
                public: true,
                text: Some(text),
                detail: Some(serde_json::json!({ "suggestion": true })),
                at: now,
            }
            .row(tenant),
        );
    }
    for ((text, first), ids) in by_text {
        let mut update = case::ActiveModel {
            answer: Set(Some(text)),
            updated_at: Set(now),
            ..Default::default()
        };
        if first {
            update.answered_at = Set(Some(now));
            update.state = Set(State::Answered.as_str().into());
        }
        q::update_by_ids(tx, t, &ids, update).await.or_internal()?;
    }
    q::insert_batch(tx, Vec::new(), events, Vec::new())
        .await
        .or_internal()?;
    let mut deltas: Vec<_> = deltas.into_iter().collect();
    deltas.sort_by_key(|(d, _)| *d);
    for (department, delta) in deltas {
        count(tx, tenant, department, now, delta).await?;
    }
    minsheng_store::queries::escalation::cancel_due_many(tx, t, &first_ids, now)
        .await
        .or_internal()
}

/// Note on a suggestion's timeline that it was merged into a cluster.
pub(crate) async fn note_merge(
    ctx: &Ctx,
    tx: &DatabaseTransaction,
    tenant: &TenantRecord,
    row: &case::Model,
    cluster: &str,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    append(
        tx,
        tenant,
        Entry {
            case_id: row.id,
            actor: ctx.principal.label(),
            action: "merged",
            from: None,
            to: None,
            department: row.lead_department_id,
            public: true,
            text: Some(cluster.to_owned()),
            detail: Some(serde_json::json!({ "cluster": cluster })),
            at: now,
        },
    )
    .await
}
