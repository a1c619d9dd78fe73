//! Requests per second for a city's home page and a public answer page,
//! with 100,000 cases in the city, as a ratio to a static file (the
//! stylesheet) served by the same server. Target: ≥ 0.3.
//!
//! The server runs in this process on a loopback port; 16 keep-alive
//! clients send requests for two seconds per measurement. Static file,
//! home page and answer page are measured in turns, three rounds, and the
//! median of each is reported, so a noisy moment hits all of them. The
//! pages are measured twice: as deployed (public pages are kept in memory
//! for `page_cache_secs`, 10 s by default) and with that cache turned off,
//! which is what every page costs to build from the database.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/large_city.rs"]
mod large_city;

use minsheng_app::config::Config;
use minsheng_server::app::{ServerState, build};
use minsheng_store::{ConnectionTrait, Store};
use poem::Server;
use poem::listener::TcpAcceptor;
use sea_orm::{DbBackend, Statement};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

const CLIENTS: usize = 16;
const SECONDS: f64 = 2.0;
const ROUNDS: usize = 3;

/// Serve the application on a loopback port; its base URL.
async fn serve(url: &str, page_cache_secs: u64) -> anyhow::Result<String> {
    let store = Store::connect(url).await?;
    let config = Config {
        page_cache_secs,
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
async fn rate(client: &reqwest::Client, url: &str, marker: &'static str) -> f64 {
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

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cases = large_city::size();
    let dir = tempfile::tempdir()?;
    let url = large_city::sqlite_copy(cases, dir.path()).await?;
    // The newest public answer: what a visitor coming from the home page opens.
    let store = Store::connect(&url).await?;
    let row = store
        .db()
        .query_one_raw(Statement::from_string(
            DbBackend::Sqlite,
            "SELECT tracking_code FROM cases WHERE public AND state IN ('answered', 'closed') \
             ORDER BY submitted_at DESC LIMIT 1",
        ))
        .await?
        .expect("the benchmark city has public answers");
    let code: String = row.try_get("", "tracking_code")?;
    drop(store);

    let cached = serve(&url, 10).await?;
    let uncached = serve(&url, 0).await?;
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(CLIENTS)
        .build()?;
    let targets = |base: &str| {
        (
            format!("{base}/static/minsheng.css"),
            format!("{base}/t/daqing/"),
            format!("{base}/t/daqing/cases/{code}"),
        )
    };
    let (css, home, answer) = targets(&cached);
    let (_, home_db, answer_db) = targets(&uncached);
    // Warm up: files in the page cache, connections open, caches filled.
    for u in [&css, &home, &answer, &home_db, &answer_db] {
        rate(&client, u, "").await;
    }
    let mut r: [Vec<f64>; 5] = Default::default();
    for round in 0..ROUNDS {
        r[0].push(rate(&client, &css, "--primary").await);
        r[1].push(rate(&client, &home, "data-testid=\"received\"").await);
        r[2].push(rate(&client, &answer, "data-testid=\"case-answer\"").await);
        r[3].push(rate(&client, &home_db, "data-testid=\"received\"").await);
        r[4].push(rate(&client, &answer_db, "data-testid=\"case-answer\"").await);
        eprintln!("  round {}/{ROUNDS} done", round + 1);
    }
    let [css, home, answer, home_db, answer_db] = r.map(median);
    println!(
        "Citizen pages, daqing with {cases} cases, SQLite, {CLIENTS} clients over loopback (median of {ROUNDS} rounds of {SECONDS} s):"
    );
    println!("  static file (stylesheet):     {css:>8.0} requests/s");
    println!(
        "  home page:                    {home:>8.0} requests/s  {:.2}x the static file (target >= 0.3)",
        home / css
    );
    println!(
        "  public answer page:           {answer:>8.0} requests/s  {:.2}x (target >= 0.3)",
        answer / css
    );
    println!(
        "  home page, page cache off:    {home_db:>8.0} requests/s  {:.2}x",
        home_db / css
    );
    println!(
        "  answer page, page cache off:  {answer_db:>8.0} requests/s  {:.2}x",
        answer_db / css
    );
    Ok(())
}
