//! Opening the database. The embedded default is a SQLite file in WAL mode
//! with `synchronous=FULL`, so a write the client was told about survives a
//! killed process or a power cut; foreign keys are enforced on every
//! connection.

use minsheng_migrations::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    AccessMode, ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction,
    DbBackend, DbErr, IsolationLevel, SqliteTransactionMode, Statement, TransactionOptions,
    TransactionTrait,
};
use std::time::Duration;

/// How much of a SQLite database file each connection maps into memory.
const MMAP_BYTES: u64 = 1 << 30;
/// Each SQLite connection's own page cache, in KiB.
const PAGE_CACHE_KIB: u32 = 16 * 1024;

/// Which rows a transaction may see.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// One city's rows.
    Tenant(uuid::Uuid),
    /// Every city's rows: tenant resolution, policy loading, sign-in before
    /// the city is known, and the command line.
    Platform,
}

/// How commits reach the disk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Durability {
    /// Every commit is flushed before it returns (the default, and what
    /// the server uses).
    Full,
    /// Commits return before the flush (SQLite `synchronous=NORMAL` in WAL
    /// mode, PostgreSQL `synchronous_commit=off`): a power cut may lose the
    /// last moments of work but never corrupts the database. For bulk work
    /// such as generating demo history, never for citizens' data.
    Bulk,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// Which backend a database URL names, or a message saying what is wrong.
    pub fn of_url(url: &str) -> Result<Self, String> {
        if url.starts_with("sqlite:") {
            Ok(Self::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Self::Postgres)
        } else {
            Err("the database URL must start with sqlite: or postgres://".to_owned())
        }
    }
}

/// How PostgreSQL plans a transaction's prepared statements.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Plans {
    /// PostgreSQL's choice (custom plans until a generic one looks as good).
    Chosen,
    /// The cached generic plan, never re-planned.
    Generic,
}

/// The database the process works with.
#[derive(Clone, Debug)]
pub struct Store {
    db: DatabaseConnection,
    backend: Backend,
}

/// How much of the connection pool is in use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolUsage {
    pub open: u32,
    pub idle: u32,
    pub max: u32,
}

impl Store {
    pub async fn connect(url: &str) -> Result<Self, DbErr> {
        Self::connect_with(url, Durability::Full).await
    }

    pub async fn connect_with(url: &str, durability: Durability) -> Result<Self, DbErr> {
        Self::connect_pooled(url, durability, None).await
    }

    /// [`Store::connect_with`] with at most `pool` connections (`None`: 8
    /// on SQLite; on PostgreSQL four per core of this machine, from 4 to
    /// 16). More connections than that only queue in the database
    /// server's scheduler instead of in the pool: on 2 cores, 16
    /// connections gave the staff queue a p99 of 57–84 ms, 8 gave 46 ms.
    pub async fn connect_pooled(
        url: &str,
        durability: Durability,
        pool: Option<u32>,
    ) -> Result<Self, DbErr> {
        let backend = Backend::of_url(url).map_err(DbErr::Custom)?;
        let mut options = ConnectOptions::new(url.to_owned());
        options
            .sqlx_logging(false)
            // Database spans (when traces are exported) name the operation,
            // not the SQL: the statements are most of an export's bytes.
            .record_stmt_in_spans(false)
            .connect_timeout(Duration::from_secs(10))
            .acquire_timeout(Duration::from_secs(10));
        match backend {
            Backend::Sqlite => {
                options
                    .max_connections(pool.unwrap_or(8))
                    .map_sqlx_sqlite_opts(move |opts| {
                        opts.create_if_missing(true)
                            .journal_mode(SqliteJournalMode::Wal)
                            .synchronous(match durability {
                                Durability::Full => SqliteSynchronous::Full,
                                Durability::Bulk => SqliteSynchronous::Normal,
                            })
                            .foreign_keys(true)
                            .busy_timeout(Duration::from_secs(10))
                            // Pages are read from a memory map, not copied
                            // in by a system call each time SQLite's own
                            // small page cache misses: on a 100,000-case
                            // city most of a staff case page's duplicate
                            // lookup went on `pread`.
                            .pragma("mmap_size", MMAP_BYTES.to_string())
                            .pragma("cache_size", format!("-{PAGE_CACHE_KIB}"))
                    });
            }
            Backend::Postgres => {
                let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
                let default = u32::try_from(cores * 4).unwrap_or(16).clamp(4, 16);
                options.max_connections(pool.unwrap_or(default));
                if durability == Durability::Bulk {
                    options.map_sqlx_postgres_opts(|opts| {
                        opts.options([("synchronous_commit", "off")])
                    });
                }
            }
        }
        let db = Database::connect(options).await?;
        Ok(Self { db, backend })
    }

    pub fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    /// The connection pool: connections open, of them idle, and the most
    /// it may open.
    pub fn pool(&self) -> PoolUsage {
        match self.backend {
            Backend::Sqlite => {
                let pool = self.db.get_sqlite_connection_pool();
                PoolUsage {
                    open: pool.size(),
                    idle: u32::try_from(pool.num_idle()).unwrap_or(u32::MAX),
                    max: pool.options().get_max_connections(),
                }
            }
            Backend::Postgres => {
                let pool = self.db.get_postgres_connection_pool();
                PoolUsage {
                    open: pool.size(),
                    idle: u32::try_from(pool.num_idle()).unwrap_or(u32::MAX),
                    max: pool.options().get_max_connections(),
                }
            }
        }
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Apply every migration not yet applied.
    pub async fn migrate(&self) -> Result<(), DbErr> {
        Migrator::up(&self.db, None).await
    }

    /// Keeps SQLite's planner statistics current, which it otherwise never
    /// gathers (without them it may read a whole index where a partial one
    /// holds the few rows asked for): `PRAGMA optimize`, sampling at most a
    /// thousand rows per index so it costs milliseconds on a large city.
    /// PostgreSQL's autovacuum does this by itself.
    pub async fn optimize(&self) -> Result<(), DbErr> {
        if self.backend == Backend::Sqlite {
            self.db
                .execute_unprepared("PRAGMA analysis_limit = 1000; PRAGMA optimize = 0x10002")
                .await?;
        }
        Ok(())
    }

    /// Names of migrations this binary has that the database lacks.
    pub async fn pending_migrations(&self) -> Result<Vec<String>, DbErr> {
        Ok(Migrator::get_pending_migrations_read_only(&self.db)
            .await?
            .iter()
            .map(|m| m.name().to_owned())
            .collect())
    }

    /// Every migration this build has, in order.
    pub fn known_migrations() -> Vec<String> {
        Migrator::migrations()
            .iter()
            .map(|m| m.name().to_owned())
            .collect()
    }

    /// The migrations applied to the database, in order, as `db` (a
    /// transaction, say) sees them.
    pub async fn applied_migrations(db: &impl ConnectionTrait) -> Result<Vec<String>, DbErr> {
        let rows = db
            .query_all_raw(Statement::from_string(
                db.get_database_backend(),
                "SELECT version FROM seaql_migrations ORDER BY version",
            ))
            .await?;
        rows.iter()
            .map(|row| row.try_get::<String>("", "version"))
            .collect()
    }

    /// Migrations the database has applied that this build does not know:
    /// the schema is newer than the code (a rollback, or an older replica
    /// during an upgrade). Empty on a fresh database.
    pub async fn unknown_migrations(&self) -> Result<Vec<String>, DbErr> {
        use sea_orm::{ConnectionTrait, Statement};
        let known: Vec<String> = Migrator::migrations()
            .iter()
            .map(|m| m.name().to_owned())
            .collect();
        let backend = self.db.get_database_backend();
        let rows = match self
            .db
            .query_all_raw(Statement::from_string(
                backend,
                "SELECT version FROM seaql_migrations",
            ))
            .await
        {
            Ok(rows) => rows,
            // No migration table yet: nothing applied.
            Err(_) => return Ok(Vec::new()),
        };
        let mut unknown = Vec::new();
        for row in rows {
            let version: String = row.try_get("", "version")?;
            if !known.contains(&version) {
                unknown.push(version);
            }
        }
        Ok(unknown)
    }

    /// Begin a transaction that sees one city's rows (or, in the platform
    /// scope, every city's). On PostgreSQL row-level security enforces the
    /// scope; the queries' own `tenant_id` filters enforce it everywhere.
    ///
    /// On SQLite the transaction takes the write lock at once (`BEGIN
    /// IMMEDIATE`): a transaction that reads and then writes would otherwise
    /// fail when another writer commits in between. Use [`Store::read`] for
    /// work that only reads.
    pub async fn begin(&self, scope: Scope) -> Result<DatabaseTransaction, DbErr> {
        let mode = TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..TransactionOptions::default()
        };
        self.scoped(
            self.db.begin_with_options(mode).await?,
            scope,
            Plans::Chosen,
        )
        .await
    }

    /// A transaction for work that only reads; it never blocks writers.
    pub async fn read(&self, scope: Scope) -> Result<DatabaseTransaction, DbErr> {
        self.scoped(self.db.begin().await?, scope, Plans::Chosen)
            .await
    }

    /// [`Store::read`] for the hot reads (the staff queue, a case, the
    /// public lists): the same few index-driven statements on every
    /// request. On PostgreSQL their prepared statements run their cached
    /// generic plans (`plan_cache_mode = force_generic_plan`, for this
    /// transaction only, set in the same round trip as the city): planning
    /// the staff queue's nine counts for each request took as long as
    /// running them, and the generic plans are the same index scans.
    pub async fn read_planned(&self, scope: Scope) -> Result<DatabaseTransaction, DbErr> {
        self.scoped(self.db.begin().await?, scope, Plans::Generic)
            .await
    }

    /// A read-only transaction whose every query sees the database as it
    /// was at its first: for reading many tables that must agree with one
    /// another (a tenant archive) while others keep writing. PostgreSQL
    /// needs `REPEATABLE READ` for that; a SQLite read transaction in WAL
    /// mode already keeps one snapshot.
    pub async fn snapshot(&self, scope: Scope) -> Result<DatabaseTransaction, DbErr> {
        let tx = match self.backend {
            Backend::Postgres => {
                self.db
                    .begin_with_config(
                        Some(IsolationLevel::RepeatableRead),
                        Some(AccessMode::ReadOnly),
                    )
                    .await?
            }
            Backend::Sqlite => self.db.begin().await?,
        };
        self.scoped(tx, scope, Plans::Chosen).await
    }

    async fn scoped(
        &self,
        tx: DatabaseTransaction,
        scope: Scope,
        plans: Plans,
    ) -> Result<DatabaseTransaction, DbErr> {
        if self.backend == Backend::Postgres {
            let value = match scope {
                Scope::Tenant(id) => id.to_string(),
                Scope::Platform => "*".to_owned(),
            };
            // Not traced: a span per transaction saying which city it is
            // for would add nothing the request's span does not say.
            tracing::instrument::WithSubscriber::with_subscriber(
                tx.execute_raw(Statement::from_sql_and_values(
                    DbBackend::Postgres,
                    match plans {
                        Plans::Chosen => "SELECT set_config('app.tenant_id', $1, true)",
                        Plans::Generic => {
                            "SELECT set_config('app.tenant_id', $1, true), \
                             set_config('plan_cache_mode', 'force_generic_plan', true)"
                        }
                    },
                    [value.into()],
                )),
                tracing::subscriber::NoSubscriber::default(),
            )
            .await?;
        }
        Ok(tx)
    }

    /// PostgreSQL: let `role` use every table and sequence, now and after
    /// later migrations run by the same owner. The role must exist.
    pub async fn grant_runtime_role(&self, role: &str) -> Result<(), DbErr> {
        if self.backend != Backend::Postgres {
            return Ok(());
        }
        if role.is_empty() || !role.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(DbErr::Custom(format!(
                "{role:?} is not a role name: use letters, digits and underscores"
            )));
        }
        self.db
            .execute_unprepared(&format!(
                "GRANT USAGE ON SCHEMA public TO {role};
                 GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role};
                 GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role};
                 ALTER DEFAULT PRIVILEGES IN SCHEMA public
                   GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {role};"
            ))
            .await
            .map(|_| ())
    }

    /// Round trip to the database.
    pub async fn ping(&self) -> Result<(), DbErr> {
        self.db.execute_unprepared("SELECT 1").await.map(|_| ())
    }
}
