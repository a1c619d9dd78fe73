//! A city's rule plugins.

use super::ApiTags;
use super::access::Created;
use super::error::ApiResult;
use super::tenants::Deleted;
use minsheng_app::access::Ctx;
use minsheng_app::model::{PluginLimits, PluginQuota, PluginUpdate, PluginView};
use minsheng_app::services::plugins;
use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::{Binary, Json};
use poem_openapi::{ApiRequest, OpenApi};
use uuid::Uuid;

pub struct PluginsApi;

/// A WebAssembly component, as built for `wasm32-wasip2`.
#[derive(ApiRequest)]
pub enum Component {
    #[oai(content_type = "application/wasm")]
    Wasm(Binary<Vec<u8>>),
    #[oai(content_type = "application/octet-stream")]
    Bytes(Binary<Vec<u8>>),
}

#[OpenApi(prefix_path = "/v1/tenants", tag = "ApiTags::Plugins")]
impl PluginsApi {
    /// Every uploaded version of the city's rule plugins, in chain order.
    #[oai(path = "/:tenant/plugins", method = "get")]
    async fn list(
        &self,
        ctx: Data<&Ctx>,
        tenant: Path<String>,
    ) -> ApiResult<Json<Vec<PluginView>>> {
        let t = ctx.tenant(&tenant).await?;
        Ok(Json(plugins::list(&ctx, &t).await?))
    }

    /// Upload a rule (the component's bytes as the body, at most 8 MiB).
    /// It is checked and compiled now and stays disabled until enabled;
    /// a component that is not a rule, was built against an incompatible
    /// `minsheng:rules` version or imports what rules are not granted is
    /// refused with the reason.
    #[oai(path = "/:tenant/plugins", method = "post")]
    async fn upload(
        &self,
        ctx: Data<&Ctx>,
        tenant: Path<String>,
        body: Component,
    ) -> ApiResult<Created<PluginView>> {
        let t = ctx.tenant(&tenant).await?;
        let (Component::Wasm(bytes) | Component::Bytes(bytes)) = body;
        Ok(Created::Created(Json(
            plugins::upload(&ctx, &t, bytes.0).await?,
        )))
    }

    #[oai(path = "/:tenant/plugins/:id", method = "get")]
    async fn get(
        &self,
        ctx: Data<&Ctx>,
        tenant: Path<String>,
        id: Path<Uuid>,
    ) -> ApiResult<Json<PluginView>> {
        let t = ctx.tenant(&tenant).await?;
        Ok(Json(plugins::get(&ctx, &t, id.0).await?))
    }

    /// Enable, disable, reorder or configure a plugin.
    #[oai(path = "/:tenant/plugins/:id", method = "patch")]
    async fn update(
        &self,
        ctx: Data<&Ctx>,
        tenant: Path<String>,
        id: Path<Uuid>,
        body: Json<PluginUpdate>,
    ) -> ApiResult<Json<PluginView>> {
        let t = ctx.tenant(&tenant).await?;
        Ok(Json(plugins::update(&ctx, &t, id.0, body.0).await?))
    }

    /// Delete one uploaded version.
    #[oai(path = "/:tenant/plugins/:id", method = "delete")]
    async fn remove(
        &self,
        ctx: Data<&Ctx>,
        tenant: Path<String>,
        id: Path<Uuid>,
    ) -> ApiResult<Deleted> {
        let t = ctx.tenant(&tenant).await?;
        plugins::remove(&ctx, &t, id.0).await?;
        Ok(Deleted::Deleted)
    }

    /// What the city keeps of rule plugins (versions, bytes) against the
    /// platform's quota; an upload over it is refused with 422.
    #[oai(path = "/:tenant/plugin-quota", method = "get")]
    async fn quota(&self, ctx: Data<&Ctx>, tenant: Path<String>) -> ApiResult<Json<PluginQuota>> {
        let t = ctx.tenant(&tenant).await?;
        Ok(Json(plugins::quota(&ctx, &t).await?))
    }

    /// The limits each plugin call runs with in this city.
    #[oai(path = "/:tenant/plugin-limits", method = "get")]
    async fn limits(&self, ctx: Data<&Ctx>, tenant: Path<String>) -> ApiResult<Json<PluginLimits>> {
        let t = ctx.tenant(&tenant).await?;
        Ok(Json(plugins::limits(&ctx, &t).await?))
    }

    /// Set the city's limits, within the platform's maxima.
    #[oai(path = "/:tenant/plugin-limits", method = "put")]
    async fn set_limits(
        &self,
        ctx: Data<&Ctx>,
        tenant: Path<String>,
        body: Json<PluginLimits>,
    ) -> ApiResult<Json<PluginLimits>> {
        let t = ctx.tenant(&tenant).await?;
        Ok(Json(plugins::set_limits(&ctx, &t, body.0).await?))
    }
}
