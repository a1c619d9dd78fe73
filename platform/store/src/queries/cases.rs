//! Cases, their co-handlers, timeline, idempotency keys and statistics.
//! Every function takes the tenant and filters by it.

use crate::entity::{case, case_department, case_event, case_idempotency, case_stat};
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, QueryTrait, Set,
};
use uuid::Uuid;

pub async fn insert(
    db: &impl ConnectionTrait,
    row: case::ActiveModel,
) -> Result<case::Model, DbErr> {
    row.insert(db).await
}

/// Insert many new cases, their first timeline entries and idempotency
/// records (the group committer's batch), a few statements per table.
///
/// Rows go in chunks whose sizes are powers of two (13 rows: 8, 4 and 1),
/// so each table has only a handful of statement shapes: every pooled
/// connection soon has them all prepared, instead of preparing a new shape
/// for almost every batch size.
pub async fn insert_batch(
    db: &impl ConnectionTrait,
    cases: Vec<case::ActiveModel>,
    events: Vec<case_event::ActiveModel>,
    keys: Vec<case_idempotency::ActiveModel>,
) -> Result<(), DbErr> {
    for chunk in power_of_two_chunks(keys) {
        case_idempotency::Entity::insert_many(chunk)
            .exec_without_returning(db)
            .await?;
    }
    for chunk in power_of_two_chunks(cases) {
        case::Entity::insert_many(chunk)
            .exec_without_returning(db)
            .await?;
    }
    for chunk in power_of_two_chunks(events) {
        case_event::Entity::insert_many(chunk)
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// Split `rows` into chunks of decreasing powers of two.
fn power_of_two_chunks<T>(mut rows: Vec<T>) -> Vec<Vec<T>> {
    let mut chunks = Vec::new();
    while !rows.is_empty() {
        let size = 1 << rows.len().ilog2();
        let rest = rows.split_off(size);
        chunks.push(rows);
        rows = rest;
    }
    chunks
}

#[cfg(test)]
mod tests {
    #[test]
    fn chunks_are_powers_of_two_covering_every_row() {
        let sizes: Vec<usize> = super::power_of_two_chunks((0..13).collect::<Vec<_>>())
            .iter()
            .map(Vec::len)
            .collect();
        assert_eq!(sizes, [8, 4, 1]);
        let all: Vec<i32> = super::power_of_two_chunks((0..64).collect())
            .into_iter()
            .flatten()
            .collect();
        assert_eq!(all, (0..64).collect::<Vec<_>>());
        assert!(super::power_of_two_chunks(Vec::<i32>::new()).is_empty());
    }
}

pub async fn by_code(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    code: &str,
) -> Result<Option<case::Model>, DbErr> {
    case::Entity::find()
        .filter(case::Column::TenantId.eq(tenant_id))
        .filter(case::Column::TrackingCode.eq(code))
        .one(db)
        .await
}

/// Lock a case's row until the transaction ends (PostgreSQL; SQLite has
/// one writer). Whoever changes a case and its due work takes the case
/// first, so two such transactions never wait on each other in a circle.
pub async fn lock(db: &impl ConnectionTrait, tenant_id: Uuid, id: Uuid) -> Result<(), DbErr> {
    if db.get_database_backend() != sea_orm::DbBackend::Postgres {
        return Ok(());
    }
    case::Entity::find()
        .select_only()
        .column(case::Column::Id)
        .filter(case::Column::TenantId.eq(tenant_id))
        .filter(case::Column::Id.eq(id))
        .lock_exclusive()
        .into_tuple::<Uuid>()
        .one(db)
        .await
        .map(|_| ())
}

/// Change a case whatever its state (the escalation engine's own columns).
pub async fn update_by_id(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    id: Uuid,
    update: case::ActiveModel,
) -> Result<(), DbErr> {
    case::Entity::update_many()
        .set(update)
        .filter(case::Column::TenantId.eq(tenant_id))
        .filter(case::Column::Id.eq(id))
        .exec(db)
        .await
        .map(|_| ())
}

pub async fn by_id(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    id: Uuid,
) -> Result<Option<case::Model>, DbErr> {
    case::Entity::find()
        .filter(case::Column::TenantId.eq(tenant_id))
        .filter(case::Column::Id.eq(id))
        .one(db)
        .await
}

/// Write `row` only if the case is still in `expected_state` (a concurrent
/// change makes this return false, and the caller reports a conflict).
pub async fn update_fenced(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    id: Uuid,
    expected_state: &str,
    row: case::ActiveModel,
) -> Result<bool, DbErr> {
    let result = case::Entity::update_many()
        .set(row)
        .filter(case::Column::TenantId.eq(tenant_id))
        .filter(case::Column::Id.eq(id))
        .filter(case::Column::State.eq(expected_state))
        .exec(db)
        .await?;
    Ok(result.rows_affected > 0)
}

pub async fn add_view(db: &impl ConnectionTrait, tenant_id: Uuid, id: Uuid) -> Result<(), DbErr> {
    case::Entity::update_many()
        .col_expr(case::Column::Views, Expr::col(case::Column::Views).add(1))
        .filter(case::Column::TenantId.eq(tenant_id))
        .filter(case::Column::Id.eq(id))
        .exec(db)
        .await
        .map(|_| ())
}

/// Filters of a case listing.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    pub public_only: bool,
    pub department: Option<Uuid>,
    /// Cases these departments lead or co-handle (a department's inbox).
    pub departments_any: Option<Vec<Uuid>>,
    pub category: Option<Uuid>,
    pub state: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    /// Any of these states.
    pub states: Option<Vec<String>>,
    /// Any of these tracking codes.
    pub codes: Option<Vec<String>>,
    /// Cases filed by this citizen account.
    pub citizen: Option<Uuid>,
    /// Cases whose title or text contains these words (each of them, any
    /// case). A scan within the other conditions: see docs/operations.md.
    pub search: Option<String>,
}

/// `word` as a `LIKE` pattern that matches it anywhere, literally.
fn contains_pattern(word: &str) -> String {
    let mut escaped = String::with_capacity(word.len() + 2);
    escaped.push('%');
    for ch in word.to_lowercase().chars() {
        if matches!(ch, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(ch);
    }
    escaped.push('%');
    escaped
}

fn condition(tenant_id: Uuid, f: &Filter) -> Condition {
    let mut c = Condition::all().add(case::Column::TenantId.eq(tenant_id));
    if f.public_only {
        c = c.add(case::Column::Public.eq(true));
    }
    if let Some(d) = f.department {
        c = c.add(case::Column::LeadDepartmentId.eq(d));
    }
    if let Some(ds) = &f.departments_any {
        let co = case_department::Entity::find()
            .select_only()
            .column(case_department::Column::CaseId)
            .filter(case_department::Column::TenantId.eq(tenant_id))
            .filter(case_department::Column::DepartmentId.is_in(ds.clone()))
            .into_query();
        c = c.add(
            Condition::any()
                .add(case::Column::LeadDepartmentId.is_in(ds.clone()))
                .add(case::Column::Id.in_subquery(co)),
        );
    }
    if let Some(cat) = f.category {
        c = c.add(case::Column::CategoryId.eq(cat));
    }
    if let Some(s) = &f.state {
        c = c.add(case::Column::State.eq(s.clone()));
    }
    if let Some(states) = &f.states {
        c = c.add(case::Column::State.is_in(states.clone()));
    }
    if let Some(codes) = &f.codes {
        c = c.add(case::Column::TrackingCode.is_in(codes.clone()));
    }
    if let Some(from) = f.from {
        c = c.add(case::Column::SubmittedAt.gte(from));
    }
    if let Some(to) = f.to {
        c = c.add(case::Column::SubmittedAt.lt(to));
    }
    if let Some(citizen) = f.citizen {
        c = c.add(case::Column::CitizenId.eq(citizen));
    }
    for word in f.search.iter().flat_map(|s| s.split_whitespace()).take(5) {
        let pattern = contains_pattern(word);
        let like = |col: case::Column| {
            Expr::expr(Func::lower(Expr::col((case::Entity, col))))
                .like(LikeExpr::new(pattern.clone()).escape('\\'))
        };
        c = c.add(
            Condition::any()
                .add(like(case::Column::Title))
                .add(like(case::Column::Body)),
        );
    }
    c
}

/// A page of cases, newest first, and the total count.
pub async fn list(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    filter: &Filter,
    page: u64,
    page_size: u64,
) -> Result<(Vec<case::Model>, u64), DbErr> {
    let query = case::Entity::find()
        .filter(condition(tenant_id, filter))
        .order_by_desc(case::Column::SubmittedAt)
        .order_by_desc(case::Column::Id);
    let total = query.clone().count(db).await?;
    let rows = query
        .offset(page * page_size)
        .limit(page_size)
        .all(db)
        .await?;
    Ok((rows, total))
}

/// How many cases match, counting no further than `cap`.
pub async fn count_capped(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    filter: &Filter,
    cap: u64,
) -> Result<u64, DbErr> {
    use sea_orm::sea_query::{Alias, Query};
    let inner = case::Entity::find()
        .select_only()
        .column(case::Column::Id)
        .filter(condition(tenant_id, filter))
        .limit(cap)
        .into_query();
    let outer = Query::select()
        .expr_as(Expr::cust("COUNT(*)"), Alias::new("n"))
        .from_subquery(inner, Alias::new("capped"))
        .to_owned();
    let statement = db.get_database_backend().build(&outer);
    let n: i64 = match db.query_one_raw(statement).await? {
        Some(row) => row.try_get("", "n")?,
        None => 0,
    };
    Ok(u64::try_from(n).unwrap_or(0))
}

/// Page `page` (from 0) of cases, newest first, without counting them all.
pub async fn page(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    filter: &Filter,
    page: u64,
    page_size: u64,
) -> Result<Vec<case::Model>, DbErr> {
    case::Entity::find()
        .filter(condition(tenant_id, filter))
        .order_by_desc(case::Column::SubmittedAt)
        .order_by_desc(case::Column::Id)
        .offset(page * page_size)
        .limit(page_size)
        .all(db)
        .await
}

/// Every case of a city (tests and recounts only: this scans).
pub async fn all(db: &impl ConnectionTrait, tenant_id: Uuid) -> Result<Vec<case::Model>, DbErr> {
    case::Entity::find()
        .filter(case::Column::TenantId.eq(tenant_id))
        .all(db)
        .await
}

pub async fn co_departments(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    case_id: Uuid,
) -> Result<Vec<Uuid>, DbErr> {
    Ok(case_department::Entity::find()
        .filter(case_department::Column::TenantId.eq(tenant_id))
        .filter(case_department::Column::CaseId.eq(case_id))
        .all(db)
        .await?
        .into_iter()
        .map(|r| r.department_id)
        .collect())
}

pub async fn set_co_departments(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    case_id: Uuid,
    departments: &[Uuid],
) -> Result<(), DbErr> {
    case_department::Entity::delete_many()
        .filter(case_department::Column::TenantId.eq(tenant_id))
        .filter(case_department::Column::CaseId.eq(case_id))
        .exec(db)
        .await?;
    for d in departments {
        case_department::ActiveModel {
            tenant_id: Set(tenant_id),
            case_id: Set(case_id),
            department_id: Set(*d),
        }
        .insert(db)
        .await?;
    }
    Ok(())
}

pub async fn insert_event(
    db: &impl ConnectionTrait,
    row: case_event::ActiveModel,
) -> Result<(), DbErr> {
    row.insert(db).await.map(|_| ())
}

/// A case's timeline in order; only public entries unless asked.
pub async fn events(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    case_id: Uuid,
    include_internal: bool,
) -> Result<Vec<case_event::Model>, DbErr> {
    let mut query = case_event::Entity::find()
        .filter(case_event::Column::TenantId.eq(tenant_id))
        .filter(case_event::Column::CaseId.eq(case_id));
    if !include_internal {
        query = query.filter(case_event::Column::Public.eq(true));
    }
    query
        .order_by_asc(case_event::Column::At)
        .order_by_asc(case_event::Column::Id)
        .all(db)
        .await
}

pub async fn idempotency(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    key: &str,
) -> Result<Option<case_idempotency::Model>, DbErr> {
    case_idempotency::Entity::find()
        .filter(case_idempotency::Column::TenantId.eq(tenant_id))
        .filter(case_idempotency::Column::Key.eq(key))
        .one(db)
        .await
}

pub async fn insert_idempotency(
    db: &impl ConnectionTrait,
    row: case_idempotency::ActiveModel,
) -> Result<(), DbErr> {
    row.insert(db).await.map(|_| ())
}

/// Forget idempotency keys older than `before` (they are kept a day).
pub async fn expire_idempotency(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    before: DateTime<Utc>,
) -> Result<(), DbErr> {
    case_idempotency::Entity::delete_many()
        .filter(case_idempotency::Column::TenantId.eq(tenant_id))
        .filter(case_idempotency::Column::CreatedAt.lt(before))
        .exec(db)
        .await
        .map(|_| ())
}

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
const COUNTERS: [(case_stat::Column, &str); 10] = [
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

/// Public timeline entries of public cases in `[from, to)`, oldest first,
/// at most `limit`, with each entry's case; optionally only of `codes`.
pub async fn public_events(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    codes: Option<&[String]>,
    limit: u64,
) -> Result<Vec<(case_event::Model, case::Model)>, DbErr> {
    let mut cases = case::Entity::find()
        .select_only()
        .column(case::Column::Id)
        .filter(case::Column::TenantId.eq(tenant_id))
        .filter(case::Column::Public.eq(true));
    if let Some(codes) = codes {
        cases = cases.filter(case::Column::TrackingCode.is_in(codes.to_vec()));
    }
    let events = case_event::Entity::find()
        .filter(case_event::Column::TenantId.eq(tenant_id))
        .filter(case_event::Column::Public.eq(true))
        .filter(case_event::Column::At.gte(from))
        .filter(case_event::Column::At.lt(to))
        .filter(case_event::Column::CaseId.in_subquery(cases.into_query()))
        .order_by_asc(case_event::Column::At)
        .order_by_asc(case_event::Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    let ids: Vec<Uuid> = events.iter().map(|e| e.case_id).collect();
    let rows: std::collections::HashMap<Uuid, case::Model> = case::Entity::find()
        .filter(case::Column::TenantId.eq(tenant_id))
        .filter(case::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    Ok(events
        .into_iter()
        .filter_map(|e| rows.get(&e.case_id).cloned().map(|c| (e, c)))
        .collect())
}

/// Co-handling departments of new cases, written with their batch.
pub async fn insert_co_departments(
    db: &impl ConnectionTrait,
    rows: Vec<case_department::ActiveModel>,
) -> Result<(), DbErr> {
    for chunk in power_of_two_chunks(rows) {
        case_department::Entity::insert_many(chunk)
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// A recent case for a rule's lookup: tracking code, title, category id,
/// submitted at.
pub type RecentCase = (String, String, Uuid, chrono::DateTime<chrono::Utc>);

fn recent(tenant_id: Uuid, since: chrono::DateTime<chrono::Utc>) -> sea_orm::Select<case::Entity> {
    case::Entity::find()
        .select_only()
        .columns([
            case::Column::TrackingCode,
            case::Column::Title,
            case::Column::CategoryId,
            case::Column::SubmittedAt,
        ])
        .filter(case::Column::TenantId.eq(tenant_id))
        .filter(case::Column::SubmittedAt.gte(since))
}

/// The city's cases submitted since `since` whose title is `title`,
/// newest first: the (tenant, title, submitted_at) index answers it.
pub async fn recent_with_title(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    title: &str,
    since: chrono::DateTime<chrono::Utc>,
    limit: u64,
) -> Result<Vec<RecentCase>, DbErr> {
    recent(tenant_id, since)
        .filter(case::Column::Title.eq(title))
        .order_by_desc(case::Column::SubmittedAt)
        .limit(limit)
        .into_tuple()
        .all(db)
        .await
}

/// The city's cases submitted since `since` whose title contains `text`,
/// newest first.
pub async fn recent_by_title(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    text: &str,
    since: chrono::DateTime<chrono::Utc>,
    limit: u64,
) -> Result<Vec<RecentCase>, DbErr> {
    let pattern = format!(
        "%{}%",
        text.replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    );
    recent(tenant_id, since)
        .filter(
            sea_orm::sea_query::Expr::col(case::Column::Title)
                .like(sea_orm::sea_query::LikeExpr::new(pattern).escape('\\')),
        )
        .order_by_desc(case::Column::SubmittedAt)
        .limit(limit)
        .into_tuple()
        .all(db)
        .await
}

/// The city's cases submitted since `since`, oldest first, at most `limit`.
pub async fn submitted_since(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    since: chrono::DateTime<chrono::Utc>,
    limit: u64,
) -> Result<Vec<case::Model>, DbErr> {
    case::Entity::find()
        .filter(case::Column::TenantId.eq(tenant_id))
        .filter(case::Column::SubmittedAt.gte(since))
        .order_by_asc(case::Column::SubmittedAt)
        .limit(limit)
        .all(db)
        .await
}
