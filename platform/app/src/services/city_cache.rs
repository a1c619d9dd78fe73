//! What every request of a city reads and few writes change: its working
//! calendar, its active categories (for submissions), the names of its
//! departments and categories (for every case shown) and its active
//! directory (the public pages' department tree and category list), kept
//! per city in memory.
//!
//! Changes made through this process take effect at once: the services
//! that write them call [`Cache::forget`] after their commit, and a load
//! that overlapped a forget is not kept (so it cannot put back what was
//! read before the change). Changes made by another process (a bundle
//! applied from the command line, another replica) show within
//! [`CACHE_TTL`].

use super::DbResultExt;
use super::calendar::working_calendar;
use crate::model::{Category, Department};
use crate::services::tenants::TenantRecord;
use minsheng_domain::Error;
use minsheng_domain::calendar::WorkingCalendar;
use minsheng_store::{ConnectionTrait, Scope, Store};
use std::sync::Arc;

/// Each city's [`Rules`], so a submission, a read of a case or a public
/// page reads none of those tables.
#[derive(Default)]
pub struct Cache {
    entries: std::sync::Mutex<Entries>,
    /// Held while loading, so a burst of requests after the entry expired
    /// loads it once instead of once each.
    loading: tokio::sync::Mutex<()>,
}

#[derive(Default)]
struct Entries {
    cities: std::collections::HashMap<minsheng_domain::ids::TenantId, Cached>,
    /// Counts forgets: a load that saw another count when it began may
    /// hold what a change replaced, and is not kept.
    forgets: u64,
}

/// What a submission, a case and a public page need to know about its city.
#[derive(Clone)]
pub struct Rules {
    pub calendar: Arc<WorkingCalendar>,
    /// Active categories by code, each shared: a submission holds its
    /// category without copying it.
    pub categories:
        Arc<std::collections::HashMap<String, Arc<minsheng_store::entity::category::Model>>>,
    /// Every department's and category's code and name, by id.
    pub(crate) names: Arc<super::directory::Names>,
    /// The active departments and categories as the public reads them.
    pub directory: Arc<Directory>,
}

/// A city's active departments and categories, in their order.
pub struct Directory {
    pub departments: Vec<Department>,
    pub categories: Vec<Category>,
}

#[derive(Clone)]
struct Cached {
    at: std::time::Instant,
    rules: Rules,
}

/// How long a city's rules are kept (what another process's change waits).
pub const CACHE_TTL: std::time::Duration = std::time::Duration::from_secs(60);

impl Cache {
    fn cached(&self, tenant: &TenantRecord) -> Option<Rules> {
        let entries = self.entries.lock().ok()?;
        let cached = entries.cities.get(&tenant.id)?;
        (cached.at.elapsed() < CACHE_TTL).then(|| cached.rules.clone())
    }

    /// How many forgets there have been (before a load begins).
    fn forgets(&self) -> u64 {
        self.entries.lock().map_or(u64::MAX, |e| e.forgets)
    }

    /// Keep `rules`, loaded after `forgets` forgets, unless a forget came
    /// while they were loaded.
    fn keep(&self, tenant: &TenantRecord, rules: &Rules, forgets: u64) {
        if let Ok(mut entries) = self.entries.lock()
            && entries.forgets == forgets
        {
            entries.cities.insert(
                tenant.id,
                Cached {
                    at: std::time::Instant::now(),
                    rules: rules.clone(),
                },
            );
        }
    }

    async fn load(db: &impl ConnectionTrait, tenant: &TenantRecord) -> Result<Rules, Error> {
        Ok(Rules {
            calendar: Arc::new(working_calendar(db, tenant).await?),
            categories: Arc::new(super::categories::active_by_code(db, tenant.id).await?),
            names: Arc::new(super::directory::Names::load(db, tenant).await?),
            directory: Arc::new(Directory {
                departments: super::departments::list(db, tenant.id, false).await?,
                categories: super::categories::list(db, tenant.id, false).await?,
            }),
        })
    }

    /// The city's rules, from the cache or `load`ed (once for a burst of
    /// requests) and kept.
    async fn through<F, Fut>(&self, tenant: &TenantRecord, load: F) -> Result<Rules, Error>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<Rules, Error>>,
    {
        if let Some(rules) = self.cached(tenant) {
            return Ok(rules);
        }
        let _loading = self.loading.lock().await;
        if let Some(rules) = self.cached(tenant) {
            return Ok(rules);
        }
        let forgets = self.forgets();
        let rules = load().await?;
        self.keep(tenant, &rules, forgets);
        Ok(rules)
    }

    /// The city's rules, read through `db` when not cached.
    pub async fn rules_in(
        &self,
        db: &impl ConnectionTrait,
        tenant: &TenantRecord,
    ) -> Result<Rules, Error> {
        self.through(tenant, || Self::load(db, tenant)).await
    }

    /// The city's rules, opening a read transaction only when not cached.
    pub async fn rules(&self, store: &Store, tenant: &TenantRecord) -> Result<Rules, Error> {
        self.through(tenant, || async {
            let tx = store
                .read(Scope::Tenant(tenant.id.into_uuid()))
                .await
                .or_internal()?;
            let rules = Self::load(&tx, tenant).await?;
            tx.commit().await.or_internal()?;
            Ok(rules)
        })
        .await
    }

    pub async fn get(
        &self,
        db: &impl ConnectionTrait,
        tenant: &TenantRecord,
    ) -> Result<Arc<WorkingCalendar>, Error> {
        Ok(self.rules_in(db, tenant).await?.calendar)
    }

    /// An active category by its code.
    pub async fn category(
        &self,
        db: &impl ConnectionTrait,
        tenant: &TenantRecord,
        code: &str,
    ) -> Result<Option<Arc<minsheng_store::entity::category::Model>>, Error> {
        Ok(self
            .rules_in(db, tenant)
            .await?
            .categories
            .get(code)
            .cloned())
    }

    /// Drop the city's rules: call after committing a change to them.
    pub fn forget(&self, tenant: minsheng_domain::ids::TenantId) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.cities.remove(&tenant);
            entries.forgets += 1;
        }
    }
}
