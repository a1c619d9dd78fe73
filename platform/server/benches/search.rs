//! Full-text search in a 100,000-case city: the public search (a page of
//! 20 and the count up to 1,001, as the answers page asks) through the
//! search index, against the `LIKE` scan it replaced, on the same queries
//! in the same run: p50 and p99 of each and the ratio at p50 (target ≥ 10×
//! faster). Also the time to index the whole city (the backfill).
//!
//! The city is built as in `workbench.rs`: daqing's directory, `SEEDED`
//! cases through the real services, copied with fresh ids up to
//! `BENCH_CITY_CASES` (100,000 by default). SQLite, and PostgreSQL when
//! `MINSHENG_TEST_POSTGRES_URL` is set (`scripts/bench` sets it).
//! `BENCH_SQLITE_FILE=path` keeps the SQLite city there and reuses it on
//! the next run; `BENCH_SQLITE_ONLY=1` skips PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::Duration as Days;
use minsheng_app::bundle;
use minsheng_app::config::Config;
use minsheng_server::app::ServerState;
use minsheng_store::entity::case;
use minsheng_store::queries::cases::{self as q, Filter};
use minsheng_store::{ConnectionTrait, Scope, Store};
use rand::{Rng, SeedableRng};
use sea_orm::{
    ColumnTrait, Database, DbBackend, EntityTrait, IntoActiveModel, QueryFilter, Statement,
    TransactionTrait,
};
use std::time::Instant;

const SEEDED: usize = 600;
const ROUNDS: usize = 10;
/// Words citizens search for (2-character words and a few longer ones).
const QUERIES: [&str; 10] = [
    "暖气",
    "油烟",
    "噪音",
    "物业",
    "停水",
    "路灯",
    "井盖",
    "工资",
    "公交线路",
    "私车营运",
];

fn size() -> usize {
    std::env::var("BENCH_CITY_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000)
}

/// Build the city (without its search index) in the database at `url`.
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
    if db.get_database_backend() == DbBackend::Postgres {
        tx.execute_unprepared("SELECT set_config('app.tenant_id', '*', true)")
            .await?;
    }
    let t = tenant.id.into_uuid();
    let seeded = case::Entity::find()
        .filter(case::Column::TenantId.eq(t))
        .all(&tx)
        .await?;
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    eprintln!("  copying to {cases} cases");
    let mut batch = Vec::new();
    for i in 0..cases.saturating_sub(seeded.len()) {
        let mut c = seeded[i % seeded.len()].clone();
        let shift = Days::days(rng.random_range(0..365));
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
        batch.push(c.into_active_model());
        if batch.len() == 500 {
            case::Entity::insert_many(std::mem::take(&mut batch))
                .exec(&tx)
                .await?;
        }
    }
    if !batch.is_empty() {
        case::Entity::insert_many(batch).exec(&tx).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The `LIKE` scan the search index replaced (the listing filter before
/// it, over title and text): a page of 21 and the count up to 1,001.
async fn like_scan(db: &impl ConnectionTrait, tenant: uuid::Uuid, word: &str) -> (usize, i64) {
    let backend = db.get_database_backend();
    let pattern = format!("%{}%", word.to_lowercase());
    let (p, public) = match backend {
        DbBackend::Postgres => (["$1", "$2"], "TRUE"),
        _ => (["?1", "?2"], "1"),
    };
    let filter = format!(
        "tenant_id = {} AND public = {public} AND (lower(title) LIKE {} ESCAPE '\\' OR lower(body) LIKE {} ESCAPE '\\')",
        p[0], p[1], p[1]
    );
    let page =
        format!("SELECT id FROM cases WHERE {filter} ORDER BY submitted_at DESC, id DESC LIMIT 21");
    let count = format!(
        "SELECT COUNT(*) AS n FROM (SELECT id FROM cases WHERE {filter} LIMIT 1001) AS capped"
    );
    let values = || vec![tenant.into(), pattern.clone().into()];
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(backend, page, values()))
        .await
        .unwrap();
    let n: i64 = db
        .query_one_raw(Statement::from_sql_and_values(backend, count, values()))
        .await
        .unwrap()
        .unwrap()
        .try_get("", "n")
        .unwrap();
    (rows.len(), n)
}

/// The search through the index, as `browse_public` runs it.
async fn indexed(db: &impl ConnectionTrait, tenant: uuid::Uuid, terms: &str) -> (usize, u64) {
    let filter = Filter {
        public_only: true,
        search: Some(terms.to_owned()),
        ranked: true,
        ..Filter::default()
    };
    let rows = q::page(db, tenant, &filter, 0, 21).await.unwrap();
    let n = q::count_capped(db, tenant, &filter, 1001).await.unwrap();
    (rows.len(), n)
}

fn percentile(v: &mut [f64], p: usize) -> f64 {
    v.sort_by(f64::total_cmp);
    v[(v.len() * p / 100).min(v.len() - 1)]
}

async fn run(label: &str, url: &str, cases: usize, built: bool) -> anyhow::Result<()> {
    if !built {
        build_city(url, cases).await?;
    }
    let store = Store::connect(url).await?;
    // A kept city may predate the newest migrations.
    store.migrate().await?;
    let started = Instant::now();
    let n = minsheng_app::services::search::backfill(&store, None, |_, _| {}).await?;
    let indexing = started.elapsed().as_secs_f64();
    let db = Database::connect(url).await?;
    if db.get_database_backend() == DbBackend::Postgres {
        db.execute_unprepared("VACUUM ANALYZE cases").await?;
        db.execute_unprepared("VACUUM ANALYZE case_search").await?;
    } else {
        db.execute_unprepared("ANALYZE").await?;
    }
    let tenant = minsheng_app::services::tenants::find(store.db(), "daqing").await?;
    let t = tenant.id.into_uuid();
    let terms: Vec<String> = QUERIES
        .iter()
        .map(|q| minsheng_app::services::search::terms(&tenant, q))
        .collect();
    let (mut old, mut new) = (Vec::new(), Vec::new());
    let mut found = (0u64, 0i64);
    for round in 0..=ROUNDS {
        for (i, word) in QUERIES.iter().enumerate() {
            let tx = store.read(Scope::Tenant(t)).await?;
            let at = Instant::now();
            let (_, like_n) = like_scan(&tx, t, word).await;
            let like_s = at.elapsed().as_secs_f64();
            let at = Instant::now();
            let (_, fts_n) = indexed(&tx, t, &terms[i]).await;
            let fts_s = at.elapsed().as_secs_f64();
            tx.commit().await?;
            // The first round warms the caches.
            if round > 0 {
                old.push(like_s * 1000.0);
                new.push(fts_s * 1000.0);
                found.0 += fts_n;
                found.1 += like_n;
            }
        }
    }
    let (old50, old99) = (percentile(&mut old, 50), percentile(&mut old, 99));
    let (new50, new99) = (percentile(&mut new, 50), percentile(&mut new, 99));
    println!(
        "Search, daqing with {cases} cases, {label}: {} queries x {ROUNDS} rounds, a page of 20 and the count up to 1,001",
        QUERIES.len()
    );
    println!("  indexing the city (backfill of {n} cases): {indexing:.1} s");
    println!("  LIKE scan (before):  p50 {old50:>8.2} ms  p99 {old99:>8.2} ms");
    println!("  search index:        p50 {new50:>8.2} ms  p99 {new99:>8.2} ms");
    println!(
        "  index vs LIKE at p50: {:.1}x faster (target >= 10x); at p99: {:.1}x",
        old50 / new50,
        old99 / new99
    );
    println!(
        "  matches counted (capped at 1,001 per query): index {} / LIKE {} (the index also finds words of answers; LIKE also matches inside longer words)",
        found.0, found.1
    );
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cases = size();
    let dir = tempfile::tempdir()?;
    // BENCH_SQLITE_FILE keeps the SQLite city in that file and, when it is
    // there already, measures it again without building it (for studying
    // query plans with the sqlite3 shell between runs).
    let (file, built) = match std::env::var("BENCH_SQLITE_FILE") {
        Ok(f) => {
            let built = std::path::Path::new(&f).exists();
            (std::path::PathBuf::from(f), built)
        }
        Err(_) => (dir.path().join("city.db"), false),
    };
    let sqlite = format!("sqlite://{}?mode=rwc", file.display());
    run("SQLite", &sqlite, cases, built).await?;
    if std::env::var("BENCH_SQLITE_ONLY").is_ok() {
        return Ok(());
    }
    if let Ok(admin) = std::env::var("MINSHENG_TEST_POSTGRES_URL") {
        let name = format!("minsheng_bench_{}", uuid::Uuid::now_v7().simple());
        let db = Database::connect(&admin).await?;
        db.execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await?;
        let url = match admin.rsplit_once('/') {
            Some((base, _)) => format!("{base}/{name}"),
            None => anyhow::bail!("MINSHENG_TEST_POSTGRES_URL has no database name"),
        };
        let result = run("PostgreSQL", &url, cases, false).await;
        drop(db);
        let db = Database::connect(&admin).await?;
        let _ = db
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .await;
        result?;
    }
    Ok(())
}
