//! The request context: who is asking, from where, and the checks every
//! service makes through it (`authorize`, `require_operator`,
//! `department_scope`). The city always comes from the path or host, never
//! from the principal: a principal of another city gets the same 404 as a
//! city or row that does not exist.

use super::principal::Principal;
use super::tokens::{constant_time_eq, parse_api_key, sha256_hex};
use crate::App;
use crate::services::DbResultExt;
use crate::services::tenants::TenantRecord;
use chrono::{DateTime, Utc};
use minsheng_domain::Error;
use minsheng_domain::ids::{ApiKeyId, AuditEventId, DepartmentId, TenantId, UserId};
use minsheng_store::entity::{audit_event, user};
use minsheng_store::queries::access as q;
use minsheng_store::{DatabaseTransaction, Scope};
use sea_orm::ActiveValue::Set;
use std::net::IpAddr;

pub const SESSION_COOKIE: &str = "__Host-minsheng";

#[derive(Clone)]
pub struct Ctx {
    pub principal: Principal,
    pub ip: Option<IpAddr>,
    /// The CSRF token of the session, when the principal came from a cookie.
    pub session_csrf: Option<String>,
    /// The digest of the session's token, to log out this session.
    pub session_id: Option<String>,
    pub app: App,
    /// The time the actions happen at: now, except when the demo history
    /// is generated through the same services.
    pub clock: Option<chrono::DateTime<Utc>>,
}

impl Ctx {
    /// A request's context: who it acts for, from where, and its session
    /// (id and CSRF token) when it came with the session cookie.
    pub fn request(
        app: App,
        principal: Principal,
        ip: Option<IpAddr>,
        session: Option<(String, String)>,
    ) -> Self {
        let (session_id, session_csrf) = session.unzip();
        Self {
            principal,
            ip,
            session_csrf,
            session_id,
            app,
            clock: None,
        }
    }

    /// Work that acts for the platform itself, not for a request: the
    /// command line, the demo history, a service test. (The escalation
    /// worker and the outbox take `&App`: they act for no one.) `name` is what
    /// the audit log shows (`operator:{name}`).
    pub fn operator(app: App, name: &str) -> Self {
        Self::request(
            app,
            Principal::Operator {
                user: UserId::from_uuid(uuid::Uuid::nil()),
                username: name.to_owned(),
            },
            None,
            None,
        )
    }

    /// The same request (address, clock), acting as `principal` instead
    /// and outside any session: a sign-in, an Open311 client's key.
    pub fn acting_as(&self, principal: Principal) -> Self {
        Self {
            principal,
            session_csrf: None,
            session_id: None,
            ..self.clone()
        }
    }

    pub fn now(&self) -> chrono::DateTime<Utc> {
        self.clock.unwrap_or_else(Utc::now)
    }

    /// The connection, for tables without row-level security (cities and
    /// their host names).
    pub fn db(&self) -> &minsheng_store::DatabaseConnection {
        self.app.store.db()
    }

    /// The city named in the request's path (briefly cached).
    pub async fn tenant(&self, slug: &str) -> Result<TenantRecord, Error> {
        self.app.tenants.find(self.db(), slug).await
    }

    /// A transaction that sees one city's rows.
    pub async fn tx(&self, tenant: TenantId) -> Result<DatabaseTransaction, Error> {
        self.app
            .store
            .begin(Scope::Tenant(tenant.into_uuid()))
            .await
            .or_internal()
    }

    /// A read-only transaction that sees one city's rows.
    pub async fn read_tx(&self, tenant: TenantId) -> Result<DatabaseTransaction, Error> {
        self.app
            .store
            .read(Scope::Tenant(tenant.into_uuid()))
            .await
            .or_internal()
    }

    /// [`Ctx::read_tx`] for the hot reads, whose statements reuse their
    /// generic plans ([`minsheng_store::Store::read_planned`]).
    pub async fn planned_read_tx(&self, tenant: TenantId) -> Result<DatabaseTransaction, Error> {
        self.app
            .store
            .read_planned(Scope::Tenant(tenant.into_uuid()))
            .await
            .or_internal()
    }

    /// A transaction that sees every city's rows.
    pub async fn platform_tx(&self) -> Result<DatabaseTransaction, Error> {
        self.app.store.begin(Scope::Platform).await.or_internal()
    }

    /// Only platform operators.
    pub fn require_operator(&self) -> Result<(), Error> {
        match &self.principal {
            Principal::Operator { .. } => Ok(()),
            Principal::Anonymous => Err(unauthenticated()),
            _ => Err(Error::Forbidden(
                "only platform operators may do this".into(),
            )),
        }
    }

    /// Only platform operators, on a city's resource: a principal of another
    /// city is told the city does not exist.
    pub fn require_operator_for(&self, tenant: &TenantRecord) -> Result<(), Error> {
        if self.principal.tenant().is_some_and(|t| t != tenant.id) {
            return Err(Error::not_found(format!("city {:?}", tenant.slug)));
        }
        self.require_operator()
    }

    /// The principal must hold `permission` in `tenant`. A principal of
    /// another city is told the city does not exist.
    pub async fn authorize(&self, tenant: &TenantRecord, permission: &str) -> Result<(), Error> {
        let allowed = match &self.principal {
            Principal::Operator { .. } => return Ok(()),
            Principal::Anonymous => return Err(unauthenticated()),
            p if p.tenant() != Some(tenant.id) => {
                return Err(Error::not_found(format!("city {:?}", tenant.slug)));
            }
            Principal::Staff { user, .. } => {
                let policy = &self.app.policy;
                // A grant made by another process may not have reached this
                // one yet: look at the version before saying no.
                policy.allows(*user, tenant.id, permission).await
                    || (policy.refresh_if_changed().await.unwrap_or(false)
                        && policy.allows(*user, tenant.id, permission).await)
            }
            Principal::ApiClient { scopes, .. } => scopes.iter().any(|s| s == permission),
            Principal::Citizen { .. } => false,
        };
        if allowed {
            return Ok(());
        }
        self.audit(Some(tenant.id), "permission_denied", permission, "denied")
            .await;
        Err(Error::Forbidden(format!(
            "you lack the permission {permission:?} in this city"
        )))
    }

    /// The departments a permission is limited to, or `None` when the
    /// principal holds it city-wide. Call after `authorize`.
    pub async fn department_scope(
        &self,
        tenant: &TenantRecord,
        permission: &str,
    ) -> Option<Vec<DepartmentId>> {
        match &self.principal {
            Principal::Staff {
                user, departments, ..
            } if self
                .app
                .policy
                .department_scoped(*user, tenant.id, permission)
                .await =>
            {
                Some(departments.clone())
            }
            _ => None,
        }
    }

    /// Append to the city's audit log. Failing to write the log is logged,
    /// not raised: the action itself already succeeded or failed.
    pub async fn audit(&self, tenant: Option<TenantId>, action: &str, target: &str, outcome: &str) {
        let row = audit_event::ActiveModel {
            id: Set(AuditEventId::new().into_uuid()),
            tenant_id: Set(tenant.map(TenantId::into_uuid)),
            at: Set(Utc::now()),
            actor: Set(self.principal.label()),
            action: Set(action.to_owned()),
            target: Set(target.chars().take(300).collect()),
            outcome: Set(outcome.to_owned()),
            client_ip: Set(self.ip.map(|ip| ip.to_string())),
        };
        let scope = tenant.map_or(Scope::Platform, |t| Scope::Tenant(t.into_uuid()));
        let written = async {
            let tx = self.app.store.begin(scope).await?;
            q::insert_audit(&tx, row).await?;
            tx.commit().await
        }
        .await;
        if let Err(e) = written {
            tracing::error!(error = %e, action, "cannot write the audit log");
        }
    }
}

fn unauthenticated() -> Error {
    Error::Unauthenticated("sign in, or send an API key as `Authorization: Bearer <key>`".into())
}

/// Who a request acts for, from its bearer API key or session cookie.
pub async fn resolve(
    state: &App,
    authorization: Option<&str>,
    cookie_token: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(Principal, Option<(String, String)>), Error> {
    if let Some(header) = authorization {
        let key = header.strip_prefix("Bearer ").ok_or_else(|| {
            Error::Unauthenticated("use `Authorization: Bearer <API key>`".into())
        })?;
        let tx = state.store.read(Scope::Platform).await.or_internal()?;
        let principal = api_client(state, &tx, key.trim(), now).await?;
        return crate::services::commit(tx, (principal, None)).await;
    }
    if let Some(token) = cookie_token {
        let tx = state.store.read(Scope::Platform).await.or_internal()?;
        let found = session_user(state, &tx, token, now).await?;
        if let Some((principal, session)) = crate::services::commit(tx, found).await? {
            return Ok((principal, Some(session)));
        }
    }
    if state.config.dev_open_admin {
        return Ok((
            Principal::Operator {
                user: UserId::from_uuid(uuid::Uuid::nil()),
                username: "dev".into(),
            },
            None,
        ));
    }
    Ok((Principal::Anonymous, None))
}

async fn api_client(
    state: &App,
    db: &DatabaseTransaction,
    key: &str,
    now: DateTime<Utc>,
) -> Result<Principal, Error> {
    let invalid = || Error::Unauthenticated("the API key is not valid or has been revoked".into());
    let (prefix, secret) = parse_api_key(key).ok_or_else(invalid)?;
    let row = q::api_key_by_prefix(db, prefix)
        .await
        .or_internal()?
        .ok_or_else(invalid)?;
    if row.revoked_at.is_some() || !constant_time_eq(&sha256_hex(secret), &row.secret_hash) {
        return Err(invalid());
    }
    if row
        .last_used_at
        .is_none_or(|t| now - t > chrono::Duration::minutes(1))
    {
        let w = state.store.begin(Scope::Platform).await.or_internal()?;
        q::touch_api_key(&w, row.id, now).await.or_internal()?;
        w.commit().await.or_internal()?;
    }
    Ok(Principal::ApiClient {
        key: ApiKeyId::from_uuid(row.id),
        name: row.name,
        tenant: TenantId::from_uuid(row.tenant_id),
        scopes: serde_json::from_value(row.scopes).unwrap_or_default(),
    })
}

/// The signed-in user of a session cookie, with the session's (id, CSRF
/// token); `None` when the session is unknown, idle too long or too old.
async fn session_user(
    state: &App,
    db: &DatabaseTransaction,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Option<(Principal, (String, String))>, Error> {
    let id = sha256_hex(token);
    let Some((session, user)) = q::session_with_user(db, &id).await.or_internal()? else {
        return Ok(None);
    };
    let idle = chrono::Duration::seconds(state.config.session_idle_secs as i64);
    if session.expires_at <= now || now - session.last_seen_at > idle {
        let w = state.store.begin(Scope::Platform).await.or_internal()?;
        q::delete_session(&w, &id).await.or_internal()?;
        w.commit().await.or_internal()?;
        return Ok(None);
    }
    let Some(user) = user else {
        return Ok(None);
    };
    if !user.active {
        return Ok(None);
    }
    // Refresh the idle clock without writing on every request.
    if now - session.last_seen_at > idle / 4 {
        let w = state.store.begin(Scope::Platform).await.or_internal()?;
        q::touch_session(&w, &id, now).await.or_internal()?;
        w.commit().await.or_internal()?;
    }
    let principal = principal_of(&state.policy, &user).await?;
    Ok(Some((principal, (id, session.csrf_token))))
}

/// The principal of a signed-in user. Departments come from the policy
/// snapshot (they are part of what authorization decides on), so resolving
/// a staff member costs no more queries than resolving an operator.
pub async fn principal_of(policy: &super::Policy, user: &user::Model) -> Result<Principal, Error> {
    let id = UserId::from_uuid(user.id);
    let username = user.username.clone();
    Ok(match (user.kind.as_str(), user.tenant_id) {
        ("operator", None) => Principal::Operator { user: id, username },
        ("staff", Some(tenant)) => {
            let departments = policy.departments_of(UserId::from_uuid(user.id)).await;
            Principal::Staff {
                user: id,
                username,
                tenant: TenantId::from_uuid(tenant),
                departments,
            }
        }
        ("citizen", Some(tenant)) => Principal::Citizen {
            user: id,
            username,
            tenant: TenantId::from_uuid(tenant),
        },
        (kind, _) => return Err(Error::internal(format!("user {} has kind {kind}", user.id))),
    })
}
