//! Generate a city's case history: submissions spread over the past year,
//! accepted, assigned (sometimes to the wrong department first, then
//! transferred), answered mostly on time, rated mostly satisfied, viewed.
//! Every step goes through `services::cases` with the clock set to when it
//! happened, so the statistics rollup is built exactly as in real use.

use crate::App;
use crate::access::Ctx;
use crate::demo::corpus;
use crate::model::CaseInput;
use crate::services::cases::{self, StaffAction};
use crate::services::tenants::TenantRecord;
use crate::services::{DbResultExt, categories};
use chrono::{DateTime, Duration, Utc};
use minsheng_domain::Error;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// What a seeding run did.
#[derive(Clone, Copy, Debug, Default)]
pub struct SeedReport {
    pub cases: usize,
    pub answered: usize,
    pub rated: usize,
    /// Service calls made (submissions, actions, ratings, view batches).
    pub operations: usize,
}

/// Seed `n` cases into `tenant`, calling `progress(done, n)` as it goes.
pub async fn seed(
    state: &App,
    tenant: &TenantRecord,
    n: usize,
    seed: u64,
    lanes: usize,
    progress: impl Fn(usize, usize),
) -> Result<SeedReport, Error> {
    let tx = state.tenant_read(tenant.id).await?;
    let cats: Vec<_> = categories::list(&tx, tenant.id, false)
        .await?
        .into_iter()
        .filter(|c| c.default_department_id.is_some())
        .collect();
    let departments: Vec<String> = crate::services::departments::list(&tx, tenant.id, false)
        .await?
        .into_iter()
        .map(|d| d.code)
        .collect();
    tx.commit().await.or_internal()?;
    if cats.is_empty() || departments.len() < 2 {
        return Err(Error::invalid(
            "tenant",
            "the city needs categories with default departments",
        ));
    }
    let now = Utc::now();
    let plan = Plan {
        tenant,
        cats: &cats,
        departments: &departments,
        now,
        start: now - Duration::days(365),
        step: Duration::seconds(365 * 86_400 / (n.max(1) as i64)),
    };
    let done = std::sync::atomic::AtomicUsize::new(0);
    // Lanes seed interleaved cases at once, so one lane's work overlaps
    // another's waits on the database.
    let lanes = lanes.clamp(1, 16);
    let results = futures_util::future::join_all((0..lanes).map(|lane| {
        let plan = &plan;
        let done = &done;
        let progress = &progress;
        async move {
            let mut rng = StdRng::seed_from_u64(seed.wrapping_add(lane as u64));
            let mut ctx = Ctx::operator(state.clone(), "demo");
            let mut report = SeedReport::default();
            for i in (lane..n).step_by(lanes) {
                one_case(plan, &mut ctx, &mut rng, &mut report, i).await?;
                let finished = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                progress(finished, n);
            }
            Ok::<_, Error>(report)
        }
    }))
    .await;
    let mut total = SeedReport::default();
    for report in results {
        let report = report?;
        total.cases += report.cases;
        total.answered += report.answered;
        total.rated += report.rated;
        total.operations += report.operations;
    }
    // The history is back-dated: its days were settled figures.
    state.figures.forget(tenant.id);
    Ok(total)
}

/// What every case of one seeding run shares.
struct Plan<'a> {
    tenant: &'a TenantRecord,
    cats: &'a [crate::model::Category],
    departments: &'a [String],
    now: DateTime<Utc>,
    start: DateTime<Utc>,
    step: Duration,
}

/// The life of case number `i`, as far as it has got by now.
async fn one_case(
    plan: &Plan<'_>,
    ctx: &mut Ctx,
    rng: &mut StdRng,
    report: &mut SeedReport,
    i: usize,
) -> Result<(), Error> {
    let Plan {
        tenant,
        cats,
        departments,
        now,
        start,
        step,
    } = *plan;
    let state = ctx.app.clone();
    let t0 = start
        + step * (i as i32)
        + Duration::seconds(rng.random_range(0..step.num_seconds().max(1)));
    // The first categories are the common ones (heating, potholes).
    let category =
        &cats[(rng.random_range(0.0f64..1.0).powi(2) * cats.len() as f64) as usize % cats.len()];
    let sample = corpus::sample(tenant.locale.as_str(), &category.code, rng);
    let input = CaseInput {
        category: category.code.clone(),
        title: sample.title.clone(),
        text: sample.text.clone(),
        address: sample.address.clone(),
        latitude: None,
        longitude: None,
        contact_name: None,
        contact_phone: None,
        contact_email: None,
        public: Some(rng.random_bool(0.85)),
        attributes: answers(&category.attributes, t0, rng),
        media_url: None,
    };
    ctx.clock = Some(t0);
    let (created, _) = crate::services::intake::submit(ctx, tenant, input, None).await?;
    report.cases += 1;
    report.operations += 1;
    let code = created.tracking_code.clone();
    let mut at = t0;
    // Each later step happens only if its time has come.
    let next = |ctx: &mut Ctx, at: &mut DateTime<Utc>, hours: f64| {
        *at += Duration::seconds((hours * 3600.0) as i64);
        ctx.clock = Some(*at);
        *at < now
    };
    if rng.random_bool(0.03) {
        if next(ctx, &mut at, 3.0) {
            let reason = if tenant.locale.as_str() == "en" {
                "Not a city matter; please contact your landlord."
            } else {
                "不属于政府部门职责范围，请联系物业公司。"
            };
            cases::act(
                ctx,
                tenant,
                &code,
                StaffAction::Reject {
                    reason: reason.into(),
                },
            )
            .await?;
            report.operations += 1;
        }
        return Ok(());
    }
    if !next(ctx, &mut at, rng.random_range(1.0..24.0)) {
        return Ok(());
    }
    cases::act(ctx, tenant, &code, StaffAction::Accept).await?;
    let misrouted = rng.random_bool(0.1);
    let lead = misrouted.then(|| departments[rng.random_range(0..departments.len())].clone());
    next(ctx, &mut at, 0.2);
    cases::act(
        ctx,
        tenant,
        &code,
        StaffAction::Assign {
            lead: lead.clone(),
            co: Vec::new(),
        },
    )
    .await?;
    report.operations += 2;
    if let (Some(wrong), Some(right)) = (lead, category.default_department_id) {
        let right = crate::services::departments::get(
            &state.tenant_read(tenant.id).await?,
            tenant.id,
            right,
        )
        .await?
        .code;
        if wrong != right && next(ctx, &mut at, rng.random_range(2.0..30.0)) {
            let reason = if tenant.locale.as_str() == "en" {
                "Handled by another department."
            } else {
                "该事项由其他部门负责，转办处理。"
            };
            cases::act(
                ctx,
                tenant,
                &code,
                StaffAction::Transfer {
                    to: right,
                    reason: reason.into(),
                },
            )
            .await?;
            report.operations += 1;
        }
    }
    if !next(ctx, &mut at, rng.random_range(1.0..12.0)) {
        return Ok(());
    }
    cases::act(ctx, tenant, &code, StaffAction::Start).await?;
    report.operations += 1;
    if rng.random_bool(0.04) && next(ctx, &mut at, 24.0) {
        let reason = if tenant.locale.as_str() == "en" {
            "Parts are on order."
        } else {
            "需协调多个部门，申请延期。"
        };
        cases::act(
            ctx,
            tenant,
            &code,
            StaffAction::RequestExtension {
                working_days: 3,
                reason: reason.into(),
            },
        )
        .await?;
        next(ctx, &mut at, 4.0);
        cases::act(
            ctx,
            tenant,
            &code,
            StaffAction::DecideExtension {
                approve: rng.random_bool(0.8),
                reason: None,
            },
        )
        .await?;
        report.operations += 2;
    }
    // A few stay in progress; most answers come within the deadline.
    if rng.random_bool(0.05) {
        return Ok(());
    }
    let allowed = (created.answer_deadline - t0).num_seconds() as f64 / 3600.0;
    let target = if rng.random_bool(0.9) {
        rng.random_range(0.1..0.9) * allowed
    } else {
        allowed * rng.random_range(1.05..1.6)
    };
    let wait = (target - (at - t0).num_seconds() as f64 / 3600.0).max(0.5);
    if !next(ctx, &mut at, wait) {
        return Ok(());
    }
    cases::act(
        ctx,
        tenant,
        &code,
        StaffAction::Answer {
            text: sample.answer.clone(),
        },
    )
    .await?;
    report.answered += 1;
    report.operations += 1;
    if rng.random_bool(0.8) {
        next(ctx, &mut at, 1.0);
        cases::add_views(ctx, tenant, &code, rng.random_range(1..400)).await?;
        report.operations += 1;
    }
    report.operations += rate_until_done(
        ctx,
        tenant,
        &code,
        &created.secret,
        &sample,
        rng,
        &mut at,
        now,
        report,
    )
    .await?;
    Ok(())
}

/// Answers to a category's extra questions: every required one, and about
/// half of the optional lists.
fn answers(
    attributes: &[crate::model::Attribute],
    at: DateTime<Utc>,
    rng: &mut StdRng,
) -> std::collections::BTreeMap<String, Vec<String>> {
    let mut answers = std::collections::BTreeMap::new();
    for a in attributes {
        let keys: Vec<&str> = a.values.iter().flatten().map(|v| v.key.as_str()).collect();
        let value = match a.datatype.as_str() {
            "singlevaluelist" | "multivaluelist" if !keys.is_empty() => {
                if !a.required && rng.random_bool(0.5) {
                    continue;
                }
                keys[rng.random_range(0..keys.len())].to_owned()
            }
            _ if !a.required => continue,
            "number" => rng.random_range(1..5).to_string(),
            "datetime" => at.to_rfc3339(),
            _ => "-".to_owned(),
        };
        answers.insert(a.code.clone(), vec![value]);
    }
    answers
}

/// The citizen rates (most do); an unsatisfied rating reopens the case once,
/// the department answers again and the citizen rates again.
#[allow(clippy::too_many_arguments)]
async fn rate_until_done(
    ctx: &mut Ctx,
    tenant: &TenantRecord,
    code: &str,
    secret: &str,
    sample: &corpus::Sample,
    rng: &mut StdRng,
    at: &mut DateTime<Utc>,
    now: DateTime<Utc>,
    report: &mut SeedReport,
) -> Result<usize, Error> {
    let mut operations = 0;
    for round in 0..2 {
        *at += Duration::hours(rng.random_range(2..72));
        if *at >= now {
            return Ok(operations);
        }
        ctx.clock = Some(*at);
        if !rng.random_bool(0.75) {
            if rng.random_bool(0.5)
                && !closed_meanwhile(cases::act(ctx, tenant, code, StaffAction::Close).await)?
            {
                operations += 1;
            }
            return Ok(operations);
        }
        let roll = rng.random_range(0.0..1.0);
        let (rating, comment) = match (round, roll) {
            (0, r) if r < 0.78 => ("satisfied", None),
            (0, r) if r < 0.94 => ("basically_satisfied", None),
            (1, r) if r < 0.6 => ("basically_satisfied", None),
            _ => ("unsatisfied", Some(sample.unsatisfied_comment.as_str())),
        };
        // The demo acts as the citizen, with the case's secret.
        if closed_meanwhile(cases::rate(ctx, tenant, code, Some(secret), rating, comment).await)? {
            return Ok(operations);
        }
        report.rated += 1;
        operations += 1;
        if rating != "unsatisfied" || round == 1 {
            return Ok(operations);
        }
        *at += Duration::hours(rng.random_range(4..48));
        if *at >= now {
            return Ok(operations);
        }
        ctx.clock = Some(*at);
        cases::act(
            ctx,
            tenant,
            code,
            StaffAction::Answer {
                text: sample.answer.clone(),
            },
        )
        .await?;
        report.answered += 1;
        operations += 1;
    }
    Ok(operations)
}

/// Whether a step after an answer found the case closed already: a worker
/// running beside the seed closed the unrated answer, its closing time
/// (days after the answer, in the generated past) having passed in real
/// time. The citizen came too late; the case's history ends there.
fn closed_meanwhile<T>(result: Result<T, Error>) -> Result<bool, Error> {
    match result {
        Ok(_) => Ok(false),
        Err(Error::Conflict { .. }) => Ok(true),
        Err(e) => Err(e),
    }
}
