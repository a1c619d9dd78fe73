//! Reading a city's directory: its departments and categories. These are
//! public (the citizen site and Open311 list them), so the entry points
//! need a context but no permission; changes go through
//! `departments::create_by`/`update_by` and `categories::create_by`/
//! `update_by`, which authorize.

use super::tenants::TenantRecord;
use super::{DbResultExt, categories, commit, departments};
use crate::access::Ctx;
use crate::model::{Category, Department};
use minsheng_domain::Error;
use minsheng_store::ConnectionTrait;
use minsheng_store::entity::{category, department};
use minsheng_store::queries::directory as rows;
use std::collections::HashMap;
use uuid::Uuid;

/// The code and name of every department and category of a city, active
/// or not, by id: what a case shows for its ids. Kept with the city's
/// calendar (`city_cache::Cache`), so a read of a case does not read the
/// directory.
pub(crate) struct Names {
    pub(crate) departments: HashMap<Uuid, (String, String)>,
    pub(crate) categories: HashMap<Uuid, (String, String)>,
    /// The active departments' and categories' (code, name), by code: what
    /// staff may pick.
    pub(crate) active_departments: Vec<(String, String)>,
    pub(crate) active_categories: Vec<(String, String)>,
}

impl Names {
    /// The id of the category with this code.
    pub(crate) fn category_id(&self, code: &str) -> Option<Uuid> {
        self.categories
            .iter()
            .find(|(_, v)| v.0 == code)
            .map(|(k, _)| *k)
    }

    /// Read them through `db`.
    pub(crate) async fn load(
        db: &impl ConnectionTrait,
        tenant: &TenantRecord,
    ) -> Result<Self, Error> {
        let t = tenant.id.into_uuid();
        let department_rows = rows::list::<department::Entity>(db, t, true)
            .await
            .or_internal()?;
        let category_rows = rows::list::<category::Entity>(db, t, true)
            .await
            .or_internal()?;
        let mut active_departments: Vec<(String, String)> = department_rows
            .iter()
            .filter(|d| d.active)
            .map(|d| (d.code.clone(), d.name.clone()))
            .collect();
        active_departments.sort();
        let mut active_categories: Vec<(String, String)> = category_rows
            .iter()
            .filter(|c| c.active)
            .map(|c| (c.code.clone(), c.name.clone()))
            .collect();
        active_categories.sort();
        let departments = department_rows
            .into_iter()
            .map(|d| (d.id, (d.code, d.name)))
            .collect();
        let categories = category_rows
            .into_iter()
            .map(|c| (c.id, (c.code, c.name)))
            .collect();
        Ok(Self {
            departments,
            categories,
            active_departments,
            active_categories,
        })
    }
}

/// The city's active directory, from the city cache
/// ([`super::city_cache`]): what every public page shows.
pub async fn cached(
    ctx: &Ctx,
    tenant: &TenantRecord,
) -> Result<std::sync::Arc<super::city_cache::Directory>, Error> {
    Ok(ctx
        .app
        .calendars
        .rules(&ctx.app.store, tenant)
        .await?
        .directory)
}

/// The city's departments (active ones unless `include_inactive`).
pub async fn departments(
    ctx: &Ctx,
    tenant: &TenantRecord,
    include_inactive: bool,
) -> Result<Vec<Department>, Error> {
    if !include_inactive {
        return Ok(cached(ctx, tenant).await?.departments.clone());
    }
    let tx = ctx.read_tx(tenant.id).await?;
    let found = departments::list(&tx, tenant.id, include_inactive).await?;
    commit(tx, found).await
}

/// One department of the city.
pub async fn department(ctx: &Ctx, tenant: &TenantRecord, id: Uuid) -> Result<Department, Error> {
    let tx = ctx.read_tx(tenant.id).await?;
    let found = departments::get(&tx, tenant.id, id).await?;
    commit(tx, found).await
}

/// The city's categories (active ones unless `include_inactive`).
pub async fn categories(
    ctx: &Ctx,
    tenant: &TenantRecord,
    include_inactive: bool,
) -> Result<Vec<Category>, Error> {
    if !include_inactive {
        return Ok(cached(ctx, tenant).await?.categories.clone());
    }
    let tx = ctx.read_tx(tenant.id).await?;
    let found = categories::list(&tx, tenant.id, include_inactive).await?;
    commit(tx, found).await
}

/// One category of the city.
pub async fn category(ctx: &Ctx, tenant: &TenantRecord, id: Uuid) -> Result<Category, Error> {
    let tx = ctx.read_tx(tenant.id).await?;
    let found = categories::get(&tx, tenant.id, id).await?;
    commit(tx, found).await
}

/// The active departments and categories, read together (one snapshot).
pub async fn active(
    ctx: &Ctx,
    tenant: &TenantRecord,
) -> Result<(Vec<Department>, Vec<Category>), Error> {
    let directory = cached(ctx, tenant).await?;
    Ok((directory.departments.clone(), directory.categories.clone()))
}

/// The city's calendar: weekly days off and listed days (public).
pub async fn calendar(ctx: &Ctx, tenant: &TenantRecord) -> Result<crate::model::Calendar, Error> {
    let tx = ctx.read_tx(tenant.id).await?;
    let found = super::calendar::get(&tx, tenant).await?;
    commit(tx, found).await
}

/// When something started at `start` with `working_days` allowed is due
/// on the city's calendar (public).
pub async fn deadline(
    ctx: &Ctx,
    tenant: &TenantRecord,
    start: chrono::DateTime<chrono::Utc>,
    working_days: u32,
) -> Result<crate::model::Deadline, Error> {
    let tx = ctx.read_tx(tenant.id).await?;
    let found = super::calendar::deadline(&tx, tenant, start, working_days).await?;
    commit(tx, found).await
}
