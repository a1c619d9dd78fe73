//! Supervision (督办): a supervisor puts a case under supervision or urges
//! its lead department (催办), which is told by mail and sees it on the
//! timeline; the supervisors' board lists each department's open, overdue
//! and supervised cases and the extension requests waiting for them.

use super::{Entry, append, find, names};
use crate::access::Ctx;
use crate::services::tenants::TenantRecord;
use crate::services::{DbResultExt, commit};
use minsheng_domain::Error;
use minsheng_domain::values::parse_text;
use minsheng_store::entity::case;
use minsheng_store::queries::cases::{self as q, Filter, QueueOrder};
use minsheng_store::queries::escalation as eq;
use sea_orm::ActiveValue::Set;

/// Put the case under supervision (督办) the first time, urge its lead
/// department (催办) every time: a timeline entry with the supervisor's
/// words and a mail to the lead department's staff.
pub async fn supervise(
    ctx: &Ctx,
    tenant: &TenantRecord,
    code: &str,
    text: &str,
) -> Result<(), Error> {
    ctx.authorize(tenant, "case:supervise").await?;
    let text = parse_text(text, 2, 1000).map_err(|m| Error::invalid("text", m))?;
    let tx = ctx.tx(tenant.id).await?;
    let row = find(&tx, tenant, code).await?;
    let state = super::state_of(&row)?;
    if !state.is_open() {
        return Err(Error::Conflict {
            field: Some("state".into()),
            message: format!("only a case still waiting for the city is supervised; it is {state}"),
        });
    }
    let Some(lead) = row.lead_department_id else {
        return Err(Error::Conflict {
            field: Some("state".into()),
            message: "the case has no lead department yet: assign it first".into(),
        });
    };
    let now = ctx.now();
    let first = row.supervised_at.is_none();
    if first {
        q::update_by_id(
            &tx,
            tenant.id.into_uuid(),
            row.id,
            case::ActiveModel {
                supervised_at: Set(Some(now)),
                updated_at: Set(now),
                ..Default::default()
            },
        )
        .await
        .or_internal()?;
    }
    let action = if first { "supervise" } else { "urge" };
    append(
        &tx,
        tenant,
        Entry {
            case_id: row.id,
            actor: ctx.principal.label(),
            action,
            from: None,
            to: None,
            department: Some(lead),
            public: false,
            text: Some(text.clone()),
            detail: None,
            at: now,
        },
    )
    .await?;
    let names = names(ctx, &tx, tenant).await?;
    let department = names
        .departments
        .get(&lead)
        .map(|d| d.1.clone())
        .unwrap_or_default();
    let recipients = eq::staff_emails(&tx, tenant.id.into_uuid(), Some(lead), None)
        .await
        .or_internal()?;
    let link = format!(
        "{}/t/{}/staff/cases/{}",
        ctx.app.config.public_url.trim_end_matches('/'),
        tenant.slug,
        row.tracking_code
    );
    let deadline = crate::services::escalation::local_time(tenant, row.answer_deadline);
    let facts = crate::services::escalation::Facts {
        code: &row.tracking_code,
        title: &row.title,
        deadline: &deadline,
        department: &department,
        answer: &text,
        link: &link,
    };
    let messages: Vec<_> = recipients
        .iter()
        .map(|to| {
            crate::services::escalation::email(
                tenant,
                row.id,
                to,
                "case.urged",
                "urged",
                &facts,
                now,
            )
        })
        .collect();
    if !messages.is_empty() {
        eq::insert_outbox(&tx, messages).await.or_internal()?;
    }
    commit(tx, ()).await
}

/// A department's open work, for the supervisors' board.
#[derive(Clone, Debug)]
pub struct DepartmentLoad {
    pub department: Option<String>,
    pub department_name: Option<String>,
    pub open: u64,
    pub overdue: u64,
    pub supervised: u64,
}

/// A case on the board.
#[derive(Clone, Debug)]
pub struct BoardCase {
    pub code: String,
    pub title: String,
    pub state: String,
    pub department_name: Option<String>,
    pub answer_deadline: chrono::DateTime<chrono::Utc>,
    pub supervised: bool,
}

/// What supervisors watch.
#[derive(Clone, Debug)]
pub struct Board {
    /// Departments with open cases, the most overdue first.
    pub departments: Vec<DepartmentLoad>,
    /// Extension requests waiting for a decision, oldest deadline first.
    pub extensions: Vec<BoardCase>,
    /// Overdue or supervised open cases, oldest deadline first.
    pub cases: Vec<BoardCase>,
}

/// How many cases each list of the board shows.
pub const BOARD_CASES: u64 = 50;

pub async fn board(ctx: &Ctx, tenant: &TenantRecord) -> Result<Board, Error> {
    ctx.authorize(tenant, "case:supervise").await?;
    ctx.authorize(tenant, "case:read").await?;
    let tx = ctx.read_tx(tenant.id).await?;
    let names = names(ctx, &tx, tenant).await?;
    let now = ctx.now();
    let t = tenant.id.into_uuid();
    let mut departments: Vec<DepartmentLoad> = q::open_by_department(&tx, t, now)
        .await
        .or_internal()?
        .into_iter()
        .map(|l| {
            let d = l.department_id.and_then(|d| names.departments.get(&d));
            DepartmentLoad {
                department: d.map(|d| d.0.clone()),
                department_name: d.map(|d| d.1.clone()),
                open: l.open,
                overdue: l.overdue,
                supervised: l.supervised,
            }
        })
        .collect();
    departments.sort_by(|a, b| {
        b.overdue
            .cmp(&a.overdue)
            .then(b.supervised.cmp(&a.supervised))
            .then(b.open.cmp(&a.open))
            .then(a.department.cmp(&b.department))
    });
    let open: Vec<String> = q::OPEN_STATES.iter().map(|s| (*s).to_owned()).collect();
    let view = |r: &q::QueueRow| BoardCase {
        code: r.tracking_code.clone(),
        title: r.title.clone(),
        state: r.state.clone(),
        department_name: r
            .lead_department_id
            .and_then(|d| names.departments.get(&d))
            .map(|d| d.1.clone()),
        answer_deadline: r.answer_deadline,
        supervised: r.supervised_at.is_some(),
    };
    let pending = Filter {
        states: Some(open.clone()),
        extension_pending: true,
        ..Default::default()
    };
    let extensions = q::queue(&tx, t, &pending, QueueOrder::Deadline, None, BOARD_CASES)
        .await
        .or_internal()?
        .iter()
        .map(view)
        .collect();
    let overdue = Filter {
        states: Some(open.clone()),
        deadline_before: Some(now),
        ..Default::default()
    };
    let mut cases: Vec<BoardCase> =
        q::queue(&tx, t, &overdue, QueueOrder::Deadline, None, BOARD_CASES)
            .await
            .or_internal()?
            .iter()
            .map(view)
            .collect();
    let supervised = Filter {
        states: Some(open),
        supervised: true,
        ..Default::default()
    };
    for r in q::queue(&tx, t, &supervised, QueueOrder::Deadline, None, BOARD_CASES)
        .await
        .or_internal()?
    {
        if !cases.iter().any(|c| c.code == r.tracking_code) {
            cases.push(view(&r));
        }
    }
    cases.sort_by_key(|c| c.answer_deadline);
    commit(
        tx,
        Board {
            departments,
            extensions,
            cases,
        },
    )
    .await
}
