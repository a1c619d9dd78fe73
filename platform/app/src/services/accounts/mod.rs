//! Accounts, roles, API keys, sign-in and the audit log. Every change to
//! roles or grants bumps the policy version and reloads the local policy;
//! other replicas follow within a second.
//!
//! Sign-in is in `signin`, staff accounts in `users`, other new accounts in
//! `create`, roles and the policy in `roles`, API keys in `keys` and the
//! audit log in `audit`.

mod audit;
mod create;
mod keys;
mod roles;
mod signin;
mod users;

pub use audit::{AuditFilter, audit_log, audit_search};
pub use create::{create_citizen, create_operator, register_citizen};
pub use keys::{create_api_key, list_api_keys, revoke_api_key};
pub use roles::{
    create_role, ensure_all_builtin_roles, ensure_builtin_roles, list_roles, permissions,
    update_role,
};
pub use signin::{NewSession, login, logout, logout_everywhere, me};
pub use users::{create_user, get_user, list_users, sign_in_locks, unlock_user, update_user};
