//! `minsheng plugin replay`: an intake rule over a city's stored cases.

use super::{LimitArgs, host, load, read_json};
use anyhow::{Context, bail};
use minsheng_app::config::Config;
use minsheng_app::services::plugins::chains::{Draft, instant, priority_name};
use minsheng_plugin_host::types as wit;
use minsheng_plugin_host::{Failure, NoLookups};
use serde_json::json;
use std::path::Path;
use std::sync::Arc;

/// `minsheng plugin replay`: the rule over a city's stored cases, and how
/// its decisions differ from what happened.
pub async fn replay(
    config: Config,
    component: &Path,
    tenant: &str,
    since: chrono::NaiveDate,
    config_file: Option<&Path>,
    limit: usize,
    limits: &LimitArgs,
) -> anyhow::Result<()> {
    let store = crate::cli::open_store(&config).await?;
    let host = host(&config)?;
    let plugin = Arc::new(load(&host, component)?);
    if plugin.descriptor.hook != wit::Hook::Intake {
        bail!("replay runs intake rules over past submissions; this is an escalation rule");
    }
    let rule_config = read_json(config_file, json!({}))?;
    if let Err(errors) =
        minsheng_plugin_host::check_config(&plugin.descriptor.config_schema, &rule_config)
    {
        for e in &errors {
            eprintln!("config{}: {}", e.path, e.message);
        }
        bail!("the configuration does not match the rule's schema");
    }
    let record = minsheng_app::services::tenants::find(store.db(), tenant).await?;
    let t = record.id.into_uuid();
    // The directory as the city's rules see it now (without starting the
    // server's state or compiling the city's own rules).
    let chain =
        Arc::new(minsheng_app::services::plugins::chains::directory(&store, &record).await?);
    let from = since
        .and_hms_opt(0, 0, 0)
        .map(|d| d.and_local_timezone(record.time_zone).earliest())
        .and_then(|d| d)
        .map(|d| d.with_timezone(&chrono::Utc))
        .context("--since is not a date")?;
    let tx = store.read(minsheng_store::Scope::Tenant(t)).await?;
    let cases = minsheng_store::queries::cases::submitted_since(&tx, t, from, limit as u64).await?;
    tx.commit().await?;
    println!(
        "replaying {} {} over {} case(s) of {} submitted since {since}",
        plugin.descriptor.name,
        plugin.descriptor.version,
        cases.len(),
        record.slug
    );
    let limits = limits.limits();
    let mut tally = Replay::default();
    let total = cases.len();
    for (i, row) in cases.into_iter().enumerate() {
        let original = row.unredacted.as_ref();
        let field = |key: &str, stored: &str| {
            original
                .and_then(|o| o[key].as_str())
                .unwrap_or(stored)
                .to_owned()
        };
        let category = chain
            .category_codes
            .get(&row.category_id)
            .cloned()
            .unwrap_or_default();
        let draft = Draft {
            category: category.clone(),
            title: field("title", &row.title),
            text: field("text", &row.body),
            address: original
                .and_then(|o| o["address"].as_str().map(str::to_owned))
                .or_else(|| row.address.clone()),
            location: row.latitude.zip(row.longitude),
            attributes: row.attributes.clone(),
            media_url: row.media_url.clone(),
            contact_name: row.contact_name.clone(),
            contact_phone: row.contact_phone.clone(),
            contact_email: row.contact_email.clone(),
            public: row.public || row.review.is_some(),
            priority: row.priority,
            ..Default::default()
        };
        let input = draft.input(
            &plugin.descriptor.needs,
            &chain,
            &rule_config.to_string(),
            instant(&record, row.submitted_at),
        );
        let out = plugin
            .intake_alone(&input, chain.directory(), &limits, Arc::new(NoLookups))
            .await;
        tally.fuel.push(out.report.fuel_used);
        let lead = row
            .lead_department_id
            .and_then(|d| chain.department_codes.get(&d).cloned());
        match out.result {
            Err(failure) => {
                tally.failed += 1;
                println!(
                    "{}  FAILED {}: {failure}",
                    row.tracking_code,
                    failure.kind()
                );
                tally.note_failure(&failure);
            }
            Ok(d) => {
                let mut changes = Vec::new();
                if let Some(new) = &d.lead
                    && Some(new) != lead.as_ref()
                {
                    tally.routing += 1;
                    changes.push(format!(
                        "department {} → {new}",
                        lead.as_deref().unwrap_or("none")
                    ));
                }
                if let Some(new) = &d.category
                    && *new != category
                {
                    tally.category += 1;
                    changes.push(format!("category {category} → {new}"));
                }
                if let Some(p) = d.priority {
                    let new = minsheng_app::services::plugins::chains::priority_value(p);
                    if new != row.priority {
                        changes.push(format!(
                            "priority {} → {}",
                            priority_name(row.priority),
                            priority_name(new)
                        ));
                    }
                }
                if d.spam && !row.spam {
                    tally.spam += 1;
                    changes.push("spam".into());
                }
                if !d.redactions.is_empty() {
                    tally.redacted += 1;
                    changes.push(format!("{} redaction(s)", d.redactions.len()));
                }
                if d.hold.is_some() {
                    tally.held += 1;
                    changes.push("held for review".into());
                }
                if let Some(m) = &d.reject {
                    tally.rejected += 1;
                    changes.push(format!("refused: {m}"));
                }
                if d.force_private && row.public {
                    changes.push("made private".into());
                }
                if !changes.is_empty() {
                    tally.changed += 1;
                    println!(
                        "{}  {}  ({})",
                        row.tracking_code,
                        changes.join("; "),
                        d.explanation
                    );
                }
            }
        }
        if (i + 1) % 500 == 0 {
            eprintln!("… {}/{total}", i + 1);
        }
    }
    tally.print(total);
    Ok(())
}

#[derive(Default)]
struct Replay {
    changed: usize,
    routing: usize,
    category: usize,
    spam: usize,
    redacted: usize,
    held: usize,
    rejected: usize,
    failed: usize,
    failures: std::collections::BTreeMap<&'static str, usize>,
    fuel: Vec<u64>,
}

impl Replay {
    fn note_failure(&mut self, f: &Failure) {
        *self.failures.entry(f.kind()).or_default() += 1;
    }

    fn print(&mut self, total: usize) {
        self.fuel.sort_unstable();
        let at = |q: f64| {
            self.fuel
                .get(((self.fuel.len() as f64 - 1.0) * q).round() as usize)
                .copied()
                .unwrap_or(0)
        };
        println!();
        println!(
            "{total} case(s): {} would change, {} failed",
            self.changed, self.failed
        );
        println!(
            "  department {}, category {}, spam {}, redacted {}, held {}, refused {}",
            self.routing, self.category, self.spam, self.redacted, self.held, self.rejected
        );
        for (kind, n) in &self.failures {
            println!("  failures: {kind} × {n}");
        }
        println!(
            "  fuel per call: median {}, p99 {}, max {}",
            at(0.5),
            at(0.99),
            at(1.0)
        );
    }
}
