//! Campaign rows.

use super::Result;
use crate::entity::campaign;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
};
use uuid::Uuid;

pub async fn list(db: &impl ConnectionTrait, tenant_id: Uuid) -> Result<Vec<campaign::Model>> {
    campaign::Entity::find()
        .filter(campaign::Column::TenantId.eq(tenant_id))
        .order_by_desc(campaign::Column::CreatedAt)
        .order_by_desc(campaign::Column::Id)
        .all(db)
        .await
}

pub async fn by_slug(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    slug: &str,
) -> Result<Option<campaign::Model>> {
    campaign::Entity::find()
        .filter(campaign::Column::TenantId.eq(tenant_id))
        .filter(campaign::Column::Slug.eq(slug))
        .one(db)
        .await
}

pub async fn insert(
    db: &impl ConnectionTrait,
    row: campaign::ActiveModel,
) -> Result<campaign::Model> {
    row.insert(db).await
}

/// Change a campaign only while it is still in `phase` (a concurrent change
/// of phase makes this return false).
pub async fn update_in_phase(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    id: Uuid,
    phase: &str,
    row: campaign::ActiveModel,
) -> Result<bool> {
    let done = campaign::Entity::update_many()
        .set(row)
        .filter(campaign::Column::TenantId.eq(tenant_id))
        .filter(campaign::Column::Id.eq(id))
        .filter(campaign::Column::Phase.eq(phase))
        .exec(db)
        .await?;
    Ok(done.rows_affected > 0)
}

/// A change to a campaign's figures, written in the transaction of the
/// write that causes it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FigureDelta {
    pub suggestions: i64,
    pub answered: i64,
    pub adopted: i64,
    pub projects: i64,
    pub from_citizens: i64,
    pub committed_fen: i64,
    pub delivered: i64,
}

/// Add `delta` to a campaign's figures (one `UPDATE … SET x = x + n`, so
/// concurrent writers add up rather than overwrite each other).
pub async fn add_figures(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    id: Uuid,
    delta: FigureDelta,
) -> Result<()> {
    if delta == FigureDelta::default() {
        return Ok(());
    }
    use campaign::Column as C;
    let mut update = campaign::Entity::update_many();
    for (column, n) in [
        (C::FigureSuggestions, delta.suggestions),
        (C::FigureAnswered, delta.answered),
        (C::FigureAdopted, delta.adopted),
        (C::FigureProjects, delta.projects),
        (C::FigureFromCitizens, delta.from_citizens),
        (C::FigureCommittedFen, delta.committed_fen),
        (C::FigureDelivered, delta.delivered),
    ] {
        if n != 0 {
            update = update.col_expr(column, Expr::col(column).add(n));
        }
    }
    update
        .filter(C::TenantId.eq(tenant_id))
        .filter(C::Id.eq(id))
        .exec(db)
        .await
        .map(|_| ())
}
