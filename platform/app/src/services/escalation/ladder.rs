//! The ladders: one per deadline a case has, named in `due_work.deadline`
//! (`answer`, `accept`, `opinion:<department id>`, `close`), their steps
//! and when each is due, and starting, moving and ending a case's ladders.

use crate::services::DbResultExt;
use crate::services::tenants::TenantRecord;
use chrono::{DateTime, Duration, Utc};
use minsheng_domain::Error;
use minsheng_domain::calendar::WorkingCalendar;
use minsheng_store::DatabaseTransaction;
use minsheng_store::entity::due_work;
use minsheng_store::queries::escalation as q;
use sea_orm::ActiveValue::Set;
use uuid::Uuid;

/// The answer deadline's ladder.
pub const ANSWER: &str = "answer";
/// The acceptance deadline's ladder.
pub const ACCEPT: &str = "accept";
/// Closing an unrated answer.
pub const CLOSE: &str = "close";
/// Prefix of a co-handler's opinion ladder (the department's id follows).
pub const OPINION: &str = "opinion:";

/// A deadline of a case, and so a ladder of steps towards and past it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ladder {
    /// The answer deadline (答复期限): reminder, overdue, supervision, city
    /// administrator.
    Answer,
    /// The acceptance deadline (受理期限): reminder, overdue.
    Accept,
    /// A co-handling department's opinion (协办意见): reminder, overdue,
    /// supervision.
    Opinion(Uuid),
    /// An answer the citizen has not rated: one step, at level 0, that
    /// closes the case.
    Close,
}

impl Ladder {
    /// The name stored in `due_work.deadline` and `escalations.deadline`.
    pub fn name(self) -> String {
        match self {
            Ladder::Answer => ANSWER.into(),
            Ladder::Accept => ACCEPT.into(),
            Ladder::Opinion(d) => format!("{OPINION}{d}"),
            Ladder::Close => CLOSE.into(),
        }
    }

    pub fn parse(name: &str) -> Option<Ladder> {
        match name {
            ANSWER => Some(Ladder::Answer),
            ACCEPT => Some(Ladder::Accept),
            CLOSE => Some(Ladder::Close),
            _ => name
                .strip_prefix(OPINION)
                .and_then(|d| Uuid::parse_str(d).ok())
                .map(Ladder::Opinion),
        }
    }

    /// The ladder's last step.
    pub fn top(self) -> Level {
        match self {
            Ladder::Answer => Level::Admin,
            Ladder::Accept => Level::Overdue,
            Ladder::Opinion(_) => Level::Supervision,
            Ladder::Close => Level::Reminder,
        }
    }

    /// The step after `level`, if the ladder has one.
    pub fn next(self, level: Level) -> Option<Level> {
        level.next().filter(|n| *n <= self.top())
    }

    /// The timeline action (and the words key of its mail) of a step.
    pub fn action(self, level: Level) -> &'static str {
        match (self, level) {
            (Ladder::Answer, level) => level.action(),
            (Ladder::Accept, Level::Reminder) => "accept_reminder",
            (Ladder::Accept, _) => "accept_overdue",
            (Ladder::Opinion(_), Level::Reminder) => "opinion_reminder",
            (Ladder::Opinion(_), Level::Overdue) => "opinion_overdue",
            (Ladder::Opinion(_), _) => "opinion_supervision",
            (Ladder::Close, _) => "auto_closed",
        }
    }
}

/// A step of a ladder.
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

    /// The timeline action (and the words key) of this step of the answer
    /// ladder.
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

/// The first step of a ladder still ahead at `now`: the reminder, or
/// straight to overdue when the reminder's time has passed (a short
/// deadline, a late extension). The close ladder's one step is due at its
/// deadline.
pub fn first_step(
    tenant: &TenantRecord,
    case_id: Uuid,
    ladder: Ladder,
    start: DateTime<Utc>,
    deadline: DateTime<Utc>,
    share: f64,
    now: DateTime<Utc>,
) -> due_work::ActiveModel {
    let reminder = reminder_at(start, deadline, share);
    let (level, due_at) = match ladder {
        Ladder::Close => (Level::Reminder, deadline),
        _ if reminder > now => (Level::Reminder, reminder),
        _ => (Level::Overdue, deadline),
    };
    due_row(tenant, case_id, ladder, level, deadline, due_at, now)
}

pub(super) fn due_row(
    tenant: &TenantRecord,
    case_id: Uuid,
    ladder: Ladder,
    level: Level,
    deadline_at: DateTime<Utc>,
    due_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> due_work::ActiveModel {
    due_work::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(tenant.id.into_uuid()),
        case_id: Set(case_id),
        deadline: Set(ladder.name()),
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

/// Starting a case's ladders in the transaction of the change that sets
/// their deadlines.
pub struct Scheduler<'a> {
    pub tenant: &'a TenantRecord,
    pub case_id: Uuid,
    /// The city's calendar, for steps counted in working days.
    pub calendar: &'a WorkingCalendar,
    /// When the reminder comes, as a share of the allowed time.
    pub share: f64,
    pub now: DateTime<Utc>,
}

impl Scheduler<'_> {
    /// Start `ladder` for a deadline running from `start` to `deadline`,
    /// replacing its pending step. When steps of this very deadline have
    /// already happened (a co-handler named again with its old deadline),
    /// the ladder goes on from the step after the last of them.
    pub async fn start(
        &self,
        tx: &DatabaseTransaction,
        ladder: Ladder,
        start: DateTime<Utc>,
        deadline: DateTime<Utc>,
    ) -> Result<(), Error> {
        let t = self.tenant.id.into_uuid();
        cancel(
            tx,
            self.tenant,
            self.case_id,
            Ladders::One(ladder),
            self.now,
        )
        .await?;
        let name = ladder.name();
        let fired = q::fired_levels(tx, t, self.case_id, &name, deadline)
            .await
            .or_internal()?
            .into_iter()
            .filter_map(Level::from_i16)
            .max();
        let step = match fired {
            None => first_step(
                self.tenant,
                self.case_id,
                ladder,
                start,
                deadline,
                self.share,
                self.now,
            ),
            Some(last) => match ladder.next(last) {
                Some(next) => {
                    let at = next.due_at(start, deadline, self.share, self.calendar);
                    due_row(
                        self.tenant,
                        self.case_id,
                        ladder,
                        next,
                        deadline,
                        at,
                        self.now,
                    )
                }
                None => return Ok(()),
            },
        };
        q::insert_due(tx, vec![step]).await.or_internal()
    }
}

/// Which of a case's ladders [`cancel`] ends.
#[derive(Clone, Copy, Debug)]
pub enum Ladders {
    /// Every ladder, and every pending call of the city's rules: the case
    /// was answered, rejected or closed.
    All,
    One(Ladder),
    /// Every co-handler's opinion ladder.
    Opinions,
}

/// End a case's pending steps of `ladders`, in the caller's transaction.
pub async fn cancel(
    tx: &DatabaseTransaction,
    tenant: &TenantRecord,
    case_id: Uuid,
    ladders: Ladders,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    let name = match ladders {
        Ladders::One(ladder) => ladder.name(),
        _ => String::new(),
    };
    let names = [name.as_str()];
    let which = match ladders {
        Ladders::All => q::Ladders::All,
        Ladders::One(_) => q::Ladders::Named(&names),
        Ladders::Opinions => q::Ladders::Prefixed(OPINION),
    };
    q::cancel_due(tx, tenant.id.into_uuid(), case_id, which, now)
        .await
        .or_internal()
        .map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_read_back() {
        let d = Uuid::now_v7();
        for ladder in [
            Ladder::Answer,
            Ladder::Accept,
            Ladder::Opinion(d),
            Ladder::Close,
        ] {
            assert_eq!(Ladder::parse(&ladder.name()), Some(ladder));
        }
        assert_eq!(Ladder::parse("opinion:nonsense"), None);
        assert_eq!(Ladder::parse("rule:reopened"), None);
    }

    #[test]
    fn each_ladder_stops_at_its_top() {
        let steps = |ladder: Ladder| {
            let mut out = vec![Level::Reminder];
            while let Some(next) = ladder.next(*out.last().unwrap_or(&Level::Reminder)) {
                out.push(next);
            }
            out.iter().map(|l| ladder.action(*l)).collect::<Vec<_>>()
        };
        assert_eq!(
            steps(Ladder::Answer),
            ["reminder", "overdue", "supervision", "escalated"]
        );
        assert_eq!(steps(Ladder::Accept), ["accept_reminder", "accept_overdue"]);
        assert_eq!(
            steps(Ladder::Opinion(Uuid::nil())),
            ["opinion_reminder", "opinion_overdue", "opinion_supervision"]
        );
        assert_eq!(steps(Ladder::Close), ["auto_closed"]);
    }
}
