//! Likely duplicates of a case (并单), for its staff: the city's cases that
//! look like the same request. Near-copies come from the SimHash bands
//! (every hash within 3 bits shares a band); rewordings from the case's
//! keywords, counted in the indexed words of its neighbours only: the
//! cases submitted within [`WINDOW_DAYS`] days either side that are of its
//! category or within [`NEARBY_METRES`] (at most
//! [`q::NEIGHBOURS_AT_MOST`] of each, newest first), so the cost does not
//! grow with the city or with how common its words are. A candidate is
//! kept when their character bigrams are alike
//! ([`minsheng_text::duplicate`]).
//!
//! The worker looks for them once per case, soon after it is indexed
//! ([`scan_due`]), and keeps the pairs both ways round, so a staff case
//! page reads them by the case's key; only a case not scanned yet is
//! looked up while its page waits.

use crate::services::tenants::{self, TenantRecord};
use crate::services::{DbResultExt, commit, search};
use minsheng_domain::Error;
use minsheng_store::entity::case;
use minsheng_store::queries::duplicates as dq;
use minsheng_store::queries::search::{self as q, Neighbourhood};
use minsheng_store::{ConnectionTrait, Scope, Store};
use minsheng_text::duplicate::{Kind, Side, duplicate};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::Serialize;

/// Cases submitted this many days before or after are compared.
pub const WINDOW_DAYS: i64 = 90;
/// Cases this close (by their coordinates) count as the same place.
pub const NEARBY_METRES: f64 = 500.0;
/// At most this many likely duplicates are shown.
pub const DUPLICATES_SHOWN: usize = 5;

/// A likely duplicate of a case.
#[derive(Clone, Debug, Serialize)]
pub struct Duplicate {
    pub tracking_code: String,
    pub title: String,
    pub state: String,
    pub submitted_at: chrono::DateTime<chrono::Utc>,
    /// 0 to 1.
    pub score: f64,
    /// `near_copy` or `reworded`.
    pub kind: &'static str,
    /// Same category (else: nearby).
    pub same_category: bool,
}

/// At most this many likely duplicates are kept per case by a scan.
pub const DUPLICATES_KEPT: usize = 10;
/// Cases scanned per pass of the worker.
const SCAN_BATCH: u64 = 50;

/// The likely duplicates of a case read in `tx`, most alike first (the
/// caller checked that its reader may read it): those kept when the
/// worker scanned it (and when later cases found it alike), or, for a
/// case not scanned yet, looked for now.
pub(super) async fn duplicates_of(
    tx: &impl ConnectionTrait,
    tenant: &TenantRecord,
    row: &case::Model,
) -> Result<Vec<Duplicate>, Error> {
    let t = tenant.id.into_uuid();
    let indexed = q::get(tx, t, row.id).await.or_internal()?;
    if indexed.as_ref().is_some_and(|s| s.duplicates_scanned) {
        let kept = dq::kept_for(tx, t, row.id, DUPLICATES_SHOWN as u64)
            .await
            .or_internal()?;
        return Ok(kept
            .into_iter()
            .map(|k| Duplicate {
                same_category: k.category_id == row.category_id,
                tracking_code: k.tracking_code,
                title: k.title,
                state: k.state,
                submitted_at: k.submitted_at,
                score: f64::from(k.score) / 1000.0,
                kind: kind_name(&k.kind),
            })
            .collect());
    }
    let found = seek(
        tx,
        tenant,
        row,
        indexed.map(|s| s.simhash),
        DUPLICATES_SHOWN,
    )
    .await?;
    Ok(found
        .into_iter()
        .map(|f| Duplicate {
            same_category: f.other.category_id == row.category_id,
            tracking_code: f.other.tracking_code,
            title: f.other.title,
            state: f.other.state,
            submitted_at: f.other.submitted_at,
            score: f64::from(f.score) / 1000.0,
            kind: f.kind,
        })
        .collect())
}

/// The kind's name as kept (the only two there are).
fn kind_name(kind: &str) -> &'static str {
    if kind == Kind::NearCopy.as_str() {
        Kind::NearCopy.as_str()
    } else {
        Kind::Reworded.as_str()
    }
}

/// A case found alike.
struct Found {
    other: case::Model,
    /// Per mille.
    score: i32,
    kind: &'static str,
}

/// Look for the likely duplicates of a case (whose stored SimHash is
/// `hash`, when indexed): at most `keep`, most alike first.
async fn seek(
    tx: &impl ConnectionTrait,
    tenant: &TenantRecord,
    row: &case::Model,
    hash: Option<i64>,
    keep: usize,
) -> Result<Vec<Found>, Error> {
    let t = tenant.id.into_uuid();
    let city = search::city_words(tenant);
    let hash = hash.unwrap_or_else(|| search::fingerprint(&city, &row.title, &row.body));
    let bands = minsheng_text::similarity::bands(hash as u64);
    // Every candidate's SimHash, as stored when it was indexed.
    let mut hashes: std::collections::HashMap<uuid::Uuid, i64> =
        q::simhash_neighbours(tx, t, bands, row.id, 50)
            .await
            .or_internal()?
            .into_iter()
            .filter(|(_, h)| {
                minsheng_text::hamming(*h as u64, hash as u64)
                    <= minsheng_text::duplicate::NEAR_COPY_BITS
            })
            .collect();
    let keywords: Vec<String> = minsheng_text::Segmenter::shared()
        .keywords(&format!("{}。{}", row.title, row.body), &city, 8)
        .into_iter()
        .map(|(w, _)| w)
        .collect();
    let window = chrono::Duration::days(WINDOW_DAYS);
    let around = Neighbourhood {
        except: row.id,
        category_id: row.category_id,
        from: row.submitted_at - window,
        until: row.submitted_at + window,
        near: near_box(row),
    };
    for (id, _, h) in q::duplicate_candidates(tx, t, &keywords, &around, 40)
        .await
        .or_internal()?
    {
        hashes.entry(id).or_insert(h);
    }
    // Pairs staff said are not duplicates, and cases already merged away,
    // are not offered again.
    let refused = q::not_duplicates_of(tx, t, row.id).await.or_internal()?;
    hashes.retain(|id, _| !refused.contains(id));
    let ids: Vec<uuid::Uuid> = hashes.keys().copied().collect();
    let rows = q::cases_by_ids(tx, t, ids).await.or_internal()?;
    let mine = Side::new(&row.title, &row.body, hash as u64);
    let mut found: Vec<Found> = rows
        .into_iter()
        .filter(|other| other.submitted_at <= row.submitted_at + window)
        .filter(|other| other.merged_into_id.is_none())
        .filter_map(|other| {
            if other.category_id != row.category_id && !nearby(row, &other) {
                return None;
            }
            let theirs = Side::new(&other.title, &other.body, hashes[&other.id] as u64);
            let (score, kind) = duplicate(&mine, &theirs)?;
            Some(Found {
                other,
                score: (score * 1000.0).round() as i32,
                kind: kind.as_str(),
            })
        })
        .collect();
    found.sort_by(|a, b| {
        b.score
            .cmp(&a.score)
            .then_with(|| a.other.tracking_code.cmp(&b.other.tracking_code))
    });
    found.truncate(keep);
    Ok(found)
}

/// One pass of the worker: look for the likely duplicates of up to
/// [`SCAN_BATCH`] cases not scanned yet (new cases, and after an upgrade
/// or a re-index the backlog) and keep them, each case's in a write of
/// its own.
/// Returns how many were scanned.
pub async fn scan_due(store: &Store) -> Result<u64, Error> {
    let pending = {
        let read = store.read(Scope::Platform).await.or_internal()?;
        let pending = dq::unscanned(&read, SCAN_BATCH).await.or_internal()?;
        commit(read, pending).await?
    };
    let mut by_city: std::collections::BTreeMap<uuid::Uuid, Vec<uuid::Uuid>> = Default::default();
    for (tenant_id, case_id) in &pending {
        by_city.entry(*tenant_id).or_default().push(*case_id);
    }
    for (tenant_id, cases) in by_city {
        let tenant = tenants::find_by_id(store.db(), tenant_id).await?;
        let mut scanned = Vec::with_capacity(cases.len());
        let read = store.read(Scope::Tenant(tenant_id)).await.or_internal()?;
        for case_id in cases {
            match scan(&read, &tenant, case_id).await {
                Ok(Some((simhash, found))) => scanned.push((case_id, (Some(simhash), found))),
                Ok(None) => {}
                // One case that cannot be scanned must not hold up the
                // others: it is kept as scanned with nothing found (its
                // page then lists none) and the failure is logged. The
                // rest of the city's batch waits for the next pass (on
                // PostgreSQL the failure ended this transaction).
                Err(e) => {
                    tracing::warn!(error = %e, case = %case_id, "likely duplicates could not be found");
                    scanned.push((case_id, (None, Vec::new())));
                    break;
                }
            }
        }
        // Only read: after a failed statement (which ends a PostgreSQL
        // transaction) there is nothing to commit.
        let _ = read.rollback().await;
        // One short transaction per case. Keeping a pair checks both
        // cases exist (a key-share lock on each), and a staff action locks
        // its case before it re-indexes it: a transaction that kept many
        // cases' pairs while holding the search rows it had marked could
        // wait for one such action while it waits for them (a deadlock
        // on PostgreSQL). Alone, a case's pairs are kept before its mark.
        for (case_id, (simhash, alike)) in &scanned {
            let tx = store.begin(Scope::Tenant(tenant_id)).await.or_internal()?;
            dq::keep(&tx, tenant_id, *case_id, *simhash, alike)
                .await
                .or_internal()?;
            commit(tx, ()).await?;
        }
    }
    Ok(pending.len() as u64)
}

/// Scan every case not scanned yet (of every city), as the worker would;
/// `progress(done)` after each pass. For tools and benchmarks that fill
/// a database without the worker running.
pub async fn scan_all(store: &Store, mut progress: impl FnMut(u64)) -> Result<u64, Error> {
    let mut done = 0;
    loop {
        let n = scan_due(store).await?;
        if n == 0 {
            return Ok(done);
        }
        done += n;
        progress(done);
    }
}

/// What one case's scan finds alike, with the SimHash it was found by
/// (none for a case gone from the index since).
async fn scan(
    tx: &impl ConnectionTrait,
    tenant: &TenantRecord,
    case_id: uuid::Uuid,
) -> Result<Option<(i64, Vec<dq::Alike>)>, Error> {
    let t = tenant.id.into_uuid();
    let row = case::Entity::find_by_id(case_id)
        .filter(case::Column::TenantId.eq(t))
        .one(tx)
        .await
        .or_internal()?;
    let indexed = q::get(tx, t, case_id).await.or_internal()?;
    let (Some(row), Some(indexed)) = (row, indexed) else {
        return Ok(None);
    };
    let found = seek(tx, tenant, &row, Some(indexed.simhash), DUPLICATES_KEPT).await?;
    let alike = found
        .into_iter()
        .map(|f| dq::Alike {
            other_id: f.other.id,
            score: f.score,
            kind: f.kind.to_owned(),
        })
        .collect();
    Ok(Some((indexed.simhash, alike)))
}

/// The box of latitudes and longitudes around a case's coordinates that
/// holds every point within [`NEARBY_METRES`] of it.
fn near_box(row: &case::Model) -> Option<[f64; 4]> {
    let (lat, lon) = (row.latitude?, row.longitude?);
    let dlat = NEARBY_METRES / 111_320.0;
    let dlon = dlat / lat.to_radians().cos().abs().max(0.01);
    Some([lat - dlat, lat + dlat, lon - dlon, lon + dlon])
}

/// Whether two cases' coordinates are within [`NEARBY_METRES`].
fn nearby(a: &case::Model, b: &case::Model) -> bool {
    let (Some(la), Some(oa), Some(lb), Some(ob)) =
        (a.latitude, a.longitude, b.latitude, b.longitude)
    else {
        return false;
    };
    let r = 6_371_000.0_f64;
    let (p1, p2) = (la.to_radians(), lb.to_radians());
    let dp = p2 - p1;
    let dl = (ob - oa).to_radians();
    let h = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * r * h.sqrt().asin() <= NEARBY_METRES
}
