//! Bulletins (三情通报): the kept bulletins of a city, and the one count of
//! the cases a bulletin needs that the statistics rollup does not have
//! (cases received by category).

use crate::entity::{bulletin, case};
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::{Expr, Func};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
    QuerySelect,
};
use uuid::Uuid;

/// Cases received in one category.
#[derive(Clone, Debug, FromQueryResult)]
pub struct CategoryCount {
    pub category_id: Uuid,
    pub received: i64,
}

/// The city's cases submitted in `[from, until)` by category, a merged
/// duplicate counted once (as its main case), like the rollup's
/// `received`.
pub async fn received_by_category(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    from: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<Vec<CategoryCount>, DbErr> {
    use case::Column as C;
    case::Entity::find()
        .select_only()
        .column(C::CategoryId)
        .column_as(
            Expr::expr(Func::cast_as(
                Func::count(Expr::col(C::Id)),
                sea_orm::sea_query::Alias::new("bigint"),
            )),
            "received",
        )
        .filter(C::TenantId.eq(tenant_id))
        .filter(C::SubmittedAt.gte(from))
        .filter(C::SubmittedAt.lt(until))
        .filter(C::MergedIntoId.is_null())
        .group_by(C::CategoryId)
        .into_model::<CategoryCount>()
        .all(db)
        .await
}

/// The city's bulletin of `kind` for the period starting on `from`.
pub async fn for_period(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    kind: &str,
    from: NaiveDate,
) -> Result<Option<bulletin::Model>, DbErr> {
    one_of(db, tenant_id, kind, bulletin::Column::PeriodFrom.eq(from)).await
}

/// The city's bulletin of `kind` that also meets `condition`.
async fn one_of(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    kind: &str,
    condition: sea_orm::sea_query::SimpleExpr,
) -> Result<Option<bulletin::Model>, DbErr> {
    use bulletin::Column as C;
    bulletin::Entity::find()
        .filter(C::TenantId.eq(tenant_id))
        .filter(C::Kind.eq(kind))
        .filter(condition)
        .one(db)
        .await
}

/// The city's latest bulletin of `kind`, if any.
pub async fn latest(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    kind: &str,
) -> Result<Option<bulletin::Model>, DbErr> {
    use bulletin::Column as C;
    bulletin::Entity::find()
        .filter(C::TenantId.eq(tenant_id))
        .filter(C::Kind.eq(kind))
        .order_by_desc(C::Number)
        .one(db)
        .await
}

/// The city's bulletin of `kind` numbered `number`.
pub async fn by_number(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    kind: &str,
    number: i32,
) -> Result<Option<bulletin::Model>, DbErr> {
    one_of(db, tenant_id, kind, bulletin::Column::Number.eq(number)).await
}

/// The city's bulletins (of one kind, or all), newest first.
pub async fn list(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    kind: Option<&str>,
    limit: u64,
) -> Result<Vec<bulletin::Model>, DbErr> {
    use bulletin::Column as C;
    let mut query = bulletin::Entity::find().filter(C::TenantId.eq(tenant_id));
    if let Some(kind) = kind {
        query = query.filter(C::Kind.eq(kind));
    }
    query
        .order_by_desc(C::PeriodTo)
        .order_by_asc(C::Kind)
        .limit(limit)
        .all(db)
        .await
}

/// A case's searchable words and when it was filed (for trends).
#[derive(Clone, Debug, FromQueryResult)]
pub struct CaseWords {
    pub submitted_at: DateTime<Utc>,
    pub title_tokens: String,
    pub body_tokens: String,
}

/// The indexed words of the city's cases filed in `[from, until)`, a
/// merged duplicate left out (it counts as its main case).
pub async fn words_between(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    from: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<Vec<CaseWords>, DbErr> {
    use crate::entity::case_search;
    use sea_orm::sea_query::{ExprTrait, Query};
    let (c, s) = (case::Entity, case_search::Entity);
    let stmt = Query::select()
        .column((c, case::Column::SubmittedAt))
        .column((s, case_search::Column::TitleTokens))
        .column((s, case_search::Column::BodyTokens))
        .from(s)
        .inner_join(
            c,
            Expr::col((c, case::Column::TenantId))
                .equals((s, case_search::Column::TenantId))
                .and(Expr::col((c, case::Column::Id)).equals((s, case_search::Column::CaseId))),
        )
        .and_where(Expr::col((s, case_search::Column::TenantId)).eq(tenant_id))
        .and_where(Expr::col((c, case::Column::TenantId)).eq(tenant_id))
        .and_where(Expr::col((c, case::Column::SubmittedAt)).gte(from))
        .and_where(Expr::col((c, case::Column::SubmittedAt)).lt(until))
        .and_where(Expr::col((c, case::Column::MergedIntoId)).is_null())
        .to_owned();
    CaseWords::find_by_statement(db.get_database_backend().build(&stmt))
        .all(db)
        .await
}
