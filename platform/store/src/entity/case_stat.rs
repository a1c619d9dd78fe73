//! Daily counters per city (department = nil) and department.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "case_stats")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub department_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub day: Date,
    /// One of a few rows per (city or department, day), so concurrent
    /// writers seldom wait for one another.
    #[sea_orm(primary_key, auto_increment = false)]
    pub shard: i16,
    pub received: i64,
    pub accepted: i64,
    pub answered: i64,
    pub answered_on_time: i64,
    pub answer_seconds: i64,
    pub rated: i64,
    pub satisfied: i64,
    pub views: i64,
    /// Cases that passed their answer deadline unanswered (超期).
    pub overdue: i64,
    /// Cases escalated to supervision (督办).
    pub supervised: i64,
    /// Cases a department was named co-handler (协办) of.
    #[serde(default)]
    pub co_handled: i64,
    /// Co-handlers' first opinions (协办意见) on a case.
    #[serde(default)]
    pub opinions: i64,
    /// Of those, given by the opinion's deadline.
    #[serde(default)]
    pub opinions_on_time: i64,
    /// Opinions that passed their deadline ungiven.
    #[serde(default)]
    pub opinions_overdue: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
