//! Running a city's rule plugins.
//!
//! The chain of each hook (intake, escalation) is the city's enabled
//! plugins in order, with their configuration, the city's limits and its
//! directory as rules see it. Chains are cached for `plugin_refresh_secs`
//! (changes through this process apply at once); compiled components are
//! cached by content hash for the life of the process, and on disk across
//! restarts. Calls run on the blocking pool: a rule never holds up the
//! async workers, and a hostile one is stopped by its fuel, memory and
//! time limits.
//!
//! Failures never block a citizen: the failed rule's decision is dropped,
//! the case is flagged, and its run counts towards the plugin's limit of
//! consecutive failures, after which it is disabled and the city's
//! administrators are told.

use super::DbResultExt;
use crate::app::AppState;
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
    compiled: Mutex<HashMap<String, Arc<Plugin>>>,
    chains: Mutex<Chains>,
    /// One reload of a chain at a time: the others use the chain of a
    /// moment ago meanwhile, or wait when there is none.
    loading: Mutex<Reloads>,
    /// Counts [`Rules::forget`]: a reload that began before a change is
    /// not kept.
    generation: std::sync::atomic::AtomicU64,
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
}

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
            compiled: Mutex::new(HashMap::new()),
            chains: Mutex::new(HashMap::new()),
            loading: Mutex::new(HashMap::new()),
            generation: std::sync::atomic::AtomicU64::new(0),
        }
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

    /// Compile (or find compiled) a component: on the blocking pool, as
    /// compiling takes a while.
    pub async fn load(&self, bytes: Vec<u8>) -> Result<Arc<Plugin>, LoadFailure> {
        let host = self.host().map_err(LoadFailure::Server)?;
        let hash = minsheng_plugin_host::content_hash(&bytes);
        if let Some(p) = self.compiled_lock().get(&hash) {
            return Ok(p.clone());
        }
        let plugin = tokio::task::spawn_blocking(move || Plugin::load(&host, &bytes))
            .await
            .map_err(|e| LoadFailure::Server(Error::internal(e)))?
            .map_err(LoadFailure::Refused)?;
        let plugin = Arc::new(plugin);
        self.compiled_lock().insert(hash, plugin.clone());
        Ok(plugin)
    }

    fn compiled_lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<Plugin>>> {
        self.compiled.lock().unwrap_or_else(|p| p.into_inner())
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
            Some((at, chain)) if at.elapsed() < self.refresh => Ok(chain.clone()),
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
        let mut bytes = Vec::new();
        for row in &rows {
            let cached = self.compiled_lock().get(&row.hash).cloned();
            if cached.is_none() {
                bytes.push(q::component(&tx, t, row.id).await.or_internal()?);
            } else {
                bytes.push(None);
            }
        }
        tx.commit().await.or_internal()?;
        for (row, bytes) in rows.into_iter().zip(bytes) {
            let cached = self.compiled_lock().get(&row.hash).cloned();
            let plugin = match (cached, bytes) {
                (Some(p), _) => Ok(p),
                (None, Some(bytes)) => self.load(bytes).await.map_err(|e| e.to_string()),
                (None, None) => Err("the component is missing".to_owned()),
            };
            chain.links.push(link(row, plugin));
        }
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

/// The city's cases for a rule's lookup, read on the calling thread (a
/// blocking-pool thread) through the runtime.
pub(crate) struct CityLookups {
    store: Store,
    tenant: Uuid,
    now: DateTime<Utc>,
    categories: HashMap<Uuid, String>,
    runtime: tokio::runtime::Handle,
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
    fn find(&self, text: &str, within_hours: u32, limit: u32, exact: bool) -> Vec<CaseRef> {
        let since = self.now - chrono::Duration::hours(i64::from(within_hours));
        let found = self.runtime.block_on(async {
            let tx = self.store.read(Scope::Tenant(self.tenant)).await?;
            let rows = if exact {
                cq::recent_with_title(&tx, self.tenant, text, since, u64::from(limit)).await?
            } else {
                cq::recent_by_title(&tx, self.tenant, text, since, u64::from(limit)).await?
            };
            tx.commit().await?;
            Ok::<_, minsheng_store::DbErr>(rows)
        });
        match found {
            Ok(rows) => rows
                .into_iter()
                .map(|(code, title, category, at)| CaseRef {
                    tracking_code: code,
                    title,
                    category: self.categories.get(&category).cloned().unwrap_or_default(),
                    submitted_at: at.timestamp(),
                })
                .collect(),
            Err(e) => {
                tracing::warn!(error = %e, "a rule's lookup failed");
                Vec::new()
            }
        }
    }
}

impl CityLookups {
    pub(crate) fn new(
        state: &AppState,
        tenant: &TenantRecord,
        chain: &Chain,
        now: DateTime<Utc>,
    ) -> Self {
        Self {
            store: state.store.clone(),
            tenant: tenant.id.into_uuid(),
            now,
            categories: chain.category_codes.clone(),
            runtime: tokio::runtime::Handle::current(),
        }
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
            self.co_handlers = d.co_handlers.clone();
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
    state: &AppState,
    tenant: &TenantRecord,
    draft: &mut Draft,
    now: DateTime<Utc>,
) -> Result<Vec<Tally>, Error> {
    let chain = state.rules.chain(&state.store, tenant, INTAKE).await?;
    if chain.links.is_empty() {
        return Ok(Vec::new());
    }
    let lookups: Arc<dyn Lookups> = Arc::new(CityLookups::new(state, tenant, &chain, now));
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
            let outcome = span.in_scope(|| match &link.plugin {
                Ok(plugin) => {
                    let input = work.input(&plugin.descriptor.needs, &chain, &link.config, at);
                    plugin.intake_in(&input, chain.directory(), &chain.limits, lookups.clone())
                }
                Err(why) => Outcome {
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
            match outcome.result {
                Ok(decision) => {
                    let changed = work.apply(&decision);
                    let mut run = run_record(link, &outcome.report, None);
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
                    let run = run_record(link, &outcome.report, Some(&failure));
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
}

/// Record what happened to each plugin: failures are counted (and may
/// disable the plugin, telling the city's administrators); a success ends
/// a run of failures. Errors are logged, never returned: the citizen's case
/// is already saved.
pub async fn record(
    state: &AppState,
    tenant: &TenantRecord,
    tallies: Vec<Tally>,
    now: DateTime<Utc>,
) {
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
    state: &AppState,
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
                trace_parent: crate::telemetry::context::traceparent(),
            }
            .row(now)
        })
        .collect();
    eq::insert_outbox(tx, messages).await.or_internal()?;
    tracing::warn!(tenant = %tenant.slug, plugin, "rule plugin disabled after repeated failures");
    Ok(())
}
