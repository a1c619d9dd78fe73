//! Exporting a city as a bundle that `apply` accepts and that re-applies
//! without changes.

use super::format::{
    Bundle, CalendarFile, CategoriesFile, CategoryEntry, DayEntry, DepartmentEntry,
    DepartmentsFile, TenantFile,
};
use crate::services::DbResultExt;
use crate::services::{calendar, categories, departments, tenants};
use minsheng_domain::Error;
use minsheng_store::{Scope, Store};
use std::collections::HashMap;

pub async fn export(store: &Store, slug: &str) -> Result<Bundle, Error> {
    let tx = store.read(Scope::Platform).await.or_internal()?;
    let db = &tx;
    let tenant = tenants::get(db, slug).await?;
    let record = tenants::find(db, slug).await?;
    let depts = departments::list(db, record.id, true).await?;
    let codes: HashMap<_, _> = depts.iter().map(|d| (d.id, d.code.clone())).collect();
    let mut branding = tenant.branding.clone();
    branding.site_title = Some(record.site_title().to_owned()).filter(|t| *t != tenant.name);
    let weekend = Some(tenant.weekend.clone()).filter(|w| *w != ["sat", "sun"]);
    let department = depts
        .iter()
        .map(|d| DepartmentEntry::of(d, &codes))
        .collect();
    let category = categories::list(db, record.id, true)
        .await?
        .into_iter()
        .map(|c| CategoryEntry {
            code: c.code,
            name: c.name,
            group: c.group,
            description: c.description,
            keywords: c.keywords,
            default_department: c.default_department_id.and_then(|d| codes.get(&d).cloned()),
            accept_days: c.accept_days,
            answer_days: c.answer_days,
            public_by_default: c.public_by_default,
            active: c.active,
            attribute: c.attributes,
        })
        .collect();
    let days = calendar::get(db, &record).await?.days;
    let (holidays, workdays): (Vec<_>, Vec<_>) =
        days.into_iter().partition(|d| d.kind == calendar::HOLIDAY);
    let entry = |d: crate::model::CalendarDay| DayEntry {
        date: d.date,
        name: d.name,
    };
    Ok(Bundle {
        tenant: TenantFile {
            slug: tenant.slug,
            name: tenant.name,
            locale: tenant.locale,
            time_zone: tenant.time_zone,
            hosts: tenant.hosts,
            weekend,
            branding,
            mail: record
                .row
                .mail_templates
                .as_ref()
                .and_then(|m| serde_json::from_value(m.clone()).ok())
                .unwrap_or_default(),
            // Stored only when not the defaults.
            publication: record
                .row
                .publication
                .is_some()
                .then(|| record.publication()),
        },
        departments: DepartmentsFile { department },
        categories: CategoriesFile { category },
        calendar: CalendarFile {
            holiday: holidays.into_iter().map(entry).collect(),
            workday: workdays.into_iter().map(entry).collect(),
        },
    })
}
