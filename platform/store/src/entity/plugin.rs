//! A rule plugin a city uploaded: one row per version.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "plugins")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub name: String,
    pub version: String,
    /// `intake` or `escalation`.
    pub hook: String,
    pub hash: String,
    pub wit_version: String,
    pub descriptor: Json,
    /// The component as uploaded.
    #[serde(with = "super::encoding::base64_bytes")]
    pub component: Vec<u8>,
    pub size: i32,
    pub config: Json,
    pub enabled: bool,
    pub position: i32,
    pub failures: i32,
    pub last_error: Option<String>,
    pub disabled_reason: Option<String>,
    pub created_by: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
