//! A citizen's case (petition). Contact fields are personal data: never public.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "cases")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub tracking_code: String,
    pub secret_hash: String,
    pub category_id: Uuid,
    pub title: String,
    pub body: String,
    pub address: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    pub contact_email: Option<String>,
    pub public: bool,
    pub citizen_id: Option<Uuid>,
    pub state: String,
    pub lead_department_id: Option<Uuid>,
    pub extension_pending: bool,
    pub reopened: i32,
    pub submitted_at: DateTimeUtc,
    pub accept_deadline: DateTimeUtc,
    pub answer_deadline: DateTimeUtc,
    pub accepted_at: Option<DateTimeUtc>,
    pub answered_at: Option<DateTimeUtc>,
    pub closed_at: Option<DateTimeUtc>,
    pub answer: Option<String>,
    pub rating: Option<String>,
    pub rating_comment: Option<String>,
    pub rated_at: Option<DateTimeUtc>,
    pub views: i64,
    pub updated_at: DateTimeUtc,
    /// Answers to the category's extra questions: code → string or list.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::encoding::present_json"
    )]
    pub attributes: Option<Json>,
    pub media_url: Option<String>,
    /// The highest escalation level reached for the current deadline (0:
    /// none, 1 overdue, 2 supervision, 3 city administrator).
    pub escalation_level: i16,
    /// 0 low, 1 normal, 2 high, 3 urgent.
    pub priority: i16,
    /// Labels rules or staff put on the case (a JSON list of strings).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::encoding::present_json"
    )]
    pub tags: Option<Json>,
    pub spam: bool,
    /// Tracking code of the case this one repeats.
    pub duplicate_of: Option<String>,
    /// Held for review: `{"reasons", "public"}`; the case is private until
    /// staff release it.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::encoding::present_json"
    )]
    pub review: Option<Json>,
    /// A rule failed on this case and the default routing took over.
    pub rule_failed: bool,
    /// The text before redaction, `{"title", "text", "address"}`: staff only.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::encoding::present_json"
    )]
    pub unredacted: Option<Json>,
    /// When a supervisor put the case under supervision (督办).
    #[serde(default)]
    pub supervised_at: Option<DateTimeUtc>,
    /// `case`, or `suggestion` for a campaign's suggestion.
    #[serde(default = "default_kind")]
    pub kind: String,
    /// The case this duplicate was merged into (并单); it is closed.
    #[serde(default)]
    pub merged_into_id: Option<Uuid>,
}

fn default_kind() -> String {
    "case".into()
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
