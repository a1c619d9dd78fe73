//! Everything the staff case page shows, read in one transaction: what
//! this person may do ([`DeskView`]), the case with its timeline and
//! contact data, its labelled answers to the category's questions, the
//! answer templates when they may answer, and its likely duplicates.

use super::duplicates::duplicates_of;
use super::read::detail_of;
use super::workbench::desk_of;
use super::{DeskView, Duplicate, find};
use crate::access::Ctx;
use crate::model::{AnswerTemplate, CaseDetail};
use crate::services::attributes::{Labelled, labelled};
use crate::services::tenants::TenantRecord;
use crate::services::{answer_templates, categories, commit};
use minsheng_domain::Error;

/// The staff case page's data.
#[derive(Clone, Debug)]
pub struct StaffCase {
    pub desk: DeskView,
    pub detail: CaseDetail,
    /// The answers to the category's questions, labelled.
    pub attributes: Vec<Labelled>,
    /// Templates to start an answer from (only when they may answer).
    pub templates: Vec<AnswerTemplate>,
    /// Likely duplicates (empty when they could not be found: they help
    /// but never block the page).
    pub duplicates: Vec<Duplicate>,
}

/// The case `code` as its staff page shows it to `ctx`. A case this
/// person may not read is not found.
pub async fn staff_case(ctx: &Ctx, tenant: &TenantRecord, code: &str) -> Result<StaffCase, Error> {
    ctx.authorize(tenant, "case:read").await?;
    let tx = ctx.planned_read_tx(tenant.id).await?;
    let row = find(&tx, tenant, code).await?;
    let desk = desk_of(ctx, &tx, tenant, &row).await?;
    let detail = detail_of(ctx, &tx, tenant, &row, None).await?;
    let attributes = if detail.case.attributes.is_empty() {
        Vec::new()
    } else {
        let category = categories::get(&tx, tenant.id, row.category_id).await?;
        labelled(&category.attributes, &detail.case.attributes)
    };
    let templates = if desk.actions.iter().any(|a| a == "answer") {
        answer_templates::usable_in(ctx, &tx, tenant).await?
    } else {
        Vec::new()
    };
    // Last: a failure here ends the transaction (on PostgreSQL nothing
    // more can be read in it), and the page is shown without them.
    let page = |duplicates| StaffCase {
        desk,
        detail,
        attributes,
        templates,
        duplicates,
    };
    match duplicates_of(&tx, tenant, &row).await {
        Ok(found) => commit(tx, page(found)).await,
        Err(e) => {
            tracing::warn!(error = %e, "likely duplicates could not be found");
            Ok(page(Vec::new()))
        }
    }
}
