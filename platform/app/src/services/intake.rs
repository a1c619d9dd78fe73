//! Intake: a citizen's submission becomes a case.
//!
//! The request is checked, routed to its category's default department and
//! given its deadlines outside any write lock (a read transaction); the
//! writes (the case row, its first timeline entry, the statistics rollup and
//! the idempotency record) then go through the group committer, which
//! commits many submissions with one durable flush and answers each client
//! only after that flush.

use super::DbResultExt;
use super::cases::{Entry, day_of, is_trusted};
use crate::access::Ctx;
use crate::access::Principal;
use crate::access::tokens::{random_token, sha256_hex};
use crate::model::{CaseCreated, CaseInput};
use crate::services::calendar;
use crate::services::tenants::TenantRecord;
use chrono::{DateTime, NaiveDate, Utc};
use minsheng_domain::Error;
use minsheng_domain::case::{self as machine, State};
use minsheng_domain::error::Problems;
use minsheng_domain::ids::CaseId;
use minsheng_domain::values::{parse_email, parse_optional_text, parse_text};
use minsheng_store::entity::{
    case, case_department, case_event, case_idempotency, category, due_work,
};
use minsheng_store::group_commit::{GroupCommit, Job, Tally};
use minsheng_store::queries::cases::{self as q, StatDelta};
use minsheng_store::{DatabaseTransaction, DbErr, Scope, Store};
use rand::RngCore;
use sea_orm::ActiveValue::Set;
use std::collections::HashMap;
use std::sync::Arc;
use uuid::Uuid;

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

/// Submit a case. With an idempotency key, a retry with the same body gets
/// the same answer and creates nothing; the same key with another body is
/// refused. Returns the answer and whether it was a replay.
#[tracing::instrument(name = "intake.submit", skip_all, fields(minsheng.tenant = %tenant.slug))]
pub async fn submit(
    ctx: &Ctx,
    tenant: &TenantRecord,
    input: CaseInput,
    idempotency_key: Option<String>,
) -> Result<(CaseCreated, bool), Error> {
    if !is_trusted(ctx) {
        ctx.app
            .limits
            .take(&format!("submit:{}", tenant.slug), ctx.ip)?;
    }
    if let Some(key) = &idempotency_key
        && (key.is_empty() || key.len() > 200)
    {
        return Err(Error::invalid(
            "Idempotency-Key",
            "must be 1 to 200 characters",
        ));
    }
    let request_hash = sha256_hex(&serde_json::to_string(&input).map_err(Error::internal)?);
    let now = ctx.now();
    // A retry whose first attempt is already saved is answered at once
    // (the writer checks again, for retries that arrive together).
    if let Some(key) = &idempotency_key {
        let read = ctx.read_tx(tenant.id).await?;
        let existing = q::idempotency(&read, tenant.id.into_uuid(), key)
            .await
            .or_internal()?;
        read.commit().await.or_internal()?;
        if let Some(existing) = existing
            && existing.created_at > expiry(now)
        {
            return replay(existing, &request_hash);
        }
    }
    // Usually cached: a submission reads nothing before its writes.
    let rules = ctx.app.calendars.rules(&ctx.app.store, tenant).await?;
    let mut valid = check_input(&rules, &input)?;
    // The city's intake rules, before anything is stored.
    let tallies = apply_rules(ctx, tenant, &rules, &mut valid, now).await?;
    if let Some(message) = valid.reject.take() {
        super::rules::record(&ctx.app, tenant, tallies, now).await;
        return Err(Error::invalid("submission", message));
    }
    let working = &rules.calendar;
    let accept_deadline =
        working.deadline(now, u32::try_from(valid.category.accept_days).unwrap_or(1));
    let answer_deadline =
        working.deadline(now, u32::try_from(valid.category.answer_days).unwrap_or(1));
    let citizen = match &ctx.principal {
        Principal::Citizen {
            user, tenant: ct, ..
        } if *ct == tenant.id => Some(user.into_uuid()),
        _ => None,
    };
    let job = Submission {
        tenant: tenant.clone(),
        key: idempotency_key,
        request_hash,
        actor: ctx.principal.label(),
        citizen,
        valid: Arc::new(valid),
        now,
        accept_deadline,
        answer_deadline,
        reminder_share: ctx.app.config.reminder_share,
    };
    // Two retries of one key in flight at once: the loser's insert of the
    // key collides; its next attempt finds the winner's answer.
    let mut last = None;
    let (mut job, mut tallies) = (job, tallies);
    for attempt in 0..3 {
        match ctx.app.intake.submit(job.clone()).await {
            Ok(done) => {
                super::rules::record(&ctx.app, tenant, tallies, now).await;
                if !done.1 {
                    ctx.app.metrics.count(
                        "minsheng_cases_submitted_total",
                        vec![("tenant", tenant.slug.clone())],
                    );
                }
                return Ok(done);
            }
            Err(Failure::Busy(e) | Failure::Collision(e)) => {
                // What the rules decided may be what cannot be saved: the
                // case is saved with the default routing instead, and the
                // rules that routed it count as failed.
                if attempt == 0 && job.valid.routed_by_rules() {
                    tracing::warn!(error = %e, tenant = %tenant.slug, "a case with its rules' decisions could not be saved; saving it with the default routing");
                    job.valid = Arc::new(job.valid.default_routing());
                    for tally in tallies.iter_mut().filter(|t| t.failed.is_none()) {
                        tally.had_failures = true;
                        tally.failed = Some(minsheng_plugin_host::Failure::Invalid(
                            "its decision could not be saved; the case took the default routing"
                                .into(),
                        ));
                    }
                }
                last = Some(e)
            }
            Err(Failure::Refused(e)) => return Err(e),
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    Err(last.unwrap_or_else(|| Error::internal("submission kept failing")))
}

/// Run the city's intake rules over a checked submission and take over
/// what they decided. A failed rule changes nothing but the flags.
async fn apply_rules(
    ctx: &Ctx,
    tenant: &TenantRecord,
    rules: &calendar::Rules,
    valid: &mut ValidCase,
    now: DateTime<Utc>,
) -> Result<Vec<super::rules::Tally>, Error> {
    let mut draft = super::rules::Draft {
        category: valid.category.code.clone(),
        title: valid.title.clone(),
        text: valid.text.clone(),
        address: valid.address.clone(),
        location: valid.latitude.zip(valid.longitude),
        attributes: valid.attributes.clone(),
        media_url: valid.media_url.clone(),
        contact_name: valid.contact_name.clone(),
        contact_phone: valid.contact_phone.clone(),
        contact_email: valid.contact_email.clone(),
        public: valid.public,
        priority: 1,
        ..Default::default()
    };
    let tallies = super::rules::run_intake(&ctx.app, tenant, &mut draft, now).await?;
    if tallies.is_empty() {
        return Ok(tallies);
    }
    if let Some(category) = rules.categories.get(&draft.category) {
        valid.category = category.clone();
    }
    valid.title = draft.title;
    valid.text = draft.text;
    valid.address = draft.address;
    valid.lead = draft.lead_id;
    valid.co_handlers = draft.co_handler_ids;
    valid.priority = draft.priority;
    valid.tags = draft.tags;
    valid.spam = draft.spam;
    valid.duplicate_of = draft.duplicate_of;
    valid.rule_failed = draft.rule_failed;
    valid.unredacted = draft.unredacted;
    valid.runs = draft.runs;
    valid.reject = draft.reject;
    if draft.review.is_empty() {
        valid.public = draft.public;
    } else {
        // Private until a person releases it, then as the citizen chose.
        valid.review = Some(serde_json::json!({
            "reasons": draft.review,
            "public": draft.public,
        }));
        valid.public = false;
    }
    Ok(tallies)
}

/// Keys are kept a day: long enough for any retry.
fn expiry(now: DateTime<Utc>) -> DateTime<Utc> {
    now - chrono::Duration::days(1)
}

fn replay(
    existing: case_idempotency::Model,
    request_hash: &str,
) -> Result<(CaseCreated, bool), Error> {
    if existing.request_hash != request_hash {
        return Err(Error::invalid(
            "Idempotency-Key",
            "this key was used with a different request; use a new key for a new case",
        ));
    }
    let created: CaseCreated =
        serde_json::from_value(existing.response).map_err(Error::internal)?;
    Ok((created, true))
}

/// A checked submission waiting for the writer.
#[derive(Clone)]
pub struct Submission {
    tenant: TenantRecord,
    key: Option<String>,
    request_hash: String,
    actor: String,
    citizen: Option<Uuid>,
    /// Shared: a retry of the job does not copy the case.
    valid: Arc<ValidCase>,
    now: DateTime<Utc>,
    accept_deadline: DateTime<Utc>,
    answer_deadline: DateTime<Utc>,
    /// When the department is reminded, as a share of the allowed time.
    reminder_share: f64,
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
    /// The first step of each new case's escalation ladder.
    due: Vec<due_work::ActiveModel>,
    /// Co-handling departments rules chose.
    co_handlers: Vec<case_department::ActiveModel>,
    /// Forget idempotency keys older than this first (they are kept a day).
    expire_keys_before: Option<DateTime<Utc>>,
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
        minsheng_store::queries::escalation::insert_due(tx, batch.due)
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
        });
        for department in valid.co_handlers.iter().filter(|d| Some(**d) != lead) {
            batch.co_handlers.push(case_department::ActiveModel {
                tenant_id: Set(t),
                case_id: Set(id),
                department_id: Set(*department),
            });
        }
        batch.due.push(super::escalation::first_step(
            &self.tenant,
            id,
            now,
            self.answer_deadline,
            self.reminder_share,
            now,
        ));
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
        let day = day_of(&self.tenant, now);
        batch.count(Uuid::nil(), day, one);
        if let Some(lead) = lead {
            batch.count(lead, day, one);
        }
        Ok((created, false))
    }
}

// ---- checking the request ---------------------------------------------------

#[derive(Clone)]
struct ValidCase {
    category: Arc<category::Model>,
    title: String,
    text: String,
    address: Option<String>,
    latitude: Option<f64>,
    longitude: Option<f64>,
    contact_name: Option<String>,
    contact_phone: Option<String>,
    contact_email: Option<String>,
    public: bool,
    attributes: Option<serde_json::Value>,
    media_url: Option<String>,
    // What the city's rules decided (defaults without rules).
    lead: Option<Uuid>,
    co_handlers: Vec<Uuid>,
    priority: i16,
    tags: Vec<String>,
    spam: bool,
    duplicate_of: Option<String>,
    review: Option<serde_json::Value>,
    rule_failed: bool,
    unredacted: Option<serde_json::Value>,
    runs: Vec<serde_json::Value>,
    reject: Option<String>,
}

/// Check a submission without filing it: the problems it would be
/// refused for (a form shows them all at once, with its own).
pub async fn problems(
    ctx: &Ctx,
    tenant: &TenantRecord,
    input: &CaseInput,
) -> Result<Vec<minsheng_domain::error::FieldError>, Error> {
    let rules = ctx.app.calendars.rules(&ctx.app.store, tenant).await?;
    match check_input(&rules, input) {
        Ok(_) => Ok(Vec::new()),
        Err(Error::Invalid(problems)) => Ok(problems),
        Err(e) => Err(e),
    }
}

/// The shortest and longest title and text a case may have, in
/// characters, and the longest address; rules' redactions are held to the
/// same.
pub const TITLE_CHARS: (usize, usize) = (4, 100);
pub const TEXT_CHARS: (usize, usize) = (10, 5000);
pub const ADDRESS_CHARS: usize = 200;

fn check_input(rules: &calendar::Rules, input: &CaseInput) -> Result<ValidCase, Error> {
    let mut p = Problems::new();
    let category = rules.categories.get(&input.category).cloned();
    if category.is_none() {
        p.push(
            "category",
            format!("no category {:?} in this city", input.category),
        );
    }
    let title = p.check(
        "title",
        parse_text(&input.title, TITLE_CHARS.0, TITLE_CHARS.1),
    );
    let text = p.check("text", parse_text(&input.text, TEXT_CHARS.0, TEXT_CHARS.1));
    let address = p.check(
        "address",
        parse_optional_text(input.address.as_deref(), ADDRESS_CHARS),
    );
    match (input.latitude, input.longitude) {
        (Some(lat), Some(lon)) => {
            if !(-90.0..=90.0).contains(&lat) {
                p.push("latitude", "must be between -90 and 90");
            }
            if !(-180.0..=180.0).contains(&lon) {
                p.push("longitude", "must be between -180 and 180");
            }
        }
        (None, None) => {}
        _ => p.push("latitude", "give both latitude and longitude, or neither"),
    }
    let contact_name = p.check(
        "contact_name",
        parse_optional_text(input.contact_name.as_deref(), 50),
    );
    let contact_phone = p.check(
        "contact_phone",
        parse_optional_text(input.contact_phone.as_deref(), 30),
    );
    let contact_email = match input
        .contact_email
        .as_deref()
        .map(str::trim)
        .filter(|e| !e.is_empty())
    {
        Some(e) => p.check("contact_email", parse_email(e).map(Some)),
        None => Some(None),
    };
    let attributes = category.as_ref().and_then(|c| {
        let definitions: Vec<crate::model::Attribute> =
            serde_json::from_value(c.attributes.clone()).unwrap_or_default();
        super::attributes::check(&definitions, &input.attributes, &mut p)
    });
    let media_url = super::attributes::check_media_url(input.media_url.as_deref(), &mut p);
    p.finish()?;
    let (
        Some(category),
        Some(title),
        Some(text),
        Some(address),
        Some(contact_name),
        Some(contact_phone),
        Some(contact_email),
    ) = (
        category,
        title,
        text,
        address,
        contact_name,
        contact_phone,
        contact_email,
    )
    else {
        return Err(Error::internal("checked case fields missing"));
    };
    let public = input.public.unwrap_or(category.public_by_default);
    Ok(ValidCase {
        category,
        title,
        text,
        address,
        latitude: input.latitude,
        longitude: input.longitude,
        contact_name,
        contact_phone,
        contact_email,
        public,
        attributes,
        media_url,
        lead: None,
        co_handlers: Vec::new(),
        priority: 1,
        tags: Vec::new(),
        spam: false,
        duplicate_of: None,
        review: None,
        rule_failed: false,
        unredacted: None,
        runs: Vec::new(),
        reject: None,
    })
}

impl ValidCase {
    /// Whether the city's rules changed where and how the case goes.
    fn routed_by_rules(&self) -> bool {
        self.lead.is_some()
            || !self.co_handlers.is_empty()
            || self.priority != 1
            || !self.tags.is_empty()
            || self.spam
            || self.duplicate_of.is_some()
    }

    /// The case as if no rule had routed it (redactions and holds stay:
    /// they protect the citizen).
    fn default_routing(&self) -> Self {
        Self {
            lead: None,
            co_handlers: Vec::new(),
            priority: 1,
            tags: Vec::new(),
            spam: false,
            duplicate_of: None,
            rule_failed: true,
            ..self.clone()
        }
    }
}
