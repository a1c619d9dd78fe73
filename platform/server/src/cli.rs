//! Command-line interface: parse the arguments, load the configuration, run
//! one command. Long operations print their progress.

use crate::config::Config;
use crate::{app, bundle, services};
use clap::{Parser, Subcommand};
use minsheng_store::Store;
use std::path::PathBuf;

/// Minsheng (民声): a multi-city platform for citizen petitions.
#[derive(Debug, Parser)]
#[command(name = "minsheng", version, about, long_about = None)]
pub struct Cli {
    /// A TOML configuration file (MINSHENG_* environment variables override it).
    #[arg(long, global = true, env = "MINSHENG_CONFIG")]
    pub config: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the web server (migrates the database, loads demo cities into an empty one).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Manage cities (tenants) through their declarative bundles.
    #[command(subcommand)]
    Tenant(TenantCommand),
}

#[derive(Debug, Subcommand)]
pub enum TenantCommand {
    /// Create or update a city from a bundle folder (idempotent).
    Apply {
        /// The bundle folder, e.g. tenants/daqing.
        dir: PathBuf,
        /// Check the bundle and show what would change, without saving.
        #[arg(long)]
        dry_run: bool,
    },
    /// Write a city's bundle to a folder that `tenant apply` accepts.
    Export {
        /// The city's slug.
        slug: String,
        /// Folder to write (created if missing). Default: ./<slug>
        #[arg(long, short)]
        out: Option<PathBuf>,
    },
    /// List the cities.
    List,
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let config = Config::load(cli.config.as_deref())?;
    crate::telemetry::init(config.log_format);
    match cli.command {
        Command::Serve => app::serve(config).await,
        Command::Migrate => {
            let store = open_store(&config).await?;
            let pending = store.pending_migrations().await?;
            println!("{} pending migration(s)", pending.len());
            for name in &pending {
                println!("  applying {name}");
            }
            store.migrate().await?;
            println!("database is up to date");
            Ok(())
        }
        Command::Tenant(command) => tenant(config, command).await,
    }
}

/// Connect and bring the schema up to date.
pub async fn open_store(config: &Config) -> anyhow::Result<Store> {
    if config.database_url.is_none() {
        std::fs::create_dir_all(&config.data_dir).map_err(|e| {
            anyhow::anyhow!(
                "cannot create the data folder {}: {e}",
                config.data_dir.display()
            )
        })?;
    }
    let store = Store::connect(&config.database_url()).await.map_err(|e| {
        anyhow::anyhow!(
            "cannot open the database {}: {e}",
            config.database_url_redacted()
        )
    })?;
    Ok(store)
}

async fn tenant(config: Config, command: TenantCommand) -> anyhow::Result<()> {
    let store = open_store(&config).await?;
    store.migrate().await?;
    match command {
        TenantCommand::Apply { dir, dry_run } => {
            println!("reading bundle {}", dir.display());
            let bundle = bundle::format::Bundle::read(&dir)?;
            println!(
                "  {} departments, {} categories, {} calendar days",
                bundle.departments.department.len(),
                bundle.categories.category.len(),
                bundle.calendar.len()
            );
            let report = bundle::apply::apply(&store, &bundle, dry_run).await?;
            print!("{report}");
            if dry_run {
                println!("dry run: nothing was saved");
            }
            Ok(())
        }
        TenantCommand::Export { slug, out } => {
            let out = out.unwrap_or_else(|| PathBuf::from(&slug));
            let bundle = bundle::export::export(&store, &slug).await?;
            bundle.write(&out)?;
            println!("wrote {} to {}", slug, out.display());
            Ok(())
        }
        TenantCommand::List => {
            let tenants = services::tenants::list(&store).await?;
            println!(
                "{:<20} {:<8} {:<7} {:<20} NAME",
                "SLUG", "LOCALE", "ACTIVE", "TIME ZONE"
            );
            for t in tenants {
                println!(
                    "{:<20} {:<8} {:<7} {:<20} {}",
                    t.slug,
                    t.locale,
                    if t.active { "yes" } else { "no" },
                    t.time_zone,
                    t.name
                );
            }
            Ok(())
        }
    }
}
