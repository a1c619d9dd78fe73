//! Due work, escalations and the outbox. Claims take rows of every city
//! (the platform scope); everything a claim leads to happens in the city's
//! own transaction with the tenant in every statement.

use crate::entity::{due_work, escalation, outbox, user, user_department, user_role, webhook};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, FromQueryResult, QueryFilter,
    QuerySelect, Statement,
};
use uuid::Uuid;

pub const PENDING: &str = "pending";
pub const DONE: &str = "done";
pub const CANCELLED: &str = "cancelled";
pub const SENT: &str = "sent";
pub const FAILED: &str = "failed";

pub async fn insert_due(
    db: &impl ConnectionTrait,
    rows: Vec<due_work::ActiveModel>,
) -> Result<(), DbErr> {
    if rows.is_empty() {
        return Ok(());
    }
    due_work::Entity::insert_many(rows)
        .exec_without_returning(db)
        .await
        .map(|_| ())
}

/// Which of a case's pending steps [`cancel_due`] cancels, by their
/// `deadline` (the ladder they belong to).
#[derive(Clone, Copy, Debug)]
pub enum Ladders<'a> {
    /// Every pending step: the case was answered, rejected or closed.
    All,
    /// The steps of these ladders.
    Named(&'a [&'a str]),
    /// The steps of every ladder whose name starts with this.
    Prefixed(&'a str),
}

/// Cancel a case's pending steps of `ladders` (the case was answered or
/// closed, a deadline moved or was met).
pub async fn cancel_due(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    case_id: Uuid,
    ladders: Ladders<'_>,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let mut update = due_work::Entity::update_many()
        .col_expr(due_work::Column::State, Expr::value(CANCELLED))
        .col_expr(due_work::Column::UpdatedAt, Expr::value(now))
        .filter(due_work::Column::TenantId.eq(tenant_id))
        .filter(due_work::Column::CaseId.eq(case_id))
        .filter(due_work::Column::State.eq(PENDING));
    update = match ladders {
        Ladders::All => update,
        Ladders::Named(names) => {
            update.filter(due_work::Column::Deadline.is_in(names.iter().copied()))
        }
        Ladders::Prefixed(prefix) => update.filter(due_work::Column::Deadline.starts_with(prefix)),
    };
    update.exec(db).await.map(|r| r.rows_affected)
}

/// End every pending step of many cases (they were all answered).
pub async fn cancel_due_many(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    case_ids: &[Uuid],
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    for chunk in case_ids.chunks(256) {
        due_work::Entity::update_many()
            .col_expr(due_work::Column::State, Expr::value(CANCELLED))
            .col_expr(due_work::Column::UpdatedAt, Expr::value(now))
            .filter(due_work::Column::TenantId.eq(tenant_id))
            .filter(due_work::Column::CaseId.is_in(chunk.to_vec()))
            .filter(due_work::Column::State.eq(PENDING))
            .exec(db)
            .await?;
    }
    Ok(())
}

/// A case's pending steps.
pub async fn pending_for_case(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    case_id: Uuid,
) -> Result<Vec<due_work::Model>, DbErr> {
    due_work::Entity::find()
        .filter(due_work::Column::TenantId.eq(tenant_id))
        .filter(due_work::Column::CaseId.eq(case_id))
        .filter(due_work::Column::State.eq(PENDING))
        .all(db)
        .await
}

/// Claim up to `limit` due steps of any city for `owner` until
/// `lease_until`: pending, due at `now`, and not leased to a live worker.
/// Cities take turns: each city's oldest step, then each city's second,
/// and so on, up to `limit`.
pub async fn claim_due(
    db: &impl ConnectionTrait,
    owner: &str,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<due_work::Model>, DbErr> {
    let backend = db.get_database_backend();
    // Round robin across cities: each city's oldest steps first, so one
    // city's backlog never fills the batch. The outer condition is checked
    // again on the row as it is when updated (PostgreSQL re-reads a row
    // another worker changed first), so no step is claimed twice.
    let sql = match backend {
        DbBackend::Postgres => {
            "UPDATE due_work SET lease_owner = $1, lease_until = $2, attempts = attempts + 1, updated_at = $3 \
             WHERE state = 'pending' AND (lease_until IS NULL OR lease_until < $5) AND id IN ( \
               SELECT id FROM (SELECT id, due_at, row_number() OVER (PARTITION BY tenant_id ORDER BY due_at) AS turn \
                 FROM due_work WHERE state = 'pending' AND due_at <= $4 \
                 AND (lease_until IS NULL OR lease_until < $5)) AS ranked \
               ORDER BY turn, due_at LIMIT $6) RETURNING *"
        }
        _ => {
            "UPDATE due_work SET lease_owner = ?1, lease_until = ?2, attempts = attempts + 1, updated_at = ?3 \
             WHERE state = 'pending' AND (lease_until IS NULL OR lease_until < ?5) AND id IN ( \
               SELECT id FROM (SELECT id, due_at, row_number() OVER (PARTITION BY tenant_id ORDER BY due_at) AS turn \
                 FROM due_work WHERE state = 'pending' AND due_at <= ?4 \
                 AND (lease_until IS NULL OR lease_until < ?5)) AS ranked \
               ORDER BY turn, due_at LIMIT ?6) RETURNING *"
        }
    };
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    due_work::Model::find_by_statement(Statement::from_sql_and_values(
        backend,
        sql,
        [
            owner.into(),
            lease_until.into(),
            now.into(),
            now.into(),
            now.into(),
            limit.into(),
        ],
    ))
    .all(db)
    .await
}

/// Mark a claimed step done, if it is still pending and still ours (a
/// worker whose lease ran out and was taken over gets `false`).
pub async fn finish_due(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    id: Uuid,
    owner: &str,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    due_work::Entity::update_many()
        .col_expr(due_work::Column::State, Expr::value(DONE))
        .col_expr(due_work::Column::UpdatedAt, Expr::value(now))
        .filter(due_work::Column::TenantId.eq(tenant_id))
        .filter(due_work::Column::Id.eq(id))
        .filter(due_work::Column::State.eq(PENDING))
        .filter(due_work::Column::LeaseOwner.eq(owner))
        .exec(db)
        .await
        .map(|r| r.rows_affected == 1)
}

/// Record an escalation step; `false` when this step of this case's
/// deadline already happened (the unique key holds it to once).
pub async fn insert_escalation(
    db: &impl ConnectionTrait,
    row: escalation::ActiveModel,
) -> Result<bool, DbErr> {
    use escalation::Column as C;
    let inserted = escalation::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([C::TenantId, C::CaseId, C::Deadline, C::DeadlineAt, C::Level])
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(inserted == 1)
}

/// A case's escalations, oldest first.
pub async fn escalations_of(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    case_id: Uuid,
) -> Result<Vec<escalation::Model>, DbErr> {
    use sea_orm::QueryOrder;
    escalation::Entity::find()
        .filter(escalation::Column::TenantId.eq(tenant_id))
        .filter(escalation::Column::CaseId.eq(case_id))
        .order_by_asc(escalation::Column::FiredAt)
        .all(db)
        .await
}

/// The levels of a case's ladder that already happened for the deadline
/// at `deadline_at`.
pub async fn fired_levels(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    case_id: Uuid,
    deadline: &str,
    deadline_at: DateTime<Utc>,
) -> Result<Vec<i16>, DbErr> {
    escalation::Entity::find()
        .select_only()
        .column(escalation::Column::Level)
        .filter(escalation::Column::TenantId.eq(tenant_id))
        .filter(escalation::Column::CaseId.eq(case_id))
        .filter(escalation::Column::Deadline.eq(deadline))
        .filter(escalation::Column::DeadlineAt.eq(deadline_at))
        .into_tuple()
        .all(db)
        .await
}

/// Email addresses of a city's active staff: those in `department`, or
/// holding the role `role_code`.
pub async fn staff_emails(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    department: Option<Uuid>,
    role_code: Option<&str>,
) -> Result<Vec<String>, DbErr> {
    let mut query = user::Entity::find()
        .select_only()
        .column(user::Column::Email)
        .distinct()
        .filter(user::Column::TenantId.eq(tenant_id))
        .filter(user::Column::Active.eq(true))
        .filter(user::Column::Kind.eq("staff"))
        .filter(user::Column::Email.is_not_null());
    if let Some(d) = department {
        let members = user_department::Entity::find()
            .select_only()
            .column(user_department::Column::UserId)
            .filter(user_department::Column::TenantId.eq(tenant_id))
            .filter(user_department::Column::DepartmentId.eq(d));
        query =
            query.filter(user::Column::Id.in_subquery(sea_orm::QueryTrait::into_query(members)));
    }
    if let Some(code) = role_code {
        let holders = user_role::Entity::find()
            .select_only()
            .column(user_role::Column::UserId)
            .filter(user_role::Column::TenantId.eq(tenant_id))
            .filter(user_role::Column::RoleCode.eq(code));
        query =
            query.filter(user::Column::Id.in_subquery(sea_orm::QueryTrait::into_query(holders)));
    }
    let emails: Vec<Option<String>> = query.into_tuple().all(db).await?;
    Ok(emails.into_iter().flatten().collect())
}

// ---- the outbox -----------------------------------------------------------

/// A message to queue: pending, due at once, never tried.
pub struct NewMessage {
    pub tenant_id: Uuid,
    pub case_id: Option<Uuid>,
    /// `email` or `webhook`.
    pub channel: &'static str,
    pub recipient: String,
    pub event: String,
    pub subject: String,
    pub body: String,
    /// The W3C `traceparent` of the span that queued it.
    pub trace_parent: Option<String>,
}

impl NewMessage {
    pub fn row(self, now: DateTime<Utc>) -> outbox::ActiveModel {
        use sea_orm::ActiveValue::Set;
        outbox::ActiveModel {
            id: Set(Uuid::now_v7()),
            tenant_id: Set(self.tenant_id),
            case_id: Set(self.case_id),
            channel: Set(self.channel.to_owned()),
            recipient: Set(self.recipient),
            event: Set(self.event),
            subject: Set(self.subject.chars().take(300).collect()),
            body: Set(self.body),
            state: Set(PENDING.into()),
            attempts: Set(0),
            next_attempt_at: Set(now),
            lease_owner: Set(None),
            lease_until: Set(None),
            last_error: Set(None),
            created_at: Set(now),
            sent_at: Set(None),
            trace_parent: Set(self.trace_parent),
        }
    }
}

pub async fn insert_outbox(
    db: &impl ConnectionTrait,
    rows: Vec<outbox::ActiveModel>,
) -> Result<(), DbErr> {
    if rows.is_empty() {
        return Ok(());
    }
    outbox::Entity::insert_many(rows)
        .exec_without_returning(db)
        .await
        .map(|_| ())
}

/// Claim up to `limit` messages of any city that are due to be (re)sent.
pub async fn claim_outbox(
    db: &impl ConnectionTrait,
    owner: &str,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
    limit: u64,
    webhooks_only: bool,
) -> Result<Vec<outbox::Model>, DbErr> {
    let backend = db.get_database_backend();
    let only = if webhooks_only {
        " AND channel = 'webhook'"
    } else {
        ""
    };
    let sql = match backend {
        DbBackend::Postgres => {
            "UPDATE outbox SET lease_owner = $1, lease_until = $2 \
             WHERE id IN (SELECT id FROM outbox WHERE state = 'pending' AND next_attempt_at <= $3 \
               AND (lease_until IS NULL OR lease_until < $4){only} ORDER BY next_attempt_at LIMIT $5 \
               FOR UPDATE SKIP LOCKED) RETURNING *"
        }
        _ => {
            "UPDATE outbox SET lease_owner = ?, lease_until = ? \
             WHERE id IN (SELECT id FROM outbox WHERE state = 'pending' AND next_attempt_at <= ? \
               AND (lease_until IS NULL OR lease_until < ?){only} ORDER BY next_attempt_at LIMIT ?) RETURNING *"
        }
    };
    let sql = sql.replace("{only}", only);
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    outbox::Model::find_by_statement(Statement::from_sql_and_values(
        backend,
        &sql,
        [
            owner.into(),
            lease_until.into(),
            now.into(),
            now.into(),
            limit.into(),
        ],
    ))
    .all(db)
    .await
}

/// Record the outcome of one delivery attempt of a claimed message.
pub async fn settle_outbox(
    db: &impl ConnectionTrait,
    id: Uuid,
    owner: &str,
    outcome: Delivery,
) -> Result<(), DbErr> {
    use outbox::Column as C;
    let mut update = outbox::Entity::update_many()
        .col_expr(C::Attempts, Expr::col(C::Attempts).add(1))
        .col_expr(C::LeaseOwner, Expr::value(Option::<String>::None))
        .col_expr(C::LeaseUntil, Expr::value(Option::<DateTime<Utc>>::None));
    update = match outcome {
        Delivery::Sent { at } => update
            .col_expr(C::State, Expr::value(SENT))
            .col_expr(C::SentAt, Expr::value(Some(at))),
        Delivery::Retry { error, at } => update
            .col_expr(C::NextAttemptAt, Expr::value(at))
            .col_expr(C::LastError, Expr::value(Some(error))),
        Delivery::GaveUp { error } => update
            .col_expr(C::State, Expr::value(FAILED))
            .col_expr(C::LastError, Expr::value(Some(error))),
    };
    update
        .filter(C::Id.eq(id))
        .filter(C::LeaseOwner.eq(owner))
        .exec(db)
        .await
        .map(|_| ())
}

/// How one delivery attempt ended.
pub enum Delivery {
    Sent {
        at: DateTime<Utc>,
    },
    /// Try again at `at`.
    Retry {
        error: String,
        at: DateTime<Utc>,
    },
    /// A permanent failure: shown to the city's admins.
    GaveUp {
        error: String,
    },
}

/// A city's messages, newest first, optionally in one state.
pub async fn outbox_of(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    state: Option<&str>,
    limit: u64,
) -> Result<Vec<outbox::Model>, DbErr> {
    use sea_orm::QueryOrder;
    let mut query = outbox::Entity::find().filter(outbox::Column::TenantId.eq(tenant_id));
    if let Some(s) = state {
        query = query.filter(outbox::Column::State.eq(s));
    }
    query
        .order_by_desc(outbox::Column::CreatedAt)
        .limit(limit)
        .all(db)
        .await
}

/// One of a city's messages.
pub async fn outbox_by_id(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    id: Uuid,
) -> Result<Option<outbox::Model>, DbErr> {
    outbox::Entity::find()
        .filter(outbox::Column::TenantId.eq(tenant_id))
        .filter(outbox::Column::Id.eq(id))
        .one(db)
        .await
}

/// Queue a given-up message again: pending, due at `now`, with all its
/// attempts ahead of it. Whether it was a failed message of the city.
pub async fn requeue_outbox(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    use outbox::Column as C;
    outbox::Entity::update_many()
        .col_expr(C::State, Expr::value(PENDING))
        .col_expr(C::Attempts, Expr::value(0))
        .col_expr(C::NextAttemptAt, Expr::value(now))
        .col_expr(C::LeaseOwner, Expr::value(Option::<String>::None))
        .col_expr(C::LeaseUntil, Expr::value(Option::<DateTime<Utc>>::None))
        .filter(C::TenantId.eq(tenant_id))
        .filter(C::Id.eq(id))
        .filter(C::State.eq(FAILED))
        .exec(db)
        .await
        .map(|r| r.rows_affected == 1)
}

// ---- webhooks -------------------------------------------------------------

pub async fn insert_webhook(
    db: &impl ConnectionTrait,
    row: webhook::ActiveModel,
) -> Result<webhook::Model, DbErr> {
    use sea_orm::ActiveModelTrait;
    row.insert(db).await
}

/// A city's active endpoints.
pub async fn webhooks_of(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
) -> Result<Vec<webhook::Model>, DbErr> {
    use sea_orm::QueryOrder;
    webhook::Entity::find()
        .filter(webhook::Column::TenantId.eq(tenant_id))
        .filter(webhook::Column::Active.eq(true))
        .order_by_asc(webhook::Column::CreatedAt)
        .all(db)
        .await
}

/// An endpoint by id (the sender, which works for every city).
pub async fn webhook_by_id(
    db: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Option<webhook::Model>, DbErr> {
    webhook::Entity::find_by_id(id).one(db).await
}

/// Stop calling an endpoint; its delivery log stays.
pub async fn deactivate_webhook(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    id: Uuid,
) -> Result<bool, DbErr> {
    webhook::Entity::update_many()
        .col_expr(webhook::Column::Active, Expr::value(false))
        .filter(webhook::Column::TenantId.eq(tenant_id))
        .filter(webhook::Column::Id.eq(id))
        .filter(webhook::Column::Active.eq(true))
        .exec(db)
        .await
        .map(|r| r.rows_affected == 1)
}

/// Messages to one recipient (a webhook's deliveries), newest first.
pub async fn outbox_to(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    recipient: &str,
    limit: u64,
) -> Result<Vec<outbox::Model>, DbErr> {
    use sea_orm::QueryOrder;
    outbox::Entity::find()
        .filter(outbox::Column::TenantId.eq(tenant_id))
        .filter(outbox::Column::Recipient.eq(recipient))
        .order_by_desc(outbox::Column::CreatedAt)
        .limit(limit)
        .all(db)
        .await
}

/// How many due-work rows of `deadline` a case has had, in any state.
pub async fn count_due(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    case_id: Uuid,
    deadline: &str,
) -> Result<u64, DbErr> {
    use sea_orm::PaginatorTrait;
    due_work::Entity::find()
        .filter(due_work::Column::TenantId.eq(tenant_id))
        .filter(due_work::Column::CaseId.eq(case_id))
        .filter(due_work::Column::Deadline.eq(deadline))
        .count(db)
        .await
}
