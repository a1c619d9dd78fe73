//! Answer templates (常用语): texts staff start an answer from, kept per
//! department or for the whole city. Department staff keep their own
//! departments' templates; city-wide staff keep every one.

use super::{DbResultExt, commit};
use crate::access::Ctx;
use crate::services::tenants::TenantRecord;
use minsheng_domain::Error;
use minsheng_domain::values::parse_text;
use minsheng_store::entity::answer_template;
use minsheng_store::queries::answer_templates as q;
use minsheng_store::queries::directory;
use sea_orm::ActiveValue::Set;
use uuid::Uuid;

pub use crate::model::AnswerTemplate;

/// The templates `ctx` may use: the city's and their departments' (every
/// one for city-wide staff).
pub async fn usable(ctx: &Ctx, tenant: &TenantRecord) -> Result<Vec<AnswerTemplate>, Error> {
    ctx.authorize(tenant, "case:answer").await?;
    let tx = ctx.read_tx(tenant.id).await?;
    let out = usable_in(ctx, &tx, tenant).await?;
    commit(tx, out).await
}

/// [`usable`] read in `tx` (`case:answer` checked by the caller).
pub(crate) async fn usable_in(
    ctx: &Ctx,
    tx: &impl sea_orm::ConnectionTrait,
    tenant: &TenantRecord,
) -> Result<Vec<AnswerTemplate>, Error> {
    let scope = ctx.department_scope(tenant, "case:answer").await;
    let rows = match &scope {
        Some(mine) => {
            let ids: Vec<Uuid> = mine.iter().map(|d| d.into_uuid()).collect();
            q::list(tx, tenant.id.into_uuid(), &ids).await
        }
        None => q::all(tx, tenant.id.into_uuid()).await,
    }
    .or_internal()?;
    let names = ctx.app.calendars.rules_in(tx, tenant).await?.names;
    let out = rows
        .into_iter()
        .map(|r| {
            let dept = r.department_id.and_then(|d| names.departments.get(&d));
            AnswerTemplate {
                id: r.id,
                department: dept.map(|d| d.0.clone()),
                department_name: dept.map(|d| d.1.clone()),
                title: r.title,
                text: r.text,
            }
        })
        .collect();
    Ok(out)
}

/// A new template for `department` (a code; none for the whole city).
pub async fn create(
    ctx: &Ctx,
    tenant: &TenantRecord,
    department: Option<&str>,
    title: &str,
    text: &str,
) -> Result<AnswerTemplate, Error> {
    ctx.authorize(tenant, "case:answer").await?;
    let title = parse_text(title, 2, 100).map_err(|m| Error::invalid("title", m))?;
    let text = parse_text(text, 2, 5000).map_err(|m| Error::invalid("text", m))?;
    let scope = ctx.department_scope(tenant, "case:answer").await;
    let tx = ctx.tx(tenant.id).await?;
    let department_row = match department.filter(|d| !d.is_empty()) {
        Some(code) => Some(
            directory::by_code::<minsheng_store::entity::department::Entity>(
                &tx,
                tenant.id.into_uuid(),
                code,
            )
            .await
            .or_internal()?
            .filter(|d| d.active)
            .ok_or_else(|| {
                Error::invalid("department", format!("no active department {code:?}"))
            })?,
        ),
        None => None,
    };
    if let Some(mine) = &scope {
        let allowed = department_row
            .as_ref()
            .is_some_and(|d| mine.iter().any(|m| m.into_uuid() == d.id));
        if !allowed {
            return Err(Error::Forbidden(
                "department staff keep templates of their own departments only".into(),
            ));
        }
    }
    let now = ctx.now();
    let row = q::insert(
        &tx,
        answer_template::ActiveModel {
            id: Set(Uuid::now_v7()),
            tenant_id: Set(tenant.id.into_uuid()),
            department_id: Set(department_row.as_ref().map(|d| d.id)),
            title: Set(title),
            text: Set(text),
            created_by: Set(ctx.principal.label()),
            created_at: Set(now),
            updated_at: Set(now),
        },
    )
    .await
    .or_internal()?;
    let out = AnswerTemplate {
        id: row.id,
        department: department_row.as_ref().map(|d| d.code.clone()),
        department_name: department_row.map(|d| d.name),
        title: row.title,
        text: row.text,
    };
    let out = commit(tx, out).await?;
    ctx.audit(
        Some(tenant.id),
        "answer-template.create",
        &out.id.to_string(),
        "ok",
    )
    .await;
    Ok(out)
}

/// Remove a template `ctx` keeps.
pub async fn delete(ctx: &Ctx, tenant: &TenantRecord, id: Uuid) -> Result<(), Error> {
    ctx.authorize(tenant, "case:answer").await?;
    let scope = ctx.department_scope(tenant, "case:answer").await;
    let tx = ctx.tx(tenant.id).await?;
    let row = q::get(&tx, tenant.id.into_uuid(), id)
        .await
        .or_internal()?
        .ok_or_else(|| Error::not_found(format!("answer template {id}")))?;
    if let Some(mine) = &scope {
        let allowed = row
            .department_id
            .is_some_and(|d| mine.iter().any(|m| m.into_uuid() == d));
        if !allowed {
            return Err(Error::Forbidden(
                "department staff keep templates of their own departments only".into(),
            ));
        }
    }
    q::delete(&tx, tenant.id.into_uuid(), id)
        .await
        .or_internal()?;
    commit(tx, ()).await?;
    ctx.audit(
        Some(tenant.id),
        "answer-template.delete",
        &id.to_string(),
        "ok",
    )
    .await;
    Ok(())
}
