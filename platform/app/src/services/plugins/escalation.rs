//! Escalation rules: the city's plugins called by the escalation engine.
//!
//! The default ladder always runs; rules add to it. They are called when a
//! ladder step fires (the reminder: `deadline-approaching`; overdue and
//! later: `deadline-passed`) in the step's own transaction, and for an
//! unsatisfied rating or a reopened case through a due-work row written
//! with the rating (`rule:<event>`), so each event reaches the rules
//! exactly once even when workers crash. Their actions (notify, supervise,
//! reassign, raise priority, re-check later) are checked by the host and
//! applied in the same transaction; a failed rule changes nothing but the
//! timeline and its failure count.

use crate::App;
use crate::services::DbResultExt;
use crate::services::cases::{Entry, append, count};
use crate::services::plugins::chains::{Chain, Tally, priority_of, priority_value};
use crate::services::tenants::TenantRecord;
use chrono::{DateTime, Utc};
use minsheng_domain::Error;
use minsheng_plugin_host::Outcome;
use minsheng_plugin_host::types::{
    CaseField, CaseSnapshot, EscalationAction, EscalationDecision, EscalationEvent,
    EscalationInput, TimelineEntry,
};
use minsheng_store::entity::{case, due_work};
use minsheng_store::queries::cases::{self as cq, StatDelta};
use minsheng_store::queries::escalation as q;
use minsheng_store::{DatabaseTransaction, Scope};
use sea_orm::ActiveValue::Set;
use serde_json::{Value, json};
use std::sync::Arc;
use uuid::Uuid;

/// Prefix of due-work rows that call the rules rather than climb the ladder.
pub const RULE_STEP: &str = "rule:";

/// Prefix (after [`RULE_STEP`]) of re-checks a rule asked for.
pub const RECHECK: &str = "recheck:";

/// Re-checks of one event a case can have: a rule that always asks for
/// another cannot mail people forever.
pub const MAX_RECHECKS: u64 = 5;

pub fn event_name(e: EscalationEvent) -> &'static str {
    match e {
        EscalationEvent::DeadlineApproaching => "deadline-approaching",
        EscalationEvent::DeadlinePassed => "deadline-passed",
        EscalationEvent::UnsatisfiedRating => "unsatisfied-rating",
        EscalationEvent::Reopened => "reopened",
    }
}

pub fn parse_event(name: &str) -> Option<EscalationEvent> {
    [
        EscalationEvent::DeadlineApproaching,
        EscalationEvent::DeadlinePassed,
        EscalationEvent::UnsatisfiedRating,
        EscalationEvent::Reopened,
    ]
    .into_iter()
    .find(|e| event_name(*e) == name)
}

/// A due-work row that calls the rules with `event` at `at`.
pub fn step(
    tenant: &TenantRecord,
    case_id: Uuid,
    event: EscalationEvent,
    at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> due_work::ActiveModel {
    row(
        tenant,
        case_id,
        format!("{RULE_STEP}{}", event_name(event)),
        at,
        now,
    )
}

fn row(
    tenant: &TenantRecord,
    case_id: Uuid,
    deadline: String,
    at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> due_work::ActiveModel {
    due_work::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(tenant.id.into_uuid()),
        case_id: Set(case_id),
        deadline: Set(deadline),
        level: Set(0),
        deadline_at: Set(at),
        due_at: Set(at),
        state: Set(q::PENDING.into()),
        lease_owner: Set(None),
        lease_until: Set(None),
        attempts: Set(0),
        created_at: Set(now),
        updated_at: Set(now),
    }
}

/// Whether the city has escalation rules (cached for a moment).
pub async fn any(state: &App, tenant: &TenantRecord) -> Result<bool, Error> {
    Ok(!state
        .rules
        .chain(
            &state.store,
            tenant,
            crate::services::plugins::chains::ESCALATION,
        )
        .await?
        .links
        .is_empty())
}

/// What the chain's rules decided about a case, one outcome per link.
pub type Outcomes = Vec<Outcome<EscalationDecision>>;

/// Call the chain for `event` on a case as `row` shows it, outside any
/// write transaction (a rule may spend its time in lookups): the case's
/// co-handlers and timeline are read in a short read transaction first.
/// [`apply`] then applies the outcomes in the step's transaction.
pub async fn evaluate(
    state: &App,
    tenant: &TenantRecord,
    chain: &Arc<Chain>,
    row: &case::Model,
    event: EscalationEvent,
    now: DateTime<Utc>,
) -> Result<Outcomes, Error> {
    if chain.links.is_empty() {
        return Ok(Vec::new());
    }
    let t = tenant.id.into_uuid();
    let code_of = |id: Uuid| chain.department_codes.get(&id).cloned();
    let read = state.store.read(Scope::Tenant(t)).await.or_internal()?;
    let co = cq::co_departments(&read, t, row.id).await.or_internal()?;
    let events = cq::events(&read, t, row.id, true).await.or_internal()?;
    read.commit().await.or_internal()?;
    let history = events
        .into_iter()
        .rev()
        .take(50)
        .rev()
        .map(|e| TimelineEntry {
            action: e.action,
            at: e.at.timestamp(),
            department: e.department_id.and_then(code_of),
        })
        .collect();
    let snapshot = CaseSnapshot {
        tracking_code: row.tracking_code.clone(),
        state: row.state.clone(),
        category: chain
            .category_codes
            .get(&row.category_id)
            .cloned()
            .unwrap_or_default(),
        lead: row.lead_department_id.and_then(code_of),
        co_handlers: co.into_iter().filter_map(code_of).collect(),
        priority: priority_of(row.priority),
        title: Some(row.title.clone()),
        text: Some(row.body.clone()),
        submitted_at: row.submitted_at.timestamp(),
        accept_deadline: row.accept_deadline.timestamp(),
        answer_deadline: row.answer_deadline.timestamp(),
        escalation_level: u8::try_from(row.escalation_level).unwrap_or(0),
        reopened: u32::try_from(row.reopened).unwrap_or(0),
        rating: row.rating.clone(),
        history,
    };
    let at = crate::services::plugins::chains::instant(tenant, now);
    let calls = crate::services::plugins::chains::Calls::new(state, tenant, chain, now);
    let seat = state
        .rules
        .seat(tenant.id.into_uuid(), calls.timeout())
        .await;
    let chains = crate::services::plugins::chains::ESCALATION;
    let mut outcomes = Vec::with_capacity(chain.links.len());
    let mut session = None;
    for link in &chain.links {
        let outcome = crate::services::plugins::chains::call_link(
            state,
            &tenant.slug,
            chains,
            link,
            seat.is_some(),
            |plugin| {
                let needs = &plugin.descriptor.needs;
                let mut case = snapshot.clone();
                if !needs.contains(&CaseField::Title) {
                    case.title = None;
                }
                if !needs.contains(&CaseField::Text) {
                    case.text = None;
                }
                let input = EscalationInput {
                    event,
                    case,
                    departments: if needs.contains(&CaseField::Departments) {
                        chain.departments.clone()
                    } else {
                        Vec::new()
                    },
                    config: link.config.clone(),
                    now: at,
                };
                let lookups = calls.lookups();
                let session = session.get_or_insert_with(|| chain.session(plugin));
                async move {
                    plugin
                        .escalation(session, &input, &chain.departments, &chain.limits, lookups)
                        .await
                }
            },
        )
        .await;
        outcomes.push(outcome);
    }
    Ok(outcomes)
}

/// Apply what the rules decided ([`evaluate`]) to the case as it is now
/// (`row`, locked by the caller), in `tx`. Returns the runs to record
/// after the transaction commits.
#[allow(clippy::too_many_arguments)]
pub async fn apply(
    state: &App,
    tx: &DatabaseTransaction,
    tenant: &TenantRecord,
    chain: &Chain,
    row: &case::Model,
    event: EscalationEvent,
    outcomes: Outcomes,
    now: DateTime<Utc>,
) -> Result<Vec<Tally>, Error> {
    let mut tallies = Vec::new();
    let mut current = row.clone();
    for (link, outcome) in chain.links.iter().zip(outcomes) {
        let actor = format!("rule:{}", link.name);
        match outcome.result {
            Ok(decision) => {
                let mut done = Vec::new();
                for action in &decision.actions {
                    done.push(
                        act(
                            state,
                            tx,
                            tenant,
                            chain,
                            &mut current,
                            action,
                            &actor,
                            event,
                            now,
                        )
                        .await?,
                    );
                }
                append(
                    tx,
                    tenant,
                    Entry {
                        case_id: row.id,
                        actor,
                        action: "rule",
                        from: None,
                        to: None,
                        department: None,
                        public: false,
                        text: Some(decision.explanation.clone()),
                        detail: Some({
                            let mut run = crate::services::plugins::chains::run_record(
                                link,
                                &outcome.report,
                                None,
                            );
                            run.insert("event".into(), json!(event_name(event)));
                            run.insert("actions".into(), json!(done));
                            Value::Object(run)
                        }),
                        at: now,
                    },
                )
                .await?;
                tallies.push(Tally::of(link, None));
            }
            Err(failure) => {
                append(
                    tx,
                    tenant,
                    Entry {
                        case_id: row.id,
                        actor,
                        action: "rule",
                        from: None,
                        to: None,
                        department: None,
                        public: false,
                        text: Some(failure.to_string()),
                        detail: Some({
                            let mut run = crate::services::plugins::chains::run_record(
                                link,
                                &outcome.report,
                                Some(&failure),
                            );
                            run.insert("event".into(), json!(event_name(event)));
                            Value::Object(run)
                        }),
                        at: now,
                    },
                )
                .await?;
                tallies.push(Tally::of(link, Some(failure)));
            }
        }
    }
    Ok(tallies)
}

/// Apply one checked action; returns what was done, for the timeline.
#[allow(clippy::too_many_arguments)]
async fn act(
    state: &App,
    tx: &DatabaseTransaction,
    tenant: &TenantRecord,
    chain: &Chain,
    row: &mut case::Model,
    action: &EscalationAction,
    actor: &str,
    event: EscalationEvent,
    now: DateTime<Utc>,
) -> Result<String, Error> {
    let t = tenant.id.into_uuid();
    Ok(match action {
        EscalationAction::Notify(notice) => {
            let department = notice
                .department
                .as_ref()
                .and_then(|c| chain.department_ids.get(c).copied());
            let recipients = q::staff_emails(tx, t, department, notice.role.as_deref())
                .await
                .or_internal()?;
            let link = crate::services::escalation::case_link(state, tenant, &row.tracking_code);
            let messages: Vec<_> = recipients
                .iter()
                .map(|to| {
                    q::NewMessage {
                        tenant_id: t,
                        case_id: Some(row.id),
                        channel: "email",
                        recipient: to.clone(),
                        event: format!("case.rule.{}", event_name(event)),
                        subject: format!(
                            "[{}] {}: {}",
                            tenant.name,
                            row.tracking_code,
                            first_line(&notice.message)
                        ),
                        body: format!("{}\n\n{}\n{link}\n", notice.message, row.title),
                        trace_parent: crate::trace::traceparent(),
                    }
                    .row(now)
                })
                .collect();
            let n = messages.len();
            q::insert_outbox(tx, messages).await.or_internal()?;
            format!("notify:{n}")
        }
        EscalationAction::Supervise(reason) => {
            if row.escalation_level >= 2 {
                "supervise:already".into()
            } else {
                cq::update_by_id(
                    tx,
                    t,
                    row.id,
                    case::ActiveModel {
                        escalation_level: Set(2),
                        ..Default::default()
                    },
                )
                .await
                .or_internal()?;
                row.escalation_level = 2;
                count(
                    tx,
                    tenant,
                    row.lead_department_id,
                    now,
                    StatDelta {
                        supervised: 1,
                        ..Default::default()
                    },
                )
                .await?;
                append(
                    tx,
                    tenant,
                    Entry {
                        case_id: row.id,
                        actor: actor.to_owned(),
                        action: "supervision",
                        from: None,
                        to: None,
                        department: row.lead_department_id,
                        public: false,
                        text: Some(reason.clone()),
                        detail: Some(json!({ "level": 2, "source": actor })),
                        at: now,
                    },
                )
                .await?;
                "supervise".into()
            }
        }
        EscalationAction::Reassign(code) => {
            let Some(department) = chain.department_ids.get(code).copied() else {
                return Ok(format!("reassign:{code}:unknown"));
            };
            if row.lead_department_id == Some(department) {
                return Ok(format!("reassign:{code}:already"));
            }
            cq::update_by_id(
                tx,
                t,
                row.id,
                case::ActiveModel {
                    lead_department_id: Set(Some(department)),
                    updated_at: Set(now),
                    ..Default::default()
                },
            )
            .await
            .or_internal()?;
            row.lead_department_id = Some(department);
            append(
                tx,
                tenant,
                Entry {
                    case_id: row.id,
                    actor: actor.to_owned(),
                    action: "reassigned",
                    from: None,
                    to: None,
                    department: Some(department),
                    public: false,
                    text: None,
                    detail: None,
                    at: now,
                },
            )
            .await?;
            format!("reassign:{code}")
        }
        EscalationAction::RaisePriority(p) => {
            let value = priority_value(*p);
            if value > row.priority {
                cq::update_by_id(
                    tx,
                    t,
                    row.id,
                    case::ActiveModel {
                        priority: Set(value),
                        ..Default::default()
                    },
                )
                .await
                .or_internal()?;
                row.priority = value;
            }
            format!(
                "priority:{}",
                crate::services::plugins::chains::priority_name(row.priority)
            )
        }
        EscalationAction::RecheckAfter(minutes) => {
            let deadline = format!("{RULE_STEP}{RECHECK}{}", event_name(event));
            let open = minsheng_domain::case::State::parse(&row.state).is_ok_and(|s| s.is_open());
            if !open {
                return Ok("recheck:closed".into());
            }
            if q::count_due(tx, t, row.id, &deadline).await.or_internal()? >= MAX_RECHECKS {
                return Ok("recheck:limit".into());
            }
            let at = now + chrono::Duration::minutes(i64::from(*minutes));
            q::insert_due(tx, vec![self::row(tenant, row.id, deadline, at, now)])
                .await
                .or_internal()?;
            format!("recheck:{minutes}")
        }
        EscalationAction::Nothing => "nothing".into(),
    })
}

fn first_line(text: &str) -> String {
    text.lines()
        .next()
        .unwrap_or("")
        .chars()
        .take(120)
        .collect()
}
