//! What each step of each ladder does to a case: its timeline entry, the
//! levels and counters it raises, and who is told (email and webhooks).

use super::ladder::{Ladder, Level};
use super::mail::{Facts, case_link, email, local_time};
use crate::App;
use crate::services::DbResultExt;
use crate::services::cases::{Entry, append, count};
use crate::services::tenants::TenantRecord;
use chrono::{DateTime, Utc};
use minsheng_domain::Error;
use minsheng_store::entity::{case, due_work};
use minsheng_store::queries::cases::{self as cq, StatDelta};
use minsheng_store::queries::escalation as q;
use minsheng_store::{ConnectionTrait, DatabaseTransaction};
use sea_orm::ActiveValue::Set;
use uuid::Uuid;

/// A claimed step that still applies to its case.
#[derive(Clone, Copy)]
pub(super) struct Step<'a> {
    pub ladder: Ladder,
    pub level: Level,
    pub due: &'a due_work::Model,
}

/// Apply a step's effects in the city's transaction `tx`.
pub(super) async fn effects(
    state: &App,
    tx: &DatabaseTransaction,
    tenant: &TenantRecord,
    row: &case::Model,
    step: Step<'_>,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    match step.ladder {
        Ladder::Answer => answer(tx, tenant, row, step, now).await?,
        Ladder::Accept => noted(tx, tenant, row, step, row.lead_department_id, now).await?,
        Ladder::Opinion(d) => opinion(tx, tenant, row, step, d, now).await?,
        Ladder::Close => {
            let code = match row.lead_department_id {
                Some(d) => Some(department_names(tx, tenant.id.into_uuid(), d).await?.0),
                None => None,
            };
            crate::services::cases::close_unrated(tx, tenant, row, code.as_deref(), now).await?;
            // Closed: nothing more is due.
            return super::cancel(tx, tenant, row.id, super::Ladders::All, now).await;
        }
    }
    tell(state, tx, tenant, row, step, now).await
}

/// The timeline entry of a step: internal, by `system:escalation`, with
/// the step's level, deadline and due time.
async fn noted(
    tx: &DatabaseTransaction,
    tenant: &TenantRecord,
    row: &case::Model,
    step: Step<'_>,
    department: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    append(
        tx,
        tenant,
        Entry {
            case_id: row.id,
            actor: "system:escalation".into(),
            action: step.ladder.action(step.level),
            from: None,
            to: None,
            department,
            public: false,
            text: None,
            detail: Some(serde_json::json!({
                "level": step.level as i16,
                "deadline": step.due.deadline_at,
                "due_at": step.due.due_at,
            })),
            at: now,
        },
    )
    .await
}

/// The answer ladder: the case's level, overdue (public) and supervision
/// counted, supervision noted on the case.
async fn answer(
    tx: &DatabaseTransaction,
    tenant: &TenantRecord,
    row: &case::Model,
    step: Step<'_>,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    let t = tenant.id.into_uuid();
    let level = step.level;
    append(
        tx,
        tenant,
        Entry {
            case_id: row.id,
            actor: "system:escalation".into(),
            // Already under supervision (a rule did it): the step is
            // noted, not counted a second time.
            action: if level == Level::Supervision && row.escalation_level >= 2 {
                "still_supervised"
            } else {
                level.action()
            },
            from: None,
            to: None,
            department: row.lead_department_id,
            // Overdue is public: the city publishes how well it keeps time.
            public: level == Level::Overdue,
            text: None,
            detail: Some(serde_json::json!({
                "level": level as i16,
                "deadline": step.due.deadline_at,
                "due_at": step.due.due_at,
            })),
            at: now,
        },
    )
    .await?;
    if level >= Level::Overdue {
        let mut update = case::ActiveModel {
            escalation_level: Set(level as i16),
            ..Default::default()
        };
        // The workbench's supervised tab (督办中) lists it from now on.
        if level == Level::Supervision && row.supervised_at.is_none() {
            update.supervised_at = Set(Some(now));
        }
        cq::update_by_id(tx, t, row.id, update)
            .await
            .or_internal()?;
    }
    let delta = match level {
        Level::Overdue => StatDelta {
            overdue: 1,
            ..Default::default()
        },
        // A rule may have put it under supervision already.
        Level::Supervision if row.escalation_level < 2 => StatDelta {
            supervised: 1,
            ..Default::default()
        },
        _ => StatDelta::default(),
    };
    if delta != StatDelta::default() {
        count(tx, tenant, row.lead_department_id, now, delta).await?;
    }
    Ok(())
}

/// A co-handler's opinion ladder: the entry names the department, which
/// keeps its own level; overdue opinions are counted for it.
async fn opinion(
    tx: &DatabaseTransaction,
    tenant: &TenantRecord,
    row: &case::Model,
    step: Step<'_>,
    department: Uuid,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    noted(tx, tenant, row, step, Some(department), now).await?;
    if step.level >= Level::Overdue {
        cq::raise_co_level(
            tx,
            tenant.id.into_uuid(),
            row.id,
            department,
            step.level as i16,
        )
        .await
        .or_internal()?;
    }
    if step.level == Level::Overdue {
        let delta = StatDelta {
            opinions_overdue: 1,
            ..Default::default()
        };
        count(tx, tenant, Some(department), now, delta).await?;
    }
    Ok(())
}

/// Who is told of a step: a webhook event `case.<action>` and an email in
/// the city's language to the people the step concerns.
async fn tell(
    state: &App,
    tx: &DatabaseTransaction,
    tenant: &TenantRecord,
    row: &case::Model,
    step: Step<'_>,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    let t = tenant.id.into_uuid();
    let (ladder, level) = (step.ladder, step.level);
    // The department the step concerns: a co-handler for its opinion, else
    // the lead; with no lead yet, the dispatchers who should assign one.
    let concerned = match ladder {
        Ladder::Opinion(d) => Some(d),
        _ => row.lead_department_id,
    };
    let recipients = match (ladder, level) {
        (Ladder::Accept, _) => q::staff_emails(tx, t, None, Some("dispatcher")).await,
        (_, Level::Reminder | Level::Overdue) => match concerned {
            Some(d) => q::staff_emails(tx, t, Some(d), None).await,
            None => q::staff_emails(tx, t, None, Some("dispatcher")).await,
        },
        (_, Level::Supervision) => q::staff_emails(tx, t, None, Some("supervisor")).await,
        (_, Level::Admin) => {
            q::staff_emails(tx, t, None, Some(minsheng_domain::access::CITY_ADMIN)).await
        }
    }
    .or_internal()?;
    let (concerned_code, concerned_name) = match concerned {
        Some(d) => department_names(tx, t, d).await?,
        None => Default::default(),
    };
    let lead_code = match row.lead_department_id {
        Some(d) if concerned != Some(d) => department_names(tx, t, d).await?.0,
        Some(_) => concerned_code.clone(),
        None => String::new(),
    };
    let key = ladder.action(level);
    let mut data = crate::services::webhooks::case_data(
        tenant,
        row,
        &row.state,
        Some(lead_code.as_str()).filter(|c| !c.is_empty()),
    );
    if let Ladder::Opinion(_) = ladder {
        data["co_department"] = serde_json::json!(concerned_code);
        data["opinion_deadline"] = serde_json::json!(step.due.deadline_at);
    }
    if let Ladder::Accept = ladder {
        data["accept_deadline"] = serde_json::json!(step.due.deadline_at);
    }
    crate::services::webhooks::enqueue(tx, tenant, row.id, &format!("case.{key}"), data, now)
        .await?;
    let facts = Facts {
        code: &row.tracking_code,
        title: &row.title,
        deadline: &local_time(tenant, step.due.deadline_at),
        department: &concerned_name,
        answer: "",
        link: &case_link(state, tenant, &row.tracking_code),
    };
    let messages = recipients
        .into_iter()
        .map(|to| {
            email(
                tenant,
                row.id,
                &to,
                &format!("case.{key}"),
                key,
                &facts,
                now,
            )
        })
        .collect();
    q::insert_outbox(tx, messages).await.or_internal()
}

/// A department's code and name.
async fn department_names(
    db: &impl ConnectionTrait,
    tenant: Uuid,
    id: Uuid,
) -> Result<(String, String), Error> {
    use sea_orm::EntityTrait;
    let row = minsheng_store::entity::department::Entity::find_by_id(id)
        .one(db)
        .await
        .or_internal()?;
    Ok(row
        .filter(|d| d.tenant_id == tenant)
        .map(|d| (d.code, d.name))
        .unwrap_or_default())
}
