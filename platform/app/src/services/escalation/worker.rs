//! The workers: claiming due steps with a lease, each city's steps in
//! order, applying one step with its city's escalation rules exactly once,
//! and the loop every process runs.

use super::ladder::{Ladder, Level, due_row};
use super::steps::{Step, effects};
use crate::App;
use crate::services::plugins::escalation as rules;
use crate::services::{DbResultExt, calendar};
use chrono::{DateTime, Duration, Utc};
use minsheng_domain::Error;
use minsheng_domain::case::State;
use minsheng_plugin_host::types::EscalationEvent;
use minsheng_store::entity::{case, case_department, due_work, escalation};
use minsheng_store::queries::cases as cq;
use minsheng_store::queries::escalation as q;
use minsheng_store::{ConnectionTrait, DatabaseTransaction, Scope};
use sea_orm::ActiveValue::Set;
use uuid::Uuid;

/// One worker's settings.
#[derive(Clone, Debug)]
pub struct Worker {
    /// Unique among live workers: host, process and a random part.
    pub id: String,
    /// How long a claim is held; a crashed worker's steps are taken over
    /// after it.
    pub lease: Duration,
    /// Steps claimed at a time.
    pub batch: u64,
}

impl Worker {
    pub fn new(lease: Duration) -> Self {
        let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "minsheng".into());
        Self {
            id: format!(
                "{host}-{}-{}",
                std::process::id(),
                &Uuid::now_v7().simple().to_string()[24..]
            ),
            lease,
            batch: 64,
        }
    }
}

/// What one pass did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Pass {
    /// Steps applied (their effects happened now).
    pub fired: u64,
    /// Steps that no longer applied (the case was answered or its deadline
    /// moved) or had already happened.
    pub skipped: u64,
}

/// Apply every step due at `now()`, claiming `worker.batch` at a time.
pub async fn run_due(
    state: &App,
    worker: &Worker,
    now: impl Fn() -> DateTime<Utc>,
) -> Result<Pass, Error> {
    let mut pass = Pass::default();
    loop {
        let at = now();
        let claimed = {
            let tx = state.store.begin(Scope::Platform).await.or_internal()?;
            let rows = q::claim_due(&tx, &worker.id, at, at + worker.lease, worker.batch)
                .await
                .or_internal()?;
            tx.commit().await.or_internal()?;
            rows
        };
        if claimed.is_empty() {
            return Ok(pass);
        }
        // Each city's steps in order, the cities side by side: a city
        // whose rules are slow delays only its own steps.
        let mut cities: Vec<(Uuid, Vec<due_work::Model>)> = Vec::new();
        for due in claimed {
            match cities.iter_mut().find(|(t, _)| *t == due.tenant_id) {
                Some((_, steps)) => steps.push(due),
                None => cities.push((due.tenant_id, vec![due])),
            }
        }
        let passes = futures_util::future::join_all(
            cities
                .iter()
                .map(|(_, steps)| city_steps(state, worker, steps, &now)),
        )
        .await;
        for p in passes {
            pass.fired += p.fired;
            pass.skipped += p.skipped;
        }
    }
}

/// One city's claimed steps, one after another.
async fn city_steps(
    state: &App,
    worker: &Worker,
    steps: &[due_work::Model],
    now: &impl Fn() -> DateTime<Utc>,
) -> Pass {
    let sqlite = state.store.backend() == minsheng_store::Backend::Sqlite;
    let mut pass = Pass::default();
    for due in steps {
        match apply(state, worker, due, now()).await {
            Ok(true) => pass.fired += 1,
            Ok(false) => pass.skipped += 1,
            // Left to its lease: another pass (or worker) tries again.
            Err(e) => tracing::warn!(error = %e, due = %due.id, "escalation step failed"),
        }
        // SQLite has one writer: leave room between steps for the
        // citizens' submissions, which come first.
        if sqlite {
            tokio::time::sleep(std::time::Duration::from_millis(2)).await;
        }
    }
    pass
}

/// Apply one claimed step. `true` when its effects happened now.
///
/// The city's escalation rules are called first, on the case as a read
/// shows it and outside any write transaction (a rule may spend its time
/// in lookups); the step is then applied in a short transaction of its
/// city that checks again that it is still ours and still due, and that
/// applies what the rules decided to the case as it is then.
#[tracing::instrument(
    name = "escalation.step",
    skip_all,
    fields(minsheng.tenant = tracing::field::Empty, escalation.deadline = %due.deadline, escalation.level = due.level)
)]
async fn apply(
    state: &App,
    worker: &Worker,
    due: &due_work::Model,
    now: DateTime<Utc>,
) -> Result<bool, Error> {
    let tenant = crate::services::tenants::find_by_id(state.store.db(), due.tenant_id).await?;
    tracing::Span::current().record(crate::trace::TENANT, tenant.slug.as_str());
    let t = tenant.id.into_uuid();
    // The city's escalation rules; if they cannot be read the ladder goes
    // on without them.
    let chain = match state
        .rules
        .chain(
            &state.store,
            &tenant,
            crate::services::plugins::chains::ESCALATION,
        )
        .await
    {
        Ok(chain) => chain,
        Err(e) => {
            tracing::warn!(error = %e, tenant = %tenant.slug, "escalation rules unavailable");
            std::sync::Arc::default()
        }
    };
    // A rule compiled in the background (a new server) is worth waiting
    // for here, where no citizen waits: a step happens only once.
    let mut chain = chain;
    let give_up = std::time::Instant::now()
        + std::time::Duration::from_secs(state.config.plugin_compile_timeout_secs * 3 + 2);
    while chain.waiting && std::time::Instant::now() < give_up {
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
        if let Ok(again) = state
            .rules
            .chain(
                &state.store,
                &tenant,
                crate::services::plugins::chains::ESCALATION,
            )
            .await
        {
            chain = again;
        }
    }
    let read = state.store.read(Scope::Tenant(t)).await.or_internal()?;
    let seen = cq::by_id(&read, t, due.case_id).await.or_internal()?;
    let seen_co = co_handler_of(&read, t, due).await?;
    read.commit().await.or_internal()?;
    let Some(seen) = seen else {
        return Err(Error::internal("due work for a case that does not exist"));
    };
    let plan = Plan::of(due, &seen, seen_co.as_ref());
    // What the rules decide, before any lock is taken.
    let outcomes = match &plan {
        Some(Plan {
            step,
            event: Some(event),
        }) if !chain.links.is_empty() => {
            let mut shown = seen.clone();
            if let Some((Ladder::Answer, level)) = step {
                shown.escalation_level = shown.escalation_level.max(*level as i16);
            }
            Some(rules::evaluate(state, &tenant, &chain, &shown, *event, now).await?)
        }
        _ => None,
    };
    let tx = state.tenant_tx(tenant.id).await?;
    // The case first, as staff actions take it: no lock cycle with them.
    cq::lock(&tx, t, due.case_id).await.or_internal()?;
    if !q::finish_due(&tx, t, due.id, &worker.id, now)
        .await
        .or_internal()?
    {
        // Taken over after our lease ran out, or cancelled meanwhile.
        return Ok(false);
    }
    let row = cq::by_id(&tx, t, due.case_id)
        .await
        .or_internal()?
        .ok_or_else(|| Error::internal("due work for a case that does not exist"))?;
    let co = co_handler_of(&tx, t, due).await?;
    // Still due for the case as it is now?
    let Some(plan) = Plan::of(due, &row, co.as_ref()) else {
        tx.commit().await.or_internal()?;
        return Ok(false);
    };
    let source = if plan.step.is_some() {
        "ladder"
    } else {
        "rules"
    };
    if !happened(&tx, worker, due, source, now).await? {
        tx.commit().await.or_internal()?;
        return Ok(false);
    }
    let mut row = row;
    if let Some((ladder, level)) = plan.step {
        effects(state, &tx, &tenant, &row, Step { ladder, level, due }, now).await?;
        // The city's rules act on the case as the step left it.
        if ladder == Ladder::Answer {
            row.escalation_level = row.escalation_level.max(level as i16);
        }
    }
    let tallies = match (outcomes, plan.event) {
        (Some(outcomes), Some(event)) => {
            rules::apply(state, &tx, &tenant, &chain, &row, event, outcomes, now).await?
        }
        _ => Vec::new(),
    };
    if let Some((ladder, level)) = plan.step
        && let Some(next) = ladder.next(level)
    {
        let working = calendar::working_calendar(&tx, &tenant).await?;
        let at = next.due_at(
            row.submitted_at,
            due.deadline_at,
            state.config.reminder_share,
            &working,
        );
        q::insert_due(
            &tx,
            vec![due_row(
                &tenant,
                row.id,
                ladder,
                next,
                due.deadline_at,
                at,
                now,
            )],
        )
        .await
        .or_internal()?;
    }
    tx.commit().await.or_internal()?;
    crate::services::plugins::chains::record(state, &tenant, tallies, now).await;
    if let Some((ladder, level)) = plan.step {
        state.metrics.count(
            "minsheng_escalations_total",
            vec![
                ("tenant", tenant.slug.clone()),
                ("level", ladder.action(level).to_owned()),
            ],
        );
    }
    Ok(true)
}

/// The co-handler a step of an opinion ladder is about, as it is now.
async fn co_handler_of(
    db: &impl ConnectionTrait,
    tenant: Uuid,
    due: &due_work::Model,
) -> Result<Option<case_department::Model>, Error> {
    match Ladder::parse(&due.deadline) {
        Some(Ladder::Opinion(d)) => cq::co_handler(db, tenant, due.case_id, d)
            .await
            .or_internal(),
        _ => Ok(None),
    }
}

/// What a claimed step would do to a case as `row` shows it; `None` when
/// the step no longer applies (the deadline was met or moved, the case
/// changed).
struct Plan {
    /// A step of a ladder; `None` for a step that only calls the rules
    /// (an unsatisfied rating, a reopened case, a re-check a rule asked
    /// for).
    step: Option<(Ladder, Level)>,
    /// What the city's escalation rules are called with: the answer
    /// ladder's steps and the rules' own; the other ladders call no rules.
    event: Option<EscalationEvent>,
}

impl Plan {
    fn of(
        due: &due_work::Model,
        row: &case::Model,
        co: Option<&case_department::Model>,
    ) -> Option<Self> {
        let state = State::parse(&row.state).ok();
        if let Some(event) = due.deadline.strip_prefix(rules::RULE_STEP) {
            // A re-check of a case that has since been answered or closed
            // is over.
            let (event, recheck) = match event.strip_prefix(rules::RECHECK) {
                Some(event) => (event, true),
                None => (event, false),
            };
            let open = state.is_some_and(State::is_open);
            let event = rules::parse_event(event).filter(|_| open || !recheck)?;
            return Some(Self {
                step: None,
                event: Some(event),
            });
        }
        let ladder = Ladder::parse(&due.deadline)?;
        let level = Level::from_i16(due.level).filter(|l| *l <= ladder.top())?;
        let applies = match ladder {
            Ladder::Answer => {
                matches!(
                    state,
                    Some(State::Submitted | State::Accepted | State::Assigned | State::InProgress)
                ) && row.answer_deadline == due.deadline_at
            }
            Ladder::Accept => {
                state == Some(State::Submitted) && row.accept_deadline == due.deadline_at
            }
            // Being handled, still co-handled with this deadline, and no
            // opinion yet.
            Ladder::Opinion(_) => {
                matches!(state, Some(State::Assigned | State::InProgress))
                    && co
                        .is_some_and(|c| c.opinion.is_none() && c.deadline == Some(due.deadline_at))
            }
            // Still the unrated answer the step was started for.
            Ladder::Close => {
                state == Some(State::Answered)
                    && row.rating.is_none()
                    && row.answered_at.is_some_and(|at| at <= due.created_at)
            }
        };
        if !applies {
            return None;
        }
        let event = (ladder == Ladder::Answer).then_some(if level == Level::Reminder {
            EscalationEvent::DeadlineApproaching
        } else {
            EscalationEvent::DeadlinePassed
        });
        Some(Self {
            step: Some((ladder, level)),
            event,
        })
    }
}

/// Record that a claimed step happened: `false` when it already had (the
/// row is unique per case, deadline, deadline time and level), and then
/// it must not act again.
async fn happened(
    tx: &DatabaseTransaction,
    worker: &Worker,
    due: &due_work::Model,
    source: &str,
    now: DateTime<Utc>,
) -> Result<bool, Error> {
    q::insert_escalation(
        tx,
        escalation::ActiveModel {
            id: Set(Uuid::now_v7()),
            tenant_id: Set(due.tenant_id),
            case_id: Set(due.case_id),
            deadline: Set(due.deadline.clone()),
            level: Set(due.level),
            deadline_at: Set(due.deadline_at),
            due_at: Set(due.due_at),
            fired_at: Set(now),
            worker: Set(worker.id.clone()),
            source: Set(source.to_owned()),
        },
    )
    .await
    .or_internal()
}

/// The loop every `serve` process (and `minsheng worker`) runs: apply due
/// steps, send due messages and look for new cases' likely duplicates,
/// then wait `poll`; stops when `stop` fires,
/// after finishing the step in hand.
pub async fn work(
    state: App,
    worker: Worker,
    poll: std::time::Duration,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let poll = poll.max(std::time::Duration::from_millis(50));
    tracing::info!(worker = %worker.id, "escalation worker started");
    // Bulletins are due at most once a day per city: looking once a
    // minute is plenty.
    let mut bulletins_checked: Option<std::time::Instant> = None;
    loop {
        if *stop.borrow() {
            break;
        }
        if let Err(e) = run_due(&state, &worker, Utc::now).await {
            tracing::warn!(error = %e, "escalation pass failed");
        }
        if bulletins_checked.is_none_or(|at| at.elapsed() >= std::time::Duration::from_secs(60)) {
            bulletins_checked = Some(std::time::Instant::now());
            if let Err(e) = crate::services::bulletins::publish_due(&state, Utc::now()).await {
                tracing::warn!(error = %e, "bulletin pass failed");
            }
        }
        if let Err(e) = crate::services::notify::deliver_due(&state, &worker, Utc::now()).await {
            tracing::warn!(error = %e, "delivery pass failed");
        }
        if let Err(e) = crate::services::cases::scan_due(&state.store).await {
            tracing::warn!(error = %e, "duplicates pass failed");
        }
        tokio::select! {
            _ = tokio::time::sleep(poll) => {}
            _ = stop.changed() => {}
        }
    }
    tracing::info!(worker = %worker.id, "escalation worker stopped");
}
