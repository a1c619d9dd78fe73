//! Cities and their host names.

use super::ApiTags;
use super::error::ApiResult;
use minsheng_app::access::Ctx;
use minsheng_app::model::{Host, HostInput, QuotaLimits, Quotas, Tenant, TenantInput, TenantPatch};
use minsheng_app::services::{logos, quotas, tenants};
use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::{Binary, Json};
use poem_openapi::{ApiRequest, ApiResponse, OpenApi};
use uuid::Uuid;

pub struct TenantsApi;

/// A logo image: PNG, JPEG or WebP, at most 256 KiB and 2,000 pixels a
/// side. The type is read from the image itself.
#[derive(ApiRequest)]
pub enum LogoImage {
    #[oai(content_type = "image/png")]
    Png(Binary<Vec<u8>>),
    #[oai(content_type = "image/jpeg")]
    Jpeg(Binary<Vec<u8>>),
    #[oai(content_type = "image/webp")]
    Webp(Binary<Vec<u8>>),
    #[oai(content_type = "application/octet-stream")]
    Bytes(Binary<Vec<u8>>),
}

#[derive(ApiResponse)]
pub enum TenantCreated {
    #[oai(status = 201)]
    Created(Json<Tenant>),
}

#[derive(ApiResponse)]
pub enum HostCreated {
    #[oai(status = 201)]
    Created(Json<Host>),
}

#[derive(ApiResponse)]
pub enum Deleted {
    #[oai(status = 204)]
    Deleted,
}

#[OpenApi(prefix_path = "/v1/tenants", tag = "ApiTags::Tenants")]
impl TenantsApi {
    /// List every city.
    #[oai(path = "/", method = "get")]
    async fn list(&self, ctx: Data<&Ctx>) -> ApiResult<Json<Vec<Tenant>>> {
        Ok(Json(tenants::list_by(&ctx).await?))
    }

    /// Create a city.
    #[oai(path = "/", method = "post")]
    async fn create(&self, ctx: Data<&Ctx>, body: Json<TenantInput>) -> ApiResult<TenantCreated> {
        let tenant = tenants::create_by(&ctx, body.0).await?;
        Ok(TenantCreated::Created(Json(tenant)))
    }

    /// Get a city by its slug.
    #[oai(path = "/:tenant", method = "get")]
    async fn get(&self, ctx: Data<&Ctx>, tenant: Path<String>) -> ApiResult<Json<Tenant>> {
        Ok(Json(tenants::get_by(&ctx, &tenant).await?))
    }

    /// Change a city; `"active": false` suspends it.
    #[oai(path = "/:tenant", method = "patch")]
    async fn update(
        &self,
        ctx: Data<&Ctx>,
        tenant: Path<String>,
        body: Json<TenantPatch>,
    ) -> ApiResult<Json<Tenant>> {
        Ok(Json(tenants::update_by(&ctx, &tenant, body.0).await?))
    }

    /// A city's quotas and what it uses of each: its administrators and
    /// the platform's operators.
    #[oai(path = "/:tenant/quotas", method = "get")]
    async fn quotas(&self, ctx: Data<&Ctx>, tenant: Path<String>) -> ApiResult<Json<Quotas>> {
        Ok(Json(quotas::get_by(&ctx, &tenant).await?))
    }

    /// Set a city's quotas, whole (`null`: no limit): platform operators
    /// only. A city over a quota keeps what it has but adds nothing more.
    #[oai(path = "/:tenant/quotas", method = "put")]
    async fn set_quotas(
        &self,
        ctx: Data<&Ctx>,
        tenant: Path<String>,
        body: Json<QuotaLimits>,
    ) -> ApiResult<Json<Quotas>> {
        Ok(Json(quotas::set_by(&ctx, &tenant, body.0).await?))
    }

    /// List the host names that serve a city.
    #[oai(path = "/:tenant/hosts", method = "get")]
    async fn hosts(&self, ctx: Data<&Ctx>, tenant: Path<String>) -> ApiResult<Json<Vec<Host>>> {
        Ok(Json(tenants::hosts_by(&ctx, &tenant).await?))
    }

    /// Serve a city at one more host name.
    #[oai(path = "/:tenant/hosts", method = "post")]
    async fn add_host(
        &self,
        ctx: Data<&Ctx>,
        tenant: Path<String>,
        body: Json<HostInput>,
    ) -> ApiResult<HostCreated> {
        Ok(HostCreated::Created(Json(
            tenants::add_host_by(&ctx, &tenant, &body.0).await?,
        )))
    }

    /// Upload the city's logo; the site shows it at once, from
    /// `branding.logo_url` (`/t/{slug}/logo?v=…`, which changes with the
    /// image). An image that is not a small PNG, JPEG or WebP is refused
    /// with the reason.
    #[oai(path = "/:tenant/logo", method = "put")]
    async fn put_logo(
        &self,
        ctx: Data<&Ctx>,
        tenant: Path<String>,
        body: LogoImage,
    ) -> ApiResult<Json<Tenant>> {
        let (LogoImage::Png(bytes)
        | LogoImage::Jpeg(bytes)
        | LogoImage::Webp(bytes)
        | LogoImage::Bytes(bytes)) = body;
        Ok(Json(logos::upload_by(&ctx, &tenant, &bytes.0).await?))
    }

    /// Take the city's logo off its site.
    #[oai(path = "/:tenant/logo", method = "delete")]
    async fn delete_logo(&self, ctx: Data<&Ctx>, tenant: Path<String>) -> ApiResult<Json<Tenant>> {
        Ok(Json(logos::remove_by(&ctx, &tenant).await?))
    }

    /// Stop serving a city at a host name.
    #[oai(path = "/:tenant/hosts/:host_id", method = "delete")]
    async fn remove_host(
        &self,
        ctx: Data<&Ctx>,
        tenant: Path<String>,
        host_id: Path<Uuid>,
    ) -> ApiResult<Deleted> {
        tenants::remove_host_by(&ctx, &tenant, host_id.0).await?;
        Ok(Deleted::Deleted)
    }
}
