//! The statistics rollup: per-day counter deltas, their sharded upsert, and
//! the database's sums over a period.

use crate::entity::case_stat;
use chrono::NaiveDate;
use sea_orm::sea_query::{Expr, Func, OnConflict};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QuerySelect, Set};
use uuid::Uuid;

/// Changes to one day's counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StatDelta {
    pub received: i64,
    pub accepted: i64,
    pub answered: i64,
    pub answered_on_time: i64,
    pub answer_seconds: i64,
    pub rated: i64,
    pub satisfied: i64,
    pub views: i64,
    pub overdue: i64,
    pub supervised: i64,
    pub co_handled: i64,
    pub opinions: i64,
    pub opinions_on_time: i64,
    pub opinions_overdue: i64,
}

impl std::ops::AddAssign for StatDelta {
    fn add_assign(&mut self, o: Self) {
        self.received += o.received;
        self.accepted += o.accepted;
        self.answered += o.answered;
        self.answered_on_time += o.answered_on_time;
        self.answer_seconds += o.answer_seconds;
        self.rated += o.rated;
        self.satisfied += o.satisfied;
        self.views += o.views;
        self.overdue += o.overdue;
        self.supervised += o.supervised;
        self.co_handled += o.co_handled;
        self.opinions += o.opinions;
        self.opinions_on_time += o.opinions_on_time;
        self.opinions_overdue += o.opinions_overdue;
    }
}

/// Rows per (city or department, day) in the rollup.
pub const STAT_SHARDS: i16 = 16;

/// Add `delta` to the counters of each of `departments` (the nil id is the
/// whole city) on `day` in `shard`, creating rows as needed, in one statement
/// in the caller's transaction.
pub async fn add_stats(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    departments: &[Uuid],
    day: NaiveDate,
    shard: i16,
    d: StatDelta,
) -> Result<(), DbErr> {
    use case_stat::Column as C;
    let rows = departments
        .iter()
        .map(|department_id| case_stat::ActiveModel {
            tenant_id: Set(tenant_id),
            department_id: Set(*department_id),
            day: Set(day),
            shard: Set(shard.rem_euclid(STAT_SHARDS)),
            received: Set(d.received),
            accepted: Set(d.accepted),
            answered: Set(d.answered),
            answered_on_time: Set(d.answered_on_time),
            answer_seconds: Set(d.answer_seconds),
            rated: Set(d.rated),
            satisfied: Set(d.satisfied),
            views: Set(d.views),
            overdue: Set(d.overdue),
            supervised: Set(d.supervised),
            co_handled: Set(d.co_handled),
            opinions: Set(d.opinions),
            opinions_on_time: Set(d.opinions_on_time),
            opinions_overdue: Set(d.opinions_overdue),
        });
    let mut on_conflict = OnConflict::columns([C::TenantId, C::DepartmentId, C::Day, C::Shard]);
    for (col, name) in COUNTERS {
        on_conflict.value(
            col,
            Expr::cust(format!("case_stats.{name} + excluded.{name}")),
        );
    }
    case_stat::Entity::insert_many(rows)
        .on_conflict(on_conflict)
        .exec_without_returning(db)
        .await
        .map(|_| ())
}

/// The rollup's counter columns and their names.
const COUNTERS: [(case_stat::Column, &str); 14] = [
    (case_stat::Column::Received, "received"),
    (case_stat::Column::Accepted, "accepted"),
    (case_stat::Column::Answered, "answered"),
    (case_stat::Column::AnsweredOnTime, "answered_on_time"),
    (case_stat::Column::AnswerSeconds, "answer_seconds"),
    (case_stat::Column::Rated, "rated"),
    (case_stat::Column::Satisfied, "satisfied"),
    (case_stat::Column::Views, "views"),
    (case_stat::Column::Overdue, "overdue"),
    (case_stat::Column::Supervised, "supervised"),
    (case_stat::Column::CoHandled, "co_handled"),
    (case_stat::Column::Opinions, "opinions"),
    (case_stat::Column::OpinionsOnTime, "opinions_on_time"),
    (case_stat::Column::OpinionsOverdue, "opinions_overdue"),
];

/// The counters of the rollup summed over a period, for one department
/// (or the whole city, `department_id` nil).
#[derive(Clone, Debug, Default, PartialEq, Eq, sea_orm::FromQueryResult)]
pub struct StatTotals {
    pub department_id: Uuid,
    pub received: i64,
    pub accepted: i64,
    pub answered: i64,
    pub answered_on_time: i64,
    pub answer_seconds: i64,
    pub rated: i64,
    pub satisfied: i64,
    pub views: i64,
    pub overdue: i64,
    pub supervised: i64,
    pub co_handled: i64,
    pub opinions: i64,
    pub opinions_on_time: i64,
    pub opinions_overdue: i64,
}

impl StatTotals {
    /// Add one rollup row.
    pub fn add(&mut self, row: &case_stat::Model) {
        self.received += row.received;
        self.accepted += row.accepted;
        self.answered += row.answered;
        self.answered_on_time += row.answered_on_time;
        self.answer_seconds += row.answer_seconds;
        self.rated += row.rated;
        self.satisfied += row.satisfied;
        self.views += row.views;
        self.overdue += row.overdue;
        self.supervised += row.supervised;
        self.co_handled += row.co_handled;
        self.opinions += row.opinions;
        self.opinions_on_time += row.opinions_on_time;
        self.opinions_overdue += row.opinions_overdue;
    }
}

/// Which totals [`stat_totals`] sums.
#[derive(Clone, Copy, Debug)]
pub enum StatScope {
    /// The city as a whole.
    City,
    /// Every department, one row each.
    Departments,
}

/// The rollup summed by the database between two days (inclusive): one
/// row for the city, or one per department. The work is a scan of the
/// period's rollup rows inside the database; nothing per row crosses over.
pub async fn stat_totals(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    scope: StatScope,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<StatTotals>, DbErr> {
    use case_stat::Column as C;
    let mut query = case_stat::Entity::find()
        .select_only()
        .column(C::DepartmentId)
        .filter(C::TenantId.eq(tenant_id))
        .filter(C::Day.gte(from))
        .filter(C::Day.lte(to));
    query = match scope {
        StatScope::City => query.filter(C::DepartmentId.eq(Uuid::nil())),
        StatScope::Departments => query.filter(C::DepartmentId.ne(Uuid::nil())),
    };
    for (column, name) in COUNTERS {
        // PostgreSQL sums BIGINT as NUMERIC: cast back.
        let sum = Func::coalesce([
            sea_orm::sea_query::Expr::from(Func::sum(Expr::col(column))),
            Expr::val(0),
        ]);
        query = query.column_as(
            Expr::expr(Func::cast_as(sum, sea_orm::sea_query::Alias::new("bigint"))),
            name,
        );
    }
    query
        .group_by(C::DepartmentId)
        .into_model::<StatTotals>()
        .all(db)
        .await
}
