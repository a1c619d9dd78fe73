//! `minsheng search backfill|reindex`: building the search index of cases.

use super::SearchCommand;
use super::database::open_store;
use minsheng_app::config::Config;
use minsheng_app::services::{self, search};
use std::io::Write;

/// A progress line on standard error, rewritten in place.
pub(crate) fn progress(label: &str) -> impl FnMut(u64, u64) + '_ {
    let started = std::time::Instant::now();
    move |done, total| {
        let width = 30u64;
        let filled = (done * width / total.max(1)).min(width) as usize;
        eprint!(
            "\r  {label} [{}{}] {done}/{total} cases ({:.0}s)",
            "#".repeat(filled),
            " ".repeat(width as usize - filled),
            started.elapsed().as_secs_f64()
        );
        let _ = std::io::stderr().flush();
    }
}

/// `minsheng search …`.
pub(super) async fn search(config: Config, command: SearchCommand) -> anyhow::Result<()> {
    let store = open_store(&config).await?;
    match command {
        SearchCommand::Backfill { tenant } => {
            let record = match &tenant {
                Some(slug) => Some(services::tenants::find(store.db(), slug).await?),
                None => None,
            };
            let label = tenant.as_deref().unwrap_or("all cities");
            let n = search::backfill(&store, record.as_ref(), progress(label)).await?;
            if n > 0 {
                eprintln!();
            }
            println!("indexed {n} case(s) that were missing from the search index");
        }
        SearchCommand::Reindex { tenant } => {
            let record = services::tenants::find(store.db(), &tenant).await?;
            let total = search::case_count(&store, &record).await?;
            let n = search::rebuild(&store, &record, total, progress(&tenant)).await?;
            eprintln!();
            println!("indexed all {n} case(s) of {tenant} again");
        }
    }
    Ok(())
}
