//! The escalation engine: "every request gets an answer" (有求必应).
//!
//! Each open case has one pending step of its answer deadline's ladder in
//! `due_work`, written in the same transaction as the change that creates
//! it (the submission, an approved extension, the previous step). The
//! default ladder:
//!
//! | level | when | what |
//! |---|---|---|
//! | 0 reminder | `reminder_share` of the allowed time has passed | the handling department is reminded |
//! | 1 overdue (超期) | the deadline | the case is marked overdue, counted, the department told |
//! | 2 supervision (督办) | one working day after the deadline | the supervisors are told |
//! | 3 city administrator | three working days after the deadline | the city administrators are told |
//!
//! Answering, rejecting or closing the case cancels its pending step; an
//! extension moves it. Workers claim due steps with a lease and apply each
//! in the city's transaction: the step is marked done only if it is still
//! the worker's, and the escalation row is unique per (case, deadline,
//! deadline time, level), so its effects (timeline entry, counters,
//! notifications, the next step) happen exactly once however many workers
//! see the row or restart.

use super::cases::{Entry, append, count};
use super::escalation_rules;
use super::{DbResultExt, calendar};
use crate::App;
use crate::services::tenants::TenantRecord;
use chrono::{DateTime, Duration, Utc};
use minsheng_domain::Error;
use minsheng_domain::calendar::WorkingCalendar;
use minsheng_domain::case::State;
use minsheng_plugin_host::types::EscalationEvent;
use minsheng_store::entity::{case, due_work, escalation, outbox};
use minsheng_store::queries::cases::{self as cq, StatDelta};
use minsheng_store::queries::escalation as q;
use minsheng_store::{ConnectionTrait, DatabaseTransaction, Scope};
use sea_orm::ActiveValue::Set;
use uuid::Uuid;

/// The deadline every ladder here belongs to.
pub const ANSWER: &str = "answer";

/// A step of the default ladder.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Reminder = 0,
    Overdue = 1,
    Supervision = 2,
    Admin = 3,
}

impl Level {
    pub fn from_i16(n: i16) -> Option<Level> {
        match n {
            0 => Some(Level::Reminder),
            1 => Some(Level::Overdue),
            2 => Some(Level::Supervision),
            3 => Some(Level::Admin),
            _ => None,
        }
    }

    pub fn next(self) -> Option<Level> {
        Level::from_i16(self as i16 + 1)
    }

    /// The timeline action (and the words key) of this step.
    pub fn action(self) -> &'static str {
        match self {
            Level::Reminder => "reminder",
            Level::Overdue => "overdue",
            Level::Supervision => "supervision",
            Level::Admin => "escalated",
        }
    }

    /// When this step is due, for a deadline running from `start`.
    pub fn due_at(
        self,
        start: DateTime<Utc>,
        deadline: DateTime<Utc>,
        share: f64,
        calendar: &WorkingCalendar,
    ) -> DateTime<Utc> {
        match self {
            Level::Reminder => reminder_at(start, deadline, share),
            Level::Overdue => deadline,
            // The calendar's deadline is the start of the day after the
            // last working day: one (three) full working days past the
            // deadline.
            Level::Supervision => calendar.deadline(deadline - Duration::seconds(1), 1),
            Level::Admin => calendar.deadline(deadline - Duration::seconds(1), 3),
        }
    }
}

/// When `share` of the time from `start` to `deadline` has passed.
fn reminder_at(start: DateTime<Utc>, deadline: DateTime<Utc>, share: f64) -> DateTime<Utc> {
    let allowed = (deadline - start).num_seconds().max(0) as f64;
    start + Duration::seconds((allowed * share.clamp(0.0, 1.0)) as i64)
}

/// The first step of a deadline's ladder still ahead at `now`: the
/// reminder, or straight to overdue when the reminder's time has passed
/// (a short deadline, a late extension).
pub fn first_step(
    tenant: &TenantRecord,
    case_id: Uuid,
    start: DateTime<Utc>,
    deadline: DateTime<Utc>,
    share: f64,
    now: DateTime<Utc>,
) -> due_work::ActiveModel {
    let reminder = reminder_at(start, deadline, share);
    let (level, due_at) = if reminder > now {
        (Level::Reminder, reminder)
    } else {
        (Level::Overdue, deadline)
    };
    due_row(tenant, case_id, level, deadline, due_at, now)
}

fn due_row(
    tenant: &TenantRecord,
    case_id: Uuid,
    level: Level,
    deadline_at: DateTime<Utc>,
    due_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> due_work::ActiveModel {
    due_work::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(tenant.id.into_uuid()),
        case_id: Set(case_id),
        deadline: Set(ANSWER.into()),
        level: Set(level as i16),
        deadline_at: Set(deadline_at),
        due_at: Set(due_at),
        state: Set(q::PENDING.into()),
        lease_owner: Set(None),
        lease_until: Set(None),
        attempts: Set(0),
        created_at: Set(now),
        updated_at: Set(now),
    }
}

/// A case's deadline moved (an extension): its pending step is replaced by
/// the first step of the new deadline, in the caller's transaction.
pub async fn reschedule(
    tx: &DatabaseTransaction,
    tenant: &TenantRecord,
    case_id: Uuid,
    start: DateTime<Utc>,
    deadline: DateTime<Utc>,
    share: f64,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    q::cancel_due(tx, tenant.id.into_uuid(), case_id, now)
        .await
        .or_internal()?;
    q::insert_due(
        tx,
        vec![first_step(tenant, case_id, start, deadline, share, now)],
    )
    .await
    .or_internal()
}

/// The case was answered, rejected or closed: nothing more is due.
pub async fn cancel(
    tx: &DatabaseTransaction,
    tenant: &TenantRecord,
    case_id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    q::cancel_due(tx, tenant.id.into_uuid(), case_id, now)
        .await
        .or_internal()
        .map(|_| ())
}

// ---- workers ------------------------------------------------------------------

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
    let tenant = super::tenants::find_by_id(state.store.db(), due.tenant_id).await?;
    tracing::Span::current().record(crate::trace::TENANT, tenant.slug.as_str());
    let t = tenant.id.into_uuid();
    // The city's escalation rules; if they cannot be read the ladder goes
    // on without them.
    let chain = match state
        .rules
        .chain(&state.store, &tenant, super::rules::ESCALATION)
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
            .chain(&state.store, &tenant, super::rules::ESCALATION)
            .await
        {
            chain = again;
        }
    }
    let read = state.store.read(Scope::Tenant(t)).await.or_internal()?;
    let seen = cq::by_id(&read, t, due.case_id).await.or_internal()?;
    read.commit().await.or_internal()?;
    let Some(seen) = seen else {
        return Err(Error::internal("due work for a case that does not exist"));
    };
    let plan = Plan::of(due, &seen);
    // What the rules decide, before any lock is taken.
    let outcomes = match &plan {
        Some(plan) if !chain.links.is_empty() => {
            let mut shown = seen.clone();
            if let Some(level) = plan.level {
                shown.escalation_level = shown.escalation_level.max(level as i16);
            }
            Some(escalation_rules::evaluate(state, &tenant, &chain, &shown, plan.event, now).await?)
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
    // Still due for the case as it is now?
    let Some(plan) = Plan::of(due, &row) else {
        tx.commit().await.or_internal()?;
        return Ok(false);
    };
    let source = if plan.level.is_some() {
        "ladder"
    } else {
        "rules"
    };
    if !happened(&tx, worker, due, source, now).await? {
        tx.commit().await.or_internal()?;
        return Ok(false);
    }
    let mut row = row;
    if let Some(level) = plan.level {
        effects(state, &tx, &tenant, &row, level, due, now).await?;
        // The city's rules act on the case as the step left it.
        row.escalation_level = row.escalation_level.max(level as i16);
    }
    let tallies = match outcomes {
        Some(outcomes) => {
            escalation_rules::apply(state, &tx, &tenant, &chain, &row, plan.event, outcomes, now)
                .await?
        }
        None => Vec::new(),
    };
    if let Some(next) = plan.level.and_then(Level::next) {
        let working = calendar::working_calendar(&tx, &tenant).await?;
        let at = next.due_at(
            row.submitted_at,
            due.deadline_at,
            state.config.reminder_share,
            &working,
        );
        q::insert_due(
            &tx,
            vec![due_row(&tenant, row.id, next, due.deadline_at, at, now)],
        )
        .await
        .or_internal()?;
    }
    tx.commit().await.or_internal()?;
    super::rules::record(state, &tenant, tallies, now).await;
    if let Some(level) = plan.level {
        state.metrics.count(
            "minsheng_escalations_total",
            vec![
                ("tenant", tenant.slug.clone()),
                ("level", level.action().to_owned()),
            ],
        );
    }
    Ok(true)
}

/// What a claimed step would do to a case as `row` shows it; `None` when
/// the step no longer applies (answered, closed, the deadline moved).
struct Plan {
    /// A step of the ladder; `None` for a step that only calls the rules
    /// (an unsatisfied rating, a reopened case, a re-check a rule asked
    /// for).
    level: Option<Level>,
    event: EscalationEvent,
}

impl Plan {
    fn of(due: &due_work::Model, row: &case::Model) -> Option<Self> {
        let state = State::parse(&row.state).ok();
        if let Some(event) = due.deadline.strip_prefix(escalation_rules::RULE_STEP) {
            // A re-check of a case that has since been answered or closed
            // is over.
            let (event, recheck) = match event.strip_prefix(escalation_rules::RECHECK) {
                Some(event) => (event, true),
                None => (event, false),
            };
            let open = state.is_some_and(State::is_open);
            let event = escalation_rules::parse_event(event).filter(|_| open || !recheck)?;
            return Some(Self { level: None, event });
        }
        let level = Level::from_i16(due.level)?;
        let open = matches!(
            state,
            Some(State::Submitted | State::Accepted | State::Assigned | State::InProgress)
        );
        if !open || row.answer_deadline != due.deadline_at {
            return None;
        }
        let event = if level == Level::Reminder {
            EscalationEvent::DeadlineApproaching
        } else {
            EscalationEvent::DeadlinePassed
        };
        Some(Self {
            level: Some(level),
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

/// What a step does: the timeline, the case's level, the counters, and the
/// notifications.
async fn effects(
    state: &App,
    tx: &DatabaseTransaction,
    tenant: &TenantRecord,
    row: &case::Model,
    level: Level,
    due: &due_work::Model,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    let t = tenant.id.into_uuid();
    append(
        tx,
        tenant,
        Entry {
            case_id: row.id,
            actor: "system:escalation".into(),
            // Already under supervision (a rule did it): the step is
            // noted, not counted a second time.
            action: if level == Level::Supervision && row.escalation_level >= 2 {
                "still_supervised"
            } else {
                level.action()
            },
            from: None,
            to: None,
            department: row.lead_department_id,
            // Overdue is public: the city publishes how well it keeps time.
            public: level == Level::Overdue,
            text: None,
            detail: Some(serde_json::json!({
                "level": level as i16,
                "deadline": due.deadline_at,
                "due_at": due.due_at,
            })),
            at: now,
        },
    )
    .await?;
    if level >= Level::Overdue {
        let update = case::ActiveModel {
            escalation_level: Set(level as i16),
            ..Default::default()
        };
        cq::update_by_id(tx, t, row.id, update)
            .await
            .or_internal()?;
    }
    let delta = match level {
        Level::Overdue => StatDelta {
            overdue: 1,
            ..Default::default()
        },
        // A rule may have put it under supervision already.
        Level::Supervision if row.escalation_level < 2 => StatDelta {
            supervised: 1,
            ..Default::default()
        },
        _ => StatDelta::default(),
    };
    if delta != StatDelta::default() {
        count(tx, tenant, row.lead_department_id, now, delta).await?;
    }
    let recipients = match level {
        // The handling department; with none yet, the dispatchers who
        // should have assigned it.
        Level::Reminder | Level::Overdue => match row.lead_department_id {
            Some(d) => q::staff_emails(tx, t, Some(d), None).await,
            None => q::staff_emails(tx, t, None, Some("dispatcher")).await,
        },
        Level::Supervision => q::staff_emails(tx, t, None, Some("supervisor")).await,
        Level::Admin => {
            q::staff_emails(tx, t, None, Some(minsheng_domain::access::CITY_ADMIN)).await
        }
    }
    .or_internal()?;
    let (department_code, department) = match row.lead_department_id {
        Some(d) => department_names(tx, t, d).await?,
        None => (String::new(), String::new()),
    };
    let facts = Facts {
        code: &row.tracking_code,
        title: &row.title,
        deadline: &local_time(tenant, due.deadline_at),
        department: &department,
        answer: "",
        link: &case_link(state, tenant, &row.tracking_code),
    };
    let key = level.action();
    super::webhooks::enqueue(
        tx,
        tenant,
        row.id,
        &format!("case.{key}"),
        super::webhooks::case_data(
            tenant,
            row,
            &row.state,
            Some(department_code.as_str()).filter(|c| !c.is_empty()),
        ),
        now,
    )
    .await?;
    let messages = recipients
        .into_iter()
        .map(|to| {
            email(
                tenant,
                row.id,
                &to,
                &format!("case.{key}"),
                key,
                &facts,
                now,
            )
        })
        .collect();
    q::insert_outbox(tx, messages).await.or_internal()
}

/// A department's code and name.
async fn department_names(
    db: &impl ConnectionTrait,
    tenant: Uuid,
    id: Uuid,
) -> Result<(String, String), Error> {
    use sea_orm::EntityTrait;
    let row = minsheng_store::entity::department::Entity::find_by_id(id)
        .one(db)
        .await
        .or_internal()?;
    Ok(row
        .filter(|d| d.tenant_id == tenant)
        .map(|d| (d.code, d.name))
        .unwrap_or_default())
}

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

/// The loop every `serve` process (and `minsheng worker`) runs: apply due
/// steps and send due messages, then wait `poll`; stops when `stop` fires,
/// after finishing the step in hand.
pub async fn work(
    state: App,
    worker: Worker,
    poll: std::time::Duration,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let poll = poll.max(std::time::Duration::from_millis(50));
    tracing::info!(worker = %worker.id, "escalation worker started");
    loop {
        if *stop.borrow() {
            break;
        }
        if let Err(e) = run_due(&state, &worker, Utc::now).await {
            tracing::warn!(error = %e, "escalation pass failed");
        }
        if let Err(e) = super::notify::deliver_due(&state, &worker, Utc::now()).await {
            tracing::warn!(error = %e, "delivery pass failed");
        }
        tokio::select! {
            _ = tokio::time::sleep(poll) => {}
            _ = stop.changed() => {}
        }
    }
    tracing::info!(worker = %worker.id, "escalation worker stopped");
}
