//! Rule plugins: what they cost.
//!
//! 1. One call of the Daqing router as a WebAssembly component (a fresh
//!    instance from the pre-instantiated component, the call, checking the
//!    decision and applying it to the submission) against the same rule
//!    written as native Rust (parsing the same configuration, the same
//!    matching, the same check and apply), in the same run.
//! 2. Submissions per second through the whole application with a chain of
//!    three rules (redactor, spam guard with its database lookup, router)
//!    against no rules, on the same database, in paired rounds (the
//!    medians count), with this process's CPU time per submission.
//!
//! Runs on SQLite and, when `MINSHENG_TEST_POSTGRES_URL` is set
//! (`scripts/bench` sets it), on PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use minsheng_app::bundle;
use minsheng_app::config::Config;
use minsheng_app::services::plugins::chains::{Chain, Draft};
use minsheng_plugin_host::types::{self as wit, IntakeDecision, IntakeInput, Priority};
use minsheng_plugin_host::{Host, Limits, NoLookups, Plugin, check_intake, examples};
use minsheng_server::app::{ServerState, build};
use minsheng_store::Store;
use poem::test::TestClient;
use sea_orm::{ConnectionTrait, Database};
use std::sync::Arc;
use std::time::{Duration, Instant};

const CALLS: usize = 5000;
const CLIENTS: usize = 32;
const PER_CLIENT: usize = 25;

const TEXT: &str = "我家住东城领秀小区C-22栋2单元，入冬以来暖气一直不热，室温只有十几度，老人孩子受不了，请尽快处理。";

fn percentile(mut v: Vec<Duration>, q: f64) -> Duration {
    v.sort();
    v[((v.len() as f64 * q) as usize).min(v.len() - 1)]
}

fn draft() -> Draft {
    Draft {
        category: "other".into(),
        title: "家里暖气不热，室温太低".into(),
        text: TEXT.into(),
        public: true,
        priority: 1,
        ..Default::default()
    }
}

/// The router's rule in native Rust: the same configuration, parsed per
/// call as the component does, and the same matching.
fn native_router(input: &IntakeInput) -> IntakeDecision {
    #[derive(serde::Deserialize)]
    struct Route {
        keywords: Vec<String>,
        department: String,
        category: Option<String>,
        #[serde(default)]
        co_handlers: Vec<String>,
        priority: Option<String>,
    }
    #[derive(serde::Deserialize)]
    struct Config {
        routes: Vec<Route>,
        #[serde(default)]
        only_categories: Vec<String>,
    }
    let config: Config = serde_json::from_str(&input.config).unwrap();
    let mut d = IntakeDecision {
        lead: None,
        co_handlers: Vec::new(),
        category: None,
        priority: None,
        tags: Vec::new(),
        spam: false,
        duplicate_of: None,
        redactions: Vec::new(),
        force_private: false,
        hold: None,
        reject: None,
        explanation: String::new(),
    };
    let case = &input.case;
    if !config.only_categories.is_empty() && !config.only_categories.contains(&case.category) {
        d.explanation = "default".into();
        return d;
    }
    let title = case.title.as_deref().unwrap_or("");
    let text = case.text.as_deref().unwrap_or("");
    for route in &config.routes {
        if let Some(k) = route
            .keywords
            .iter()
            .find(|k| title.contains(k.as_str()) || text.contains(k.as_str()))
        {
            let name = input
                .departments
                .iter()
                .find(|x| x.code == route.department)
                .map(|x| x.name.clone())
                .unwrap();
            d.explanation = format!("“{k}” → {name}");
            d.lead = Some(route.department.clone());
            d.co_handlers = route.co_handlers.clone();
            d.category = route.category.clone();
            d.priority = route.priority.as_deref().map(|p| match p {
                "high" => Priority::High,
                "urgent" => Priority::Urgent,
                "low" => Priority::Low,
                _ => Priority::Normal,
            });
            d.tags = vec![format!("keyword:{k}")];
            return d;
        }
    }
    d.explanation = "no keyword matched".into();
    d
}

fn per_call(runtime: &tokio::runtime::Runtime) {
    let cache = tempfile::tempdir().unwrap();
    let host = Host::new(Some(cache.path()), Limits::platform_maxima()).unwrap();
    let plugin = Plugin::load(&host, &examples::bytes("daqing-router")).unwrap();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tenants/daqing");
    let (departments, categories) =
        minsheng_server::cli::plugin::directory(&bundle::format::Bundle::read(&root).unwrap());
    let chain = Chain {
        departments,
        categories,
        ..Default::default()
    };
    let config = examples::config("daqing-router").to_string();
    let now = wit::Instant {
        unix_seconds: 1_764_300_000,
        utc_offset_minutes: 480,
    };
    let input = draft().input(&plugin.descriptor.needs, &chain, &config, now);
    let limits = Limits::default();
    let mut component = Vec::with_capacity(CALLS);
    let mut native = Vec::with_capacity(CALLS);
    let mut fuel = 0;
    // Interleaved, after a warm-up, so drift touches both alike.
    for i in 0..CALLS + 200 {
        let t = Instant::now();
        let out = runtime.block_on(plugin.intake_alone(
            &input,
            chain.directory(),
            &limits,
            Arc::new(NoLookups),
        ));
        let decision = out.result.unwrap();
        let mut d = draft();
        d.apply(&decision);
        let wasm = t.elapsed();
        assert_eq!(d.lead.as_deref(), Some("rlgs"));
        fuel = out.report.fuel_used;

        let t = Instant::now();
        let decision = native_router(&input);
        check_intake(chain.directory(), &input, &decision).unwrap();
        let mut d = draft();
        d.apply(&decision);
        let rust = t.elapsed();
        assert_eq!(d.lead.as_deref(), Some("rlgs"));
        if i >= 200 {
            component.push(wasm);
            native.push(rust);
        }
    }
    // Where the time goes: a rule that only parses a small configuration,
    // and the router, each with and without the city's directory.
    let hostile = Plugin::load(&host, &examples::bytes("hostile")).unwrap();
    let empty = Chain::default();
    let probe = |p: &Plugin, chain: &Chain, config: &str| {
        let input = draft().input(&p.descriptor.needs, chain, config, now);
        let times: Vec<Duration> = (0..2000)
            .map(|_| {
                let t = Instant::now();
                runtime
                    .block_on(p.intake_alone(
                        &input,
                        chain.directory(),
                        &limits,
                        Arc::new(NoLookups),
                    ))
                    .result
                    .unwrap();
                t.elapsed()
            })
            .collect();
        percentile(times, 0.5)
    };
    let minimal = r#"{"mode":"fine"}"#;
    let breakdown = [
        ("empty rule, no directory", probe(&hostile, &empty, minimal)),
        ("router, no directory", {
            let c = Chain {
                departments: chain
                    .departments
                    .iter()
                    .filter(|d| d.code == "rlgs")
                    .cloned()
                    .collect(),
                categories: chain
                    .categories
                    .iter()
                    .filter(|x| x.code == "heating-cold")
                    .cloned()
                    .collect(),
                ..Default::default()
            };
            probe(&plugin, &c, &config)
        }),
    ];
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    let (c50, c99) = (
        percentile(component.clone(), 0.5),
        percentile(component, 0.99),
    );
    let (n50, n99) = (percentile(native.clone(), 0.5), percentile(native, 0.99));
    println!(
        "Daqing router, one call ({CALLS} calls each, interleaved; input: the heating complaint, 40 departments, 22 categories):"
    );
    println!(
        "  native Rust (baseline):  p50 {:>7.1} µs  p99 {:>7.1} µs",
        us(n50),
        us(n99)
    );
    println!(
        "  component (instantiate + call + check + apply): p50 {:>7.1} µs  p99 {:>7.1} µs  fuel {fuel}",
        us(c50),
        us(c99)
    );
    for (what, p50) in breakdown {
        println!("    of which, {what}: p50 {:>7.1} µs", us(p50));
    }
    println!(
        "  component / native: p50 {:.1}x; p50 {:.1} µs (target < 50 µs)",
        us(c50) / us(n50).max(0.001),
        us(c50)
    );
}

async fn prepare(url: &str) -> anyhow::Result<(Store, ServerState)> {
    let store = Store::connect(url).await?;
    store.migrate().await?;
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tenants/daqing");
    bundle::apply::apply(&store, &bundle::format::Bundle::read(&root)?, false).await?;
    let cache = std::env::temp_dir().join("minsheng-bench-plugin-cache");
    let config = Config {
        anonymous_rate_per_minute: 10_000_000,
        plugin_cache_dir: Some(cache),
        worker: false,
        dev_open_admin: true,
        ..Config::default()
    };
    let state = ServerState::new(config, store.clone()).await?;
    Ok((store, state))
}

async fn submissions(state: &ServerState, round: usize) -> f64 {
    let client = Arc::new(TestClient::new(build(state.clone())));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..CLIENTS {
        let client = Arc::clone(&client);
        tasks.push(tokio::spawn(async move {
            for i in 0..PER_CLIENT {
                let body = serde_json::json!({
                    "category": "other",
                    "title": format!("暖气不热，室温太低（{round}-{c}-{i}）"),
                    "text": format!("{TEXT}联系电话13900001111，第{i}次。"),
                    "public": true,
                });
                let resp = client
                    .post("/api/v1/tenants/daqing/cases")
                    .body_json(&body)
                    .send()
                    .await;
                let status = resp.0.status();
                if status != poem::http::StatusCode::CREATED {
                    let text = resp.0.into_body().into_string().await.unwrap_or_default();
                    panic!("submission refused with {status}: {text}");
                }
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    (CLIENTS * PER_CLIENT) as f64 / started.elapsed().as_secs_f64()
}

/// Upload and enable the three rules; returns their ids.
async fn enable_chain(state: &ServerState, lookups: bool) -> Vec<String> {
    let client = TestClient::new(build(state.clone()));
    let mut ids = Vec::new();
    let hours = if lookups { 72 } else { 0 };
    for (name, config) in [
        ("redactor", serde_json::json!({})),
        ("spam-guard", serde_json::json!({"duplicate_hours": hours})),
        ("daqing-router", examples::config("daqing-router")),
    ] {
        let resp = client
            .post("/api/v1/tenants/daqing/plugins")
            .header("content-type", "application/wasm")
            .body(examples::bytes(name))
            .send()
            .await;
        let body: serde_json::Value =
            serde_json::from_str(&resp.0.into_body().into_string().await.unwrap()).unwrap();
        let id = body["id"]
            .as_str()
            .unwrap_or_else(|| panic!("{body}"))
            .to_owned();
        let resp = client
            .patch(format!("/api/v1/tenants/daqing/plugins/{id}"))
            .body_json(&serde_json::json!({"config": config, "enabled": true}))
            .send()
            .await;
        assert_eq!(resp.0.status(), 200);
        ids.push(id);
    }
    ids
}

async fn set_enabled(state: &ServerState, ids: &[String], enabled: bool) {
    let client = TestClient::new(build(state.clone()));
    for id in ids {
        let resp = client
            .patch(format!("/api/v1/tenants/daqing/plugins/{id}"))
            .body_json(&serde_json::json!({"enabled": enabled}))
            .send()
            .await;
        assert_eq!(resp.0.status(), 200);
    }
}

/// Paired rounds (no rules, then the chain) whose medians count.
const ROUNDS: usize = 7;

/// CPU time this process has used so far (user and system).
fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command's closing parenthesis; utime and stime are
    // the 14th and 15th of the whole line, in clock ticks (100 a second).
    let ticks: u64 = stat
        .rsplit_once(')')
        .map(|(_, rest)| {
            rest.split_whitespace()
                .skip(11)
                .take(2)
                .filter_map(|t| t.parse::<u64>().ok())
                .sum()
        })
        .unwrap_or(0);
    Duration::from_millis(ticks * 10)
}

/// Submissions per second and this process's CPU µs per submission.
async fn round(state: &ServerState, round: usize) -> (f64, f64) {
    let cpu = cpu_time();
    let rate = submissions(state, round).await;
    let used = cpu_time().saturating_sub(cpu);
    (
        rate,
        used.as_secs_f64() * 1e6 / (CLIENTS * PER_CLIENT) as f64,
    )
}

async fn chain_cost(name: &str, url: &str, lookups: bool) -> anyhow::Result<()> {
    let (_store, state) = prepare(url).await?;
    // Warm-up of both ways (connections, statements, compiled rules).
    submissions(&state, 0).await;
    let ids = enable_chain(&state, lookups).await;
    submissions(&state, 1).await;
    // Paired rounds: none, then the chain; the medians count.
    let (mut none, mut chain, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    for r in 0..ROUNDS {
        set_enabled(&state, &ids, false).await;
        let n = round(&state, 10 + r).await;
        set_enabled(&state, &ids, true).await;
        let c = round(&state, 100 + r).await;
        ratios.push(c.0 / n.0);
        none.push(n);
        chain.push(c);
    }
    let rates = |v: &[(f64, f64)]| v.iter().map(|x| x.0).collect::<Vec<_>>();
    let cpu = |v: &[(f64, f64)]| median(v.iter().map(|x| x.1).collect());
    let (n, c, ratio) = (median(rates(&none)), median(rates(&chain)), median(ratios));
    let what = if lookups {
        "with the spam guard's duplicate lookup (find-same-title over the last 72 hours)"
    } else {
        "without lookups"
    };
    println!(
        "{name}: {CLIENTS} clients × {PER_CLIENT} submissions of the heating complaint filed under \"other\", {what}; median of {ROUNDS} paired rounds"
    );
    println!(
        "  no rules (baseline):            {n:>7.0}/s  {:>5.0} µs CPU/submission  (rounds {:.0?})",
        cpu(&none),
        rates(&none)
    );
    println!(
        "  redactor + spam guard + router: {c:>7.0}/s  {:>5.0} µs CPU/submission  (rounds {:.0?})",
        cpu(&chain),
        rates(&chain)
    );
    println!(
        "  chain / none: {ratio:.2}x (median of the paired ratios); the chain costs {:.0}% of intake throughput (target < 20%)",
        (1.0 - ratio) * 100.0
    );
    Ok(())
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() -> anyhow::Result<()> {
    // Uploads are compiled by a child running this executable, as the
    // server's are by `minsheng` itself.
    if std::env::args_os()
        .nth(1)
        .is_some_and(|a| a == minsheng_server::COMPILE_RULE)
    {
        std::process::exit(minsheng_plugin_host::child_main());
    }
    examples::build();
    let runtime = tokio::runtime::Runtime::new()?;
    per_call(&runtime);
    // `cargo bench --bench plugins -- call`: the per-call figure alone.
    if std::env::args().any(|a| a == "call") {
        return Ok(());
    }
    runtime.block_on(async {
        let dir = tempfile::tempdir()?;
        let url = format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("plugins.db").display()
        );
        chain_cost("SQLite (WAL, synchronous=FULL)", &url, false).await?;
        // `-- sqlite`: the first figure alone.
        if std::env::args().any(|a| a == "sqlite") {
            return Ok(());
        }
        let url = format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("lookups.db").display()
        );
        chain_cost("SQLite (WAL, synchronous=FULL)", &url, true).await?;
        if let Ok(admin) = std::env::var("MINSHENG_TEST_POSTGRES_URL") {
            for lookups in [false, true] {
                let name = format!("minsheng_bench_{}", uuid::Uuid::now_v7().simple());
                let db = Database::connect(&admin).await?;
                db.execute_unprepared(&format!("CREATE DATABASE {name}"))
                    .await?;
                let (prefix, _) = admin.rsplit_once('/').expect("a database name");
                chain_cost("PostgreSQL 15", &format!("{prefix}/{name}"), lookups).await?;
                db.execute_unprepared(&format!("DROP DATABASE {name} WITH (FORCE)"))
                    .await?;
            }
        }
        Ok::<_, anyhow::Error>(())
    })
}
