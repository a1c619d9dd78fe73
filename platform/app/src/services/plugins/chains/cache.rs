//! The plugin engine and each city's cached chains: reading a chain, one
//! reload at a time, and the directory its rules are given.

use super::lookups::Shares;
use super::{Chain, Link, LoadFailure, tenant_limits};
use crate::services::DbResultExt;
use crate::services::plugins::components::{Components, Fresh, Ready};
use crate::services::tenants::TenantRecord;
use minsheng_domain::Error;
use minsheng_plugin_host::types::{Category, Department};
use minsheng_plugin_host::{Host, Limits, Plugin};
use minsheng_store::entity::{category, department};
use minsheng_store::queries::directory;
use minsheng_store::queries::plugins::{self as q, Summary};
use minsheng_store::{Scope, Store};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};
use uuid::Uuid;

/// Cached chains by (city, hook), with when each was read.
type Chains = HashMap<(Uuid, &'static str), (Instant, Arc<Chain>)>;
/// Who is reloading which chain.
type Reloads = HashMap<(Uuid, &'static str), Arc<tokio::sync::Mutex<()>>>;

/// The process's plugin engine and caches.
pub struct Rules {
    host: OnceLock<Result<Arc<Host>, String>>,
    cache_dir: std::path::PathBuf,
    maxima: Limits,
    refresh: Duration,
    components: Arc<Components>,
    chains: Mutex<Chains>,
    /// One reload of a chain at a time: the others use the chain of a
    /// moment ago meanwhile, or wait when there is none.
    loading: Mutex<Reloads>,
    /// Counts [`Rules::forget`]: a reload that began before a change is
    /// not kept.
    generation: std::sync::atomic::AtomicU64,
    /// Each city's share of rule calls and of lookups at once.
    calls: Shares,
    pub(super) lookups: Shares,
}

/// How long a chain waiting for a compile is kept before it is read again.
const WAITING: Duration = Duration::from_millis(500);

impl Rules {
    pub fn new(config: &crate::config::Config) -> Self {
        Self {
            host: OnceLock::new(),
            cache_dir: config.plugin_cache_dir(),
            maxima: config.plugin_maxima(),
            refresh: Duration::from_secs(config.plugin_refresh_secs),
            components: Arc::new(Components::new(config)),
            chains: Mutex::new(HashMap::new()),
            loading: Mutex::new(HashMap::new()),
            generation: std::sync::atomic::AtomicU64::new(0),
            calls: Shares::new(config.plugin_city_concurrency),
            lookups: Shares::new(config.plugin_lookup_concurrency),
        }
    }

    /// A place among the city's rule calls in flight, waiting at most
    /// `wait`: no city can take every instance of the pool.
    pub async fn seat(
        &self,
        tenant: Uuid,
        wait: Duration,
    ) -> Option<tokio::sync::OwnedSemaphorePermit> {
        tokio::time::timeout(wait, self.calls.of(tenant).acquire_owned())
            .await
            .ok()
            .and_then(Result::ok)
    }

    /// The engine, made on first use (a server without plugins never
    /// reserves the pool's address space).
    pub fn host(&self) -> Result<Arc<Host>, Error> {
        self.host
            .get_or_init(|| {
                Host::new(Some(&self.cache_dir), self.maxima.clone()).map_err(|e| format!("{e:#}"))
            })
            .clone()
            .map_err(|e| Error::internal(format!("plugin engine: {e}")))
    }

    pub fn maxima(&self) -> &Limits {
        &self.maxima
    }

    /// The compiled components.
    pub fn components(&self) -> &Arc<Components> {
        &self.components
    }

    /// Compile and check an upload (bounded, in a child process); kept
    /// only by [`Rules::admit`] once the upload is saved.
    pub async fn compile(&self, tenant: Uuid, bytes: Vec<u8>) -> Result<Fresh, LoadFailure> {
        let host = self.host().map_err(LoadFailure::Server)?;
        self.components.compile(&host, tenant, bytes).await
    }

    /// Keep a saved upload's compiled component.
    pub fn admit(&self, fresh: Fresh) -> Arc<Plugin> {
        self.components.admit(fresh)
    }

    fn chains_lock(&self) -> std::sync::MutexGuard<'_, Chains> {
        self.chains.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Forget a city's chains (its plugins changed here).
    pub fn forget(&self, tenant: Uuid) {
        let mut chains = self.chains_lock();
        self.generation
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        chains.retain(|(t, _), _| *t != tenant);
    }

    /// The fresh cached chain, if there is one; else the stale one.
    fn cached(&self, key: (Uuid, &'static str)) -> Result<Arc<Chain>, Option<Arc<Chain>>> {
        match self.chains_lock().get(&key) {
            // A chain waiting for a compile is read again soon.
            Some((at, chain))
                if at.elapsed() < if chain.waiting { WAITING } else { self.refresh } =>
            {
                Ok(chain.clone())
            }
            Some((_, chain)) => Err(Some(chain.clone())),
            None => Err(None),
        }
    }

    /// The city's chain for `hook`.
    pub async fn chain(
        &self,
        store: &Store,
        tenant: &TenantRecord,
        hook: &'static str,
    ) -> Result<Arc<Chain>, Error> {
        let t = tenant.id.into_uuid();
        let key = (t, hook);
        let stale = match self.cached(key) {
            Ok(fresh) => return Ok(fresh),
            Err(stale) => stale,
        };
        // Without this, every submission in flight when the chain expires
        // would read it again.
        let gate = self
            .loading
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(key)
            .or_default()
            .clone();
        let _loading = match (gate.clone().try_lock_owned(), stale) {
            (Ok(guard), _) => guard,
            (Err(_), Some(stale)) => return Ok(stale),
            (Err(_), None) => {
                let guard = gate.lock_owned().await;
                if let Ok(fresh) = self.cached(key) {
                    return Ok(fresh);
                }
                guard
            }
        };
        let generation = self.generation.load(std::sync::atomic::Ordering::SeqCst);
        let tx = store.read(Scope::Tenant(t)).await.or_internal()?;
        let rows = q::chain(&tx, t, hook).await.or_internal()?;
        let mut chain = Chain {
            limits: tenant_limits(tenant).capped_by(&self.maxima),
            ..Chain::default()
        };
        if !rows.is_empty() {
            fill_directory(&tx, t, &mut chain).await?;
        }
        // Compiled copies only: a component not compiled here yet is
        // compiled in the background, and its rule skipped meanwhile.
        let host = self.host();
        let mut missing = Vec::new();
        for row in rows {
            let plugin = match &host {
                Err(e) => Err(e.to_string()),
                Ok(host) => match self.components.ready(host, &row.hash).await {
                    Ready::Yes(p) => Ok(p),
                    Ready::No(why) => {
                        missing.push(row.id);
                        Err(why)
                    }
                },
            };
            chain.links.push(link(row, plugin));
        }
        if let Ok(host) = &host {
            for id in &missing {
                if let Some(bytes) = q::component(&tx, t, *id).await.or_internal()? {
                    self.components.schedule(host, t, bytes);
                }
            }
        }
        chain.waiting = !missing.is_empty();
        tx.commit().await.or_internal()?;
        let chain = Arc::new(chain);
        let mut chains = self.chains_lock();
        if self.generation.load(std::sync::atomic::Ordering::SeqCst) == generation {
            chains.insert(key, (Instant::now(), chain.clone()));
        }
        Ok(chain)
    }
}

/// The city's directory as rules see it, in a chain without rules
/// (`minsheng plugin replay`).
pub async fn directory(store: &Store, tenant: &TenantRecord) -> Result<Chain, Error> {
    let t = tenant.id.into_uuid();
    let tx = store.read(Scope::Tenant(t)).await.or_internal()?;
    let mut chain = Chain::default();
    fill_directory(&tx, t, &mut chain).await?;
    tx.commit().await.or_internal()?;
    Ok(chain)
}

async fn fill_directory(
    tx: &minsheng_store::DatabaseTransaction,
    t: Uuid,
    chain: &mut Chain,
) -> Result<(), Error> {
    let departments = directory::list::<department::Entity>(tx, t, false)
        .await
        .or_internal()?;
    let codes: HashMap<Uuid, String> = departments.iter().map(|d| (d.id, d.code.clone())).collect();
    chain.departments = departments
        .iter()
        .map(|d| Department {
            code: d.code.clone(),
            name: d.name.clone(),
            parent: d.parent_id.and_then(|p| codes.get(&p).cloned()),
        })
        .collect();
    chain.department_ids = departments.iter().map(|d| (d.code.clone(), d.id)).collect();
    chain.department_codes = codes.clone();
    let categories = directory::list::<category::Entity>(tx, t, true)
        .await
        .or_internal()?;
    chain.category_codes = categories.iter().map(|c| (c.id, c.code.clone())).collect();
    chain.categories = categories
        .iter()
        .filter(|c| c.active)
        .map(|c| Category {
            code: c.code.clone(),
            name: c.name.clone(),
            group: c.group_name.clone(),
            keywords: serde_json::from_value(c.keywords.clone()).unwrap_or_default(),
            default_department: c.default_department_id.and_then(|d| codes.get(&d).cloned()),
        })
        .collect();
    Ok(())
}

fn link(row: Summary, plugin: Result<Arc<Plugin>, String>) -> Link {
    let fail_closed = row.descriptor["fail_closed"].as_bool().unwrap_or(false);
    Link {
        id: row.id,
        name: row.name,
        version: row.version,
        config: row.config.to_string(),
        fail_closed,
        failures: row.failures,
        plugin,
    }
}
