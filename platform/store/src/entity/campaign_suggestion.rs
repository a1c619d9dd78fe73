//! What a suggestion (a case of kind `suggestion`) has beyond the case.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "campaign_suggestions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub case_id: Uuid,
    pub tenant_id: Uuid,
    pub campaign_id: Uuid,
    pub group_id: Option<Uuid>,
    pub disposition: String,
    pub answer: Option<String>,
    pub reason: Option<String>,
    pub answered_by: Option<String>,
    pub answered_at: Option<DateTimeUtc>,
    pub published_at: Option<DateTimeUtc>,
    pub cluster_id: Option<Uuid>,
    pub submitted_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
