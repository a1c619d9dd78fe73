//! Reading cases: one by code or id, every case of a city, co-handlers,
//! timelines, idempotency keys, public timeline entries, and the recent
//! cases rules look up.

use crate::entity::{case, case_department, case_event, case_idempotency};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::ExprTrait;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    QueryTrait,
};
use uuid::Uuid;

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

/// A case's co-handlers with their opinion deadlines and opinions.
pub async fn co_handlers(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    case_id: Uuid,
) -> Result<Vec<case_department::Model>, DbErr> {
    case_department::Entity::find()
        .filter(case_department::Column::TenantId.eq(tenant_id))
        .filter(case_department::Column::CaseId.eq(case_id))
        .all(db)
        .await
}

/// One co-handler of a case, if the department co-handles it.
pub async fn co_handler(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    case_id: Uuid,
    department_id: Uuid,
) -> Result<Option<case_department::Model>, DbErr> {
    case_department::Entity::find()
        .filter(case_department::Column::TenantId.eq(tenant_id))
        .filter(case_department::Column::CaseId.eq(case_id))
        .filter(case_department::Column::DepartmentId.eq(department_id))
        .one(db)
        .await
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

/// Cases by tracking codes (already normalized).
pub async fn by_codes(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    codes: &[String],
) -> Result<Vec<case::Model>, DbErr> {
    let mut out = Vec::new();
    for chunk in codes.chunks(256) {
        out.extend(
            case::Entity::find()
                .filter(case::Column::TenantId.eq(tenant_id))
                .filter(case::Column::TrackingCode.is_in(chunk.to_vec()))
                .all(db)
                .await?,
        );
    }
    Ok(out)
}
