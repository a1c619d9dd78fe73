//! A city's webhook endpoints and its notification log.

use super::ApiTags;
use super::access::Created;
use super::error::ApiResult;
use super::tenants::Deleted;
use minsheng_app::access::Ctx;
use minsheng_app::model::{Notification, Webhook, WebhookCreated, WebhookInput};
use minsheng_app::services::webhooks;
use poem::web::Data;
use poem_openapi::OpenApi;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use uuid::Uuid;

pub struct WebhooksApi;

#[OpenApi(prefix_path = "/v1/tenants", tag = "ApiTags::Notifications")]
impl WebhooksApi {
    /// The city's webhook endpoints (never their secrets).
    #[oai(path = "/:tenant/webhooks", method = "get")]
    async fn list(&self, ctx: Data<&Ctx>, tenant: Path<String>) -> ApiResult<Json<Vec<Webhook>>> {
        let t = ctx.tenant(&tenant).await?;
        Ok(Json(webhooks::list(&ctx, &t).await?))
    }

    /// Register an endpoint; its signing secret is in this response only.
    #[oai(path = "/:tenant/webhooks", method = "post")]
    async fn create(
        &self,
        ctx: Data<&Ctx>,
        tenant: Path<String>,
        body: Json<WebhookInput>,
    ) -> ApiResult<Created<WebhookCreated>> {
        let t = ctx.tenant(&tenant).await?;
        Ok(Created::Created(Json(
            webhooks::create(&ctx, &t, body.0).await?,
        )))
    }

    /// Stop calling an endpoint (its delivery log stays).
    #[oai(path = "/:tenant/webhooks/:id", method = "delete")]
    async fn remove(
        &self,
        ctx: Data<&Ctx>,
        tenant: Path<String>,
        id: Path<Uuid>,
    ) -> ApiResult<Deleted> {
        let t = ctx.tenant(&tenant).await?;
        webhooks::remove(&ctx, &t, id.0).await?;
        Ok(Deleted::Deleted)
    }

    /// An endpoint's deliveries, newest first (at most 200).
    #[oai(path = "/:tenant/webhooks/:id/deliveries", method = "get")]
    async fn deliveries(
        &self,
        ctx: Data<&Ctx>,
        tenant: Path<String>,
        id: Path<Uuid>,
    ) -> ApiResult<Json<Vec<Notification>>> {
        let t = ctx.tenant(&tenant).await?;
        Ok(Json(webhooks::deliveries(&ctx, &t, id.0).await?))
    }

    /// The city's messages, email and webhooks, newest first (at most
    /// 200); `state=failed` lists what was given up.
    #[oai(path = "/:tenant/notifications", method = "get")]
    async fn notifications(
        &self,
        ctx: Data<&Ctx>,
        tenant: Path<String>,
        state: Query<Option<String>>,
    ) -> ApiResult<Json<Vec<Notification>>> {
        let t = ctx.tenant(&tenant).await?;
        Ok(Json(
            webhooks::notifications(&ctx, &t, state.0.as_deref()).await?,
        ))
    }

    /// Send a failed message (email or webhook call) again: it goes back
    /// to the outbox with all its attempts ahead of it, and the change is
    /// in the audit log. 409 if the message is not `failed`, or if its
    /// webhook was removed.
    #[oai(path = "/:tenant/notifications/:id/resend", method = "post")]
    async fn resend(
        &self,
        ctx: Data<&Ctx>,
        tenant: Path<String>,
        id: Path<Uuid>,
    ) -> ApiResult<Json<Notification>> {
        let t = ctx.tenant(&tenant).await?;
        Ok(Json(webhooks::resend(&ctx, &t, id.0).await?))
    }
}
