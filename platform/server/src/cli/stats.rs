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
            let rollup = services::cases::city_stats(&ctx, &record, Some(from), Some(to)).await?;
            let recount = services::cases::recount(&ctx, &record, from, to).await?;
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
