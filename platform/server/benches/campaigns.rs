//! Campaign pages with the Daqing demo campaign (3,000 suggestions, 100
//! projects, generated through the services), uncached (the page cache is
//! off): requests per second for the campaign page and a project page as
//! ratios to `/healthz` served by the same server in the same run (target
//! ≥ 0.05× for both). On SQLite, and on PostgreSQL when
//! `MINSHENG_TEST_POSTGRES_URL` is set (`scripts/bench` sets it).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use minsheng_app::bundle;
use minsheng_app::config::Config;
use minsheng_server::app::{ServerState, build};
use minsheng_store::{ConnectionTrait, Durability, Store};
use poem::Server;
use poem::listener::TcpAcceptor;
use sea_orm::Database;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

const CLIENTS: usize = 16;
const SECONDS: f64 = 2.0;
const ROUNDS: usize = 3;

/// The city with its demo campaign, in the database at `url`.
async fn build_city(url: &str) -> anyhow::Result<f64> {
    let store = Store::connect_with(url, Durability::Bulk).await?;
    store.migrate().await?;
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tenants/daqing");
    bundle::apply::apply(&store, &bundle::format::Bundle::read(&root)?, false).await?;
    let config = Config {
        worker: false,
        ..Config::default()
    };
    let state = ServerState::new(config, store.clone()).await?;
    let tenant = minsheng_app::services::tenants::find(store.db(), "daqing").await?;
    let started = Instant::now();
    let report = minsheng_app::demo::campaigns::seed(&state.app, &tenant).await?;
    let took = started.elapsed().as_secs_f64();
    assert_eq!((report.suggestions, report.projects), (3000, 100));
    let db = Database::connect(url).await?;
    if db.get_database_backend() == sea_orm::DbBackend::Postgres {
        db.execute_unprepared("VACUUM ANALYZE").await?;
    } else {
        db.execute_unprepared("ANALYZE").await?;
    }
    Ok(took)
}

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

/// Requests per second for `url` with `CLIENTS` clients for `SECONDS`;
/// every answer must be a 200 containing `marker`.
async fn measure(client: &reqwest::Client, url: &str, marker: &'static str) -> f64 {
    let done = Arc::new(AtomicU64::new(0));
    let until = Instant::now() + Duration::from_secs_f64(SECONDS);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..CLIENTS {
        let (client, url, done) = (client.clone(), url.to_owned(), done.clone());
        tasks.push(tokio::spawn(async move {
            while Instant::now() < until {
                let resp = client.get(&url).send().await.expect("request");
                assert_eq!(resp.status().as_u16(), 200, "{url}");
                let body = resp.text().await.expect("body");
                assert!(
                    body.contains(marker),
                    "{url}: {}",
                    &body[..body.len().min(300)]
                );
                done.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    done.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

async fn run(label: &str, url: &str) -> anyhow::Result<()> {
    let took = build_city(url).await?;
    let base = serve(url).await?;
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(CLIENTS)
        .build()?;
    let health = format!("{base}/healthz");
    let campaign = format!("{base}/t/daqing/campaigns/hm-2012");
    let project = format!("{base}/t/daqing/campaigns/hm-2012/projects/HM2012-002");
    let page = client.get(&campaign).send().await?.text().await?;
    assert!(page.contains("¥2,860,000,000") && page.contains("70.0%") && page.contains("100.0%"));
    for u in [&health, &campaign, &project] {
        measure(&client, u, "").await;
    }
    let mut r: [Vec<f64>; 3] = Default::default();
    for round in 0..ROUNDS {
        r[0].push(measure(&client, &health, "").await);
        r[1].push(measure(&client, &campaign, "data-testid=\"campaign-figures\"").await);
        r[2].push(measure(&client, &project, "data-testid=\"milestones\"").await);
        eprintln!("  round {}/{ROUNDS} done", round + 1);
    }
    let [health, campaign, project] = r.map(median);
    println!(
        "Campaign pages, daqing's demo campaign (3,000 suggestions, 100 projects, generated in {took:.1} s), {label}, {CLIENTS} clients, uncached (median of {ROUNDS} rounds of {SECONDS} s):"
    );
    println!("  /healthz:        {health:>8.0} requests/s");
    println!(
        "  campaign page:   {campaign:>8.0} requests/s  {:.3}x /healthz (target >= 0.05)",
        campaign / health
    );
    println!(
        "  project page:    {project:>8.0} requests/s  {:.3}x /healthz (target >= 0.05)",
        project / health
    );
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let sqlite = format!("sqlite://{}?mode=rwc", dir.path().join("city.db").display());
    run("SQLite", &sqlite).await?;
    if let Ok(admin) = std::env::var("MINSHENG_TEST_POSTGRES_URL") {
        let name = format!("minsheng_bench_{}", uuid::Uuid::now_v7().simple());
        let db = Database::connect(&admin).await?;
        db.execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await?;
        let (prefix, _) = admin.rsplit_once('/').expect("a database name");
        run("PostgreSQL", &format!("{prefix}/{name}")).await?;
        db.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .await?;
    } else {
        println!("PostgreSQL: skipped (set MINSHENG_TEST_POSTGRES_URL, as scripts/bench does)");
    }
    Ok(())
}
