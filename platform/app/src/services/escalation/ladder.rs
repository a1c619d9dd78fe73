//! The ladder of an answer deadline: its steps and when each is due,
//! scheduling, moving and cancelling a case's pending step, and what each
//! step does to the case.

use super::mail::{Facts, case_link, email, local_time};
use crate::App;
use crate::services::DbResultExt;
use crate::services::cases::{Entry, append, count};
use crate::services::tenants::TenantRecord;
use chrono::{DateTime, Duration, Utc};
use minsheng_domain::Error;
use minsheng_domain::calendar::WorkingCalendar;
use minsheng_store::entity::{case, due_work};
use minsheng_store::queries::cases::{self as cq, StatDelta};
use minsheng_store::queries::escalation as q;
use minsheng_store::{ConnectionTrait, DatabaseTransaction};
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

pub(super) fn due_row(
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

/// What a step does: the timeline, the case's level, the counters, and the
/// notifications.
pub(super) async fn effects(
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
    crate::services::webhooks::enqueue(
        tx,
        tenant,
        row.id,
        &format!("case.{key}"),
        crate::services::webhooks::case_data(
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
