//! Signing in, staff accounts, roles and permissions, API keys and the audit
//! log.

use chrono::{DateTime, Utc};
use poem_openapi::Object;
use poem_openapi::types::MaybeUndefined;
use serde::Serialize;
use uuid::Uuid;

/// Sign in. Without `tenant` the account is a platform operator's.
#[derive(Clone, Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct LoginInput {
    /// The city's slug; absent for platform operators.
    pub tenant: Option<String>,
    pub username: String,
    pub password: String,
}

/// Who is signed in.
#[derive(Clone, Debug, Object, Serialize)]
pub struct Me {
    /// `operator`, `staff`, `citizen`, `api_client` or `anonymous`.
    pub kind: String,
    pub name: String,
    pub tenant: Option<String>,
    pub permissions: Vec<String>,
    /// Send this as `X-CSRF-Token` with every unsafe request made with the
    /// session cookie.
    pub csrf_token: Option<String>,
}

/// A new staff account of a city.
#[derive(Clone, Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct UserInput {
    /// 3 to 64 of `a-z`, `0-9`, `.`, `_`, `-`; unique in the city.
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    /// At least 10 characters.
    pub password: String,
    /// Codes of the departments the person works for.
    pub departments: Option<Vec<String>>,
    /// Codes of the roles granted.
    pub roles: Option<Vec<String>>,
}

/// Changes to a staff account; absent fields stay as they are.
#[derive(Clone, Debug, Default, Object)]
#[oai(deny_unknown_fields)]
pub struct UserPatch {
    pub display_name: Option<String>,
    pub email: MaybeUndefined<String>,
    /// A new password; signs the person out everywhere.
    pub password: Option<String>,
    pub departments: Option<Vec<String>>,
    pub roles: Option<Vec<String>>,
    /// `false` disables the account and ends its sessions.
    pub active: Option<bool>,
}

#[derive(Clone, Debug, Object, Serialize)]
pub struct User {
    pub id: Uuid,
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    pub kind: String,
    pub departments: Vec<String>,
    pub roles: Vec<String>,
    pub active: bool,
    pub created_at: DateTime<Utc>,
}

#[derive(Clone, Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct RoleInput {
    /// Unique in the city; the built-in codes are taken.
    pub code: String,
    pub name: String,
    /// Permissions from the catalogue (`GET /v1/permissions`).
    pub permissions: Vec<String>,
}

#[derive(Clone, Debug, Default, Object)]
#[oai(deny_unknown_fields)]
pub struct RolePatch {
    pub name: Option<String>,
    pub permissions: Option<Vec<String>>,
}

#[derive(Clone, Debug, Object)]
pub struct Role {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub builtin: bool,
    pub permissions: Vec<String>,
}

#[derive(Clone, Debug, Object)]
pub struct Permission {
    pub name: String,
    pub description: String,
}

#[derive(Clone, Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct ApiKeyInput {
    /// Unique in the city, e.g. the integration's name.
    pub name: String,
    /// Permissions the key may use; default none (public reads only).
    pub scopes: Option<Vec<String>>,
}

#[derive(Clone, Debug, Object)]
pub struct ApiKey {
    pub id: Uuid,
    pub name: String,
    /// The key's public part; the secret is never shown again.
    pub prefix: String,
    pub scopes: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A new key: `key` is shown this once.
#[derive(Clone, Debug, Object)]
pub struct ApiKeyCreated {
    pub key: String,
    pub api_key: ApiKey,
}

#[derive(Clone, Debug, Object)]
pub struct AuditEvent {
    pub id: Uuid,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub outcome: String,
    pub client_ip: Option<String>,
}
