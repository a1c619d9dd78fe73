//! The search index of a city's cases: which words a case is found by
//! (title, text and answer, segmented by `minsheng-text` with the city's
//! own words), kept with the case when it is submitted and answered, and
//! the backfill that indexes cases written before (or around) it.
//!
//! Queries are segmented the same way ([`terms`]); listings match them
//! through `Filter::search`, similar questions and duplicates through
//! `minsheng_store::queries::search::candidates`.

use crate::services::DbResultExt;
use crate::services::tenants::TenantRecord;
use minsheng_domain::Error;
use minsheng_store::entity::{case, case_search};
use minsheng_store::queries::search as q;
use minsheng_store::{ConnectionTrait, Scope, Store};
use minsheng_text::{CityWords, Segmenter};
use sea_orm::ActiveValue::Set;
use uuid::Uuid;

/// The city's own words (its publication settings' `words`).
pub fn city_words(tenant: &TenantRecord) -> CityWords {
    let words = tenant.publication().words;
    CityWords::new(words.iter().map(String::as_str))
}

/// The search terms of what someone typed, space-separated, as
/// `Filter::search` takes them (empty when only stop words were typed).
pub fn terms(tenant: &TenantRecord, text: &str) -> String {
    term_list(tenant, text).join(" ")
}

/// The search terms of `text`, each once.
pub fn term_list(tenant: &TenantRecord, text: &str) -> Vec<String> {
    Segmenter::shared().query_terms(text, &city_words(tenant))
}

/// What a case is indexed by, before it has an id.
#[derive(Clone, Debug)]
pub struct Indexed {
    pub title: String,
    pub body: String,
    pub answer: String,
    pub simhash: i64,
}

/// Segment a case's title, text and answer, and hash title and text.
pub fn index(city: &CityWords, title: &str, body: &str, answer: Option<&str>) -> Indexed {
    let seg = Segmenter::shared();
    let join = |text: &str| seg.index_tokens(text, city).join(" ");
    Indexed {
        title: join(title),
        body: join(body),
        answer: answer.map(join).unwrap_or_default(),
        simhash: fingerprint(city, title, body),
    }
}

/// The SimHash of a case's title and text, over TF-IDF-weighted keywords
/// (the title's words count twice), as stored (a signed 64-bit number).
pub fn fingerprint(city: &CityWords, title: &str, body: &str) -> i64 {
    let seg = Segmenter::shared();
    let text = format!("{title}。{title}。{body}");
    let words = seg.keywords(&text, city, 48);
    minsheng_text::simhash(&words) as i64
}

/// The row of `case_id` in the index.
pub fn row(tenant_id: Uuid, case_id: Uuid, indexed: Indexed) -> case_search::ActiveModel {
    let bands = minsheng_text::similarity::bands(indexed.simhash as u64);
    case_search::ActiveModel {
        tenant_id: Set(tenant_id),
        case_id: Set(case_id),
        title_tokens: Set(indexed.title),
        body_tokens: Set(indexed.body),
        answer_tokens: Set(indexed.answer),
        simhash: Set(indexed.simhash),
        band0: Set(bands[0]),
        band1: Set(bands[1]),
        band2: Set(bands[2]),
        band3: Set(bands[3]),
        // (Re)indexed: the worker looks for its likely duplicates.
        duplicates_scanned: Set(false),
    }
}

/// Index a case's new answer, in the answer's transaction.
pub async fn index_answer(
    db: &impl ConnectionTrait,
    tenant: &TenantRecord,
    case_id: Uuid,
    answer: &str,
) -> Result<(), Error> {
    let tokens = Segmenter::shared()
        .index_tokens(answer, &city_words(tenant))
        .join(" ");
    q::set_answer(db, tenant.id.into_uuid(), case_id, tokens)
        .await
        .or_internal()
}

/// Index (again) one case as it is, in the caller's transaction.
pub async fn reindex(
    db: &impl ConnectionTrait,
    tenant: &TenantRecord,
    row: &case::Model,
) -> Result<(), Error> {
    let indexed = index(
        &city_words(tenant),
        &row.title,
        &row.body,
        row.answer.as_deref(),
    );
    q::upsert(db, vec![self::row(tenant.id.into_uuid(), row.id, indexed)])
        .await
        .or_internal()
}

/// Cases indexed per transaction by the backfill.
const BACKFILL_BATCH: u64 = 500;

/// Index every case that has no search row yet (of one city, or of all),
/// a batch per transaction; `progress(done, total)` after each batch.
/// Returns how many were indexed. Safe to run beside intake: a case
/// indexed meanwhile is simply replaced by the same row.
pub async fn backfill(
    store: &Store,
    only: Option<&TenantRecord>,
    mut progress: impl FnMut(u64, u64),
) -> Result<u64, Error> {
    let only_id = only.map(|t| t.id.into_uuid());
    let read = store.read(Scope::Platform).await.or_internal()?;
    let total = q::unindexed_count(&read, only_id).await.or_internal()?;
    let tenants = match only {
        Some(t) => vec![t.clone()],
        None => minsheng_store::queries::tenants::list(&read)
            .await
            .or_internal()?
            .into_iter()
            .map(TenantRecord::from_row)
            .collect::<Result<Vec<_>, _>>()?,
    };
    read.commit().await.or_internal()?;
    if total == 0 {
        return Ok(0);
    }
    let only = only_id;
    let words: std::collections::HashMap<Uuid, CityWords> = tenants
        .iter()
        .map(|t| (t.id.into_uuid(), city_words(t)))
        .collect();
    let none = CityWords::default();
    let mut done = 0;
    let mut after = None;
    loop {
        let tx = store.begin(Scope::Platform).await.or_internal()?;
        let cases = q::unindexed(&tx, only, after, BACKFILL_BATCH)
            .await
            .or_internal()?;
        let Some(last) = cases.last() else {
            tx.commit().await.or_internal()?;
            break;
        };
        after = Some((last.tenant_id, last.id));
        let n = cases.len() as u64;
        // Segmenting is CPU work: off the async threads.
        let rows = {
            let words = words.clone();
            let none = none.clone();
            tokio::task::spawn_blocking(move || {
                cases
                    .iter()
                    .map(|c| {
                        let city = words.get(&c.tenant_id).unwrap_or(&none);
                        row(
                            c.tenant_id,
                            c.id,
                            index(city, &c.title, &c.body, c.answer.as_deref()),
                        )
                    })
                    .collect::<Vec<_>>()
            })
            .await
            .map_err(Error::internal)?
        };
        q::upsert(&tx, rows).await.or_internal()?;
        tx.commit().await.or_internal()?;
        done += n;
        progress(done.min(total), total);
        if n < BACKFILL_BATCH {
            break;
        }
    }
    Ok(done)
}

/// How many cases (of every city) are not in the search index.
pub async fn missing(store: &Store) -> Result<u64, Error> {
    let read = store.read(Scope::Platform).await.or_internal()?;
    let n = q::unindexed_count(&read, None).await.or_internal()?;
    read.commit().await.or_internal()?;
    Ok(n)
}

/// How many cases a city has.
pub async fn case_count(store: &Store, tenant: &TenantRecord) -> Result<u64, Error> {
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
    let read = store
        .read(Scope::Tenant(tenant.id.into_uuid()))
        .await
        .or_internal()?;
    let n = case::Entity::find()
        .filter(case::Column::TenantId.eq(tenant.id.into_uuid()))
        .count(&read)
        .await
        .or_internal()?;
    read.commit().await.or_internal()?;
    Ok(n)
}

/// Index a city's cases again, all of them (after its words changed),
/// a batch per transaction; `progress(done, total)` after each batch.
/// Searches keep working meanwhile (each row is replaced in place).
pub async fn rebuild(
    store: &Store,
    tenant: &TenantRecord,
    total: u64,
    mut progress: impl FnMut(u64, u64),
) -> Result<u64, Error> {
    let t = tenant.id.into_uuid();
    let city = city_words(tenant);
    let mut after = None;
    let mut done = 0;
    loop {
        let tx = store.begin(Scope::Tenant(t)).await.or_internal()?;
        let cases = q::cases_after(&tx, t, after, BACKFILL_BATCH)
            .await
            .or_internal()?;
        let Some(last) = cases.last() else {
            tx.commit().await.or_internal()?;
            break;
        };
        after = Some(last.id);
        let n = cases.len() as u64;
        let city = city.clone();
        let rows = tokio::task::spawn_blocking(move || {
            cases
                .iter()
                .map(|c| {
                    row(
                        t,
                        c.id,
                        index(&city, &c.title, &c.body, c.answer.as_deref()),
                    )
                })
                .collect::<Vec<_>>()
        })
        .await
        .map_err(Error::internal)?;
        q::upsert(&tx, rows).await.or_internal()?;
        tx.commit().await.or_internal()?;
        done += n;
        progress(done, total.max(done));
    }
    Ok(done)
}
