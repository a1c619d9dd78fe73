//! A city's quotas and what it uses of them.

use crate::entity::{case_stat, tenant_quota, user, webhook};
use chrono::NaiveDate;
use sea_orm::sea_query::{Alias, Expr, Func, OnConflict};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect,
};
use uuid::Uuid;

pub async fn get(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
) -> Result<Option<tenant_quota::Model>, DbErr> {
    tenant_quota::Entity::find_by_id(tenant_id).one(db).await
}

/// The city's quotas, its row locked until the transaction ends on
/// PostgreSQL (SQLite has one writer): concurrent intake writers of one
/// city with a daily quota count its cases one after the other.
pub async fn get_locked(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
) -> Result<Option<tenant_quota::Model>, DbErr> {
    if db.get_database_backend() != sea_orm::DbBackend::Postgres {
        return get(db, tenant_id).await;
    }
    tenant_quota::Entity::find_by_id(tenant_id)
        .lock_exclusive()
        .one(db)
        .await
}

/// Write a city's quotas whole, creating its row as needed.
pub async fn put(db: &impl ConnectionTrait, row: tenant_quota::Model) -> Result<(), DbErr> {
    use tenant_quota::Column as C;
    let active: tenant_quota::ActiveModel = row.into();
    tenant_quota::Entity::insert(active)
        .on_conflict(
            OnConflict::column(C::TenantId)
                .update_columns([
                    C::CasesPerDay,
                    C::StaffUsers,
                    C::Departments,
                    C::Plugins,
                    C::PluginBytes,
                    C::Webhooks,
                    C::UpdatedAt,
                ])
                .to_owned(),
        )
        .exec_without_returning(db)
        .await
        .map(|_| ())
}

/// Cases the city received on its local `day` (every shard of its row of
/// the daily counters).
pub async fn cases_received(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    day: NaiveDate,
) -> Result<i64, DbErr> {
    use case_stat::Column as C;
    // PostgreSQL sums BIGINT as NUMERIC: cast back.
    let sum = Func::coalesce([Expr::from(Func::sum(Expr::col(C::Received))), Expr::val(0)]);
    let total: Option<i64> = case_stat::Entity::find()
        .select_only()
        .column_as(
            Expr::expr(Func::cast_as(sum, Alias::new("bigint"))),
            "total",
        )
        .filter(C::TenantId.eq(tenant_id))
        .filter(C::DepartmentId.eq(Uuid::nil()))
        .filter(C::Day.eq(day))
        .into_tuple()
        .one(db)
        .await?;
    Ok(total.unwrap_or(0))
}

/// The city's staff accounts, active or not.
pub async fn staff_users(db: &impl ConnectionTrait, tenant_id: Uuid) -> Result<u64, DbErr> {
    user::Entity::find()
        .filter(user::Column::TenantId.eq(tenant_id))
        .filter(user::Column::Kind.eq("staff"))
        .count(db)
        .await
}

/// The city's webhook endpoints in use (removed ones are kept, inactive).
pub async fn webhooks(db: &impl ConnectionTrait, tenant_id: Uuid) -> Result<u64, DbErr> {
    webhook::Entity::find()
        .filter(webhook::Column::TenantId.eq(tenant_id))
        .filter(webhook::Column::Active.eq(true))
        .count(db)
        .await
}
