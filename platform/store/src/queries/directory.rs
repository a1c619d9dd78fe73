//! Queries shared by the directory tables that are keyed by a code within
//! their city and are deactivated rather than deleted (departments,
//! categories). Every function takes the tenant and filters by it.

use crate::entity::{category, department};
use sea_orm::{
    ActiveModelBehavior, ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder,
};
use uuid::Uuid;

/// A tenant table with `id`, `code`, `active` and `sort_order` columns.
pub trait DirectoryTable: EntityTrait {
    const ID: Self::Column;
    const TENANT_ID: Self::Column;
    const CODE: Self::Column;
    const ACTIVE: Self::Column;
    const SORT_ORDER: Self::Column;
    const UPDATED_AT: Self::Column;
}

impl DirectoryTable for department::Entity {
    const ID: Self::Column = department::Column::Id;
    const TENANT_ID: Self::Column = department::Column::TenantId;
    const CODE: Self::Column = department::Column::Code;
    const ACTIVE: Self::Column = department::Column::Active;
    const SORT_ORDER: Self::Column = department::Column::SortOrder;
    const UPDATED_AT: Self::Column = department::Column::UpdatedAt;
}

impl DirectoryTable for category::Entity {
    const ID: Self::Column = category::Column::Id;
    const TENANT_ID: Self::Column = category::Column::TenantId;
    const CODE: Self::Column = category::Column::Code;
    const ACTIVE: Self::Column = category::Column::Active;
    const SORT_ORDER: Self::Column = category::Column::SortOrder;
    const UPDATED_AT: Self::Column = category::Column::UpdatedAt;
}

/// The city's rows in display order; only active ones unless asked.
pub async fn list<E: DirectoryTable>(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    include_inactive: bool,
) -> Result<Vec<E::Model>, DbErr> {
    let mut query = E::find().filter(E::TENANT_ID.eq(tenant_id));
    if !include_inactive {
        query = query.filter(E::ACTIVE.eq(true));
    }
    query
        .order_by_asc(E::SORT_ORDER)
        .order_by_asc(E::CODE)
        .all(db)
        .await
}

pub async fn by_id<E: DirectoryTable>(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    id: Uuid,
) -> Result<Option<E::Model>, DbErr> {
    E::find()
        .filter(E::TENANT_ID.eq(tenant_id))
        .filter(E::ID.eq(id))
        .one(db)
        .await
}

pub async fn by_code<E: DirectoryTable>(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    code: &str,
) -> Result<Option<E::Model>, DbErr> {
    E::find()
        .filter(E::TENANT_ID.eq(tenant_id))
        .filter(E::CODE.eq(code))
        .one(db)
        .await
}

pub async fn insert<E, A>(db: &impl ConnectionTrait, row: A) -> Result<E::Model, DbErr>
where
    E: DirectoryTable,
    A: ActiveModelTrait<Entity = E> + ActiveModelBehavior + Send,
    E::Model: IntoActiveModel<A>,
{
    row.insert(db).await
}

/// Save the set columns of a row; false when the city has no such row. The
/// update is filtered by tenant too, so a forged id cannot cross cities.
pub async fn update<E, A>(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    id: Uuid,
    row: A,
) -> Result<bool, DbErr>
where
    E: DirectoryTable,
    A: ActiveModelTrait<Entity = E> + Send,
{
    let result = E::update_many()
        .set(row)
        .filter(E::TENANT_ID.eq(tenant_id))
        .filter(E::ID.eq(id))
        .exec(db)
        .await?;
    Ok(result.rows_affected > 0)
}
