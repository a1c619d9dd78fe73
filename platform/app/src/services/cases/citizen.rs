//! What the citizen who filed a case does: reading it with its secret,
//! listing their cases, adding information and rating the answer.

use super::lists::{Counted, page_of};
use super::read::{Redaction, get};
use super::{
    Access, Entry, MAX_REOPENS, access_to, append, conflict, count, facts_of, find, is_trusted,
    names, state_of,
};
use crate::access::{Ctx, Principal};
use crate::model::{CaseDetail, CasePage};
use crate::services::tenants::TenantRecord;
use crate::services::{DbResultExt, commit};
use minsheng_domain::Error;
use minsheng_domain::case::{self as machine, Action, Rating, State};
use minsheng_domain::values::{parse_optional_text, parse_text};
use minsheng_store::DatabaseTransaction;
use minsheng_store::entity::{case, category};
use minsheng_store::queries::cases::{self as q, Filter, StatDelta};
use minsheng_store::queries::directory;
use sea_orm::ActiveValue::Set;

async fn owned(
    ctx: &Ctx,
    tx: &DatabaseTransaction,
    tenant: &TenantRecord,
    code: &str,
    secret: Option<&str>,
) -> Result<case::Model, Error> {
    let row = find(tx, tenant, code).await?;
    match access_to(ctx, tx, tenant, &row, secret).await? {
        Access::Owner => Ok(row),
        _ if !row.public => Err(Error::not_found(format!("case {code:?}"))),
        _ => Err(Error::Forbidden(
            "send the case's secret (X-Case-Secret) or sign in as the citizen who filed it".into(),
        )),
    }
}

/// The case as the citizen who filed it sees it (with its secret, or signed
/// in as its citizen): contact data included, internal steps not. Anyone
/// else is refused as [`owned`] refuses them.
pub async fn get_own(
    ctx: &Ctx,
    tenant: &TenantRecord,
    code: &str,
    secret: Option<&str>,
) -> Result<CaseDetail, Error> {
    let tx = ctx.read_tx(tenant.id).await?;
    owned(ctx, &tx, tenant, code, secret).await?;
    commit(tx, ()).await?;
    get(ctx, tenant, code, secret).await
}

/// The cases the signed-in citizen filed in this city, newest first.
pub async fn mine(
    ctx: &Ctx,
    tenant: &TenantRecord,
    page: u64,
    page_size: u64,
) -> Result<CasePage, Error> {
    let citizen = match &ctx.principal {
        Principal::Citizen {
            user, tenant: t, ..
        } if *t == tenant.id => user.into_uuid(),
        _ => {
            return Err(Error::Unauthenticated(
                "sign in as a citizen of this city to see your cases".into(),
            ));
        }
    };
    let tx = ctx.read_tx(tenant.id).await?;
    let names = names(ctx, &tx, tenant).await?;
    let filter = Filter {
        citizen: Some(citizen),
        ..Default::default()
    };
    page_of(
        tx,
        tenant,
        &names,
        &filter,
        page,
        page_size,
        Redaction::NONE,
        Counted::All,
    )
    .await
}

/// More information from the citizen; staff see it on the timeline.
pub async fn add_information(
    ctx: &Ctx,
    tenant: &TenantRecord,
    code: &str,
    secret: Option<&str>,
    text: &str,
) -> Result<(), Error> {
    if !is_trusted(ctx) {
        ctx.app
            .limits
            .take(&format!("case-info:{}", tenant.slug), ctx.ip)?;
    }
    let tx = ctx.tx(tenant.id).await?;
    let row = owned(ctx, &tx, tenant, code, secret).await?;
    let text = parse_text(text, 1, 5000).map_err(|m| Error::invalid("text", m))?;
    if matches!(
        State::parse(&row.state),
        Ok(State::Closed | State::Rejected)
    ) {
        return Err(Error::Conflict {
            field: Some("state".into()),
            message: "the case is finished".into(),
        });
    }
    append(
        &tx,
        tenant,
        Entry {
            case_id: row.id,
            actor: ctx.principal.label(),
            action: "information",
            from: None,
            to: None,
            department: row.lead_department_id,
            public: false,
            text: Some(text),
            detail: None,
            at: ctx.now(),
        },
    )
    .await?;
    commit(tx, ()).await
}

/// The citizen rates the answer, once per answer. A satisfied rating closes
/// the case; an unsatisfied one reopens it (once) with a new answer
/// deadline, then closes it.
#[tracing::instrument(name = "case.rate", skip_all, fields(minsheng.tenant = %tenant.slug))]
pub async fn rate(
    ctx: &Ctx,
    tenant: &TenantRecord,
    code: &str,
    secret: Option<&str>,
    rating: &str,
    comment: Option<&str>,
) -> Result<CaseDetail, Error> {
    if !is_trusted(ctx) {
        ctx.app
            .limits
            .take(&format!("rate:{}", tenant.slug), ctx.ip)?;
    }
    let rating = Rating::parse(rating).map_err(|m| Error::invalid("rating", m))?;
    let comment = parse_optional_text(comment, 1000).map_err(|m| Error::invalid("comment", m))?;
    // Read before the write transaction (cached): whether the city has
    // escalation rules to tell.
    let rules = crate::services::plugins::escalation::any(&ctx.app, tenant).await?;
    let tx = ctx.tx(tenant.id).await?;
    let row = owned(ctx, &tx, tenant, code, secret).await?;
    let from = state_of(&row)?;
    if from != State::Answered {
        return Err(Error::Conflict {
            field: Some("state".into()),
            message: format!("only an answered case can be rated; this one is {from}"),
        });
    }
    if row.rating.is_some() {
        return Err(Error::Conflict {
            field: Some("rating".into()),
            message: "this answer is already rated".into(),
        });
    }
    let now = ctx.now();
    let action = match rating {
        Rating::Unsatisfied if u32::try_from(row.reopened).unwrap_or(0) < MAX_REOPENS => {
            Action::Reopen
        }
        _ => Action::Close,
    };
    let step = machine::apply(from, facts_of(&row), action).map_err(conflict)?;
    // A reopened case gets a new answer deadline: the category's answer
    // days from now, on the city's calendar.
    let reopened = if action == Action::Reopen {
        let category =
            directory::by_id::<category::Entity>(&tx, tenant.id.into_uuid(), row.category_id)
                .await
                .or_internal()?
                .ok_or_else(|| Error::internal("a case of no category"))?;
        let days = u32::try_from(category.answer_days).unwrap_or(1).max(1);
        let calendar = ctx.app.calendars.get(&tx, tenant).await?;
        let deadline = calendar.deadline(now, days);
        Some((calendar, deadline))
    } else {
        None
    };
    let new_deadline = reopened.as_ref().map(|r| r.1);
    let mut update = case::ActiveModel {
        state: Set(step.to.as_str().to_owned()),
        reopened: Set(i32::try_from(step.reopened).unwrap_or(i32::MAX)),
        extension_pending: Set(step.extension_pending),
        rating: Set(Some(rating.as_str().to_owned())),
        rating_comment: Set(comment.clone()),
        rated_at: Set(Some(now)),
        closed_at: Set((step.to == State::Closed).then_some(now)),
        updated_at: Set(now),
        ..Default::default()
    };
    if let Some(deadline) = new_deadline {
        update.answer_deadline = Set(deadline);
        update.escalation_level = Set(0);
    }
    if !q::update_fenced(&tx, tenant.id.into_uuid(), row.id, &row.state, update)
        .await
        .or_internal()?
    {
        return Err(Error::Conflict {
            field: Some("state".into()),
            message: "the case changed; reload".into(),
        });
    }
    let lead = row.lead_department_id;
    let rated = serde_json::json!({ "rating": rating.as_str() });
    append(
        &tx,
        tenant,
        Entry {
            case_id: row.id,
            actor: ctx.principal.label(),
            action: "rated",
            from: None,
            to: None,
            department: lead,
            public: true,
            text: None,
            detail: Some(rated),
            at: now,
        },
    )
    .await?;
    crate::services::webhooks::enqueue(
        &tx,
        tenant,
        row.id,
        "case.rated",
        crate::services::webhooks::case_data(tenant, &row, step.to.as_str(), None),
        now,
    )
    .await?;
    if let Some(comment) = comment {
        append(
            &tx,
            tenant,
            Entry {
                case_id: row.id,
                actor: ctx.principal.label(),
                action: "rating_comment",
                from: None,
                to: None,
                department: lead,
                public: false,
                text: Some(comment),
                detail: None,
                at: now,
            },
        )
        .await?;
    }
    append(
        &tx,
        tenant,
        Entry {
            case_id: row.id,
            actor: ctx.principal.label(),
            action: action.as_str(),
            from: Some(from),
            to: Some(step.to),
            department: lead,
            public: true,
            text: None,
            detail: new_deadline.map(|d| serde_json::json!({ "answer_deadline": d })),
            at: now,
        },
    )
    .await?;
    // Rated: the answer no longer closes by itself. Closed, nothing is
    // due; reopened, the answer ladder runs again to the new deadline.
    use crate::services::escalation::{Ladder, Ladders, Scheduler, cancel};
    let ended = match new_deadline {
        Some(_) => Ladders::One(Ladder::Close),
        None => Ladders::All,
    };
    cancel(&tx, tenant, row.id, ended, now).await?;
    if let Some((calendar, deadline)) = reopened {
        Scheduler {
            tenant,
            case_id: row.id,
            calendar: &calendar,
            share: ctx.app.config.reminder_share,
            now,
        }
        .start(&tx, Ladder::Answer, now, deadline)
        .await?;
    }
    let delta = StatDelta {
        rated: 1,
        satisfied: i64::from(rating.is_satisfied()),
        ..Default::default()
    };
    count(&tx, tenant, lead, now, delta).await?;
    if rules && !rating.is_satisfied() {
        use minsheng_plugin_host::types::EscalationEvent;
        let mut steps = vec![crate::services::plugins::escalation::step(
            tenant,
            row.id,
            EscalationEvent::UnsatisfiedRating,
            now,
            now,
        )];
        if action == Action::Reopen {
            steps.push(crate::services::plugins::escalation::step(
                tenant,
                row.id,
                EscalationEvent::Reopened,
                now,
                now,
            ));
        }
        minsheng_store::queries::escalation::insert_due(&tx, steps)
            .await
            .or_internal()?;
    }
    tx.commit().await.or_internal()?;
    get(ctx, tenant, code, secret).await
}
