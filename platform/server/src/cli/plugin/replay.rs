//! `minsheng plugin replay`: an intake rule over a city's stored cases
//! (the replay itself is `minsheng_app::services::plugins::replay`, which
//! the console's replay jobs share).

use super::{LimitArgs, host, load, read_json};
use anyhow::{Context, bail};
use minsheng_app::config::Config;
use minsheng_app::services::plugins::replay::{self, Tally};
use minsheng_plugin_host::types as wit;
use serde_json::json;
use std::path::Path;

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
    let plugin = load(&host, component)?;
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
    let from = since
        .and_hms_opt(0, 0, 0)
        .map(|d| d.and_local_timezone(record.time_zone).earliest())
        .and_then(|d| d)
        .map(|d| d.with_timezone(&chrono::Utc))
        .context("--since is not a date")?;
    let cases = replay::cases(&store, &record, from, limit as u64).await?;
    println!(
        "replaying {} {} over {} case(s) of {} submitted since {since}",
        plugin.descriptor.name,
        plugin.descriptor.version,
        cases.rows.len(),
        record.slug
    );
    let limits = limits.limits();
    let rule_config = rule_config.to_string();
    let mut tally = Tally::default();
    let total = cases.rows.len();
    for (i, row) in cases.rows.iter().enumerate() {
        let case = replay::one(&plugin, &cases.chain, &record, &rule_config, &limits, row).await;
        if let Some(line) = case.line() {
            println!("{line}");
        }
        tally.add(&case);
        if (i + 1) % 500 == 0 {
            eprintln!("… {}/{total}", i + 1);
        }
    }
    print(&tally, total);
    Ok(())
}

fn print(tally: &Tally, total: usize) {
    println!();
    println!(
        "{total} case(s): {} would change, {} failed",
        tally.changed, tally.failed
    );
    println!(
        "  department {}, category {}, spam {}, redacted {}, held {}, refused {}",
        tally.of("department"),
        tally.of("category"),
        tally.of("spam"),
        tally.of("redacted"),
        tally.of("held"),
        tally.of("refused")
    );
    for (kind, n) in &tally.failures {
        println!("  failures: {kind} × {n}");
    }
    println!(
        "  fuel per call: median {}, p99 {}, max {}",
        tally.fuel_at(0.5),
        tally.fuel_at(0.99),
        tally.fuel_at(1.0)
    );
}
