//! `minsheng plugin run`: one call of a rule on a case, with its report.

use super::{LimitArgs, directory, host, load, read_json};
use anyhow::{Context, bail};
use minsheng_app::bundle::format::Bundle;
use minsheng_app::config::Config;
use minsheng_app::services::plugins::chains::Draft;
use minsheng_plugin_host::types::{self as wit, CaseSnapshot, EscalationInput};
use minsheng_plugin_host::{CallReport, NoLookups, Session};
use serde_json::{Value, json};
use std::path::Path;
use std::sync::Arc;

fn text(case: &Value, key: &str) -> Option<String> {
    case[key].as_str().map(str::to_owned)
}

/// `minsheng plugin run`: one call, with everything it cost.
pub fn run(
    config: &Config,
    component: &Path,
    case: &Path,
    config_file: Option<&Path>,
    tenant_dir: &Path,
    event: &str,
    limits: &LimitArgs,
) -> anyhow::Result<()> {
    let host = host(config)?;
    let plugin = load(&host, component)?;
    // Called from a blocking thread of the command's runtime.
    let runtime = tokio::runtime::Handle::current();
    let case = read_json(Some(case), Value::Null)?;
    let rule_config = read_json(config_file, json!({}))?;
    if let Err(errors) =
        minsheng_plugin_host::check_config(&plugin.descriptor.config_schema, &rule_config)
    {
        for e in &errors {
            eprintln!("config{}: {}", e.path, e.message);
        }
        bail!("the configuration does not match the rule's schema");
    }
    let bundle = Bundle::read(tenant_dir)
        .with_context(|| format!("cannot read the city bundle {}", tenant_dir.display()))?;
    let (departments, categories) = directory(&bundle);
    let now = chrono::Utc::now();
    let tz: chrono_tz::Tz = bundle
        .tenant
        .time_zone
        .parse()
        .unwrap_or(chrono_tz::Asia::Shanghai);
    let at = {
        use chrono::Offset;
        wit::Instant {
            unix_seconds: now.timestamp(),
            utc_offset_minutes: now.with_timezone(&tz).offset().fix().local_minus_utc() / 60,
        }
    };
    let d = &plugin.descriptor;
    let hook = match d.hook {
        wit::Hook::Intake => "intake",
        wit::Hook::Escalation => "escalation",
    };
    println!(
        "{} {} ({hook} rule, built against minsheng:rules@{}): {}",
        d.name, d.version, plugin.wit_version, d.summary
    );
    let limits = limits.limits();
    let (result, report) = match d.hook {
        wit::Hook::Intake => {
            let draft = Draft {
                category: text(&case, "category").unwrap_or_default(),
                title: text(&case, "title").unwrap_or_default(),
                text: text(&case, "text").unwrap_or_default(),
                address: text(&case, "address"),
                location: case["latitude"].as_f64().zip(case["longitude"].as_f64()),
                attributes: case.get("attributes").cloned().filter(|a| !a.is_null()),
                media_url: text(&case, "media_url"),
                contact_name: text(&case, "contact_name"),
                contact_phone: text(&case, "contact_phone"),
                contact_email: text(&case, "contact_email"),
                public: case["public"].as_bool().unwrap_or(true),
                priority: 1,
                ..Default::default()
            };
            let chain = minsheng_app::services::plugins::chains::Chain {
                departments,
                categories,
                ..Default::default()
            };
            let input = draft.input(
                &plugin.descriptor.needs,
                &chain,
                &rule_config.to_string(),
                at,
            );
            let out = runtime.block_on(plugin.intake_alone(
                &input,
                chain.directory(),
                &limits,
                Arc::new(NoLookups),
            ));
            (out.result.map(|d| json!(d)), out.report)
        }
        wit::Hook::Escalation => {
            let event = minsheng_app::services::plugins::escalation::parse_event(event).with_context(|| {
                format!("--event {event:?}: use deadline-approaching, deadline-passed, unsatisfied-rating or reopened")
            })?;
            let given = if d.needs.contains(&wit::CaseField::Departments) {
                departments.clone()
            } else {
                Vec::new()
            };
            let mut case = snapshot(&case, now);
            if !d.needs.contains(&wit::CaseField::Title) {
                case.title = None;
            }
            if !d.needs.contains(&wit::CaseField::Text) {
                case.text = None;
            }
            let input = EscalationInput {
                event,
                case,
                departments: given,
                config: rule_config.to_string(),
                now: at,
            };
            let out = runtime.block_on(plugin.escalation(
                &mut Session::new(plugin.host(), 1),
                &input,
                &departments,
                &limits,
                Arc::new(NoLookups),
            ));
            (out.result.map(|d| json!(d)), out.report)
        }
    };
    print_report(&report);
    match result {
        Ok(decision) => {
            println!("decision:\n{}", serde_json::to_string_pretty(&decision)?);
            Ok(())
        }
        Err(failure) => bail!("the rule failed ({}): {failure}", failure.kind()),
    }
}

fn snapshot(case: &Value, now: chrono::DateTime<chrono::Utc>) -> CaseSnapshot {
    let time = |key: &str, default: chrono::DateTime<chrono::Utc>| {
        case[key]
            .as_str()
            .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
            .map_or(default.timestamp(), |t| t.timestamp())
    };
    CaseSnapshot {
        tracking_code: text(case, "tracking_code").unwrap_or_else(|| "LOCAL-0000".into()),
        state: text(case, "state").unwrap_or_else(|| "assigned".into()),
        category: text(case, "category").unwrap_or_default(),
        lead: text(case, "lead"),
        co_handlers: Vec::new(),
        priority: minsheng_app::services::plugins::chains::priority_of(
            minsheng_app::services::plugins::chains::priority_from_name(
                case["priority"].as_str().unwrap_or("normal"),
            ),
        ),
        title: text(case, "title"),
        text: text(case, "text"),
        submitted_at: time("submitted_at", now - chrono::Duration::days(20)),
        accept_deadline: time("accept_deadline", now - chrono::Duration::days(18)),
        answer_deadline: time("answer_deadline", now),
        escalation_level: u8::try_from(case["escalation_level"].as_u64().unwrap_or(0)).unwrap_or(0),
        reopened: u32::try_from(case["reopened"].as_u64().unwrap_or(0)).unwrap_or(0),
        rating: text(case, "rating"),
        history: Vec::new(),
    }
}

fn print_report(r: &CallReport) {
    println!(
        "fuel used: {}   peak memory: {} KiB   time: {} µs",
        r.fuel_used,
        r.peak_memory / 1024,
        r.duration.as_micros()
    );
    for line in &r.logs {
        println!("log [{}] {}", line.level, line.message);
    }
    if r.logs_dropped > 0 {
        println!("log: {} more bytes dropped (over the cap)", r.logs_dropped);
    }
    if !r.output.trim().is_empty() {
        println!("output: {}", r.output.trim_end());
    }
}
