//! Signing in and out, and a city's staff accounts, roles, API keys and
//! audit log.

use super::ApiTags;
use super::error::ApiResult;
use super::tenants::Deleted;
use crate::app::ServerState;
use crate::request::{expired_session_cookie, session_cookie};
use minsheng_app::access::Ctx;
use minsheng_app::model::{
    ApiKey, ApiKeyCreated, ApiKeyInput, AuditEvent, LoginInput, Me, Permission, Role, RoleInput,
    RolePatch, User, UserInput, UserPatch,
};
use minsheng_app::services::accounts;
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};
use uuid::Uuid;

pub struct AccessApi {
    pub state: ServerState,
}

#[derive(ApiResponse)]
pub enum SignedIn {
    /// Signed in: the session cookie is set (`__Host-`, Secure, HttpOnly,
    /// SameSite=Lax).
    #[oai(status = 200)]
    Ok(Json<Me>, #[oai(header = "Set-Cookie")] String),
}

#[derive(ApiResponse)]
pub enum SignedOut {
    #[oai(status = 204)]
    Ok(#[oai(header = "Set-Cookie")] String),
}

#[derive(ApiResponse)]
pub enum Created<T: poem_openapi::types::ToJSON + Send + Sync> {
    #[oai(status = 201)]
    Created(Json<T>),
}

#[OpenApi(prefix_path = "/v1")]
impl AccessApi {
    /// Sign in with a user name and password; sets the session cookie.
    #[oai(path = "/auth/login", method = "post", tag = "ApiTags::Access")]
    async fn login(&self, ctx: Data<&Ctx>, body: Json<LoginInput>) -> ApiResult<SignedIn> {
        let b = body.0;
        let session = accounts::login(&ctx, b.tenant.as_deref(), &b.username, &b.password).await?;
        let cookie = session_cookie(&session.token, self.state.config.session_max_age_secs);
        Ok(SignedIn::Ok(Json(session.me), cookie))
    }

    /// End this session.
    #[oai(path = "/auth/logout", method = "post", tag = "ApiTags::Access")]
    async fn logout(&self, ctx: Data<&Ctx>) -> ApiResult<SignedOut> {
        accounts::logout(&ctx).await?;
        Ok(SignedOut::Ok(expired_session_cookie()))
    }

    /// End every session of the signed-in person, on every device.
    #[oai(
        path = "/auth/logout-everywhere",
        method = "post",
        tag = "ApiTags::Access"
    )]
    async fn logout_everywhere(&self, ctx: Data<&Ctx>) -> ApiResult<SignedOut> {
        accounts::logout_everywhere(&ctx).await?;
        Ok(SignedOut::Ok(expired_session_cookie()))
    }

    /// Who is signed in and what they may do.
    #[oai(path = "/auth/me", method = "get", tag = "ApiTags::Access")]
    async fn me(&self, ctx: Data<&Ctx>) -> Json<Me> {
        Json(accounts::me(&ctx, None).await)
    }

    /// The permission catalogue roles are built from.
    #[oai(path = "/permissions", method = "get", tag = "ApiTags::Access")]
    async fn permissions(&self) -> Json<Vec<Permission>> {
        Json(accounts::permissions())
    }

    /// A city's staff accounts (department admins see their departments' staff).
    #[oai(
        path = "/tenants/:tenant/users",
        method = "get",
        tag = "ApiTags::Access"
    )]
    async fn list_users(
        &self,
        ctx: Data<&Ctx>,
        tenant: Path<String>,
    ) -> ApiResult<Json<Vec<User>>> {
        let t = ctx.tenant(&tenant).await?;
        Ok(Json(accounts::list_users(&ctx, &t).await?))
    }

    /// Create a staff account.
    #[oai(
        path = "/tenants/:tenant/users",
        method = "post",
        tag = "ApiTags::Access"
    )]
    async fn create_user(
        &self,
        ctx: Data<&Ctx>,
        tenant: Path<String>,
        body: Json<UserInput>,
    ) -> ApiResult<Created<User>> {
        let t = ctx.tenant(&tenant).await?;
        Ok(Created::Created(Json(
            accounts::create_user(&ctx, &t, body.0).await?,
        )))
    }

    #[oai(
        path = "/tenants/:tenant/users/:id",
        method = "get",
        tag = "ApiTags::Access"
    )]
    async fn get_user(
        &self,
        ctx: Data<&Ctx>,
        tenant: Path<String>,
        id: Path<Uuid>,
    ) -> ApiResult<Json<User>> {
        let t = ctx.tenant(&tenant).await?;
        Ok(Json(accounts::get_user(&ctx, &t, id.0).await?))
    }

    /// Change a staff account: roles, departments, password, active.
    #[oai(
        path = "/tenants/:tenant/users/:id",
        method = "patch",
        tag = "ApiTags::Access"
    )]
    async fn update_user(
        &self,
        ctx: Data<&Ctx>,
        tenant: Path<String>,
        id: Path<Uuid>,
        body: Json<UserPatch>,
    ) -> ApiResult<Json<User>> {
        let t = ctx.tenant(&tenant).await?;
        Ok(Json(accounts::update_user(&ctx, &t, id.0, body.0).await?))
    }

    /// The city's roles, built-in and custom.
    #[oai(
        path = "/tenants/:tenant/roles",
        method = "get",
        tag = "ApiTags::Access"
    )]
    async fn list_roles(
        &self,
        ctx: Data<&Ctx>,
        tenant: Path<String>,
    ) -> ApiResult<Json<Vec<Role>>> {
        let t = ctx.tenant(&tenant).await?;
        Ok(Json(accounts::list_roles(&ctx, &t).await?))
    }

    /// Define a custom role from the permission catalogue.
    #[oai(
        path = "/tenants/:tenant/roles",
        method = "post",
        tag = "ApiTags::Access"
    )]
    async fn create_role(
        &self,
        ctx: Data<&Ctx>,
        tenant: Path<String>,
        body: Json<RoleInput>,
    ) -> ApiResult<Created<Role>> {
        let t = ctx.tenant(&tenant).await?;
        Ok(Created::Created(Json(
            accounts::create_role(&ctx, &t, body.0).await?,
        )))
    }

    /// Change a custom role; built-in roles cannot change.
    #[oai(
        path = "/tenants/:tenant/roles/:code",
        method = "patch",
        tag = "ApiTags::Access"
    )]
    async fn update_role(
        &self,
        ctx: Data<&Ctx>,
        tenant: Path<String>,
        code: Path<String>,
        body: Json<RolePatch>,
    ) -> ApiResult<Json<Role>> {
        let t = ctx.tenant(&tenant).await?;
        Ok(Json(accounts::update_role(&ctx, &t, &code, body.0).await?))
    }

    /// The city's API keys (never their secrets).
    #[oai(
        path = "/tenants/:tenant/api-keys",
        method = "get",
        tag = "ApiTags::Access"
    )]
    async fn list_api_keys(
        &self,
        ctx: Data<&Ctx>,
        tenant: Path<String>,
    ) -> ApiResult<Json<Vec<ApiKey>>> {
        let t = ctx.tenant(&tenant).await?;
        Ok(Json(accounts::list_api_keys(&ctx, &t).await?))
    }

    /// Create an API key; the key is in this response only.
    #[oai(
        path = "/tenants/:tenant/api-keys",
        method = "post",
        tag = "ApiTags::Access"
    )]
    async fn create_api_key(
        &self,
        ctx: Data<&Ctx>,
        tenant: Path<String>,
        body: Json<ApiKeyInput>,
    ) -> ApiResult<Created<ApiKeyCreated>> {
        let t = ctx.tenant(&tenant).await?;
        Ok(Created::Created(Json(
            accounts::create_api_key(&ctx, &t, body.0).await?,
        )))
    }

    /// Revoke an API key at once.
    #[oai(
        path = "/tenants/:tenant/api-keys/:id",
        method = "delete",
        tag = "ApiTags::Access"
    )]
    async fn revoke_api_key(
        &self,
        ctx: Data<&Ctx>,
        tenant: Path<String>,
        id: Path<Uuid>,
    ) -> ApiResult<Deleted> {
        let t = ctx.tenant(&tenant).await?;
        accounts::revoke_api_key(&ctx, &t, id.0).await?;
        Ok(Deleted::Deleted)
    }

    /// The newest security events of the city (default 100, at most 1000).
    #[oai(
        path = "/tenants/:tenant/audit",
        method = "get",
        tag = "ApiTags::Access"
    )]
    async fn audit(
        &self,
        ctx: Data<&Ctx>,
        tenant: Path<String>,
        limit: Query<Option<u64>>,
    ) -> ApiResult<Json<Vec<AuditEvent>>> {
        let t = ctx.tenant(&tenant).await?;
        Ok(Json(
            accounts::audit_log(&ctx, &t, limit.unwrap_or(100)).await?,
        ))
    }
}
