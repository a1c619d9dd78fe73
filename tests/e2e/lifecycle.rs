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
    // Never on the public listener.
    let public = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(public.status().as_u16(), 404);
}
on_both_backends!(metrics_count_a_submission);
