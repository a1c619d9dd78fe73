//! Merging duplicates (并单) and "not a duplicate".
//!
//! A merge closes the duplicate with a link to the case it repeats (the
//! main case): nothing is deleted, both timelines say so, the duplicate's
//! ladders end, its citizen is told by mail when they left an address and
//! sees "merged into <code>" and the main case's answer on their page. The
//! statistics count the two once: the duplicate's "received" is taken back
//! on the day and from the department it was counted for, and a recount
//! leaves merged cases' submissions out.
//!
//! "Not a duplicate" remembers the pair, so it is not suggested again.
//! Both need `case:accept` (those who accept, reject and close cases);
//! department staff only for cases their departments handle.

use super::{Entry, append, count, find, handles, state_of};
use crate::access::Ctx;
use crate::model::CaseDetail;
use crate::services::tenants::TenantRecord;
use crate::services::{DbResultExt, commit};
use minsheng_domain::Error;
use minsheng_domain::case::State;
use minsheng_store::entity::case;
use minsheng_store::queries::cases::{self as q, StatDelta};
use minsheng_store::queries::search as sq;
use sea_orm::ActiveValue::Set;
use sea_orm::DatabaseTransaction;

/// The permission both actions need.
const PERMISSION: &str = "case:accept";

/// The two cases, found in the city and visible to the caller's
/// departments (else 404), and not the same case (422).
async fn both(
    ctx: &Ctx,
    tx: &DatabaseTransaction,
    tenant: &TenantRecord,
    code: &str,
    other: &str,
    field: &str,
) -> Result<(case::Model, case::Model), Error> {
    let row = find(tx, tenant, code).await?;
    let other_row = find(tx, tenant, other).await?;
    if let Some(scope) = ctx.department_scope(tenant, PERMISSION).await {
        for r in [&row, &other_row] {
            if !handles(tx, tenant, r, &scope).await? {
                return Err(Error::not_found(format!("case {:?}", r.tracking_code)));
            }
        }
    }
    if row.id == other_row.id {
        return Err(Error::invalid(field, "a case is not a duplicate of itself"));
    }
    Ok((row, other_row))
}

/// Merge the open case `duplicate` into the case `into` (the main case).
#[tracing::instrument(name = "case.merge", skip_all, fields(minsheng.tenant = %tenant.slug))]
pub async fn merge(
    ctx: &Ctx,
    tenant: &TenantRecord,
    duplicate: &str,
    into: &str,
) -> Result<CaseDetail, Error> {
    ctx.authorize(tenant, PERMISSION).await?;
    let tx = ctx.tx(tenant.id).await?;
    let (dup, main) = both(ctx, &tx, tenant, duplicate, into, "into").await?;
    let from = state_of(&dup)?;
    if !from.is_open() {
        return Err(Error::Conflict {
            field: Some("state".into()),
            message: format!("only a case still waiting for the city is merged; it is {from}"),
        });
    }
    if let Some(further) = main.merged_into_id {
        let code = sq::cases_by_ids(&tx, tenant.id.into_uuid(), vec![further])
            .await
            .or_internal()?
            .into_iter()
            .next()
            .map(|m| m.tracking_code)
            .unwrap_or_default();
        return Err(Error::Conflict {
            field: Some("into".into()),
            message: format!(
                "{} was itself merged into {code}: merge into that case",
                main.tracking_code
            ),
        });
    }
    let now = ctx.now();
    let t = tenant.id.into_uuid();
    let update = case::ActiveModel {
        state: Set(State::Closed.as_str().to_owned()),
        extension_pending: Set(false),
        closed_at: Set(Some(now)),
        merged_into_id: Set(Some(main.id)),
        updated_at: Set(now),
        ..Default::default()
    };
    if !q::update_fenced(&tx, t, dup.id, &dup.state, update)
        .await
        .or_internal()?
    {
        return Err(Error::Conflict {
            field: Some("state".into()),
            message: "the case changed while you were acting on it; reload and try again".into(),
        });
    }
    let actor = ctx.principal.label();
    append(
        &tx,
        tenant,
        Entry {
            case_id: dup.id,
            actor: actor.clone(),
            action: "merged_into",
            from: Some(from),
            to: Some(State::Closed),
            department: dup.lead_department_id,
            public: true,
            text: Some(main.tracking_code.clone()),
            detail: Some(serde_json::json!({ "into": main.tracking_code })),
            at: now,
        },
    )
    .await?;
    append(
        &tx,
        tenant,
        Entry {
            case_id: main.id,
            actor,
            action: "merged_from",
            from: None,
            to: None,
            department: main.lead_department_id,
            // The duplicate may be private: only staff see its code here.
            public: false,
            text: Some(dup.tracking_code.clone()),
            detail: Some(serde_json::json!({ "from": dup.tracking_code })),
            at: now,
        },
    )
    .await?;
    // Counted once: take back the duplicate's "received" where intake
    // counted it (the city, and the lead department it was filed with).
    let submitted_for = q::events(&tx, t, dup.id, true)
        .await
        .or_internal()?
        .into_iter()
        .find(|e| e.action == "submitted")
        .and_then(|e| e.department_id);
    let back = StatDelta {
        received: -1,
        ..Default::default()
    };
    count(&tx, tenant, submitted_for, dup.submitted_at, back).await?;
    crate::services::escalation::cancel(
        &tx,
        tenant,
        dup.id,
        crate::services::escalation::Ladders::All,
        now,
    )
    .await?;
    if let Some(to) = dup.contact_email.as_deref() {
        use crate::services::escalation as e;
        let link = e::case_link(&ctx.app, tenant, &dup.tracking_code);
        let facts = e::Facts {
            code: &dup.tracking_code,
            title: &dup.title,
            deadline: &e::local_time(tenant, dup.answer_deadline),
            department: "",
            answer: &main.tracking_code,
            link: &link,
        };
        let message = e::email(tenant, dup.id, to, "case.merged", "merged", &facts, now);
        minsheng_store::queries::escalation::insert_outbox(&tx, vec![message])
            .await
            .or_internal()?;
    }
    commit(tx, ()).await?;
    // The duplicate's "received" was taken back on the day it was filed.
    ctx.app.figures.forget(tenant.id);
    ctx.audit(
        Some(tenant.id),
        "case.merge",
        &format!("{} -> {}", dup.tracking_code, main.tracking_code),
        "ok",
    )
    .await;
    super::get(ctx, tenant, &dup.tracking_code, None).await
}

/// Remember that `code` and `other` are not duplicates of each other.
pub async fn not_duplicate(
    ctx: &Ctx,
    tenant: &TenantRecord,
    code: &str,
    other: &str,
) -> Result<(), Error> {
    ctx.authorize(tenant, PERMISSION).await?;
    let tx = ctx.tx(tenant.id).await?;
    let (row, other_row) = both(ctx, &tx, tenant, code, other, "other").await?;
    let now = ctx.now();
    sq::insert_not_duplicate(
        &tx,
        tenant.id.into_uuid(),
        row.id,
        other_row.id,
        ctx.principal.label(),
        now,
    )
    .await
    .or_internal()?;
    append(
        &tx,
        tenant,
        Entry {
            case_id: row.id,
            actor: ctx.principal.label(),
            action: "not_duplicate",
            from: None,
            to: None,
            department: row.lead_department_id,
            public: false,
            text: Some(other_row.tracking_code.clone()),
            detail: Some(serde_json::json!({ "other": other_row.tracking_code })),
            at: now,
        },
    )
    .await?;
    commit(tx, ()).await?;
    ctx.audit(
        Some(tenant.id),
        "case.not_duplicate",
        &format!("{} <> {}", row.tracking_code, other_row.tracking_code),
        "ok",
    )
    .await;
    Ok(())
}
