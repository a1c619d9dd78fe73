//! Likely duplicates of a case (并单), for its staff: the city's cases that
//! look like the same request. Near-copies come from the SimHash bands
//! (every hash within 3 bits shares a band); rewordings from the search
//! index (any of the case's keywords) among the city's cases of the last
//! [`WINDOW_DAYS`] days, kept when they are of the same category or within
//! [`NEARBY_METRES`] and their character bigrams are alike
//! ([`minsheng_text::duplicate`]).

use super::{find, handles};
use crate::access::Ctx;
use crate::services::tenants::TenantRecord;
use crate::services::{DbResultExt, commit, search};
use minsheng_domain::Error;
use minsheng_store::entity::case;
use minsheng_store::queries::search::{self as q, Among, Match};
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

/// The likely duplicates of the case `code`, most alike first.
pub async fn duplicates(
    ctx: &Ctx,
    tenant: &TenantRecord,
    code: &str,
) -> Result<Vec<Duplicate>, Error> {
    ctx.authorize(tenant, "case:read").await?;
    let tx = ctx.read_tx(tenant.id).await?;
    let row = find(&tx, tenant, code).await?;
    if let Some(scope) = ctx.department_scope(tenant, "case:read").await
        && !handles(&tx, tenant, &row, &scope).await?
    {
        return Err(Error::not_found(format!("case {code:?}")));
    }
    let t = tenant.id.into_uuid();
    let city = search::city_words(tenant);
    let hash = match q::get(&tx, t, row.id).await.or_internal()? {
        Some(s) => s.simhash,
        None => search::fingerprint(&city, &row.title, &row.body),
    };
    let bands = minsheng_text::similarity::bands(hash as u64);
    let mut ids: Vec<uuid::Uuid> = q::simhash_neighbours(&tx, t, bands, row.id, 50)
        .await
        .or_internal()?
        .into_iter()
        .filter(|(_, h)| {
            minsheng_text::hamming(*h as u64, hash as u64)
                <= minsheng_text::duplicate::NEAR_COPY_BITS
        })
        .map(|(id, _)| id)
        .collect();
    let keywords: Vec<String> = minsheng_text::Segmenter::shared()
        .keywords(&format!("{}。{}", row.title, row.body), &city, 8)
        .into_iter()
        .map(|(w, _)| w)
        .collect();
    let window = chrono::Duration::days(WINDOW_DAYS);
    for (id, _) in q::candidates(
        &tx,
        t,
        &keywords,
        Match::Any,
        &Among {
            except: Some(row.id),
            since: Some(row.submitted_at - window),
            ..Among::default()
        },
        40,
    )
    .await
    .or_internal()?
    {
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    // Pairs staff said are not duplicates, and cases already merged away,
    // are not offered again.
    let refused = q::not_duplicates_of(&tx, t, row.id).await.or_internal()?;
    ids.retain(|id| !refused.contains(id));
    let rows = q::cases_by_ids(&tx, t, ids).await.or_internal()?;
    let mine = Side::new(&row.title, &row.body, hash as u64);
    let mut found: Vec<Duplicate> = rows
        .iter()
        .filter(|other| other.submitted_at <= row.submitted_at + window)
        .filter(|other| other.merged_into_id.is_none())
        .filter_map(|other| {
            let same_category = other.category_id == row.category_id;
            if !same_category && !nearby(&row, other) {
                return None;
            }
            let theirs = Side::new(
                &other.title,
                &other.body,
                search::fingerprint(&city, &other.title, &other.body) as u64,
            );
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
    found.sort_by(|a, b| b.score.total_cmp(&a.score));
    found.truncate(DUPLICATES_SHOWN);
    commit(tx, found).await
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
