//! A case's search row: its segmented tokens and SimHash (see the
//! migration `m20261207_000013_search`). On SQLite the table also has
//! `seq`, the rowid its FTS5 index refers to, which the database assigns;
//! on PostgreSQL a generated `document` (`tsvector`). Neither is in the
//! model: the application never writes them.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "case_search")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub case_id: Uuid,
    /// The title's words, joined by spaces.
    pub title_tokens: String,
    pub body_tokens: String,
    /// The answer's words (empty until answered).
    pub answer_tokens: String,
    /// The 64-bit SimHash of title and text, as a signed number.
    pub simhash: i64,
    pub band0: i32,
    pub band1: i32,
    pub band2: i32,
    pub band3: i32,
    /// Whether the worker has looked for its likely duplicates since it
    /// was (re)indexed.
    pub duplicates_scanned: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
