//! The group commit: the queue in front of the intake writers, a checked
//! submission as a job, and the rows each batch of submissions writes
//! together.

use super::check::ValidCase;
use super::{expiry, replay};
use crate::access::tokens::{random_token, sha256_hex};
use crate::model::CaseCreated;
use crate::services::cases::{Entry, day_of};
use crate::services::tenants::TenantRecord;
use chrono::{DateTime, NaiveDate, Utc};
use minsheng_domain::Error;
use minsheng_domain::case::{self as machine, State};
use minsheng_domain::ids::CaseId;
use minsheng_store::entity::{
    campaign_suggestion, case, case_department, case_event, case_idempotency, case_search, due_work,
};
use minsheng_store::group_commit::{GroupCommit, Job, Tally};
use minsheng_store::queries::campaigns::rows::{FigureDelta, add_figures};
use minsheng_store::queries::cases::{self as q, StatDelta};
use minsheng_store::{DatabaseTransaction, DbErr, Scope, Store};
use rand::RngCore;
use sea_orm::ActiveValue::Set;
use std::collections::HashMap;
use std::sync::Arc;
use uuid::Uuid;

/// The kind of a case that is a campaign's suggestion.
pub const SUGGESTION: &str = "suggestion";

/// The queue in front of the intake writers.
pub type Intake = GroupCommit<Submission>;

/// Start the intake writers. SQLite has one writer anyway: one task commits
/// up to 64 submissions at a time. PostgreSQL writes in parallel: four
/// tasks, each committing up to 16, so a burst is spread over them.
pub fn start(store: &Store) -> Intake {
    let (writers, batch) = match store.backend() {
        minsheng_store::Backend::Sqlite => (1, 64),
        minsheng_store::Backend::Postgres => (4, 16),
    };
    GroupCommit::start(store.clone(), writers, batch)
}

/// A checked submission waiting for the writer.
#[derive(Clone)]
pub struct Submission {
    pub(super) tenant: TenantRecord,
    pub(super) key: Option<String>,
    pub(super) request_hash: String,
    pub(super) actor: String,
    pub(super) citizen: Option<Uuid>,
    /// Shared: a retry of the job does not copy the case.
    pub(super) valid: Arc<ValidCase>,
    pub(super) now: DateTime<Utc>,
    pub(super) accept_deadline: DateTime<Utc>,
    pub(super) answer_deadline: DateTime<Utc>,
    /// When the department is reminded, as a share of the allowed time.
    pub(super) reminder_share: f64,
    /// Its words for the search index, segmented before the queue.
    pub(super) search: Arc<crate::services::search::Indexed>,
    /// Set when the case is a campaign's suggestion.
    pub(super) suggestion: Option<SuggestionLink>,
}

/// What makes a submitted case a campaign's suggestion: the campaign and
/// the working group that answers it.
#[derive(Clone, Copy, Debug)]
pub struct SuggestionLink {
    pub campaign_id: Uuid,
    pub group_id: Option<Uuid>,
    /// The campaign's answer deadline, in working days.
    pub answer_days: u32,
}

/// Why a submission's write did not happen.
pub enum Failure {
    /// A random tracking code or an idempotency key collided: try again.
    Collision(Error),
    /// The database was busy or failed: the caller may retry.
    Busy(Error),
    /// The request itself is wrong.
    Refused(Error),
}

/// What a batch of submissions writes together: its new rows, inserted
/// with one statement per table, and the counters it adds to, by
/// (department or the nil id for the whole city, local day).
#[derive(Default)]
pub struct Batch {
    cases: Vec<case::ActiveModel>,
    events: Vec<case_event::ActiveModel>,
    keys: Vec<case_idempotency::ActiveModel>,
    /// The first steps of each new case's escalation ladders.
    due: Vec<due_work::ActiveModel>,
    /// Co-handling departments rules chose.
    co_handlers: Vec<case_department::ActiveModel>,
    /// The new cases' rows of the search index.
    search: Vec<case_search::ActiveModel>,
    /// What the batch's campaign suggestions have beyond their case.
    suggestions: Vec<campaign_suggestion::ActiveModel>,
    /// Their campaigns, one entry a suggestion (for the figures).
    campaigns: Vec<Uuid>,
    /// Forget idempotency keys older than this first (they are kept a day).
    expire_keys_before: Option<DateTime<Utc>>,
    /// The city's daily case quota and the cases it had received on that
    /// day before this batch, read once a batch (`None` until read).
    daily: Option<(Option<u64>, NaiveDate, i64)>,
    received: HashMap<(Uuid, NaiveDate), StatDelta>,
}

impl Batch {
    fn count(&mut self, department: Uuid, day: NaiveDate, delta: StatDelta) {
        *self.received.entry((department, day)).or_default() += delta;
    }
}

impl Tally for Batch {}

impl Job for Submission {
    type Output = (CaseCreated, bool);
    type Error = Failure;
    type Tally = Batch;

    fn scope(&self) -> Scope {
        Scope::Tenant(self.tenant.id.into_uuid())
    }

    async fn run(
        &mut self,
        tx: &DatabaseTransaction,
        batch: &mut Batch,
    ) -> Result<Self::Output, Failure> {
        self.prepare(tx, batch).await
    }

    async fn settle(
        tx: &DatabaseTransaction,
        scope: Scope,
        writer: usize,
        batch: Batch,
    ) -> Result<(), Failure> {
        let Scope::Tenant(tenant) = scope else {
            return Err(Failure::Refused(Error::internal(
                "intake runs in a city's scope",
            )));
        };
        if let Some(before) = batch.expire_keys_before {
            q::expire_idempotency(tx, tenant, before)
                .await
                .map_err(written)?;
        }
        q::insert_batch(tx, batch.cases, batch.events, batch.keys)
            .await
            .map_err(written)?;
        q::insert_co_departments(tx, batch.co_handlers)
            .await
            .map_err(Submission::database)?;
        // Each campaign's count of suggestions received, as they are.
        let mut received = batch.campaigns;
        minsheng_store::queries::campaigns::suggestions::insert_batch(tx, batch.suggestions)
            .await
            .map_err(Submission::database)?;
        minsheng_store::queries::escalation::insert_due(tx, batch.due)
            .await
            .map_err(Submission::database)?;
        minsheng_store::queries::search::upsert(tx, batch.search)
            .await
            .map_err(Submission::database)?;
        // Each writer adds to its own counter shard: concurrent batches
        // never wait on each other's counter rows. The city's row comes
        // first, as everywhere, so lock order is the same for everyone.
        let shard = i16::try_from(writer).unwrap_or(0) % q::STAT_SHARDS;
        let mut rows: Vec<_> = batch.received.into_iter().collect();
        rows.sort_by_key(|((department, day), _)| (*day, !department.is_nil(), *department));
        for ((department, day), delta) in rows {
            q::add_stats(tx, tenant, &[department], day, shard, delta)
                .await
                .map_err(Submission::database)?;
        }
        // After the counters, as publishing answers does: one lock order.
        received.sort();
        for same in received.chunk_by(|a, b| a == b) {
            let Some(campaign) = same.first() else {
                continue;
            };
            let delta = FigureDelta {
                suggestions: i64::try_from(same.len()).unwrap_or(i64::MAX),
                ..FigureDelta::default()
            };
            add_figures(tx, tenant, *campaign, delta)
                .await
                .map_err(Submission::database)?;
        }
        Ok(())
    }

    fn retry(error: &Failure) -> bool {
        matches!(error, Failure::Collision(_))
    }

    fn database(error: DbErr) -> Failure {
        Failure::Busy(Error::internal(format!("database: {error}")))
    }
}

fn written(e: DbErr) -> Failure {
    if minsheng_store::queries::is_unique_violation(&e) {
        Failure::Collision(Error::internal(format!("database: {e}")))
    } else {
        Submission::database(e)
    }
}

impl Submission {
    /// Refuse the case, before anything of it is written or acknowledged,
    /// when the city has received its daily quota of cases (those saved
    /// before this batch and those earlier in it).
    async fn within_daily_quota(
        &self,
        tx: &DatabaseTransaction,
        batch: &mut Batch,
        day: NaiveDate,
    ) -> Result<(), Failure> {
        let t = self.tenant.id;
        let (limit, read_on, before) = match batch.daily {
            Some(known) if known.1 == day => known,
            _ => {
                let limit = minsheng_store::queries::quotas::get_locked(tx, t.into_uuid())
                    .await
                    .map_err(Submission::database)?
                    .and_then(|q| q.cases_per_day)
                    .map(|n| u64::try_from(n).unwrap_or(0));
                let before = match limit {
                    Some(_) => {
                        minsheng_store::queries::quotas::cases_received(tx, t.into_uuid(), day)
                            .await
                            .map_err(Submission::database)?
                    }
                    None => 0,
                };
                batch.daily = Some((limit, day, before));
                (limit, day, before)
            }
        };
        let Some(limit) = limit else {
            return Ok(());
        };
        let in_batch = batch
            .received
            .get(&(Uuid::nil(), read_on))
            .map_or(0, |d| d.received);
        if u64::try_from(before + in_batch).unwrap_or(0) >= limit {
            return Err(Failure::Refused(crate::services::quotas::cases_refused(
                &self.tenant,
                limit,
                self.now,
            )));
        }
        Ok(())
    }

    /// Answer a replay, or add the new case's rows to the batch.
    async fn prepare(
        &self,
        tx: &DatabaseTransaction,
        batch: &mut Batch,
    ) -> Result<(CaseCreated, bool), Failure> {
        let t = self.tenant.id.into_uuid();
        let now = self.now;
        if let Some(key) = &self.key {
            if let Some(existing) = q::idempotency(tx, t, key).await.map_err(written)?
                && existing.created_at > expiry(now)
            {
                return replay(existing, &self.request_hash).map_err(Failure::Refused);
            }
            batch.expire_keys_before = Some(expiry(now));
        }
        let day = day_of(&self.tenant, now);
        self.within_daily_quota(tx, batch, day).await?;
        let code = machine::tracking_code(rand::rng().next_u64());
        let secret = random_token();
        let id = CaseId::new().into_uuid();
        let valid = &*self.valid;
        let lead = valid.lead.or(valid.category.default_department_id);
        let created = CaseCreated {
            tracking_code: code.clone(),
            secret: secret.clone(),
            state: State::Submitted.as_str().into(),
            accept_deadline: self.accept_deadline,
            answer_deadline: self.answer_deadline,
        };
        if let Some(key) = &self.key {
            batch.keys.push(case_idempotency::ActiveModel {
                tenant_id: Set(t),
                key: Set(key.clone()),
                request_hash: Set(self.request_hash.clone()),
                case_id: Set(id),
                response: Set(serde_json::to_value(&created)
                    .map_err(|e| Failure::Refused(Error::internal(e)))?),
                created_at: Set(now),
            });
        }
        batch.cases.push(case::ActiveModel {
            id: Set(id),
            tenant_id: Set(t),
            tracking_code: Set(code),
            secret_hash: Set(sha256_hex(&secret)),
            category_id: Set(valid.category.id),
            title: Set(valid.title.clone()),
            body: Set(valid.text.clone()),
            address: Set(valid.address.clone()),
            latitude: Set(valid.latitude),
            longitude: Set(valid.longitude),
            contact_name: Set(valid.contact_name.clone()),
            contact_phone: Set(valid.contact_phone.clone()),
            contact_email: Set(valid.contact_email.clone()),
            public: Set(valid.public),
            citizen_id: Set(self.citizen),
            state: Set(State::Submitted.as_str().into()),
            lead_department_id: Set(lead),
            extension_pending: Set(false),
            reopened: Set(0),
            submitted_at: Set(now),
            accept_deadline: Set(self.accept_deadline),
            answer_deadline: Set(self.answer_deadline),
            accepted_at: Set(None),
            answered_at: Set(None),
            closed_at: Set(None),
            answer: Set(None),
            rating: Set(None),
            rating_comment: Set(None),
            rated_at: Set(None),
            views: Set(0),
            updated_at: Set(now),
            attributes: Set(valid.attributes.clone()),
            media_url: Set(valid.media_url.clone()),
            escalation_level: Set(0),
            priority: Set(valid.priority),
            tags: Set((!valid.tags.is_empty()).then(|| serde_json::json!(valid.tags))),
            spam: Set(valid.spam),
            duplicate_of: Set(valid.duplicate_of.clone()),
            review: Set(valid.review.clone()),
            rule_failed: Set(valid.rule_failed),
            unredacted: Set(valid.unredacted.clone()),
            supervised_at: Set(None),
            kind: Set(if self.suggestion.is_some() {
                SUGGESTION
            } else {
                "case"
            }
            .into()),
            merged_into_id: Set(None),
        });
        batch
            .search
            .push(crate::services::search::row(t, id, (*self.search).clone()));
        if let Some(link) = self.suggestion {
            batch.campaigns.push(link.campaign_id);
            batch.suggestions.push(campaign_suggestion::ActiveModel {
                case_id: Set(id),
                tenant_id: Set(t),
                campaign_id: Set(link.campaign_id),
                group_id: Set(link.group_id),
                disposition: Set("not_answered".into()),
                answer: Set(None),
                reason: Set(None),
                answered_by: Set(None),
                answered_at: Set(None),
                published_at: Set(None),
                cluster_id: Set(None),
                submitted_at: Set(now),
            });
        }
        for department in valid.co_handlers.iter().filter(|d| Some(**d) != lead) {
            batch.co_handlers.push(case_department::ActiveModel {
                tenant_id: Set(t),
                case_id: Set(id),
                department_id: Set(*department),
                ..Default::default()
            });
        }
        // The first steps of its answer and acceptance deadlines' ladders.
        use crate::services::escalation::{Ladder, first_step};
        for (ladder, deadline) in [
            (Ladder::Answer, self.answer_deadline),
            (Ladder::Accept, self.accept_deadline),
        ] {
            batch.due.push(first_step(
                &self.tenant,
                id,
                ladder,
                now,
                deadline,
                self.reminder_share,
                now,
            ));
        }
        batch.events.push(
            Entry {
                case_id: id,
                actor: self.actor.clone(),
                action: "submitted",
                from: None,
                to: Some(State::Submitted),
                department: lead,
                public: true,
                text: None,
                detail: None,
                at: now,
            }
            .row(&self.tenant),
        );
        // What each rule decided, for staff: one entry for the chain.
        if !valid.runs.is_empty() {
            let text = valid
                .runs
                .iter()
                .map(|run| {
                    format!(
                        "{}: {}",
                        run["plugin"].as_str().unwrap_or("?"),
                        run["explanation"]
                            .as_str()
                            .or(run["error"].as_str())
                            .unwrap_or("")
                    )
                })
                .collect::<Vec<_>>()
                .join("\n");
            batch.events.push(
                Entry {
                    case_id: id,
                    actor: "rules".into(),
                    action: "rules",
                    from: None,
                    to: None,
                    department: None,
                    public: false,
                    text: Some(text),
                    detail: Some(serde_json::json!({ "runs": &valid.runs })),
                    at: now,
                }
                .row(&self.tenant),
            );
        }
        let one = StatDelta {
            received: 1,
            ..Default::default()
        };
        batch.count(Uuid::nil(), day, one);
        if let Some(lead) = lead {
            batch.count(lead, day, one);
        }
        Ok((created, false))
    }
}
