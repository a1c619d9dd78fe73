//! The time to build a bulletin in a 100,000-case city: counting last
//! month's and last week's figures (the rollup for the city and its
//! departments, the cases by category, the rising words from the search
//! index), as the worker does when a period ends, without writing them.
//! Median and slowest of `ROUNDS`.
//!
//! The city is `support/spread_city.rs` (`BENCH_CITY_CASES`, 100,000 by
//! default), indexed for search first; SQLite, and PostgreSQL when
//! `MINSHENG_TEST_POSTGRES_URL` is set (`scripts/bench` sets it).

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/load.rs"]
#[allow(dead_code)]
mod load;
#[path = "support/spread_city.rs"]
mod spread_city;

use load::median;
use minsheng_app::services::{bulletins, search, tenants};
use minsheng_store::{ConnectionTrait, Scope, Store};
use sea_orm::Database;
use std::time::Instant;

const ROUNDS: usize = 5;
/// Cases the city's history is seeded with before copying.
const SEEDED: usize = 600;

async fn run(label: &str, url: &str) -> anyhow::Result<()> {
    let cases = spread_city::size();
    let started = Instant::now();
    spread_city::build(url, cases, SEEDED).await?;
    let store = Store::connect(url).await?;
    let indexed = search::backfill(&store, None, |_, _| {}).await?;
    println!(
        "{label}: a {cases}-case city built and {indexed} cases indexed in {:.0} s",
        started.elapsed().as_secs_f64()
    );
    let tenant = tenants::find(store.db(), "daqing").await?;
    let today = chrono::Utc::now()
        .with_timezone(&tenant.time_zone)
        .date_naive();
    for kind in bulletins::Kind::ALL {
        let period = kind.containing(today).before();
        let mut times = Vec::new();
        let mut received = 0;
        for _ in 0..ROUNDS {
            let tx = store.begin(Scope::Tenant(tenant.id.into_uuid())).await?;
            let at = Instant::now();
            let figures = bulletins::count(&tx, &tenant, period).await?;
            times.push(at.elapsed().as_secs_f64() * 1000.0);
            received = figures.categories.iter().map(|c| c.received).sum::<i64>();
            tx.rollback().await?;
        }
        let slowest = times.iter().copied().fold(0.0, f64::max);
        println!(
            "{label}: {} bulletin {}..{} ({received} cases): median {:.1} ms, slowest {:.1} ms",
            kind.as_str(),
            period.from,
            period.to,
            median(times),
            slowest,
        );
    }
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("city.db").display());
    run("SQLite", &url).await?;
    if let Ok(admin) = std::env::var("MINSHENG_TEST_POSTGRES_URL") {
        let db = Database::connect(&admin).await?;
        let (prefix, _) = admin.rsplit_once('/').expect("a database name");
        let name = format!("minsheng_bench_{}", uuid::Uuid::now_v7().simple());
        db.execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await?;
        let result = run("PostgreSQL", &format!("{prefix}/{name}")).await;
        db.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .await?;
        result?;
    } else {
        println!("PostgreSQL: skipped (set MINSHENG_TEST_POSTGRES_URL, as scripts/bench does)");
    }
    Ok(())
}
