//! What the city's staff do to a case: the lifecycle's actions, releasing
//! a held case and internal notes.

use super::read::get;
use super::{
    Access, Entry, access_to, append, conflict, count, facts_of, find, handles, holds, names,
    state_of,
};
use crate::access::Ctx;
use crate::model::{CaseDetail, ReleaseInput};
use crate::services::tenants::TenantRecord;
use crate::services::{DbResultExt, calendar, commit};
use chrono::{DateTime, Utc};
use minsheng_domain::Error;
use minsheng_domain::case::{self as machine, Action};
use minsheng_domain::values::{parse_optional_text, parse_text};
use minsheng_store::entity::{case, department};
use minsheng_store::queries::cases::{self as q, StatDelta};
use minsheng_store::queries::directory;
use minsheng_store::{ConnectionTrait, DatabaseTransaction};
use sea_orm::ActiveValue::Set;
use uuid::Uuid;

/// A staff action on a case.
#[derive(Clone, Debug)]
pub enum StaffAction {
    Accept,
    Reject {
        reason: String,
    },
    Assign {
        lead: Option<String>,
        co: Vec<String>,
    },
    Start,
    Transfer {
        to: String,
        reason: String,
    },
    Return {
        reason: String,
    },
    RequestExtension {
        working_days: u32,
        reason: String,
    },
    DecideExtension {
        approve: bool,
        reason: Option<String>,
    },
    Answer {
        text: String,
    },
    Close,
}

impl StaffAction {
    fn action(&self) -> Action {
        match self {
            Self::Accept => Action::Accept,
            Self::Reject { .. } => Action::Reject,
            Self::Assign { .. } => Action::Assign,
            Self::Start => Action::Start,
            Self::Transfer { .. } => Action::Transfer,
            Self::Return { .. } => Action::Return,
            Self::RequestExtension { .. } => Action::RequestExtension,
            Self::DecideExtension { .. } => Action::DecideExtension,
            Self::Answer { .. } => Action::Answer,
            Self::Close => Action::Close,
        }
    }

    /// The permission the action needs.
    fn permission(&self) -> &'static str {
        match self {
            Self::Accept | Self::Reject { .. } | Self::Close => "case:accept",
            Self::Assign { .. } => "case:assign",
            Self::DecideExtension { .. } => "case:supervise",
            Self::Start
            | Self::Transfer { .. }
            | Self::Return { .. }
            | Self::RequestExtension { .. }
            | Self::Answer { .. } => "case:answer",
        }
    }
}

/// Decide about a held case (held by a rule, or by the city's review
/// before publication): publish it, when the citizen wanted it public, or
/// keep it private for the reason given. Either way an internal timeline
/// entry says which: `released` (with whether it became public) or
/// `kept_private` (with the reason).
pub async fn release(
    ctx: &Ctx,
    tenant: &TenantRecord,
    code: &str,
    decision: &ReleaseInput,
) -> Result<(), Error> {
    ctx.authorize(tenant, "case:accept").await?;
    let reason = match decision.reason.as_deref() {
        Some(reason) => Some(parse_text(reason, 2, 500).map_err(|m| Error::invalid("reason", m))?),
        None if !decision.publish => {
            return Err(Error::invalid(
                "reason",
                "say why the case stays private (2 to 500 characters)",
            ));
        }
        None => None,
    };
    let tx = ctx.tx(tenant.id).await?;
    let row = find(&tx, tenant, code).await?;
    if !matches!(
        access_to(ctx, &tx, tenant, &row, None).await?,
        Access::Staff
    ) {
        return Err(Error::not_found(format!("case {code:?}")));
    }
    let Some(review) = row.review.clone() else {
        return Err(Error::Conflict {
            field: Some("review".into()),
            message: "this case is not held for review".into(),
        });
    };
    let public = decision.publish && review["public"].as_bool().unwrap_or(false);
    let now = ctx.now();
    q::update_by_id(
        &tx,
        tenant.id.into_uuid(),
        row.id,
        case::ActiveModel {
            review: Set(None),
            public: Set(public),
            updated_at: Set(now),
            ..Default::default()
        },
    )
    .await
    .or_internal()?;
    append(
        &tx,
        tenant,
        Entry {
            case_id: row.id,
            actor: ctx.principal.label(),
            action: if decision.publish {
                "released"
            } else {
                "kept_private"
            },
            from: None,
            to: None,
            department: row.lead_department_id,
            public: false,
            text: reason,
            detail: Some(serde_json::json!({ "public": public })),
            at: now,
        },
    )
    .await?;
    commit(tx, ()).await
}

async fn department_by_code(
    db: &impl ConnectionTrait,
    tenant: &TenantRecord,
    field: &str,
    code: &str,
) -> Result<Uuid, Error> {
    directory::by_code::<department::Entity>(db, tenant.id.into_uuid(), code)
        .await
        .or_internal()?
        .filter(|d| d.active)
        .map(|d| d.id)
        .ok_or_else(|| Error::invalid(field, format!("no active department {code:?} in this city")))
}

/// Do `action` to the case, as a member of the city's staff.
#[tracing::instrument(name = "case.act", skip_all, fields(minsheng.tenant = %tenant.slug))]
pub async fn act(
    ctx: &Ctx,
    tenant: &TenantRecord,
    code: &str,
    action: StaffAction,
) -> Result<CaseDetail, Error> {
    // Dispatchers reroute any case; the lead department may transfer its own.
    let permission = match &action {
        StaffAction::Transfer { .. } if holds(ctx, tenant, "case:assign").await => "case:assign",
        _ => action.permission(),
    };
    ctx.authorize(tenant, permission).await?;
    let tx = ctx.tx(tenant.id).await?;
    let row = find(&tx, tenant, code).await?;
    // Department staff act only on the cases their departments lead.
    if let Some(scope) = ctx.department_scope(tenant, permission).await {
        if !handles(&tx, tenant, &row, &scope).await? {
            return Err(Error::not_found(format!("case {code:?}")));
        }
        let leads = row
            .lead_department_id
            .is_some_and(|d| scope.iter().any(|s| s.into_uuid() == d));
        if !leads {
            return Err(Error::Forbidden(
                "only the lead department (主办) may do this".into(),
            ));
        }
    }
    let from = state_of(&row)?;
    let step = machine::apply(from, facts_of(&row), action.action()).map_err(conflict)?;
    let now = ctx.now();
    let mut update = case::ActiveModel {
        state: Set(step.to.as_str().to_owned()),
        extension_pending: Set(step.extension_pending),
        reopened: Set(i32::try_from(step.reopened).unwrap_or(i32::MAX)),
        updated_at: Set(now),
        ..Default::default()
    };
    let mut lead = row.lead_department_id;
    let (mut public, mut text, mut detail, mut delta) = (true, None, None, StatDelta::default());
    let mut update_deadline = None;
    match &action {
        StaffAction::Accept => {
            update.accepted_at = Set(Some(now));
            delta.accepted = 1;
        }
        StaffAction::Reject { reason } => {
            text = Some(parse_text(reason, 2, 1000).map_err(|m| Error::invalid("reason", m))?);
            update.closed_at = Set(Some(now));
        }
        StaffAction::Assign { lead: given, co } => {
            let chosen = match given {
                Some(code) => Some(department_by_code(&tx, tenant, "lead", code).await?),
                None => row.lead_department_id,
            };
            let chosen = chosen.ok_or_else(|| {
                Error::invalid("lead", "this category has no default department: name one")
            })?;
            let mut co_ids = Vec::new();
            let mut co_codes = Vec::new();
            for (i, code) in co.iter().enumerate() {
                let id = department_by_code(&tx, tenant, &format!("co[{i}]"), code).await?;
                if id != chosen && !co_ids.contains(&id) {
                    co_ids.push(id);
                    co_codes.push(code.clone());
                }
            }
            let working = calendar::working_calendar(&tx, tenant).await?;
            let due = super::cohandling::opinion_deadline(&working, now, row.answer_deadline);
            let given =
                q::set_co_departments(&tx, tenant.id.into_uuid(), row.id, &co_ids, Some(due))
                    .await
                    .or_internal()?;
            // Each department newly named co-handler counts the case once
            // (the timeline names them, for a recount).
            let named: Vec<&String> = co_ids
                .iter()
                .zip(&co_codes)
                .filter(|(id, _)| given.contains(id))
                .map(|(_, code)| code)
                .collect();
            if !named.is_empty() {
                detail = Some(serde_json::json!({ "co_handlers": named }));
            }
            for d in given {
                let one = StatDelta {
                    co_handled: 1,
                    ..Default::default()
                };
                count(&tx, tenant, Some(d), now, one).await?;
            }
            lead = Some(chosen);
            update.lead_department_id = Set(lead);
        }
        StaffAction::Start => {}
        StaffAction::Transfer { to, reason } => {
            text = Some(parse_text(reason, 2, 1000).map_err(|m| Error::invalid("reason", m))?);
            let to = department_by_code(&tx, tenant, "to", to).await?;
            if Some(to) == row.lead_department_id {
                return Err(Error::invalid(
                    "to",
                    "the case is already with this department",
                ));
            }
            lead = Some(to);
            update.lead_department_id = Set(lead);
        }
        StaffAction::Return { reason } => {
            text = Some(parse_text(reason, 2, 1000).map_err(|m| Error::invalid("reason", m))?);
        }
        StaffAction::RequestExtension {
            working_days,
            reason,
        } => {
            if !(1..=30).contains(working_days) {
                return Err(Error::invalid("working_days", "must be between 1 and 30"));
            }
            text = Some(parse_text(reason, 2, 1000).map_err(|m| Error::invalid("reason", m))?);
            detail = Some(serde_json::json!({ "days": working_days }));
            public = false;
        }
        StaffAction::DecideExtension { approve, reason } => {
            text = parse_optional_text(reason.as_deref(), 1000)
                .map_err(|m| Error::invalid("reason", m))?;
            if *approve {
                let days = requested_days(&tx, tenant, row.id).await?;
                let working = calendar::working_calendar(&tx, tenant).await?;
                let extended =
                    working.deadline(row.answer_deadline - chrono::Duration::seconds(1), days);
                update.answer_deadline = Set(extended);
                update.escalation_level = Set(0);
                update_deadline = Some(extended);
                detail = Some(
                    serde_json::json!({ "approved": true, "days": days, "answer_deadline": extended }),
                );
            } else {
                detail = Some(serde_json::json!({ "approved": false }));
            }
        }
        StaffAction::Answer { text: answer } => {
            let answer = parse_text(answer, 2, 5000).map_err(|m| Error::invalid("text", m))?;
            // A reopened case's second answer does not count again.
            let first = row.answered_at.is_none();
            let on_time = now <= row.answer_deadline;
            let seconds = (now - row.submitted_at).num_seconds().max(0);
            update.answer = Set(Some(answer.clone()));
            update.answered_at = Set(Some(now));
            update.rating = Set(None);
            update.rating_comment = Set(None);
            update.rated_at = Set(None);
            text = Some(answer);
            detail =
                Some(serde_json::json!({ "first": first, "on_time": on_time, "seconds": seconds }));
            if first {
                delta.answered = 1;
                delta.answered_on_time = i64::from(on_time);
                delta.answer_seconds = seconds;
            }
        }
        StaffAction::Close => {
            update.closed_at = Set(Some(now));
        }
    }
    if !q::update_fenced(&tx, tenant.id.into_uuid(), row.id, &row.state, update)
        .await
        .or_internal()?
    {
        return Err(Error::Conflict {
            field: Some("state".into()),
            message: "the case changed while you were acting on it; reload and try again".into(),
        });
    }
    if let (StaffAction::Answer { .. }, Some(answer)) = (&action, &text) {
        crate::services::search::index_answer(&tx, tenant, row.id, answer).await?;
    }
    let to = (step.to != from).then_some(step.to);
    append(
        &tx,
        tenant,
        Entry {
            case_id: row.id,
            actor: ctx.principal.label(),
            action: action.action().as_str(),
            from: Some(from),
            to,
            department: lead,
            public,
            text,
            detail,
            at: now,
        },
    )
    .await?;
    if delta != StatDelta::default() {
        count(&tx, tenant, lead, now, delta).await?;
    }
    follow_up(ctx, &tx, tenant, &row, &action, update_deadline, lead, now).await?;
    tx.commit().await.or_internal()?;
    if matches!(action, StaffAction::Answer { .. }) {
        ctx.app.metrics.count(
            "minsheng_cases_answered_total",
            vec![("tenant", tenant.slug.clone())],
        );
    }
    get(ctx, tenant, code, None).await
}

/// What a staff action means for the case's ladders and the citizen's
/// mail, in the action's transaction: an answer, a rejection or closing
/// ends every ladder (an answer starts the one that closes it unrated);
/// accepting ends the acceptance ladder; assigning starts the
/// co-handlers' opinion ladders, a transfer or return ends them; an
/// extension starts the answer ladder again for the new deadline; an
/// answer is mailed to the citizen who left an address.
#[allow(clippy::too_many_arguments)]
async fn follow_up(
    ctx: &Ctx,
    tx: &DatabaseTransaction,
    tenant: &TenantRecord,
    row: &case::Model,
    action: &StaffAction,
    new_deadline: Option<DateTime<Utc>>,
    lead: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    use crate::services::escalation::{self, Ladder, Ladders};
    let event = match action {
        StaffAction::Accept => Some(("case.accepted", "accepted")),
        StaffAction::Assign { .. } => Some(("case.assigned", "assigned")),
        StaffAction::Answer { .. } => Some(("case.answered", "answered")),
        StaffAction::Close => Some(("case.closed", "closed")),
        StaffAction::Reject { .. } => Some(("case.rejected", "rejected")),
        _ => None,
    };
    if let Some((event, state)) = event {
        let department = match lead {
            Some(d) => names(ctx, tx, tenant)
                .await?
                .departments
                .get(&d)
                .map(|n| n.0.clone()),
            None => None,
        };
        crate::services::webhooks::enqueue(
            tx,
            tenant,
            row.id,
            event,
            crate::services::webhooks::case_data(tenant, row, state, department.as_deref()),
            now,
        )
        .await?;
    }
    let calendar = ctx.app.calendars.get(tx, tenant).await?;
    let ladders = escalation::Scheduler {
        tenant,
        case_id: row.id,
        calendar: &calendar,
        share: ctx.app.config.reminder_share,
        now,
    };
    match action {
        StaffAction::Answer { text } => {
            escalation::cancel(tx, tenant, row.id, Ladders::All, now).await?;
            let close = super::close_unrated_at(tenant, &calendar, now);
            ladders.start(tx, Ladder::Close, now, close).await?;
            if let Some(to) = row.contact_email.as_deref() {
                let department = match lead {
                    Some(d) => names(ctx, tx, tenant)
                        .await?
                        .departments
                        .get(&d)
                        .map(|n| n.1.clone())
                        .unwrap_or_default(),
                    None => String::new(),
                };
                let facts = escalation::Facts {
                    code: &row.tracking_code,
                    title: &row.title,
                    deadline: &escalation::local_time(tenant, row.answer_deadline),
                    department: &department,
                    answer: text.trim(),
                    link: &escalation::case_link(&ctx.app, tenant, &row.tracking_code),
                };
                let message =
                    escalation::email(tenant, row.id, to, "case.answered", "answered", &facts, now);
                minsheng_store::queries::escalation::insert_outbox(tx, vec![message])
                    .await
                    .or_internal()?;
            }
        }
        StaffAction::Reject { .. } | StaffAction::Close => {
            escalation::cancel(tx, tenant, row.id, Ladders::All, now).await?;
        }
        StaffAction::Accept => {
            escalation::cancel(tx, tenant, row.id, Ladders::One(Ladder::Accept), now).await?;
        }
        StaffAction::Assign { .. } => {
            // Every co-handler still owing its opinion, by its deadline;
            // those no longer named have no ladder left.
            escalation::cancel(tx, tenant, row.id, Ladders::Opinions, now).await?;
            let co = q::co_handlers(tx, tenant.id.into_uuid(), row.id)
                .await
                .or_internal()?;
            for c in co.iter().filter(|c| c.opinion.is_none()) {
                if let Some(deadline) = c.deadline {
                    ladders
                        .start(tx, Ladder::Opinion(c.department_id), now, deadline)
                        .await?;
                }
            }
        }
        StaffAction::Transfer { .. } | StaffAction::Return { .. } => {
            escalation::cancel(tx, tenant, row.id, Ladders::Opinions, now).await?;
        }
        StaffAction::DecideExtension { approve: true, .. } => {
            if let Some(deadline) = new_deadline {
                ladders
                    .start(tx, Ladder::Answer, row.submitted_at, deadline)
                    .await?;
            }
        }
        _ => {}
    }
    Ok(())
}

async fn requested_days(
    db: &DatabaseTransaction,
    tenant: &TenantRecord,
    case_id: Uuid,
) -> Result<u32, Error> {
    let events = q::events(db, tenant.id.into_uuid(), case_id, true)
        .await
        .or_internal()?;
    events
        .iter()
        .rev()
        .find(|e| e.action == Action::RequestExtension.as_str())
        .and_then(|e| e.detail.as_ref())
        .and_then(|d| d["days"].as_u64())
        .and_then(|d| u32::try_from(d).ok())
        .ok_or_else(|| Error::internal("extension request without days"))
}

/// An internal note by staff who handle the case.
pub async fn note(ctx: &Ctx, tenant: &TenantRecord, code: &str, text: &str) -> Result<(), Error> {
    ctx.authorize(tenant, "case:answer").await?;
    let tx = ctx.tx(tenant.id).await?;
    let row = find(&tx, tenant, code).await?;
    if !matches!(
        access_to(ctx, &tx, tenant, &row, None).await?,
        Access::Staff
    ) {
        return Err(Error::not_found(format!("case {code:?}")));
    }
    let text = parse_text(text, 1, 5000).map_err(|m| Error::invalid("text", m))?;
    append(
        &tx,
        tenant,
        Entry {
            case_id: row.id,
            actor: ctx.principal.label(),
            action: "note",
            from: None,
            to: None,
            department: row.lead_department_id,
            public: false,
            text: Some(text),
            detail: None,
            at: ctx.now(),
        },
    )
    .await?;
    commit(tx, ()).await
}
