//! Rule plugins: uploaded versions, their settings, limits and the city's
//! quota.

use chrono::{DateTime, Utc};
use poem_openapi::Object;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// One uploaded version of a rule plugin.
#[derive(Clone, Debug, Object, Serialize)]
pub struct PluginView {
    pub id: Uuid,
    pub name: String,
    pub version: String,
    /// `intake` or `escalation`.
    pub hook: String,
    pub summary: String,
    /// The case fields the rule reads (contact fields are personal data).
    pub needs: Vec<String>,
    /// A failure holds the case for review instead of going on without it.
    pub fail_closed: bool,
    /// JSON Schema of the configuration.
    pub config_schema: serde_json::Value,
    pub config: serde_json::Value,
    pub enabled: bool,
    /// Order in its hook's chain: lower runs first.
    pub position: i32,
    /// Consecutive failures (reset by a success).
    pub failures: i32,
    pub last_error: Option<String>,
    /// Why it was disabled automatically, if it was.
    pub disabled_reason: Option<String>,
    /// The `minsheng:rules` version it was built against.
    pub wit_version: String,
    /// SHA-256 of the component.
    pub hash: String,
    pub size: i32,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Changes to a plugin. Enabling one version disables the others of the
/// same name; enabling checks the configuration and forgets past failures.
#[derive(Clone, Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct PluginUpdate {
    pub enabled: Option<bool>,
    pub position: Option<i32>,
    /// Checked against the plugin's schema; every problem is listed.
    pub config: Option<serde_json::Value>,
}

/// Limits of one plugin call in this city, within the platform's maxima.
#[derive(Clone, Debug, Object, Serialize, Deserialize)]
#[oai(deny_unknown_fields)]
pub struct PluginLimits {
    /// Instruction budget (wasmtime fuel).
    pub fuel: u64,
    /// Linear memory, bytes.
    pub memory_bytes: u64,
    /// Wall-clock backstop, milliseconds.
    pub timeout_ms: u64,
    /// Log bytes kept per call.
    pub log_bytes: u64,
    /// Largest decision, bytes of JSON.
    pub output_bytes: u64,
}

/// What the city keeps of rule plugins, against the platform's quota.
#[derive(Clone, Debug, Object, Serialize)]
pub struct PluginQuota {
    /// Plugin versions kept (every version counts until deleted).
    pub plugins: u64,
    pub max_plugins: u64,
    /// Bytes of the components kept.
    pub bytes: u64,
    pub max_bytes: u64,
}
