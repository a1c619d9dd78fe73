//! The host lookups a rule calls (the city's recent cases), each city's
//! share of rule calls and lookups at once, and the deadline of each call.

use super::Chain;
use crate::App;
use crate::services::tenants::TenantRecord;
use chrono::{DateTime, Utc};
use minsheng_plugin_host::{CaseRef, Found, Lookups};
use minsheng_store::queries::cases as cq;
use minsheng_store::{Scope, Store};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use uuid::Uuid;

/// Each city's share of something used at once.
pub(super) struct Shares {
    size: usize,
    cities: Mutex<HashMap<Uuid, Arc<tokio::sync::Semaphore>>>,
}

impl Shares {
    pub(super) fn new(size: usize) -> Self {
        Self {
            size: size.max(1),
            cities: Mutex::default(),
        }
    }

    pub(super) fn of(&self, tenant: Uuid) -> Arc<tokio::sync::Semaphore> {
        self.cities
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(tenant)
            .or_insert_with(|| Arc::new(tokio::sync::Semaphore::new(self.size)))
            .clone()
    }
}

/// Why a rule did not run when its city's share of calls was taken.
pub const CITY_BUSY: &str =
    "this city's rules are all busy (its share of rule calls at once is taken)";

/// The most host lookups one rule call may make; later ones find nothing.
pub const MAX_LOOKUPS_PER_CALL: u32 = 20;

/// The city's cases for a rule's lookups, awaited on the call's task.
/// One per call: its lookups
/// end by the call's deadline (a statement timeout on PostgreSQL, the
/// query dropped on both), wait for the city's share of lookups, and are
/// counted.
pub(crate) struct CityLookups {
    store: Store,
    tenant: Uuid,
    slug: String,
    now: DateTime<Utc>,
    categories: Arc<HashMap<Uuid, String>>,
    share: Arc<tokio::sync::Semaphore>,
    metrics: Arc<crate::metrics::Metrics>,
    deadline: Instant,
    made: std::sync::atomic::AtomicU32,
}

impl Lookups for CityLookups {
    fn find_recent_cases<'a>(&'a self, text: &'a str, within_hours: u32, limit: u32) -> Found<'a> {
        Box::pin(self.find(text, within_hours, limit, false))
    }

    fn find_same_title<'a>(&'a self, title: &'a str, within_hours: u32, limit: u32) -> Found<'a> {
        Box::pin(self.find(title, within_hours, limit, true))
    }
}

impl CityLookups {
    fn refused(&self, reason: &'static str) -> Vec<CaseRef> {
        self.metrics.count(
            "minsheng_plugin_lookups_refused_total",
            vec![("tenant", self.slug.clone()), ("reason", reason.to_owned())],
        );
        Vec::new()
    }

    async fn find(&self, text: &str, within_hours: u32, limit: u32, exact: bool) -> Vec<CaseRef> {
        use std::sync::atomic::Ordering;
        if self.made.fetch_add(1, Ordering::Relaxed) >= MAX_LOOKUPS_PER_CALL {
            return self.refused("per_call");
        }
        let Some(left) = self.deadline.checked_duration_since(Instant::now()) else {
            return self.refused("deadline");
        };
        let since = self.now - chrono::Duration::hours(i64::from(within_hours));
        let postgres = self.store.backend() == minsheng_store::Backend::Postgres;
        let found = tokio::time::timeout(left, async {
            let _share = self.share.acquire().await.ok();
            let tx = self.store.read(Scope::Tenant(self.tenant)).await?;
            if postgres {
                let ms = self
                    .deadline
                    .saturating_duration_since(Instant::now())
                    .as_millis()
                    .max(1);
                sea_orm::ConnectionTrait::execute_unprepared(
                    &tx,
                    &format!("SET LOCAL statement_timeout = {ms}"),
                )
                .await?;
            }
            let rows = if exact {
                cq::recent_with_title(&tx, self.tenant, text, since, u64::from(limit)).await?
            } else {
                cq::recent_by_title(&tx, self.tenant, text, since, u64::from(limit)).await?
            };
            tx.commit().await?;
            Ok::<_, minsheng_store::DbErr>(rows)
        })
        .await;
        match found {
            Ok(Ok(rows)) => rows
                .into_iter()
                .map(|(code, title, category, at)| CaseRef {
                    tracking_code: code,
                    title,
                    category: self.categories.get(&category).cloned().unwrap_or_default(),
                    submitted_at: at.timestamp(),
                })
                .collect(),
            Ok(Err(e)) => {
                tracing::warn!(error = %e, tenant = %self.slug, "a rule's lookup failed");
                self.refused("error")
            }
            Err(_) => self.refused("deadline"),
        }
    }
}

/// What every call's lookups of one chain run share; [`Calls::lookups`]
/// makes each call's own.
pub(crate) struct Calls {
    store: Store,
    tenant: Uuid,
    slug: String,
    now: DateTime<Utc>,
    categories: Arc<HashMap<Uuid, String>>,
    share: Arc<tokio::sync::Semaphore>,
    metrics: Arc<crate::metrics::Metrics>,
    timeout: Duration,
}

impl Calls {
    pub(crate) fn new(
        state: &App,
        tenant: &TenantRecord,
        chain: &Chain,
        now: DateTime<Utc>,
    ) -> Self {
        let t = tenant.id.into_uuid();
        Self {
            store: state.store.clone(),
            tenant: t,
            slug: tenant.slug.clone(),
            now,
            categories: Arc::new(chain.category_codes.clone()),
            share: state.rules.lookups.of(t),
            metrics: state.metrics.clone(),
            timeout: Duration::from_millis(chain.limits.timeout_ms),
        }
    }

    /// The longest one call may run.
    pub(crate) fn timeout(&self) -> Duration {
        self.timeout
    }

    /// The lookups of one call starting now.
    pub(crate) fn lookups(&self) -> Arc<dyn Lookups> {
        Arc::new(CityLookups {
            store: self.store.clone(),
            tenant: self.tenant,
            slug: self.slug.clone(),
            now: self.now,
            categories: self.categories.clone(),
            share: self.share.clone(),
            metrics: self.metrics.clone(),
            deadline: Instant::now() + self.timeout,
            made: std::sync::atomic::AtomicU32::new(0),
        })
    }
}
