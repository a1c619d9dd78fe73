//! The server's lifecycle: SIGTERM during a load of submissions loses none
//! that were acknowledged, and `serve` refuses a database whose schema is
//! newer than itself.

use crate::on_both_backends;
use crate::support::{Backend, spawn_app_with};
use std::sync::{Arc, Mutex};

async fn sigterm_loses_nothing_acknowledged(backend: Backend) {
    let mut app =
        spawn_app_with(backend, &[("MINSHENG_ANONYMOUS_RATE_PER_MINUTE", "100000")]).await;
    let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
    let mut tasks = Vec::new();
    for c in 0..16 {
        let (client, url, acknowledged) = (
            app.client.clone(),
            app.api("/tenants/springfield/cases"),
            acknowledged.clone(),
        );
        tasks.push(tokio::spawn(async move {
            for i in 0..40 {
                let body = serde_json::json!({
                    "category": "graffiti", "title": format!("Graffiti {c}-{i}"),
                    "text": "Fresh graffiti on the wall of the underpass.",
                    "attributes": {"surface": ["bridge"]}, "public": true
                });
                // Refused or cut off once the server stops: fine, as long
                // as the client was not told it was saved.
                let Ok(resp) = client.post(&url).json(&body).send().await else {
                    break;
                };
                if resp.status().as_u16() != 201 {
                    break;
                }
                let Ok(created) = resp.json::<serde_json::Value>().await else {
                    break;
                };
                acknowledged
                    .lock()
                    .unwrap()
                    .push(created["tracking_code"].as_str().unwrap().to_owned());
            }
        }));
    }
    // Let the load build up, then stop the server as Kubernetes would.
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    let clean = app.terminate_and_restart().await;
    for t in tasks {
        t.await.unwrap();
    }
    assert!(clean, "the server exits cleanly on SIGTERM");
    let codes = acknowledged.lock().unwrap().clone();
    assert!(
        !codes.is_empty(),
        "some submissions were acknowledged before the stop"
    );
    for code in &codes {
        let (status, _) = app
            .get_json(&format!("/tenants/springfield/cases/{code}"))
            .await;
        assert_eq!(
            status, 200,
            "acknowledged case {code} is there after the restart"
        );
    }
    let (_, stats) = app.get_json("/tenants/springfield/stats").await;
    assert!(
        stats["received"].as_u64().unwrap() >= codes.len() as u64,
        "{stats}"
    );
    println!(
        "SIGTERM under load: {} acknowledged submissions, all found after the restart",
        codes.len()
    );
}
on_both_backends!(sigterm_loses_nothing_acknowledged);

async fn newer_schema_is_refused(backend: Backend) {
    let app = spawn_app_with(backend, &[]).await;
    app.platform_query(
        "INSERT INTO seaql_migrations (version, applied_at) VALUES ('m20990101_000001_from_the_future', 0)",
    )
    .await;
    let (ok, out) = tokio::time::timeout(std::time::Duration::from_secs(60), app.cli(&["serve"]))
        .await
        .expect("serve gives up at once");
    assert!(!ok, "{out}");
    assert!(
        out.contains("schema is newer") && out.contains("m20990101_000001_from_the_future"),
        "{out}"
    );
}
on_both_backends!(newer_schema_is_refused);

/// `name{labels} value` lines of a Prometheus text exposition; panics on a
/// line that is neither that nor a `# HELP`/`# TYPE` comment.
fn samples(text: &str) -> Vec<(String, f64)> {
    let mut out = Vec::new();
    let mut typed = std::collections::HashSet::new();
    for line in text.lines().filter(|l| !l.is_empty()) {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let mut parts = rest.split(' ');
            let name = parts.next().unwrap().to_owned();
            assert!(
                matches!(parts.next(), Some("counter" | "gauge" | "histogram")),
                "{line}"
            );
            typed.insert(name);
            continue;
        }
        if line.starts_with("# HELP ") {
            continue;
        }
        let (series, value) = line
            .rsplit_once(' ')
            .unwrap_or_else(|| panic!("not a sample: {line}"));
        let value: f64 = value
            .parse()
            .unwrap_or_else(|_| panic!("not a number: {line}"));
        let name = series.split('{').next().unwrap();
        assert!(
            name.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':'),
            "bad metric name: {line}"
        );
        if let Some(labels) = series.strip_prefix(name) {
            assert!(
                labels.is_empty() || (labels.starts_with('{') && labels.ends_with('}')),
                "{line}"
            );
        }
        let family = ["_bucket", "_sum", "_count"]
            .iter()
            .find_map(|s| name.strip_suffix(s))
            .filter(|base| typed.contains(*base))
            .unwrap_or(name);
        assert!(typed.contains(family), "a sample before its # TYPE: {line}");
        out.push((series.to_owned(), value));
    }
    out
}

fn value(samples: &[(String, f64)], series: &str) -> f64 {
    samples
        .iter()
        .find(|(s, _)| s == series)
        .map_or(0.0, |(_, v)| *v)
}

/// `/metrics` is Prometheus text on its own listener and counts a
/// submission, by city and by route template.
async fn metrics_count_a_submission(backend: Backend) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let listen = format!("127.0.0.1:{port}");
    let app = spawn_app_with(backend, &[("MINSHENG_METRICS_LISTEN", &listen)]).await;
    let scrape = || async {
        let resp = reqwest::get(format!("http://{listen}/metrics"))
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), 200);
        assert!(
            resp.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/plain; version=0.0.4")
        );
        samples(&resp.text().await.unwrap())
    };
    let before = scrape().await;
    let (status, _) = app
        .send_json(
            reqwest::Method::POST,
            "/tenants/springfield/cases",
            &serde_json::json!({"category": "graffiti", "title": "Graffiti on the bridge",
                "text": "Fresh graffiti on the wall of the underpass.", "attributes": {"surface": ["bridge"]}}),
        )
        .await;
    assert_eq!(status, 201);
    let after = scrape().await;
    let submitted = r#"minsheng_cases_submitted_total{tenant="springfield"}"#;
    assert_eq!(value(&after, submitted) - value(&before, submitted), 1.0);
    let route = r#"minsheng_http_requests_total{route="/api/v1/tenants/{tenant}/cases",method="POST",status="201",tenant="springfield"}"#;
    assert_eq!(
        value(&after, route) - value(&before, route),
        1.0,
        "{after:?}"
    );
    assert!(
        value(&after, "minsheng_due_work_pending") >= 1.0,
        "its first escalation step waits"
    );
    // The database pool: connections in use are at most those open, which
    // are at most the pool's limit.
    let (open, idle, max) = (
        value(&after, "minsheng_db_pool_connections"),
        value(&after, "minsheng_db_pool_idle"),
        value(&after, "minsheng_db_pool_max"),
    );
    assert!(
        open >= 1.0 && idle <= open && open <= max && max >= 1.0,
        "{open} {idle} {max}"
    );
    // Never on the public listener.
    let public = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(public.status().as_u16(), 404);
}
on_both_backends!(metrics_count_a_submission);

/// A loopback round-robin in front of `backends` (`host:port`): each new
/// connection goes to the next one. Returns its URL and the connections
/// each backend got.
async fn round_robin(backends: Vec<String>) -> (String, Arc<Vec<std::sync::atomic::AtomicUsize>>) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let served: Arc<Vec<AtomicUsize>> =
        Arc::new(backends.iter().map(|_| AtomicUsize::new(0)).collect());
    let counts = served.clone();
    tokio::spawn(async move {
        let mut n = 0usize;
        loop {
            let Ok((mut inbound, _)) = listener.accept().await else {
                break;
            };
            let i = n % backends.len();
            n += 1;
            counts[i].fetch_add(1, Ordering::Relaxed);
            let target = backends[i].clone();
            tokio::spawn(async move {
                if let Ok(mut outbound) = tokio::net::TcpStream::connect(target).await {
                    let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                }
            });
        }
    });
    (url, served)
}

/// Three servers on one PostgreSQL database behind a round-robin: a
/// citizen and the city's staff go through their whole story with every
/// request landing on the next server. Sessions, cases, ratings and
/// statistics are the same whichever server answers; signing out ends the
/// session on all of them.
#[tokio::test]
async fn flows_across_three_replicas() {
    use reqwest::Method;
    use serde_json::{Value, json};
    use std::sync::atomic::Ordering;
    let first = spawn_app_with(Backend::Postgres, &[("MINSHENG_DEV_OPEN_ADMIN", "0")]).await;
    let second = crate::support::spawn_app_on(&first, &[("MINSHENG_DEV_OPEN_ADMIN", "0")]).await;
    let third = crate::support::spawn_app_on(&first, &[("MINSHENG_DEV_OPEN_ADMIN", "0")]).await;
    first
        .staff("daqing", "heat-admin", &["city-admin"], &[])
        .await;
    let backends = [&first, &second, &third]
        .iter()
        .map(|a| a.base.trim_start_matches("http://").to_owned())
        .collect();
    let (proxy, served) = round_robin(backends).await;
    // A new connection for every request: the next server each time.
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let api = |path: &str| format!("{proxy}/api/v1{path}");

    let resp = client
        .post(api("/auth/login"))
        .json(&json!({"tenant": "daqing", "username": "heat-admin", "password": crate::support::PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let cookie = resp.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let me: Value = resp.json().await.unwrap();
    let csrf = me["csrf_token"].as_str().unwrap().to_owned();
    let staff = |method: Method, path: String, body: Option<Value>| {
        let mut req = client
            .request(method, api(&path))
            .header("cookie", &cookie)
            .header("x-csrf-token", &csrf);
        if let Some(b) = body {
            req = req.json(&b);
        }
        async move {
            let resp = req.send().await.unwrap();
            (resp.status().as_u16(), resp.text().await.unwrap())
        }
    };

    let resp = client
        .post(api("/tenants/daqing/cases"))
        .json(&json!({
            "category": "heating-cold",
            "attributes": {"address_detail": ["东城领秀 C-22 栋 2 单元"], "indoor_temp": ["10-14"]},
            "title": "东城领秀C-22栋暖气不热",
            "text": "东城领秀小区C-22栋2单元，家里暖气一直不热，请尽快处理。",
            "public": true
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 201);
    let created: Value = resp.json().await.unwrap();
    let code = created["tracking_code"].as_str().unwrap().to_owned();
    let secret = created["secret"].as_str().unwrap().to_owned();
    let case = |s: &str| format!("/tenants/daqing/cases/{code}{s}");
    for (action, body) in [
        ("/accept", None),
        ("/assign", Some(json!({"lead": "rlgs"}))),
        ("/start", None),
        (
            "/answer",
            Some(json!({"text": "温控阀已更换，供热恢复正常。"})),
        ),
    ] {
        let (status, text) = staff(Method::POST, case(action), body).await;
        assert_eq!(status, 200, "{action}: {text}");
    }
    let resp = client
        .post(api(&case("/rating")))
        .header("x-case-secret", &secret)
        .json(&json!({"rating": "satisfied"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    // Every server tells the same story.
    for _ in 0..3 {
        let public: Value = client
            .get(api(&case("")))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(public["case"]["state"], "closed", "{public}");
        assert_eq!(public["case"]["rating"], "satisfied");
        let stats: Value = client
            .get(api("/tenants/daqing/stats"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(
            (stats["received"].as_i64(), stats["answered"].as_i64()),
            (Some(1), Some(1)),
            "{stats}"
        );
    }
    // Signed out through one server: refused by all three.
    let (status, _) = staff(Method::POST, "/auth/logout".into(), None).await;
    assert_eq!(status, 204);
    for _ in 0..3 {
        let (status, _) = staff(Method::GET, "/tenants/daqing/inbox".into(), None).await;
        assert_eq!(status, 401);
    }
    let counts: Vec<usize> = served.iter().map(|c| c.load(Ordering::Relaxed)).collect();
    println!("three replicas: connections per server {counts:?}");
    assert!(
        counts.iter().all(|&n| n >= 5),
        "every server took part: {counts:?}"
    );
}

/// On SIGTERM the server first reports itself unready (so a load balancer
/// stops sending it requests), keeps answering for the configured delay,
/// then stops and exits cleanly.
async fn unready_before_stopping(backend: Backend) {
    let mut app = spawn_app_with(backend, &[("MINSHENG_SHUTDOWN_DELAY_SECS", "3")]).await;
    let ready = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status().as_u16(), 200);
    app.sigterm().await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let ready = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status().as_u16(), 503);
    let body: serde_json::Value = ready.json().await.unwrap();
    assert_eq!(body["reason"], "shutting down");
    // Still serving meanwhile.
    let health = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status().as_u16(), 200);
    let (status, _) = app.get_json("/tenants/daqing/stats").await;
    assert_eq!(status, 200);
    assert!(app.wait_exit().await, "a clean exit");
}
on_both_backends!(unready_before_stopping);
