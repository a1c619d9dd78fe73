//! The department tree read from a CSV file (the console's import): each
//! row creates a department or updates the one with its code, in one
//! transaction, through the same checks as a single change. Departments the
//! file does not list stay as they are; nothing is deleted.

use super::DbResultExt;
use super::departments::{self, DepartmentDraft};
use super::tenants::TenantRecord;
use crate::access::Ctx;
use crate::bundle::apply::department_order;
use crate::bundle::format::DepartmentEntry;
use crate::model::Department;
use minsheng_domain::Error;
use minsheng_domain::error::FieldError;
use minsheng_store::entity::department;
use minsheng_store::queries::directory as q;
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

/// What an import did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Imported {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
}

/// The city's whole tree, parents before their children, as the rows of
/// the CSV file (and of a bundle's department file).
pub async fn export_by(ctx: &Ctx, tenant: &TenantRecord) -> Result<Vec<DepartmentEntry>, Error> {
    ctx.authorize(tenant, "department:write").await?;
    let all = super::directory::departments(ctx, tenant, true).await?;
    let codes: HashMap<Uuid, String> = all.iter().map(|d| (d.id, d.code.clone())).collect();
    Ok(in_tree_order(&all)
        .into_iter()
        .map(|d| DepartmentEntry::of(d, &codes))
        .collect())
}

/// Departments depth first, each parent before its children, siblings by
/// their order then code, with their depth.
pub fn tree_with_depth(all: &[Department]) -> Vec<(usize, &Department)> {
    let ids: HashSet<Uuid> = all.iter().map(|d| d.id).collect();
    let mut children: HashMap<Option<Uuid>, Vec<&Department>> = HashMap::new();
    for d in all {
        let parent = d.parent_id.filter(|p| ids.contains(p));
        children.entry(parent).or_default().push(d);
    }
    for list in children.values_mut() {
        list.sort_by(|a, b| (a.sort_order, &a.code).cmp(&(b.sort_order, &b.code)));
    }
    let mut out = Vec::with_capacity(all.len());
    let mut stack: Vec<(usize, &Department)> = children
        .get(&None)
        .map(|l| l.iter().rev().map(|d| (0, *d)).collect())
        .unwrap_or_default();
    let mut seen = HashSet::new();
    while let Some((depth, d)) = stack.pop() {
        if !seen.insert(d.id) {
            continue;
        }
        out.push((depth, d));
        if let Some(list) = children.get(&Some(d.id)) {
            stack.extend(list.iter().rev().map(|c| (depth + 1, *c)));
        }
    }
    out
}

fn in_tree_order(all: &[Department]) -> Vec<&Department> {
    tree_with_depth(all).into_iter().map(|(_, d)| d).collect()
}

/// Import `rows` (each with its line in the file). Only those who may
/// change every department of the city may import.
pub async fn import_by(
    ctx: &Ctx,
    tenant: &TenantRecord,
    rows: &[(usize, DepartmentEntry)],
) -> Result<Imported, Error> {
    ctx.authorize(tenant, "department:write").await?;
    if ctx
        .department_scope(tenant, "department:write")
        .await
        .is_some()
    {
        return Err(Error::Forbidden(
            "only those who may change every department of the city may import the tree".into(),
        ));
    }
    if rows.is_empty() {
        return Err(Error::invalid("file", "the file lists no department"));
    }
    let tx = ctx.tx(tenant.id).await?;
    let existing: HashMap<String, department::Model> =
        q::list::<department::Entity>(&tx, tenant.id.into_uuid(), true)
            .await
            .or_internal()?
            .into_iter()
            .map(|d| (d.code.clone(), d))
            .collect();
    check_rows(rows, &existing)?;
    let entries: Vec<DepartmentEntry> = rows.iter().map(|(_, e)| e.clone()).collect();
    let order = department_order(&entries).ok_or_else(|| {
        Error::invalid(
            "file",
            "the parents form a cycle: departments must form a tree",
        )
    })?;
    let mut ids: HashMap<String, Uuid> = existing.iter().map(|(c, d)| (c.clone(), d.id)).collect();
    let mut done = Imported::default();
    for i in order {
        let (line, d) = &rows[i];
        let at = |e: Error| on_line(e, *line);
        let draft = DepartmentDraft::of_entry(d, &ids, *line);
        // Read again: an earlier row may have changed it (its parent).
        let current = q::by_code::<department::Entity>(&tx, tenant.id.into_uuid(), &d.code)
            .await
            .or_internal()?;
        match current {
            Some(row) => {
                // The file's order places new departments; existing ones
                // keep theirs, so a file exported and imported back changes
                // nothing.
                let draft = DepartmentDraft {
                    sort_order: row.sort_order,
                    ..draft
                };
                let (_, changed) = departments::save(&tx, tenant.id, row, &draft)
                    .await
                    .map_err(at)?;
                if changed {
                    done.updated += 1;
                } else {
                    done.unchanged += 1;
                }
            }
            None => {
                let created = departments::create(&tx, tenant.id, draft)
                    .await
                    .map_err(at)?;
                ids.insert(created.code, created.id);
                done.created += 1;
            }
        }
    }
    let done = super::commit(tx, done).await?;
    ctx.app.calendars.forget(tenant.id);
    ctx.audit(
        Some(tenant.id),
        "department_import",
        &format!(
            "departments: {} created, {} updated, {} unchanged",
            done.created, done.updated, done.unchanged
        ),
        "ok",
    )
    .await;
    Ok(done)
}

/// Every row's code once, every parent in the file or the city.
fn check_rows(
    rows: &[(usize, DepartmentEntry)],
    existing: &HashMap<String, department::Model>,
) -> Result<(), Error> {
    let mut problems = Vec::new();
    let mut first: HashMap<&str, usize> = HashMap::new();
    for (line, d) in rows {
        if let Some(earlier) = first.insert(d.code.as_str(), *line) {
            problems.push(FieldError::new(
                format!("line {line}: code"),
                format!("{:?} is also on line {earlier}", d.code),
            ));
        }
    }
    for (line, d) in rows {
        if let Some(parent) = &d.parent
            && !first.contains_key(parent.as_str())
            && !existing.contains_key(parent)
        {
            problems.push(FieldError::new(
                format!("line {line}: parent"),
                format!("no department {parent:?} in the file or the city"),
            ));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(Error::Invalid(problems))
    }
}

/// Name the file's line in a row's problems.
fn on_line(error: Error, line: usize) -> Error {
    let name = |field: &str| match field {
        "" => format!("line {line}"),
        "parent_id" => format!("line {line}: parent"),
        f => format!("line {line}: {f}"),
    };
    match error {
        Error::Invalid(list) => Error::Invalid(
            list.into_iter()
                .map(|e| FieldError::new(name(&e.field), e.message))
                .collect(),
        ),
        Error::Conflict { field, message } => Error::Conflict {
            field: Some(name(field.as_deref().unwrap_or_default())),
            message: format!("line {line}: {message}"),
        },
        other => other,
    }
}
