//! A city's rule plugins. Every statement carries the tenant.

use crate::entity::plugin;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use uuid::Uuid;

/// Columns of a plugin row without the component's bytes.
#[derive(Clone, Debug, PartialEq, sea_orm::FromQueryResult)]
pub struct Summary {
    pub id: Uuid,
    pub name: String,
    pub version: String,
    pub hook: String,
    pub hash: String,
    pub wit_version: String,
    pub descriptor: serde_json::Value,
    pub size: i32,
    pub config: serde_json::Value,
    pub enabled: bool,
    pub position: i32,
    pub failures: i32,
    pub last_error: Option<String>,
    pub disabled_reason: Option<String>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

fn summaries() -> sea_orm::Select<plugin::Entity> {
    use plugin::Column as C;
    plugin::Entity::find().select_only().columns([
        C::Id,
        C::Name,
        C::Version,
        C::Hook,
        C::Hash,
        C::WitVersion,
        C::Descriptor,
        C::Size,
        C::Config,
        C::Enabled,
        C::Position,
        C::Failures,
        C::LastError,
        C::DisabledReason,
        C::CreatedBy,
        C::CreatedAt,
        C::UpdatedAt,
    ])
}

pub async fn insert(db: &impl ConnectionTrait, row: plugin::ActiveModel) -> Result<(), DbErr> {
    plugin::Entity::insert(row)
        .exec_without_returning(db)
        .await
        .map(|_| ())
}

/// Every version of every plugin of the city: hook, position, name, newest
/// version first.
pub async fn list(db: &impl ConnectionTrait, tenant_id: Uuid) -> Result<Vec<Summary>, DbErr> {
    summaries()
        .filter(plugin::Column::TenantId.eq(tenant_id))
        .order_by_asc(plugin::Column::Hook)
        .order_by_asc(plugin::Column::Position)
        .order_by_asc(plugin::Column::Name)
        .order_by_desc(plugin::Column::CreatedAt)
        .into_model::<Summary>()
        .all(db)
        .await
}

/// The enabled plugins of one hook, in chain order.
pub async fn chain(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    hook: &str,
) -> Result<Vec<Summary>, DbErr> {
    summaries()
        .filter(plugin::Column::TenantId.eq(tenant_id))
        .filter(plugin::Column::Hook.eq(hook))
        .filter(plugin::Column::Enabled.eq(true))
        .order_by_asc(plugin::Column::Position)
        .order_by_asc(plugin::Column::Name)
        .into_model::<Summary>()
        .all(db)
        .await
}

pub async fn summary(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    id: Uuid,
) -> Result<Option<Summary>, DbErr> {
    summaries()
        .filter(plugin::Column::TenantId.eq(tenant_id))
        .filter(plugin::Column::Id.eq(id))
        .into_model::<Summary>()
        .one(db)
        .await
}

/// How many plugin versions the city keeps, and their components' bytes.
pub async fn usage(db: &impl ConnectionTrait, tenant_id: Uuid) -> Result<(u64, u64), DbErr> {
    let rows: Vec<i32> = plugin::Entity::find()
        .select_only()
        .column(plugin::Column::Size)
        .filter(plugin::Column::TenantId.eq(tenant_id))
        .into_tuple::<i32>()
        .all(db)
        .await?;
    let bytes = rows.iter().map(|s| u64::try_from(*s).unwrap_or(0)).sum();
    Ok((rows.len() as u64, bytes))
}

/// Whether the city keeps a version with exactly these bytes.
pub async fn has_hash(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    hash: &str,
) -> Result<bool, DbErr> {
    Ok(plugin::Entity::find()
        .select_only()
        .column(plugin::Column::Id)
        .filter(plugin::Column::TenantId.eq(tenant_id))
        .filter(plugin::Column::Hash.eq(hash))
        .into_tuple::<Uuid>()
        .one(db)
        .await?
        .is_some())
}

/// The component's bytes.
pub async fn component(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    id: Uuid,
) -> Result<Option<Vec<u8>>, DbErr> {
    plugin::Entity::find()
        .select_only()
        .column(plugin::Column::Component)
        .filter(plugin::Column::TenantId.eq(tenant_id))
        .filter(plugin::Column::Id.eq(id))
        .into_tuple::<Vec<u8>>()
        .one(db)
        .await
}

/// The highest position used by a hook's plugins.
pub async fn last_position(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    hook: &str,
) -> Result<i32, DbErr> {
    let max: Option<Option<i32>> = plugin::Entity::find()
        .select_only()
        .column_as(plugin::Column::Position.max(), "max")
        .filter(plugin::Column::TenantId.eq(tenant_id))
        .filter(plugin::Column::Hook.eq(hook))
        .into_tuple()
        .one(db)
        .await?;
    Ok(max.flatten().unwrap_or(0))
}

pub async fn update(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    id: Uuid,
    mut row: plugin::ActiveModel,
) -> Result<bool, DbErr> {
    row.id = sea_orm::ActiveValue::Unchanged(id);
    row.tenant_id = sea_orm::ActiveValue::Unchanged(tenant_id);
    match row.update(db).await {
        Ok(_) => Ok(true),
        Err(DbErr::RecordNotUpdated) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Disable the other versions of a plugin when one is enabled.
pub async fn disable_other_versions(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    name: &str,
    keep: Uuid,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    plugin::Entity::update_many()
        .col_expr(plugin::Column::Enabled, Expr::value(false))
        .col_expr(plugin::Column::UpdatedAt, Expr::value(now))
        .filter(plugin::Column::TenantId.eq(tenant_id))
        .filter(plugin::Column::Name.eq(name))
        .filter(plugin::Column::Id.ne(keep))
        .filter(plugin::Column::Enabled.eq(true))
        .exec(db)
        .await
        .map(|r| r.rows_affected)
}

pub async fn delete(db: &impl ConnectionTrait, tenant_id: Uuid, id: Uuid) -> Result<bool, DbErr> {
    plugin::Entity::delete_many()
        .filter(plugin::Column::TenantId.eq(tenant_id))
        .filter(plugin::Column::Id.eq(id))
        .exec(db)
        .await
        .map(|r| r.rows_affected > 0)
}

/// Count a failure (when `counts`: the plugin's own fault); at `limit`
/// consecutive failures the plugin is disabled. Returns whether this
/// failure disabled it (only the call that crossed the limit sees `true`).
pub async fn record_failure(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    id: Uuid,
    error: &str,
    counts: bool,
    limit: i32,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    use plugin::Column as C;
    plugin::Entity::update_many()
        .col_expr(C::Failures, Expr::col(C::Failures).add(i32::from(counts)))
        .col_expr(C::LastError, Expr::value(error))
        .col_expr(C::UpdatedAt, Expr::value(now))
        .filter(C::TenantId.eq(tenant_id))
        .filter(C::Id.eq(id))
        .exec(db)
        .await?;
    let disabled = plugin::Entity::update_many()
        .col_expr(C::Enabled, Expr::value(false))
        .col_expr(
            C::DisabledReason,
            Expr::value(format!(
                "disabled automatically after {limit} consecutive failures; the last: {error}"
            )),
        )
        .filter(C::TenantId.eq(tenant_id))
        .filter(C::Id.eq(id))
        .filter(C::Enabled.eq(true))
        .filter(C::Failures.gte(limit))
        .exec(db)
        .await?;
    Ok(disabled.rows_affected > 0)
}

/// A success ends a run of failures.
pub async fn reset_failures(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    id: Uuid,
) -> Result<(), DbErr> {
    plugin::Entity::update_many()
        .col_expr(plugin::Column::Failures, Expr::value(0))
        .filter(plugin::Column::TenantId.eq(tenant_id))
        .filter(plugin::Column::Id.eq(id))
        .filter(plugin::Column::Failures.gt(0))
        .exec(db)
        .await
        .map(|_| ())
}
