//! An entry of a case's timeline; appended, never changed.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "case_events")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub case_id: Uuid,
    pub at: DateTimeUtc,
    pub actor: String,
    pub action: String,
    pub from_state: Option<String>,
    pub to_state: Option<String>,
    pub department_id: Option<Uuid>,
    pub public: bool,
    pub text: Option<String>,
    /// Machine-readable facts: `on_time` and `seconds` of an answer, the
    /// `rating`, the `days` of an extension request.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::encoding::present_json"
    )]
    pub detail: Option<Json>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
