//! A city's directory: its departments, and the categories citizens file
//! under with their extra questions.

use chrono::{DateTime, Utc};
use poem_openapi::Object;
use poem_openapi::types::MaybeUndefined;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A new department.
#[derive(Clone, Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct DepartmentInput {
    /// Unique in the city: 1 to 64 of `a-z`, `0-9`, `-`, `_`.
    pub code: String,
    pub name: String,
    /// government, district, street, enterprise, institution or other.
    pub kind: String,
    /// The parent department, in the same city.
    pub parent_id: Option<Uuid>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub address: Option<String>,
    pub description: Option<String>,
    /// Position in listings (lower first); default 0.
    pub sort_order: Option<i32>,
    /// Default true.
    pub active: Option<bool>,
}

/// Changes to a department; absent fields stay as they are, `null` clears.
#[derive(Clone, Debug, Default, Object)]
#[oai(deny_unknown_fields)]
pub struct DepartmentPatch {
    pub code: Option<String>,
    pub name: Option<String>,
    pub kind: Option<String>,
    pub parent_id: MaybeUndefined<Uuid>,
    pub phone: MaybeUndefined<String>,
    pub email: MaybeUndefined<String>,
    pub address: MaybeUndefined<String>,
    pub description: MaybeUndefined<String>,
    pub sort_order: Option<i32>,
    /// `false` deactivates the department: it disappears from the directory
    /// and cannot be chosen for new work; its history stays.
    pub active: Option<bool>,
}

#[derive(Clone, Debug, PartialEq, Eq, Object, Serialize)]
pub struct Department {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub kind: String,
    pub parent_id: Option<Uuid>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub address: Option<String>,
    pub description: Option<String>,
    pub sort_order: i32,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// One allowed value of a list attribute.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Object)]
#[serde(deny_unknown_fields)]
#[oai(deny_unknown_fields)]
pub struct AttributeValue {
    pub key: String,
    pub name: String,
}

/// An extra question a category asks (an Open311 service attribute).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Object)]
#[serde(deny_unknown_fields)]
#[oai(deny_unknown_fields)]
pub struct Attribute {
    pub code: String,
    /// The question shown to the citizen.
    pub description: String,
    /// string, number, datetime, text, singlevaluelist or multivaluelist.
    pub datatype: String,
    #[serde(default)]
    #[oai(default)]
    pub required: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub datatype_description: Option<String>,
    /// Required for the list datatypes, absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub values: Option<Vec<AttributeValue>>,
}

/// A new category.
#[derive(Clone, Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct CategoryInput {
    /// Unique in the city; the Open311 `service_code`.
    pub code: String,
    pub name: String,
    pub group: Option<String>,
    pub description: Option<String>,
    pub keywords: Option<Vec<String>>,
    /// The department new cases go to unless a rule decides otherwise.
    pub default_department_id: Option<Uuid>,
    /// Working days to accept (受理) a case, 0 to 30; default 1.
    pub accept_days: Option<i32>,
    /// Working days to answer (答复) a case, 1 to 120.
    pub answer_days: i32,
    /// Whether cases are public unless the citizen asks otherwise; default true.
    pub public_by_default: Option<bool>,
    pub attributes: Option<Vec<Attribute>>,
    pub sort_order: Option<i32>,
    pub active: Option<bool>,
}

/// Changes to a category; absent fields stay as they are, `null` clears.
#[derive(Clone, Debug, Default, Object)]
#[oai(deny_unknown_fields)]
pub struct CategoryPatch {
    pub code: Option<String>,
    pub name: Option<String>,
    pub group: MaybeUndefined<String>,
    pub description: MaybeUndefined<String>,
    pub keywords: Option<Vec<String>>,
    pub default_department_id: MaybeUndefined<Uuid>,
    pub accept_days: Option<i32>,
    pub answer_days: Option<i32>,
    pub public_by_default: Option<bool>,
    pub attributes: Option<Vec<Attribute>>,
    pub sort_order: Option<i32>,
    pub active: Option<bool>,
}

#[derive(Clone, Debug, PartialEq, Eq, Object, Serialize)]
pub struct Category {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub group: Option<String>,
    pub description: Option<String>,
    pub keywords: Vec<String>,
    pub default_department_id: Option<Uuid>,
    pub accept_days: i32,
    pub answer_days: i32,
    pub public_by_default: bool,
    pub attributes: Vec<Attribute>,
    pub sort_order: i32,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}
