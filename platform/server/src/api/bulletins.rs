//! Public-opinion bulletins (三情通报): a city's published weekly and
//! monthly bulletins, with the figures kept when each period ended.

use super::ApiTags;
use super::error::ApiResult;
use minsheng_app::access::Ctx;
use minsheng_app::model::{Bulletin, BulletinRef, Trends};
use minsheng_app::services::{bulletins, trends};
use poem::web::Data;
use poem_openapi::OpenApi;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;

pub struct BulletinsApi;

#[OpenApi(prefix_path = "/v1/tenants", tag = "ApiTags::Bulletins")]
impl BulletinsApi {
    /// The city's bulletins, newest first: `kind` is `weekly` or `monthly`
    /// (default both); at most `limit` (default 50, at most 200).
    #[oai(path = "/:tenant/bulletins", method = "get")]
    async fn list(
        &self,
        ctx: Data<&Ctx>,
        tenant: Path<String>,
        kind: Query<Option<String>>,
        limit: Query<Option<u64>>,
    ) -> ApiResult<Json<Vec<BulletinRef>>> {
        let t = ctx.tenant(&tenant).await?;
        Ok(Json(
            bulletins::list(&ctx, &t, kind.0.as_deref(), limit.0.unwrap_or(50)).await?,
        ))
    }

    /// One bulletin (第N期 of its kind) with its figures, which never
    /// change after it is published.
    #[oai(path = "/:tenant/bulletins/:kind/:number", method = "get")]
    async fn get(
        &self,
        ctx: Data<&Ctx>,
        tenant: Path<String>,
        kind: Path<String>,
        number: Path<i32>,
    ) -> ApiResult<Json<Bulletin>> {
        let t = ctx.tenant(&tenant).await?;
        Ok(Json(bulletins::get(&ctx, &t, &kind, number.0).await?))
    }

    /// What is rising in the city's cases (staff with `case:read`): the
    /// words in more cases of the last `days` days (default 7, 1 to 90)
    /// than in the four periods of the same length before.
    #[oai(path = "/:tenant/trends", method = "get")]
    async fn trends(
        &self,
        ctx: Data<&Ctx>,
        tenant: Path<String>,
        days: Query<Option<u32>>,
    ) -> ApiResult<Json<Trends>> {
        let t = ctx.tenant(&tenant).await?;
        Ok(Json(trends::trends(&ctx, &t, days.0).await?))
    }
}
