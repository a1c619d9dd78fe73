use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "categories")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub code: String,
    pub name: String,
    pub group_name: Option<String>,
    pub description: Option<String>,
    /// A JSON array of strings.
    pub keywords: Json,
    pub default_department_id: Option<Uuid>,
    pub accept_days: i32,
    pub answer_days: i32,
    pub public_by_default: bool,
    /// A JSON array of Open311-style attribute definitions.
    pub attributes: Json,
    pub sort_order: i32,
    pub active: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
