//! A city's department directory: a tree of units that handle cases.
//! Departments are deactivated, never deleted, because cases refer to them.

use super::DbResultExt;
use crate::access::Ctx;
use crate::model::{Department, DepartmentInput, DepartmentPatch};
use crate::services::tenants::TenantRecord;
use chrono::Utc;
use minsheng_domain::Error;
use minsheng_domain::error::Problems;
use minsheng_domain::ids::{DepartmentId, TenantId};
use minsheng_domain::values::{Code, DepartmentKind, parse_email, parse_optional_text, parse_text};
use minsheng_store::ConnectionTrait;
use minsheng_store::entity::department;
use minsheng_store::queries::directory as q;

type E = department::Entity;
use sea_orm::ActiveValue::Set;
use std::collections::HashMap;
use uuid::Uuid;

/// Every field of a department, as sent; `check` turns it into a row.
#[derive(Clone, Debug)]
pub struct DepartmentDraft {
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
}

impl From<DepartmentInput> for DepartmentDraft {
    fn from(i: DepartmentInput) -> Self {
        Self {
            code: i.code,
            name: i.name,
            kind: i.kind,
            parent_id: i.parent_id,
            phone: i.phone,
            email: i.email,
            address: i.address,
            description: i.description,
            sort_order: i.sort_order.unwrap_or(0),
            active: i.active.unwrap_or(true),
        }
    }
}

impl DepartmentDraft {
    /// A bundle's or file's department, its parent's id from `ids` (codes
    /// to ids), placed at `position`.
    pub fn of_entry(
        d: &crate::bundle::format::DepartmentEntry,
        ids: &HashMap<String, Uuid>,
        position: usize,
    ) -> Self {
        Self {
            code: d.code.clone(),
            name: d.name.clone(),
            kind: d.kind.clone(),
            parent_id: d.parent.as_ref().and_then(|p| ids.get(p).copied()),
            phone: d.phone.clone(),
            email: d.email.clone(),
            address: d.address.clone(),
            description: d.description.clone(),
            sort_order: i32::try_from(position).unwrap_or(i32::MAX),
            active: d.active,
        }
    }

    fn from_row(row: &department::Model) -> Self {
        Self {
            code: row.code.clone(),
            name: row.name.clone(),
            kind: row.kind.clone(),
            parent_id: row.parent_id,
            phone: row.phone.clone(),
            email: row.email.clone(),
            address: row.address.clone(),
            description: row.description.clone(),
            sort_order: row.sort_order,
            active: row.active,
        }
    }

    fn patched(mut self, patch: DepartmentPatch) -> Self {
        if let Some(code) = patch.code {
            self.code = code;
        }
        if let Some(name) = patch.name {
            self.name = name;
        }
        if let Some(kind) = patch.kind {
            self.kind = kind;
        }
        patch.parent_id.update_to(&mut self.parent_id);
        patch.phone.update_to(&mut self.phone);
        patch.email.update_to(&mut self.email);
        patch.address.update_to(&mut self.address);
        patch.description.update_to(&mut self.description);
        if let Some(sort_order) = patch.sort_order {
            self.sort_order = sort_order;
        }
        if let Some(active) = patch.active {
            self.active = active;
        }
        self
    }
}

/// Check a draft against the rules and the city's other departments
/// (`others` maps id to parent id, for the cycle check), and write its values
/// into `row`.
fn check(
    draft: &DepartmentDraft,
    self_id: Uuid,
    others: &HashMap<Uuid, Option<Uuid>>,
    row: &mut department::ActiveModel,
) -> Result<(), Error> {
    let mut p = Problems::new();
    let code = p.check("code", Code::parse(&draft.code));
    let name = p.check("name", parse_text(&draft.name, 1, 100));
    let kind = p.check("kind", DepartmentKind::parse(&draft.kind));
    let phone = p.check("phone", parse_optional_text(draft.phone.as_deref(), 50));
    let email = match draft
        .email
        .as_deref()
        .map(str::trim)
        .filter(|e| !e.is_empty())
    {
        Some(email) => p.check("email", parse_email(email).map(Some)),
        None => Some(None),
    };
    let address = p.check(
        "address",
        parse_optional_text(draft.address.as_deref(), 200),
    );
    let description = p.check(
        "description",
        parse_optional_text(draft.description.as_deref(), 1000),
    );
    if let Some(parent) = draft.parent_id {
        if !others.contains_key(&parent) {
            p.push("parent_id", format!("no department {parent} in this city"));
        } else if creates_cycle(self_id, parent, others) {
            p.push(
                "parent_id",
                "a department cannot be placed under itself or its own sub-unit",
            );
        }
    }
    p.finish()?;
    let (
        Some(code),
        Some(name),
        Some(kind),
        Some(phone),
        Some(email),
        Some(address),
        Some(description),
    ) = (code, name, kind, phone, email, address, description)
    else {
        return Err(Error::internal("checked department fields missing"));
    };
    set_if_changed(&mut row.code, code.into_string());
    set_if_changed(&mut row.name, name);
    set_if_changed(&mut row.kind, kind.as_str().to_owned());
    set_if_changed(&mut row.parent_id, draft.parent_id);
    set_if_changed(&mut row.phone, phone);
    set_if_changed(&mut row.email, email);
    set_if_changed(&mut row.address, address);
    set_if_changed(&mut row.description, description);
    set_if_changed(&mut row.sort_order, draft.sort_order);
    set_if_changed(&mut row.active, draft.active);
    Ok(())
}

/// Set a column only when the value differs, so `is_changed` tells whether a
/// write is needed.
pub(crate) fn set_if_changed<T>(column: &mut sea_orm::ActiveValue<T>, value: T)
where
    T: Into<sea_orm::Value> + PartialEq,
{
    let same = matches!(&*column, sea_orm::ActiveValue::Unchanged(v) | sea_orm::ActiveValue::Set(v) if *v == value);
    if !same {
        *column = Set(value);
    }
}

fn creates_cycle(self_id: Uuid, parent: Uuid, others: &HashMap<Uuid, Option<Uuid>>) -> bool {
    let mut at = Some(parent);
    let mut steps = 0;
    while let Some(id) = at {
        if id == self_id || steps > others.len() {
            return true;
        }
        at = others.get(&id).copied().flatten();
        steps += 1;
    }
    false
}

async fn tree(
    db: &impl ConnectionTrait,
    tenant: TenantId,
) -> Result<HashMap<Uuid, Option<Uuid>>, Error> {
    let rows = q::list::<E>(db, tenant.into_uuid(), true)
        .await
        .or_internal()?;
    Ok(rows.into_iter().map(|r| (r.id, r.parent_id)).collect())
}

/// The city's departments, active or not (for its quota).
pub(crate) async fn count(db: &impl ConnectionTrait, tenant: TenantId) -> Result<u64, Error> {
    Ok(tree(db, tenant).await?.len() as u64)
}

pub(crate) async fn list(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    include_inactive: bool,
) -> Result<Vec<Department>, Error> {
    let rows = q::list::<E>(db, tenant.into_uuid(), include_inactive)
        .await
        .or_internal()?;
    Ok(rows.into_iter().map(to_api).collect())
}

pub(crate) async fn get(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    id: Uuid,
) -> Result<Department, Error> {
    find(db, tenant, id).await.map(to_api)
}

async fn find(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    id: Uuid,
) -> Result<department::Model, Error> {
    q::by_id::<E>(db, tenant.into_uuid(), id)
        .await
        .or_internal()?
        .ok_or_else(|| Error::not_found(format!("department {id}")))
}

pub(crate) async fn create(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    draft: DepartmentDraft,
) -> Result<Department, Error> {
    let id = DepartmentId::new().into_uuid();
    let others = tree(db, tenant).await?;
    let quota = super::quotas::limits(db, tenant).await?.departments;
    super::quotas::check("departments", "departments", quota, others.len() as u64)?;
    let now = Utc::now();
    let mut row = department::ActiveModel {
        id: Set(id),
        tenant_id: Set(tenant.into_uuid()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    check(&draft, id, &others, &mut row)?;
    if q::by_code::<E>(db, tenant.into_uuid(), &draft.code)
        .await
        .or_internal()?
        .is_some()
    {
        return Err(duplicate_code(&draft.code));
    }
    let row = q::insert::<E, _>(db, row)
        .await
        .or_conflict("code", "another department of this city has this code")?;
    Ok(to_api(row))
}

fn duplicate_code(code: &str) -> Error {
    Error::conflict(
        "code",
        format!("another department of this city has the code {code:?}"),
    )
}

/// Write `draft` over an existing row; returns the row and whether anything
/// changed.
pub(crate) async fn save(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    current: department::Model,
    draft: &DepartmentDraft,
) -> Result<(department::Model, bool), Error> {
    let others = tree(db, tenant).await?;
    let id = current.id;
    let old_code = current.code.clone();
    let mut row: department::ActiveModel = current.into();
    check(draft, id, &others, &mut row)?;
    let new_code = (draft.code != old_code).then_some(draft.code.as_str());
    super::save_directory_row::<E, _>(db, tenant, id, row, new_code, "department").await
}

pub(crate) fn to_api(row: department::Model) -> Department {
    Department {
        id: row.id,
        code: row.code,
        name: row.name,
        kind: row.kind,
        parent_id: row.parent_id,
        phone: row.phone,
        email: row.email,
        address: row.address,
        description: row.description,
        sort_order: row.sort_order,
        active: row.active,
        created_at: row.created_at,
        updated_at: row.updated_at,
    }
}

// ---- on behalf of a principal (the API) -----------------------------------

/// Department admins may add sub-units only under their own departments and
/// change only their own departments; city admins anywhere.
pub async fn create_by(
    ctx: &Ctx,
    tenant: &TenantRecord,
    draft: DepartmentDraft,
) -> Result<Department, Error> {
    ctx.authorize(tenant, "department:write").await?;
    if let Some(scope) = ctx.department_scope(tenant, "department:write").await
        && !draft
            .parent_id
            .is_some_and(|p| scope.iter().any(|d| d.into_uuid() == p))
    {
        return Err(Error::Forbidden(
            "you may add departments only under your own departments".into(),
        ));
    }
    let tx = ctx.tx(tenant.id).await?;
    let created = create(&tx, tenant.id, draft).await?;
    let created = super::commit(tx, created).await?;
    ctx.app.calendars.forget(tenant.id);
    let target = format!("department:{}", created.code);
    ctx.audit(Some(tenant.id), "department_create", &target, "ok")
        .await;
    Ok(created)
}

pub async fn update_by(
    ctx: &Ctx,
    tenant: &TenantRecord,
    id: Uuid,
    patch: DepartmentPatch,
) -> Result<Department, Error> {
    ctx.authorize(tenant, "department:write").await?;
    let tx = ctx.tx(tenant.id).await?;
    let current = find(&tx, tenant.id, id).await?;
    if let Some(scope) = ctx.department_scope(tenant, "department:write").await
        && !scope.iter().any(|d| d.into_uuid() == id)
    {
        return Err(Error::Forbidden(
            "you may change only your own departments".into(),
        ));
    }
    let draft = DepartmentDraft::from_row(&current).patched(patch);
    let (row, changed) = save(&tx, tenant.id, current, &draft).await?;
    let updated = super::commit(tx, to_api(row)).await?;
    ctx.app.calendars.forget(tenant.id);
    if changed {
        let target = format!("department:{}", updated.code);
        ctx.audit(Some(tenant.id), "department_update", &target, "ok")
            .await;
    }
    Ok(updated)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cycles_are_found() {
        let (a, b, c) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let tree: HashMap<_, _> = [(a, None), (b, Some(a)), (c, Some(b))].into();
        assert!(creates_cycle(a, c, &tree), "a under its grandchild");
        assert!(creates_cycle(a, a, &tree), "a under itself");
        assert!(!creates_cycle(c, a, &tree), "c directly under a");
    }
}
