use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "tenants")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    pub site_title: String,
    pub locale: String,
    pub time_zone: String,
    /// Weekday names (`sat`, `sun`) that are not working days.
    pub weekend: Json,
    pub primary_color: String,
    pub accent_color: String,
    pub logo_url: Option<String>,
    pub footer: Option<String>,
    pub contact: Option<String>,
    /// The city's own mail texts: `overdue_subject` → text, …
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::encoding::present_json"
    )]
    pub mail_templates: Option<Json>,
    /// Limits of one rule plugin call in this city; null for the defaults.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::encoding::present_json"
    )]
    pub plugin_limits: Option<Json>,
    /// Publication settings (personal data, review, closing unrated
    /// answers, demo notice); null for the defaults.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::encoding::present_json"
    )]
    pub publication: Option<Json>,
    pub active: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
