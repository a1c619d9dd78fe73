//! A campaign (惠民工程): a call for suggestions that ends in projects.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "campaigns")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub slug: String,
    pub title: String,
    pub description: String,
    /// What the campaign may commit, in fen.
    pub budget_fen: i64,
    pub phase: String,
    /// `[{"phase", "planned", "started_at"}]`.
    pub phases: Json,
    pub answer_days: i32,
    /// Category codes suggestions are filed under.
    pub themes: Json,
    /// `[{"code", "name", "progress"}]`.
    pub statuses: Json,
    /// The public figures, kept as each write changes them (see
    /// `queries::campaigns::rows::add_figures`).
    pub figure_suggestions: i64,
    pub figure_answered: i64,
    pub figure_adopted: i64,
    pub figure_projects: i64,
    pub figure_from_citizens: i64,
    pub figure_committed_fen: i64,
    pub figure_delivered: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
