//! The staff workbench in a 100,000-case city, uncached (staff pages are
//! never cached): requests per second for the inbox's first page and the
//! staff case page as ratios to `/healthz` served by the same server in the
//! same run (target ≥ 0.05× for both), and the 即将超期 (due soon) tab's
//! p99 latency with 16 clients (target < 50 ms).
//!
//! The city: daqing's directory, a year of history from `demo seed`
//! (`SEEDED` cases through the real services), copied with fresh ids and
//! spread over the year up to `BENCH_CITY_CASES` (100,000 by default), with
//! the open share the seed produced. On SQLite, and on PostgreSQL when
//! `MINSHENG_TEST_POSTGRES_URL` is set (`scripts/bench` sets it).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::Duration as Days;
use minsheng_app::bundle;
use minsheng_app::config::Config;
use minsheng_server::app::{ServerState, build};
use minsheng_store::entity::{case, case_event};
use minsheng_store::{ConnectionTrait, Store};
use poem::Server;
use poem::listener::TcpAcceptor;
use rand::{Rng, SeedableRng};
use sea_orm::{ColumnTrait, Database, EntityTrait, IntoActiveModel, QueryFilter, TransactionTrait};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

const CLIENTS: usize = 16;
const SECONDS: f64 = 2.0;
const ROUNDS: usize = 3;
const SEEDED: usize = 600;

fn size() -> usize {
    std::env::var("BENCH_CITY_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000)
}

/// Build the city in the database at `url`.
async fn build_city(url: &str, cases: usize) -> anyhow::Result<()> {
    let store = Store::connect(url).await?;
    store.migrate().await?;
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tenants/daqing");
    bundle::apply::apply(&store, &bundle::format::Bundle::read(&root)?, false).await?;
    let config = Config {
        worker: false,
        ..Config::default()
    };
    let state = ServerState::new(config, store.clone()).await?;
    let tenant = minsheng_app::services::tenants::find(store.db(), "daqing").await?;
    eprintln!("  seeding {SEEDED} cases through the services");
    minsheng_server::cli::seed_demo(&state, &tenant, SEEDED, 2014, 1).await?;
    drop(state);

    let db = Database::connect(url).await?;
    let tx = db.begin().await?;
    if db.get_database_backend() == sea_orm::DbBackend::Postgres {
        tx.execute_unprepared("SELECT set_config('app.tenant_id', '*', true)")
            .await?;
    }
    let t = tenant.id.into_uuid();
    let seeded = case::Entity::find()
        .filter(case::Column::TenantId.eq(t))
        .all(&tx)
        .await?;
    let events = case_event::Entity::find()
        .filter(case_event::Column::TenantId.eq(t))
        .all(&tx)
        .await?;
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let copies = cases.saturating_sub(seeded.len());
    let now = chrono::Utc::now();
    eprintln!("  copying to {cases} cases");
    let mut batch = Vec::new();
    let mut batch_events = Vec::new();
    for i in 0..copies {
        let mut c = seeded[i % seeded.len()].clone();
        let original = c.id;
        // Finished cases spread over the year; open ones get deadlines from
        // three days ago to ten days ahead, so every deadline tab has cases.
        let finished = c.state == "answered" || c.state == "closed" || c.state == "rejected";
        let shift = if finished {
            Days::days(rng.random_range(0..365))
        } else {
            let deadline = now + Days::hours(rng.random_range(-72..240));
            c.answer_deadline - deadline
        };
        c.id = uuid::Uuid::now_v7();
        c.tracking_code = format!(
            "B{:03}-{:04}-{:04}",
            i / 100_000_000,
            (i / 10_000) % 10_000,
            i % 10_000
        );
        c.submitted_at -= shift;
        c.accept_deadline -= shift;
        c.answer_deadline -= shift;
        c.updated_at -= shift;
        for e in events.iter().filter(|e| e.case_id == original).take(3) {
            let mut e = e.clone();
            e.id = uuid::Uuid::now_v7();
            e.case_id = c.id;
            e.at -= shift;
            batch_events.push(e.into_active_model());
        }
        batch.push(c.into_active_model());
        if batch.len() == 500 {
            case::Entity::insert_many(std::mem::take(&mut batch))
                .exec(&tx)
                .await?;
            case_event::Entity::insert_many(std::mem::take(&mut batch_events))
                .exec(&tx)
                .await?;
        }
    }
    if !batch.is_empty() {
        case::Entity::insert_many(batch).exec(&tx).await?;
        case_event::Entity::insert_many(batch_events)
            .exec(&tx)
            .await?;
    }
    tx.commit().await?;
    // As a database in service would be: statistics gathered (what `serve`
    // does hourly on SQLite; autovacuum on PostgreSQL), and on PostgreSQL
    // the visibility map current (what index-only scans need).
    if db.get_database_backend() == sea_orm::DbBackend::Postgres {
        db.execute_unprepared("VACUUM ANALYZE cases").await?;
    } else {
        store.optimize().await?;
    }
    Ok(())
}

/// Serve the application on a loopback port; its base URL.
async fn serve(url: &str) -> anyhow::Result<String> {
    let store = Store::connect(url).await?;
    let config = Config {
        worker: false,
        page_cache_secs: 0,
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

/// Requests per second and p99 latency for `url` with `CLIENTS` clients for
/// `SECONDS`; every answer must be a 200 containing `marker`.
async fn measure(
    client: &reqwest::Client,
    url: &str,
    cookie: &str,
    marker: &'static str,
) -> (f64, f64) {
    let done = Arc::new(AtomicU64::new(0));
    let until = Instant::now() + Duration::from_secs_f64(SECONDS);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..CLIENTS {
        let (client, url, done, cookie) = (
            client.clone(),
            url.to_owned(),
            done.clone(),
            cookie.to_owned(),
        );
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            while Instant::now() < until {
                let at = Instant::now();
                let resp = client
                    .get(&url)
                    .header("cookie", &cookie)
                    .send()
                    .await
                    .expect("request");
                assert_eq!(resp.status().as_u16(), 200, "{url}");
                let body = resp.text().await.expect("body");
                assert!(
                    body.contains(marker),
                    "{url}: {}",
                    &body[..body.len().min(300)]
                );
                latencies.push(at.elapsed().as_secs_f64());
                done.fetch_add(1, Ordering::Relaxed);
            }
            latencies
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    all.sort_by(f64::total_cmp);
    let p99 = all[(all.len() * 99 / 100).min(all.len() - 1)];
    (
        done.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64(),
        p99,
    )
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

async fn run(label: &str, url: &str, cases: usize) -> anyhow::Result<()> {
    build_city(url, cases).await?;
    let base = serve(url).await?;
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(CLIENTS)
        .build()?;
    // A dispatcher (city-wide) signs in.
    let (ok, out) = {
        let store = Store::connect(url).await?;
        let state = ServerState::new(
            Config {
                worker: false,
                ..Config::default()
            },
            store,
        )
        .await?;
        let ctx = minsheng_app::access::Ctx::operator(state.app.clone(), "bench");
        let tenant = minsheng_app::services::tenants::find(state.store.db(), "daqing").await?;
        let input = minsheng_app::model::UserInput {
            username: "bench-dispatcher".into(),
            display_name: "Bench dispatcher".into(),
            email: None,
            password: "bench-password-long".into(),
            roles: Some(vec!["dispatcher".into()]),
            departments: None,
        };
        let r = minsheng_app::services::accounts::create_user(&ctx, &tenant, input).await;
        (r.is_ok(), format!("{:?}", r.err()))
    };
    assert!(ok, "{out}");
    let login = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&serde_json::json!({"tenant": "daqing", "username": "bench-dispatcher", "password": "bench-password-long"}))
        .send()
        .await?;
    assert_eq!(login.status().as_u16(), 200);
    let cookie = login
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .unwrap()
        .to_owned();
    // The newest case of the city, from the first page of 全部.
    let inbox = client
        .get(format!("{base}/t/daqing/staff/?tab=all"))
        .header("cookie", &cookie)
        .send()
        .await?
        .text()
        .await?;
    // The case of the first line (codes are in `<code>`).
    let at = inbox
        .find("data-testid=\"queue-case\"")
        .and_then(|at| inbox[at..].find("<code>").map(|c| at + c + 6))
        .unwrap_or_else(|| panic!("a case in the inbox: {}", &inbox[..inbox.len().min(3000)]));
    let code: String = inbox[at..].chars().take(14).collect();

    let health = format!("{base}/healthz");
    let first = format!("{base}/t/daqing/staff/");
    let case_page = format!("{base}/t/daqing/staff/cases/{code}");
    let due_soon = format!("{base}/t/daqing/staff/?tab=due_soon");
    for u in [&health, &first, &case_page, &due_soon] {
        measure(&client, u, &cookie, "").await;
    }
    let mut r: [Vec<f64>; 5] = Default::default();
    for round in 0..ROUNDS {
        r[0].push(measure(&client, &health, &cookie, "").await.0);
        r[1].push(
            measure(&client, &first, &cookie, "data-testid=\"count-submitted\"")
                .await
                .0,
        );
        r[2].push(
            measure(&client, &case_page, &cookie, "data-testid=\"timeline\"")
                .await
                .0,
        );
        let (rate, p99) = measure(
            &client,
            &due_soon,
            &cookie,
            "data-testid=\"count-due_soon\"",
        )
        .await;
        r[3].push(rate);
        r[4].push(p99 * 1000.0);
        eprintln!("  round {}/{ROUNDS} done", round + 1);
    }
    let [health, first, case_page, due_rate, due_p99] = r.map(median);
    println!(
        "Staff workbench, daqing with {cases} cases, {label}, {CLIENTS} clients, uncached (median of {ROUNDS} rounds of {SECONDS} s):"
    );
    println!("  /healthz:                 {health:>8.0} requests/s");
    println!(
        "  inbox, first page:        {first:>8.0} requests/s  {:.3}x /healthz (target >= 0.05)",
        first / health
    );
    println!(
        "  staff case page:          {case_page:>8.0} requests/s  {:.3}x /healthz (target >= 0.05)",
        case_page / health
    );
    println!(
        "  inbox, due-soon tab:      {due_rate:>8.0} requests/s  p99 {due_p99:.1} ms (target < 50 ms)"
    );
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cases = size();
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("city.db");
    let sqlite = format!("sqlite://{}?mode=rwc", file.display());
    run("SQLite", &sqlite, cases).await?;
    // For profiling the city's queries with the sqlite3 shell afterwards.
    if let Ok(keep) = std::env::var("BENCH_KEEP_SQLITE") {
        std::fs::copy(&file, &keep)?;
        eprintln!("  the SQLite city is kept at {keep}");
    }
    if let Ok(admin) = std::env::var("MINSHENG_TEST_POSTGRES_URL") {
        let name = format!("minsheng_bench_{}", uuid::Uuid::now_v7().simple());
        let db = Database::connect(&admin).await?;
        db.execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await?;
        let (prefix, _) = admin.rsplit_once('/').expect("a database name");
        run("PostgreSQL 15", &format!("{prefix}/{name}"), cases).await?;
        if std::env::var("BENCH_KEEP_POSTGRES").is_ok() {
            eprintln!("  the PostgreSQL city is kept in the database {name}");
        } else {
            db.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .await?;
        }
    } else {
        println!("PostgreSQL: skipped (set MINSHENG_TEST_POSTGRES_URL, as scripts/bench does)");
    }
    Ok(())
}
