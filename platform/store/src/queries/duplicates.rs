//! Likely duplicates as kept (`case_duplicates`), and the cases whose
//! duplicates the worker has still to look for (`case_search` rows not
//! `duplicates_scanned`).

use crate::entity::{case_duplicate, case_search};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, QueryFilter, Statement, Value,
};
use uuid::Uuid;

/// What a scan found alike to a case.
#[derive(Clone, Debug, PartialEq)]
pub struct Alike {
    pub other_id: Uuid,
    /// Per mille.
    pub score: i32,
    pub kind: String,
}

/// A kept likely duplicate, as a staff case page lists it.
#[derive(Clone, Debug, PartialEq)]
pub struct Kept {
    pub tracking_code: String,
    pub title: String,
    pub state: String,
    pub submitted_at: chrono::DateTime<chrono::Utc>,
    pub category_id: Uuid,
    pub score: i32,
    pub kind: String,
}

/// Up to `limit` indexed cases of any city (in the platform scope) whose
/// duplicates have not been looked for: (city, case).
pub async fn unscanned(db: &impl ConnectionTrait, limit: u64) -> Result<Vec<(Uuid, Uuid)>, DbErr> {
    let backend = db.get_database_backend();
    // The literal `false` matches the partial index's condition.
    let sql = format!(
        "SELECT tenant_id, case_id FROM case_search WHERE duplicates_scanned = false LIMIT {}",
        if backend == DbBackend::Postgres {
            "$1"
        } else {
            "?1"
        }
    );
    let limit = Value::from(i64::try_from(limit).unwrap_or(i64::MAX));
    db.query_all_raw(Statement::from_sql_and_values(backend, sql, [limit]))
        .await?
        .into_iter()
        .map(|r| Ok((r.try_get("", "tenant_id")?, r.try_get("", "case_id")?)))
        .collect()
}

/// Mixed into a city's id for the lock on keeping its pairs.
const KEEP_LOCK: i64 = 0x6475_706c_6963_6174; // "duplicat"

/// Keep what a scan of `case_id` found (replacing what an earlier scan of
/// it found), each pair both ways round, and mark the case scanned if its
/// SimHash is still `simhash`, the one the scan read (a case re-indexed
/// with another text meanwhile stays unscanned and is scanned again), or
/// in any case when `simhash` is none.
pub async fn keep(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    case_id: Uuid,
    simhash: Option<i64>,
    found: &[Alike],
) -> Result<(), DbErr> {
    use case_duplicate::Column as C;
    // Workers of several replicas may keep pairs of the same city at once,
    // each case in its own transaction. Its old pairs go first, then its
    // new ones: two workers keeping two cases alike would each hold a row
    // the other wants. So a city's pairs are kept one case at a time,
    // across processes (a lock held until the transaction ends).
    if db.get_database_backend() == DbBackend::Postgres {
        let bytes = tenant_id.as_bytes();
        let key = i64::from_be_bytes(bytes[..8].try_into().unwrap_or_default()) ^ KEEP_LOCK;
        db.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_advisory_xact_lock($1)",
            [key.into()],
        ))
        .await?;
    }
    case_duplicate::Entity::delete_many()
        .filter(C::TenantId.eq(tenant_id))
        .filter(C::CaseId.eq(case_id))
        .exec(db)
        .await?;
    let pair = |from: Uuid, to: Uuid, a: &Alike| case_duplicate::ActiveModel {
        tenant_id: sea_orm::ActiveValue::Set(tenant_id),
        case_id: sea_orm::ActiveValue::Set(from),
        other_id: sea_orm::ActiveValue::Set(to),
        score: sea_orm::ActiveValue::Set(a.score),
        kind: sea_orm::ActiveValue::Set(a.kind.clone()),
    };
    // In key order, so two scans keeping the same pairs from either side
    // take their rows' locks in the same order.
    let mut keys: Vec<(Uuid, Uuid, &Alike)> = found
        .iter()
        .flat_map(|a| [(case_id, a.other_id, a), (a.other_id, case_id, a)])
        .collect();
    keys.sort_by_key(|(from, to, _)| (*from, *to));
    let rows: Vec<_> = keys
        .into_iter()
        .map(|(from, to, a)| pair(from, to, a))
        .collect();
    if !rows.is_empty() {
        case_duplicate::Entity::insert_many(rows)
            .on_conflict(
                OnConflict::columns([C::TenantId, C::CaseId, C::OtherId])
                    .update_columns([C::Score, C::Kind])
                    .to_owned(),
            )
            .exec_without_returning(db)
            .await?;
    }
    let mut mark = case_search::Entity::update_many()
        .col_expr(
            case_search::Column::DuplicatesScanned,
            sea_orm::sea_query::Expr::value(true),
        )
        .filter(case_search::Column::TenantId.eq(tenant_id))
        .filter(case_search::Column::CaseId.eq(case_id));
    if let Some(simhash) = simhash {
        mark = mark.filter(case_search::Column::Simhash.eq(simhash));
    }
    mark.exec(db).await?;
    Ok(())
}

/// Up to `limit` kept likely duplicates of a case, most alike first,
/// leaving out cases merged into another and pairs staff said are not
/// duplicates.
pub async fn kept_for(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    case_id: Uuid,
    limit: u64,
) -> Result<Vec<Kept>, DbErr> {
    let backend = db.get_database_backend();
    let p = |n: usize| match backend {
        DbBackend::Postgres => format!("${n}"),
        _ => format!("?{n}"),
    };
    let sql = format!(
        "SELECT c.tracking_code, c.title, c.state, c.submitted_at, c.category_id, d.score, d.kind \
         FROM case_duplicates d JOIN cases c ON c.tenant_id = d.tenant_id AND c.id = d.other_id \
         WHERE d.tenant_id = {t} AND d.case_id = {c} AND c.merged_into_id IS NULL \
         AND NOT EXISTS (SELECT 1 FROM case_not_duplicates n WHERE n.tenant_id = d.tenant_id \
           AND ((n.case_id = d.case_id AND n.other_id = d.other_id) \
             OR (n.case_id = d.other_id AND n.other_id = d.case_id))) \
         ORDER BY d.score DESC, c.tracking_code LIMIT {l}",
        t = p(1),
        c = p(2),
        l = p(3)
    );
    let values: Vec<Value> = vec![
        tenant_id.into(),
        case_id.into(),
        i64::try_from(limit).unwrap_or(i64::MAX).into(),
    ];
    db.query_all_raw(Statement::from_sql_and_values(backend, sql, values))
        .await?
        .into_iter()
        .map(|r| {
            Ok(Kept {
                tracking_code: r.try_get("", "tracking_code")?,
                title: r.try_get("", "title")?,
                state: r.try_get("", "state")?,
                submitted_at: r.try_get("", "submitted_at")?,
                category_id: r.try_get("", "category_id")?,
                score: r.try_get("", "score")?,
                kind: r.try_get("", "kind")?,
            })
        })
        .collect()
}
