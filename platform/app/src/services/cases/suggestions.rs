//! What campaigns ask of cases: a suggestion is a case of kind
//! `suggestion`, so its published answer is the case's answer (timeline,
//! statistics, its ladders ended) and its public view is the case's, with
//! the city's redaction. Campaigns call these instead of writing cases.

use super::{Entry, append, count, find, names, read::Redaction, read::public_view};
use crate::access::Ctx;
use crate::model::PublicCase;
use crate::services::DbResultExt;
use crate::services::escalation::{Ladders, cancel};
use crate::services::tenants::TenantRecord;
use chrono::{DateTime, Utc};
use minsheng_domain::Error;
use minsheng_domain::case::State;
use minsheng_store::entity::case;
use minsheng_store::queries::cases::{self as q, StatDelta};
use minsheng_store::{ConnectionTrait, DatabaseTransaction};
use sea_orm::ActiveValue::Set;

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
pub(crate) fn public_title(tenant: &TenantRecord, row: &case::Model) -> String {
    Redaction::public(tenant).text(&row.title)
}

/// Publish a working group's answer as the case's answer. The first one
/// answers the case (counted, on time or not, and its deadlines' ladders
/// end); a later one replaces the text, with its own timeline entry.
pub(crate) async fn publish_answer(
    ctx: &Ctx,
    tx: &DatabaseTransaction,
    tenant: &TenantRecord,
    row: &case::Model,
    text: String,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    let first = row.answered_at.is_none();
    let mut update = case::ActiveModel {
        answer: Set(Some(text.clone())),
        updated_at: Set(now),
        ..Default::default()
    };
    let from = State::parse(&row.state).map_err(Error::internal)?;
    let mut delta = StatDelta::default();
    if first {
        update.answered_at = Set(Some(now));
        update.state = Set(State::Answered.as_str().into());
        let on_time = now <= row.answer_deadline;
        delta.answered = 1;
        delta.answered_on_time = i64::from(on_time);
        delta.answer_seconds = (now - row.submitted_at).num_seconds().max(0);
    }
    q::update_by_id(tx, tenant.id.into_uuid(), row.id, update)
        .await
        .or_internal()?;
    append(
        tx,
        tenant,
        Entry {
            case_id: row.id,
            actor: ctx.principal.label(),
            action: if first { "answered" } else { "answer_changed" },
            from: first.then_some(from),
            to: first.then_some(State::Answered),
            department: row.lead_department_id,
            public: true,
            text: Some(text),
            detail: Some(serde_json::json!({ "suggestion": true })),
            at: now,
        },
    )
    .await?;
    if first {
        count(tx, tenant, row.lead_department_id, now, delta).await?;
        cancel(tx, tenant, row.id, Ladders::All, now).await?;
    }
    Ok(())
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
