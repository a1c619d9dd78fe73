//! The shapes clients send and receive: the REST API's objects (documented in
//! OpenAPI) and, where they coincide, the tenant bundle's TOML. Unknown fields
//! are rejected in both. Values are checked by the services, not here.

use chrono::{DateTime, NaiveDate, Utc};
use poem_openapi::Object;
use poem_openapi::types::MaybeUndefined;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// How a city's site looks.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Object)]
#[serde(deny_unknown_fields)]
#[oai(deny_unknown_fields)]
pub struct Branding {
    /// The site's title (defaults to the city's name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site_title: Option<String>,
    /// `#rrggbb`.
    pub primary_color: String,
    /// `#rrggbb`.
    pub accent_color: String,
    /// An https URL or a path starting with `/`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logo_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub footer: Option<String>,
    /// How to reach the city (a hotline, an address).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<String>,
}

/// A new city.
#[derive(Clone, Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct TenantInput {
    /// The city's name in URLs (`/t/{slug}/`): 2 to 40 of `a-z`, `0-9`, `-`.
    pub slug: String,
    pub name: String,
    /// `zh-CN` or `en`.
    pub locale: String,
    /// An IANA time zone such as `Asia/Shanghai`.
    pub time_zone: String,
    /// Days off every week, `mon`…`sun`; default `["sat", "sun"]`.
    pub weekend: Option<Vec<String>>,
    pub branding: Branding,
}

/// Changes to a city; absent fields stay as they are. The slug cannot change.
#[derive(Clone, Debug, Default, Object)]
#[oai(deny_unknown_fields)]
pub struct TenantPatch {
    pub name: Option<String>,
    pub locale: Option<String>,
    pub time_zone: Option<String>,
    pub weekend: Option<Vec<String>>,
    /// Replaces the whole branding.
    pub branding: Option<Branding>,
    /// `false` suspends the city: its site stops answering; nothing is deleted.
    pub active: Option<bool>,
}

#[derive(Clone, Debug, Object, Serialize)]
pub struct Tenant {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    pub locale: String,
    pub time_zone: String,
    pub weekend: Vec<String>,
    pub branding: Branding,
    pub active: bool,
    /// Host names that serve this city.
    pub hosts: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Clone, Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct HostInput {
    /// An exact host name, like `daqing.example.org` (no scheme or port).
    pub host: String,
}

#[derive(Clone, Debug, Object)]
pub struct Host {
    pub id: Uuid,
    pub host: String,
    pub created_at: DateTime<Utc>,
}

/// A new department.
#[derive(Clone, Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct DepartmentInput {
    /// Unique in the city: 1 to 64 of `a-z`, `0-9`, `-`, `_`.
    pub code: String,
    pub name: String,
    /// government, district, street, enterprise, institution or other.
    pub kind: String,
    /// The parent department, in the same city.
    pub parent_id: Option<Uuid>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub address: Option<String>,
    pub description: Option<String>,
    /// Position in listings (lower first); default 0.
    pub sort_order: Option<i32>,
    /// Default true.
    pub active: Option<bool>,
}

/// Changes to a department; absent fields stay as they are, `null` clears.
#[derive(Clone, Debug, Default, Object)]
#[oai(deny_unknown_fields)]
pub struct DepartmentPatch {
    pub code: Option<String>,
    pub name: Option<String>,
    pub kind: Option<String>,
    pub parent_id: MaybeUndefined<Uuid>,
    pub phone: MaybeUndefined<String>,
    pub email: MaybeUndefined<String>,
    pub address: MaybeUndefined<String>,
    pub description: MaybeUndefined<String>,
    pub sort_order: Option<i32>,
    /// `false` deactivates the department: it disappears from the directory
    /// and cannot be chosen for new work; its history stays.
    pub active: Option<bool>,
}

#[derive(Clone, Debug, PartialEq, Eq, Object, Serialize)]
pub struct Department {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub kind: String,
    pub parent_id: Option<Uuid>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub address: Option<String>,
    pub description: Option<String>,
    pub sort_order: i32,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// One allowed value of a list attribute.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Object)]
#[serde(deny_unknown_fields)]
#[oai(deny_unknown_fields)]
pub struct AttributeValue {
    pub key: String,
    pub name: String,
}

/// An extra question a category asks (an Open311 service attribute).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Object)]
#[serde(deny_unknown_fields)]
#[oai(deny_unknown_fields)]
pub struct Attribute {
    pub code: String,
    /// The question shown to the citizen.
    pub description: String,
    /// string, number, datetime, text, singlevaluelist or multivaluelist.
    pub datatype: String,
    #[serde(default)]
    #[oai(default)]
    pub required: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub datatype_description: Option<String>,
    /// Required for the list datatypes, absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub values: Option<Vec<AttributeValue>>,
}

/// A new category.
#[derive(Clone, Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct CategoryInput {
    /// Unique in the city; the Open311 `service_code`.
    pub code: String,
    pub name: String,
    pub group: Option<String>,
    pub description: Option<String>,
    pub keywords: Option<Vec<String>>,
    /// The department new cases go to unless a rule decides otherwise.
    pub default_department_id: Option<Uuid>,
    /// Working days to accept (受理) a case, 0 to 30; default 1.
    pub accept_days: Option<i32>,
    /// Working days to answer (答复) a case, 1 to 120.
    pub answer_days: i32,
    /// Whether cases are public unless the citizen asks otherwise; default true.
    pub public_by_default: Option<bool>,
    pub attributes: Option<Vec<Attribute>>,
    pub sort_order: Option<i32>,
    pub active: Option<bool>,
}

/// Changes to a category; absent fields stay as they are, `null` clears.
#[derive(Clone, Debug, Default, Object)]
#[oai(deny_unknown_fields)]
pub struct CategoryPatch {
    pub code: Option<String>,
    pub name: Option<String>,
    pub group: MaybeUndefined<String>,
    pub description: MaybeUndefined<String>,
    pub keywords: Option<Vec<String>>,
    pub default_department_id: MaybeUndefined<Uuid>,
    pub accept_days: Option<i32>,
    pub answer_days: Option<i32>,
    pub public_by_default: Option<bool>,
    pub attributes: Option<Vec<Attribute>>,
    pub sort_order: Option<i32>,
    pub active: Option<bool>,
}

#[derive(Clone, Debug, PartialEq, Eq, Object, Serialize)]
pub struct Category {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub group: Option<String>,
    pub description: Option<String>,
    pub keywords: Vec<String>,
    pub default_department_id: Option<Uuid>,
    pub accept_days: i32,
    pub answer_days: i32,
    pub public_by_default: bool,
    pub attributes: Vec<Attribute>,
    pub sort_order: i32,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A listed day of the calendar.
#[derive(Clone, Debug, PartialEq, Eq, Object, Serialize)]
pub struct CalendarDay {
    pub date: NaiveDate,
    /// `holiday` (a day off) or `workday` (a make-up working day, 调休上班).
    pub kind: String,
    pub name: String,
}

#[derive(Clone, Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct CalendarDayInput {
    /// `holiday` or `workday`.
    pub kind: String,
    pub name: String,
}

#[derive(Clone, Debug, Object)]
pub struct Calendar {
    pub time_zone: String,
    pub weekend: Vec<String>,
    pub days: Vec<CalendarDay>,
}

/// When something started at `start` with `working_days` allowed is due.
#[derive(Clone, Debug, Object)]
pub struct Deadline {
    pub start: DateTime<Utc>,
    pub working_days: u32,
    /// The end of the last allowed working day, in the city's time zone.
    pub deadline: DateTime<Utc>,
    /// The same instant in the city's local time.
    pub deadline_local: String,
}

/// Sign in. Without `tenant` the account is a platform operator's.
#[derive(Clone, Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct LoginInput {
    /// The city's slug; absent for platform operators.
    pub tenant: Option<String>,
    pub username: String,
    pub password: String,
}

/// Who is signed in.
#[derive(Clone, Debug, Object, Serialize)]
pub struct Me {
    /// `operator`, `staff`, `citizen`, `api_client` or `anonymous`.
    pub kind: String,
    pub name: String,
    pub tenant: Option<String>,
    pub permissions: Vec<String>,
    /// Send this as `X-CSRF-Token` with every unsafe request made with the
    /// session cookie.
    pub csrf_token: Option<String>,
}

/// A new staff account of a city.
#[derive(Clone, Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct UserInput {
    /// 3 to 64 of `a-z`, `0-9`, `.`, `_`, `-`; unique in the city.
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    /// At least 10 characters.
    pub password: String,
    /// Codes of the departments the person works for.
    pub departments: Option<Vec<String>>,
    /// Codes of the roles granted.
    pub roles: Option<Vec<String>>,
}

/// Changes to a staff account; absent fields stay as they are.
#[derive(Clone, Debug, Default, Object)]
#[oai(deny_unknown_fields)]
pub struct UserPatch {
    pub display_name: Option<String>,
    pub email: MaybeUndefined<String>,
    /// A new password; signs the person out everywhere.
    pub password: Option<String>,
    pub departments: Option<Vec<String>>,
    pub roles: Option<Vec<String>>,
    /// `false` disables the account and ends its sessions.
    pub active: Option<bool>,
}

#[derive(Clone, Debug, Object, Serialize)]
pub struct User {
    pub id: Uuid,
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    pub kind: String,
    pub departments: Vec<String>,
    pub roles: Vec<String>,
    pub active: bool,
    pub created_at: DateTime<Utc>,
}

#[derive(Clone, Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct RoleInput {
    /// Unique in the city; the built-in codes are taken.
    pub code: String,
    pub name: String,
    /// Permissions from the catalogue (`GET /v1/permissions`).
    pub permissions: Vec<String>,
}

#[derive(Clone, Debug, Default, Object)]
#[oai(deny_unknown_fields)]
pub struct RolePatch {
    pub name: Option<String>,
    pub permissions: Option<Vec<String>>,
}

#[derive(Clone, Debug, Object)]
pub struct Role {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub builtin: bool,
    pub permissions: Vec<String>,
}

#[derive(Clone, Debug, Object)]
pub struct Permission {
    pub name: String,
    pub description: String,
}

#[derive(Clone, Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct ApiKeyInput {
    /// Unique in the city, e.g. the integration's name.
    pub name: String,
    /// Permissions the key may use; default none (public reads only).
    pub scopes: Option<Vec<String>>,
}

#[derive(Clone, Debug, Object)]
pub struct ApiKey {
    pub id: Uuid,
    pub name: String,
    /// The key's public part; the secret is never shown again.
    pub prefix: String,
    pub scopes: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A new key: `key` is shown this once.
#[derive(Clone, Debug, Object)]
pub struct ApiKeyCreated {
    pub key: String,
    pub api_key: ApiKey,
}

#[derive(Clone, Debug, Object)]
pub struct AuditEvent {
    pub id: Uuid,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub outcome: String,
    pub client_ip: Option<String>,
}

/// A citizen's question or complaint.
#[derive(Clone, Debug, Object, Serialize)]
#[oai(deny_unknown_fields)]
pub struct CaseInput {
    /// The category's code (an Open311 `service_code`).
    pub category: String,
    /// 4 to 100 characters.
    pub title: String,
    /// 10 to 5,000 characters.
    pub text: String,
    pub address: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    /// Personal data: seen by staff only, never in public.
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    pub contact_email: Option<String>,
    /// Publish the question and answer (default: the category's setting).
    pub public: Option<bool>,
    /// Answers to the category's extra questions (its Open311 attributes):
    /// attribute code → its values (one, or several for a multi-value list).
    #[oai(default)]
    #[serde(default)]
    pub attributes: std::collections::BTreeMap<String, Vec<String>>,
    /// A link to a photo or other media (http or https).
    pub media_url: Option<String>,
}

/// What a submission returns: keep the secret, it is shown once.
#[derive(Clone, Debug, Object, Serialize, Deserialize)]
pub struct CaseCreated {
    /// Short, readable, unguessable: `XXXX-XXXX-XXXX`.
    pub tracking_code: String,
    /// Lets the citizen act on the case without an account (send it as
    /// `X-Case-Secret`).
    pub secret: String,
    pub state: String,
    pub accept_deadline: DateTime<Utc>,
    pub answer_deadline: DateTime<Utc>,
}

/// A case as anyone may see it: no personal data.
#[derive(Clone, Debug, Object, Serialize)]
pub struct PublicCase {
    pub tracking_code: String,
    pub title: String,
    pub text: String,
    pub address: Option<String>,
    pub category: String,
    pub category_name: String,
    pub department: Option<String>,
    pub department_name: Option<String>,
    pub state: String,
    pub submitted_at: DateTime<Utc>,
    pub accept_deadline: DateTime<Utc>,
    pub answer_deadline: DateTime<Utc>,
    pub answered_at: Option<DateTime<Utc>>,
    pub answer: Option<String>,
    /// `satisfied`, `basically_satisfied` or `unsatisfied`.
    pub rating: Option<String>,
    pub views: i64,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    /// Answers to the category's extra questions: code → values.
    pub attributes: std::collections::BTreeMap<String, Vec<String>>,
    pub media_url: Option<String>,
    /// When anything about the case last changed.
    pub updated_at: DateTime<Utc>,
}

/// A case as its city's staff (or its own citizen) see it.
#[derive(Clone, Debug, Object, Serialize)]
pub struct CaseDetail {
    pub case: PublicCase,
    pub public: bool,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    pub contact_email: Option<String>,
    pub co_departments: Vec<String>,
    pub extension_pending: bool,
    pub reopened: i32,
    /// What may be done next (whoever may do it).
    pub allowed_actions: Vec<String>,
    pub timeline: Vec<TimelineEvent>,
    /// What the city's rules decided (staff only).
    pub flags: Option<CaseFlags>,
}

/// What the city's rules (or staff) decided about a case.
#[derive(Clone, Debug, Object, Serialize)]
pub struct CaseFlags {
    /// `low`, `normal`, `high` or `urgent`.
    pub priority: String,
    pub tags: Vec<String>,
    pub spam: bool,
    /// Tracking code of the case this one repeats.
    pub duplicate_of: Option<String>,
    /// Held for review (private until released), with the reasons.
    pub held: Option<Vec<String>>,
    /// A rule failed on this case and the default routing took over.
    pub rule_failed: bool,
    /// The text as the citizen wrote it, when a rule redacted it.
    pub unredacted: Option<serde_json::Value>,
}

#[derive(Clone, Debug, Object, Serialize)]
pub struct TimelineEvent {
    pub at: DateTime<Utc>,
    pub action: String,
    pub from_state: Option<String>,
    pub to_state: Option<String>,
    pub department: Option<String>,
    pub public: bool,
    pub text: Option<String>,
    /// Who did it; staff views only.
    pub actor: Option<String>,
    /// Details (a rule's plugin, version, fuel, outcome); staff only.
    pub detail: Option<serde_json::Value>,
}

#[derive(Clone, Debug, Object, Serialize)]
pub struct CasePage {
    pub items: Vec<PublicCase>,
    pub total: u64,
    pub page: u64,
    pub page_size: u64,
}

#[derive(Clone, Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct ReasonInput {
    pub reason: String,
}

#[derive(Clone, Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct AssignInput {
    /// The lead department's code (主办); default: the category's department.
    pub lead: Option<String>,
    /// Co-handling departments' codes (协办).
    pub co: Option<Vec<String>>,
}

#[derive(Clone, Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct TransferInput {
    /// The new lead department's code.
    pub to: String,
    pub reason: String,
}

#[derive(Clone, Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct ExtensionInput {
    /// Extra working days, 1 to 30.
    pub working_days: u32,
    pub reason: String,
}

#[derive(Clone, Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct DecisionInput {
    pub approve: bool,
    pub reason: Option<String>,
}

#[derive(Clone, Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct TextInput {
    pub text: String,
}

#[derive(Clone, Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct RatingInput {
    /// `satisfied` (满意), `basically_satisfied` (基本满意) or `unsatisfied` (不满意).
    pub rating: String,
    /// Seen by staff only.
    pub comment: Option<String>,
}

/// A city's or department's figures for a period.
#[derive(Clone, Debug, Object, Serialize, PartialEq)]
pub struct Stats {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub department: Option<String>,
    pub received: i64,
    pub accepted: i64,
    pub answered: i64,
    /// answered / received.
    pub answer_rate: f64,
    /// answered on time / answered.
    pub on_time_rate: f64,
    pub average_answer_hours: f64,
    pub rated: i64,
    /// (满意 + 基本满意) / rated.
    pub satisfaction_rate: f64,
    pub views: i64,
    /// Cases that passed their answer deadline unanswered (超期).
    pub overdue: i64,
    /// Cases escalated to supervision (督办).
    pub supervised: i64,
}

/// An endpoint that is told about the city's case events.
#[derive(Clone, Debug, Object, Serialize)]
pub struct Webhook {
    pub id: Uuid,
    pub url: String,
    /// Event types (`case.answered`, `case.overdue`, …) or `*` for all.
    pub events: Vec<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(Clone, Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct WebhookInput {
    /// `https://…` (or `http://` for an endpoint on a private network).
    pub url: String,
    /// Event types to send; default: all (`*`).
    pub events: Option<Vec<String>>,
}

/// A new endpoint: keep the secret, it is shown once. Deliveries are
/// signed with it as Standard Webhooks describe (`webhook-id`,
/// `webhook-timestamp`, `webhook-signature: v1,<base64 HMAC-SHA256 of
/// "{id}.{timestamp}.{body}">`, keyed with the secret's base64 part).
#[derive(Clone, Debug, Object, Serialize)]
pub struct WebhookCreated {
    pub webhook: Webhook,
    pub secret: String,
}

/// A message the city sent or is sending: an email or a webhook call.
#[derive(Clone, Debug, Object, Serialize)]
pub struct Notification {
    pub id: Uuid,
    /// `email` or `webhook`.
    pub channel: String,
    /// The address, or the webhook's id.
    pub recipient: String,
    pub event: String,
    pub subject: String,
    /// `pending`, `sent` or `failed` (given up).
    pub state: String,
    pub attempts: i32,
    pub next_attempt_at: DateTime<Utc>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

// ---- rule plugins -------------------------------------------------------------

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
