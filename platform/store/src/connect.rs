//! Opening the database. The embedded default is a SQLite file in WAL mode
//! with `synchronous=FULL`, so a write the client was told about survives a
//! killed process or a power cut; foreign keys are enforced on every
//! connection.

use minsheng_migrations::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbErr};
use std::time::Duration;

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

/// The database the process works with.
#[derive(Clone, Debug)]
pub struct Store {
    db: DatabaseConnection,
    backend: Backend,
}

impl Store {
    pub async fn connect(url: &str) -> Result<Self, DbErr> {
        let backend = Backend::of_url(url).map_err(DbErr::Custom)?;
        let mut options = ConnectOptions::new(url.to_owned());
        options
            .sqlx_logging(false)
            .connect_timeout(Duration::from_secs(10))
            .acquire_timeout(Duration::from_secs(10));
        match backend {
            Backend::Sqlite => {
                options.max_connections(8).map_sqlx_sqlite_opts(|opts| {
                    opts.create_if_missing(true)
                        .journal_mode(SqliteJournalMode::Wal)
                        .synchronous(SqliteSynchronous::Full)
                        .foreign_keys(true)
                        .busy_timeout(Duration::from_secs(10))
                });
            }
            Backend::Postgres => {
                options.max_connections(16);
            }
        }
        let db = Database::connect(options).await?;
        Ok(Self { db, backend })
    }

    pub fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Apply every migration not yet applied.
    pub async fn migrate(&self) -> Result<(), DbErr> {
        Migrator::up(&self.db, None).await
    }

    /// Names of migrations this binary has that the database lacks.
    pub async fn pending_migrations(&self) -> Result<Vec<String>, DbErr> {
        Ok(Migrator::get_pending_migrations_read_only(&self.db)
            .await?
            .iter()
            .map(|m| m.name().to_owned())
            .collect())
    }

    /// Round trip to the database.
    pub async fn ping(&self) -> Result<(), DbErr> {
        self.db.execute_unprepared("SELECT 1").await.map(|_| ())
    }
}
