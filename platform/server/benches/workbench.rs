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
use sea_orm::Database;

const ROUNDS: usize = 3;
const SEEDED: usize = 600;

/// Serve the application on a loopback port; its base URL.
async fn serve(url: &str) -> anyhow::Result<String> {
    let pool = std::env::var("MINSHENG_DATABASE_POOL")
        .ok()
        .and_then(|v| v.parse().ok());
    let store = Store::connect_pooled(url, minsheng_store::Durability::Full, pool).await?;
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

async fn run(label: &str, url: &str, cases: usize, built: bool) -> anyhow::Result<()> {
    if built {
        // A kept city is brought up to the current schema, and what the
        // worker would have done since is done.
        let store = Store::connect(url).await?;
        store.migrate().await?;
        let scanned = minsheng_app::services::cases::scan_all(&store, |_| {}).await?;
        eprintln!("  kept city: {scanned} case(s) scanned for likely duplicates");
    } else {
        spread_city::build(url, cases, SEEDED).await?;
    }
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
        // A reused city already has its dispatcher.
        let ok = r.is_ok() || (built && matches!(r, Err(minsheng_app::Error::Conflict { .. })));
        (ok, format!("{:?}", r.err()))
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
    let cases = spread_city::size();
    let dir = tempfile::tempdir()?;
    // `BENCH_KEEP_SQLITE=<file>` keeps the SQLite city there (for the
    // sqlite3 shell) and measures it again on later runs.
    let keep = std::env::var("BENCH_KEEP_SQLITE")
        .ok()
        .map(std::path::PathBuf::from);
    let file = keep.clone().unwrap_or_else(|| dir.path().join("city.db"));
    let built = keep.is_some() && file.exists();
    let sqlite = format!("sqlite://{}?mode=rwc", file.display());
    if std::env::var("BENCH_SKIP_SQLITE").is_err() {
        run("SQLite", &sqlite, cases, built).await?;
        if keep.is_some() {
            eprintln!("  the SQLite city is kept at {}", file.display());
        }
    }
    if let Ok(admin) = std::env::var("MINSHENG_TEST_POSTGRES_URL") {
        // `BENCH_POSTGRES_CITY=<database>` keeps the city in that database
        // and measures it again on later runs instead of building it
        // (`scripts/postgres.sh` drops only `minsheng_bench_*` databases).
        let kept = std::env::var("BENCH_POSTGRES_CITY").ok();
        let name = kept
            .clone()
            .unwrap_or_else(|| format!("minsheng_bench_{}", uuid::Uuid::now_v7().simple()));
        let db = Database::connect(&admin).await?;
        let built = db
            .query_one_raw(sea_orm::Statement::from_sql_and_values(
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
        let (prefix, _) = admin.rsplit_once('/').expect("a database name");
        run("PostgreSQL 15", &format!("{prefix}/{name}"), cases, built).await?;
        if kept.is_some() {
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
