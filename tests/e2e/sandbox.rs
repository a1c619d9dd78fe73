//! One city's rules against the platform: components and decisions built
//! to take the server down, to slow another city or to lose a citizen's
//! case. While Daqing's administrator tries, Springfield keeps submitting
//! (and escalating); the server must stay up and small, Springfield's p99
//! within twice its quiet p99, no submission may get a 5xx, and every
//! acknowledged case must be stored.

use crate::flows::{staff_view, submit_case, worker_at};
use crate::on_both_backends;
use crate::plugins::{HEATING_TEXT, enable, heating_in_other, rule_runs, upload};
use crate::support::{Auth, Backend, TestApp, spawn_app_with};
use chrono::{DateTime, Utc};
use minsheng_plugin_host::examples::{self, bombs};
use reqwest::Method;
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Springfield's submission.
fn pothole() -> Value {
    json!({"category": "pothole", "attributes": {"size": ["small"]},
           "title": "Pothole on Elm", "text": "A pothole on Elm Street again.", "public": true})
}

/// One submission: its status, how long it took, its tracking code.
async fn springfield_once(client: &reqwest::Client, url: &str) -> (u16, Duration, Option<String>) {
    let started = Instant::now();
    let resp = client.post(url).json(&pothole()).send().await.unwrap();
    let status = resp.status().as_u16();
    let took = started.elapsed();
    let body: Value = resp.json().await.unwrap_or(Value::Null);
    let code = body["tracking_code"].as_str().map(str::to_owned);
    (status, took, code)
}

fn p99(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[(times.len() * 99 / 100).min(times.len() - 1)]
}

/// Springfield's submissions measured while the attack goes on, at least.
const SAMPLES: usize = 200;

/// Springfield submitting one case after another until stopped, or until
/// it has submitted `most` (an escalation pass at a far-off instant takes
/// every new case too, so it ends only once Springfield does).
struct Springfield {
    stop: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<Vec<(u16, Duration, Option<String>)>>,
    quiet: Duration,
}

impl Springfield {
    /// Measure the quiet p99 first, then keep submitting.
    async fn start(app: &TestApp) -> Self {
        Self::start_at_most(app, usize::MAX).await
    }

    async fn start_at_most(app: &TestApp, most: usize) -> Self {
        let url = app.api("/tenants/springfield/cases");
        // Warm up, then the quiet figure.
        for _ in 0..5 {
            springfield_once(&app.client, &url).await;
        }
        let mut quiet = Vec::new();
        for _ in 0..60 {
            let (status, took, _) = springfield_once(&app.client, &url).await;
            assert_eq!(status, 201);
            quiet.push(took);
        }
        let stop = Arc::new(AtomicBool::new(false));
        let task = {
            let client = app.client.clone();
            let stop = stop.clone();
            tokio::spawn(async move {
                let mut done = Vec::new();
                // At least `SAMPLES`, so that the p99 is not just the
                // slowest one.
                while (!stop.load(Ordering::Relaxed) || done.len() < SAMPLES) && done.len() < most {
                    done.push(springfield_once(&client, &url).await);
                }
                done
            })
        };
        Self {
            stop,
            task,
            quiet: p99(quiet),
        }
    }

    /// Stop, and check what Springfield saw.
    async fn finish(self, app: &TestApp) {
        self.stop.store(true, Ordering::Relaxed);
        let done = self.task.await.unwrap();
        assert!(done.len() >= 20, "springfield submitted {}", done.len());
        let failed: Vec<_> = done.iter().filter(|(s, _, _)| *s != 201).collect();
        assert!(failed.is_empty(), "springfield got {failed:?}");
        let busy = p99(done.iter().map(|(_, d, _)| *d).collect());
        // Twice the quiet p99, with a floor for a 2-core machine's noise.
        let bound = (self.quiet * 2).max(self.quiet + Duration::from_millis(150));
        assert!(
            busy <= bound,
            "springfield's p99 went from {:?} (quiet) to {busy:?} (bound {bound:?})",
            self.quiet
        );
        // Every acknowledged case is stored.
        for (_, _, code) in &done {
            let code = code.as_deref().expect("a 201 carries its tracking code");
            let (status, _) = app
                .get_json(&format!("/tenants/springfield/cases/{code}"))
                .await;
            assert_eq!(status, 200, "{code} was acknowledged but is not stored");
        }
        let resp = app.client.get(app.url("/healthz")).send().await.unwrap();
        assert_eq!(resp.status(), 200);
    }
}

fn message(body: &Value) -> String {
    body["errors"][0]["message"]
        .as_str()
        .map(str::to_owned)
        .unwrap_or_else(|| body.to_string())
}

/// A metric's value on the metrics listener.
async fn metric(listen: &str, name: &str) -> f64 {
    let text = reqwest::get(format!("http://{listen}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or_else(|| panic!("no {name} in {text}"))
}

fn listen_address() -> String {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    format!("127.0.0.1:{port}")
}

/// A copy of a component with different bytes and the same meaning (a
/// custom section appended): same name and version, another hash.
fn rebuilt(mut bytes: Vec<u8>) -> Vec<u8> {
    let name = b"rebuilt";
    let payload = b"again";
    bytes.push(0);
    bytes.push(u8::try_from(1 + name.len() + payload.len()).unwrap());
    bytes.push(u8::try_from(name.len()).unwrap());
    bytes.extend_from_slice(name);
    bytes.extend_from_slice(payload);
    bytes
}

/// Schema cycles and compile bombs are refused at upload with the limit
/// they hit; refused uploads are not kept; the server neither dies nor
/// grows, and Springfield does not notice.
async fn uploads_built_to_exhaust_the_server_are_refused(backend: Backend) {
    let listen = listen_address();
    let app = spawn_app_with(
        backend,
        &[
            ("MINSHENG_PLUGIN_COMPILE_MEMORY_MIB", "256"),
            // Room for a debug build's compiler on a busy 2-core machine:
            // the examples take a few seconds to compile there.
            ("MINSHENG_PLUGIN_COMPILE_TIMEOUT_SECS", "8"),
            ("MINSHENG_METRICS_LISTEN", &listen),
        ],
    )
    .await;
    let redactor = upload(&app, "daqing", "redactor").await;
    let kept = metric(&listen, "minsheng_plugin_compiled_components").await;
    let springfield = Springfield::start(&app).await;
    let before = app.resident_bytes();

    // A $ref cycle reached only under a property.
    let (status, body) = app
        .upload(
            &Auth::default(),
            "daqing",
            examples::bytes("hostile-schema"),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert!(message(&body).contains("cycle"), "{body}");

    // Expensive to compile: refused at the compiler's memory or time limit.
    for (what, bytes) in [
        ("live locals", bombs::live_locals(30_000, 3_000)),
        ("a million functions", bombs::many_functions(1_000_000)),
    ] {
        let started = Instant::now();
        let (status, body) = app.upload(&Auth::default(), "daqing", bytes).await;
        assert_eq!(status, 422, "{what}: {body}");
        let said = message(&body);
        assert!(
            said.contains("256 MiB") || said.contains("8 s"),
            "{what}: the message names the limit: {said}"
        );
        assert!(
            // Within the wall-clock backstop: three times the limit.
            started.elapsed() < Duration::from_secs(8 * 3 + 2),
            "{what}: refused after {:?}",
            started.elapsed()
        );
    }
    let grown = app.resident_bytes().saturating_sub(before);
    assert!(grown < 128 << 20, "the server grew by {} MiB", grown >> 20);

    // The same component again, and a rebuild with the same name and
    // version: conflicts, and nothing more is kept.
    for _ in 0..2 {
        let (status, body) = app
            .upload(&Auth::default(), "daqing", examples::bytes("redactor"))
            .await;
        assert_eq!(status, 409, "{body}");
        let (status, body) = app
            .upload(
                &Auth::default(),
                "daqing",
                rebuilt(examples::bytes("redactor")),
            )
            .await;
        assert_eq!(status, 409, "{body}");
    }
    assert_eq!(
        metric(&listen, "minsheng_plugin_compiled_components").await,
        kept
    );
    // Deleting a version drops it from memory.
    let (status, _) = app
        .send_json(
            Method::DELETE,
            &format!(
                "/tenants/daqing/plugins/{}",
                redactor["id"].as_str().unwrap()
            ),
            &json!({}),
        )
        .await;
    assert_eq!(status, 204);
    assert!(metric(&listen, "minsheng_plugin_compiled_components").await < kept);
    springfield.finish(&app).await;
}
on_both_backends!(uploads_built_to_exhaust_the_server_are_refused);

/// Each city keeps at most so many plugin versions and bytes; it sees
/// where it stands, and one city's uploads never use another's quota.
async fn quotas_bound_each_city(backend: Backend) {
    let app = spawn_app_with(
        backend,
        &[
            ("MINSHENG_PLUGIN_MAX_PER_CITY", "3"),
            ("MINSHENG_PLUGIN_MAX_MIB_PER_CITY", "1"),
        ],
    )
    .await;
    let mut sizes = 0;
    let mut kept = Vec::new();
    for name in ["daqing-router", "redactor", "spam-guard"] {
        let view = upload(&app, "daqing", name).await;
        sizes += view["size"].as_u64().unwrap();
        kept.push(view);
    }
    let (status, quota) = app.get_json("/tenants/daqing/plugin-quota").await;
    assert_eq!(status, 200, "{quota}");
    assert_eq!(
        quota,
        json!({"plugins": 3, "max_plugins": 3, "bytes": sizes, "max_bytes": 1 << 20})
    );
    let (status, body) = app
        .upload(&Auth::default(), "daqing", examples::bytes("hostile"))
        .await;
    assert_eq!(status, 422, "{body}");
    assert!(message(&body).contains("3 plugin versions"), "{body}");
    // Springfield has its own quota.
    upload(&app, "springfield", "hostile").await;
    let big = bombs::many_functions(300_000);
    assert!(big.len() > 1 << 20, "{} bytes", big.len());
    let started = Instant::now();
    let (status, body) = app.upload(&Auth::default(), "springfield", big).await;
    assert_eq!(status, 422, "{body}");
    assert!(message(&body).contains("1 MiB per city"), "{body}");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "refused before compiling"
    );
    // Deleting a version makes room.
    let (status, _) = app
        .send_json(
            Method::DELETE,
            &format!(
                "/tenants/daqing/plugins/{}",
                kept[1]["id"].as_str().unwrap()
            ),
            &json!({}),
        )
        .await;
    assert_eq!(status, 204);
    upload(&app, "daqing", "hostile").await;
    let (_, quota) = app.get_json("/tenants/daqing/plugin-quota").await;
    assert_eq!(quota["plugins"], 3);
}
on_both_backends!(quotas_bound_each_city);

/// Decisions that cannot be stored as they are, and a rule that spends its
/// call in lookups: the citizen's case is stored with the default routing,
/// the rule counts as failed, and Springfield does not notice.
async fn decisions_that_cannot_be_stored_fall_back(backend: Backend) {
    let app = spawn_app_with(backend, &[]).await;
    let hostile = upload(&app, "daqing", "hostile").await;
    let elsewhere = submit_case(&app, "springfield", &pothole()).await.code;
    let springfield = Springfield::start(&app).await;
    let title = heating_in_other(HEATING_TEXT)["title"].clone();
    for (mode, code, failure) in [
        ("dup-cohandlers", "", "invalid"),
        ("grow-title", "", "invalid"),
        ("foreign-duplicate", elsewhere.as_str(), "invalid"),
        ("foreign-duplicate", "DQ-NOPE-1", "invalid"),
        ("foreign-duplicate", "<b>x</b>", "invalid"),
        ("invisible-reject", "", "invalid"),
        ("lookup-loop", "", "timeout"),
    ] {
        enable(
            &app,
            "daqing",
            &hostile["id"],
            json!({ "mode": mode, "code": code }),
        )
        .await;
        let code = submit_case(&app, "daqing", &heating_in_other(HEATING_TEXT))
            .await
            .code;
        let case = staff_view(&app, "daqing", &code).await;
        assert_eq!(case["case"]["department"], "xfj", "{mode}: default routing");
        assert_eq!(case["case"]["title"], title, "{mode}: the title as sent");
        assert_eq!(case["flags"]["rule_failed"], true, "{mode}: {case}");
        assert_eq!(case["flags"]["duplicate_of"], Value::Null, "{mode}");
        let runs = rule_runs(&case);
        assert_eq!(runs.len(), 1, "{mode}: {case}");
        let kind = &runs[0]["detail"]["failure"];
        // A lookup loop ends at the call's deadline, or its fuel.
        assert!(
            kind == failure || (mode == "lookup-loop" && kind == "fuel"),
            "{mode}: {}",
            runs[0]
        );
    }
    springfield.finish(&app).await;
}
on_both_backends!(decisions_that_cannot_be_stored_fall_back);

/// An escalation rule that spends its whole call (at the platform's
/// maximum time) in lookups and then supervises: its decision is applied,
/// and it holds no lock while it runs, so Springfield's submissions and
/// its own escalations go on.
async fn slow_escalation_rules_hold_up_no_one(backend: Backend) {
    let app = spawn_app_with(backend, &[("MINSHENG_WORKER", "0")]).await;
    let slow = upload(&app, "daqing", "hostile-escalation").await;
    enable(&app, "daqing", &slow["id"], json!({"rounds": 20})).await;
    let (status, body) = app
        .send_json(
            Method::PUT,
            "/tenants/daqing/plugin-limits",
            &json!({"fuel": 500_000_000u64, "memory_bytes": 67_108_864u64, "timeout_ms": 2000,
                    "log_bytes": 4096, "output_bytes": 65536}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let mut daqing = Vec::new();
    let mut deadline: Option<DateTime<Utc>> = None;
    for _ in 0..3 {
        let (status, created) = app
            .send_json(
                Method::POST,
                "/tenants/daqing/cases",
                &heating_in_other(HEATING_TEXT),
            )
            .await;
        assert_eq!(status, 201);
        daqing.push(created["tracking_code"].as_str().unwrap().to_owned());
        deadline = Some(
            created["answer_deadline"]
                .as_str()
                .unwrap()
                .parse()
                .unwrap(),
        );
    }
    let theirs = submit_case(&app, "springfield", &pothole()).await.code;
    let springfield = Springfield::start_at_most(&app, 200).await;
    // Far enough on that every case (Springfield's too) is overdue.
    let at = deadline.unwrap() + chrono::Duration::days(30);
    worker_at(&app, at).await;
    springfield.finish(&app).await;

    for code in &daqing {
        let case = staff_view(&app, "daqing", code).await;
        let supervised = rule_runs(&case).iter().any(|r| {
            r["detail"]["outcome"] == "ok"
                && r["detail"]["actions"].as_array().is_some_and(|a| {
                    a.iter()
                        .any(|x| x == "supervise" || x == "supervise:already")
                })
        });
        assert!(supervised, "{code}: {case}");
    }
    let case = staff_view(&app, "springfield", &theirs).await;
    let escalated = case["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["action"] == "overdue" || e["action"] == "supervision");
    assert!(escalated, "springfield's own escalations ran: {case}");
}
on_both_backends!(slow_escalation_rules_hold_up_no_one);

/// One city flooding the server with rule calls that run to their
/// deadline takes only its own share of calls at once: another city's
/// harmless rule runs on every one of its submissions, none of its calls
/// fails to start, and every flooded case is stored all the same.
async fn a_flood_of_rule_calls_takes_only_its_citys_share(backend: Backend) {
    let listen = listen_address();
    let app = spawn_app_with(
        backend,
        &[
            ("MINSHENG_PLUGIN_CITY_CONCURRENCY", "2"),
            ("MINSHENG_METRICS_LISTEN", &listen),
        ],
    )
    .await;
    let slow = upload(&app, "daqing", "hostile").await;
    enable(&app, "daqing", &slow["id"], json!({"mode": "lookup-loop"})).await;
    let fine = upload(&app, "springfield", "hostile").await;
    enable(&app, "springfield", &fine["id"], json!({"mode": "fine"})).await;

    // Daqing: 24 submissions at once, each rule call spinning to its end.
    let url = app.api("/tenants/daqing/cases");
    let flood: Vec<_> = (0..24)
        .map(|_| {
            let client = app.client.clone();
            let url = url.clone();
            tokio::spawn(async move {
                let resp = client
                    .post(&url)
                    .json(&heating_in_other(HEATING_TEXT))
                    .send()
                    .await
                    .unwrap();
                let status = resp.status().as_u16();
                let body: Value = resp.json().await.unwrap_or(Value::Null);
                (status, body["tracking_code"].as_str().map(str::to_owned))
            })
        })
        .collect();
    // Springfield meanwhile: its rule runs, every time.
    for _ in 0..15 {
        let code = submit_case(&app, "springfield", &pothole()).await.code;
        let case = staff_view(&app, "springfield", &code).await;
        let runs = rule_runs(&case);
        assert_eq!(runs.len(), 1, "{case}");
        assert_eq!(runs[0]["detail"]["outcome"], "ok", "{}", runs[0]);
        assert_eq!(case["flags"]["rule_failed"], false, "{case}");
    }
    for task in flood {
        let (status, code) = task.await.unwrap();
        assert_eq!(status, 201, "a flooded submission is still filed");
        let code = code.expect("a tracking code");
        let case = staff_view(&app, "daqing", &code).await;
        assert_eq!(case["case"]["department"], "xfj", "default routing");
    }
    let metrics = reqwest::get(format!("http://{listen}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let springfield_refused = metrics.lines().any(|l| {
        l.starts_with("minsheng_plugin_instantiate_failures_total{")
            && l.contains("tenant=\"springfield\"")
    });
    assert!(!springfield_refused, "{metrics}");
    // The flood did pass its own share.
    let daqing_refused = metrics.lines().any(|l| {
        l.starts_with("minsheng_plugin_instantiate_failures_total{")
            && l.contains("tenant=\"daqing\"")
    });
    assert!(daqing_refused, "{metrics}");
}
on_both_backends!(a_flood_of_rule_calls_takes_only_its_citys_share);
