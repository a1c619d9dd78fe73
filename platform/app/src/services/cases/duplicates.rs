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

use crate::services::tenants::TenantRecord;
use crate::services::{DbResultExt, search};
use minsheng_domain::Error;
use minsheng_store::ConnectionTrait;
use minsheng_store::entity::case;
use minsheng_store::queries::search::{self as q, Neighbourhood};
use minsheng_text::duplicate::{Side, duplicate};
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

/// The likely duplicates of a case read in `tx`, most alike first (the
/// caller checked that its reader may read it).
pub(super) async fn duplicates_of(
    tx: &impl ConnectionTrait,
    tenant: &TenantRecord,
    row: &case::Model,
) -> Result<Vec<Duplicate>, Error> {
    let t = tenant.id.into_uuid();
    let city = search::city_words(tenant);
    let hash = match q::get(tx, t, row.id).await.or_internal()? {
        Some(s) => s.simhash,
        None => search::fingerprint(&city, &row.title, &row.body),
    };
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
    let mut found: Vec<Duplicate> = rows
        .iter()
        .filter(|other| other.submitted_at <= row.submitted_at + window)
        .filter(|other| other.merged_into_id.is_none())
        .filter_map(|other| {
            let same_category = other.category_id == row.category_id;
            if !same_category && !nearby(row, other) {
                return None;
            }
            let theirs = Side::new(&other.title, &other.body, hashes[&other.id] as u64);
            let (score, kind) = duplicate(&mine, &theirs)?;
            Some(Duplicate {
                tracking_code: other.tracking_code.clone(),
                title: other.title.clone(),
                state: other.state.clone(),
                submitted_at: other.submitted_at,
                score: (score * 1000.0).round() / 1000.0,
                kind: kind.as_str(),
                same_category,
            })
        })
        .collect();
    found.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then_with(|| a.tracking_code.cmp(&b.tracking_code))
    });
    found.truncate(DUPLICATES_SHOWN);
    Ok(found)
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
