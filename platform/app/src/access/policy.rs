//! The authorization policy: casbin's RBAC-with-domains model, the city as
//! the domain (matched exactly), loaded from our own tables through a small
//! read-only adapter over sea-orm.
//!
//! One enforcer is shared behind a read lock. Roles and grants are changed
//! only through the access services, which bump `policy_version`; every
//! process polls that version each second and reloads when it moved, so a
//! change made on one replica is enforced by all within seconds.

use async_trait::async_trait;
use casbin::{Adapter, CoreApi, DefaultModel, Enforcer, Filter, Model};
use minsheng_domain::access::builtin_role;
use minsheng_domain::ids::{DepartmentId, TenantId, UserId};
use minsheng_store::queries::access as q;
use minsheng_store::{Scope, Store};
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;
use tokio::sync::RwLock;

const MODEL: &str = r#"
[request_definition]
r = sub, dom, obj, act

[policy_definition]
p = sub, dom, obj, act

[role_definition]
g = _, _, _

[policy_effect]
e = some(where (p.eft == allow))

[matchers]
m = g(r.sub, p.sub, r.dom) && r.dom == p.dom && r.obj == p.obj && r.act == p.act
"#;

/// Reads roles (`p` lines: role, city, resource, action) and grants (`g`
/// lines: user, role, city) from the database. Writes go through the access
/// services, never through casbin, so the write half refuses.
struct TableAdapter {
    store: Store,
}

fn read_only() -> casbin::Error {
    casbin::Error::AdapterError(casbin::error::AdapterError(
        "the policy is changed through Minsheng's role and user services".into(),
    ))
}

#[async_trait]
impl Adapter for TableAdapter {
    async fn load_policy(&mut self, m: &mut dyn Model) -> casbin::Result<()> {
        let to_casbin = |e: sea_orm::DbErr| {
            casbin::Error::AdapterError(casbin::error::AdapterError(Box::new(e)))
        };
        let tx = self.store.read(Scope::Platform).await.map_err(to_casbin)?;
        let db = &tx;
        for role in q::roles(db, None).await.map_err(to_casbin)? {
            let permissions: Vec<String> =
                serde_json::from_value(role.permissions).unwrap_or_default();
            for perm in permissions {
                let Some((obj, act)) = perm.split_once(':') else {
                    continue;
                };
                m.add_policy(
                    "p",
                    "p",
                    vec![
                        role_subject(&role.code),
                        role.tenant_id.to_string(),
                        obj.into(),
                        act.into(),
                    ],
                );
            }
        }
        for grant in q::user_roles(db, None).await.map_err(to_casbin)? {
            m.add_policy(
                "g",
                "g",
                vec![
                    grant.user_id.to_string(),
                    role_subject(&grant.role_code),
                    grant.tenant_id.to_string(),
                ],
            );
        }
        Ok(())
    }

    async fn load_filtered_policy<'a>(
        &mut self,
        m: &mut dyn Model,
        _f: Filter<'a>,
    ) -> casbin::Result<()> {
        self.load_policy(m).await
    }
    async fn save_policy(&mut self, _m: &mut dyn Model) -> casbin::Result<()> {
        Err(read_only())
    }
    async fn clear_policy(&mut self) -> casbin::Result<()> {
        Err(read_only())
    }
    fn is_filtered(&self) -> bool {
        false
    }
    async fn add_policy(&mut self, _: &str, _: &str, _: Vec<String>) -> casbin::Result<bool> {
        Err(read_only())
    }
    async fn add_policies(
        &mut self,
        _: &str,
        _: &str,
        _: Vec<Vec<String>>,
    ) -> casbin::Result<bool> {
        Err(read_only())
    }
    async fn remove_policy(&mut self, _: &str, _: &str, _: Vec<String>) -> casbin::Result<bool> {
        Err(read_only())
    }
    async fn remove_policies(
        &mut self,
        _: &str,
        _: &str,
        _: Vec<Vec<String>>,
    ) -> casbin::Result<bool> {
        Err(read_only())
    }
    async fn remove_filtered_policy(
        &mut self,
        _: &str,
        _: &str,
        _: usize,
        _: Vec<String>,
    ) -> casbin::Result<bool> {
        Err(read_only())
    }
}

/// Roles and users share casbin's subject space; prefix roles so a user id
/// can never name a role.
fn role_subject(code: &str) -> String {
    format!("role:{code}")
}

/// What the enforcer was built from, kept for department scoping, plus the
/// enforcer's decisions so far (a snapshot never changes, so neither do
/// they; a reload starts a new snapshot with an empty memo).
struct Snapshot {
    enforcer: Enforcer,
    decisions: std::sync::Mutex<HashMap<(uuid::Uuid, uuid::Uuid, String), bool>>,
    /// (user) → departments, for department scoping.
    departments_of: HashMap<uuid::Uuid, Vec<DepartmentId>>,
    /// (user) → role codes, for deciding whether a grant is department-scoped.
    roles_of: HashMap<uuid::Uuid, Vec<String>>,
    /// (city, role) → permissions.
    permissions: HashMap<(uuid::Uuid, String), Vec<String>>,
}

pub struct Policy {
    store: Store,
    current: RwLock<Snapshot>,
    version: AtomicI64,
}

impl Policy {
    pub async fn load(store: Store) -> anyhow::Result<Arc<Self>> {
        let version = q::policy_version(store.db()).await?;
        let snapshot = build(&store).await?;
        Ok(Arc::new(Self {
            store,
            current: RwLock::new(snapshot),
            version: AtomicI64::new(version),
        }))
    }

    /// Rebuild from the database now (after a local change).
    pub async fn reload(&self) -> anyhow::Result<()> {
        let version = q::policy_version(self.store.db()).await?;
        let snapshot = build(&self.store).await?;
        *self.current.write().await = snapshot;
        self.version.store(version, Ordering::SeqCst);
        Ok(())
    }

    /// Reload when another process changed the policy.
    pub async fn refresh_if_changed(&self) -> anyhow::Result<bool> {
        let version = q::policy_version(self.store.db()).await?;
        if version == self.version.load(Ordering::SeqCst) {
            return Ok(false);
        }
        self.reload().await?;
        Ok(true)
    }

    /// Poll the version every `every` until the process ends.
    pub fn watch(self: &Arc<Self>, every: Duration) {
        let policy = Arc::clone(self);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            loop {
                tick.tick().await;
                if let Err(e) = policy.refresh_if_changed().await {
                    tracing::warn!(error = %e, "cannot refresh the authorization policy");
                }
            }
        });
    }

    /// Whether `user` holds `permission` (`resource:action`) in `tenant`.
    pub async fn allows(&self, user: UserId, tenant: TenantId, permission: &str) -> bool {
        let Some((obj, act)) = permission.split_once(':') else {
            return false;
        };
        let snapshot = self.current.read().await;
        let key = (user.into_uuid(), tenant.into_uuid(), permission.to_owned());
        if let Some(decision) = snapshot
            .decisions
            .lock()
            .ok()
            .and_then(|memo| memo.get(&key).copied())
        {
            return decision;
        }
        let decision = snapshot
            .enforcer
            .enforce((user.to_string(), tenant.to_string(), obj, act))
            .unwrap_or(false);
        if let Ok(mut memo) = snapshot.decisions.lock() {
            memo.insert(key, decision);
        }
        decision
    }

    /// The departments a staff member works for. A user this process does
    /// not know yet (created by another process a moment ago) makes it look
    /// at the policy version first.
    pub async fn departments_of(&self, user: UserId) -> Vec<DepartmentId> {
        let known = {
            let snapshot = self.current.read().await;
            snapshot.roles_of.contains_key(&user.into_uuid())
                || snapshot.departments_of.contains_key(&user.into_uuid())
        };
        if !known && let Err(e) = self.refresh_if_changed().await {
            tracing::warn!(error = %e, "cannot refresh the authorization policy");
        }
        let snapshot = self.current.read().await;
        snapshot
            .departments_of
            .get(&user.into_uuid())
            .cloned()
            .unwrap_or_default()
    }

    /// Whether every role through which `user` holds `permission` is bound
    /// to the user's own departments (department admin and staff). Custom
    /// roles and the other built-in roles act city-wide.
    pub async fn department_scoped(
        &self,
        user: UserId,
        tenant: TenantId,
        permission: &str,
    ) -> bool {
        let snapshot = self.current.read().await;
        let roles = snapshot
            .roles_of
            .get(&user.into_uuid())
            .cloned()
            .unwrap_or_default();
        let granting: Vec<_> = roles
            .iter()
            .filter(|code| {
                snapshot
                    .permissions
                    .get(&(tenant.into_uuid(), (*code).clone()))
                    .is_some_and(|perms| perms.iter().any(|p| p == permission))
            })
            .collect();
        !granting.is_empty()
            && granting
                .iter()
                .all(|code| builtin_role(code).is_some_and(|r| r.code.starts_with("department-")))
    }
}

async fn build(store: &Store) -> anyhow::Result<Snapshot> {
    let model = DefaultModel::from_str(MODEL).await?;
    let enforcer = Enforcer::new(
        model,
        TableAdapter {
            store: store.clone(),
        },
    )
    .await?;
    let tx = store.read(Scope::Platform).await?;
    let db = &tx;
    let mut roles_of: HashMap<uuid::Uuid, Vec<String>> = HashMap::new();
    for grant in q::user_roles(db, None).await? {
        roles_of
            .entry(grant.user_id)
            .or_default()
            .push(grant.role_code);
    }
    let mut departments_of: HashMap<uuid::Uuid, Vec<DepartmentId>> = HashMap::new();
    for membership in q::user_departments(db, None).await? {
        departments_of
            .entry(membership.user_id)
            .or_default()
            .push(DepartmentId::from_uuid(membership.department_id));
    }
    let permissions = q::roles(db, None)
        .await?
        .into_iter()
        .map(|r| {
            let perms: Vec<String> = serde_json::from_value(r.permissions).unwrap_or_default();
            ((r.tenant_id, r.code), perms)
        })
        .collect();
    Ok(Snapshot {
        enforcer,
        decisions: std::sync::Mutex::new(HashMap::new()),
        departments_of,
        roles_of,
        permissions,
    })
}
