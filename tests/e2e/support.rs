//! Starting the real `minsheng` binary for a test, on port 0, against a
//! fresh database: a temporary SQLite file, or a new PostgreSQL database
//! on the server named by `MINSHENG_TEST_POSTGRES_URL` (`scripts/test` sets it).

use sea_orm::{ConnectionTrait, Database};
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

#[derive(Clone, Copy, Debug)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub struct TestApp {
    pub base: String,
    pub db_url: String,
    pub client: reqwest::Client,
    pub dir: tempfile::TempDir,
    env: Vec<(String, String)>,
    child: Child,
}

/// Compiled rule plugins, shared by the tests' servers (the cache is keyed
/// by content and engine settings, so sharing is safe and saves compiling).
pub fn plugin_cache_dir() -> PathBuf {
    std::env::temp_dir().join("minsheng-test-plugin-cache")
}

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A fresh, empty database for one test.
pub async fn fresh_database(backend: Backend, dir: &tempfile::TempDir) -> String {
    match backend {
        Backend::Sqlite => format!("sqlite://{}?mode=rwc", dir.path().join("test.db").display()),
        Backend::Postgres => {
            let admin = std::env::var("MINSHENG_TEST_POSTGRES_URL").expect(
                "MINSHENG_TEST_POSTGRES_URL is not set: run the tests with scripts/test, \
                 which starts PostgreSQL and sets it",
            );
            let name = format!("minsheng_test_{}", uuid::Uuid::now_v7().simple());
            let db = Database::connect(&admin)
                .await
                .expect("connect to PostgreSQL");
            db.execute_unprepared(&format!("CREATE DATABASE {name}"))
                .await
                .expect("create database");
            let (prefix, _) = admin.rsplit_once('/').expect("URL has a database name");
            format!("{prefix}/{name}")
        }
    }
}

pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, &[]).await
}

/// Start the server with extra `MINSHENG_*` variables.
pub async fn spawn_app_with(backend: Backend, env: &[(&str, &str)]) -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let db_url = fresh_database(backend, &dir).await;
    let env: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let (base, child) = start_server(&db_url, &env).await;
    TestApp {
        base,
        db_url,
        env,
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client"),
        dir,
        child,
    }
}

/// A second server process on the same database as `other`.
pub async fn spawn_app_on(other: &TestApp, env: &[(&str, &str)]) -> TestApp {
    let env: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let (base, child) = start_server(&other.db_url, &env).await;
    TestApp {
        base,
        db_url: other.db_url.clone(),
        env,
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client"),
        dir: tempfile::tempdir().expect("temp dir"),
        child,
    }
}

async fn start_server(db_url: &str, env: &[(String, String)]) -> (String, Child) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_minsheng"));
    command
        .arg("serve")
        .env("MINSHENG_DATABASE_URL", db_url)
        .env("MINSHENG_LISTEN", "127.0.0.1:0")
        .env("MINSHENG_TENANTS_DIR", repo_root().join("tenants"))
        .env("MINSHENG_DEV_OPEN_ADMIN", "1")
        .env("MINSHENG_LOG", "warn")
        .env("MINSHENG_DEMO_CASES", "0")
        .env("MINSHENG_PLUGIN_CACHE_DIR", plugin_cache_dir())
        .stdout(Stdio::piped())
        .kill_on_drop(true);
    for (key, value) in env {
        command.env(key, value);
    }
    let mut child = command.spawn().expect("start minsheng");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let base = tokio::time::timeout(Duration::from_secs(120), async {
        while let Some(line) = lines.next_line().await.expect("read stdout") {
            if let Some(at) = line.find("listening on ") {
                return line[at + "listening on ".len()..].trim().to_owned();
            }
        }
        panic!("minsheng exited before listening");
    })
    .await
    .expect("minsheng did not start within 120 s");
    // Keep draining stdout so the server never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    (base, child)
}

impl TestApp {
    /// The server process's resident memory now, in bytes (Linux).
    pub fn resident_bytes(&self) -> u64 {
        let pid = self.child.id().expect("the server is running");
        minsheng_plugin_host::memory_of(Some(pid), "VmRSS")
    }

    /// Kill the server with SIGKILL (no chance to flush anything) and start
    /// it again on the same database.
    pub async fn kill_and_restart(&mut self) {
        self.child.start_kill().expect("kill");
        self.child.wait().await.expect("wait");
        let (base, child) = start_server(&self.db_url, &self.env).await;
        self.base = base;
        self.child = child;
    }

    /// Send SIGTERM to the server, as Kubernetes does to stop a pod.
    pub async fn sigterm(&self) {
        let pid = self.child.id().expect("the server is running");
        let sent = Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .await
            .expect("run kill");
        assert!(sent.success());
    }

    /// Wait for the server to exit; whether it exited successfully.
    pub async fn wait_exit(&mut self) -> bool {
        tokio::time::timeout(Duration::from_secs(60), self.child.wait())
            .await
            .expect("the server exits within 60 s")
            .expect("wait for the server")
            .success()
    }

    /// Send SIGTERM (as Kubernetes or `docker stop` do), wait for the
    /// server to exit on its own, and start it again on the same database.
    /// Returns whether it exited successfully.
    pub async fn terminate_and_restart(&mut self) -> bool {
        self.sigterm().await;
        let clean = self.wait_exit().await;
        let (base, child) = start_server(&self.db_url, &self.env).await;
        self.base = base;
        self.child = child;
        clean
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn api(&self, path: &str) -> String {
        format!("{}/api/v1{path}", self.base)
    }

    pub async fn get_json(&self, path: &str) -> (u16, serde_json::Value) {
        let resp = self
            .client
            .get(self.api(path))
            .send()
            .await
            .expect("request");
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(serde_json::Value::Null))
    }

    pub async fn send_json(
        &self,
        method: reqwest::Method,
        path: &str,
        body: &serde_json::Value,
    ) -> (u16, serde_json::Value) {
        let resp = self
            .client
            .request(method, self.api(path))
            .json(body)
            .send()
            .await
            .expect("request");
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(serde_json::Value::Null))
    }

    /// Run a `minsheng` command against this app's database.
    pub async fn cli(&self, args: &[&str]) -> (bool, String) {
        self.run_cli(args, &[]).await
    }

    async fn run_cli(&self, args: &[&str], env: &[(&str, &str)]) -> (bool, String) {
        let output = Command::new(env!("CARGO_BIN_EXE_minsheng"))
            .args(args)
            .env("MINSHENG_DATABASE_URL", &self.db_url)
            .env("MINSHENG_PLUGIN_CACHE_DIR", plugin_cache_dir())
            .envs(env.iter().copied())
            .current_dir(repo_root())
            .output()
            .await
            .expect("run minsheng");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        (output.status.success(), text)
    }

    /// The id of a department by its code.
    pub async fn department_id(&self, tenant: &str, code: &str) -> String {
        let (status, list) = self
            .get_json(&format!("/tenants/{tenant}/departments"))
            .await;
        assert_eq!(status, 200);
        list.as_array()
            .expect("list")
            .iter()
            .find(|d| d["code"] == code)
            .unwrap_or_else(|| panic!("no department {code} in {tenant}"))["id"]
            .as_str()
            .expect("id")
            .to_owned()
    }
}

/// Run one async test body against both databases.
#[macro_export]
macro_rules! on_both_backends {
    ($name:ident) => {
        mod $name {
            use $crate::support::Backend;

            #[tokio::test]
            async fn sqlite() {
                super::$name(Backend::Sqlite).await;
            }

            #[tokio::test]
            async fn postgres() {
                super::$name(Backend::Postgres).await;
            }
        }
    };
}

/// The password every account made by the tests has.
pub const PASSWORD: &str = "correct-horse-battery";

/// Credentials a request is sent with.
#[derive(Clone, Debug, Default)]
pub struct Auth {
    pub cookie: Option<String>,
    pub csrf: Option<String>,
    pub bearer: Option<String>,
}

impl Auth {
    /// `req` with these credentials: the session cookie and its CSRF
    /// token, or the API key.
    pub fn apply(&self, mut req: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        if let Some(cookie) = &self.cookie {
            req = req.header("cookie", cookie);
        }
        if let Some(csrf) = &self.csrf {
            req = req.header("x-csrf-token", csrf);
        }
        if let Some(key) = &self.bearer {
            req = req.header("authorization", format!("Bearer {key}"));
        }
        req
    }
}

impl TestApp {
    /// Run a `minsheng` command with the new account password in its
    /// environment.
    pub async fn cli_with_password(&self, args: &[&str]) -> (bool, String) {
        self.run_cli(args, &[("MINSHENG_NEW_PASSWORD", PASSWORD)])
            .await
    }

    /// Create a staff account with the CLI.
    pub async fn staff(&self, tenant: &str, username: &str, roles: &[&str], departments: &[&str]) {
        let mut args = vec!["user", "create", "--tenant", tenant, "--username", username];
        for r in roles {
            args.extend(["--role", r]);
        }
        for d in departments {
            args.extend(["--department", d]);
        }
        let (ok, out) = self.cli_with_password(&args).await;
        assert!(ok, "{out}");
    }

    /// Sign in through the API; returns the status and, on success, the
    /// session's credentials and the raw Set-Cookie header.
    pub async fn login(
        &self,
        tenant: Option<&str>,
        username: &str,
        password: &str,
    ) -> (u16, Option<Auth>, String, reqwest::header::HeaderMap) {
        let body =
            serde_json::json!({"tenant": tenant, "username": username, "password": password});
        let resp = self
            .client
            .post(self.api("/auth/login"))
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let set_cookie = headers
            .get("set-cookie")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        let me: serde_json::Value = resp.json().await.unwrap_or_default();
        let auth = (status == 200).then(|| Auth {
            cookie: set_cookie.split(';').next().map(str::to_owned),
            csrf: me["csrf_token"].as_str().map(str::to_owned),
            bearer: None,
        });
        (status, auth, set_cookie, headers)
    }

    pub async fn login_ok(&self, tenant: Option<&str>, username: &str) -> Auth {
        let (status, auth, _, _) = self.login(tenant, username, PASSWORD).await;
        assert_eq!(status, 200, "login of {username}");
        auth.unwrap()
    }

    /// Send a request with credentials; `path` is under `/api/v1`.
    pub async fn call(
        &self,
        auth: &Auth,
        method: reqwest::Method,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> (u16, String) {
        let mut req = auth.apply(self.client.request(method, self.api(path)));
        if let Some(body) = body {
            req = req.json(body);
        }
        let resp = req.send().await.unwrap();
        (resp.status().as_u16(), resp.text().await.unwrap())
    }

    /// Send `bytes` of `content_type` with credentials; `path` is under
    /// `/api/v1`.
    pub async fn send_bytes(
        &self,
        auth: &Auth,
        method: reqwest::Method,
        path: &str,
        content_type: &str,
        bytes: Vec<u8>,
    ) -> (u16, String) {
        let req = auth.apply(
            self.client
                .request(method, self.api(path))
                .header("content-type", content_type)
                .body(bytes),
        );
        let resp = req.send().await.unwrap();
        (resp.status().as_u16(), resp.text().await.unwrap())
    }

    /// Upload a rule plugin's component (`application/wasm`).
    pub async fn upload(
        &self,
        auth: &Auth,
        tenant: &str,
        bytes: Vec<u8>,
    ) -> (u16, serde_json::Value) {
        let req = auth.apply(
            self.client
                .post(self.api(&format!("/tenants/{tenant}/plugins")))
                .header("content-type", "application/wasm")
                .body(bytes),
        );
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(serde_json::Value::Null))
    }
}

impl TestApp {
    /// Run a raw query as the platform would: on PostgreSQL inside a
    /// transaction in the platform scope, since row-level security hides
    /// every tenant row from a connection that set no scope.
    pub async fn platform_query(&self, sql: &str) -> Vec<sea_orm::QueryResult> {
        use sea_orm::TransactionTrait;
        let db = Database::connect(&self.db_url).await.expect("connect");
        let tx = db.begin().await.expect("begin");
        if db.get_database_backend() == sea_orm::DbBackend::Postgres {
            tx.execute_unprepared("SELECT set_config('app.tenant_id', '*', true)")
                .await
                .expect("scope");
        }
        let rows = tx
            .query_all_raw(sea_orm::Statement::from_string(
                db.get_database_backend(),
                sql,
            ))
            .await
            .expect("query");
        tx.commit().await.expect("commit");
        rows
    }
}

/// `XXXX-XXXX-XXXX` in Crockford's base32.
pub fn tracking_code_shape(code: &str) -> bool {
    code.len() == 14
        && code.split('-').all(|part| {
            part.len() == 4
                && part
                    .chars()
                    .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase())
        })
}
