//! Command-line interface: parse the arguments, load the configuration, run
//! one command. Long operations print their progress.

mod accounts;
mod database;
mod demo;
pub mod plugin;
mod search;
pub(crate) use search::progress as search_progress;
mod stats;
mod tenant;
mod worker;

pub use database::{open_store, open_store_with};
pub use demo::{seed_campaign, seed_demo};

use crate::app;
use clap::{Parser, Subcommand};
use minsheng_app::config::Config;
use std::path::PathBuf;

/// Minsheng (民声): a multi-city platform for citizen petitions.
#[derive(Debug, Parser)]
#[command(name = "minsheng", version, about, long_about = None)]
pub struct Cli {
    /// A TOML configuration file (MINSHENG_* environment variables override it).
    /// Give it before the command: `minsheng --config minsheng.toml serve`.
    #[arg(long, env = "MINSHENG_CONFIG")]
    pub config: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the web server (migrates the database, loads demo cities into an empty one).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate {
        /// PostgreSQL: let this role (the one `serve` connects as, which
        /// must not own the tables) read and write every table.
        #[arg(long, value_name = "ROLE")]
        grant_to: Option<String>,
    },
    /// Manage cities (tenants) through their declarative bundles.
    #[command(subcommand)]
    Tenant(TenantCommand),
    /// Create accounts: the first platform operator, a city's first administrator.
    #[command(subcommand)]
    User(UserCommand),
    /// Create API keys for a city's integrations.
    #[command(subcommand)]
    Apikey(ApikeyCommand),
    /// Check the statistics rollup against a full recount.
    #[command(subcommand)]
    Stats(StatsCommand),
    /// The search index of cases: index what is missing, or a city again.
    #[command(subcommand)]
    Search(SearchCommand),
    /// Generate demo history.
    #[command(subcommand)]
    Demo(DemoCommand),
    /// Write, try and replay rule plugins.
    #[command(subcommand)]
    Plugin(PluginCommand),
    /// Run the escalation worker without the web server: apply due
    /// deadlines (reminders, overdue, supervision) and send the outbox.
    /// Every `serve` runs one too unless MINSHENG_WORKER=0.
    Worker {
        /// Do what is due once and exit, printing what was done.
        #[arg(long)]
        once: bool,
        /// With --once: act as if it were this instant (RFC 3339), e.g. to
        /// catch up or to test a deadline.
        #[arg(long, value_name = "TIME", requires = "once")]
        at: Option<chrono::DateTime<chrono::FixedOffset>>,
    },
}

#[derive(Debug, Subcommand)]
pub enum PluginCommand {
    /// Start a rule plugin project that builds as it is.
    New {
        /// The rule's name: lowercase letters, digits and dashes.
        name: String,
        /// Which hook the rule plugs into.
        #[arg(long, default_value = "intake", value_parser = ["intake", "escalation"])]
        hook: String,
        /// Folder to create (default: ./<name>).
        #[arg(long)]
        dir: Option<PathBuf>,
        /// The rule SDK (default: plugins/sdk of the current folder).
        #[arg(long)]
        sdk: Option<PathBuf>,
    },
    /// Run a rule on one case and print its decision, the fuel, peak
    /// memory and time it took, and its logs.
    Run {
        /// The component (.wasm built for wasm32-wasip2).
        component: PathBuf,
        /// The case as JSON, shaped like the API's submission (category,
        /// title, text, …); for escalation rules also state, lead, priority,
        /// escalation_level, reopened, answer_deadline.
        #[arg(long)]
        case: PathBuf,
        /// The rule's configuration as JSON (default: {}).
        #[arg(long)]
        config: Option<PathBuf>,
        /// The city bundle whose departments and categories the rule sees.
        #[arg(long, default_value = "tenants/daqing")]
        tenant_dir: PathBuf,
        /// For escalation rules: deadline-approaching, deadline-passed,
        /// unsatisfied-rating or reopened.
        #[arg(long, default_value = "deadline-passed")]
        event: String,
        #[command(flatten)]
        limits: plugin::LimitArgs,
    },
    /// Run a candidate intake rule over a city's stored cases and print
    /// where its decisions differ from what happened, before enabling it.
    Replay {
        component: PathBuf,
        /// The city's slug.
        #[arg(long)]
        tenant: String,
        /// First day (the city's time) of the cases to replay.
        #[arg(long)]
        since: chrono::NaiveDate,
        /// The rule's configuration as JSON (default: {}).
        #[arg(long)]
        config: Option<PathBuf>,
        /// At most this many cases.
        #[arg(long, default_value_t = 100_000)]
        limit: usize,
        #[command(flatten)]
        limits: plugin::LimitArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum DemoCommand {
    /// Generate a year of realistic cases in a city, through the same code
    /// as real submissions and staff actions.
    Seed {
        #[arg(long)]
        tenant: String,
        /// How many cases.
        #[arg(long, default_value_t = 1400)]
        cases: usize,
        /// Random seed, for repeatable histories.
        #[arg(long, default_value_t = 2014)]
        seed: u64,
        /// Cases seeded at once (1 to 16).
        #[arg(long, default_value_t = 4)]
        lanes: usize,
        /// Do not wait for each commit to reach the disk: several times
        /// faster for large histories; a power cut may lose the last
        /// moments of seeding but never corrupts the database.
        #[arg(long)]
        bulk: bool,
    },
    /// Generate the city's demo campaign (惠民工程) through the campaign
    /// services: Daqing's 2012 call (3,000 suggestions, 100 projects) or
    /// Springfield's small one.
    Campaign {
        #[arg(long)]
        tenant: String,
        /// Do not wait for each commit to reach the disk.
        #[arg(long)]
        bulk: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum SearchCommand {
    /// Index every case that is not in the search index yet (cases from
    /// before the index, an imported archive), showing progress. `serve`
    /// and `migrate` do this too.
    Backfill {
        /// Only this city.
        #[arg(long)]
        tenant: Option<String>,
    },
    /// Index all of a city's cases again, e.g. after its words changed.
    Reindex {
        #[arg(long)]
        tenant: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum StatsCommand {
    /// Recount a city's figures from its cases and compare them with the
    /// rollup the pages read; exits with an error when they differ.
    Check {
        #[arg(long)]
        tenant: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a platform operator (`--operator`) or a city's staff account.
    Create {
        /// The city's slug; omit with --operator.
        #[arg(
            long,
            required_unless_present = "operator",
            conflicts_with = "operator"
        )]
        tenant: Option<String>,
        /// Create a platform operator (no city).
        #[arg(long)]
        operator: bool,
        /// Create a citizen account in the city instead of a staff account.
        #[arg(long, requires = "tenant", conflicts_with_all = ["roles", "departments"])]
        citizen: bool,
        #[arg(long)]
        username: String,
        /// Shown name (default: the user name).
        #[arg(long)]
        display_name: Option<String>,
        /// Roles to grant in the city (repeatable), e.g. city-admin.
        #[arg(long = "role")]
        roles: Vec<String>,
        /// Department codes the person works for (repeatable).
        #[arg(long = "department")]
        departments: Vec<String>,
        /// Read the password from standard input instead of the
        /// MINSHENG_NEW_PASSWORD variable.
        #[arg(long)]
        password_stdin: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum ApikeyCommand {
    /// Create a key and print it once; only its hash is stored.
    Create {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        name: String,
        /// Permissions the key may use (repeatable), e.g. department:write.
        #[arg(long = "scope")]
        scopes: Vec<String>,
    },
}

const ARCHIVE_HELP: &str = "\
Archives move a city between deployments, or keep a backup of one city:
  minsheng tenant export daqing --with-cases --out daqing.minsheng-archive
  minsheng tenant import daqing.minsheng-archive   (on the other deployment)
An archive is JSON lines: a versioned header, one line per row, and an end
line with a checksum. Signed-in sessions and failed sign-in counters are left
out. The file holds personal data, password hashes and webhook secrets: it is
written readable by its owner only; keep it so, and encrypt it at rest.
See docs/operations.md, \"Backups and moving a city\".";

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
    /// Write a city's bundle to a folder that `tenant apply` accepts or,
    /// with --with-cases, a complete archive of the city to one file.
    #[command(after_long_help = ARCHIVE_HELP)]
    Export {
        /// The city's slug.
        slug: String,
        /// Write everything of the city to one archive file for `tenant
        /// import`: configuration, users (with password hashes), roles, API
        /// keys, webhooks (with secrets), plugins, cases, timeline, ratings,
        /// statistics, pending work and audit log. Keep the file private.
        #[arg(long)]
        with_cases: bool,
        /// The bundle folder to write (created if missing; default ./<slug>)
        /// or, with --with-cases, the archive file (it must not exist;
        /// default ./<slug>-<time>.minsheng-archive).
        #[arg(long, short)]
        out: Option<PathBuf>,
    },
    /// Load a city from an archive written by `tenant export --with-cases`
    /// into this deployment, which must not have the city yet. All or
    /// nothing, in one transaction.
    #[command(after_long_help = ARCHIVE_HELP)]
    Import {
        /// The archive file.
        file: PathBuf,
        /// Check the archive and load it, then roll back: nothing is saved.
        #[arg(long)]
        dry_run: bool,
    },
    /// List the cities.
    List,
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let config = Config::load(cli.config.as_deref())?;
    // Only the long-running commands export telemetry.
    let export = matches!(
        cli.command,
        Command::Serve | Command::Worker { once: false, .. }
    );
    let telemetry = crate::telemetry::init(&config, export)?;
    let result = command(cli.command, config).await;
    telemetry.shutdown();
    result
}

async fn command(command: Command, config: Config) -> anyhow::Result<()> {
    match command {
        Command::Serve => app::serve(config).await,
        Command::Migrate { grant_to } => database::migrate(config, grant_to).await,
        Command::Tenant(command) => tenant::tenant(config, command).await,
        Command::User(command) => accounts::user(config, command).await,
        Command::Demo(command) => demo::demo(config, command).await,
        Command::Worker { once, at } => worker::worker(config, once, at).await,
        Command::Plugin(command) => plugin::command(config, command).await,
        Command::Stats(command) => stats::stats(config, command).await,
        Command::Search(command) => search::search(config, command).await,
        Command::Apikey(command) => accounts::apikey(config, command).await,
    }
}

/// The command line acts as a platform operator: whoever runs it already
/// holds the database credentials.
async fn operator_ctx(
    config: Config,
) -> anyhow::Result<(minsheng_app::App, minsheng_app::access::Ctx)> {
    let store = open_store(&config).await?;
    store.migrate().await?;
    let state = minsheng_app::App::new(config, store).await?;
    let ctx = minsheng_app::access::Ctx::operator(state.clone(), "cli");
    Ok((state, ctx))
}
