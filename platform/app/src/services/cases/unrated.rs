//! Answers the citizen does not rate close by themselves (自动办结) after
//! the city's `close_unrated_after_days` working days: the escalation
//! engine's close ladder, started with the answer and ended by a rating,
//! closes the case through the state machine here.

use super::{Entry, append, conflict, facts_of, state_of};
use crate::services::DbResultExt;
use crate::services::tenants::TenantRecord;
use chrono::{DateTime, Utc};
use minsheng_domain::Error;
use minsheng_domain::calendar::WorkingCalendar;
use minsheng_domain::case::{self as machine, Action};
use minsheng_store::DatabaseTransaction;
use minsheng_store::entity::case;
use minsheng_store::queries::cases as q;
use sea_orm::ActiveValue::Set;

/// When an answer given at `answered_at` closes if nobody rates it: the
/// end of the city's `close_unrated_after_days`-th working day after it.
pub fn close_unrated_at(
    tenant: &TenantRecord,
    calendar: &WorkingCalendar,
    answered_at: DateTime<Utc>,
) -> DateTime<Utc> {
    let days = tenant.publication().close_unrated_after_days.max(1);
    calendar.deadline(answered_at, days)
}

/// Close an answered, unrated case as the system, in the escalation
/// step's transaction (the case is locked and checked): `closed_at`, a
/// public timeline entry `auto_closed` and the `case.closed` webhook a
/// staff close sends. `department` is the lead department's code.
pub(crate) async fn close_unrated(
    tx: &DatabaseTransaction,
    tenant: &TenantRecord,
    row: &case::Model,
    department: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    let from = state_of(row)?;
    let step = machine::apply(from, facts_of(row), Action::Close).map_err(conflict)?;
    let update = case::ActiveModel {
        state: Set(step.to.as_str().to_owned()),
        closed_at: Set(Some(now)),
        updated_at: Set(now),
        ..Default::default()
    };
    if !q::update_fenced(tx, tenant.id.into_uuid(), row.id, &row.state, update)
        .await
        .or_internal()?
    {
        return Err(Error::internal("a locked case changed before it closed"));
    }
    append(
        tx,
        tenant,
        Entry {
            case_id: row.id,
            actor: "system".into(),
            action: "auto_closed",
            from: Some(from),
            to: Some(step.to),
            department: row.lead_department_id,
            public: true,
            text: None,
            detail: Some(serde_json::json!({ "answered_at": row.answered_at })),
            at: now,
        },
    )
    .await?;
    crate::services::webhooks::enqueue(
        tx,
        tenant,
        row.id,
        "case.closed",
        crate::services::webhooks::case_data(tenant, row, step.to.as_str(), department),
        now,
    )
    .await
}
