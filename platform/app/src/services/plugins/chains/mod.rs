//! Running a city's rule plugins.
//!
//! The chain of each hook (intake, escalation) is the city's enabled
//! plugins in order, with their configuration, the city's limits and its
//! directory as rules see it. Chains are cached for `plugin_refresh_secs`
//! (changes through this process apply at once); compiled components are
//! kept by [`crate::services::plugins::components`]. Calls run on the request's own
//! task: a rule yields to the other tasks every so much fuel and at every
//! epoch tick, and a hostile one is stopped by its fuel, memory and time
//! limits.
//!
//! Failures never block a citizen: the failed rule's decision is dropped,
//! the case is flagged, and its run counts towards the plugin's limit of
//! consecutive failures, after which it is disabled and the city's
//! administrators are told.
//!
//! The parts: `chains` (the engine and each city's cached chains),
//! `lookups` (the host lookups rules call and each city's shares),
//! `draft` (a submission as the intake chain sees and changes it),
//! `run` (running the intake chain, spans and metrics of each call) and
//! `failures` (counting failures, disabling a plugin, telling the city).

mod cache;
mod draft;
mod failures;
mod lookups;
mod run;

pub use cache::{Rules, directory};
pub use draft::Draft;
pub use failures::{Tally, record};
pub(crate) use lookups::Calls;
pub use lookups::{CITY_BUSY, MAX_LOOKUPS_PER_CALL};
pub use run::run_intake;
pub(crate) use run::{call_link, run_record};

use crate::services::tenants::TenantRecord;
use chrono::{DateTime, Utc};
use minsheng_domain::Error;
use minsheng_plugin_host::types::{Category, Department, Instant as WitInstant, Priority};
use minsheng_plugin_host::{Limits, Plugin, Session};
use std::collections::HashMap;
use std::sync::Arc;
use uuid::Uuid;

pub const INTAKE: &str = "intake";
pub const ESCALATION: &str = "escalation";

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

impl Chain {
    /// One store for this chain's calls, on `plugin`'s engine.
    pub fn session(&self, plugin: &Plugin) -> Session {
        Session::new(plugin.host(), self.links.len())
    }

    /// The whole directory, which decisions are checked against.
    pub fn directory(&self) -> minsheng_plugin_host::Directory<'_> {
        minsheng_plugin_host::Directory {
            departments: &self.departments,
            categories: &self.categories,
        }
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
