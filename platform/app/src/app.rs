//! `App`: what every service can reach, and nothing of a transport (no
//! templates, no page cache, no listener state). The server wraps it in its
//! own state; background work and the command line use it as it is.

use crate::access::throttle::RateLimits;
use crate::access::{self, Policy};
use crate::config::Config;
use crate::services;
use crate::services::DbResultExt;
use minsheng_domain::Error;
use minsheng_domain::ids::TenantId;
use minsheng_store::{DatabaseTransaction, Scope, Store};
use std::sync::Arc;

/// The store, the configuration and the shared caches and engines.
#[derive(Clone)]
pub struct App {
    pub store: Store,
    pub config: Arc<Config>,
    pub policy: Arc<Policy>,
    pub limits: Arc<RateLimits>,
    pub views: Arc<access::views::ViewCounter>,
    pub calendars: Arc<services::calendar::Cache>,
    /// Each city's statistics over its settled days.
    pub figures: Arc<services::cases::Settled>,
    pub tenants: Arc<services::tenants::Cache>,
    /// Submissions waiting to be written together.
    pub intake: services::intake::Intake,
    /// Counters and latencies for `/metrics`.
    pub metrics: Arc<crate::metrics::Metrics>,
    /// The rule plugin engine and the cities' chains.
    pub rules: Arc<services::plugins::chains::Rules>,
    /// Replay jobs started from the console (kept in memory).
    pub replays: Arc<services::plugins::replay::jobs::Jobs>,
}

impl App {
    /// Everything a service needs, loaded from the database.
    pub async fn new(config: Config, store: Store) -> anyhow::Result<Self> {
        services::accounts::ensure_all_builtin_roles(&store).await?;
        // Load jieba's dictionary now rather than on the first submission.
        tokio::task::spawn_blocking(|| {
            minsheng_text::Segmenter::shared();
        });
        Ok(Self {
            policy: Policy::load(store.clone()).await?,
            limits: Arc::new(RateLimits::per_minute(config.anonymous_rate_per_minute)),
            views: Arc::new(access::views::ViewCounter::default()),
            calendars: Arc::new(services::calendar::Cache::default()),
            figures: Arc::new(services::cases::Settled::default()),
            tenants: Arc::new(services::tenants::Cache::default()),
            intake: services::intake::start(&store),
            metrics: Arc::new(crate::metrics::Metrics::default()),
            rules: Arc::new(services::plugins::chains::Rules::new(&config)),
            replays: Arc::default(),
            config: Arc::new(config),
            store,
        })
    }

    /// A transaction that sees one city's rows (row-level security on
    /// PostgreSQL).
    pub async fn tenant_tx(&self, tenant: TenantId) -> Result<DatabaseTransaction, Error> {
        self.store
            .begin(Scope::Tenant(tenant.into_uuid()))
            .await
            .or_internal()
    }

    /// A read-only transaction that sees one city's rows.
    pub async fn tenant_read(&self, tenant: TenantId) -> Result<DatabaseTransaction, Error> {
        self.store
            .read(Scope::Tenant(tenant.into_uuid()))
            .await
            .or_internal()
    }
}
