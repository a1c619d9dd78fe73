//! A city's departments, categories and calendar. The city comes from the
//! path; every lookup below is scoped to it.

use super::ApiTags;
use super::error::ApiResult;
use super::tenants::Deleted;
use chrono::{DateTime, NaiveDate, Utc};
use minsheng_app::access::Ctx;
use minsheng_app::model::{
    Calendar, CalendarDay, CalendarDayInput, Category, CategoryInput, CategoryPatch, Deadline,
    Department, DepartmentInput, DepartmentPatch,
};
use minsheng_app::services::{calendar, categories, departments, directory};
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};
use uuid::Uuid;

/// Reads and changes go through the services with the request's `Ctx`.
pub struct DirectoryApi;

#[derive(ApiResponse)]
pub enum DepartmentCreated {
    #[oai(status = 201)]
    Created(Json<Department>),
}

#[derive(ApiResponse)]
pub enum CategoryCreated {
    #[oai(status = 201)]
    Created(Json<Category>),
}

#[OpenApi(prefix_path = "/v1/tenants")]
impl DirectoryApi {
    /// List a city's departments (active ones unless `include_inactive`).
    #[oai(
        path = "/:tenant/departments",
        method = "get",
        tag = "ApiTags::Departments"
    )]
    async fn list_departments(
        &self,
        ctx: Data<&Ctx>,
        tenant: Path<String>,
        include_inactive: Query<Option<bool>>,
    ) -> ApiResult<Json<Vec<Department>>> {
        let t = ctx.tenant(&tenant).await?;
        let include_inactive = include_inactive.unwrap_or(false);
        Ok(Json(
            directory::departments(&ctx, &t, include_inactive).await?,
        ))
    }

    /// Add a department.
    #[oai(
        path = "/:tenant/departments",
        method = "post",
        tag = "ApiTags::Departments"
    )]
    async fn create_department(
        &self,
        ctx: Data<&Ctx>,
        tenant: Path<String>,
        body: Json<DepartmentInput>,
    ) -> ApiResult<DepartmentCreated> {
        let t = ctx.tenant(&tenant).await?;
        let created = departments::create_by(&ctx, &t, body.0.into()).await?;
        Ok(DepartmentCreated::Created(Json(created)))
    }

    /// Get a department.
    #[oai(
        path = "/:tenant/departments/:id",
        method = "get",
        tag = "ApiTags::Departments"
    )]
    async fn get_department(
        &self,
        ctx: Data<&Ctx>,
        tenant: Path<String>,
        id: Path<Uuid>,
    ) -> ApiResult<Json<Department>> {
        let t = ctx.tenant(&tenant).await?;
        Ok(Json(directory::department(&ctx, &t, id.0).await?))
    }

    /// Change a department; `"active": false` deactivates it.
    #[oai(
        path = "/:tenant/departments/:id",
        method = "patch",
        tag = "ApiTags::Departments"
    )]
    async fn update_department(
        &self,
        ctx: Data<&Ctx>,
        tenant: Path<String>,
        id: Path<Uuid>,
        body: Json<DepartmentPatch>,
    ) -> ApiResult<Json<Department>> {
        let t = ctx.tenant(&tenant).await?;
        Ok(Json(departments::update_by(&ctx, &t, id.0, body.0).await?))
    }

    /// List a city's categories (active ones unless `include_inactive`).
    #[oai(
        path = "/:tenant/categories",
        method = "get",
        tag = "ApiTags::Categories"
    )]
    async fn list_categories(
        &self,
        ctx: Data<&Ctx>,
        tenant: Path<String>,
        include_inactive: Query<Option<bool>>,
    ) -> ApiResult<Json<Vec<Category>>> {
        let t = ctx.tenant(&tenant).await?;
        let include_inactive = include_inactive.unwrap_or(false);
        Ok(Json(
            directory::categories(&ctx, &t, include_inactive).await?,
        ))
    }

    /// Add a category.
    #[oai(
        path = "/:tenant/categories",
        method = "post",
        tag = "ApiTags::Categories"
    )]
    async fn create_category(
        &self,
        ctx: Data<&Ctx>,
        tenant: Path<String>,
        body: Json<CategoryInput>,
    ) -> ApiResult<CategoryCreated> {
        let t = ctx.tenant(&tenant).await?;
        Ok(CategoryCreated::Created(Json(
            categories::create_by(&ctx, &t, body.0.into()).await?,
        )))
    }

    /// Get a category.
    #[oai(
        path = "/:tenant/categories/:id",
        method = "get",
        tag = "ApiTags::Categories"
    )]
    async fn get_category(
        &self,
        ctx: Data<&Ctx>,
        tenant: Path<String>,
        id: Path<Uuid>,
    ) -> ApiResult<Json<Category>> {
        let t = ctx.tenant(&tenant).await?;
        Ok(Json(directory::category(&ctx, &t, id.0).await?))
    }

    /// Change a category; `"active": false` deactivates it.
    #[oai(
        path = "/:tenant/categories/:id",
        method = "patch",
        tag = "ApiTags::Categories"
    )]
    async fn update_category(
        &self,
        ctx: Data<&Ctx>,
        tenant: Path<String>,
        id: Path<Uuid>,
        body: Json<CategoryPatch>,
    ) -> ApiResult<Json<Category>> {
        let t = ctx.tenant(&tenant).await?;
        Ok(Json(categories::update_by(&ctx, &t, id.0, body.0).await?))
    }

    /// The city's calendar: weekly days off and listed days.
    #[oai(path = "/:tenant/calendar", method = "get", tag = "ApiTags::Calendar")]
    async fn get_calendar(
        &self,
        ctx: Data<&Ctx>,
        tenant: Path<String>,
    ) -> ApiResult<Json<Calendar>> {
        let t = ctx.tenant(&tenant).await?;
        Ok(Json(directory::calendar(&ctx, &t).await?))
    }

    /// List a day as a holiday or a make-up working day.
    #[oai(
        path = "/:tenant/calendar/days/:date",
        method = "put",
        tag = "ApiTags::Calendar"
    )]
    async fn put_day(
        &self,
        ctx: Data<&Ctx>,
        tenant: Path<String>,
        date: Path<NaiveDate>,
        body: Json<CalendarDayInput>,
    ) -> ApiResult<Json<CalendarDay>> {
        let t = ctx.tenant(&tenant).await?;
        Ok(Json(calendar::put_day_by(&ctx, &t, date.0, &body.0).await?))
    }

    /// Unlist a day: it follows the weekly pattern again.
    #[oai(
        path = "/:tenant/calendar/days/:date",
        method = "delete",
        tag = "ApiTags::Calendar"
    )]
    async fn delete_day(
        &self,
        ctx: Data<&Ctx>,
        tenant: Path<String>,
        date: Path<NaiveDate>,
    ) -> ApiResult<Deleted> {
        let t = ctx.tenant(&tenant).await?;
        calendar::delete_day_by(&ctx, &t, date.0).await?;
        Ok(Deleted::Deleted)
    }

    /// When something started at `start` (default now) with `working_days`
    /// allowed is due on this city's calendar.
    #[oai(
        path = "/:tenant/calendar/deadline",
        method = "get",
        tag = "ApiTags::Calendar"
    )]
    async fn deadline(
        &self,
        ctx: Data<&Ctx>,
        tenant: Path<String>,
        working_days: Query<u32>,
        start: Query<Option<DateTime<Utc>>>,
    ) -> ApiResult<Json<Deadline>> {
        let t = ctx.tenant(&tenant).await?;
        let start = start.0.unwrap_or_else(Utc::now);
        Ok(Json(
            directory::deadline(&ctx, &t, start, working_days.0).await?,
        ))
    }
}
