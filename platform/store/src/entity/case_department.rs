//! A co-handling department (协办) of a case.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "case_departments")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub case_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub department_id: Uuid,
    /// When the co-handler's opinion (协办意见) is due.
    #[serde(default)]
    pub deadline: Option<DateTimeUtc>,
    /// The opinion, once given.
    #[serde(default)]
    pub opinion: Option<String>,
    #[serde(default)]
    pub opinion_at: Option<DateTimeUtc>,
    /// Who gave it, as the timeline names them.
    #[serde(default)]
    pub opinion_by: Option<String>,
    /// The highest escalation step reached for the opinion's deadline.
    #[serde(default)]
    pub escalation_level: i16,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
