//! The listing [`Filter`] and the queries built from it: a counted page, a
//! capped count and an uncounted page.

use crate::entity::{case, case_department};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, QueryTrait,
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
