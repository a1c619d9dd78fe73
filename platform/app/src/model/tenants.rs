//! Cities: their settings and branding, the host names that serve them and
//! their working calendar.

use chrono::{DateTime, NaiveDate, Utc};
use poem_openapi::Object;
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

/// What a city publishes and how: personal data in free text, review
/// before publication (先审后发), closing unrated answers, the demo notice.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Object)]
#[serde(deny_unknown_fields, default)]
#[oai(deny_unknown_fields)]
pub struct Publication {
    /// Hide phone numbers, ID numbers, e-mail addresses and licence plates
    /// in public text (`[电话]`/`[phone]` …); staff see the original.
    #[oai(default = "yes")]
    pub redact_personal_data: bool,
    /// Public cases wait for a staff member to publish them.
    #[oai(default)]
    pub review_before_publication: bool,
    /// An answer the citizen has not rated closes after this many working
    /// days (1 to 60).
    #[oai(default = "seven")]
    pub close_unrated_after_days: u32,
    /// Every page says the city's data is generated for a demonstration.
    #[oai(default)]
    pub demo: bool,
    /// The city's own words for search, similar questions and topics:
    /// estates, places, department short names (`东城领秀`, `龙凤区`), kept
    /// whole when text is split into words. 2 to 20 letters or digits
    /// each, at most 2,000. After changing them, run
    /// `minsheng search reindex <city>`.
    #[oai(default, skip_serializing_if_is_empty)]
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub words: Vec<String>,
}

fn yes() -> bool {
    true
}

fn seven() -> u32 {
    7
}

impl Default for Publication {
    fn default() -> Self {
        Self {
            redact_personal_data: true,
            review_before_publication: false,
            close_unrated_after_days: 7,
            demo: false,
            words: Vec::new(),
        }
    }
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
    /// What the city publishes and how; the defaults when absent.
    pub publication: Option<Publication>,
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
    /// Replaces all the publication settings; keys left out take their
    /// defaults.
    pub publication: Option<Publication>,
    /// Replaces all the city's own mail texts (`reminder_subject` …, see
    /// the admin guide); `{}` goes back to the platform's texts.
    pub mail: Option<std::collections::BTreeMap<String, String>>,
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
    /// The publication settings in force (the defaults where unset).
    pub publication: Publication,
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

/// A city's quotas, set by the platform's operators. Each is `null` when
/// the city has no limit of its own (rule plugins stay within the
/// platform's maxima either way).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, Object)]
#[serde(deny_unknown_fields, default)]
#[oai(deny_unknown_fields)]
pub struct QuotaLimits {
    /// Cases (and campaign suggestions) received per day, the city's local
    /// day. Over it a submission is refused with 429, never saved.
    pub cases_per_day: Option<u64>,
    /// Staff accounts, active or not.
    pub staff_users: Option<u64>,
    /// Departments, active or not.
    pub departments: Option<u64>,
    /// Rule plugin versions kept.
    pub plugins: Option<u64>,
    /// Bytes of rule plugin components kept.
    pub plugin_bytes: Option<u64>,
    /// Webhook endpoints in use.
    pub webhooks: Option<u64>,
}

/// What a city uses of each quota now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Object)]
pub struct QuotaUsage {
    /// Cases received today (the city's local day).
    pub cases_today: u64,
    pub staff_users: u64,
    pub departments: u64,
    pub plugins: u64,
    pub plugin_bytes: u64,
    pub webhooks: u64,
}

/// A city's quotas and what it uses of them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Object)]
pub struct Quotas {
    pub limits: QuotaLimits,
    pub used: QuotaUsage,
}
