//! Typed ids. Every row id is a UUIDv7 (time-ordered, so inserts stay local in
//! B-tree indexes); each table gets its own id type so ids cannot be mixed up.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

macro_rules! typed_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// A new time-ordered id.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }
            pub const fn from_uuid(uuid: Uuid) -> Self {
                Self(uuid)
            }
            pub const fn into_uuid(self) -> Uuid {
                self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl From<Uuid> for $name {
            fn from(uuid: Uuid) -> Self {
                Self(uuid)
            }
        }

        impl From<$name> for Uuid {
            fn from(id: $name) -> Uuid {
                id.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }
    };
}

typed_id!(
    /// A city (tenant).
    TenantId
);
typed_id!(
    /// A host name that serves one city.
    TenantHostId
);
typed_id!(
    /// A department in a city's directory.
    DepartmentId
);
typed_id!(
    /// A case category (an Open311 service).
    CategoryId
);
typed_id!(
    /// A listed day of a city's working-day calendar.
    CalendarDayId
);

typed_id!(
    /// A person who signs in: a platform operator, a city's staff member or a
    /// citizen with an account.
    UserId
);
typed_id!(
    /// An API key of a city.
    ApiKeyId
);
typed_id!(
    /// A role of a city.
    RoleId
);
typed_id!(
    /// An entry of the audit log.
    AuditEventId
);
typed_id!(
    /// A citizen's case (petition).
    CaseId
);
typed_id!(
    /// An entry of a case's timeline.
    CaseEventId
);
typed_id!(
    /// A campaign (惠民工程) of a city.
    CampaignId
);
typed_id!(
    /// A working group of departments in a campaign.
    CampaignGroupId
);
typed_id!(
    /// A cluster of merged suggestions.
    ClusterId
);
typed_id!(
    /// A project chosen in a campaign.
    ProjectId
);
typed_id!(
    /// A milestone of a project.
    MilestoneId
);
typed_id!(
    /// A source of a project (a cluster or a suggestion).
    ProjectSourceId
);

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_version_7_and_increase() {
        let a = DepartmentId::new();
        let b = DepartmentId::new();
        assert_eq!(a.into_uuid().get_version_num(), 7);
        assert!(a < b, "v7 ids sort by creation time");
        assert_eq!(a.to_string().parse::<DepartmentId>().unwrap(), a);
    }
}
