//! Campaigns (惠民工程): the campaign rows, working groups, suggestions
//! (beside their cases), clusters, projects with milestones and sources.
//! Every function takes the tenant id first and filters by it.

pub mod groups;
pub mod projects;
pub mod rows;
pub mod suggestions;

use sea_orm::DbErr;
use sea_orm::sea_query::{Expr, Func};

/// At most this many rows or ids per statement (bound-parameter limits).
pub(crate) const CHUNK: usize = 256;

/// `COALESCE(CAST(SUM(col) AS BIGINT), 0)`: PostgreSQL sums BIGINT as
/// NUMERIC.
pub(crate) fn sum_bigint(col: impl sea_orm::sea_query::IntoColumnRef) -> Expr {
    let sum = Func::coalesce([Expr::from(Func::sum(Expr::col(col))), Expr::val(0)]);
    Expr::expr(Func::cast_as(sum, sea_orm::sea_query::Alias::new("bigint")))
}

pub(crate) type Result<T> = std::result::Result<T, DbErr>;
