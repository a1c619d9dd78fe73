//! Who a request acts for.

use minsheng_domain::ids::{ApiKeyId, DepartmentId, TenantId, UserId};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Principal {
    /// No credentials.
    Anonymous,
    /// Runs the deployment; belongs to no city.
    Operator { user: UserId, username: String },
    /// Works for one city, in one or more departments.
    Staff {
        user: UserId,
        username: String,
        tenant: TenantId,
        departments: Vec<DepartmentId>,
    },
    /// A resident with an account in one city.
    Citizen {
        user: UserId,
        username: String,
        tenant: TenantId,
    },
    /// An integration with a city's API key, limited to its scopes.
    ApiClient {
        key: ApiKeyId,
        name: String,
        tenant: TenantId,
        scopes: Vec<String>,
    },
}

impl Principal {
    /// The city the principal belongs to, if any.
    pub fn tenant(&self) -> Option<TenantId> {
        match self {
            Self::Staff { tenant, .. }
            | Self::Citizen { tenant, .. }
            | Self::ApiClient { tenant, .. } => Some(*tenant),
            Self::Anonymous | Self::Operator { .. } => None,
        }
    }

    /// How the audit log names the principal.
    pub fn label(&self) -> String {
        match self {
            Self::Anonymous => "anonymous".into(),
            Self::Operator { username, .. } => format!("operator:{username}"),
            Self::Staff { username, .. } => format!("staff:{username}"),
            Self::Citizen { username, .. } => format!("citizen:{username}"),
            Self::ApiClient { name, .. } => format!("apikey:{name}"),
        }
    }
}
