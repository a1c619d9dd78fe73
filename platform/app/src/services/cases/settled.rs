//! A city's figures over its settled days, kept in memory.
//!
//! The statistics sum the rollup over a window (a year by default), which
//! costs a scan of its rows on every read. Only the last two days of the
//! city's calendar still change as cases are filed, answered, rated and
//! viewed; days before are settled (a merged duplicate taking back its
//! "received", a demo history and an archive restored are the exceptions,
//! and forget what they change, after their commit). So a read sums the
//! settled days once per city and window, keeps the sums for
//! [`SETTLED_TTL`], and adds the live days from the database every time:
//! every write made today is in the next read's figures.
//!
//! A load that overlapped a forget is not kept, and the ticket is taken
//! before the reader's transaction begins, so a sum read from a snapshot
//! older than a change is never kept past it.

use minsheng_domain::ids::TenantId;
use minsheng_store::queries::cases::{StatScope, StatTotals};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long settled sums are kept: what a change by another process to a
/// settled day (a merge on another replica) waits to show.
pub const SETTLED_TTL: Duration = Duration::from_secs(60);

/// Windows kept at most; when full, the cache starts again empty.
const MAX_WINDOWS: usize = 1000;

/// Days at the end of a window that are read live: today and yesterday
/// (a write that began before midnight lands on yesterday).
pub(super) const LIVE_DAYS: i64 = 2;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct Window {
    tenant: TenantId,
    departments: bool,
    from: chrono::NaiveDate,
    to: chrono::NaiveDate,
}

#[derive(Default)]
struct Entries {
    sums: HashMap<Window, (Instant, Arc<Vec<StatTotals>>)>,
    forgets: u64,
}

/// The settled sums of every city, by window.
#[derive(Default)]
pub struct Settled {
    entries: Mutex<Entries>,
}

/// Taken before a reader's transaction begins: its load may be kept only
/// when no forget came since.
#[derive(Clone, Copy, Debug)]
pub struct Ticket(u64);

impl Settled {
    pub fn ticket(&self) -> Ticket {
        Ticket(self.entries.lock().map_or(u64::MAX, |e| e.forgets))
    }

    /// Drop a city's sums: call after committing a change to a settled day.
    pub fn forget(&self, tenant: TenantId) {
        if let Ok(mut e) = self.entries.lock() {
            e.sums.retain(|w, _| w.tenant != tenant);
            e.forgets += 1;
        }
    }

    fn get(&self, w: &Window) -> Option<Arc<Vec<StatTotals>>> {
        let e = self.entries.lock().ok()?;
        let (at, sums) = e.sums.get(w)?;
        (at.elapsed() < SETTLED_TTL).then(|| sums.clone())
    }

    fn keep(&self, w: Window, ticket: Ticket, sums: Arc<Vec<StatTotals>>) {
        if let Ok(mut e) = self.entries.lock()
            && e.forgets == ticket.0
        {
            if e.sums.len() >= MAX_WINDOWS {
                e.sums.clear();
            }
            e.sums.insert(w, (Instant::now(), sums));
        }
    }

    /// The settled sums of `scope` from `from` to `to` (inclusive), read
    /// through `load` when not kept.
    pub(super) async fn sums<F, Fut, E>(
        &self,
        ticket: Ticket,
        tenant: TenantId,
        scope: StatScope,
        from: chrono::NaiveDate,
        to: chrono::NaiveDate,
        load: F,
    ) -> Result<Arc<Vec<StatTotals>>, E>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<Vec<StatTotals>, E>>,
    {
        let w = Window {
            tenant,
            departments: matches!(scope, StatScope::Departments),
            from,
            to,
        };
        if let Some(sums) = self.get(&w) {
            return Ok(sums);
        }
        let sums = Arc::new(load().await?);
        self.keep(w, ticket, sums.clone());
        Ok(sums)
    }
}

/// Add `more` to `into`, matching rows by department.
pub(super) fn merge(into: &mut Vec<StatTotals>, more: &[StatTotals]) {
    for m in more {
        match into.iter_mut().find(|t| t.department_id == m.department_id) {
            Some(t) => add(t, m),
            None => into.push(m.clone()),
        }
    }
}

fn add(t: &mut StatTotals, m: &StatTotals) {
    t.received += m.received;
    t.accepted += m.accepted;
    t.answered += m.answered;
    t.answered_on_time += m.answered_on_time;
    t.answer_seconds += m.answer_seconds;
    t.rated += m.rated;
    t.satisfied += m.satisfied;
    t.views += m.views;
    t.overdue += m.overdue;
    t.supervised += m.supervised;
    t.co_handled += m.co_handled;
    t.opinions += m.opinions;
    t.opinions_on_time += m.opinions_on_time;
    t.opinions_overdue += m.opinions_overdue;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: u32) -> chrono::NaiveDate {
        chrono::NaiveDate::from_ymd_opt(2026, 12, d).unwrap_or_default()
    }

    fn totals(received: i64) -> Vec<StatTotals> {
        vec![StatTotals {
            received,
            ..Default::default()
        }]
    }

    /// The received count `cache` answers for days 1 to 5, `n` if it loads.
    async fn received(
        cache: &Settled,
        ticket: Ticket,
        city: TenantId,
        scope: StatScope,
        n: i64,
    ) -> Result<i64, ()> {
        let load = || async move { Ok::<_, ()>(totals(n)) };
        let sums = cache
            .sums(ticket, city, scope, day(1), day(5), load)
            .await?;
        Ok(sums[0].received)
    }

    #[tokio::test]
    async fn kept_until_forgotten_and_not_kept_across_a_forget() {
        let cache = Settled::default();
        let city = TenantId::new();
        let (c, d) = (StatScope::City, StatScope::Departments);
        assert_eq!(received(&cache, cache.ticket(), city, c, 1).await, Ok(1));
        // Kept: the loader is not asked again.
        assert_eq!(received(&cache, cache.ticket(), city, c, 2).await, Ok(1));
        // Another scope (or window) is another sum.
        assert_eq!(received(&cache, cache.ticket(), city, d, 3).await, Ok(3));
        // A load whose ticket predates a forget is returned, not kept.
        let early = cache.ticket();
        cache.forget(city);
        assert_eq!(received(&cache, early, city, c, 4).await, Ok(4));
        assert_eq!(received(&cache, cache.ticket(), city, c, 5).await, Ok(5));
        // Another city's forget does not drop this one's sums.
        cache.forget(TenantId::new());
        assert_eq!(received(&cache, cache.ticket(), city, c, 6).await, Ok(5));
    }

    #[test]
    fn merging_adds_by_department() {
        let d = uuid::Uuid::now_v7();
        let mut into = totals(2);
        merge(
            &mut into,
            &[
                StatTotals {
                    received: 3,
                    views: 1,
                    ..Default::default()
                },
                StatTotals {
                    department_id: d,
                    received: 1,
                    ..Default::default()
                },
            ],
        );
        assert_eq!(into.len(), 2);
        assert_eq!((into[0].received, into[0].views), (5, 1));
        assert_eq!(into[1].department_id, d);
    }
}
