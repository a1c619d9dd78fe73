//! `minsheng demo seed`: a year of realistic cases in a city.

use super::{DemoCommand, open_store_with};
use minsheng_app::config::Config;
use minsheng_app::services;

/// `minsheng demo seed`.
pub(super) async fn demo(config: Config, command: DemoCommand) -> anyhow::Result<()> {
    match command {
        DemoCommand::Seed {
            tenant,
            cases,
            seed,
            lanes,
            bulk,
        } => {
            let durability = if bulk {
                minsheng_store::Durability::Bulk
            } else {
                minsheng_store::Durability::Full
            };
            let store = open_store_with(&config, durability).await?;
            store.migrate().await?;
            let state = minsheng_app::App::new(config, store).await?;
            let record = services::tenants::find(state.store.db(), &tenant).await?;
            let report = seed_demo(&state, &record, cases, seed, lanes).await?;
            println!(
                "seeded {} cases in {tenant}: {} answers, {} ratings, {} operations",
                report.cases, report.answered, report.rated, report.operations
            );
            Ok(())
        }
        DemoCommand::Campaign { tenant, bulk } => {
            let durability = if bulk {
                minsheng_store::Durability::Bulk
            } else {
                minsheng_store::Durability::Full
            };
            let store = open_store_with(&config, durability).await?;
            store.migrate().await?;
            let state = minsheng_app::App::new(config, store).await?;
            let record = services::tenants::find(state.store.db(), &tenant).await?;
            seed_campaign(&state, &record).await?;
            Ok(())
        }
    }
}

/// Generate a city's demo campaign, saying what it made and how long it
/// took.
pub async fn seed_campaign(
    state: &minsheng_app::App,
    tenant: &services::tenants::TenantRecord,
) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let report = minsheng_app::demo::campaigns::seed(state, tenant).await?;
    if report.suggestions > 0 {
        println!(
            "  {}: demo campaign with {} suggestions and {} projects ({:.1}s)",
            tenant.slug,
            report.suggestions,
            report.projects,
            started.elapsed().as_secs_f64()
        );
    }
    Ok(())
}

/// Seed demo history with a progress line on standard error.
pub async fn seed_demo(
    state: &minsheng_app::App,
    tenant: &services::tenants::TenantRecord,
    cases: usize,
    seed: u64,
    lanes: usize,
) -> anyhow::Result<minsheng_app::demo::seed::SeedReport> {
    use std::io::Write;
    let started = std::time::Instant::now();
    let report =
        minsheng_app::demo::seed::seed(state, tenant, cases, seed, lanes, |done, total| {
            if done % 25 == 0 || done == total {
                let width = 30;
                let filled = done * width / total.max(1);
                eprint!(
                    "\r  {} [{}{}] {done}/{total} cases ({:.0}s)",
                    tenant.slug,
                    "#".repeat(filled),
                    " ".repeat(width - filled),
                    started.elapsed().as_secs_f64()
                );
                let _ = std::io::stderr().flush();
            }
        })
        .await?;
    eprintln!();
    Ok(report)
}
