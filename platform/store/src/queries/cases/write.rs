//! Writing cases: inserts (one or a batch), row locks, updates, views,
//! co-handlers, timeline entries and idempotency keys.

use crate::entity::{case, case_department, case_event, case_idempotency};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QuerySelect,
    Set,
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

/// Make `departments` the case's co-handlers: those no longer named are
/// removed (with any opinion they gave), those still named keep theirs,
/// new ones get `deadline` for their opinion. Returns the departments
/// given that deadline now.
pub async fn set_co_departments(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    case_id: Uuid,
    departments: &[Uuid],
    deadline: Option<DateTime<Utc>>,
) -> Result<Vec<Uuid>, DbErr> {
    let existing = case_department::Entity::find()
        .filter(case_department::Column::TenantId.eq(tenant_id))
        .filter(case_department::Column::CaseId.eq(case_id))
        .all(db)
        .await?;
    let gone: Vec<Uuid> = existing
        .iter()
        .map(|r| r.department_id)
        .filter(|d| !departments.contains(d))
        .collect();
    if !gone.is_empty() {
        case_department::Entity::delete_many()
            .filter(case_department::Column::TenantId.eq(tenant_id))
            .filter(case_department::Column::CaseId.eq(case_id))
            .filter(case_department::Column::DepartmentId.is_in(gone))
            .exec(db)
            .await?;
    }
    let mut given = Vec::new();
    for d in departments {
        match existing.iter().find(|r| r.department_id == *d) {
            Some(row) if row.deadline.is_some() || deadline.is_none() => {}
            Some(_) => {
                given.push(*d);
                case_department::Entity::update_many()
                    .col_expr(case_department::Column::Deadline, Expr::value(deadline))
                    .filter(case_department::Column::TenantId.eq(tenant_id))
                    .filter(case_department::Column::CaseId.eq(case_id))
                    .filter(case_department::Column::DepartmentId.eq(*d))
                    .exec(db)
                    .await?;
            }
            None => {
                if deadline.is_some() {
                    given.push(*d);
                }
                case_department::ActiveModel {
                    tenant_id: Set(tenant_id),
                    case_id: Set(case_id),
                    department_id: Set(*d),
                    deadline: Set(deadline),
                    ..Default::default()
                }
                .insert(db)
                .await?;
            }
        }
    }
    Ok(given)
}

/// Raise a co-handler's escalation level (its opinion's ladder) to
/// `level`; a higher level stays.
pub async fn raise_co_level(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    case_id: Uuid,
    department_id: Uuid,
    level: i16,
) -> Result<(), DbErr> {
    case_department::Entity::update_many()
        .col_expr(case_department::Column::EscalationLevel, Expr::value(level))
        .filter(case_department::Column::TenantId.eq(tenant_id))
        .filter(case_department::Column::CaseId.eq(case_id))
        .filter(case_department::Column::DepartmentId.eq(department_id))
        .filter(case_department::Column::EscalationLevel.lt(level))
        .exec(db)
        .await
        .map(|_| ())
}

/// Record a co-handler's opinion; false when the department does not
/// co-handle the case.
pub async fn set_opinion(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    case_id: Uuid,
    department_id: Uuid,
    text: &str,
    by: &str,
    at: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let done = case_department::Entity::update_many()
        .col_expr(
            case_department::Column::Opinion,
            Expr::value(Some(text.to_owned())),
        )
        .col_expr(case_department::Column::OpinionAt, Expr::value(Some(at)))
        .col_expr(
            case_department::Column::OpinionBy,
            Expr::value(Some(by.to_owned())),
        )
        .filter(case_department::Column::TenantId.eq(tenant_id))
        .filter(case_department::Column::CaseId.eq(case_id))
        .filter(case_department::Column::DepartmentId.eq(department_id))
        .exec(db)
        .await?;
    Ok(done.rows_affected > 0)
}

pub async fn insert_event(
    db: &impl ConnectionTrait,
    row: case_event::ActiveModel,
) -> Result<(), DbErr> {
    row.insert(db).await.map(|_| ())
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

/// Write the same change to many cases of the city.
pub async fn update_by_ids(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    ids: &[Uuid],
    update: case::ActiveModel,
) -> Result<(), DbErr> {
    for chunk in ids.chunks(256) {
        case::Entity::update_many()
            .set(update.clone())
            .filter(case::Column::TenantId.eq(tenant_id))
            .filter(case::Column::Id.is_in(chunk.to_vec()))
            .exec(db)
            .await?;
    }
    Ok(())
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
