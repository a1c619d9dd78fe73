//! The files of a bundle and their shapes. Unknown keys are rejected, with
//! the file and line in the message.

use crate::model::{Attribute, Branding, Publication};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::path::Path;

pub const TENANT_FILE: &str = "tenant.toml";
pub const DEPARTMENTS_FILE: &str = "departments.toml";
pub const CATEGORIES_FILE: &str = "categories.toml";
pub const CALENDAR_FILE: &str = "calendar.toml";

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TenantFile {
    pub slug: String,
    pub name: String,
    pub locale: String,
    pub time_zone: String,
    #[serde(default)]
    pub hosts: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weekend: Option<Vec<String>>,
    pub branding: Branding,
    /// The city's own mail texts (`[mail]`): `overdue_subject = "…"`, …;
    /// absent keys use the platform's words in the city's language.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub mail: std::collections::BTreeMap<String, String>,
    /// What the city publishes and how (`[publication]`); absent keys (or
    /// an absent section) take the defaults.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub publication: Option<Publication>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DepartmentsFile {
    #[serde(default)]
    pub department: Vec<DepartmentEntry>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DepartmentEntry {
    pub code: String,
    pub name: String,
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub active: bool,
}

impl DepartmentEntry {
    /// A department as a bundle lists it: its parent by code (`codes`
    /// maps the city's department ids to their codes).
    pub fn of(
        d: &crate::model::Department,
        codes: &std::collections::HashMap<uuid::Uuid, String>,
    ) -> Self {
        Self {
            code: d.code.clone(),
            name: d.name.clone(),
            kind: d.kind.clone(),
            parent: d.parent_id.and_then(|p| codes.get(&p).cloned()),
            phone: d.phone.clone(),
            email: d.email.clone(),
            address: d.address.clone(),
            description: d.description.clone(),
            active: d.active,
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CategoriesFile {
    #[serde(default)]
    pub category: Vec<CategoryEntry>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CategoryEntry {
    pub code: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keywords: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_department: Option<String>,
    #[serde(default = "one")]
    pub accept_days: i32,
    pub answer_days: i32,
    #[serde(default = "yes")]
    pub public_by_default: bool,
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub active: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attribute: Vec<Attribute>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalendarFile {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub holiday: Vec<DayEntry>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub workday: Vec<DayEntry>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DayEntry {
    pub date: NaiveDate,
    pub name: String,
}

impl CalendarFile {
    pub fn len(&self) -> usize {
        self.holiday.len() + self.workday.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn yes() -> bool {
    true
}

fn one() -> i32 {
    1
}

fn is_true(value: &bool) -> bool {
    *value
}

/// A whole bundle, read from or written to a folder.
#[derive(Clone, Debug, PartialEq)]
pub struct Bundle {
    pub tenant: TenantFile,
    pub departments: DepartmentsFile,
    pub categories: CategoriesFile,
    pub calendar: CalendarFile,
}

impl Bundle {
    /// Read a bundle folder. `tenant.toml` is required; the other files are
    /// optional (an absent file means an empty list).
    pub fn read(dir: &Path) -> anyhow::Result<Self> {
        if !dir.join(TENANT_FILE).is_file() {
            anyhow::bail!(
                "{} has no {TENANT_FILE}: is it a tenant bundle folder?",
                dir.display()
            );
        }
        Ok(Self {
            tenant: read_file(dir, TENANT_FILE)?
                .ok_or_else(|| anyhow::anyhow!("{} has no {TENANT_FILE}", dir.display()))?,
            departments: read_departments(dir)?,
            categories: read_file(dir, CATEGORIES_FILE)?.unwrap_or_default(),
            calendar: read_file(dir, CALENDAR_FILE)?.unwrap_or_default(),
        })
    }

    /// A bundle from the texts of its files, as a form sends them: an
    /// empty text is an absent file; `tenant.toml` is required.
    pub fn parse(
        tenant: &str,
        departments: &str,
        categories: &str,
        calendar: &str,
    ) -> Result<Self, minsheng_domain::Error> {
        let mut p = minsheng_domain::error::Problems::new();
        let tenant = match parse_text::<TenantFile>(TENANT_FILE, tenant) {
            Ok(Some(t)) => Some(t),
            Ok(None) => {
                p.push(TENANT_FILE, "give the city's tenant.toml");
                None
            }
            Err(e) => {
                p.extend([e]);
                None
            }
        };
        let departments: Option<DepartmentsFile> = optional(&mut p, DEPARTMENTS_FILE, departments);
        let categories: Option<CategoriesFile> = optional(&mut p, CATEGORIES_FILE, categories);
        let calendar: Option<CalendarFile> = optional(&mut p, CALENDAR_FILE, calendar);
        p.finish()?;
        let tenant = tenant
            .ok_or_else(|| minsheng_domain::Error::internal("checked tenant.toml missing"))?;
        Ok(Self {
            tenant,
            departments: departments.unwrap_or_default(),
            categories: categories.unwrap_or_default(),
            calendar: calendar.unwrap_or_default(),
        })
    }

    /// Write the bundle's four files into `dir`, creating it if needed.
    pub fn write(&self, dir: &Path) -> anyhow::Result<()> {
        std::fs::create_dir_all(dir)
            .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", dir.display()))?;
        for (name, text) in self.files()? {
            let path = dir.join(name);
            std::fs::write(&path, text)
                .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
        }
        Ok(())
    }

    /// The bundle's four files, by name, as `write` writes them.
    pub fn files(&self) -> anyhow::Result<Vec<(&'static str, String)>> {
        Ok(vec![
            (TENANT_FILE, file_text(TENANT_FILE, &self.tenant)?),
            (
                DEPARTMENTS_FILE,
                file_text(DEPARTMENTS_FILE, &self.departments)?,
            ),
            (
                CATEGORIES_FILE,
                file_text(CATEGORIES_FILE, &self.categories)?,
            ),
            (CALENDAR_FILE, file_text(CALENDAR_FILE, &self.calendar)?),
        ])
    }
}

/// `departments.toml`, or the same tree as `departments.csv` (the
/// console's export); not both.
fn read_departments(dir: &Path) -> anyhow::Result<DepartmentsFile> {
    use super::departments_csv::{self, DEPARTMENTS_CSV};
    let path = dir.join(DEPARTMENTS_CSV);
    let bytes = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(read_file(dir, DEPARTMENTS_FILE)?.unwrap_or_default());
        }
        Err(e) => anyhow::bail!("cannot read {}: {e}", path.display()),
    };
    if dir.join(DEPARTMENTS_FILE).exists() {
        anyhow::bail!(
            "{} has both {DEPARTMENTS_FILE} and {DEPARTMENTS_CSV}: keep one",
            dir.display()
        );
    }
    let text =
        super::csv::decode(&bytes).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    let rows =
        departments_csv::parse(text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    Ok(DepartmentsFile {
        department: rows.into_iter().map(|(_, d)| d).collect(),
    })
}

fn read_file<T: serde::de::DeserializeOwned>(dir: &Path, name: &str) -> anyhow::Result<Option<T>> {
    let path = dir.join(name);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => anyhow::bail!("cannot read {}: {e}", path.display()),
    };
    toml::from_str(&text)
        .map(Some)
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

/// An optional file's text, its error recorded.
fn optional<T: serde::de::DeserializeOwned>(
    p: &mut minsheng_domain::error::Problems,
    name: &str,
    text: &str,
) -> Option<T> {
    match parse_text(name, text) {
        Ok(found) => found,
        Err(e) => {
            p.extend([e]);
            None
        }
    }
}

/// One file's text: `None` when empty, the TOML error (with its line)
/// naming the file when it does not parse.
fn parse_text<T: serde::de::DeserializeOwned>(
    name: &str,
    text: &str,
) -> Result<Option<T>, minsheng_domain::error::FieldError> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    toml::from_str(text)
        .map(Some)
        .map_err(|e| minsheng_domain::error::FieldError::new(name, e.to_string()))
}

/// One file of a bundle: its TOML under a line that says what it is.
fn file_text<T: Serialize>(name: &str, value: &T) -> anyhow::Result<String> {
    let text =
        toml::to_string_pretty(value).map_err(|e| anyhow::anyhow!("cannot write {name}: {e}"))?;
    let header = "# Minsheng tenant bundle; apply with `minsheng tenant apply <folder>`.\n";
    Ok(format!("{header}{text}"))
}
