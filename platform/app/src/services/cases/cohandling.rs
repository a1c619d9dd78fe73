//! Co-handling (主办/协办): each co-handling department gives its own
//! opinion (协办意见) by its own deadline on the city calendar; the lead
//! department reads the opinions before it answers.

use super::{Entry, append, count, find, names};
use crate::access::Ctx;
use crate::model::Opinion;
use crate::services::tenants::TenantRecord;
use crate::services::{DbResultExt, commit};
use chrono::{DateTime, Utc};
use minsheng_domain::Error;
use minsheng_domain::calendar::WorkingCalendar;
use minsheng_domain::case::State;
use minsheng_domain::values::parse_text;
use minsheng_store::ConnectionTrait;
use minsheng_store::queries::cases::{self as q, StatDelta};
use uuid::Uuid;

/// Working days a co-handler has for its opinion.
pub const OPINION_DAYS: u32 = 3;

/// When a co-handler's opinion is due: [`OPINION_DAYS`] working days after
/// `now`, and never after the lead's answer deadline.
pub fn opinion_deadline(
    working: &WorkingCalendar,
    now: DateTime<Utc>,
    answer_deadline: DateTime<Utc>,
) -> DateTime<Utc> {
    working.deadline(now, OPINION_DAYS).min(answer_deadline)
}

/// The co-handlers of a case with their deadlines and opinions, in the
/// order they were named.
pub(super) async fn opinions_of(
    db: &impl ConnectionTrait,
    tenant: &TenantRecord,
    case_id: Uuid,
    names: &super::Names,
) -> Result<Vec<Opinion>, Error> {
    let rows = q::co_handlers(db, tenant.id.into_uuid(), case_id)
        .await
        .or_internal()?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let dept = names.departments.get(&r.department_id);
            Opinion {
                department: dept.map(|d| d.0.clone()).unwrap_or_default(),
                department_name: dept.map(|d| d.1.clone()).unwrap_or_default(),
                deadline: r.deadline,
                text: r.opinion,
                given_at: r.opinion_at,
                given_by: r.opinion_by,
            }
        })
        .collect())
}

/// A co-handling department's opinion on a case it co-handles, while the
/// lead has not answered. Given again, it replaces the earlier one (both
/// stay on the timeline).
pub async fn give_opinion(
    ctx: &Ctx,
    tenant: &TenantRecord,
    code: &str,
    department: &str,
    text: &str,
) -> Result<(), Error> {
    ctx.authorize(tenant, "case:answer").await?;
    let text = parse_text(text, 2, 5000).map_err(|m| Error::invalid("text", m))?;
    let tx = ctx.tx(tenant.id).await?;
    let row = find(&tx, tenant, code).await?;
    let names = names(ctx, &tx, tenant).await?;
    let department_id = names
        .departments
        .iter()
        .find(|(_, v)| v.0 == department)
        .map(|(k, _)| *k)
        .ok_or_else(|| Error::invalid("department", format!("no department {department:?}")))?;
    // Only staff of that department (or city-wide staff) speak for it.
    if let Some(scope) = ctx.department_scope(tenant, "case:answer").await {
        let handles_case = super::handles(&tx, tenant, &row, &scope).await?;
        if !handles_case {
            return Err(Error::not_found(format!("case {code:?}")));
        }
        if !scope.iter().any(|d| d.into_uuid() == department_id) {
            return Err(Error::Forbidden(
                "only staff of the co-handling department (协办单位) give its opinion".into(),
            ));
        }
    }
    let state = super::state_of(&row)?;
    if !matches!(state, State::Assigned | State::InProgress) {
        return Err(Error::Conflict {
            field: Some("state".into()),
            message: format!(
                "opinions are given while the case is being handled; it is {state} now"
            ),
        });
    }
    let Some(co) = q::co_handler(&tx, tenant.id.into_uuid(), row.id, department_id)
        .await
        .or_internal()?
    else {
        return Err(Error::invalid(
            "department",
            format!("{department:?} does not co-handle this case"),
        ));
    };
    let now = ctx.now();
    let by = ctx.principal.label();
    q::set_opinion(
        &tx,
        tenant.id.into_uuid(),
        row.id,
        department_id,
        &text,
        &by,
        now,
    )
    .await
    .or_internal()?;
    // The first opinion counts, on time if by its deadline; a later one
    // replaces its text only.
    let first = co.opinion_at.is_none();
    let on_time = co.deadline.is_none_or(|d| now <= d);
    append(
        &tx,
        tenant,
        Entry {
            case_id: row.id,
            actor: by,
            action: "opinion",
            from: None,
            to: None,
            department: Some(department_id),
            public: false,
            text: Some(text),
            detail: Some(serde_json::json!({ "first": first, "on_time": on_time })),
            at: now,
        },
    )
    .await?;
    if first {
        let delta = StatDelta {
            opinions: 1,
            opinions_on_time: i64::from(on_time),
            ..Default::default()
        };
        count(&tx, tenant, Some(department_id), now, delta).await?;
    }
    // Given: its ladder ends.
    use crate::services::escalation::{Ladder, Ladders, cancel};
    cancel(
        &tx,
        tenant,
        row.id,
        Ladders::One(Ladder::Opinion(department_id)),
        now,
    )
    .await?;
    commit(tx, ()).await
}
