//! The escalation engine under a burst: 10,000 cases whose answer deadlines
//! pass at once. Two figures, each measured in the same run:
//!
//! - escalations applied per second by one worker, each in its own
//!   transaction (timeline entry, counters, next step, exactly-once row);
//! - the latency of case submissions (16 clients) while the burst is
//!   applied, as a ratio to the same submissions with no burst.
//!
//! On SQLite, and on PostgreSQL when `MINSHENG_TEST_POSTGRES_URL` is set
//! (`scripts/bench` sets it).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::Utc;
use minsheng_app::bundle;
use minsheng_app::config::Config;
use minsheng_app::services::escalation::{Worker, run_due};
use minsheng_server::app::{ServerState, build};
use minsheng_store::{ConnectionTrait, Store};
use poem::test::TestClient;
use sea_orm::Database;
use std::sync::Arc;
use std::time::{Duration, Instant};

const DUE: usize = 10_000;
const CLIENTS: usize = 16;
const PER_CLIENT: usize = 40;

async fn prepare(url: &str) -> anyhow::Result<(Store, ServerState)> {
    let store = Store::connect(url).await?;
    store.migrate().await?;
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tenants/daqing");
    bundle::apply::apply(&store, &bundle::format::Bundle::read(&root)?, false).await?;
    let config = Config {
        anonymous_rate_per_minute: 10_000_000,
        worker: false,
        ..Config::default()
    };
    let state = ServerState::new(config, store.clone()).await?;
    Ok((store, state))
}

/// `n` submissions from `clients` clients at once; their latencies.
async fn submit(state: &ServerState, clients: usize, per_client: usize) -> Vec<Duration> {
    let client = Arc::new(TestClient::new(build(state.clone())));
    let mut tasks = Vec::new();
    for c in 0..clients {
        let client = Arc::clone(&client);
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::with_capacity(per_client);
            for i in 0..per_client {
                let body = serde_json::json!({
                    "category": "heating-cold",
                    "attributes": {"address_detail": ["东城领秀 C-22 栋 2 单元"], "indoor_temp": ["10-14"]},
                    "title": "暖气不热，室温只有十四度",
                    "text": format!("客户端{c}第{i}次提交：暖气不热，请尽快处理。"),
                });
                let t = Instant::now();
                let resp = client
                    .post("/api/v1/tenants/daqing/cases")
                    .body_json(&body)
                    .send()
                    .await;
                assert_eq!(resp.0.status(), poem::http::StatusCode::CREATED);
                latencies.push(t.elapsed());
            }
            latencies
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    all.sort();
    all
}

fn at(sorted: &[Duration], q: f64) -> Duration {
    sorted[((sorted.len() as f64 * q) as usize).min(sorted.len() - 1)]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

async fn measure(name: &str, store: &Store, state: &ServerState) -> anyhow::Result<()> {
    // The cases whose deadlines will pass, filed like any other.
    eprintln!("{name}: filing {DUE} cases");
    submit(state, 64, DUE / 64 + 1).await;
    // Warm up, then the submissions with nothing else going on.
    submit(state, CLIENTS, 10).await;
    let quiet = submit(state, CLIENTS, PER_CLIENT).await;
    // Every pending step is now an overdue step due this instant.
    let now = Utc::now() - chrono::Duration::seconds(1);
    let stamp = now.to_rfc3339();
    for sql in [
        format!("UPDATE cases SET answer_deadline = '{stamp}'"),
        format!(
            "UPDATE due_work SET level = 1, deadline_at = '{stamp}', due_at = '{stamp}' WHERE state = 'pending'"
        ),
    ] {
        store.execute_platform(&sql).await?;
    }
    let due = store
        .count_platform("SELECT count(*) FROM due_work WHERE state = 'pending'")
        .await?;
    // The burst, with submissions arriving meanwhile.
    let burst_state = state.clone();
    let burst = tokio::spawn(async move {
        let worker = Worker::new(chrono::Duration::seconds(30));
        let started = Instant::now();
        let pass = run_due(&burst_state, &worker, Utc::now).await.unwrap();
        (pass, started.elapsed())
    });
    let busy = submit(state, CLIENTS, PER_CLIENT).await;
    let (pass, took) = burst.await?;
    println!("{name}:");
    println!(
        "  burst: {} of {due} due escalations applied in {:.1} s: {:.0} escalations/s (one worker)",
        pass.fired,
        took.as_secs_f64(),
        pass.fired as f64 / took.as_secs_f64()
    );
    println!(
        "  submissions, {CLIENTS} clients: quiet p50 {:.1} ms p99 {:.1} ms; during the burst p50 {:.1} ms p99 {:.1} ms",
        ms(at(&quiet, 0.5)),
        ms(at(&quiet, 0.99)),
        ms(at(&busy, 0.5)),
        ms(at(&busy, 0.99)),
    );
    println!(
        "  added latency during the burst: p50 {:.2}x, p99 {:.2}x",
        ms(at(&busy, 0.5)) / ms(at(&quiet, 0.5)),
        ms(at(&busy, 0.99)) / ms(at(&quiet, 0.99)),
    );
    Ok(())
}

/// Raw statements in the platform scope (row-level security on PostgreSQL).
trait Platform {
    async fn execute_platform(&self, sql: &str) -> anyhow::Result<()>;
    async fn count_platform(&self, sql: &str) -> anyhow::Result<i64>;
}

impl Platform for Store {
    async fn execute_platform(&self, sql: &str) -> anyhow::Result<()> {
        let tx = self.begin(minsheng_store::Scope::Platform).await?;
        tx.execute_unprepared(sql).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn count_platform(&self, sql: &str) -> anyhow::Result<i64> {
        let tx = self.begin(minsheng_store::Scope::Platform).await?;
        let row = tx
            .query_one_raw(sea_orm::Statement::from_string(
                tx.get_database_backend(),
                sql,
            ))
            .await?
            .expect("a count");
        let n: i64 = row.try_get_by_index(0)?;
        tx.commit().await?;
        Ok(n)
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("escalation.db").display()
    );
    let (store, state) = prepare(&url).await?;
    measure("SQLite (WAL, synchronous=FULL)", &store, &state).await?;
    drop(state);
    drop(store);

    if let Ok(admin) = std::env::var("MINSHENG_TEST_POSTGRES_URL") {
        let name = format!("minsheng_bench_{}", uuid::Uuid::now_v7().simple());
        let db = Database::connect(&admin).await?;
        db.execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await?;
        let (prefix, _) = admin.rsplit_once('/').expect("a database name");
        let (store, state) = prepare(&format!("{prefix}/{name}")).await?;
        measure("PostgreSQL 15", &store, &state).await?;
        drop(state);
        drop(store);
        db.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .await?;
    } else {
        println!("PostgreSQL: skipped (set MINSHENG_TEST_POSTGRES_URL, as scripts/bench does)");
    }
    Ok(())
}
