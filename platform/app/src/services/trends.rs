//! Trends: the words that appear in more of a city's cases than usual.
//! A window's count of a word is the number of cases (title and text)
//! containing it; its baseline is the mean count over the four windows of
//! the same length before. A word rises when it is in at least
//! [`MIN_COUNT`] cases and `(count + 1) / (baseline + 1) ≥ 2`; the score
//! `(count − baseline) / √(baseline + 1)` orders them. Used by bulletins
//! and shown to staff.

use crate::access::Ctx;
use crate::model::{TermTrend, Trends};
use crate::services::tenants::TenantRecord;
use crate::services::{DbResultExt, commit};
use chrono::{DateTime, Duration, Utc};
use minsheng_domain::Error;
use minsheng_store::ConnectionTrait;
use minsheng_store::queries::bulletins as q;
use std::collections::{BTreeSet, HashMap};

/// Windows of the baseline.
pub const BASELINE_WINDOWS: i64 = 4;
/// Cases a word must be in to rise.
pub const MIN_COUNT: i64 = 3;
/// Rising words reported.
pub const TOP: usize = 10;

/// The words of one case worth counting: two characters or more, not a
/// number, each once.
fn case_terms<'a>(title: &'a str, body: &'a str) -> BTreeSet<&'a str> {
    title
        .split_whitespace()
        .chain(body.split_whitespace())
        .filter(|w| w.chars().count() >= 2 && !w.chars().all(|c| c.is_ascii_digit()))
        .collect()
}

/// Rising words of `window` (each case's words) against `baseline` (the
/// cases of `windows` windows before), sharpest first.
pub fn rising<'a>(
    window: &[BTreeSet<&'a str>],
    baseline: &[BTreeSet<&'a str>],
    windows: i64,
) -> Vec<TermTrend> {
    let count = |cases: &[BTreeSet<&'a str>]| {
        let mut counts: HashMap<&'a str, i64> = HashMap::new();
        for case in cases {
            for term in case {
                *counts.entry(term).or_default() += 1;
            }
        }
        counts
    };
    let now = count(window);
    let before = count(baseline);
    let mut out: Vec<TermTrend> = now
        .into_iter()
        .filter_map(|(term, c)| {
            let b = before.get(term).copied().unwrap_or(0) as f64 / windows.max(1) as f64;
            let rises = c >= MIN_COUNT && (c as f64 + 1.0) / (b + 1.0) >= 2.0;
            rises.then(|| TermTrend {
                term: term.to_owned(),
                count: c,
                baseline: b,
                score: (c as f64 - b) / (b + 1.0).sqrt(),
                new: b < 1.0,
            })
        })
        .collect();
    out.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(b.count.cmp(&a.count))
            .then(a.term.cmp(&b.term))
    });
    out.truncate(TOP);
    out
}

/// The rising words of the city's cases filed in `[from, until)`, against
/// the four windows of the same length before; and how many cases the
/// window has.
pub async fn rising_between(
    db: &impl ConnectionTrait,
    tenant: &TenantRecord,
    from: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<(i64, Vec<TermTrend>), Error> {
    let start = from - (until - from) * i32::try_from(BASELINE_WINDOWS).unwrap_or(4);
    let rows = q::words_between(db, tenant.id.into_uuid(), start, until)
        .await
        .or_internal()?;
    let (mut window, mut baseline) = (Vec::new(), Vec::new());
    for row in &rows {
        let terms = case_terms(&row.title_tokens, &row.body_tokens);
        if row.submitted_at >= from {
            window.push(terms);
        } else {
            baseline.push(terms);
        }
    }
    let rising = rising(&window, &baseline, BASELINE_WINDOWS);
    Ok((window.len() as i64, rising))
}

/// What is rising in the city's cases over the last `days` days (default
/// 7, 1 to 90), for staff who may read cases.
pub async fn trends(ctx: &Ctx, tenant: &TenantRecord, days: Option<u32>) -> Result<Trends, Error> {
    ctx.authorize(tenant, "case:read").await?;
    let days = days.unwrap_or(7);
    if !(1..=90).contains(&days) {
        return Err(Error::invalid("days", "is 1 to 90"));
    }
    let until = ctx.now();
    let from = until - Duration::days(i64::from(days));
    let tx = ctx.read_tx(tenant.id).await?;
    let (cases, terms) = rising_between(&tx, tenant, from, until).await?;
    commit(
        tx,
        Trends {
            from,
            until,
            days,
            cases,
            terms,
        },
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cases<'a>(texts: &[&'a str]) -> Vec<BTreeSet<&'a str>> {
        texts.iter().map(|t| case_terms(t, "")).collect()
    }

    #[test]
    fn a_word_rises_when_in_more_cases_than_before() {
        let window = cases(&[
            "暖气 不热",
            "暖气 温度 低",
            "小区 暖气",
            "噪音 工地",
            "油烟 饭店",
        ]);
        // 暖气 in 2 cases over 4 weeks (0.5 a week); 噪音 in 8 (2 a week).
        let baseline = cases(&[
            "暖气 缴费",
            "暖气 报修",
            "噪音 夜间",
            "噪音 施工",
            "噪音 广场舞",
            "噪音 装修",
            "噪音 酒吧",
            "噪音 汽车",
            "噪音 工地",
            "噪音 邻居",
            "1 号楼 x",
        ]);
        let up = rising(&window, &baseline, 4);
        assert_eq!(up.len(), 1, "{up:?}");
        assert_eq!(up[0].term, "暖气");
        assert_eq!(up[0].count, 3);
        assert!((up[0].baseline - 0.5).abs() < 1e-9);
        assert!(up[0].new, "under one case a week before");
        // Twice in a window is below the minimum count; single characters
        // and numbers never count.
        assert!(rising(&cases(&["停水 a", "停水 1"]), &[], 4).is_empty());
        assert!(case_terms("x 12 停水", "").contains("停水"));
        assert_eq!(case_terms("x 12 停水", "").len(), 1);
    }
}
