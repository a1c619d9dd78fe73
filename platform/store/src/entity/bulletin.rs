//! A public-opinion bulletin (三情通报): a city's figures for one closed
//! week or month, counted once and kept as they were.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "bulletins")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    /// `weekly` or `monthly`.
    pub kind: String,
    /// 第N期: the city's Nth bulletin of this kind.
    pub number: i32,
    /// The period's first and last day (inclusive) in the city's time zone.
    pub period_from: Date,
    pub period_to: Date,
    /// The figures as counted when the bulletin was made (never recounted).
    pub figures: Json,
    pub published_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
