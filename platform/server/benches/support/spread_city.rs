//! A benchmark city built quickly: daqing's directory, `seeded` cases of a
//! year's history through the real services (`demo seed`), then copied
//! with fresh ids and spread over the year up to the size asked for, with
//! the open share the seed produced. Open copies get deadlines from three
//! days ago to ten days ahead, so every deadline tab has cases. Copies are
//! not in the statistics rollup (the rollup's size grows with days, not
//! cases). The city is indexed for search and scanned for likely
//! duplicates.

use chrono::Duration as Days;
use minsheng_app::bundle;
use minsheng_app::config::Config;
use minsheng_server::app::ServerState;
use minsheng_store::entity::{case, case_event};
use minsheng_store::{ConnectionTrait, Store};
use rand::{Rng, SeedableRng};
use sea_orm::{ColumnTrait, Database, EntityTrait, IntoActiveModel, QueryFilter, TransactionTrait};

/// The large city's size: `BENCH_CITY_CASES`, else 100,000.
pub fn size() -> usize {
    std::env::var("BENCH_CITY_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000)
}

/// Build the city in the (empty) database at `url`: `seeded` cases through
/// the services, copied up to `cases`.
pub async fn build(url: &str, cases: usize, seeded: usize) -> anyhow::Result<()> {
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
    eprintln!("  seeding {seeded} cases through the services");
    minsheng_server::cli::seed_demo(&state, &tenant, seeded, 2014, 1).await?;
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
    // Indexed for search as in service (the likely duplicates on a staff
    // case page and every text filter read this index).
    eprintln!("  indexing {cases} cases for search");
    minsheng_app::services::search::backfill(&store, Some(&tenant), |_, _| {}).await?;
    // And scanned for likely duplicates, as the worker does after intake.
    eprintln!("  looking for the likely duplicates of {cases} cases");
    minsheng_app::services::cases::scan_all(&store, |done| {
        if done % 10_000 < 50 {
            eprintln!("    {done} scanned");
        }
    })
    .await?;
    // As a database in service would be: statistics gathered (what `serve`
    // does hourly on SQLite; autovacuum on PostgreSQL), and on PostgreSQL
    // the visibility map current (what index-only scans need).
    if db.get_database_backend() == sea_orm::DbBackend::Postgres {
        db.execute_unprepared("VACUUM ANALYZE cases, case_search, case_duplicates")
            .await?;
    } else {
        store.optimize().await?;
    }
    Ok(())
}
