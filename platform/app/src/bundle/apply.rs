//! Applying a bundle: the city ends up exactly as the bundle says, in one
//! transaction. Applying the same bundle twice changes nothing. Rows the
//! bundle no longer lists are deactivated, never deleted, because cases refer
//! to them; host names and calendar days are not referred to, so they are
//! removed.

use super::format::{Bundle, CategoryEntry, DepartmentEntry};
use crate::model::{CalendarDayInput, HostInput, TenantInput};
use crate::services::categories::{self, CategoryDraft};
use crate::services::departments::{self, DepartmentDraft};
use crate::services::{DbResultExt, calendar, tenants};
use chrono::Utc;
use minsheng_domain::Error;
use minsheng_domain::error::{FieldError, Problems};
use minsheng_domain::ids::TenantId;
use minsheng_domain::values::HostName;
use minsheng_store::entity::{category, department, tenant};
use minsheng_store::queries;
use minsheng_store::{DatabaseTransaction, Scope, Store};
use sea_orm::ActiveModelTrait;
use sea_orm::ActiveValue::Set;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::fmt;
use uuid::Uuid;

/// How many rows of one kind an apply created, changed or deactivated.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub created: usize,
    pub updated: usize,
    pub removed: usize,
    pub unchanged: usize,
}

impl Counts {
    fn record(&mut self, created: bool, changed: bool) {
        match (created, changed) {
            (true, _) => self.created += 1,
            (false, true) => self.updated += 1,
            (false, false) => self.unchanged += 1,
        }
    }

    pub fn changed(&self) -> bool {
        self.created + self.updated + self.removed > 0
    }
}

/// What an apply did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ApplyReport {
    pub slug: String,
    pub tenant: Counts,
    pub hosts: Counts,
    pub departments: Counts,
    pub categories: Counts,
    pub calendar: Counts,
}

impl ApplyReport {
    pub fn changed(&self) -> bool {
        [
            self.tenant,
            self.hosts,
            self.departments,
            self.categories,
            self.calendar,
        ]
        .iter()
        .any(Counts::changed)
    }
}

impl fmt::Display for ApplyReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "city {}:", self.slug)?;
        for (name, c, removed) in [
            ("tenant", self.tenant, "-"),
            ("hosts", self.hosts, "removed"),
            ("departments", self.departments, "deactivated"),
            ("categories", self.categories, "deactivated"),
            ("calendar days", self.calendar, "removed"),
        ] {
            write!(
                f,
                "  {name:<14} {} created, {} updated, ",
                c.created, c.updated
            )?;
            if removed != "-" {
                write!(f, "{} {removed}, ", c.removed)?;
            }
            writeln!(f, "{} unchanged", c.unchanged)?;
        }
        if !self.changed() {
            writeln!(f, "  nothing changed")?;
        }
        Ok(())
    }
}

/// Apply `bundle`; with `dry_run` everything is checked and counted, then
/// rolled back.
pub async fn apply(store: &Store, bundle: &Bundle, dry_run: bool) -> Result<ApplyReport, Error> {
    check_bundle(bundle)?;
    let tx = store.begin(Scope::Platform).await.or_internal()?;
    let report = apply_in(&tx, bundle).await?;
    if dry_run {
        tx.rollback().await.or_internal()?;
    } else {
        tx.commit().await.or_internal()?;
    }
    Ok(report)
}

/// Create a city from a bundle (the operators' console): operators only;
/// a city with the bundle's slug is refused (`tenant apply` changes one).
pub async fn create_by(ctx: &crate::access::Ctx, bundle: &Bundle) -> Result<ApplyReport, Error> {
    ctx.require_operator()?;
    let slug = bundle.tenant.slug.as_str();
    match crate::services::tenants::find(ctx.db(), slug).await {
        Ok(_) => {
            return Err(Error::conflict(
                "tenant.toml: slug",
                format!("a city with slug {slug:?} already exists"),
            ));
        }
        Err(Error::NotFound(_)) => {}
        Err(e) => return Err(e),
    }
    let report = apply(&ctx.app.store, bundle, false).await?;
    ctx.app.policy.reload().await.map_err(Error::internal)?;
    ctx.app.tenants.forget(slug);
    let created = crate::services::tenants::find(ctx.db(), slug).await?;
    ctx.audit(
        Some(created.id),
        "tenant_create",
        &format!("tenant:{slug} bundle"),
        "ok",
    )
    .await;
    Ok(report)
}

/// Checks that need the whole bundle: unique codes, known references, a tree.
fn check_bundle(bundle: &Bundle) -> Result<(), Error> {
    let mut p = Problems::new();
    let mut codes = HashSet::new();
    for (i, d) in bundle.departments.department.iter().enumerate() {
        if !codes.insert(d.code.as_str()) {
            p.push(
                format!("departments.toml: department[{i}].code"),
                format!("{:?} is listed twice", d.code),
            );
        }
    }
    for (i, d) in bundle.departments.department.iter().enumerate() {
        if let Some(parent) = &d.parent
            && !codes.contains(parent.as_str())
        {
            p.push(
                format!("departments.toml: department[{i}].parent"),
                format!("no department {parent:?} in this bundle"),
            );
        }
    }
    if p.is_empty() && department_order(&bundle.departments.department).is_none() {
        p.push(
            "departments.toml",
            "the parents form a cycle: departments must form a tree",
        );
    }
    let mut category_codes = HashSet::new();
    for (i, c) in bundle.categories.category.iter().enumerate() {
        if !category_codes.insert(c.code.as_str()) {
            p.push(
                format!("categories.toml: category[{i}].code"),
                format!("{:?} is listed twice", c.code),
            );
        }
        if let Some(dept) = &c.default_department
            && !codes.contains(dept.as_str())
        {
            p.push(
                format!("categories.toml: category[{i}].default_department"),
                format!("no department {dept:?} in this bundle"),
            );
        }
    }
    let mut dates = BTreeSet::new();
    for (list, days) in [
        ("holiday", &bundle.calendar.holiday),
        ("workday", &bundle.calendar.workday),
    ] {
        for (i, day) in days.iter().enumerate() {
            if !dates.insert(day.date) {
                p.push(
                    format!("calendar.toml: {list}[{i}].date"),
                    format!("{} is listed twice", day.date),
                );
            }
        }
    }
    let mut hosts = HashSet::new();
    for (i, host) in bundle.tenant.hosts.iter().enumerate() {
        match HostName::parse(host) {
            Ok(h) if !hosts.insert(h.clone()) => p.push(
                format!("tenant.toml: hosts[{i}]"),
                format!("{h} is listed twice"),
            ),
            Ok(_) => {}
            Err(m) => p.push(format!("tenant.toml: hosts[{i}]"), m),
        }
    }
    p.finish()
}

/// Indexes of the departments with every parent before its children; `None`
/// if the parents form a cycle.
pub(crate) fn department_order(entries: &[DepartmentEntry]) -> Option<Vec<usize>> {
    let index: HashMap<&str, usize> = entries
        .iter()
        .enumerate()
        .map(|(i, d)| (d.code.as_str(), i))
        .collect();
    let mut placed = vec![false; entries.len()];
    let mut order = Vec::with_capacity(entries.len());
    while order.len() < entries.len() {
        let before = order.len();
        for (i, d) in entries.iter().enumerate() {
            let parent_placed = match &d.parent {
                None => true,
                Some(p) => index.get(p.as_str()).is_none_or(|&j| placed[j]),
            };
            if !placed[i] && parent_placed {
                placed[i] = true;
                order.push(i);
            }
        }
        if order.len() == before {
            return None;
        }
    }
    Some(order)
}

/// Name the bundle entry in every field error.
fn within(error: Error, prefix: &str) -> Error {
    match error {
        Error::Invalid(list) => {
            Error::Invalid(list.into_iter().map(|e| e.within(prefix)).collect())
        }
        Error::Conflict { field, message } => Error::Conflict {
            field: Some(
                FieldError::new(field.unwrap_or_default(), "")
                    .within(prefix)
                    .field,
            ),
            message,
        },
        other => other,
    }
}

async fn apply_in(tx: &DatabaseTransaction, bundle: &Bundle) -> Result<ApplyReport, Error> {
    let mut report = ApplyReport {
        slug: bundle.tenant.slug.clone(),
        ..Default::default()
    };
    let tenant_id = apply_tenant(tx, bundle, &mut report)
        .await
        .map_err(|e| within(e, "tenant.toml"))?;
    apply_hosts(tx, tenant_id, bundle, &mut report)
        .await
        .map_err(|e| within(e, "tenant.toml: hosts"))?;
    let departments =
        apply_departments(tx, tenant_id, &bundle.departments.department, &mut report).await?;
    apply_categories(
        tx,
        tenant_id,
        &bundle.categories.category,
        &departments,
        &mut report,
    )
    .await?;
    apply_calendar(tx, bundle, &mut report).await?;
    Ok(report)
}

async fn apply_tenant(
    tx: &DatabaseTransaction,
    bundle: &Bundle,
    report: &mut ApplyReport,
) -> Result<TenantId, Error> {
    let t = &bundle.tenant;
    let input = TenantInput {
        slug: t.slug.clone(),
        name: t.name.clone(),
        locale: t.locale.clone(),
        time_zone: t.time_zone.clone(),
        weekend: t.weekend.clone(),
        branding: t.branding.clone(),
        publication: t.publication.clone(),
    };
    let existing = queries::tenants::by_slug(tx, &t.slug).await.or_internal()?;
    let created = existing.is_none();
    let now = Utc::now();
    let mut row: tenant::ActiveModel = match existing {
        Some(row) => row.into(),
        None => tenant::ActiveModel {
            id: Set(TenantId::new().into_uuid()),
            active: Set(true),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        },
    };
    tenants::fill_row(&mut row, &input)?;
    let mail = tenants::check_mail_templates(&t.mail)?;
    let current = match &row.mail_templates {
        sea_orm::ActiveValue::Set(v) | sea_orm::ActiveValue::Unchanged(v) => v.clone(),
        sea_orm::ActiveValue::NotSet => None,
    };
    if current != mail || created {
        row.mail_templates = Set(mail);
    }
    let changed = row.is_changed();
    let row = if created {
        queries::tenants::insert(tx, row).await.or_internal()?
    } else {
        tenants::save_if_changed(tx, row).await?
    };
    report.tenant.record(created, changed);
    let tenant = tenants::TenantRecord::from_row(row)?;
    crate::services::accounts::ensure_builtin_roles(tx, tenant.id, tenant.locale).await?;
    Ok(tenant.id)
}

async fn apply_hosts(
    tx: &DatabaseTransaction,
    tenant_id: TenantId,
    bundle: &Bundle,
    report: &mut ApplyReport,
) -> Result<(), Error> {
    let current = queries::tenants::hosts(tx, tenant_id.into_uuid())
        .await
        .or_internal()?;
    let wanted: HashSet<String> = bundle
        .tenant
        .hosts
        .iter()
        .filter_map(|h| HostName::parse(h).ok().map(HostName::into_string))
        .collect();
    for row in &current {
        if !wanted.contains(&row.host) {
            tenants::remove_host(tx, tenant_id, row.id).await?;
            report.hosts.removed += 1;
        }
    }
    for host in &wanted {
        let known = current.iter().any(|row| &row.host == host);
        if !known {
            tenants::add_host(tx, tenant_id, &HostInput { host: host.clone() }).await?;
        }
        report.hosts.record(!known, false);
    }
    Ok(())
}

async fn apply_departments(
    tx: &DatabaseTransaction,
    tenant: TenantId,
    entries: &[DepartmentEntry],
    report: &mut ApplyReport,
) -> Result<HashMap<String, Uuid>, Error> {
    let mut ids: HashMap<String, Uuid> = HashMap::new();
    let order = department_order(entries).unwrap_or_default();
    for i in order {
        let d = &entries[i];
        let prefix = format!("departments.toml: department[{i}]");
        let draft = DepartmentDraft::of_entry(d, &ids, i);
        let existing =
            queries::directory::by_code::<department::Entity>(tx, tenant.into_uuid(), &d.code)
                .await
                .or_internal()?;
        let id = match existing {
            Some(row) => {
                let (row, changed) = departments::save(tx, tenant, row, &draft)
                    .await
                    .map_err(|e| within(e, &prefix))?;
                report.departments.record(false, changed);
                row.id
            }
            None => {
                let row = departments::create(tx, tenant, draft)
                    .await
                    .map_err(|e| within(e, &prefix))?;
                report.departments.record(true, true);
                row.id
            }
        };
        ids.insert(d.code.clone(), id);
    }
    for row in queries::directory::list::<department::Entity>(tx, tenant.into_uuid(), false)
        .await
        .or_internal()?
    {
        if !ids.contains_key(&row.code) {
            let mut row: department::ActiveModel = row.into();
            let id = row.id.clone().take().unwrap_or_default();
            row.active = Set(false);
            row.updated_at = Set(Utc::now());
            queries::directory::update::<department::Entity, _>(tx, tenant.into_uuid(), id, row)
                .await
                .or_internal()?;
            report.departments.removed += 1;
        }
    }
    Ok(ids)
}

async fn apply_categories(
    tx: &DatabaseTransaction,
    tenant: TenantId,
    entries: &[CategoryEntry],
    departments: &HashMap<String, Uuid>,
    report: &mut ApplyReport,
) -> Result<(), Error> {
    let mut seen = HashSet::new();
    for (i, c) in entries.iter().enumerate() {
        let prefix = format!("categories.toml: category[{i}]");
        let draft = CategoryDraft {
            code: c.code.clone(),
            name: c.name.clone(),
            group: c.group.clone(),
            description: c.description.clone(),
            keywords: c.keywords.clone(),
            default_department_id: c
                .default_department
                .as_ref()
                .and_then(|d| departments.get(d).copied()),
            accept_days: c.accept_days,
            answer_days: c.answer_days,
            public_by_default: c.public_by_default,
            attributes: c.attribute.clone(),
            sort_order: i32::try_from(i).unwrap_or(i32::MAX),
            active: c.active,
        };
        let existing =
            queries::directory::by_code::<category::Entity>(tx, tenant.into_uuid(), &c.code)
                .await
                .or_internal()?;
        match existing {
            Some(row) => {
                let (_, changed) = categories::save(tx, tenant, row, &draft)
                    .await
                    .map_err(|e| within(e, &prefix))?;
                report.categories.record(false, changed);
            }
            None => {
                categories::create(tx, tenant, draft)
                    .await
                    .map_err(|e| within(e, &prefix))?;
                report.categories.record(true, true);
            }
        }
        seen.insert(c.code.clone());
    }
    for row in queries::directory::list::<category::Entity>(tx, tenant.into_uuid(), false)
        .await
        .or_internal()?
    {
        if !seen.contains(&row.code) {
            let id = row.id;
            let mut row: category::ActiveModel = row.into();
            row.active = Set(false);
            row.updated_at = Set(Utc::now());
            queries::directory::update::<category::Entity, _>(tx, tenant.into_uuid(), id, row)
                .await
                .or_internal()?;
            report.categories.removed += 1;
        }
    }
    Ok(())
}

async fn apply_calendar(
    tx: &DatabaseTransaction,
    bundle: &Bundle,
    report: &mut ApplyReport,
) -> Result<(), Error> {
    let tenant = tenants::find(tx, &bundle.tenant.slug).await?;
    let mut wanted = BTreeSet::new();
    for (kind, days) in [
        (calendar::HOLIDAY, &bundle.calendar.holiday),
        (calendar::WORKDAY, &bundle.calendar.workday),
    ] {
        for (i, day) in days.iter().enumerate() {
            let existed = queries::calendar::by_day(tx, tenant.id.into_uuid(), day.date)
                .await
                .or_internal()?
                .is_some();
            let input = CalendarDayInput {
                kind: kind.to_owned(),
                name: day.name.clone(),
            };
            let (_, changed) = calendar::put_day(tx, &tenant, day.date, &input)
                .await
                .map_err(|e| within(e, &format!("calendar.toml: {kind}[{i}]")))?;
            report.calendar.record(!existed, changed);
            wanted.insert(day.date);
        }
    }
    for row in queries::calendar::list(tx, tenant.id.into_uuid())
        .await
        .or_internal()?
    {
        if !wanted.contains(&row.day) {
            calendar::delete_day(tx, &tenant, row.day).await?;
            report.calendar.removed += 1;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dept(code: &str, parent: Option<&str>) -> DepartmentEntry {
        DepartmentEntry {
            code: code.into(),
            name: code.into(),
            kind: "government".into(),
            parent: parent.map(Into::into),
            phone: None,
            email: None,
            address: None,
            description: None,
            active: true,
        }
    }

    #[test]
    fn parents_come_first_and_cycles_are_found() {
        let entries = [dept("c", Some("b")), dept("b", Some("a")), dept("a", None)];
        let order = department_order(&entries).unwrap_or_default();
        let codes: Vec<_> = order.iter().map(|&i| entries[i].code.as_str()).collect();
        assert_eq!(codes, ["a", "b", "c"]);
        let cycle = [dept("a", Some("b")), dept("b", Some("a"))];
        assert_eq!(department_order(&cycle), None);
    }
}
