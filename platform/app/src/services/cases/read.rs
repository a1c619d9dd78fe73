//! Reading one case: the public view, the view of its staff and citizen, and
//! its timeline.
//!
//! Free text (title, text, address, answer, answers to the category's
//! questions, timeline texts) reaches the public with personal data hidden
//! when the city asks for that ([`Redaction`]); the case's staff and its
//! citizen read it as written.

use super::{Access, Names, access_to, facts_of, find, names};
use crate::access::Ctx;
use crate::model::{CaseDetail, PublicCase, TimelineEvent};
use crate::services::tenants::TenantRecord;
use crate::services::{DbResultExt, commit};
use minsheng_domain::Error;
use minsheng_domain::case::{self as machine, State};
use minsheng_domain::values::Locale;
use minsheng_store::ConnectionTrait;
use minsheng_store::entity::{case, case_event};
use minsheng_store::queries::cases as q;

/// How a reader gets a case's free text: as written, or with phone
/// numbers, ID numbers, e-mail addresses and licence plates behind markers
/// in the city's language.
#[derive(Clone, Copy, Debug)]
pub(super) struct Redaction(Option<Locale>);

impl Redaction {
    /// As written: the case's staff and its citizen.
    pub(super) const NONE: Self = Self(None);

    /// What the public reads in this city.
    pub(super) fn public(tenant: &TenantRecord) -> Self {
        Self(
            tenant
                .publication()
                .redact_personal_data
                .then_some(tenant.locale),
        )
    }

    pub(super) fn hides(self) -> bool {
        self.0.is_some()
    }

    pub(super) fn text(self, text: &str) -> String {
        match self.0 {
            Some(locale) => minsheng_domain::redact::redact(text, locale).into_owned(),
            None => text.to_owned(),
        }
    }

    fn opt(self, text: Option<&String>) -> Option<String> {
        text.map(|t| self.text(t))
    }
}

pub(super) fn public_view(row: &case::Model, names: &Names, shown: Redaction) -> PublicCase {
    let dept = row
        .lead_department_id
        .and_then(|d| names.departments.get(&d));
    let cat = names.categories.get(&row.category_id);
    PublicCase {
        tracking_code: row.tracking_code.clone(),
        title: shown.text(&row.title),
        text: shown.text(&row.body),
        address: shown.opt(row.address.as_ref()),
        category: cat.map(|c| c.0.clone()).unwrap_or_default(),
        category_name: cat.map(|c| c.1.clone()).unwrap_or_default(),
        department: dept.map(|d| d.0.clone()),
        department_name: dept.map(|d| d.1.clone()),
        state: row.state.clone(),
        submitted_at: row.submitted_at,
        accept_deadline: row.accept_deadline,
        answer_deadline: row.answer_deadline,
        answered_at: row.answered_at,
        answer: shown.opt(row.answer.as_ref()),
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
                    .map(|(code, v)| {
                        let values = crate::services::attributes::values(v);
                        (code.clone(), values.iter().map(|v| shown.text(v)).collect())
                    })
                    .collect()
            })
            .unwrap_or_default(),
        media_url: row.media_url.clone(),
        updated_at: row.updated_at,
        highlight: None,
    }
}

/// A timeline entry as shown; who did it only to staff.
pub(super) fn timeline_view(
    e: &case_event::Model,
    names: &Names,
    staff: bool,
    shown: Redaction,
) -> TimelineEvent {
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
        text: shown.opt(e.text.as_ref()),
        actor: staff.then(|| e.actor.clone()),
        detail: staff.then(|| e.detail.clone()).flatten(),
    }
}

/// One case: public cases to anyone; private ones only to their citizen and
/// the city's staff (anyone else is told it does not exist). Staff and the
/// owner also see personal data and (staff) the internal timeline; the
/// public sees free text as [`Redaction::public`] shows it.
pub async fn get(
    ctx: &Ctx,
    tenant: &TenantRecord,
    code: &str,
    secret: Option<&str>,
) -> Result<CaseDetail, Error> {
    let tx = ctx.planned_read_tx(tenant.id).await?;
    let row = find(&tx, tenant, code).await?;
    let detail = detail_of(ctx, &tx, tenant, &row, secret).await?;
    commit(tx, detail).await
}

/// [`get`] for a case already read in `tx`.
pub(super) async fn detail_of(
    ctx: &Ctx,
    tx: &impl ConnectionTrait,
    tenant: &TenantRecord,
    row: &case::Model,
    secret: Option<&str>,
) -> Result<CaseDetail, Error> {
    let access = access_to(ctx, tx, tenant, row, secret).await?;
    if !row.public && matches!(access, Access::Public) {
        return Err(Error::not_found(format!("case {:?}", row.tracking_code)));
    }
    let names = names(ctx, tx, tenant).await?;
    let staff = matches!(access, Access::Staff);
    let personal = !matches!(access, Access::Public);
    let shown = if personal {
        Redaction::NONE
    } else {
        Redaction::public(tenant)
    };
    let events = q::events(tx, tenant.id.into_uuid(), row.id, staff)
        .await
        .or_internal()?;
    let co = q::co_departments(tx, tenant.id.into_uuid(), row.id)
        .await
        .or_internal()?;
    let timeline = events
        .iter()
        .map(|e| timeline_view(e, &names, staff, shown))
        .collect();
    let allowed = State::parse(&row.state)
        .map(|s| {
            machine::allowed(s, facts_of(row))
                .iter()
                .map(|a| a.as_str().to_owned())
                .collect()
        })
        .unwrap_or_default();
    let main = match row.merged_into_id {
        Some(id) => {
            minsheng_store::queries::search::cases_by_ids(tx, tenant.id.into_uuid(), vec![id])
                .await
                .or_internal()?
                .into_iter()
                .next()
        }
        None => None,
    };
    let detail = CaseDetail {
        case: public_view(row, &names, shown),
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
        awaiting_review: row.review.is_some(),
        flags: staff.then(|| flags_of(row)),
        opinions: if staff {
            super::cohandling::opinions_of(tx, tenant, row.id, &names).await?
        } else {
            Vec::new()
        },
        supervised_at: if staff { row.supervised_at } else { None },
        merged_into: main.as_ref().map(|m| m.tracking_code.clone()),
        merged_answer: main
            .filter(|m| m.public || personal)
            .and_then(|m| shown.opt(m.answer.as_ref())),
    };
    Ok(detail)
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
