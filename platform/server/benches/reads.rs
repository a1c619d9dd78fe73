//! Reads without the page cache: the REST API, Open311 and the citizen
//! pages, each as requests per second, as a ratio to `/healthz` served by
//! the same server in the same run, and as p99 latency, with 16 clients.
//!
//! Two cities: a fresh demo city (daqing with `DEMO` cases of history
//! through the services) and a large one (`BENCH_CITY_CASES`, 100,000 by
//! default, see `support/spread_city.rs`); on SQLite, and on PostgreSQL
//! when `MINSHENG_TEST_POSTGRES_URL` is set (`scripts/bench` sets it).
//! Targets (issue "fast reads"), SQLite: case read and case page ≥ 0.2×;
//! list, stats, home, departments and answers ≥ 0.1×; Open311 `GET
//! requests` ≥ 0.02×; PostgreSQL half of those; p99 < 20 ms each.
//!
//! Last, with the page cache on, a writer files 20 cases a second into the
//! same city while the home page is measured: the cached page's
//! throughput should fall by no more than half.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/load.rs"]
mod load;
#[path = "support/spread_city.rs"]
mod spread_city;

use load::{CLIENTS, SECONDS, measure, median};
use minsheng_app::config::Config;
use minsheng_server::app::{ServerState, build};
use minsheng_store::{ConnectionTrait, Store};
use poem::Server;
use poem::listener::TcpAcceptor;
use sea_orm::{Database, Statement};
use std::time::{Duration, Instant};

const ROUNDS: usize = 3;
/// Cases in the demo city: what `minsheng serve` seeds for a new city.
const DEMO: usize = 1400;
/// Cases the large city's history is seeded with before copying.
const SEEDED: usize = 600;

/// Serve the application on a loopback port; its base URL.
async fn serve(url: &str, page_cache_secs: u64) -> anyhow::Result<String> {
    let store = Store::connect(url).await?;
    let config = Config {
        worker: false,
        page_cache_secs,
        anonymous_rate_per_minute: 10_000_000,
        ..Config::default()
    };
    let state = ServerState::new(config, store).await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let acceptor = TcpAcceptor::from_tokio(listener)?;
    tokio::spawn(Server::new_with_acceptor(acceptor).run(build(state)));
    Ok(base)
}

/// The newest public answered case: what a visitor or integrator opens.
async fn answered_case(url: &str) -> anyhow::Result<String> {
    let db = Database::connect(url).await?;
    let backend = db.get_database_backend();
    let tx = sea_orm::TransactionTrait::begin(&db).await?;
    if backend == sea_orm::DbBackend::Postgres {
        tx.execute_unprepared("SELECT set_config('app.tenant_id', '*', true)")
            .await?;
    }
    let row = tx
        .query_one_raw(Statement::from_string(
            backend,
            "SELECT tracking_code FROM cases WHERE public AND state IN ('answered', 'closed') \
             ORDER BY submitted_at DESC LIMIT 1",
        ))
        .await?
        .expect("the benchmark city has public answers");
    Ok(row.try_get("", "tracking_code")?)
}

/// The reads measured, with a marker each answer must contain.
fn reads(base: &str, code: &str) -> Vec<(&'static str, String, &'static str, f64)> {
    vec![
        (
            "API case read",
            format!("{base}/api/v1/tenants/daqing/cases/{code}"),
            "tracking_code",
            0.2,
        ),
        (
            "API case list (20)",
            format!("{base}/api/v1/tenants/daqing/cases?page_size=20"),
            "tracking_code",
            0.1,
        ),
        (
            "API statistics",
            format!("{base}/api/v1/tenants/daqing/stats"),
            "answer_rate",
            0.1,
        ),
        (
            "Open311 GET requests",
            format!("{base}/open311/v2/requests.json?jurisdiction_id=daqing"),
            "service_request_id",
            0.02,
        ),
        (
            "home page",
            format!("{base}/t/daqing/"),
            "data-testid=\"received\"",
            0.1,
        ),
        (
            "departments page",
            format!("{base}/t/daqing/departments"),
            "</html>",
            0.1,
        ),
        (
            "answers, q=暖气",
            format!("{base}/t/daqing/answers?q=%E6%9A%96%E6%B0%94"),
            "</html>",
            0.1,
        ),
        (
            "case page",
            format!("{base}/t/daqing/cases/{code}"),
            "data-testid=\"case-answer\"",
            0.2,
        ),
    ]
}

async fn run(label: &str, url: &str, postgres: bool) -> anyhow::Result<()> {
    let code = answered_case(url).await?;
    let uncached = serve(url, 0).await?;
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(CLIENTS)
        .build()?;
    let health = format!("{uncached}/healthz");
    // `BENCH_ONLY=case,stat` measures only the reads whose names hold one
    // of the words (for profiling one read with `perf record -p`).
    let only = std::env::var("BENCH_ONLY").unwrap_or_default();
    let targets: Vec<_> = reads(&uncached, &code)
        .into_iter()
        .filter(|(name, ..)| only.is_empty() || only.split(',').any(|w| name.contains(w)))
        .collect();
    // Warm up: connections open, per-city caches filled.
    measure(&client, &health, "", "").await;
    for (_, url, marker, _) in &targets {
        measure(&client, url, "", marker).await;
    }
    let mut rates = vec![Vec::new(); targets.len() + 1];
    let mut p99s = vec![Vec::new(); targets.len()];
    for round in 0..ROUNDS {
        rates[0].push(measure(&client, &health, "", "").await.0);
        for (i, (_, url, marker, _)) in targets.iter().enumerate() {
            let (rate, p99) = measure(&client, url, "", marker).await;
            rates[i + 1].push(rate);
            p99s[i].push(p99 * 1000.0);
        }
        eprintln!("  round {}/{ROUNDS} done", round + 1);
    }
    let rates: Vec<f64> = rates.into_iter().map(median).collect();
    let p99s: Vec<f64> = p99s.into_iter().map(median).collect();
    println!(
        "Reads, {label}, {CLIENTS} clients, page cache off (median of {ROUNDS} rounds of {SECONDS} s):"
    );
    println!("  {:<24} {:>8.0} requests/s", "/healthz", rates[0]);
    let share = if postgres { 0.5 } else { 1.0 };
    for (i, (name, _, _, target)) in targets.iter().enumerate() {
        let ratio = rates[i + 1] / rates[0];
        let target = target * share;
        println!(
            "  {name:<24} {:>8.0} requests/s  {ratio:.3}x (target >= {target:.2}) {}  p99 {:.1} ms {}",
            rates[i + 1],
            if ratio >= target { "ok" } else { "MISSED" },
            p99s[i],
            if p99s[i] < 20.0 { "ok" } else { "MISSED" },
        );
    }
    Ok(())
}

/// The cached home page's throughput, alone and while a writer files 20
/// cases a second into the same city (each write empties the city's
/// cached pages).
async fn under_writes(label: &str, url: &str) -> anyhow::Result<()> {
    let cached = serve(url, 10).await?;
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(CLIENTS)
        .build()?;
    let home = format!("{cached}/t/daqing/");
    measure(&client, &home, "", "data-testid=\"received\"").await;
    let mut quiet = Vec::new();
    let mut busy = Vec::new();
    let mut written = 0u64;
    for _ in 0..ROUNDS {
        quiet.push(
            measure(&client, &home, "", "data-testid=\"received\"")
                .await
                .0,
        );
        let writer = {
            let (client, api) = (
                client.clone(),
                format!("{cached}/api/v1/tenants/daqing/cases"),
            );
            tokio::spawn(async move {
                let until = Instant::now() + Duration::from_secs_f64(SECONDS);
                let mut tick = tokio::time::interval(Duration::from_millis(50));
                let mut n = 0u64;
                while Instant::now() < until {
                    tick.tick().await;
                    let resp = client
                        .post(&api)
                        .json(&serde_json::json!({
                            "category": "heating-cold",
                            "attributes": {"address_detail": ["东城领秀 C-22 栋"], "indoor_temp": ["10-14"]},
                            "title": "暖气不热",
                            "text": "家里暖气一直不热，室温只有十几度，请尽快处理。",
                            "public": true
                        }))
                        .send()
                        .await
                        .expect("submit");
                    assert_eq!(resp.status().as_u16(), 201);
                    n += 1;
                }
                n
            })
        };
        busy.push(
            measure(&client, &home, "", "data-testid=\"received\"")
                .await
                .0,
        );
        written += writer.await?;
    }
    let (quiet, busy) = (median(quiet), median(busy));
    println!(
        "Cached home page, {label}: {quiet:.0} requests/s alone, {busy:.0} with a writer filing 20 cases/s ({written} filed): {:.2}x (target >= 0.5)",
        busy / quiet
    );
    Ok(())
}

/// Each city on one backend; `fresh(name)` makes an empty database, or
/// names a kept one and says whether it is already built.
async fn cities<F, Fut>(backend: &str, postgres: bool, mut fresh: F) -> anyhow::Result<()>
where
    F: FnMut(&'static str) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<(String, bool)>>,
{
    let large = spread_city::size();
    if std::env::var("BENCH_SKIP_DEMO").is_err() {
        let (demo, _) = fresh("demo").await?;
        spread_city::build(&demo, DEMO, DEMO).await?;
        run(
            &format!("demo city ({DEMO} cases), {backend}"),
            &demo,
            postgres,
        )
        .await?;
        under_writes(&format!("demo city, {backend}"), &demo).await?;
    }
    let (big, built) = fresh("large").await?;
    if built {
        // A kept city: brought up to this build's migrations.
        Store::connect(&big).await?.migrate().await?;
    } else {
        spread_city::build(&big, large, SEEDED).await?;
    }
    run(&format!("{large} cases, {backend}"), &big, postgres).await?;
    Ok(())
}

/// `BENCH_KEEP_SQLITE=<file>` keeps the large SQLite city in that file and
/// measures it again on later runs instead of building it;
/// `BENCH_POSTGRES_CITY=<database>` does the same on PostgreSQL (not named
/// `minsheng_bench_*`: `scripts/postgres.sh` drops those).
/// `BENCH_SKIP_DEMO=1` measures the large city only, `BENCH_SKIP_SQLITE=1`
/// PostgreSQL only; `BENCH_ONLY` picks reads (see `run`).
#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().to_owned();
    let keep = std::env::var("BENCH_KEEP_SQLITE").ok();
    if std::env::var("BENCH_SKIP_SQLITE").is_err() {
        cities("SQLite", false, |name| {
            let file = match (&keep, name) {
                (Some(kept), "large") => std::path::PathBuf::from(kept),
                _ => path.join(format!("{name}.db")),
            };
            let built = keep.is_some() && name == "large" && file.exists();
            let url = format!("sqlite://{}?mode=rwc", file.display());
            async move { Ok((url, built)) }
        })
        .await?;
    }
    if let Ok(admin) = std::env::var("MINSHENG_TEST_POSTGRES_URL") {
        let db = Database::connect(&admin).await?;
        let (prefix, _) = admin.rsplit_once('/').expect("a database name");
        let kept = std::env::var("BENCH_POSTGRES_CITY").ok();
        let mut made = Vec::new();
        let result = cities("PostgreSQL 15", true, |name| {
            let name = match (&kept, name) {
                (Some(kept), "large") => kept.clone(),
                _ => {
                    let name = format!("minsheng_bench_{}", uuid::Uuid::now_v7().simple());
                    made.push(name.clone());
                    name
                }
            };
            let (db, url) = (db.clone(), format!("{prefix}/{name}"));
            async move {
                let built = db
                    .query_one_raw(Statement::from_sql_and_values(
                        sea_orm::DbBackend::Postgres,
                        "SELECT 1 AS found FROM pg_database WHERE datname = $1",
                        [name.clone().into()],
                    ))
                    .await?
                    .is_some();
                if !built {
                    db.execute_unprepared(&format!("CREATE DATABASE {name}"))
                        .await?;
                }
                Ok((url, built))
            }
        })
        .await;
        for name in made {
            db.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .await?;
        }
        result?;
    } else {
        println!("PostgreSQL: skipped (set MINSHENG_TEST_POSTGRES_URL, as scripts/bench does)");
    }
    Ok(())
}
