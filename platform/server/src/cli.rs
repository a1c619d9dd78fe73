//! Command-line interface: parse the arguments, load the configuration, run
//! one command. Long operations print their progress.

use crate::app;
use clap::{Parser, Subcommand};
use minsheng_app::config::Config;
use minsheng_app::{bundle, services};
use minsheng_store::Store;
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
        limits: crate::plugin_cli::LimitArgs,
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
        limits: crate::plugin_cli::LimitArgs,
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
        Command::Migrate { grant_to } => {
            let store = open_store(&config).await?;
            let pending = store.pending_migrations().await?;
            println!("{} pending migration(s)", pending.len());
            for name in &pending {
                println!("  applying {name}");
            }
            store.migrate().await?;
            println!("database is up to date");
            if let Some(role) = grant_to {
                store.grant_runtime_role(&role).await?;
                println!("granted {role} read and write access to every table");
            }
            Ok(())
        }
        Command::Tenant(command) => tenant(config, command).await,
        Command::User(UserCommand::Create {
            tenant,
            operator,
            citizen,
            username,
            display_name,
            roles,
            departments,
            password_stdin,
        }) => {
            let password = read_password(password_stdin)?;
            let (state, ctx) = operator_ctx(config).await?;
            let display_name = display_name.unwrap_or_else(|| username.clone());
            if operator {
                let id = services::access::create_operator(
                    &state.store,
                    &username,
                    &display_name,
                    &password,
                )
                .await?;
                println!("created platform operator {username} ({id})");
                return Ok(());
            }
            let slug = tenant.unwrap_or_default();
            let record = services::tenants::find(state.store.db(), &slug).await?;
            if citizen {
                let id = services::access::create_citizen(
                    &state.store,
                    &record,
                    &username,
                    &display_name,
                    &password,
                )
                .await?;
                println!("created citizen {username} in {slug} ({id})");
                return Ok(());
            }
            let input = minsheng_app::model::UserInput {
                username: username.clone(),
                display_name,
                email: None,
                password,
                departments: Some(departments),
                roles: Some(roles.clone()),
            };
            let user = services::access::create_user(&ctx, &record, input).await?;
            println!(
                "created {username} in {slug} ({}) with roles: {}",
                user.id,
                roles.join(", ")
            );
            Ok(())
        }
        Command::Demo(DemoCommand::Seed {
            tenant,
            cases,
            seed,
            lanes,
            bulk,
        }) => {
            let durability = if bulk {
                minsheng_store::Durability::Bulk
            } else {
                minsheng_store::Durability::Full
            };
            let store = open_store_with(&config, durability).await?;
            store.migrate().await?;
            let state = minsheng_app::App::new(config, store).await?;
            let record = services::tenants::find(state.store.db(), &tenant).await?;
            let report = seed_demo(&state, &record, cases, seed, lanes).await?;
            println!(
                "seeded {} cases in {tenant}: {} answers, {} ratings, {} operations",
                report.cases, report.answered, report.rated, report.operations
            );
            Ok(())
        }
        Command::Worker { once, at } => {
            let store = open_store(&config).await?;
            let lease =
                chrono::Duration::seconds(i64::try_from(config.worker_lease_secs).unwrap_or(30));
            let poll = std::time::Duration::from_millis(config.worker_poll_ms);
            let state = minsheng_app::App::new(config, store).await?;
            let worker = services::escalation::Worker::new(lease);
            if once {
                let now =
                    move || at.map_or_else(chrono::Utc::now, |t| t.with_timezone(&chrono::Utc));
                let pass = services::escalation::run_due(&state, &worker, now).await?;
                let sent = services::notify::deliver_due(&state, &worker, now()).await?;
                println!(
                    "{} escalation step(s) applied, {} skipped, {} message(s) sent",
                    pass.fired, pass.skipped, sent
                );
                return Ok(());
            }
            let (stop, stopped) = tokio::sync::watch::channel(false);
            tokio::spawn(async move {
                app::shutdown_signal().await;
                let _ = stop.send(true);
            });
            services::escalation::work(state, worker, poll, stopped).await;
            Ok(())
        }
        Command::Plugin(PluginCommand::New {
            name,
            hook,
            dir,
            sdk,
        }) => {
            let root = crate::plugin_cli::scaffold(&name, &hook, dir.as_deref(), sdk.as_deref())?;
            println!("created {} ({hook} rule)", root.display());
            println!("build it: cd {} && cargo build --release", root.display());
            Ok(())
        }
        Command::Plugin(PluginCommand::Run {
            component,
            case,
            config: rule_config,
            tenant_dir,
            event,
            limits,
        }) => {
            // Calls block (WASI output goes through the runtime): off the
            // async threads, as the server does.
            tokio::task::spawn_blocking(move || {
                crate::plugin_cli::run(
                    &config,
                    &component,
                    &case,
                    rule_config.as_deref(),
                    &tenant_dir,
                    &event,
                    &limits,
                )
            })
            .await?
        }
        Command::Plugin(PluginCommand::Replay {
            component,
            tenant,
            since,
            config: rule_config,
            limit,
            limits,
        }) => {
            crate::plugin_cli::replay(
                config,
                &component,
                &tenant,
                since,
                rule_config.as_deref(),
                limit,
                &limits,
            )
            .await
        }
        Command::Stats(StatsCommand::Check { tenant }) => {
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
        Command::Apikey(ApikeyCommand::Create {
            tenant,
            name,
            scopes,
        }) => {
            let (state, ctx) = operator_ctx(config).await?;
            let record = services::tenants::find(state.store.db(), &tenant).await?;
            let input = minsheng_app::model::ApiKeyInput {
                name,
                scopes: Some(scopes),
            };
            let created = services::access::create_api_key(&ctx, &record, input).await?;
            println!("{}", created.key);
            eprintln!("This key is shown once; store it now. Only its hash is kept.");
            Ok(())
        }
    }
}

/// A new account's password, from MINSHENG_NEW_PASSWORD or standard input;
/// never from an argument, which other users could see in the process list.
fn read_password(from_stdin: bool) -> anyhow::Result<String> {
    if from_stdin {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line)?;
        return Ok(line.trim_end_matches(['\r', '\n']).to_owned());
    }
    std::env::var("MINSHENG_NEW_PASSWORD").map_err(|_| {
        anyhow::anyhow!(
            "give the password in MINSHENG_NEW_PASSWORD or on standard input with --password-stdin"
        )
    })
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

/// Seed demo history with a progress line on standard error.
pub async fn seed_demo(
    state: &minsheng_app::App,
    tenant: &services::tenants::TenantRecord,
    cases: usize,
    seed: u64,
    lanes: usize,
) -> anyhow::Result<minsheng_app::demo::seed::SeedReport> {
    use std::io::Write;
    let started = std::time::Instant::now();
    let report =
        minsheng_app::demo::seed::seed(state, tenant, cases, seed, lanes, |done, total| {
            if done % 25 == 0 || done == total {
                let width = 30;
                let filled = done * width / total.max(1);
                eprint!(
                    "\r  {} [{}{}] {done}/{total} cases ({:.0}s)",
                    tenant.slug,
                    "#".repeat(filled),
                    " ".repeat(width - filled),
                    started.elapsed().as_secs_f64()
                );
                let _ = std::io::stderr().flush();
            }
        })
        .await?;
    eprintln!();
    Ok(report)
}

/// Rows done per table on standard error, one line per table.
fn table_progress() -> impl FnMut(&str, u64, u64) {
    use std::io::Write;
    let started = std::time::Instant::now();
    let mut finished = String::new();
    move |table, done, total| {
        if finished == table {
            return;
        }
        eprint!(
            "\r  {table:<18} {done:>9}/{total:<9} ({:.0}s)",
            started.elapsed().as_secs_f64()
        );
        if done >= total {
            eprintln!();
            table.clone_into(&mut finished);
        }
        let _ = std::io::stderr().flush();
    }
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
    let store = Store::connect_with(&config.database_url(), durability)
        .await
        .map_err(|e| {
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
        TenantCommand::Export {
            slug,
            with_cases: true,
            out,
        } => {
            let out = out.unwrap_or_else(|| minsheng_app::archive::write::default_path(&slug));
            eprintln!("writing the archive of {slug} to {}", out.display());
            let started = std::time::Instant::now();
            let done = minsheng_app::archive::write::export(&store, &slug, &out, table_progress())
                .await
                .inspect_err(|_| eprintln!())?;
            minsheng_app::archive::audit(&store, "tenant_export", &slug).await?;
            println!(
                "wrote {} rows of {slug} ({:.1} MB) to {} in {:.1} s",
                done.rows,
                done.bytes as f64 / 1e6,
                done.path.display(),
                started.elapsed().as_secs_f64()
            );
            eprintln!("The archive holds personal data and secrets: keep it private.");
            Ok(())
        }
        TenantCommand::Import { file, dry_run } => {
            eprintln!("reading the archive {}", file.display());
            let started = std::time::Instant::now();
            let done =
                minsheng_app::archive::import::import(&store, &file, dry_run, table_progress())
                    .await
                    .inspect_err(|_| eprintln!())?;
            let header = &done.header;
            if dry_run {
                println!(
                    "dry run: the archive of {} ({} rows, exported {} by Minsheng {}) loads \
                     cleanly; nothing was saved",
                    header.tenant,
                    done.rows,
                    header.exported_at.format("%Y-%m-%d %H:%M:%S UTC"),
                    header.minsheng
                );
            } else {
                minsheng_app::archive::audit(&store, "tenant_import", &header.tenant).await?;
                println!(
                    "imported the city {} ({} rows, exported {} by Minsheng {}) in {:.1} s",
                    header.tenant,
                    done.rows,
                    header.exported_at.format("%Y-%m-%d %H:%M:%S UTC"),
                    header.minsheng,
                    started.elapsed().as_secs_f64()
                );
            }
            Ok(())
        }
        TenantCommand::Export {
            slug,
            with_cases: false,
            out,
        } => {
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
