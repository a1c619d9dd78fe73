//! `minsheng stats check`: the statistics rollup against a full recount.

use super::{StatsCommand, operator_ctx};
use minsheng_app::config::Config;
use minsheng_app::services;

/// `minsheng stats check`.
pub(super) async fn stats(config: Config, command: StatsCommand) -> anyhow::Result<()> {
    match command {
        StatsCommand::Check { tenant } => {
            let (state, ctx) = operator_ctx(config).await?;
            let record = services::tenants::find(state.store.db(), &tenant).await?;
            let to = chrono::Utc::now()
                .with_timezone(&record.time_zone)
                .date_naive();
            let from = to - chrono::Duration::days(3650);
            // A running server changes figures as this reads them (its
            // worker escalates and supervises): the recount is taken
            // between two reads of the rollup that agree.
            let mut tries = 0;
            let (rollup, recount) = loop {
                // Read from the database, not from sums kept in memory.
                state.figures.forget(record.id);
                let before =
                    services::cases::city_stats(&ctx, &record, Some(from), Some(to)).await?;
                let recount = services::cases::recount(&ctx, &record, from, to).await?;
                state.figures.forget(record.id);
                let after =
                    services::cases::city_stats(&ctx, &record, Some(from), Some(to)).await?;
                tries += 1;
                if before == after || tries == 5 {
                    break (after, recount);
                }
            };
            println!("rollup:  {}", serde_json::to_string(&rollup)?);
            println!("recount: {}", serde_json::to_string(&recount)?);
            if rollup != recount {
                anyhow::bail!("the statistics rollup of {tenant} differs from a recount");
            }
            println!("the rollup of {tenant} equals a full recount");
            Ok(())
        }
    }
}
