//! A city's quotas (`None`: no limit of its own).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "tenant_quotas")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    pub cases_per_day: Option<i64>,
    pub staff_users: Option<i64>,
    pub departments: Option<i64>,
    pub plugins: Option<i64>,
    pub plugin_bytes: Option<i64>,
    pub webhooks: Option<i64>,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
