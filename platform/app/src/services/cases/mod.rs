//! Cases: submission, the lifecycle, answers, ratings, public reading and
//! statistics. Every change appends to the timeline and updates the
//! statistics rollup in the same transaction.
//!
//! This module keeps what the parts share: the timeline, the statistics
//! counters, who may see a case, finding it and naming its departments and
//! categories. Reading one case is in `read`, listings in `lists`, staff
//! actions in `staff`, the citizen's in `citizen` and the figures in `stats`.

mod citizen;
mod cohandling;
mod duplicates;
mod lists;
mod merge;
mod read;
mod settled;
mod similar;
mod staff;
mod staff_case;
mod stats;
mod suggestions;
mod supervision;
mod unrated;
mod workbench;

pub use citizen::{add_information, get_own, mine, rate};
pub use cohandling::{OPINION_DAYS, give_opinion, opinion_deadline};
pub use duplicates::{DUPLICATES_SHOWN, Duplicate, scan_all, scan_due};
pub use lists::{
    BROWSE_COUNT_CAP, Browse, browse_public, inbox, list_open311, list_public, list_recent_public,
    public_updates,
};
pub use merge::{merge, not_duplicate};
pub use read::get;
pub use settled::{SETTLED_TTL, Settled};
pub use similar::{SIMILAR_MIN_SCORE, SIMILAR_SHOWN, similar_public};
pub use staff::{StaffAction, act, note, release};
pub use staff_case::{StaffCase, staff_case};
pub(crate) use stats::summarize;
pub use stats::{add_views, city_stats, count_view, department_stats, note_view, recount};
pub(crate) use suggestions::{
    find_suggestion, find_suggestions, note_merge, public_title, public_views, publish_answers,
};
pub use supervision::{BOARD_CASES, Board, BoardCase, DepartmentLoad, board, supervise};
pub(crate) use unrated::close_unrated;
pub use unrated::close_unrated_at;
pub use workbench::{
    COUNT_CAP, DeskView, Inbox, InboxItem, InboxQuery, Tab, TabCount, days_left, work_queue,
};

use super::DbResultExt;
use crate::access::tokens::{constant_time_eq, sha256_hex};
use crate::access::{Ctx, Principal};
use crate::services::directory::Names;
use crate::services::tenants::TenantRecord;
use chrono::{DateTime, NaiveDate, Utc};
use minsheng_domain::Error;
use minsheng_domain::case::{self as machine, Facts, State};
use minsheng_domain::ids::{CaseEventId, DepartmentId};
use minsheng_store::ConnectionTrait;
use minsheng_store::entity::{case, case_event};
use minsheng_store::queries::cases::{self as q, StatDelta};
use rand::Rng;
use sea_orm::ActiveValue::Set;
use uuid::Uuid;

/// Unsatisfied ratings that reopen a case; after that it closes.
pub const MAX_REOPENS: u32 = 1;

fn state_of(row: &case::Model) -> Result<State, Error> {
    State::parse(&row.state).map_err(Error::internal)
}

fn facts_of(row: &case::Model) -> Facts {
    Facts {
        extension_pending: row.extension_pending,
        reopened: u32::try_from(row.reopened).unwrap_or(0),
        max_reopens: MAX_REOPENS,
    }
}

fn conflict(e: machine::IllegalTransition) -> Error {
    Error::Conflict {
        field: Some("state".into()),
        message: e.to_string(),
    }
}

/// The local day of an instant in the city, for the statistics.
pub(super) fn day_of(tenant: &TenantRecord, at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&tenant.time_zone).date_naive()
}

/// Add to the city's counters and, when known, the department's, in a
/// random shard so concurrent writers rarely touch the same row. The city's
/// row is always updated before the department's, so two transactions
/// cannot lock them in opposite orders.
pub(super) async fn count(
    db: &impl ConnectionTrait,
    tenant: &TenantRecord,
    department: Option<Uuid>,
    at: DateTime<Utc>,
    delta: StatDelta,
) -> Result<(), Error> {
    let shard = rand::rng().random_range(0..q::STAT_SHARDS);
    let mut rows = vec![Uuid::nil()];
    rows.extend(department);
    q::add_stats(
        db,
        tenant.id.into_uuid(),
        &rows,
        day_of(tenant, at),
        shard,
        delta,
    )
    .await
    .or_internal()
}

/// One timeline entry to append.
pub(super) struct Entry<'a> {
    pub case_id: Uuid,
    /// Who did it, as the timeline shows it.
    pub actor: String,
    pub action: &'a str,
    pub from: Option<State>,
    pub to: Option<State>,
    pub department: Option<Uuid>,
    pub public: bool,
    pub text: Option<String>,
    pub detail: Option<serde_json::Value>,
    pub at: DateTime<Utc>,
}

impl Entry<'_> {
    /// The row to insert.
    pub(super) fn row(self, tenant: &TenantRecord) -> case_event::ActiveModel {
        case_event::ActiveModel {
            id: Set(CaseEventId::new().into_uuid()),
            tenant_id: Set(tenant.id.into_uuid()),
            case_id: Set(self.case_id),
            at: Set(self.at),
            actor: Set(self.actor),
            action: Set(self.action.to_owned()),
            from_state: Set(self.from.map(|s| s.as_str().to_owned())),
            to_state: Set(self.to.map(|s| s.as_str().to_owned())),
            department_id: Set(self.department),
            public: Set(self.public),
            text: Set(self.text),
            detail: Set(self.detail),
        }
    }
}

/// Append to a case's timeline; entries are never changed afterwards.
pub(super) async fn append(
    db: &impl ConnectionTrait,
    tenant: &TenantRecord,
    entry: Entry<'_>,
) -> Result<(), Error> {
    q::insert_event(db, entry.row(tenant)).await.or_internal()
}

/// Whether the principal holds a permission in the city (no audit entry).
pub(crate) async fn holds(ctx: &Ctx, tenant: &TenantRecord, permission: &str) -> bool {
    match &ctx.principal {
        Principal::Operator { .. } => true,
        Principal::Staff {
            user, tenant: t, ..
        } if *t == tenant.id => ctx.app.policy.allows(*user, tenant.id, permission).await,
        Principal::ApiClient {
            scopes, tenant: t, ..
        } if *t == tenant.id => scopes.iter().any(|s| s == permission),
        _ => false,
    }
}

/// Staff, operators and integrations are not rate-limited like anonymous
/// visitors.
pub(super) fn is_trusted(ctx: &Ctx) -> bool {
    matches!(
        ctx.principal,
        Principal::Staff { .. } | Principal::Operator { .. } | Principal::ApiClient { .. }
    )
}

// ---- reading ------------------------------------------------------------

/// Who may see a case's non-public parts.
enum Access {
    /// Only what is public.
    Public,
    /// The citizen who filed it (secret or account).
    Owner,
    /// The city's staff who may read it.
    Staff,
}

async fn access_to(
    ctx: &Ctx,
    db: &impl ConnectionTrait,
    tenant: &TenantRecord,
    row: &case::Model,
    secret: Option<&str>,
) -> Result<Access, Error> {
    if let Some(secret) = secret
        && constant_time_eq(&sha256_hex(secret), &row.secret_hash)
    {
        return Ok(Access::Owner);
    }
    match &ctx.principal {
        Principal::Citizen {
            user, tenant: t, ..
        } if *t == tenant.id && row.citizen_id == Some(user.into_uuid()) => {
            return Ok(Access::Owner);
        }
        Principal::Operator { .. } => return Ok(Access::Staff),
        Principal::Staff {
            user, tenant: t, ..
        } if *t == tenant.id && ctx.app.policy.allows(*user, tenant.id, "case:read").await => {
            return Ok(match ctx.department_scope(tenant, "case:read").await {
                None => Access::Staff,
                Some(scope) if handles(db, tenant, row, &scope).await? => Access::Staff,
                Some(_) => Access::Public,
            });
        }
        Principal::ApiClient {
            scopes, tenant: t, ..
        } if *t == tenant.id && scopes.iter().any(|s| s == "case:read") => {
            return Ok(Access::Staff);
        }
        _ => {}
    }
    Ok(Access::Public)
}

/// Whether one of `scope`'s departments leads or co-handles the case.
async fn handles(
    db: &impl ConnectionTrait,
    tenant: &TenantRecord,
    row: &case::Model,
    scope: &[DepartmentId],
) -> Result<bool, Error> {
    let mine = |d: &Uuid| scope.iter().any(|s| s.into_uuid() == *d);
    if row.lead_department_id.as_ref().is_some_and(mine) {
        return Ok(true);
    }
    let co = q::co_departments(db, tenant.id.into_uuid(), row.id)
        .await
        .or_internal()?;
    Ok(co.iter().any(mine))
}

/// The city's names of departments and categories, from the city cache
/// (read through `db` when it has expired).
async fn names(
    ctx: &Ctx,
    db: &impl ConnectionTrait,
    tenant: &TenantRecord,
) -> Result<std::sync::Arc<Names>, Error> {
    Ok(ctx.app.calendars.rules_in(db, tenant).await?.names)
}

async fn find(
    db: &impl ConnectionTrait,
    tenant: &TenantRecord,
    code: &str,
) -> Result<case::Model, Error> {
    let not_found = || Error::not_found(format!("case {code:?}"));
    let code = machine::normalize_tracking_code(code).ok_or_else(not_found)?;
    q::by_code(db, tenant.id.into_uuid(), &code)
        .await
        .or_internal()?
        .ok_or_else(not_found)
}
