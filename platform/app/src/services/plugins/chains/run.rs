//! Running the city's intake chain over a submission, with what the
//! timeline keeps of each run and the span and metrics of each call.

use super::{CITY_BUSY, Calls, Draft, INTAKE, Link, Tally, instant};
use crate::App;
use crate::services::DbResultExt;
use crate::services::tenants::TenantRecord;
use chrono::{DateTime, Utc};
use minsheng_domain::Error;
use minsheng_plugin_host::{Failure, Outcome, Plugin};
use minsheng_store::Scope;
use minsheng_store::queries::cases as cq;
use serde_json::{Value, json};
use std::future::Future;
use tracing::Instrument;

/// What the timeline keeps of one run: the plugin, its version, the
/// outcome, what it cost, its logs, and for a failure the kind, the error
/// and what the guest printed. Callers add what the rule decided.
pub(crate) fn run_record(
    link: &Link,
    report: &minsheng_plugin_host::CallReport,
    failure: Option<&Failure>,
) -> serde_json::Map<String, Value> {
    let mut run = serde_json::Map::new();
    run.insert("plugin".into(), json!(link.name));
    run.insert("version".into(), json!(link.version));
    run.insert(
        "outcome".into(),
        json!(if failure.is_some() { "failed" } else { "ok" }),
    );
    run.insert("fuel".into(), json!(report.fuel_used));
    run.insert(
        "micros".into(),
        json!(u64::try_from(report.duration.as_micros()).unwrap_or(u64::MAX)),
    );
    run.insert("logs".into(), json!(report.logs));
    run.insert("logs_dropped".into(), json!(report.logs_dropped));
    if let Some(f) = failure {
        run.insert("failure".into(), json!(f.kind()));
        run.insert("error".into(), json!(f.to_string()));
        run.insert(
            "output".into(),
            json!(report.output.chars().take(2000).collect::<String>()),
        );
    }
    run
}

/// One link's call on the current task, inside its span and counted:
/// refused when the city's seat was not had or the plugin did not load.
pub(crate) async fn call_link<'a, T, F, Fut>(
    state: &App,
    slug: &str,
    hook: &str,
    link: &'a Link,
    seated: bool,
    call: F,
) -> Outcome<T>
where
    F: FnOnce(&'a Plugin) -> Fut,
    Fut: Future<Output = Outcome<T>>,
{
    let span = call_span(slug, hook, link);
    let outcome = match (seated, &link.plugin) {
        (false, _) => refused(CITY_BUSY.into()),
        (true, Ok(plugin)) => call(plugin).instrument(span.clone()).await,
        (true, Err(why)) => refused(why.clone()),
    };
    observe(
        &state.metrics,
        &span,
        slug,
        link,
        &outcome.result.as_ref().err().cloned(),
        &outcome.report,
    );
    outcome
}

fn refused<T>(why: String) -> Outcome<T> {
    Outcome {
        result: Err(Failure::Instantiate(why)),
        report: Default::default(),
    }
}

/// Run the city's intake chain over `draft`, on this task.
/// Returns what to record about each plugin afterwards.
pub async fn run_intake(
    state: &App,
    tenant: &TenantRecord,
    draft: &mut Draft,
    now: DateTime<Utc>,
) -> Result<Vec<Tally>, Error> {
    let chain = state.rules.chain(&state.store, tenant, INTAKE).await?;
    if chain.links.is_empty() {
        return Ok(Vec::new());
    }
    let calls = Calls::new(state, tenant, &chain, now);
    let seat = state
        .rules
        .seat(tenant.id.into_uuid(), calls.timeout())
        .await;
    let at = instant(tenant, now);
    let mut work = std::mem::take(draft);
    let mut tallies = Vec::new();
    // One store for the chain, made by its first rule that runs.
    let mut session = None;
    for link in &chain.links {
        let outcome = call_link(
            state,
            &tenant.slug,
            INTAKE,
            link,
            seat.is_some(),
            |plugin| {
                let input = work.input(&plugin.descriptor.needs, &chain, &link.config, at);
                let lookups = calls.lookups();
                let chain = &chain;
                let session = session.get_or_insert_with(|| chain.session(plugin));
                async move {
                    plugin
                        .intake_in(session, &input, chain.directory(), &chain.limits, lookups)
                        .await
                }
            },
        )
        .await;
        let report = outcome.report;
        // A decision that would not fit the case is refused whole.
        let outcome = match outcome.result {
            Ok(decision) => {
                let mut trial = work.clone();
                let changed = trial.apply(&decision);
                match trial.misfit() {
                    None => {
                        if decision.duplicate_of.is_some() {
                            trial.duplicate_by = Some(tallies.len());
                        }
                        work = trial;
                        Ok((decision, changed))
                    }
                    Some(why) => Err(Failure::Invalid(why)),
                }
            }
            Err(failure) => Err(failure),
        };
        match outcome {
            Ok((decision, changed)) => {
                let mut run = run_record(link, &report, None);
                run.insert("explanation".into(), json!(decision.explanation));
                run.insert("changed".into(), json!(changed));
                work.runs.push(Value::Object(run));
                tallies.push(Tally::of(link, None));
                if work.reject.is_some() {
                    break;
                }
            }
            Err(failure) => {
                work.rule_failed = true;
                if link.fail_closed {
                    work.review.push(format!(
                        "rule {} failed; held so that unredacted text is not published",
                        link.name
                    ));
                }
                let run = run_record(link, &report, Some(&failure));
                work.runs.push(Value::Object(run));
                tallies.push(Tally::of(link, Some(failure)));
            }
        }
    }
    drop(seat);
    *draft = work;
    // A duplicate of a case this city does not have is dropped, and the
    // rule that said so counts as failed.
    if let Some(code) = draft.duplicate_of.clone() {
        let t = tenant.id.into_uuid();
        let tx = state.store.read(Scope::Tenant(t)).await.or_internal()?;
        let found = cq::by_code(&tx, t, &code).await.or_internal()?;
        tx.commit().await.or_internal()?;
        if found.is_none() {
            draft.duplicate_of = None;
            draft.rule_failed = true;
            let failure =
                Failure::Invalid(format!("duplicate-of {code:?} names no case of this city"));
            if let Some(i) = draft.duplicate_by.take() {
                if let Some(Value::Object(run)) = draft.runs.get_mut(i) {
                    run.insert("outcome".into(), json!("failed"));
                    run.insert("failure".into(), json!(failure.kind()));
                    run.insert("error".into(), json!(failure.to_string()));
                }
                if let Some(tally) = tallies.get_mut(i) {
                    tally.had_failures = true;
                    tally.failed = Some(failure);
                }
            }
        }
    }
    draft.lead_id = draft
        .lead
        .as_ref()
        .and_then(|c| chain.department_ids.get(c).copied());
    draft.co_handler_ids = draft
        .co_handlers
        .iter()
        .filter_map(|c| chain.department_ids.get(c).copied())
        .collect();
    Ok(tallies)
}

/// The span of one plugin call: which plugin, its version and hook; the
/// outcome and fuel are recorded by [`observe`].
pub(crate) fn call_span(tenant: &str, hook: &str, link: &Link) -> tracing::Span {
    tracing::info_span!(
        "plugin",
        otel.name = %format!("plugin {}", link.name),
        otel.status_code = tracing::field::Empty,
        minsheng.tenant = tenant,
        plugin.name = %link.name,
        plugin.version = %link.version,
        plugin.hook = hook,
        plugin.outcome = tracing::field::Empty,
        plugin.fuel = tracing::field::Empty,
        plugin.peak_memory = tracing::field::Empty,
    )
}

/// Count the runs: `minsheng_plugin_calls_total`, failures, fuel, time;
/// and put the outcome on the call's span.
pub(crate) fn observe(
    metrics: &crate::metrics::Metrics,
    span: &tracing::Span,
    tenant: &str,
    link: &Link,
    failure: &Option<Failure>,
    report: &minsheng_plugin_host::CallReport,
) {
    let outcome = failure.as_ref().map(Failure::kind).unwrap_or("ok");
    span.record("plugin.outcome", outcome);
    span.record("plugin.fuel", report.fuel_used);
    span.record("plugin.peak_memory", report.peak_memory as u64);
    if failure.is_some() {
        span.record("otel.status_code", "ERROR");
    }
    let labels = || vec![("tenant", tenant.to_owned()), ("plugin", link.name.clone())];
    let mut calls = labels();
    calls.push(("outcome", outcome.to_owned()));
    metrics.add_all([
        ("minsheng_plugin_calls_total", calls, 1),
        ("minsheng_plugin_fuel_total", labels(), report.fuel_used),
        (
            "minsheng_plugin_call_microseconds_total",
            labels(),
            u64::try_from(report.duration.as_micros()).unwrap_or(u64::MAX),
        ),
    ]);
    if let Some(f) = failure {
        tracing::warn!(tenant, plugin = %link.name, version = %link.version, failure = %f, "rule plugin failed");
    }
    // The platform's own reasons a rule did not start, for operators.
    if let Some(Failure::Instantiate(why)) = failure {
        metrics.count(
            "minsheng_plugin_instantiate_failures_total",
            vec![
                ("tenant", tenant.to_owned()),
                ("reason", instantiate_reason(why).to_owned()),
            ],
        );
    }
}

/// A short name for why a rule did not start.
fn instantiate_reason(why: &str) -> &'static str {
    if why == CITY_BUSY {
        "city_busy"
    } else if why.contains("being compiled") {
        "compiling"
    } else if why.contains("refused") {
        "refused"
    } else if why.contains("engine") {
        "engine"
    } else {
        "pool"
    }
}
