//! Durable intake: 64 clients submit cases at once through the whole
//! application (routing, validation, deadlines on the working-day calendar,
//! the case row, its timeline entry and the statistics rollup, one
//! transaction). The baseline, measured in the same run on the same
//! database with the same durability settings, is a bare insert of the
//! same case row in its own transaction.
//!
//! Runs on SQLite (WAL, synchronous=FULL) and, when
//! `MINSHENG_TEST_POSTGRES_URL` is set (`scripts/bench` sets it), on a
//! fresh PostgreSQL database.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/large_city.rs"]
mod large_city;

use chrono::Utc;
use minsheng_app::bundle;
use minsheng_app::config::Config;
use minsheng_server::app::{ServerState, build};
use minsheng_store::entity::case;
use minsheng_store::queries::cases as q;
use minsheng_store::{Scope, Store};
use poem::test::TestClient;
use sea_orm::ActiveValue::Set;
use sea_orm::{ConnectionTrait, Database};
use std::sync::Arc;
use std::time::{Duration, Instant};

const CLIENTS: usize = 64;
const PER_CLIENT: usize = 25;

struct Run {
    per_second: f64,
    p50: Duration,
    p99: Duration,
    max: Duration,
}

fn summarize(mut latencies: Vec<Duration>, elapsed: Duration) -> Run {
    latencies.sort();
    let at = |q: f64| latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)];
    Run {
        per_second: latencies.len() as f64 / elapsed.as_secs_f64(),
        p50: at(0.5),
        p99: at(0.99),
        max: latencies[latencies.len() - 1],
    }
}

async fn prepare(url: &str) -> anyhow::Result<(Store, ServerState)> {
    let store = Store::connect(url).await?;
    store.migrate().await?;
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tenants/daqing");
    bundle::apply::apply(&store, &bundle::format::Bundle::read(&root)?, false).await?;
    open(store).await
}

async fn open(store: Store) -> anyhow::Result<(Store, ServerState)> {
    let config = Config {
        anonymous_rate_per_minute: 10_000_000,
        ..Config::default()
    };
    let state = ServerState::new(config, store.clone()).await?;
    Ok((store, state))
}

async fn intake(state: &ServerState) -> Run {
    let client = Arc::new(TestClient::new(build(state.clone())));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..CLIENTS {
        let client = Arc::clone(&client);
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::with_capacity(PER_CLIENT);
            for i in 0..PER_CLIENT {
                let body = serde_json::json!({
                    "category": "heating-cold",
                    "attributes": {"address_detail": ["东城领秀 C-22 栋 2 单元"], "indoor_temp": ["10-14"]},
                    "title": "暖气不热，室温只有十四度",
                    "text": format!("东城领秀小区C-22栋2单元，客户端{c}第{i}次提交：暖气不热，请尽快处理。"),
                    "address": "龙凤区东城领秀 C-22 栋 2 单元",
                    "contact_phone": "13900001111",
                });
                let t = Instant::now();
                let resp = client
                    .post("/api/v1/tenants/daqing/cases")
                    .body_json(&body)
                    .send()
                    .await;
                let status = resp.0.status();
                if status != poem::http::StatusCode::CREATED {
                    let text = resp.0.into_body().into_string().await.unwrap_or_default();
                    panic!("submission refused with {status}: {text}");
                }
                latencies.push(t.elapsed());
            }
            latencies
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    summarize(all, started.elapsed())
}

/// The same row, inserted alone in its own durable transaction.
async fn bare_insert(store: &Store, run: u32) -> Run {
    let tenant = minsheng_app::services::tenants::find(store.db(), "daqing")
        .await
        .unwrap();
    let tx = store
        .read(Scope::Tenant(tenant.id.into_uuid()))
        .await
        .unwrap();
    let category = minsheng_store::queries::directory::by_code::<
        minsheng_store::entity::category::Entity,
    >(&tx, tenant.id.into_uuid(), "heating-cold")
    .await
    .unwrap()
    .unwrap();
    drop(tx);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..CLIENTS {
        let store = store.clone();
        let (t, cat, lead) = (
            tenant.id.into_uuid(),
            category.id,
            category.default_department_id,
        );
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::with_capacity(PER_CLIENT);
            for i in 0..PER_CLIENT {
                let now = Utc::now();
                let row = case::ActiveModel {
                    id: Set(uuid::Uuid::now_v7()),
                    tenant_id: Set(t),
                    tracking_code: Set(format!("B{run}-{c:03}-{i:04}")),
                    secret_hash: Set("0".repeat(64)),
                    category_id: Set(cat),
                    title: Set("暖气不热，室温只有十四度".into()),
                    body: Set(format!(
                        "东城领秀小区C-22栋2单元，客户端{c}第{i}次提交：暖气不热，请尽快处理。"
                    )),
                    address: Set(Some("龙凤区东城领秀 C-22 栋 2 单元".into())),
                    latitude: Set(None),
                    longitude: Set(None),
                    contact_name: Set(None),
                    contact_phone: Set(Some("13900001111".into())),
                    contact_email: Set(None),
                    public: Set(true),
                    citizen_id: Set(None),
                    state: Set("submitted".into()),
                    lead_department_id: Set(lead),
                    extension_pending: Set(false),
                    reopened: Set(0),
                    submitted_at: Set(now),
                    accept_deadline: Set(now),
                    answer_deadline: Set(now),
                    accepted_at: Set(None),
                    answered_at: Set(None),
                    closed_at: Set(None),
                    answer: Set(None),
                    rating: Set(None),
                    rating_comment: Set(None),
                    rated_at: Set(None),
                    views: Set(0),
                    updated_at: Set(now),
                    attributes: Set(None),
                    media_url: Set(None),
                    escalation_level: Set(0),
                    priority: Set(1),
                    tags: Set(None),
                    spam: Set(false),
                    duplicate_of: Set(None),
                    review: Set(None),
                    rule_failed: Set(false),
                    unredacted: Set(None),
                    supervised_at: Set(None),
                    kind: Set("case".into()),
                    merged_into_id: Set(None),
                };
                let t0 = Instant::now();
                let tx = store.begin(Scope::Tenant(t)).await.unwrap();
                q::insert(&tx, row).await.unwrap();
                tx.commit().await.unwrap();
                latencies.push(t0.elapsed());
            }
            latencies
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    summarize(all, started.elapsed())
}

/// After a warm-up, intake between two baselines, so drift affects both
/// alike; the faster baseline is the one compared against.
async fn measure(store: &Store, state: &ServerState) -> (Run, Run) {
    // A warm-up round of each, not measured: connections opened, statements
    // prepared on every pooled connection, caches loaded.
    bare_insert(store, 0).await;
    intake(state).await;
    let baseline = bare_insert(store, 1).await;
    let measured = intake(state).await;
    let baseline2 = bare_insert(store, 2).await;
    if baseline2.per_second > baseline.per_second {
        (measured, baseline2)
    } else {
        (measured, baseline)
    }
}

fn report(name: &str, intake: &Run, baseline: &Run) {
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "{name}: {CLIENTS} concurrent clients, {} submissions each way",
        CLIENTS * PER_CLIENT
    );
    println!(
        "  bare insert (baseline): {:>7.0}/s  p50 {:>6.1} ms  p99 {:>6.1} ms  max {:>6.1} ms",
        baseline.per_second,
        ms(baseline.p50),
        ms(baseline.p99),
        ms(baseline.max)
    );
    println!(
        "  intake through the API: {:>7.0}/s  p50 {:>6.1} ms  p99 {:>6.1} ms  max {:>6.1} ms",
        intake.per_second,
        ms(intake.p50),
        ms(intake.p99),
        ms(intake.max)
    );
    println!(
        "  intake / baseline: {:.2}x (target >= 0.5x); p99 {:.1} ms (target < 50 ms)",
        intake.per_second / baseline.per_second,
        ms(intake.p99)
    );
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("intake.db").display()
    );
    let (store, state) = prepare(&url).await?;
    let (measured, baseline) = measure(&store, &state).await;
    report("SQLite (WAL, synchronous=FULL)", &measured, &baseline);
    drop(state);
    drop(store);

    // The same in a city that already has a year of history.
    let cases = large_city::size();
    let url = large_city::sqlite_copy(cases, dir.path()).await?;
    let (store, state) = open(Store::connect(&url).await?).await?;
    let (measured, baseline) = measure(&store, &state).await;
    report(
        &format!("SQLite, daqing with {cases} cases of history"),
        &measured,
        &baseline,
    );
    drop(state);
    drop(store);

    if let Ok(admin) = std::env::var("MINSHENG_TEST_POSTGRES_URL") {
        let name = format!("minsheng_bench_{}", uuid::Uuid::now_v7().simple());
        let db = Database::connect(&admin).await?;
        db.execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await?;
        let (prefix, _) = admin.rsplit_once('/').expect("a database name");
        let (store, state) = prepare(&format!("{prefix}/{name}")).await?;
        let (measured, baseline) = measure(&store, &state).await;
        report(
            "PostgreSQL 15 (synchronous_commit on)",
            &measured,
            &baseline,
        );
        drop(state);
        drop(store);
        db.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .await?;
    } else {
        println!("PostgreSQL: skipped (set MINSHENG_TEST_POSTGRES_URL, as scripts/bench does)");
    }
    Ok(())
}
