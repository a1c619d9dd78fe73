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
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, SimpleExpr};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbBackend, DbErr, EntityTrait, QueryFilter, Statement,
    Value,
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
            C::DuplicatesScanned,
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

/// A search listing is driven from the search index: the index yields
/// the matching rows and the join to `cases` (with the city and the
/// listing's other conditions) stops at the page's end, instead of the
/// planner reading every case of the city and probing the index for each
/// (the search benchmark: that cost more than the `LIKE` scan it
/// replaced). Matches are ranked (SQLite: FTS5's BM25; PostgreSQL:
/// `ts_rank_cd`) when a query has at most this many; a query with more is
/// listed in the index's order (SQLite: most recently indexed first, for
/// cases filed here newest first; PostgreSQL: newest submitted first),
/// since ranking every match of a common word costs as much as the scan
/// the index replaces.
pub const RANKED_AT_MOST: u64 = 2_000;

/// The full-text query matching every one of `terms` in title, text or
/// answer, for this backend.
pub fn match_text(backend: DbBackend, terms: &[String]) -> String {
    query_text(backend, terms, Match::All)
}

/// How many rows of the index match `query`, counting no further than
/// `cap` (the index's own lists: on SQLite the whole index's, whose FTS5
/// table holds no city; on PostgreSQL the city's).
pub async fn matches_up_to(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    query: &str,
    cap: u64,
) -> Result<u64, DbErr> {
    let backend = db.get_database_backend();
    let cap = Value::from(i64::try_from(cap).unwrap_or(i64::MAX));
    let statement = match backend {
        DbBackend::Postgres => Statement::from_sql_and_values(
            backend,
            "SELECT COUNT(*) AS n FROM (SELECT 1 FROM case_search s \
             WHERE s.tenant_id = $1 AND s.document @@ to_tsquery('simple', $2) LIMIT $3) m",
            [Value::from(tenant_id), Value::from(query.to_owned()), cap],
        ),
        _ => Statement::from_sql_and_values(
            backend,
            "SELECT COUNT(*) AS n FROM (SELECT rowid FROM case_fts WHERE case_fts MATCH ? LIMIT ?)",
            [Value::from(query.to_owned()), cap],
        ),
    };
    let n: i64 = match db.query_one_raw(statement).await? {
        Some(r) => r.try_get("", "n")?,
        None => 0,
    };
    Ok(u64::try_from(n).unwrap_or(0))
}

/// `SELECT … FROM` the index `JOIN cases WHERE` the index matches `query`
/// (SQLite: `case_fts` and `case_search`; PostgreSQL: `case_search` of
/// the city): the caller adds its columns, conditions (the city's among
/// them), order and limit.
pub fn driven(
    backend: DbBackend,
    tenant_id: Uuid,
    query: &str,
) -> sea_orm::sea_query::SelectStatement {
    use crate::entity::case;
    use sea_orm::sea_query::{Alias, Query};
    let s = Alias::new("s");
    let same_case = Expr::col((case::Entity, case::Column::TenantId))
        .equals((s.clone(), case_search::Column::TenantId))
        .and(
            Expr::col((case::Entity, case::Column::Id))
                .equals((s.clone(), case_search::Column::CaseId)),
        );
    let mut select = Query::select();
    if backend == DbBackend::Postgres {
        select
            .from_as(case_search::Entity, s)
            .inner_join(case::Entity, same_case)
            .and_where(Expr::cust_with_values(
                "\"s\".\"tenant_id\" = $1 AND \"s\".\"document\" @@ to_tsquery('simple', $2)",
                [Value::from(tenant_id), Value::from(query.to_owned())],
            ));
    } else {
        // CROSS JOIN keeps SQLite's join order as written, the index first
        // (a plan that starts from `cases` runs the MATCH once per case);
        // the join's conditions are in WHERE.
        let fts = Alias::new("case_fts");
        select
            .from(fts.clone())
            .join_as(
                sea_orm::JoinType::CrossJoin,
                case_search::Entity,
                s.clone(),
                Condition::all(),
            )
            .join(sea_orm::JoinType::CrossJoin, case::Entity, Condition::all())
            .and_where(Expr::col((s, Alias::new("seq"))).equals((fts, Alias::new("rowid"))))
            .and_where(same_case)
            .and_where(Expr::cust_with_values(
                "\"case_fts\" MATCH ?",
                [Value::from(query.to_owned())],
            ));
    }
    select.to_owned()
}

/// The order of a [`driven`] listing: best first, or (`ranked` false) the
/// index's own order.
pub fn driven_order(backend: DbBackend, query: &str, ranked: bool) -> (SimpleExpr, sea_orm::Order) {
    use sea_orm::Order;
    match (backend, ranked) {
        (DbBackend::Postgres, true) => (
            Expr::cust_with_values(
                "ts_rank_cd(\"s\".\"document\", to_tsquery('simple', $1))",
                [Value::from(query.to_owned())],
            ),
            Order::Desc,
        ),
        (DbBackend::Postgres, false) => (Expr::cust("\"cases\".\"submitted_at\""), Order::Desc),
        (_, true) => (Expr::cust("\"case_fts\".\"rank\""), Order::Asc),
        (_, false) => (Expr::cust("\"case_fts\".\"rowid\""), Order::Desc),
    }
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
    values.push(i64::try_from(limit).unwrap_or(i64::MAX).into());
    sql.push_str(&format!(" ORDER BY score DESC LIMIT {}", p(values.len())));
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(backend, sql, values))
        .await?;
    rows.into_iter()
        .map(|r| Ok((r.try_get("", "case_id")?, r.try_get("", "score")?)))
        .collect()
}

/// Where a case's likely duplicates are looked for: the city's other
/// cases submitted between `from` and `until` that are of `category_id`
/// or lie within `near` (latitude from/to, longitude from/to). Each part
/// yields at most [`NEIGHBOURS_AT_MOST`] cases (the newest), so the text is
/// scored among a bounded set however common the case's words are.
#[derive(Clone, Debug)]
pub struct Neighbourhood {
    pub except: Uuid,
    pub category_id: Uuid,
    pub from: DateTime<Utc>,
    pub until: DateTime<Utc>,
    pub near: Option<[f64; 4]>,
}

/// At most this many cases of the category, and this many nearby, are
/// scored for one case's likely duplicates.
pub const NEIGHBOURS_AT_MOST: i64 = 300;

/// Up to `limit` cases of `around` that are not merged into another and
/// hold any of `terms` (words as indexed), best first: their ids, score
/// (each term counts 2 in the title, 1 in the text) and SimHash.
///
/// The score is counted over the neighbours' indexed words rather than by
/// the full-text index: a full-text query ranks every case holding a
/// common word (20% of a city for 大街) before the neighbourhood is
/// applied, and SQLite's BM25 recounts every term's documents each time
/// the index is probed for one row.
pub async fn duplicate_candidates(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    terms: &[String],
    around: &Neighbourhood,
    limit: u64,
) -> Result<Vec<(Uuid, i64, i64)>, DbErr> {
    if terms.is_empty() {
        return Ok(Vec::new());
    }
    let backend = db.get_database_backend();
    let p = |n: usize| match backend {
        DbBackend::Postgres => format!("${n}"),
        _ => format!("?{n}"),
    };
    let mut values: Vec<Value> = vec![
        tenant_id.into(),
        around.except.into(),
        around.from.into(),
        around.until.into(),
        NEIGHBOURS_AT_MOST.into(),
        i64::try_from(limit).unwrap_or(i64::MAX).into(),
        around.category_id.into(),
    ];
    let window = format!(
        "tenant_id = {t} AND id <> {e} AND merged_into_id IS NULL \
         AND submitted_at >= {f} AND submitted_at <= {u}",
        t = p(1),
        e = p(2),
        f = p(3),
        u = p(4)
    );
    let n = p(5);
    let mut sql = format!(
        "WITH same AS (SELECT id FROM cases WHERE {window} AND category_id = {c} \
         ORDER BY submitted_at DESC LIMIT {n})",
        c = p(7)
    );
    let mut parts = "SELECT id FROM same".to_owned();
    if let Some(box_) = around.near {
        let at = values.len();
        values.extend(box_.map(Value::from));
        sql.push_str(&format!(
            ", near AS (SELECT id FROM cases WHERE {window} \
             AND latitude >= {} AND latitude <= {} AND longitude >= {} AND longitude <= {} \
             ORDER BY submitted_at DESC LIMIT {n})",
            p(at + 1),
            p(at + 2),
            p(at + 3),
            p(at + 4),
        ));
        parts.push_str(" UNION SELECT id FROM near");
    }
    let find = match backend {
        DbBackend::Postgres => "strpos",
        _ => "instr",
    };
    let mut score = Vec::new();
    for term in terms {
        values.push(format!(" {term} ").into());
        let k = p(values.len());
        score.push(format!(
            "(CASE WHEN {find}(' ' || s.title_tokens || ' ', {k}) > 0 THEN 2 ELSE 0 END \
             + CASE WHEN {find}(' ' || s.body_tokens || ' ', {k}) > 0 THEN 1 ELSE 0 END)"
        ));
    }
    let cast = if backend == DbBackend::Postgres {
        "::bigint"
    } else {
        ""
    };
    sql.push_str(&format!(
        ", w AS ({parts}), scored AS (SELECT s.case_id, s.simhash, ({score}){cast} AS score \
         FROM w JOIN case_search s ON s.tenant_id = {t} AND s.case_id = w.id) \
         SELECT case_id, score, simhash FROM scored WHERE score > 0 \
         ORDER BY score DESC, case_id LIMIT {l}",
        score = score.join(" + "),
        t = p(1),
        l = p(6)
    ));
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(backend, sql, values))
        .await?;
    rows.into_iter()
        .map(|r| {
            Ok((
                r.try_get("", "case_id")?,
                r.try_get("", "score")?,
                r.try_get("", "simhash")?,
            ))
        })
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
    // One indexed lookup per band, united: with the four bands OR-ed,
    // SQLite searched its band index by the city alone (every case of it).
    let backend = db.get_database_backend();
    let p = |n: usize| match backend {
        DbBackend::Postgres => format!("${n}"),
        _ => format!("?{n}"),
    };
    let mut values: Vec<Value> = vec![tenant_id.into(), except.into()];
    let mut parts = Vec::new();
    for (n, band) in bands.iter().enumerate() {
        values.push((*band).into());
        parts.push(format!(
            "SELECT case_id, simhash FROM case_search \
             WHERE tenant_id = {} AND band{n} = {} AND case_id <> {}",
            p(1),
            p(values.len()),
            p(2)
        ));
    }
    values.push(i64::try_from(limit).unwrap_or(i64::MAX).into());
    let sql = format!("{} LIMIT {}", parts.join(" UNION "), p(values.len()));
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(backend, sql, values))
        .await?;
    rows.into_iter()
        .map(|r| Ok((r.try_get("", "case_id")?, r.try_get("", "simhash")?)))
        .collect()
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

/// The pair `(a, b)` in the order `case_not_duplicates` stores it.
fn pair(a: Uuid, b: Uuid) -> (Uuid, Uuid) {
    if a < b { (a, b) } else { (b, a) }
}

/// Remember that the cases `a` and `b` of the city are not duplicates
/// (again: no error).
pub async fn insert_not_duplicate(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    a: Uuid,
    b: Uuid,
    decided_by: String,
    at: DateTime<Utc>,
) -> Result<(), DbErr> {
    use crate::entity::case_not_duplicate as n;
    use sea_orm::ActiveValue::Set;
    let (case_id, other_id) = pair(a, b);
    n::Entity::insert(n::ActiveModel {
        tenant_id: Set(tenant_id),
        case_id: Set(case_id),
        other_id: Set(other_id),
        decided_by: Set(decided_by),
        decided_at: Set(at),
    })
    .on_conflict(
        OnConflict::columns([n::Column::TenantId, n::Column::CaseId, n::Column::OtherId])
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(db)
    .await
    .map(|_| ())
}

/// The cases of the city staff said are not duplicates of `case_id`.
pub async fn not_duplicates_of(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    case_id: Uuid,
) -> Result<Vec<Uuid>, DbErr> {
    use crate::entity::case_not_duplicate as n;
    use sea_orm::Condition;
    let rows = n::Entity::find()
        .filter(n::Column::TenantId.eq(tenant_id))
        .filter(
            Condition::any()
                .add(n::Column::CaseId.eq(case_id))
                .add(n::Column::OtherId.eq(case_id)),
        )
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            if r.case_id == case_id {
                r.other_id
            } else {
                r.case_id
            }
        })
        .collect())
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

    #[test]
    fn sqlite_listings_start_from_the_index_and_join_on_the_case() {
        let sql = DbBackend::Sqlite
            .build(&driven(DbBackend::Sqlite, Uuid::nil(), "\"油烟\""))
            .to_string();
        let from =
            sql.find("FROM \"case_fts\" CROSS JOIN \"case_search\" AS \"s\" CROSS JOIN \"cases\"");
        assert!(from.is_some(), "{sql}");
        assert!(
            sql.contains("\"s\".\"seq\" = \"case_fts\".\"rowid\""),
            "{sql}"
        );
        assert!(
            sql.contains("\"cases\".\"tenant_id\" = \"s\".\"tenant_id\""),
            "{sql}"
        );
        assert!(
            sql.contains("\"cases\".\"id\" = \"s\".\"case_id\""),
            "{sql}"
        );
        assert!(sql.contains("\"case_fts\" MATCH"), "{sql}");
    }
}
