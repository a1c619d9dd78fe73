//! Cities' logos.

use crate::entity::tenant_logo;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ConnectionTrait, DbErr, EntityTrait};
use uuid::Uuid;

/// The city's logo, if it has one.
pub async fn get(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
) -> Result<Option<tenant_logo::Model>, DbErr> {
    tenant_logo::Entity::find_by_id(tenant_id).one(db).await
}

/// Keep `row` as its city's logo, replacing any other.
pub async fn put(db: &impl ConnectionTrait, row: tenant_logo::Model) -> Result<(), DbErr> {
    use tenant_logo::Column as C;
    let active: tenant_logo::ActiveModel = row.into();
    tenant_logo::Entity::insert(active)
        .on_conflict(
            OnConflict::column(C::TenantId)
                .update_columns([C::ContentType, C::Image, C::Hash, C::UpdatedAt])
                .to_owned(),
        )
        .exec_without_returning(db)
        .await
        .map(|_| ())
}

/// Forget the city's logo; whether there was one.
pub async fn delete(db: &impl ConnectionTrait, tenant_id: Uuid) -> Result<bool, DbErr> {
    let done = tenant_logo::Entity::delete_by_id(tenant_id)
        .exec(db)
        .await?;
    Ok(done.rows_affected > 0)
}
