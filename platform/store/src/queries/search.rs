//! The search index (`case_search`): writing a case's tokens, the
//! full-text condition and rank used by case listings, ranked candidates
//! for similar questions and duplicates, and SimHash neighbours.
//!
//! Tokens are made by the application (`minsheng-text`) and arrive here
//! as words; a query is a list of terms that are words of the same kind.
//! SQLite matches through the FTS5 table `case_fts`, PostgreSQL through the
//! `tsvector` column `document`; both filter by the city.

use crate::entity::case_search;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, OnConflict, SimpleExpr};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, QueryFilter, Statement, Value,
};
use uuid::Uuid;

/// Whether every term or any term must be in a case.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Match {
    All,
    Any,
}

/// Insert or replace the search rows of these cases.
pub async fn upsert(
    db: &impl ConnectionTrait,
    rows: Vec<case_search::ActiveModel>,
) -> Result<(), DbErr> {
    use case_search::Column as C;
    if rows.is_empty() {
        return Ok(());
    }
    let on_conflict = OnConflict::columns([C::TenantId, C::CaseId])
        .update_columns([
            C::TitleTokens,
            C::BodyTokens,
            C::AnswerTokens,
            C::Simhash,
            C::Band0,
            C::Band1,
            C::Band2,
            C::Band3,
        ])
        .to_owned();
    for chunk in rows.chunks(256) {
        case_search::Entity::insert_many(chunk.to_vec())
            .on_conflict(on_conflict.clone())
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// Replace the answer's tokens of a case (no-op for a case not indexed
/// yet: the backfill will index it whole).
pub async fn set_answer(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    case_id: Uuid,
    answer_tokens: String,
) -> Result<(), DbErr> {
    case_search::Entity::update_many()
        .col_expr(case_search::Column::AnswerTokens, Expr::val(answer_tokens))
        .filter(case_search::Column::TenantId.eq(tenant_id))
        .filter(case_search::Column::CaseId.eq(case_id))
        .exec(db)
        .await
        .map(|_| ())
}

/// An FTS5 query of `terms`: each a quoted string, joined by AND or OR.
fn fts5_query(terms: &[String], how: Match) -> String {
    let quoted: Vec<String> = terms
        .iter()
        .map(|t| format!("\"{}\"", t.replace('"', "\"\"")))
        .collect();
    quoted.join(if how == Match::All { " AND " } else { " OR " })
}

/// A `tsquery` text of `terms` for `to_tsquery('simple', …)`: each a
/// quoted lexeme, joined by `&` or `|`.
fn tsquery(terms: &[String], how: Match) -> String {
    let quoted: Vec<String> = terms
        .iter()
        .map(|t| format!("'{}'", t.replace('\\', "\\\\").replace('\'', "''")))
        .collect();
    quoted.join(if how == Match::All { " & " } else { " | " })
}

/// The query text for this backend.
fn query_text(backend: DbBackend, terms: &[String], how: Match) -> String {
    match backend {
        DbBackend::Postgres => tsquery(terms, how),
        _ => fts5_query(terms, how),
    }
}

/// A condition on `cases`: the case's title, text or answer holds every
/// term. Terms must not be empty.
pub fn matches(backend: DbBackend, tenant_id: Uuid, terms: &[String]) -> SimpleExpr {
    let q = query_text(backend, terms, Match::All);
    // Placeholders: `$n` on PostgreSQL; `?` in the order of the values on
    // SQLite (where `$2` would be a named parameter).
    let sql = match backend {
        DbBackend::Postgres => {
            "\"cases\".\"id\" IN (SELECT s.case_id FROM case_search s \
             WHERE s.tenant_id = $1 AND s.document @@ to_tsquery('simple', $2))"
        }
        _ => {
            "\"cases\".\"id\" IN (SELECT s.case_id FROM case_fts JOIN case_search s \
             ON s.seq = case_fts.rowid WHERE s.tenant_id = ? AND case_fts MATCH ?)"
        }
    };
    Expr::cust_with_values(sql, [Value::from(tenant_id), Value::from(q)])
}

/// How well a case matches `terms`, for ordering a listing (larger is
/// better), where that is cheap: on PostgreSQL `ts_rank_cd` of the case's
/// row (found by its key). On SQLite none: FTS5 ranks only inside its own
/// query, and a rank per listed row re-runs the full-text query for each
/// (the search benchmark measured seconds for common words), so SQLite
/// lists matches newest first.
pub fn rank(backend: DbBackend, terms: &[String]) -> Option<SimpleExpr> {
    if backend != DbBackend::Postgres {
        return None;
    }
    let q = query_text(backend, terms, Match::All);
    Some(Expr::cust_with_values(
        "(SELECT ts_rank_cd(s.document, to_tsquery('simple', $1)) FROM case_search s \
         WHERE s.tenant_id = \"cases\".\"tenant_id\" AND s.case_id = \"cases\".\"id\")",
        [Value::from(q)],
    ))
}

/// Where candidates may come from.
#[derive(Clone, Debug, Default)]
pub struct Among {
    /// Only public cases with an answer (similar questions for citizens).
    pub public_answered: bool,
    /// Not this case.
    pub except: Option<Uuid>,
    /// Submitted at or after.
    pub since: Option<DateTime<Utc>>,
}

/// The ids of up to `limit` cases of the city holding `terms` (`how`),
/// best first, with their rank (larger is better).
pub async fn candidates(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    terms: &[String],
    how: Match,
    among: &Among,
    limit: u64,
) -> Result<Vec<(Uuid, f64)>, DbErr> {
    if terms.is_empty() {
        return Ok(Vec::new());
    }
    let backend = db.get_database_backend();
    let mut values: Vec<Value> = vec![query_text(backend, terms, how).into(), tenant_id.into()];
    let p = |n: usize| match backend {
        DbBackend::Postgres => format!("${n}"),
        _ => format!("?{n}"),
    };
    let mut sql = match backend {
        DbBackend::Postgres => "SELECT s.case_id, ts_rank_cd(s.document, q)::float8 AS score \
             FROM case_search s CROSS JOIN to_tsquery('simple', $1) q \
             JOIN cases c ON c.tenant_id = s.tenant_id AND c.id = s.case_id \
             WHERE s.tenant_id = $2 AND s.document @@ q"
            .to_owned(),
        _ => "SELECT s.case_id, -bm25(case_fts, 4.0, 2.0, 1.0) AS score \
             FROM case_fts JOIN case_search s ON s.seq = case_fts.rowid \
             JOIN cases c ON c.tenant_id = s.tenant_id AND c.id = s.case_id \
             WHERE case_fts MATCH ?1 AND s.tenant_id = ?2"
            .to_owned(),
    };
    if among.public_answered {
        sql.push_str(" AND c.public = ");
        sql.push_str(if backend == DbBackend::Postgres {
            "TRUE"
        } else {
            "1"
        });
        sql.push_str(" AND c.answer IS NOT NULL");
    }
    if let Some(id) = among.except {
        values.push(id.into());
        sql.push_str(&format!(" AND c.id <> {}", p(values.len())));
    }
    if let Some(since) = among.since {
        values.push(since.into());
        sql.push_str(&format!(" AND c.submitted_at >= {}", p(values.len())));
    }
    values.push(i64::try_from(limit).unwrap_or(i64::MAX).into());
    sql.push_str(&format!(" ORDER BY score DESC LIMIT {}", p(values.len())));
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(backend, sql, values))
        .await?;
    rows.into_iter()
        .map(|r| Ok((r.try_get("", "case_id")?, r.try_get("", "score")?)))
        .collect()
}

/// Cases of the city whose SimHash shares a band with `hash` (so every
/// hash within 3 bits, and some others), submitted since `since`, except
/// `except`: their ids and hashes, at most `limit`.
pub async fn simhash_neighbours(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    bands: [i32; 4],
    except: Uuid,
    limit: u64,
) -> Result<Vec<(Uuid, i64)>, DbErr> {
    use case_search::Column as C;
    use sea_orm::{Condition, QuerySelect};
    case_search::Entity::find()
        .select_only()
        .column(C::CaseId)
        .column(C::Simhash)
        .filter(C::TenantId.eq(tenant_id))
        .filter(C::CaseId.ne(except))
        .filter(
            Condition::any()
                .add(C::Band0.eq(bands[0]))
                .add(C::Band1.eq(bands[1]))
                .add(C::Band2.eq(bands[2]))
                .add(C::Band3.eq(bands[3])),
        )
        .limit(limit)
        .into_tuple()
        .all(db)
        .await
}

/// The search row of one case.
pub async fn get(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    case_id: Uuid,
) -> Result<Option<case_search::Model>, DbErr> {
    case_search::Entity::find()
        .filter(case_search::Column::TenantId.eq(tenant_id))
        .filter(case_search::Column::CaseId.eq(case_id))
        .one(db)
        .await
}

/// Up to `limit` cases (of any city; for the backfill, in the platform
/// scope) without a search row, in (city, id) order after `after`: keyset
/// paging, so each batch starts where the last ended.
pub async fn unindexed(
    db: &impl ConnectionTrait,
    tenant_id: Option<Uuid>,
    after: Option<(Uuid, Uuid)>,
    limit: u64,
) -> Result<Vec<crate::entity::case::Model>, DbErr> {
    use crate::entity::case;
    use sea_orm::{Condition, QueryOrder, QuerySelect};
    let mut find = case::Entity::find().filter(Expr::cust(
        "NOT EXISTS (SELECT 1 FROM case_search s WHERE s.tenant_id = \"cases\".\"tenant_id\" \
         AND s.case_id = \"cases\".\"id\")",
    ));
    if let Some(t) = tenant_id {
        find = find.filter(case::Column::TenantId.eq(t));
    }
    if let Some((t, id)) = after {
        find = find.filter(
            Condition::any().add(case::Column::TenantId.gt(t)).add(
                Condition::all()
                    .add(case::Column::TenantId.eq(t))
                    .add(case::Column::Id.gt(id)),
            ),
        );
    }
    find.order_by_asc(case::Column::TenantId)
        .order_by_asc(case::Column::Id)
        .limit(limit)
        .all(db)
        .await
}

/// How many cases have no search row.
pub async fn unindexed_count(
    db: &impl ConnectionTrait,
    tenant_id: Option<Uuid>,
) -> Result<u64, DbErr> {
    use crate::entity::case;
    use sea_orm::PaginatorTrait;
    let mut find = case::Entity::find().filter(Expr::cust(
        "NOT EXISTS (SELECT 1 FROM case_search s WHERE s.tenant_id = \"cases\".\"tenant_id\" \
         AND s.case_id = \"cases\".\"id\")",
    ));
    if let Some(t) = tenant_id {
        find = find.filter(case::Column::TenantId.eq(t));
    }
    find.count(db).await
}

/// These cases of a city (in no particular order).
pub async fn cases_by_ids(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    ids: Vec<Uuid>,
) -> Result<Vec<crate::entity::case::Model>, DbErr> {
    use crate::entity::case;
    case::Entity::find()
        .filter(case::Column::TenantId.eq(tenant_id))
        .filter(case::Column::Id.is_in(ids))
        .all(db)
        .await
}

/// Up to `limit` cases of a city after the case `after`, in id order (for
/// re-indexing a city whole).
pub async fn cases_after(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    after: Option<Uuid>,
    limit: u64,
) -> Result<Vec<crate::entity::case::Model>, DbErr> {
    use crate::entity::case;
    use sea_orm::{QueryOrder, QuerySelect};
    let mut find = case::Entity::find().filter(case::Column::TenantId.eq(tenant_id));
    if let Some(a) = after {
        find = find.filter(case::Column::Id.gt(a));
    }
    find.order_by_asc(case::Column::Id)
        .limit(limit)
        .all(db)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_quote_every_term() {
        let t = vec!["油烟".to_owned(), "a\"b".to_owned(), "it's".to_owned()];
        assert_eq!(
            fts5_query(&t, Match::All),
            "\"油烟\" AND \"a\"\"b\" AND \"it's\""
        );
        assert_eq!(tsquery(&t, Match::Any), "'油烟' | 'a\"b' | 'it''s'");
    }
}
