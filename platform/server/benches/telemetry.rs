//! What telemetry costs: 64 clients submit cases and read them back
//! through the whole application, once with telemetry off and once with
//! traces and metrics exported over OTLP to a collector on loopback (a real
//! OTLP/HTTP receiver in this process that decodes every export and counts
//! the spans). The figure is the throughput with telemetry on as a ratio
//! to off.
//!
//! A process has one tracing subscriber, so each side runs in a child
//! process of this benchmark on a fresh database; the sides alternate,
//! eleven rounds each, the first side of each pair changing from round to
//! round. The figure is the median of the eleven paired ratios (each
//! round's "on" over its "off"), in which drift in the machine's speed
//! cancels, with their quartiles (a single round on PostgreSQL can be off
//! by half: its commits wait for the disk); the best rounds' ratio is
//! printed too. Log
//! lines are at `warn` on both sides. The span queue is made large enough
//! that no span is dropped, so the collector receives everything.
//!
//! Runs on SQLite and, when `MINSHENG_TEST_POSTGRES_URL` is set
//! (`scripts/bench` sets it), on PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../../../tests/e2e/otlp.rs"]
mod otlp;

use minsheng_app::bundle;
use minsheng_app::config::Config;
use minsheng_server::app::{ServerState, build};
use minsheng_store::Store;
use poem::test::TestClient;
use sea_orm::{ConnectionTrait, Database};
use std::sync::Arc;
use std::time::Instant;

const CLIENTS: usize = 64;
const PER_CLIENT: usize = 50;
const ROUNDS: usize = 11;
/// The child's side and database, from the parent.
const PHASE: &str = "BENCH_TELEMETRY_SIDE";
const DATABASE: &str = "BENCH_TELEMETRY_DATABASE";

fn main() -> anyhow::Result<()> {
    let runtime = tokio::runtime::Runtime::new()?;
    match std::env::var(PHASE) {
        Ok(phase) => runtime.block_on(child(phase == "on")),
        Err(_) => runtime.block_on(parent()),
    }
}

/// One side: a fresh city, the load, and `RESULT <requests per second>`.
async fn child(on: bool) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let url = match std::env::var(DATABASE) {
        Ok(url) if !url.is_empty() => url,
        _ => format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("telemetry.db").display()
        ),
    };
    let config = Config {
        anonymous_rate_per_minute: 10_000_000,
        data_dir: dir.path().to_owned(),
        ..Config::load(None)?
    };
    let telemetry = minsheng_server::telemetry::init(&config, on)?;
    assert_eq!(telemetry.exporting(), on, "exporting as asked");
    let store = Store::connect(&url).await?;
    store.migrate().await?;
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tenants/daqing");
    bundle::apply::apply(&store, &bundle::format::Bundle::read(&root)?, false).await?;
    let state = ServerState::new(config, store).await?;
    if on {
        minsheng_app::metrics::export_to_otel(&state.metrics, &state.store);
    }
    let client = Arc::new(TestClient::new(build(state)));
    load(&client, 4).await; // warm up
    let started = Instant::now();
    let requests = load(&client, PER_CLIENT).await;
    let per_second = requests as f64 / started.elapsed().as_secs_f64();
    // Flushing what is left is not part of the figure.
    telemetry.shutdown();
    println!("RESULT {per_second}");
    Ok(())
}

/// Each client submits a case and reads it back with its secret, `rounds`
/// times. Returns the number of requests.
async fn load(client: &Arc<TestClient<impl poem::Endpoint + 'static>>, rounds: usize) -> usize {
    let mut tasks = Vec::new();
    for c in 0..CLIENTS {
        let client = Arc::clone(client);
        tasks.push(tokio::spawn(async move {
            for i in 0..rounds {
                let body = serde_json::json!({
                    "category": "heating-cold",
                    "attributes": {"address_detail": ["东城领秀 C-22 栋 2 单元"], "indoor_temp": ["10-14"]},
                    "title": "暖气不热，室温只有十四度",
                    "text": format!("东城领秀小区C-22栋2单元，客户端{c}第{i}次提交：暖气不热，请尽快处理。"),
                    "contact_phone": "13900001111",
                });
                let resp = client
                    .post("/api/v1/tenants/daqing/cases")
                    .body_json(&body)
                    .send()
                    .await;
                resp.assert_status(poem::http::StatusCode::CREATED);
                let created: serde_json::Value = resp.0.into_body().into_json().await.unwrap();
                let code = created["tracking_code"].as_str().unwrap();
                let secret = created["secret"].as_str().unwrap();
                client
                    .get(format!("/api/v1/tenants/daqing/cases/{code}"))
                    .header("x-case-secret", secret)
                    .send()
                    .await
                    .assert_status_is_ok();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    CLIENTS * rounds * 2
}

async fn run_child(on: bool, collector: &str, database: &str) -> anyhow::Result<f64> {
    let out = tokio::process::Command::new(std::env::current_exe()?)
        .env(PHASE, if on { "on" } else { "off" })
        .env(DATABASE, database)
        .env("MINSHENG_LOG", "warn")
        .env("MINSHENG_OTEL_ENDPOINT", collector)
        .env("OTEL_BSP_MAX_QUEUE_SIZE", "262144")
        .env("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "2048")
        .env("OTEL_BSP_SCHEDULE_DELAY", "200")
        .output()
        .await?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    stdout
        .lines()
        .find_map(|l| l.strip_prefix("RESULT "))
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(|| {
            anyhow::anyhow!(
                "the {} side failed: {}\n{}",
                if on { "on" } else { "off" },
                stdout,
                String::from_utf8_lossy(&out.stderr)
            )
        })
}

async fn compare(
    name: &str,
    collector: &str,
    database: &dyn Fn() -> String,
    received: &otlp::Store,
) -> anyhow::Result<()> {
    let (mut off, mut on) = (Vec::new(), Vec::new());
    let spans_before = received.lock().unwrap().span_count;
    for round in 0..ROUNDS {
        if round % 2 == 0 {
            off.push(run_child(false, collector, &database()).await?);
            on.push(run_child(true, collector, &database()).await?);
        } else {
            on.push(run_child(true, collector, &database()).await?);
            off.push(run_child(false, collector, &database()).await?);
        }
    }
    let best = |v: &[f64]| v.iter().copied().fold(0.0, f64::max);
    let spans = received.lock().unwrap().span_count - spans_before;
    println!("{name}: {CLIENTS} clients, each submitting and reading back {PER_CLIENT} cases");
    println!(
        "  telemetry off: {:>7.0} requests/s (rounds: {})",
        best(&off),
        rounds(&off)
    );
    println!(
        "  telemetry on:  {:>7.0} requests/s (rounds: {})",
        best(&on),
        rounds(&on)
    );
    let paired: Vec<f64> = on.iter().zip(&off).map(|(a, b)| a / b).collect();
    let mut sorted = paired.clone();
    sorted.sort_by(f64::total_cmp);
    let quartile = |q: usize| sorted[(sorted.len() - 1) * q / 4];
    println!(
        "  on / off: {:.2}x median of paired rounds (target >= 0.9x; quartiles {:.2}-{:.2}; rounds {}); best / best {:.2}x",
        quartile(2),
        quartile(1),
        quartile(3),
        paired
            .iter()
            .map(|r| format!("{r:.2}"))
            .collect::<Vec<_>>()
            .join(", "),
        best(&on) / best(&off),
    );
    println!(
        "  the collector received {spans} spans ({:.1} per request)",
        spans as f64 / (ROUNDS * (CLIENTS * (PER_CLIENT + 4) * 2)) as f64
    );
    Ok(())
}

fn rounds(v: &[f64]) -> String {
    v.iter()
        .map(|r| format!("{r:.0}"))
        .collect::<Vec<_>>()
        .join(", ")
}

async fn parent() -> anyhow::Result<()> {
    let (collector, received) = otlp::start_counting().await;
    compare(
        "SQLite (WAL, synchronous=FULL)",
        &collector,
        &String::new,
        &received,
    )
    .await?;
    if let Ok(admin) = std::env::var("MINSHENG_TEST_POSTGRES_URL") {
        let db = Database::connect(&admin).await?;
        let (prefix, _) = admin.rsplit_once('/').expect("a database name");
        // A fresh database for each side of each round, made up front.
        let mut made = Vec::new();
        for _ in 0..ROUNDS * 2 {
            let name = format!("minsheng_bench_{}", uuid::Uuid::now_v7().simple());
            db.execute_unprepared(&format!("CREATE DATABASE {name}"))
                .await?;
            made.push(format!("{prefix}/{name}"));
        }
        let queue = std::sync::Mutex::new(made.clone());
        let next = || queue.lock().unwrap().remove(0);
        compare(
            "PostgreSQL 15 (synchronous_commit on)",
            &collector,
            &next,
            &received,
        )
        .await?;
        for url in made {
            let name = url.rsplit('/').next().unwrap();
            // An autovacuum worker may still be in it (and cannot be
            // stopped by this role): scripts/postgres.sh drops it next time.
            if let Err(e) = db
                .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .await
            {
                eprintln!("left {name} behind: {e}");
            }
        }
    } else {
        println!("PostgreSQL: skipped (set MINSHENG_TEST_POSTGRES_URL, as scripts/bench does)");
    }
    Ok(())
}
