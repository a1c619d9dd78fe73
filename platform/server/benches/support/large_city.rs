//! Large benchmark cities, built by `demo seed` (the same service code as
//! real submissions and staff actions) and kept between runs.
//!
//! Seeding goes through every service call of a year of history, about 60
//! cases a second on the 2-core development machine, so a 100,000-case
//! city takes roughly half an hour the first time. The finished SQLite file
//! is kept in `~/.cache/minsheng-bench/`, and each benchmark run works on a
//! copy of it, brought up to the current schema.

use minsheng_app::bundle;
use minsheng_app::config::Config;
use minsheng_server::app::ServerState;
use minsheng_store::{Durability, Store};
use std::path::{Path, PathBuf};

/// How many cases the large city has: `BENCH_CITY_CASES`, else 100,000.
pub fn size() -> usize {
    std::env::var("BENCH_CITY_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000)
}

fn cache_dir() -> PathBuf {
    let home = std::env::var_os("HOME").map_or_else(std::env::temp_dir, PathBuf::from);
    home.join(".cache/minsheng-bench")
}

/// A copy of daqing with `cases` seeded cases, in `into`, as a SQLite URL.
pub async fn sqlite_copy(cases: usize, into: &Path) -> anyhow::Result<String> {
    // Bump when the seeded history changes; schema changes are applied to
    // the copy by the migrations.
    const HISTORY: u32 = 1;
    let kept = cache_dir().join(format!("daqing-{cases}-history{HISTORY}.db"));
    if !kept.exists() {
        build(cases, &kept).await?;
    }
    let copy = into.join("city.db");
    std::fs::copy(&kept, &copy)?;
    let url = format!("sqlite://{}?mode=rwc", copy.display());
    Store::connect(&url).await?.migrate().await?;
    Ok(url)
}

async fn build(cases: usize, kept: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(cache_dir())?;
    let partial = kept.with_extension("partial");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", partial.display()));
    }
    eprintln!(
        "building a city of {cases} cases for the benchmarks (once; kept in {})",
        kept.display()
    );
    let url = format!("sqlite://{}?mode=rwc", partial.display());
    let store = Store::connect_with(&url, Durability::Bulk).await?;
    store.migrate().await?;
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tenants/daqing");
    bundle::apply::apply(&store, &bundle::format::Bundle::read(&root)?, false).await?;
    let state = ServerState::new(Config::default(), store.clone()).await?;
    let tenant = minsheng_app::services::tenants::find(store.db(), "daqing").await?;
    minsheng_server::cli::seed_demo(&state, &tenant, cases, 2014, 1).await?;
    drop(state);
    store.db().clone().close().await?;
    // Closing the last connection checkpoints the WAL into the file.
    std::fs::rename(&partial, kept)?;
    Ok(())
}
