//! The permission catalogue and the built-in roles of every city.
//!
//! A permission is `resource:action`. Roles are sets of permissions, granted
//! per city; casbin checks them with the city as the domain. Platform
//! operators stand outside cities and are not checked against roles.

/// Every permission a role can hold, with what it allows.
pub const CATALOGUE: &[(&str, &str)] = &[
    ("tenant:read", "see the city's settings and host names"),
    (
        "tenant:write",
        "change the city's name, language, time zone and branding",
    ),
    (
        "department:write",
        "add and change departments (department admins: only their own)",
    ),
    ("category:write", "add and change categories"),
    ("calendar:write", "list holidays and make-up working days"),
    (
        "user:read",
        "see staff accounts (department admins: only their departments' staff)",
    ),
    (
        "user:write",
        "create staff accounts, reset passwords, assign roles and departments",
    ),
    ("role:read", "see roles and their permissions"),
    ("role:write", "define custom roles"),
    (
        "apikey:read",
        "see the city's API keys (never their secrets)",
    ),
    ("apikey:write", "create and revoke API keys"),
    ("audit:read", "read the city's security audit log"),
    (
        "case:read",
        "see non-public case data (department staff: only their departments' cases)",
    ),
    ("case:accept", "accept or reject incoming cases"),
    ("case:assign", "assign, transfer and return cases"),
    ("case:answer", "answer cases and add internal notes"),
    (
        "case:supervise",
        "supervise (督办) overdue cases and decide extensions",
    ),
    (
        "plugin:write",
        "upload, configure, order, enable and disable rule plugins",
    ),
    (
        "campaign:write",
        "run campaigns: phases, working groups, projects, progress and milestones",
    ),
    (
        "campaign:answer",
        "answer, publish and merge a campaign's suggestions (department staff: their working groups')",
    ),
];

pub fn is_permission(name: &str) -> bool {
    CATALOGUE.iter().any(|(p, _)| *p == name)
}

/// A role every city has; its permissions cannot be edited.
pub struct BuiltinRole {
    pub code: &'static str,
    pub name_en: &'static str,
    pub name_zh: &'static str,
    pub permissions: &'static [&'static str],
}

pub const CITY_ADMIN: &str = "city-admin";
pub const DEPARTMENT_ADMIN: &str = "department-admin";

pub const BUILTIN_ROLES: &[BuiltinRole] = &[
    BuiltinRole {
        code: CITY_ADMIN,
        name_en: "City administrator",
        name_zh: "市级管理员",
        permissions: &[
            "tenant:read",
            "tenant:write",
            "department:write",
            "category:write",
            "calendar:write",
            "user:read",
            "user:write",
            "role:read",
            "role:write",
            "apikey:read",
            "apikey:write",
            "audit:read",
            "case:read",
            "case:accept",
            "case:assign",
            "case:answer",
            "case:supervise",
            "plugin:write",
            "campaign:write",
            "campaign:answer",
        ],
    },
    BuiltinRole {
        code: "dispatcher",
        name_en: "Dispatcher",
        name_zh: "分拨员",
        permissions: &[
            "tenant:read",
            "user:read",
            "case:read",
            "case:accept",
            "case:assign",
        ],
    },
    BuiltinRole {
        code: "supervisor",
        name_en: "Supervisor (督办)",
        name_zh: "督办员",
        permissions: &["tenant:read", "user:read", "case:read", "case:supervise"],
    },
    BuiltinRole {
        code: DEPARTMENT_ADMIN,
        name_en: "Department administrator",
        name_zh: "部门管理员",
        permissions: &[
            "tenant:read",
            "department:write",
            "user:read",
            "case:read",
            "case:answer",
            "campaign:answer",
        ],
    },
    BuiltinRole {
        code: "department-staff",
        name_en: "Department staff",
        name_zh: "部门工作人员",
        permissions: &["tenant:read", "case:read", "case:answer", "campaign:answer"],
    },
    BuiltinRole {
        code: "auditor",
        name_en: "Auditor (read-only)",
        name_zh: "审计员（只读）",
        permissions: &[
            "tenant:read",
            "user:read",
            "role:read",
            "apikey:read",
            "audit:read",
            "case:read",
        ],
    },
];

pub fn builtin_role(code: &str) -> Option<&'static BuiltinRole> {
    BUILTIN_ROLES.iter().find(|r| r.code == code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_roles_use_only_catalogue_permissions() {
        for role in BUILTIN_ROLES {
            for p in role.permissions {
                assert!(is_permission(p), "{} has unknown permission {p}", role.code);
            }
        }
        let admin = builtin_role(CITY_ADMIN).map(|r| r.permissions.len());
        assert_eq!(
            admin,
            Some(CATALOGUE.len()),
            "the city admin holds every permission"
        );
        let auditor = builtin_role("auditor")
            .map(|r| r.permissions.to_vec())
            .unwrap_or_default();
        assert!(
            auditor.iter().all(|p| p.ends_with(":read")),
            "the auditor only reads"
        );
    }
}
