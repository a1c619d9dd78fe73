//! The listing [`Filter`] and the queries built from it: a counted page, a
//! capped count and an uncounted page.

use crate::entity::{case, case_department};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbBackend, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, QueryTrait,
};
use uuid::Uuid;

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
    /// Cases whose title, text or answer holds every one of these search
    /// terms, separated by spaces: words segmented by the application
    /// (`minsheng-text`), matched through the search index. No terms
    /// (only stop words were typed) matches nothing.
    pub search: Option<String>,
    /// With `search`: best matches first where the database ranks cheaply
    /// (PostgreSQL), else newest first.
    pub ranked: bool,
    /// Held for review (`review` is set).
    pub held: bool,
    /// Under supervision (督办).
    pub supervised: bool,
    /// Answer deadline at or after this instant.
    pub deadline_from: Option<DateTime<Utc>>,
    /// Answer deadline before this instant.
    pub deadline_before: Option<DateTime<Utc>>,
    /// 0 low … 3 urgent.
    pub priority: Option<i16>,
    /// Carries this tag.
    pub tag: Option<String>,
    /// An extension request waits for a decision.
    pub extension_pending: bool,
    /// Public and answered or closed (the home page's and the sitemap's
    /// answers), written as the partial index `ix_cases_published_answers`
    /// is, so both databases read the newest through it.
    pub published_answers: bool,
}

/// The condition of `ix_cases_published_answers`, word for word: a
/// partial index serves a query whose condition holds its own (bound
/// parameters would not).
pub const PUBLISHED_ANSWERS: &str =
    "\"cases\".\"public\" AND \"cases\".\"state\" IN ('answered', 'closed')";

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

fn condition(backend: DbBackend, tenant_id: Uuid, f: &Filter) -> Condition {
    let mut c = base_condition(tenant_id, f);
    if let Some(terms) = search_terms(f) {
        if terms.is_empty() {
            c = c.add(Expr::cust("1 = 0"));
        } else {
            c = c.add(crate::queries::search::matches(backend, tenant_id, &terms));
        }
    }
    c
}

/// Every condition of `f` but the search.
fn base_condition(tenant_id: Uuid, f: &Filter) -> Condition {
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
    if f.extension_pending {
        c = c.add(case::Column::ExtensionPending.eq(true));
    }
    if f.published_answers {
        c = c.add(Expr::cust(PUBLISHED_ANSWERS));
    }
    if f.held {
        c = c.add(case::Column::Review.is_not_null());
    }
    if f.supervised {
        c = c.add(case::Column::SupervisedAt.is_not_null());
    }
    if let Some(at) = f.deadline_from {
        c = c.add(case::Column::AnswerDeadline.gte(at));
    }
    if let Some(at) = f.deadline_before {
        c = c.add(case::Column::AnswerDeadline.lt(at));
    }
    if let Some(p) = f.priority {
        c = c.add(case::Column::Priority.eq(p));
    }
    if let Some(tag) = &f.tag {
        // Tags are a JSON list of strings: match the quoted tag literally.
        let quoted = serde_json::to_string(tag).unwrap_or_default();
        let pattern = contains_pattern(&quoted);
        c = c.add(
            Expr::cust("CAST(\"cases\".\"tags\" AS TEXT)")
                .like(LikeExpr::new(pattern).escape('\\')),
        );
    }
    c
}

/// The search terms of `f`, at most 8.
fn search_terms(f: &Filter) -> Option<Vec<String>> {
    f.search
        .as_ref()
        .map(|s| s.split_whitespace().take(8).map(str::to_owned).collect())
}

/// The full-text query of a search with terms: such listings are driven
/// from the index (see [`crate::queries::search::RANKED_AT_MOST`]).
fn driven_search(backend: DbBackend, f: &Filter) -> Option<String> {
    let terms = search_terms(f).filter(|t| !t.is_empty())?;
    Some(crate::queries::search::match_text(backend, &terms))
}

/// The ids of a page of cases matching `f` and the full-text query `fts`,
/// from the index: with `ranked`, best first when the query has few
/// matches, else in the index's order; without, newest submitted first.
async fn driven_page_ids(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    f: &Filter,
    fts: &str,
    offset: u64,
    limit: u64,
) -> Result<Vec<Uuid>, DbErr> {
    use crate::queries::search::{RANKED_AT_MOST, driven, driven_order, matches_up_to};
    use sea_orm::Order;
    let backend = db.get_database_backend();
    let mut select = driven(backend, tenant_id, fts);
    select
        .column((case::Entity, case::Column::Id))
        .cond_where(base_condition(tenant_id, f));
    if f.ranked {
        let few = matches_up_to(db, tenant_id, fts, RANKED_AT_MOST + 1).await? <= RANKED_AT_MOST;
        let (order, direction) = driven_order(backend, fts, few);
        select.order_by_expr(order, direction);
    }
    // SQLite's FTS5 hands its matches over in the order asked for, so the
    // join stops at the page's end; a further key would sort them all.
    if !f.ranked || backend == DbBackend::Postgres {
        select
            .order_by((case::Entity, case::Column::SubmittedAt), Order::Desc)
            .order_by((case::Entity, case::Column::Id), Order::Desc);
    }
    select.limit(limit).offset(offset);
    let rows = db.query_all_raw(backend.build(&select)).await?;
    rows.iter().map(|r| r.try_get_by_index(0)).collect()
}

/// The cases with these ids, in this order.
async fn in_order(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    ids: Vec<Uuid>,
) -> Result<Vec<case::Model>, DbErr> {
    let mut rows = case::Entity::find()
        .filter(case::Column::TenantId.eq(tenant_id))
        .filter(case::Column::Id.is_in(ids.clone()))
        .all(db)
        .await?;
    rows.sort_by_key(|r| ids.iter().position(|id| *id == r.id));
    Ok(rows)
}

/// How many cases match `f` and the full-text query `fts`, counted from
/// the index, no further than `cap`.
async fn driven_count(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    f: &Filter,
    fts: &str,
    cap: Option<u64>,
) -> Result<u64, DbErr> {
    use sea_orm::sea_query::{Alias, Query};
    let backend = db.get_database_backend();
    let mut inner = crate::queries::search::driven(backend, tenant_id, fts);
    inner
        .column((case::Entity, case::Column::Id))
        .cond_where(base_condition(tenant_id, f));
    if let Some(cap) = cap {
        inner.limit(cap);
    }
    let outer = Query::select()
        .expr_as(Expr::cust("COUNT(*)"), Alias::new("n"))
        .from_subquery(inner, Alias::new("matched"))
        .to_owned();
    let n: i64 = match db.query_one_raw(backend.build(&outer)).await? {
        Some(row) => row.try_get("", "n")?,
        None => 0,
    };
    Ok(u64::try_from(n).unwrap_or(0))
}

/// Newest first, or with a ranked search best first.
fn ordered(
    backend: DbBackend,
    select: sea_orm::Select<case::Entity>,
    f: &Filter,
) -> sea_orm::Select<case::Entity> {
    let rank = search_terms(f)
        .filter(|t| f.ranked && !t.is_empty())
        .and_then(|terms| crate::queries::search::rank(backend, &terms));
    let select = match rank {
        Some(rank) => select.order_by(rank, sea_orm::Order::Desc),
        None => select,
    };
    select
        .order_by_desc(case::Column::SubmittedAt)
        .order_by_desc(case::Column::Id)
}

/// A page of cases, newest first, and the total count.
pub async fn list(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    filter: &Filter,
    page: u64,
    page_size: u64,
) -> Result<(Vec<case::Model>, u64), DbErr> {
    let backend = db.get_database_backend();
    if let Some(fts) = driven_search(backend, filter) {
        let total = driven_count(db, tenant_id, filter, &fts, None).await?;
        let ids = driven_page_ids(db, tenant_id, filter, &fts, page * page_size, page_size).await?;
        return Ok((in_order(db, tenant_id, ids).await?, total));
    }
    let total = case::Entity::find()
        .filter(condition(backend, tenant_id, filter))
        .count(db)
        .await?;
    let query = ordered(
        backend,
        case::Entity::find().filter(condition(backend, tenant_id, filter)),
        filter,
    );
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
    if let Some(fts) = driven_search(db.get_database_backend(), filter) {
        return driven_count(db, tenant_id, filter, &fts, Some(cap)).await;
    }
    let inner = case::Entity::find()
        .select_only()
        .column(case::Column::Id)
        .filter(condition(db.get_database_backend(), tenant_id, filter))
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
    let backend = db.get_database_backend();
    if let Some(fts) = driven_search(backend, filter) {
        let ids = driven_page_ids(db, tenant_id, filter, &fts, page * page_size, page_size).await?;
        return in_order(db, tenant_id, ids).await;
    }
    ordered(
        backend,
        case::Entity::find().filter(condition(backend, tenant_id, filter)),
        filter,
    )
    .offset(page * page_size)
    .limit(page_size)
    .all(db)
    .await
}

/// The order of a work queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QueueOrder {
    /// Earliest answer deadline first.
    Deadline,
    /// Newest submission first.
    Newest,
}

/// What a line of a work queue shows of a case: the columns a queue
/// needs and not the text, contact data or JSON documents, which cost more
/// to read and decode than the rest of the page.
#[derive(Clone, Debug, PartialEq, sea_orm::FromQueryResult)]
pub struct QueueRow {
    pub id: Uuid,
    pub tracking_code: String,
    pub title: String,
    pub state: String,
    pub category_id: Uuid,
    pub lead_department_id: Option<Uuid>,
    pub priority: i16,
    pub tags: Option<serde_json::Value>,
    pub public: bool,
    pub submitted_at: DateTime<Utc>,
    pub answer_deadline: DateTime<Utc>,
    pub supervised_at: Option<DateTime<Utc>>,
    /// Held for review (`review` is set).
    pub held: bool,
}

fn queue_rows() -> sea_orm::Select<case::Entity> {
    use case::Column as C;
    case::Entity::find()
        .select_only()
        .columns([
            C::Id,
            C::TrackingCode,
            C::Title,
            C::State,
            C::CategoryId,
            C::LeadDepartmentId,
            C::Priority,
            C::Tags,
            C::Public,
            C::SubmittedAt,
            C::AnswerDeadline,
            C::SupervisedAt,
        ])
        .expr_as(Expr::col((case::Entity, C::Review)).is_not_null(), "held")
}

/// Up to `limit` cases of a work queue in `order`, after the case `after`
/// (its sort key and id) when given: keyset paging, as fast on the
/// thousandth page as on the first.
pub async fn queue(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    filter: &Filter,
    order: QueueOrder,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: u64,
) -> Result<Vec<QueueRow>, DbErr> {
    let mut c = condition(db.get_database_backend(), tenant_id, filter);
    match order {
        QueueOrder::Deadline => {
            if let Some((at, id)) = after {
                c = c.add(
                    Condition::any()
                        .add(case::Column::AnswerDeadline.gt(at))
                        .add(
                            Condition::all()
                                .add(case::Column::AnswerDeadline.eq(at))
                                .add(case::Column::Id.gt(id)),
                        ),
                );
            }
            let several_states =
                filter.state.is_none() && filter.states.as_ref().is_none_or(|s| s.len() > 1);
            if !several_states {
                // One state: the index gives the order.
                return queue_rows()
                    .filter(c)
                    .order_by_asc(case::Column::AnswerDeadline)
                    .order_by_asc(case::Column::Id)
                    .limit(limit)
                    .into_model()
                    .all(db)
                    .await;
            }
            // The page's ids from the index alone, then those rows: a
            // deadline tab spans several states, so the order is made by
            // sorting, and sorting keys is much cheaper than sorting rows.
            let ids: Vec<Uuid> = case::Entity::find()
                .select_only()
                .column(case::Column::Id)
                .filter(c)
                .order_by_asc(case::Column::AnswerDeadline)
                .order_by_asc(case::Column::Id)
                .limit(limit)
                .into_tuple()
                .all(db)
                .await?;
            let mut rows: Vec<QueueRow> = queue_rows()
                .filter(case::Column::TenantId.eq(tenant_id))
                .filter(case::Column::Id.is_in(ids.clone()))
                .into_model()
                .all(db)
                .await?;
            rows.sort_by_key(|r| ids.iter().position(|id| *id == r.id));
            Ok(rows)
        }
        QueueOrder::Newest => {
            if let Some((at, id)) = after {
                c = c.add(
                    Condition::any().add(case::Column::SubmittedAt.lt(at)).add(
                        Condition::all()
                            .add(case::Column::SubmittedAt.eq(at))
                            .add(case::Column::Id.lt(id)),
                    ),
                );
            }
            queue_rows()
                .filter(c)
                .order_by_desc(case::Column::SubmittedAt)
                .order_by_desc(case::Column::Id)
                .limit(limit)
                .into_model()
                .all(db)
                .await
        }
    }
}

/// How many rows meet `cond` (0 when none), as a select expression.
fn count_when(cond: sea_orm::sea_query::SimpleExpr) -> sea_orm::sea_query::SimpleExpr {
    use sea_orm::sea_query::{CaseStatement, SimpleExpr};
    let one: SimpleExpr = CaseStatement::new().case(cond, 1).finally(0).into();
    let sum: SimpleExpr = Func::sum(one).into();
    Func::coalesce([sum, Expr::val(0)]).into()
}

/// The states of a case that still waits for the city.
pub const OPEN_STATES: [&str; 4] = ["submitted", "accepted", "assigned", "in_progress"];

/// How many cases match each filter, all counted in one statement (one
/// round trip): each count is its own index range count, which costs far
/// less per case than one pass that tests every condition on every open
/// case. A count with a cap stops there (it says "more than").
pub async fn count_each(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    counts: &[(Filter, Option<u64>)],
) -> Result<Vec<u64>, DbErr> {
    use sea_orm::sea_query::{Alias, Query, SelectStatement};
    if counts.is_empty() {
        return Ok(Vec::new());
    }
    let count = |from: SelectStatement| -> SelectStatement {
        Query::select()
            .expr(Expr::cust("COUNT(*)"))
            .from_subquery(from, Alias::new("counted"))
            .to_owned()
    };
    let mut select = Query::select();
    for (i, (filter, cap)) in counts.iter().enumerate() {
        let matching = case::Entity::find().select_only().filter(condition(
            db.get_database_backend(),
            tenant_id,
            filter,
        ));
        let sub = match cap {
            None => matching.expr(Expr::cust("COUNT(*)")).into_query(),
            Some(cap) => count(matching.column(case::Column::Id).limit(*cap).into_query()),
        };
        select.expr_as(
            Expr::SubQuery(None, Box::new(sub.into())),
            Alias::new(format!("n{i}")),
        );
    }
    let statement = db.get_database_backend().build(&select);
    let row = db
        .query_one_raw(statement)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("counts".into()))?;
    (0..counts.len())
        .map(|i| {
            let n: i64 = row.try_get("", &format!("n{i}"))?;
            Ok(u64::try_from(n).unwrap_or(0))
        })
        .collect()
}

/// Open cases of one lead department: how many, how many overdue at `now`,
/// how many under supervision.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DepartmentLoad {
    pub department_id: Option<Uuid>,
    pub open: u64,
    pub overdue: u64,
    pub supervised: u64,
}

/// [`DepartmentLoad`] of every lead department with open cases.
pub async fn open_by_department(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Vec<DepartmentLoad>, DbErr> {
    let f = Filter {
        states: Some(OPEN_STATES.iter().map(|s| (*s).to_owned()).collect()),
        ..Default::default()
    };
    let when = count_when;
    let select = case::Entity::find()
        .select_only()
        .column(case::Column::LeadDepartmentId)
        .expr_as(Expr::cust("COUNT(*)"), "open")
        .expr_as(
            when(Expr::col((case::Entity, case::Column::AnswerDeadline)).lt(now)),
            "overdue",
        )
        .expr_as(
            when(Expr::col((case::Entity, case::Column::SupervisedAt)).is_not_null()),
            "supervised",
        )
        .filter(condition(db.get_database_backend(), tenant_id, &f))
        .group_by(case::Column::LeadDepartmentId);
    let statement = db.get_database_backend().build(&select.into_query());
    let rows = db.query_all_raw(statement).await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let n = |name: &str| -> Result<u64, DbErr> {
            let v: i64 = row.try_get("", name)?;
            Ok(u64::try_from(v).unwrap_or(0))
        };
        out.push(DepartmentLoad {
            department_id: row.try_get("", "lead_department_id")?,
            open: n("open")?,
            overdue: n("overdue")?,
            supervised: n("supervised")?,
        });
    }
    Ok(out)
}
