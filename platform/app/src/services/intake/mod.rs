//! Intake: a citizen's submission becomes a case.
//!
//! The request is checked, routed to its category's default department and
//! given its deadlines outside any write lock (a read transaction); the
//! writes (the case row, its first timeline entry, the statistics rollup and
//! the idempotency record) then go through the group committer, which
//! commits many submissions with one durable flush and answers each client
//! only after that flush.
//!
//! The parts: `check` (checking a submission against the city's
//! categories and limits) and `commit` (the group-commit queue, and the
//! rows each batch of submissions writes).

mod check;
mod commit;

pub use check::{ADDRESS_CHARS, TEXT_CHARS, TITLE_CHARS, problems};
pub use commit::{Batch, Failure, Intake, SUGGESTION, Submission, SuggestionLink, start};

use crate::access::Ctx;
use crate::access::Principal;
use crate::access::tokens::sha256_hex;
use crate::model::{CaseCreated, CaseInput};
use crate::services::DbResultExt;
use crate::services::calendar;
use crate::services::cases::is_trusted;
use crate::services::tenants::TenantRecord;
use check::{ValidCase, check_input};
use chrono::{DateTime, Utc};
use minsheng_domain::Error;
use minsheng_store::entity::case_idempotency;
use minsheng_store::queries::cases as q;
use std::sync::Arc;

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
    submit_as(ctx, tenant, input, idempotency_key, None).await
}

/// Submit a case, or with `suggestion` a campaign's suggestion: the same
/// checks, rules, redaction and rows, plus the suggestion's own row in the
/// same transaction, and the campaign's answer deadline.
pub async fn submit_as(
    ctx: &Ctx,
    tenant: &TenantRecord,
    input: CaseInput,
    idempotency_key: Option<String>,
    suggestion: Option<SuggestionLink>,
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
        crate::services::plugins::chains::record(&ctx.app, tenant, tallies, now).await;
        return Err(Error::invalid("submission", message));
    }
    if tenant.publication().review_before_publication {
        hold_for_publication(&mut valid);
    }
    let working = &rules.calendar;
    let accept_deadline =
        working.deadline(now, u32::try_from(valid.category.accept_days).unwrap_or(1));
    let answer_days = match suggestion {
        Some(link) => link.answer_days,
        None => u32::try_from(valid.category.answer_days).unwrap_or(1),
    };
    let answer_deadline = working.deadline(now, answer_days);
    let citizen = match &ctx.principal {
        Principal::Citizen {
            user, tenant: ct, ..
        } if *ct == tenant.id => Some(user.into_uuid()),
        _ => None,
    };
    let search = crate::services::search::index(
        &crate::services::search::city_words(tenant),
        &valid.title,
        &valid.text,
        None,
    );
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
        search: Arc::new(search),
        suggestion,
    };
    // Two retries of one key in flight at once: the loser's insert of the
    // key collides; its next attempt finds the winner's answer.
    let mut last = None;
    let (mut job, mut tallies) = (job, tallies);
    for attempt in 0..3 {
        match ctx.app.intake.submit(job.clone()).await {
            Ok(done) => {
                crate::services::plugins::chains::record(&ctx.app, tenant, tallies, now).await;
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
) -> Result<Vec<crate::services::plugins::chains::Tally>, Error> {
    let mut draft = crate::services::plugins::chains::Draft {
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
    let tallies =
        crate::services::plugins::chains::run_intake(&ctx.app, tenant, &mut draft, now).await?;
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

/// The reason a held case gives when the city reviews every public case
/// before publishing it.
pub const REVIEW_BEFORE_PUBLICATION: &str = "review_before_publication";

/// 先审后发: a case that would be public waits, private, for staff to
/// publish it (or make it private); one the rules already hold waits for
/// this reason too.
fn hold_for_publication(valid: &mut ValidCase) {
    match &mut valid.review {
        Some(review) if review["public"] == serde_json::Value::Bool(true) => {
            if let Some(reasons) = review["reasons"].as_array_mut() {
                reasons.push(REVIEW_BEFORE_PUBLICATION.into());
            }
        }
        Some(_) => {}
        None if valid.public => {
            valid.review = Some(serde_json::json!({
                "reasons": [REVIEW_BEFORE_PUBLICATION],
                "public": true,
            }));
            valid.public = false;
        }
        None => {}
    }
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
