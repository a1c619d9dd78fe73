//! A city's case categories. Each is an Open311 service: it has a code, a
//! default department, deadlines in working days and optional attributes.
//! Categories are deactivated, never deleted, because cases refer to them.

use super::DbResultExt;
use super::departments::set_if_changed;
use crate::access::Ctx;
use crate::model::{Attribute, Category, CategoryInput, CategoryPatch};
use crate::services::tenants::TenantRecord;
use chrono::Utc;
use minsheng_domain::Error;
use minsheng_domain::error::Problems;
use minsheng_domain::ids::{CategoryId, TenantId};
use minsheng_domain::values::{Code, parse_optional_text, parse_text};
use minsheng_store::ConnectionTrait;
use minsheng_store::entity::category;
use minsheng_store::entity::department;
use minsheng_store::queries::directory as q;

type E = category::Entity;
use sea_orm::ActiveValue::Set;
use std::collections::HashSet;
use uuid::Uuid;

pub const DATATYPES: [&str; 6] = [
    "string",
    "number",
    "datetime",
    "text",
    "singlevaluelist",
    "multivaluelist",
];

/// Every field of a category, as sent; `check` turns it into a row.
#[derive(Clone, Debug)]
pub struct CategoryDraft {
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
}

impl From<CategoryInput> for CategoryDraft {
    fn from(i: CategoryInput) -> Self {
        Self {
            code: i.code,
            name: i.name,
            group: i.group,
            description: i.description,
            keywords: i.keywords.unwrap_or_default(),
            default_department_id: i.default_department_id,
            accept_days: i.accept_days.unwrap_or(1),
            answer_days: i.answer_days,
            public_by_default: i.public_by_default.unwrap_or(true),
            attributes: i.attributes.unwrap_or_default(),
            sort_order: i.sort_order.unwrap_or(0),
            active: i.active.unwrap_or(true),
        }
    }
}

impl CategoryDraft {
    fn from_api(c: Category) -> Self {
        Self {
            code: c.code,
            name: c.name,
            group: c.group,
            description: c.description,
            keywords: c.keywords,
            default_department_id: c.default_department_id,
            accept_days: c.accept_days,
            answer_days: c.answer_days,
            public_by_default: c.public_by_default,
            attributes: c.attributes,
            sort_order: c.sort_order,
            active: c.active,
        }
    }

    fn patched(mut self, patch: CategoryPatch) -> Self {
        if let Some(v) = patch.code {
            self.code = v;
        }
        if let Some(v) = patch.name {
            self.name = v;
        }
        patch.group.update_to(&mut self.group);
        patch.description.update_to(&mut self.description);
        if let Some(v) = patch.keywords {
            self.keywords = v;
        }
        patch
            .default_department_id
            .update_to(&mut self.default_department_id);
        if let Some(v) = patch.accept_days {
            self.accept_days = v;
        }
        if let Some(v) = patch.answer_days {
            self.answer_days = v;
        }
        if let Some(v) = patch.public_by_default {
            self.public_by_default = v;
        }
        if let Some(v) = patch.attributes {
            self.attributes = v;
        }
        if let Some(v) = patch.sort_order {
            self.sort_order = v;
        }
        if let Some(v) = patch.active {
            self.active = v;
        }
        self
    }
}

fn check_attributes(p: &mut Problems, attributes: &[Attribute]) -> Vec<Attribute> {
    let mut seen = HashSet::new();
    let mut out = Vec::with_capacity(attributes.len());
    if attributes.len() > 50 {
        p.push("attributes", "a category can have at most 50 attributes");
    }
    for (i, a) in attributes.iter().enumerate() {
        let field = |name: &str| format!("attributes[{i}].{name}");
        let code = p.check(&field("code"), Code::parse(&a.code));
        if let Some(code) = &code
            && !seen.insert(code.as_str().to_owned())
        {
            p.push(
                field("code"),
                format!("{:?} is used by another attribute", a.code),
            );
        }
        let description = p.check(&field("description"), parse_text(&a.description, 1, 200));
        let datatype_description = p.check(
            &field("datatype_description"),
            parse_optional_text(a.datatype_description.as_deref(), 200),
        );
        let is_list = a.datatype.ends_with("valuelist");
        if !DATATYPES.contains(&a.datatype.as_str()) {
            p.push(
                field("datatype"),
                format!(
                    "{:?} is not a datatype: use one of {}",
                    a.datatype,
                    DATATYPES.join(", ")
                ),
            );
        }
        let mut values = None;
        match (&a.values, is_list) {
            (Some(list), true) if !list.is_empty() => {
                let mut keys = HashSet::new();
                for (j, v) in list.iter().enumerate() {
                    if v.key.trim().is_empty() || v.key.chars().count() > 100 {
                        p.push(
                            field(&format!("values[{j}].key")),
                            "must be 1 to 100 characters",
                        );
                    } else if !keys.insert(v.key.clone()) {
                        p.push(
                            field(&format!("values[{j}].key")),
                            format!("{:?} is listed twice", v.key),
                        );
                    }
                    p.check(
                        &field(&format!("values[{j}].name")),
                        parse_text(&v.name, 1, 200),
                    );
                }
                values = Some(list.clone());
            }
            (_, true) => p.push(field("values"), "a list attribute needs at least one value"),
            (Some(_), false) => p.push(
                field("values"),
                "only singlevaluelist and multivaluelist attributes take values",
            ),
            (None, false) => {}
        }
        if let (Some(code), Some(description), Some(datatype_description)) =
            (code, description, datatype_description)
        {
            out.push(Attribute {
                code: code.into_string(),
                description,
                datatype: a.datatype.clone(),
                required: a.required,
                datatype_description,
                values,
            });
        }
    }
    out
}

async fn check(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    draft: &CategoryDraft,
    row: &mut category::ActiveModel,
) -> Result<(), Error> {
    let mut p = Problems::new();
    let code = p.check("code", Code::parse(&draft.code));
    let name = p.check("name", parse_text(&draft.name, 1, 100));
    let group = p.check("group", parse_optional_text(draft.group.as_deref(), 100));
    let description = p.check(
        "description",
        parse_optional_text(draft.description.as_deref(), 1000),
    );
    let mut keywords = Vec::new();
    for (i, k) in draft.keywords.iter().enumerate() {
        if let Some(k) = p.check(&format!("keywords[{i}]"), parse_text(k, 1, 50)) {
            keywords.push(k);
        }
    }
    if !(0..=30).contains(&draft.accept_days) {
        p.push("accept_days", "must be between 0 and 30 working days");
    }
    if !(1..=120).contains(&draft.answer_days) {
        p.push("answer_days", "must be between 1 and 120 working days");
    }
    let attributes = check_attributes(&mut p, &draft.attributes);
    if let Some(dept) = draft.default_department_id
        && q::by_id::<department::Entity>(db, tenant.into_uuid(), dept)
            .await
            .or_internal()?
            .is_none()
    {
        p.push(
            "default_department_id",
            format!("no department {dept} in this city"),
        );
    }
    p.finish()?;
    let (Some(code), Some(name), Some(group), Some(description)) = (code, name, group, description)
    else {
        return Err(Error::internal("checked category fields missing"));
    };
    set_if_changed(&mut row.code, code.into_string());
    set_if_changed(&mut row.name, name);
    set_if_changed(&mut row.group_name, group);
    set_if_changed(&mut row.description, description);
    set_if_changed(&mut row.keywords, serde_json::json!(keywords));
    set_if_changed(&mut row.default_department_id, draft.default_department_id);
    set_if_changed(&mut row.accept_days, draft.accept_days);
    set_if_changed(&mut row.answer_days, draft.answer_days);
    set_if_changed(&mut row.public_by_default, draft.public_by_default);
    let attributes = serde_json::to_value(&attributes).map_err(Error::internal)?;
    set_if_changed(&mut row.attributes, attributes);
    set_if_changed(&mut row.sort_order, draft.sort_order);
    set_if_changed(&mut row.active, draft.active);
    Ok(())
}

pub(crate) async fn list(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    include_inactive: bool,
) -> Result<Vec<Category>, Error> {
    let rows = q::list::<E>(db, tenant.into_uuid(), include_inactive)
        .await
        .or_internal()?;
    rows.into_iter().map(to_api).collect()
}

async fn find(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    id: Uuid,
) -> Result<category::Model, Error> {
    q::by_id::<E>(db, tenant.into_uuid(), id)
        .await
        .or_internal()?
        .ok_or_else(|| Error::not_found(format!("category {id}")))
}

pub(crate) async fn get(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    id: Uuid,
) -> Result<Category, Error> {
    to_api(find(db, tenant, id).await?)
}

fn duplicate_code(code: &str) -> Error {
    Error::conflict(
        "code",
        format!("another category of this city has the code {code:?}"),
    )
}

pub(crate) async fn create(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    draft: CategoryDraft,
) -> Result<Category, Error> {
    let now = Utc::now();
    let mut row = category::ActiveModel {
        id: Set(CategoryId::new().into_uuid()),
        tenant_id: Set(tenant.into_uuid()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    check(db, tenant, &draft, &mut row).await?;
    if q::by_code::<E>(db, tenant.into_uuid(), &draft.code)
        .await
        .or_internal()?
        .is_some()
    {
        return Err(duplicate_code(&draft.code));
    }
    let row = q::insert::<E, _>(db, row)
        .await
        .or_conflict("code", "another category of this city has this code")?;
    to_api(row)
}

pub(crate) async fn update(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    id: Uuid,
    patch: CategoryPatch,
) -> Result<Category, Error> {
    let current = find(db, tenant, id).await?;
    let draft = CategoryDraft::from_api(to_api(current.clone())?).patched(patch);
    save(db, tenant, current, &draft)
        .await
        .and_then(|(row, _)| to_api(row))
}

/// Write `draft` over an existing row; returns the row and whether anything
/// changed.
pub(crate) async fn save(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    current: category::Model,
    draft: &CategoryDraft,
) -> Result<(category::Model, bool), Error> {
    let id = current.id;
    let old_code = current.code.clone();
    let mut row: category::ActiveModel = current.into();
    check(db, tenant, draft, &mut row).await?;
    let new_code = (draft.code != old_code).then_some(draft.code.as_str());
    super::save_directory_row::<E, _>(db, tenant, id, row, new_code, "category").await
}

pub(crate) fn to_api(row: category::Model) -> Result<Category, Error> {
    let keywords: Vec<String> = serde_json::from_value(row.keywords)
        .map_err(|e| Error::internal(format!("stored keywords: {e}")))?;
    let attributes: Vec<Attribute> = serde_json::from_value(row.attributes)
        .map_err(|e| Error::internal(format!("stored attributes: {e}")))?;
    Ok(Category {
        id: row.id,
        code: row.code,
        name: row.name,
        group: row.group_name,
        description: row.description,
        keywords,
        default_department_id: row.default_department_id,
        accept_days: row.accept_days,
        answer_days: row.answer_days,
        public_by_default: row.public_by_default,
        attributes,
        sort_order: row.sort_order,
        active: row.active,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

/// The city's active categories by code (for the submission cache).
pub(crate) async fn active_by_code(
    db: &impl ConnectionTrait,
    tenant: TenantId,
) -> Result<std::collections::HashMap<String, std::sync::Arc<category::Model>>, Error> {
    let rows = q::list::<E>(db, tenant.into_uuid(), false)
        .await
        .or_internal()?;
    Ok(rows
        .into_iter()
        .map(|r| (r.code.clone(), std::sync::Arc::new(r)))
        .collect())
}

// ---- on behalf of a principal (the API) -----------------------------------

pub async fn create_by(
    ctx: &Ctx,
    tenant: &TenantRecord,
    draft: CategoryDraft,
) -> Result<Category, Error> {
    ctx.authorize(tenant, "category:write").await?;
    let tx = ctx.tx(tenant.id).await?;
    let created = create(&tx, tenant.id, draft).await?;
    let created = super::commit(tx, created).await?;
    ctx.app.calendars.forget(tenant.id);
    let target = format!("category:{}", created.code);
    ctx.audit(Some(tenant.id), "category_create", &target, "ok")
        .await;
    Ok(created)
}

pub async fn update_by(
    ctx: &Ctx,
    tenant: &TenantRecord,
    id: Uuid,
    patch: CategoryPatch,
) -> Result<Category, Error> {
    ctx.authorize(tenant, "category:write").await?;
    let tx = ctx.tx(tenant.id).await?;
    let updated = update(&tx, tenant.id, id, patch).await?;
    let updated = super::commit(tx, updated).await?;
    ctx.app.calendars.forget(tenant.id);
    let target = format!("category:{}", updated.code);
    ctx.audit(Some(tenant.id), "category_update", &target, "ok")
        .await;
    Ok(updated)
}
