//! Traces, seen through OpenTelemetry's in-memory span exporter: the whole
//! application in this process on a real SQLite file, the subscriber the
//! server installs, and requests a citizen and a scanner send.
//!
//! One server span per request, named by the route template, carrying the
//! city and the status; the caller's W3C trace continues; the service,
//! commit and database spans below it carry the city too; and no personal
//! data (names, phone numbers, text, secrets, tracking codes) appears in
//! any span name, attribute or event.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use minsheng_app::bundle;
use minsheng_app::config::{Config, LogFormat};
use minsheng_server::app::{ServerState, build};
use minsheng_store::Store;
use opentelemetry::trace::{SpanKind, Status};
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider, SpanData};
use poem::test::TestClient;
use std::sync::{Arc, Mutex};

const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const CALLER_SPAN: &str = "00f067aa0ba902b7";

/// Where the JSON log lines go.
#[derive(Clone, Default)]
struct Lines(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Lines {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Lines {
    type Writer = Lines;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

fn attribute(span: &SpanData, key: &str) -> Option<String> {
    span.attributes
        .iter()
        .find(|kv| kv.key.as_str() == key)
        .map(|kv| kv.value.as_str().into_owned())
}

/// Everything a span says, to search for personal data.
fn everything(span: &SpanData) -> String {
    let mut all = span.name.to_string();
    for kv in &span.attributes {
        all.push_str(&format!(" {}={}", kv.key, kv.value.as_str()));
    }
    for event in span.events.iter() {
        all.push_str(&format!(" event {}", event.name));
        for kv in &event.attributes {
            all.push_str(&format!(" {}={}", kv.key, kv.value.as_str()));
        }
    }
    all
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_server_span_per_request_named_by_route_with_city_and_status_and_no_personal_data() {
    let exporter = InMemorySpanExporter::default();
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(exporter.clone())
        .build();
    let lines = Lines::default();
    tracing::subscriber::set_global_default(minsheng_server::telemetry::subscriber(
        LogFormat::Json,
        Some(&provider),
        lines.clone(),
    ))
    .expect("the only subscriber of this test binary");

    let dir = tempfile::tempdir().unwrap();
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("minsheng.db").display()
    );
    let store = Store::connect(&url).await.unwrap();
    store.migrate().await.unwrap();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tenants");
    for city in ["daqing", "springfield"] {
        let bundle = bundle::format::Bundle::read(&root.join(city)).unwrap();
        bundle::apply::apply(&store, &bundle, false).await.unwrap();
    }
    let config = Config {
        data_dir: dir.path().to_owned(),
        plugin_cache_dir: Some(dir.path().join("plugin-cache")),
        ..Config::default()
    };
    let state = ServerState::new(config, store).await.unwrap();
    let client = TestClient::new(build(state));

    // Spans of setting up are not what this test is about.
    provider.force_flush().unwrap();
    exporter.reset();

    // 1. A citizen submits a complaint, inside a caller's trace.
    let name = "王秀英";
    let phone = "13912345678";
    let email = "wang.xiuying@example.cn";
    let title = "龙凤区暖气不热已经三天";
    let text = "我家住在东城领秀C-22栋，暖气片冰凉，孩子生病了。";
    let resp = client
        .post("/api/v1/tenants/daqing/cases")
        .header(
            "traceparent",
            format!("00-{TRACE_ID}-{CALLER_SPAN}-01").as_str(),
        )
        .body_json(&serde_json::json!({
            "category": "heating-cold",
            "attributes": {"address_detail": ["东城领秀 C-22 栋 2 单元"], "indoor_temp": ["10-14"]},
            "title": title,
            "text": text,
            "address": "龙凤区东城领秀 C-22 栋 2 单元",
            "contact_name": name,
            "contact_phone": phone,
            "contact_email": email,
        }))
        .send()
        .await;
    resp.assert_status(poem::http::StatusCode::CREATED);
    let created: serde_json::Value = resp.json().await.value().deserialize();
    let code = created["tracking_code"].as_str().unwrap().to_owned();
    let secret = created["secret"].as_str().unwrap().to_owned();

    // 2. The citizen follows it with the secret in the query string.
    let resp = client
        .get(format!("/t/daqing/track?code={code}&secret={secret}"))
        .send()
        .await;
    resp.assert_status_is_ok();
    // 3. … and through the API, the secret in a header.
    let resp = client
        .get(format!("/api/v1/tenants/daqing/cases/{code}"))
        .header("x-case-secret", secret.as_str())
        .send()
        .await;
    resp.assert_status_is_ok();
    // 4. Another city's home page, by its own host name.
    let resp = client
        .get("/")
        .header("host", "springfield.localhost")
        .send()
        .await;
    resp.assert_status_is_ok();
    // 5. A scanner's guess.
    let resp = client.get("/wp-login.php?user=admin").send().await;
    resp.assert_status(poem::http::StatusCode::NOT_FOUND);

    // A span is exported when its last holder lets go: work a request
    // started in the background (the group commit, a view count) may
    // close it a little after the response. Wait for the five, briefly.
    let mut spans = Vec::new();
    for _ in 0..250 {
        provider.force_flush().unwrap();
        spans = exporter.get_finished_spans().unwrap();
        if spans
            .iter()
            .filter(|s| s.span_kind == SpanKind::Server)
            .count()
            >= 5
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let servers: Vec<&SpanData> = spans
        .iter()
        .filter(|s| s.span_kind == SpanKind::Server)
        .collect();
    let summary: Vec<_> = servers
        .iter()
        .map(|s| {
            (
                s.name.to_string(),
                attribute(s, "minsheng.tenant"),
                attribute(s, "http.response.status_code"),
            )
        })
        .collect();
    let expected = [
        ("POST /api/v1/tenants/{tenant}/cases", Some("daqing"), "201"),
        ("GET /t/{tenant}/track", Some("daqing"), "200"),
        (
            "GET /api/v1/tenants/{tenant}/cases/{code}",
            Some("daqing"),
            "200",
        ),
        ("GET /t/{tenant}/", Some("springfield"), "200"),
        ("GET unmatched", None, "404"),
    ];
    assert_eq!(
        summary.len(),
        expected.len(),
        "one server span per request: {summary:#?}"
    );
    for ((span, (name, tenant, status)), data) in summary.iter().zip(expected).zip(&servers) {
        assert_eq!(span.0, name, "{summary:#?}");
        assert_eq!(
            attribute(data, "http.route").as_deref(),
            name.split_once(' ').map(|(_, route)| route),
            "{:?}",
            data.attributes
        );
        assert_eq!(span.1.as_deref(), tenant, "{summary:#?}");
        assert_eq!(span.2.as_deref(), Some(status), "{summary:#?}");
    }
    for s in &servers {
        assert_eq!(s.status, Status::Unset, "no request failed: {s:?}");
        assert!(
            attribute(s, "http.request.method").is_some(),
            "{:?}",
            s.attributes
        );
    }

    // The submission continued the caller's trace, and what ran for it
    // (the service, the group commit, the database calls) is in that
    // trace and names the city.
    let submission = servers[0];
    assert_eq!(
        submission.span_context.trace_id().to_string(),
        TRACE_ID,
        "the caller's trace continues"
    );
    assert_eq!(submission.parent_span_id.to_string(), CALLER_SPAN);
    let in_trace: Vec<&SpanData> = spans
        .iter()
        .filter(|s| s.span_context.trace_id().to_string() == TRACE_ID)
        .collect();
    let names: Vec<_> = in_trace.iter().map(|s| s.name.to_string()).collect();
    assert!(names.iter().any(|n| n == "intake.submit"), "{names:?}");
    assert!(names.iter().any(|n| n == "group_commit"), "{names:?}");
    let database: Vec<_> = in_trace
        .iter()
        .filter(|s| attribute(s, "db.system").as_deref() == Some("sqlite"))
        .collect();
    assert!(!database.is_empty(), "database calls are traced: {names:?}");
    for s in &in_trace {
        assert_eq!(
            attribute(s, "minsheng.tenant").as_deref(),
            Some("daqing"),
            "every span of the submission names the city: {} {:?}",
            s.name,
            s.attributes
        );
    }

    // Each request's log line is JSON and carries its trace id, so it can
    // be joined to its trace; nor do the lines give away personal data.
    let logged = String::from_utf8(lines.0.lock().unwrap().clone()).unwrap();
    let responses: Vec<serde_json::Value> = logged
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("a JSON line"))
        .filter(|l| l["fields"]["message"] == "response")
        .collect();
    assert_eq!(responses.len(), expected.len(), "{logged}");
    assert_eq!(responses[0]["span"]["trace_id"], TRACE_ID, "{logged}");
    assert_eq!(responses[0]["fields"]["status"], 201, "{logged}");
    for (line, span) in responses.iter().zip(&servers) {
        assert_eq!(
            line["span"]["trace_id"],
            span.span_context.trace_id().to_string(),
            "{line}"
        );
    }
    // What must never be told: the citizen's name, phone, email, title and
    // text, the case secret, the tracking code (a case's key), the
    // scanner's query.
    let private = [
        name,
        phone,
        email,
        title,
        text,
        &secret,
        &code,
        "user=admin",
    ];
    for p in private {
        assert!(!logged.contains(p), "the log gives away {p:?}");
    }

    // Nor any span.
    for s in &spans {
        let said = everything(s);
        for private in private {
            assert!(
                !said.contains(private),
                "span {} gives away {private:?}: {said}",
                s.name
            );
        }
    }
}
