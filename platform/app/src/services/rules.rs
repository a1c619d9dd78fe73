//! Running a city's rule plugins.
//!
//! The chain of each hook (intake, escalation) is the city's enabled
//! plugins in order, with their configuration, the city's limits and its
//! directory as rules see it. Chains are cached for `plugin_refresh_secs`
//! (changes through this process apply at once); compiled components are
//! kept by [`super::components`]. Calls run on the blocking pool: a rule
//! never holds up the async workers, and a hostile one is stopped by its
//! fuel, memory and time limits.
//!
//! Failures never block a citizen: the failed rule's decision is dropped,
//! the case is flagged, and its run counts towards the plugin's limit of
//! consecutive failures, after which it is disabled and the city's
//! administrators are told.

use super::DbResultExt;
use super::components::{Components, Fresh, Ready};
use crate::App;
use crate::services::tenants::TenantRecord;
use chrono::{DateTime, Utc};
use minsheng_domain::Error;
use minsheng_plugin_host::types::{
    self as wit, CaseField, CaseInput, Category, Department, Instant as WitInstant, IntakeInput,
    Priority, TextField,
};
use minsheng_plugin_host::{CaseRef, Failure, Host, Limits, Lookups, Outcome, Plugin};
use minsheng_store::entity::{category, department};
use minsheng_store::queries::plugins::{self as q, Summary};
use minsheng_store::queries::{cases as cq, directory};
use minsheng_store::{Scope, Store};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};
use uuid::Uuid;

pub const INTAKE: &str = "intake";
pub const ESCALATION: &str = "escalation";

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
    lookups: Shares,
}

/// Each city's share of something used at once.
struct Shares {
    size: usize,
    cities: Mutex<HashMap<Uuid, Arc<tokio::sync::Semaphore>>>,
}

impl Shares {
    fn new(size: usize) -> Self {
        Self {
            size: size.max(1),
            cities: Mutex::default(),
        }
    }

    fn of(&self, tenant: Uuid) -> Arc<tokio::sync::Semaphore> {
        self.cities
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(tenant)
            .or_insert_with(|| Arc::new(tokio::sync::Semaphore::new(self.size)))
            .clone()
    }
}

/// One plugin in a chain.
pub struct Link {
    pub id: Uuid,
    pub name: String,
    pub version: String,
    pub config: String,
    /// Hold the case for review when this rule fails (redaction rules).
    pub fail_closed: bool,
    pub failures: i32,
    /// The compiled plugin, or why it could not be made.
    pub plugin: Result<Arc<Plugin>, String>,
}

/// A city's chain for one hook, with what its rules are given.
#[derive(Default)]
pub struct Chain {
    pub links: Vec<Link>,
    pub limits: Limits,
    pub departments: Vec<Department>,
    pub department_ids: HashMap<String, Uuid>,
    pub department_codes: HashMap<Uuid, String>,
    pub categories: Vec<Category>,
    pub category_codes: HashMap<Uuid, String>,
    /// Some rule's component is still being compiled.
    pub waiting: bool,
}

/// How long a chain waiting for a compile is kept before it is read again.
const WAITING: Duration = Duration::from_millis(500);

impl Chain {
    /// The whole directory, which decisions are checked against.
    pub fn directory(&self) -> minsheng_plugin_host::Directory<'_> {
        minsheng_plugin_host::Directory {
            departments: &self.departments,
            categories: &self.categories,
        }
    }
}

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

/// The city's limits for one call, as set (unset fields: the defaults).
pub fn tenant_limits(tenant: &TenantRecord) -> Limits {
    tenant
        .row
        .plugin_limits
        .as_ref()
        .and_then(|v| serde_json::from_value(v.clone()).ok())
        .unwrap_or_default()
}

/// Why a component could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadFailure {
    #[error("{0}")]
    Refused(minsheng_plugin_host::LoadError),
    #[error("{0}")]
    Server(Error),
}

/// Why a rule did not run when its city's share of calls was taken.
pub const CITY_BUSY: &str =
    "this city's rules are all busy (its share of rule calls at once is taken)";

/// The most host lookups one rule call may make; later ones find nothing.
pub const MAX_LOOKUPS_PER_CALL: u32 = 20;

/// The city's cases for a rule's lookups, read on the calling thread (a
/// blocking-pool thread) through the runtime. One per call: its lookups
/// end by the call's deadline (a statement timeout on PostgreSQL, the
/// query dropped on both), wait for the city's share of lookups, and are
/// counted.
pub(crate) struct CityLookups {
    store: Store,
    tenant: Uuid,
    slug: String,
    now: DateTime<Utc>,
    categories: Arc<HashMap<Uuid, String>>,
    runtime: tokio::runtime::Handle,
    share: Arc<tokio::sync::Semaphore>,
    metrics: Arc<crate::metrics::Metrics>,
    deadline: Instant,
    made: std::sync::atomic::AtomicU32,
}

impl Lookups for CityLookups {
    fn find_recent_cases(&self, text: &str, within_hours: u32, limit: u32) -> Vec<CaseRef> {
        self.find(text, within_hours, limit, false)
    }

    fn find_same_title(&self, title: &str, within_hours: u32, limit: u32) -> Vec<CaseRef> {
        self.find(title, within_hours, limit, true)
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

    fn find(&self, text: &str, within_hours: u32, limit: u32, exact: bool) -> Vec<CaseRef> {
        use std::sync::atomic::Ordering;
        if self.made.fetch_add(1, Ordering::Relaxed) >= MAX_LOOKUPS_PER_CALL {
            return self.refused("per_call");
        }
        let Some(left) = self.deadline.checked_duration_since(Instant::now()) else {
            return self.refused("deadline");
        };
        let since = self.now - chrono::Duration::hours(i64::from(within_hours));
        let postgres = self.store.backend() == minsheng_store::Backend::Postgres;
        let found = self.runtime.block_on(async {
            tokio::time::timeout(left, async {
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
            .await
        });
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
    runtime: tokio::runtime::Handle,
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
            runtime: tokio::runtime::Handle::current(),
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
            runtime: self.runtime.clone(),
            share: self.share.clone(),
            metrics: self.metrics.clone(),
            deadline: Instant::now() + self.timeout,
            made: std::sync::atomic::AtomicU32::new(0),
        })
    }
}

pub fn instant(tenant: &TenantRecord, at: DateTime<Utc>) -> WitInstant {
    use chrono::Offset;
    let offset = at.with_timezone(&tenant.time_zone).offset().fix();
    WitInstant {
        unix_seconds: at.timestamp(),
        utc_offset_minutes: offset.local_minus_utc() / 60,
    }
}

pub fn priority_name(p: i16) -> &'static str {
    match p {
        0 => "low",
        2 => "high",
        3 => "urgent",
        _ => "normal",
    }
}

pub fn priority_value(p: Priority) -> i16 {
    match p {
        Priority::Low => 0,
        Priority::Normal => 1,
        Priority::High => 2,
        Priority::Urgent => 3,
    }
}

/// `low`, `normal`, `high`, `urgent` → 0…3 (anything else: normal).
pub fn priority_from_name(name: &str) -> i16 {
    match name {
        "low" => 0,
        "high" => 2,
        "urgent" => 3,
        _ => 1,
    }
}

pub fn priority_of(n: i16) -> Priority {
    match n {
        0 => Priority::Low,
        2 => Priority::High,
        3 => Priority::Urgent,
        _ => Priority::Normal,
    }
}

// ---- intake -------------------------------------------------------------

/// A submission as the intake chain sees and changes it.
#[derive(Clone, Debug, Default)]
pub struct Draft {
    pub category: String,
    pub title: String,
    pub text: String,
    pub address: Option<String>,
    pub location: Option<(f64, f64)>,
    pub attributes: Option<Value>,
    pub media_url: Option<String>,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    pub contact_email: Option<String>,
    pub public: bool,
    /// Set by a rule: the lead department's code.
    pub lead: Option<String>,
    pub co_handlers: Vec<String>,
    pub priority: i16,
    pub tags: Vec<String>,
    pub spam: bool,
    pub duplicate_of: Option<String>,
    /// Held for review, with the reasons.
    pub review: Vec<String>,
    /// Refused, with the message for the citizen.
    pub reject: Option<String>,
    pub rule_failed: bool,
    /// The text before the first redaction.
    pub unredacted: Option<Value>,
    /// One timeline detail per rule run.
    pub runs: Vec<Value>,
    /// Which run (an index into `runs`) set `duplicate_of`.
    pub duplicate_by: Option<usize>,
    /// `lead` and `co_handlers` as department ids, after the chain ran.
    pub lead_id: Option<Uuid>,
    pub co_handler_ids: Vec<Uuid>,
}

impl Draft {
    /// What a rule declaring `needs` is given.
    pub fn input(
        &self,
        needs: &[CaseField],
        chain: &Chain,
        config: &str,
        now: WitInstant,
    ) -> IntakeInput {
        let has = |f: CaseField| needs.contains(&f);
        let attributes = if has(CaseField::Attributes) {
            self.attributes
                .as_ref()
                .and_then(Value::as_object)
                .map(|m| {
                    m.iter()
                        .map(|(code, v)| wit::Attribute {
                            code: code.clone(),
                            values: match v {
                                Value::Array(items) => items
                                    .iter()
                                    .map(|i| {
                                        i.as_str()
                                            .map(str::to_owned)
                                            .unwrap_or_else(|| i.to_string())
                                    })
                                    .collect(),
                                Value::String(s) => vec![s.clone()],
                                other => vec![other.to_string()],
                            },
                        })
                        .collect()
                })
                .unwrap_or_default()
        } else {
            Vec::new()
        };
        IntakeInput {
            case: CaseInput {
                category: self.category.clone(),
                title: has(CaseField::Title).then(|| self.title.clone()),
                text: has(CaseField::Text).then(|| self.text.clone()),
                address: self.address.clone().filter(|_| has(CaseField::Address)),
                location: self.location.filter(|_| has(CaseField::Location)).map(
                    |(latitude, longitude)| wit::Location {
                        latitude,
                        longitude,
                    },
                ),
                attributes,
                media_url: self.media_url.clone().filter(|_| has(CaseField::MediaUrl)),
                contact_name: self
                    .contact_name
                    .clone()
                    .filter(|_| has(CaseField::ContactName)),
                contact_phone: self
                    .contact_phone
                    .clone()
                    .filter(|_| has(CaseField::ContactPhone)),
                contact_email: self
                    .contact_email
                    .clone()
                    .filter(|_| has(CaseField::ContactEmail)),
                public: self.public,
            },
            departments: if has(CaseField::Departments) {
                chain.departments.clone()
            } else {
                Vec::new()
            },
            categories: if has(CaseField::Categories) {
                chain.categories.clone()
            } else {
                Vec::new()
            },
            config: config.to_owned(),
            now,
        }
    }

    /// Apply one rule's checked decision.
    pub fn apply(&mut self, d: &wit::IntakeDecision) -> Vec<&'static str> {
        let mut changed = Vec::new();
        if let Some(lead) = &d.lead {
            self.lead = Some(lead.clone());
            changed.push("lead");
        }
        if !d.co_handlers.is_empty() {
            let mut unique = Vec::new();
            for code in &d.co_handlers {
                if !unique.contains(code) && self.lead.as_ref() != Some(code) {
                    unique.push(code.clone());
                }
            }
            self.co_handlers = unique;
            changed.push("co_handlers");
        }
        if let Some(category) = &d.category
            && *category != self.category
        {
            self.category = category.clone();
            changed.push("category");
        }
        if let Some(p) = d.priority {
            self.priority = priority_value(p);
            changed.push("priority");
        }
        for tag in &d.tags {
            if !self.tags.contains(tag) && self.tags.len() < 20 {
                self.tags.push(tag.clone());
                changed.push("tags");
            }
        }
        if d.spam {
            self.spam = true;
            changed.push("spam");
        }
        if let Some(code) = &d.duplicate_of {
            self.duplicate_of = Some(code.clone());
            changed.push("duplicate_of");
        }
        if !d.redactions.is_empty() {
            self.unredacted.get_or_insert_with(
                || json!({"title": self.title, "text": self.text, "address": self.address}),
            );
            for field in [TextField::Title, TextField::Text, TextField::Address] {
                let mut spans: Vec<_> = d.redactions.iter().filter(|r| r.field == field).collect();
                spans.sort_by_key(|r| std::cmp::Reverse(r.start));
                let text = match field {
                    TextField::Title => Some(&mut self.title),
                    TextField::Text => Some(&mut self.text),
                    TextField::Address => self.address.as_mut(),
                };
                let Some(text) = text else { continue };
                let mut floor = usize::MAX;
                for r in spans {
                    let (start, end) = (r.start as usize, r.end as usize);
                    // Overlapping spans: the later-starting one won.
                    if end > floor || end > text.len() {
                        continue;
                    }
                    text.replace_range(start..end, &format!("[{}]", r.kind));
                    floor = start;
                }
            }
            changed.push("redactions");
        }
        if d.force_private && self.public {
            self.public = false;
            changed.push("private");
        }
        if let Some(reason) = &d.hold {
            self.review.push(reason.clone());
            changed.push("hold");
        }
        if let Some(message) = &d.reject {
            self.reject = Some(message.clone());
            changed.push("reject");
        }
        changed.dedup();
        changed
    }

    /// Why the draft no longer fits what a citizen may send (a redaction
    /// grew a field past its limit), if it does not.
    pub fn misfit(&self) -> Option<String> {
        use super::intake::{ADDRESS_CHARS, TEXT_CHARS, TITLE_CHARS};
        let over = |field: &str, text: &str, max: usize| {
            let n = text.trim().chars().count();
            (n > max).then(|| {
                format!("its redactions make the {field} {n} characters long; the most is {max}")
            })
        };
        over("title", &self.title, TITLE_CHARS.1)
            .or_else(|| over("text", &self.text, TEXT_CHARS.1))
            .or_else(|| {
                over(
                    "address",
                    self.address.as_deref().unwrap_or(""),
                    ADDRESS_CHARS,
                )
            })
            .or_else(|| {
                self.title
                    .trim()
                    .is_empty()
                    .then(|| "its redactions leave the title empty".to_owned())
            })
    }
}

/// A rule run to record after the submission: failures counted, successes
/// end a run of failures.
pub struct Tally {
    pub plugin: Uuid,
    pub name: String,
    pub failed: Option<Failure>,
    pub had_failures: bool,
}

impl Tally {
    pub fn of(link: &Link, failed: Option<Failure>) -> Self {
        Self {
            plugin: link.id,
            name: link.name.clone(),
            had_failures: failed.is_some() || link.failures > 0,
            failed,
        }
    }
}

/// What the timeline keeps of one run: the plugin, its version, the
/// outcome, what it cost, its logs, and for a failure the kind, the error
/// and what the guest printed. Callers add what the rule decided.
pub(crate) fn run_record(
    link: &Link,
    report: &minsheng_plugin_host::CallReport,
    failure: Option<&Failure>,
) -> serde_json::Map<String, Value> {
    let mut run = serde_json::Map::new();
    run.insert("plugin".into(), json!(link.name));
    run.insert("version".into(), json!(link.version));
    run.insert(
        "outcome".into(),
        json!(if failure.is_some() { "failed" } else { "ok" }),
    );
    run.insert("fuel".into(), json!(report.fuel_used));
    run.insert(
        "micros".into(),
        json!(u64::try_from(report.duration.as_micros()).unwrap_or(u64::MAX)),
    );
    run.insert("logs".into(), json!(report.logs));
    run.insert("logs_dropped".into(), json!(report.logs_dropped));
    if let Some(f) = failure {
        run.insert("failure".into(), json!(f.kind()));
        run.insert("error".into(), json!(f.to_string()));
        run.insert(
            "output".into(),
            json!(report.output.chars().take(2000).collect::<String>()),
        );
    }
    run
}

/// Run the city's intake chain over `draft` (on the blocking pool).
/// Returns what to record about each plugin afterwards.
pub async fn run_intake(
    state: &App,
    tenant: &TenantRecord,
    draft: &mut Draft,
    now: DateTime<Utc>,
) -> Result<Vec<Tally>, Error> {
    let chain = state.rules.chain(&state.store, tenant, INTAKE).await?;
    if chain.links.is_empty() {
        return Ok(Vec::new());
    }
    let calls = Calls::new(state, tenant, &chain, now);
    let seat = state
        .rules
        .seat(tenant.id.into_uuid(), calls.timeout())
        .await;
    let at = instant(tenant, now);
    let mut work = std::mem::take(draft);
    let metrics = state.metrics.clone();
    let slug = tenant.slug.clone();
    let running = chain.clone();
    let parent = tracing::Span::current();
    let (work, tallies) = tokio::task::spawn_blocking(move || {
        let _request = parent.enter();
        let chain = running;
        let mut tallies = Vec::new();
        for link in &chain.links {
            let span = call_span(&slug, INTAKE, link);
            let outcome = span.in_scope(|| match (&seat, &link.plugin) {
                (None, _) => Outcome {
                    result: Err(Failure::Instantiate(CITY_BUSY.into())),
                    report: Default::default(),
                },
                (Some(_), Ok(plugin)) => {
                    let input = work.input(&plugin.descriptor.needs, &chain, &link.config, at);
                    plugin.intake_in(&input, chain.directory(), &chain.limits, calls.lookups())
                }
                (Some(_), Err(why)) => Outcome {
                    result: Err(Failure::Instantiate(why.clone())),
                    report: Default::default(),
                },
            });
            observe(
                &metrics,
                &span,
                &slug,
                link,
                &outcome.result.as_ref().err().cloned(),
                &outcome.report,
            );
            let report = outcome.report;
            // A decision that would not fit the case is refused whole.
            let outcome = match outcome.result {
                Ok(decision) => {
                    let mut trial = work.clone();
                    let changed = trial.apply(&decision);
                    match trial.misfit() {
                        None => {
                            if decision.duplicate_of.is_some() {
                                trial.duplicate_by = Some(tallies.len());
                            }
                            work = trial;
                            Ok((decision, changed))
                        }
                        Some(why) => Err(Failure::Invalid(why)),
                    }
                }
                Err(failure) => Err(failure),
            };
            match outcome {
                Ok((decision, changed)) => {
                    let mut run = run_record(link, &report, None);
                    run.insert("explanation".into(), json!(decision.explanation));
                    run.insert("changed".into(), json!(changed));
                    work.runs.push(Value::Object(run));
                    tallies.push(Tally::of(link, None));
                    if work.reject.is_some() {
                        break;
                    }
                }
                Err(failure) => {
                    work.rule_failed = true;
                    if link.fail_closed {
                        work.review.push(format!(
                            "rule {} failed; held so that unredacted text is not published",
                            link.name
                        ));
                    }
                    let run = run_record(link, &report, Some(&failure));
                    work.runs.push(Value::Object(run));
                    tallies.push(Tally::of(link, Some(failure)));
                }
            }
        }
        (work, tallies)
    })
    .await
    .map_err(Error::internal)?;
    *draft = work;
    let mut tallies = tallies;
    // A duplicate of a case this city does not have is dropped, and the
    // rule that said so counts as failed.
    if let Some(code) = draft.duplicate_of.clone() {
        let t = tenant.id.into_uuid();
        let tx = state.store.read(Scope::Tenant(t)).await.or_internal()?;
        let found = cq::by_code(&tx, t, &code).await.or_internal()?;
        tx.commit().await.or_internal()?;
        if found.is_none() {
            draft.duplicate_of = None;
            draft.rule_failed = true;
            let failure =
                Failure::Invalid(format!("duplicate-of {code:?} names no case of this city"));
            if let Some(i) = draft.duplicate_by.take() {
                if let Some(Value::Object(run)) = draft.runs.get_mut(i) {
                    run.insert("outcome".into(), json!("failed"));
                    run.insert("failure".into(), json!(failure.kind()));
                    run.insert("error".into(), json!(failure.to_string()));
                }
                if let Some(tally) = tallies.get_mut(i) {
                    tally.had_failures = true;
                    tally.failed = Some(failure);
                }
            }
        }
    }
    draft.lead_id = draft
        .lead
        .as_ref()
        .and_then(|c| chain.department_ids.get(c).copied());
    draft.co_handler_ids = draft
        .co_handlers
        .iter()
        .filter_map(|c| chain.department_ids.get(c).copied())
        .collect();
    Ok(tallies)
}

/// The span of one plugin call: which plugin, its version and hook; the
/// outcome and fuel are recorded by [`observe`].
pub(crate) fn call_span(tenant: &str, hook: &str, link: &Link) -> tracing::Span {
    tracing::info_span!(
        "plugin",
        otel.name = %format!("plugin {}", link.name),
        otel.status_code = tracing::field::Empty,
        minsheng.tenant = tenant,
        plugin.name = %link.name,
        plugin.version = %link.version,
        plugin.hook = hook,
        plugin.outcome = tracing::field::Empty,
        plugin.fuel = tracing::field::Empty,
        plugin.peak_memory = tracing::field::Empty,
    )
}

/// Count the runs: `minsheng_plugin_calls_total`, failures, fuel, time;
/// and put the outcome on the call's span.
pub(crate) fn observe(
    metrics: &crate::metrics::Metrics,
    span: &tracing::Span,
    tenant: &str,
    link: &Link,
    failure: &Option<Failure>,
    report: &minsheng_plugin_host::CallReport,
) {
    let outcome = failure.as_ref().map(Failure::kind).unwrap_or("ok");
    span.record("plugin.outcome", outcome);
    span.record("plugin.fuel", report.fuel_used);
    span.record("plugin.peak_memory", report.peak_memory as u64);
    if failure.is_some() {
        span.record("otel.status_code", "ERROR");
    }
    let labels = || vec![("tenant", tenant.to_owned()), ("plugin", link.name.clone())];
    let mut calls = labels();
    calls.push(("outcome", outcome.to_owned()));
    metrics.add_all([
        ("minsheng_plugin_calls_total", calls, 1),
        ("minsheng_plugin_fuel_total", labels(), report.fuel_used),
        (
            "minsheng_plugin_call_microseconds_total",
            labels(),
            u64::try_from(report.duration.as_micros()).unwrap_or(u64::MAX),
        ),
    ]);
    if let Some(f) = failure {
        tracing::warn!(tenant, plugin = %link.name, version = %link.version, failure = %f, "rule plugin failed");
    }
    // The platform's own reasons a rule did not start, for operators.
    if let Some(Failure::Instantiate(why)) = failure {
        metrics.count(
            "minsheng_plugin_instantiate_failures_total",
            vec![
                ("tenant", tenant.to_owned()),
                ("reason", instantiate_reason(why).to_owned()),
            ],
        );
    }
}

/// A short name for why a rule did not start.
fn instantiate_reason(why: &str) -> &'static str {
    if why == CITY_BUSY {
        "city_busy"
    } else if why.contains("being compiled") {
        "compiling"
    } else if why.contains("refused") {
        "refused"
    } else if why.contains("engine") {
        "engine"
    } else {
        "pool"
    }
}

/// Record what happened to each plugin: failures are counted (and may
/// disable the plugin, telling the city's administrators); a success ends
/// a run of failures. Errors are logged, never returned: the citizen's case
/// is already saved.
pub async fn record(state: &App, tenant: &TenantRecord, tallies: Vec<Tally>, now: DateTime<Utc>) {
    let t = tenant.id.into_uuid();
    let limit = i32::try_from(state.config.plugin_failure_limit.max(1)).unwrap_or(5);
    for tally in tallies {
        if tally.failed.is_none() && !tally.had_failures {
            continue;
        }
        let result = async {
            let tx = state.tenant_tx(tenant.id).await?;
            match &tally.failed {
                None => q::reset_failures(&tx, t, tally.plugin)
                    .await
                    .or_internal()?,
                Some(failure) => {
                    // The server's own trouble (the engine, a full
                    // instance pool, a component it cannot compile) is
                    // recorded but not held against the plugin.
                    let counts = !matches!(failure, Failure::Instantiate(_));
                    let error = failure.to_string();
                    let disabled =
                        q::record_failure(&tx, t, tally.plugin, &error, counts, limit, now)
                            .await
                            .or_internal()?;
                    if disabled {
                        tell_admins(state, &tx, tenant, &tally.name, limit, failure, now).await?;
                    }
                }
            }
            tx.commit().await.or_internal()?;
            Ok::<_, Error>(tally.failed.is_some())
        }
        .await;
        match result {
            Ok(true) => state.rules.forget(t),
            Ok(false) => {}
            Err(e) => {
                tracing::warn!(error = %e, plugin = %tally.name, "could not record a rule run")
            }
        }
    }
}

async fn tell_admins(
    state: &App,
    tx: &minsheng_store::DatabaseTransaction,
    tenant: &TenantRecord,
    plugin: &str,
    limit: i32,
    failure: &Failure,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    use minsheng_store::queries::escalation as eq;
    let t = tenant.id.into_uuid();
    let admins = eq::staff_emails(tx, t, None, Some(minsheng_domain::access::CITY_ADMIN))
        .await
        .or_internal()?;
    let subject = format!(
        "[{}] 规则插件 {plugin} 已停用 / rule plugin {plugin} disabled",
        tenant.name
    );
    let body = format!(
        "规则插件 {plugin} 连续 {limit} 次运行失败，已自动停用；案件改按默认规则分办。\n\
         The rule plugin {plugin} failed {limit} times in a row and has been disabled; cases follow the default routing.\n\n\
         最后一次错误 / Last error: {failure}\n\n{}/api/v1/tenants/{}/plugins\n",
        state.config.public_url.trim_end_matches('/'),
        tenant.slug
    );
    let messages = admins
        .into_iter()
        .map(|to| {
            eq::NewMessage {
                tenant_id: t,
                case_id: None,
                channel: "email",
                recipient: to,
                event: "plugin.disabled".into(),
                subject: subject.clone(),
                body: body.clone(),
                trace_parent: crate::trace::traceparent(),
            }
            .row(now)
        })
        .collect();
    eq::insert_outbox(tx, messages).await.or_internal()?;
    tracing::warn!(tenant = %tenant.slug, plugin, "rule plugin disabled after repeated failures");
    Ok(())
}
