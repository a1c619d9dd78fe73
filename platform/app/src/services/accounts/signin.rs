//! Signing in and out: sessions, the sign-in throttle, and who is signed in.

use crate::access::principal::Principal;
use crate::access::{Ctx, password, throttle, tokens};
use crate::model::Me;
use crate::services::DbResultExt;
use crate::services::tenants::{self, TenantRecord};
use chrono::Utc;
use minsheng_domain::Error;
use minsheng_domain::access::CATALOGUE;
use minsheng_domain::ids::TenantId;
use minsheng_store::entity::session;
use minsheng_store::queries::access as q;
use sea_orm::ActiveValue::Set;

/// A new session: the cookie token (shown once) and its CSRF token.
pub struct NewSession {
    pub token: String,
    pub me: Me,
}

pub async fn login(
    ctx: &Ctx,
    tenant_slug: Option<&str>,
    username: &str,
    password_given: &str,
) -> Result<NewSession, Error> {
    let state = &ctx.app;
    let db = state.store.db();
    let now = Utc::now();
    let tenant = match tenant_slug {
        Some(slug) => Some(tenants::find(db, slug).await?),
        None => None,
    };
    state
        .limits
        .take(&format!("login:{}", tenant_slug.unwrap_or("-")), ctx.ip)?;
    let account_key = throttle::account_key(tenant_slug, username);
    let address_key = throttle::address_key(ctx.ip);
    throttle::check(db, &[account_key.clone(), address_key.clone()], now).await?;

    let tenant_id = tenant.as_ref().map(|t| t.id);
    let tx = match tenant_id {
        Some(t) => ctx.tx(t).await?,
        None => ctx.platform_tx().await?,
    };
    let user = q::user_by_username(&tx, tenant_id.map(TenantId::into_uuid), username)
        .await
        .or_internal()?;
    let stored = user
        .as_ref()
        .map_or(password::dummy_hash(), |u| u.password_hash.as_str());
    let verified = password::verify(password_given, stored);
    let user = match user {
        Some(user) if verified && user.active => user,
        _ => {
            drop(tx);
            throttle::record_failure(db, &account_key, throttle::FREE_FAILURES_PER_ACCOUNT, now)
                .await?;
            throttle::record_failure(db, &address_key, throttle::FREE_FAILURES_PER_ADDRESS, now)
                .await?;
            ctx.audit(
                tenant_id,
                "login_failure",
                &format!("user:{username}"),
                "denied",
            )
            .await;
            return Err(Error::Unauthenticated(
                "the user name or password is wrong".into(),
            ));
        }
    };

    let token = tokens::random_token();
    let csrf = tokens::random_token();
    q::insert_session(
        &tx,
        session::ActiveModel {
            id: Set(tokens::sha256_hex(&token)),
            user_id: Set(user.id),
            tenant_id: Set(user.tenant_id),
            csrf_token: Set(csrf.clone()),
            created_at: Set(now),
            last_seen_at: Set(now),
            expires_at: Set(
                now + chrono::Duration::seconds(state.config.session_max_age_secs as i64)
            ),
        },
    )
    .await
    .or_internal()?;
    tx.commit().await.or_internal()?;
    let principal = crate::access::ctx::principal_of(&state.policy, &user).await?;
    // After the commit: on SQLite a write from another connection while this
    // transaction reads would make its own write fail.
    throttle::clear(db, &account_key).await?;
    throttle::clear(db, &address_key).await?;
    let signed_in = ctx.acting_as(principal);
    signed_in
        .audit(
            tenant_id,
            "login_success",
            &format!("user:{username}"),
            "ok",
        )
        .await;
    let mut me = me(&signed_in, tenant.as_ref()).await;
    me.csrf_token = Some(csrf);
    Ok(NewSession { token, me })
}

pub async fn logout(ctx: &Ctx) -> Result<(), Error> {
    if let Some(id) = &ctx.session_id {
        let tx = ctx.platform_tx().await?;
        q::delete_session(&tx, id).await.or_internal()?;
        tx.commit().await.or_internal()?;
    }
    Ok(())
}

/// End every session of the signed-in person.
pub async fn logout_everywhere(ctx: &Ctx) -> Result<u64, Error> {
    let user = match &ctx.principal {
        Principal::Operator { user, .. }
        | Principal::Staff { user, .. }
        | Principal::Citizen { user, .. } => *user,
        _ => return Err(Error::Unauthenticated("sign in first".into())),
    };
    let tx = ctx.platform_tx().await?;
    let n = q::delete_sessions_of(&tx, user.into_uuid())
        .await
        .or_internal()?;
    tx.commit().await.or_internal()?;
    ctx.audit(
        ctx.principal.tenant(),
        "logout_everywhere",
        &ctx.principal.label(),
        "ok",
    )
    .await;
    Ok(n)
}

/// Who is signed in, with their permissions in their city.
pub async fn me(ctx: &Ctx, tenant: Option<&TenantRecord>) -> Me {
    let (kind, name) = match &ctx.principal {
        Principal::Anonymous => ("anonymous", String::new()),
        Principal::Operator { username, .. } => ("operator", username.clone()),
        Principal::Staff { username, .. } => ("staff", username.clone()),
        Principal::Citizen { username, .. } => ("citizen", username.clone()),
        Principal::ApiClient { name, .. } => ("api_client", name.clone()),
    };
    let mut permissions = Vec::new();
    match (&ctx.principal, tenant) {
        (Principal::Operator { .. }, _) => {
            permissions = CATALOGUE.iter().map(|(p, _)| (*p).to_owned()).collect()
        }
        (
            Principal::Staff {
                user, tenant: t, ..
            },
            _,
        ) => {
            if let Err(e) = ctx.app.policy.refresh_if_changed().await {
                tracing::warn!(error = %e, "cannot refresh the authorization policy");
            }
            for (p, _) in CATALOGUE {
                if ctx.app.policy.allows(*user, *t, p).await {
                    permissions.push((*p).to_owned());
                }
            }
        }
        (Principal::ApiClient { scopes, .. }, _) => permissions.clone_from(scopes),
        _ => {}
    }
    let tenant_slug = match ctx.principal.tenant() {
        Some(t) => match tenant {
            Some(r) if r.id == t => Some(r.slug.clone()),
            _ => minsheng_store::queries::tenants::by_id(ctx.app.store.db(), t.into_uuid())
                .await
                .ok()
                .flatten()
                .map(|r| r.slug),
        },
        None => None,
    };
    Me {
        kind: kind.to_owned(),
        name,
        tenant: tenant_slug,
        permissions,
        csrf_token: ctx.session_csrf.clone(),
    }
}
