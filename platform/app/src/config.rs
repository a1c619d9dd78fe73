//! Configuration: a typed struct read once at start from an optional TOML file
//! (`--config` or `MINSHENG_CONFIG`) and then `MINSHENG_*` environment
//! variables, which win. Unknown keys in the file are rejected so a typo
//! cannot silently fall back to a default. Secrets (the database URL may hold
//! a password) are never printed whole.

use ipnet::IpNet;
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// `sqlite://path?mode=rwc` or `postgres://user:pass@host/db`. Empty means
    /// the embedded SQLite file under `data_dir`.
    pub database_url: Option<String>,
    /// Database connections each process keeps at most (unset: 8 on
    /// SQLite, 16 on PostgreSQL).
    pub database_pool: Option<u32>,
    /// Where files of the embedded default live.
    pub data_dir: PathBuf,
    /// Address to listen on; port 0 picks a free port.
    pub listen: SocketAddr,
    /// Folder of tenant bundles loaded into an empty database at start.
    pub tenants_dir: PathBuf,
    /// Load the bundles of `tenants_dir` when the database has no tenant.
    pub load_demo_tenants: bool,
    /// Cases of demo history generated for each demo city loaded into an
    /// empty database (0: none).
    pub demo_cases: usize,
    /// Peers whose `X-Forwarded-Host`/`X-Forwarded-For` are believed: IP
    /// addresses or CIDR networks.
    #[serde(deserialize_with = "networks")]
    pub trusted_proxies: Vec<IpNet>,
    /// Host names that serve the platform's own index page rather than a city.
    pub platform_hosts: Vec<String>,
    /// Answer the admin API without credentials. For local development only.
    pub dev_open_admin: bool,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// A session ends after this many seconds without a request.
    pub session_idle_secs: u64,
    /// A session ends this many seconds after sign-in, whatever happens.
    pub session_max_age_secs: u64,
    /// Anonymous actions (sign-in) allowed per minute per city and address.
    pub anonymous_rate_per_minute: u32,
    /// `text` (default) or `json` log lines.
    pub log_format: LogFormat,
    /// Seconds a public page is served from memory (0: never). Any write
    /// through this server empties the cache at once; writes elsewhere
    /// show within this time.
    pub page_cache_secs: u64,
    /// Run the escalation worker in this `serve` process (deployments that
    /// run `minsheng worker` separately may turn it off).
    pub worker: bool,
    /// How often a worker looks for due work, in milliseconds.
    pub worker_poll_ms: u64,
    /// How long a worker holds claimed work before another may take it.
    pub worker_lease_secs: u64,
    /// The share of the allowed time after which the handling department
    /// is reminded (0.8: four fifths of the way to the deadline).
    pub reminder_share: f64,
    /// The address of the platform as citizens reach it, for links in
    /// messages (`https://minsheng.example.org`).
    pub public_url: String,
    /// Where email goes: `smtp://host:port` (plain, for a relay on the
    /// same network) or `smtps://user:pass@host:465`. Empty: email waits
    /// in the outbox.
    pub smtp_url: Option<String>,
    /// The sender of email.
    pub mail_from: String,
    /// Where `/metrics` (Prometheus text) is served, apart from the public
    /// listener; unset: nowhere.
    pub metrics_listen: Option<SocketAddr>,
    /// Seconds between SIGTERM (when `/readyz` turns unready) and the
    /// server no longer accepting connections.
    pub shutdown_delay_secs: u64,
    /// Where compiled rule plugins are kept between restarts; unset:
    /// `plugin-cache` under `data_dir`.
    pub plugin_cache_dir: Option<PathBuf>,
    /// Consecutive failures after which a rule plugin is disabled and the
    /// city's administrators are told.
    pub plugin_failure_limit: u32,
    /// The most fuel (roughly, WebAssembly instructions) one plugin call
    /// may be given in any city.
    pub plugin_max_fuel: u64,
    /// The most memory one plugin call may use in any city, in MiB.
    pub plugin_max_memory_mib: u64,
    /// The longest one plugin call may run in any city, in milliseconds.
    pub plugin_max_timeout_ms: u64,
    /// Seconds a replica may keep using a city's chain of rules after
    /// another replica changed it (changes through this replica apply at
    /// once).
    pub plugin_refresh_secs: u64,
    /// The most memory compiling one uploaded component may take, in MiB
    /// (compiling runs in a child process with this limit).
    pub plugin_compile_memory_mib: u64,
    /// The processor time compiling one uploaded component may take, in
    /// seconds (the wall clock allows three times as much).
    pub plugin_compile_timeout_secs: u64,
    /// Components compiled at once across the process (one per city).
    pub plugin_compile_concurrency: usize,
    /// Memory kept for compiled components, in MiB; the least recently
    /// used are dropped beyond it (and loaded again from disk).
    pub plugin_cache_mib: u64,
    /// The most plugin versions one city may keep.
    pub plugin_max_per_city: u32,
    /// The most bytes of components one city may keep, in MiB.
    pub plugin_max_mib_per_city: u64,
    /// Host lookups (`find-recent-cases`, …) one city's rules may run at
    /// once; more wait, within the call's time.
    pub plugin_lookup_concurrency: usize,
    /// Rule calls one city may run at once; more wait, within the call's
    /// time, so that no city can take every instance.
    pub plugin_city_concurrency: usize,
    /// An OpenTelemetry collector's OTLP/HTTP address
    /// (`http://collector:4318`): traces and metrics go there. Unset, the
    /// standard `OTEL_EXPORTER_OTLP_ENDPOINT` is used; neither set,
    /// nothing is exported.
    pub otel_endpoint: Option<String>,
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            database_url: None,
            database_pool: None,
            data_dir: PathBuf::from("data"),
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            tenants_dir: PathBuf::from("tenants"),
            load_demo_tenants: true,
            demo_cases: 1400,
            trusted_proxies: Vec::new(),
            platform_hosts: vec!["localhost".into(), "127.0.0.1".into(), "::1".into()],
            dev_open_admin: false,
            max_body_bytes: 1024 * 1024,
            session_idle_secs: 30 * 60,
            session_max_age_secs: 12 * 60 * 60,
            anonymous_rate_per_minute: 30,
            log_format: LogFormat::Text,
            page_cache_secs: 10,
            worker: true,
            worker_poll_ms: 1000,
            worker_lease_secs: 30,
            reminder_share: 0.8,
            public_url: "http://localhost:8080".into(),
            smtp_url: None,
            mail_from: "Minsheng <no-reply@localhost>".into(),
            metrics_listen: None,
            shutdown_delay_secs: 2,
            plugin_cache_dir: None,
            plugin_failure_limit: 5,
            plugin_compile_memory_mib: 512,
            plugin_compile_timeout_secs: 10,
            plugin_compile_concurrency: 2,
            plugin_cache_mib: 256,
            plugin_max_per_city: 50,
            plugin_max_mib_per_city: 64,
            plugin_lookup_concurrency: 4,
            plugin_city_concurrency: 32,
            plugin_max_fuel: 500_000_000,
            plugin_max_memory_mib: 64,
            plugin_max_timeout_ms: 2_000,
            plugin_refresh_secs: 2,
            otel_endpoint: None,
        }
    }
}

/// Every variable the server reads, with the key it sets.
const ENV_KEYS: &[(&str, &str)] = &[
    ("MINSHENG_DATABASE_URL", "database_url"),
    ("MINSHENG_DATABASE_POOL", "database_pool"),
    ("MINSHENG_DATA_DIR", "data_dir"),
    ("MINSHENG_LISTEN", "listen"),
    ("MINSHENG_TENANTS_DIR", "tenants_dir"),
    ("MINSHENG_LOAD_DEMO_TENANTS", "load_demo_tenants"),
    ("MINSHENG_DEMO_CASES", "demo_cases"),
    ("MINSHENG_TRUSTED_PROXIES", "trusted_proxies"),
    ("MINSHENG_PLATFORM_HOSTS", "platform_hosts"),
    ("MINSHENG_DEV_OPEN_ADMIN", "dev_open_admin"),
    ("MINSHENG_MAX_BODY_BYTES", "max_body_bytes"),
    ("MINSHENG_LOG_FORMAT", "log_format"),
    ("MINSHENG_PAGE_CACHE_SECS", "page_cache_secs"),
    ("MINSHENG_WORKER", "worker"),
    ("MINSHENG_WORKER_POLL_MS", "worker_poll_ms"),
    ("MINSHENG_WORKER_LEASE_SECS", "worker_lease_secs"),
    ("MINSHENG_REMINDER_SHARE", "reminder_share"),
    ("MINSHENG_PUBLIC_URL", "public_url"),
    ("MINSHENG_SMTP_URL", "smtp_url"),
    ("MINSHENG_MAIL_FROM", "mail_from"),
    ("MINSHENG_METRICS_LISTEN", "metrics_listen"),
    ("MINSHENG_SHUTDOWN_DELAY_SECS", "shutdown_delay_secs"),
    ("MINSHENG_PLUGIN_CACHE_DIR", "plugin_cache_dir"),
    ("MINSHENG_PLUGIN_FAILURE_LIMIT", "plugin_failure_limit"),
    ("MINSHENG_PLUGIN_MAX_FUEL", "plugin_max_fuel"),
    ("MINSHENG_PLUGIN_MAX_MEMORY_MIB", "plugin_max_memory_mib"),
    ("MINSHENG_PLUGIN_MAX_TIMEOUT_MS", "plugin_max_timeout_ms"),
    ("MINSHENG_PLUGIN_REFRESH_SECS", "plugin_refresh_secs"),
    (
        "MINSHENG_PLUGIN_COMPILE_MEMORY_MIB",
        "plugin_compile_memory_mib",
    ),
    (
        "MINSHENG_PLUGIN_COMPILE_TIMEOUT_SECS",
        "plugin_compile_timeout_secs",
    ),
    (
        "MINSHENG_PLUGIN_COMPILE_CONCURRENCY",
        "plugin_compile_concurrency",
    ),
    ("MINSHENG_PLUGIN_CACHE_MIB", "plugin_cache_mib"),
    ("MINSHENG_PLUGIN_MAX_PER_CITY", "plugin_max_per_city"),
    (
        "MINSHENG_PLUGIN_MAX_MIB_PER_CITY",
        "plugin_max_mib_per_city",
    ),
    (
        "MINSHENG_PLUGIN_LOOKUP_CONCURRENCY",
        "plugin_lookup_concurrency",
    ),
    (
        "MINSHENG_PLUGIN_CITY_CONCURRENCY",
        "plugin_city_concurrency",
    ),
    ("MINSHENG_OTEL_ENDPOINT", "otel_endpoint"),
    ("MINSHENG_SESSION_IDLE_SECS", "session_idle_secs"),
    ("MINSHENG_SESSION_MAX_AGE_SECS", "session_max_age_secs"),
    (
        "MINSHENG_ANONYMOUS_RATE_PER_MINUTE",
        "anonymous_rate_per_minute",
    ),
];

/// Variables that are read elsewhere (by the launcher or the tests), so they
/// are not typos.
const OTHER_ENV: &[&str] = &[
    "MINSHENG_CONFIG",
    "MINSHENG_LOG",
    "MINSHENG_NEW_PASSWORD",
    "MINSHENG_TEST_POSTGRES_URL",
];

impl Config {
    /// Read the file (if any), then the environment.
    pub fn load(file: Option<&Path>) -> anyhow::Result<Self> {
        Self::load_from(file, std::env::vars())
    }

    pub fn load_from(
        file: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> anyhow::Result<Self> {
        let mut table = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|e| {
                    anyhow::anyhow!("cannot read the config file {}: {e}", path.display())
                })?;
                text.parse::<toml::Table>().map_err(|e| {
                    anyhow::anyhow!("the config file {} is not valid TOML: {e}", path.display())
                })?
            }
            None => toml::Table::new(),
        };
        for (name, value) in env {
            if !name.starts_with("MINSHENG_") {
                continue;
            }
            let Some((_, key)) = ENV_KEYS.iter().find(|(var, _)| *var == name) else {
                if !OTHER_ENV.contains(&name.as_str()) {
                    let known: Vec<_> = ENV_KEYS.iter().map(|(var, _)| *var).collect();
                    anyhow::bail!(
                        "unknown environment variable {name}; the known ones are {}",
                        known.join(", ")
                    );
                }
                continue;
            };
            table.insert((*key).to_owned(), env_value(key, &value));
        }
        let mut config: Config = toml::Value::Table(table)
            .try_into()
            .map_err(|e| anyhow::anyhow!("invalid configuration: {e}"))?;
        if config
            .database_url
            .as_deref()
            .is_some_and(|url| url.trim().is_empty())
        {
            config.database_url = None;
        }
        if config.database_pool == Some(0) {
            anyhow::bail!("invalid configuration: database_pool must be at least 1");
        }
        Ok(config)
    }

    /// The database URL, defaulting to the embedded SQLite file.
    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.clone(),
            None => format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("minsheng.db").display()
            ),
        }
    }

    /// The most any city's plugin calls may be given.
    pub fn plugin_maxima(&self) -> minsheng_plugin_host::Limits {
        let platform = minsheng_plugin_host::Limits::platform_maxima();
        minsheng_plugin_host::Limits {
            fuel: self.plugin_max_fuel.max(1),
            memory_bytes: usize::try_from(self.plugin_max_memory_mib.max(1) << 20)
                .unwrap_or(platform.memory_bytes),
            timeout_ms: self.plugin_max_timeout_ms.max(1),
            ..platform
        }
    }

    /// Where compiled plugins are cached.
    pub fn plugin_cache_dir(&self) -> PathBuf {
        let dir = self
            .plugin_cache_dir
            .clone()
            .unwrap_or_else(|| self.data_dir.join("plugin-cache"));
        // wasmtime's cache wants an absolute path.
        std::path::absolute(&dir).unwrap_or(dir)
    }

    /// How uploaded components are compiled: this executable, in its
    /// hidden compiling mode, under the configured limits.
    pub fn plugin_compiler(&self) -> minsheng_plugin_host::Compiler {
        minsheng_plugin_host::Compiler {
            program: std::env::current_exe().unwrap_or_else(|_| PathBuf::from("minsheng")),
            args: vec![crate::COMPILE_RULE.to_owned()],
            limits: minsheng_plugin_host::CompileLimits {
                memory_bytes: self.plugin_compile_memory_mib.max(16) << 20,
                timeout: std::time::Duration::from_secs(self.plugin_compile_timeout_secs.max(1)),
            },
        }
    }

    /// The database URL with any password replaced, for printing.
    pub fn database_url_redacted(&self) -> String {
        redact_url(&self.database_url())
    }
}

/// `10.0.0.0/8` or a single address such as `127.0.0.1`.
fn networks<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<IpNet>, D::Error> {
    let raw = Vec::<String>::deserialize(d)?;
    raw.iter()
        .map(|s| {
            s.parse::<IpNet>()
                .or_else(|_| s.parse::<std::net::IpAddr>().map(IpNet::from))
                .map_err(|_| {
                    serde::de::Error::custom(format!(
                        "{s:?} is not an IP address or network (like 10.0.0.0/8)"
                    ))
                })
        })
        .collect()
}

/// Environment values are strings; lists are comma separated and flags accept
/// `1`/`true`/`yes`.
fn env_value(key: &str, value: &str) -> toml::Value {
    match key {
        "trusted_proxies" | "platform_hosts" => toml::Value::Array(
            value
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| toml::Value::String(s.to_owned()))
                .collect(),
        ),
        "dev_open_admin" | "load_demo_tenants" | "worker" => {
            match value.to_ascii_lowercase().as_str() {
                "1" | "true" | "yes" | "on" => toml::Value::Boolean(true),
                "0" | "false" | "no" | "off" | "" => toml::Value::Boolean(false),
                _ => toml::Value::String(value.to_owned()),
            }
        }
        "max_body_bytes"
        | "database_pool"
        | "demo_cases"
        | "session_idle_secs"
        | "session_max_age_secs"
        | "anonymous_rate_per_minute"
        | "page_cache_secs"
        | "worker_poll_ms"
        | "worker_lease_secs"
        | "shutdown_delay_secs"
        | "plugin_failure_limit"
        | "plugin_max_fuel"
        | "plugin_max_memory_mib"
        | "plugin_max_timeout_ms"
        | "plugin_refresh_secs"
        | "plugin_compile_memory_mib"
        | "plugin_compile_timeout_secs"
        | "plugin_compile_concurrency"
        | "plugin_cache_mib"
        | "plugin_max_per_city"
        | "plugin_max_mib_per_city"
        | "plugin_lookup_concurrency"
        | "plugin_city_concurrency" => match value.parse::<i64>() {
            Ok(n) => toml::Value::Integer(n),
            Err(_) => toml::Value::String(value.to_owned()),
        },
        "reminder_share" => match value.parse::<f64>() {
            Ok(n) => toml::Value::Float(n),
            Err(_) => toml::Value::String(value.to_owned()),
        },
        _ => toml::Value::String(value.to_owned()),
    }
}

pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    match rest.split_once('@') {
        Some((credentials, host)) => {
            let user = credentials.split(':').next().unwrap_or_default();
            format!("{scheme}://{user}:***@{host}")
        }
        None => url.to_owned(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    /// Every variable whose setting is a number takes one (environment
    /// values are strings until `env_value` reads them).
    #[test]
    fn numeric_variables_take_numbers() {
        for (var, key) in ENV_KEYS {
            if let Err(e) = Config::load_from(None, env(&[(var, "7")])) {
                let said = format!("{e:#}");
                assert!(
                    !said.contains("expected u")
                        && !said.contains("expected i")
                        && !said.contains("expected f"),
                    "{var} ({key}) = 7: {said}"
                );
            }
        }
    }

    #[test]
    fn environment_overrides_file_and_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("minsheng.toml");
        std::fs::write(
            &file,
            "listen = \"127.0.0.1:9000\"\ndev_open_admin = true\n",
        )
        .unwrap();
        let config = Config::load_from(
            Some(&file),
            env(&[
                ("MINSHENG_LISTEN", "0.0.0.0:0"),
                ("MINSHENG_TRUSTED_PROXIES", "10.0.0.0/8, ::1"),
            ]),
        )
        .unwrap();
        assert_eq!(config.listen.port(), 0);
        assert!(config.dev_open_admin);
        assert_eq!(config.trusted_proxies.len(), 2);
        assert!(config.database_url().starts_with("sqlite://"));
    }

    #[test]
    fn unknown_keys_and_variables_are_rejected() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("minsheng.toml");
        std::fs::write(&file, "listn = \"127.0.0.1:9000\"\n").unwrap();
        let error = Config::load_from(Some(&file), env(&[]))
            .unwrap_err()
            .to_string();
        assert!(error.contains("listn"), "{error}");
        let error = Config::load_from(None, env(&[("MINSHENG_LISTN", "x")]))
            .unwrap_err()
            .to_string();
        assert!(error.contains("MINSHENG_LISTN"), "{error}");
        let error = Config::load_from(None, env(&[("MINSHENG_LISTEN", "nowhere")]))
            .unwrap_err()
            .to_string();
        assert!(error.contains("listen"), "{error}");
    }

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact_url("postgres://app:secret@db/minsheng"),
            "postgres://app:***@db/minsheng"
        );
        assert_eq!(redact_url("sqlite://data/x.db"), "sqlite://data/x.db");
    }
}
