//! Reading one case: the public view, the view of its staff and citizen, and
//! its timeline.

use super::{Access, Names, access_to, facts_of, find, names};
use crate::access::Ctx;
use crate::model::{CaseDetail, PublicCase, TimelineEvent};
use crate::services::tenants::TenantRecord;
use crate::services::{DbResultExt, commit};
use minsheng_domain::Error;
use minsheng_domain::case::{self as machine, State};
use minsheng_store::entity::{case, case_event};
use minsheng_store::queries::cases as q;

pub(super) fn public_view(row: &case::Model, names: &Names) -> PublicCase {
    let dept = row
        .lead_department_id
        .and_then(|d| names.departments.get(&d));
    let cat = names.categories.get(&row.category_id);
    PublicCase {
        tracking_code: row.tracking_code.clone(),
        title: row.title.clone(),
        text: row.body.clone(),
        address: row.address.clone(),
        category: cat.map(|c| c.0.clone()).unwrap_or_default(),
        category_name: cat.map(|c| c.1.clone()).unwrap_or_default(),
        department: dept.map(|d| d.0.clone()),
        department_name: dept.map(|d| d.1.clone()),
        state: row.state.clone(),
        submitted_at: row.submitted_at,
        accept_deadline: row.accept_deadline,
        answer_deadline: row.answer_deadline,
        answered_at: row.answered_at,
        answer: row.answer.clone(),
        rating: row.rating.clone(),
        views: row.views,
        latitude: row.latitude,
        longitude: row.longitude,
        attributes: row
            .attributes
            .as_ref()
            .and_then(|a| a.as_object())
            .map(|answers| {
                answers
                    .iter()
                    .map(|(code, v)| (code.clone(), crate::services::attributes::values(v)))
                    .collect()
            })
            .unwrap_or_default(),
        media_url: row.media_url.clone(),
        updated_at: row.updated_at,
    }
}

/// A timeline entry as shown; who did it only to staff.
pub(super) fn timeline_view(e: &case_event::Model, names: &Names, staff: bool) -> TimelineEvent {
    TimelineEvent {
        at: e.at,
        action: e.action.clone(),
        from_state: e.from_state.clone(),
        to_state: e.to_state.clone(),
        department: e
            .department_id
            .and_then(|d| names.departments.get(&d))
            .map(|d| d.1.clone()),
        public: e.public,
        text: e.text.clone(),
        actor: staff.then(|| e.actor.clone()),
        detail: staff.then(|| e.detail.clone()).flatten(),
    }
}

/// One case: public cases to anyone; private ones only to their citizen and
/// the city's staff (anyone else is told it does not exist). Staff and the
/// owner also see personal data and (staff) the internal timeline.
pub async fn get(
    ctx: &Ctx,
    tenant: &TenantRecord,
    code: &str,
    secret: Option<&str>,
) -> Result<CaseDetail, Error> {
    let tx = ctx.read_tx(tenant.id).await?;
    let row = find(&tx, tenant, code).await?;
    let access = access_to(ctx, &tx, tenant, &row, secret).await?;
    if !row.public && matches!(access, Access::Public) {
        return Err(Error::not_found(format!("case {code:?}")));
    }
    let names = names(ctx, &tx, tenant).await?;
    let staff = matches!(access, Access::Staff);
    let personal = !matches!(access, Access::Public);
    let events = q::events(&tx, tenant.id.into_uuid(), row.id, staff)
        .await
        .or_internal()?;
    let co = q::co_departments(&tx, tenant.id.into_uuid(), row.id)
        .await
        .or_internal()?;
    let timeline = events
        .iter()
        .map(|e| timeline_view(e, &names, staff))
        .collect();
    let allowed = State::parse(&row.state)
        .map(|s| {
            machine::allowed(s, facts_of(&row))
                .iter()
                .map(|a| a.as_str().to_owned())
                .collect()
        })
        .unwrap_or_default();
    let detail = CaseDetail {
        case: public_view(&row, &names),
        public: row.public,
        contact_name: personal.then(|| row.contact_name.clone()).flatten(),
        contact_phone: personal.then(|| row.contact_phone.clone()).flatten(),
        contact_email: personal.then(|| row.contact_email.clone()).flatten(),
        co_departments: co
            .iter()
            .filter_map(|d| names.departments.get(d))
            .map(|d| d.0.clone())
            .collect(),
        extension_pending: row.extension_pending,
        reopened: row.reopened,
        allowed_actions: if staff { allowed } else { Vec::new() },
        timeline,
        flags: staff.then(|| flags_of(&row)),
        opinions: if staff {
            super::cohandling::opinions_of(&tx, tenant, row.id, &names).await?
        } else {
            Vec::new()
        },
        supervised_at: if staff { row.supervised_at } else { None },
    };
    commit(tx, detail).await
}

fn flags_of(row: &case::Model) -> crate::model::CaseFlags {
    crate::model::CaseFlags {
        priority: crate::services::plugins::chains::priority_name(row.priority).to_owned(),
        tags: row
            .tags
            .as_ref()
            .and_then(|t| serde_json::from_value(t.clone()).ok())
            .unwrap_or_default(),
        spam: row.spam,
        duplicate_of: row.duplicate_of.clone(),
        held: row
            .review
            .as_ref()
            .map(|r| serde_json::from_value(r["reasons"].clone()).unwrap_or_default()),
        rule_failed: row.rule_failed,
        unredacted: row.unredacted.clone(),
    }
}
