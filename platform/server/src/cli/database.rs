//! `minsheng migrate`, and opening the database for every command.

use minsheng_app::config::Config;
use minsheng_store::Store;

/// `minsheng migrate`: apply pending migrations, then grant a runtime role if asked.
pub(super) async fn migrate(config: Config, grant_to: Option<String>) -> anyhow::Result<()> {
    let store = open_store(&config).await?;
    let pending = store.pending_migrations().await?;
    println!("{} pending migration(s)", pending.len());
    for name in &pending {
        println!("  applying {name}");
    }
    store.migrate().await?;
    println!("database is up to date");
    let n = minsheng_app::services::search::backfill(
        &store,
        None,
        super::search_progress("search index"),
    )
    .await?;
    if n > 0 {
        eprintln!();
        println!("indexed {n} case(s) for search");
    }
    if let Some(role) = grant_to {
        store.grant_runtime_role(&role).await?;
        println!("granted {role} read and write access to every table");
    }
    Ok(())
}

/// Connect (the schema is not touched).
pub async fn open_store(config: &Config) -> anyhow::Result<Store> {
    open_store_with(config, minsheng_store::Durability::Full).await
}

/// [`open_store`] with a choice of durability.
pub async fn open_store_with(
    config: &Config,
    durability: minsheng_store::Durability,
) -> anyhow::Result<Store> {
    if config.database_url.is_none() {
        std::fs::create_dir_all(&config.data_dir).map_err(|e| {
            anyhow::anyhow!(
                "cannot create the data folder {}: {e}",
                config.data_dir.display()
            )
        })?;
    }
    let store = Store::connect_pooled(&config.database_url(), durability, config.database_pool)
        .await
        .map_err(|e| {
            anyhow::anyhow!(
                "cannot open the database {}: {e}",
                config.database_url_redacted()
            )
        })?;
    Ok(store)
}
