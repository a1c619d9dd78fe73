//! Telemetry leaves the process: with `MINSHENG_OTEL_ENDPOINT` set, spans
//! and metrics reach an OpenTelemetry collector (a real OTLP/HTTP receiver
//! on loopback); a staff action continues its caller's trace, and the
//! webhook call it causes (sent later by the worker) continues it again
//! with a W3C `traceparent` header.

use crate::on_both_backends;
use crate::otlp;
use crate::support::{Backend, spawn_app_with};
use reqwest::Method;
use serde_json::json;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const TRACE_ID: &str = "0af7651916cd43dd8448eb211c80319c";
const CALLER_SPAN: &str = "b7ad6b7169203331";

/// A webhook receiver that keeps the `traceparent` of each call.
async fn hook_receiver() -> (String, Arc<Mutex<Vec<String>>>) {
    use poem::{EndpointExt, Route, handler, post};
    type Seen = Arc<Mutex<Vec<String>>>;
    #[handler]
    fn hook(req: &poem::Request, poem::web::Data(seen): poem::web::Data<&Seen>) -> &'static str {
        let parent = req
            .headers()
            .get("traceparent")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        seen.lock().unwrap().push(parent);
        "ok"
    }
    let seen = Seen::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let acceptor = poem::listener::TcpAcceptor::from_tokio(listener).unwrap();
    let app = Route::new().at("/hook", post(hook)).data(seen.clone());
    tokio::spawn(poem::Server::new_with_acceptor(acceptor).run(app));
    (url, seen)
}

async fn traces_reach_a_collector_and_continue_into_webhooks(backend: Backend) {
    let (collector, received) = otlp::start().await;
    let app = spawn_app_with(
        backend,
        &[
            ("MINSHENG_OTEL_ENDPOINT", collector.as_str()),
            ("OTEL_BSP_SCHEDULE_DELAY", "100"),
            ("OTEL_METRIC_EXPORT_INTERVAL", "300"),
            ("MINSHENG_WORKER_POLL_MS", "200"),
        ],
    )
    .await;
    app.staff("daqing", "boss", &["city-admin"], &[]).await;
    let boss = app.login_ok(Some("daqing"), "boss").await;
    let (url, calls) = hook_receiver().await;
    let (status, _) = app
        .call(
            &boss,
            Method::POST,
            "/tenants/daqing/webhooks",
            Some(&json!({"url": url, "events": ["case.accepted"]})),
        )
        .await;
    assert_eq!(status, 201);
    let (status, created) = app
        .send_json(
            Method::POST,
            "/tenants/daqing/cases",
            &json!({
                "category": "heating-cold",
                "attributes": {"address_detail": ["让胡路区 银浪小区 5 号楼"], "indoor_temp": ["below-10"]},
                "title": "暖气不热",
                "text": "家里暖气一直不热，室温只有十度左右。",
                "contact_phone": "13811112222",
            }),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let code = created["tracking_code"].as_str().unwrap();

    // The staff action, inside the caller's trace.
    let resp = app
        .client
        .post(app.api(&format!("/tenants/daqing/cases/{code}/accept")))
        .header("cookie", boss.cookie.clone().unwrap())
        .header("x-csrf-token", boss.csrf.clone().unwrap())
        .header("traceparent", format!("00-{TRACE_ID}-{CALLER_SPAN}-01"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);

    // The worker delivers the webhook; the exporters send in the background.
    let deadline = Instant::now() + Duration::from_secs(30);
    let done = |r: &otlp::Received| {
        r.spans
            .iter()
            .any(|s| s.name == "deliver webhook" && s.trace_id == TRACE_ID)
            && r.metrics
                .iter()
                .any(|m| m == "minsheng_http_requests_total")
    };
    while Instant::now() < deadline
        && (calls.lock().unwrap().is_empty() || !done(&received.lock().unwrap()))
    {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let received = received.lock().unwrap();
    let calls = calls.lock().unwrap().clone();
    assert_eq!(calls.len(), 1, "one webhook call: {calls:?}");

    // The accept's server span continues the caller's trace.
    let accept = received
        .spans
        .iter()
        .find(|s| s.kind == 2 && s.trace_id == TRACE_ID)
        .unwrap_or_else(|| panic!("no server span in the caller's trace"));
    assert_eq!(
        accept.name,
        "POST /api/v1/tenants/{tenant}/cases/{code}/accept"
    );
    assert_eq!(accept.parent_span_id, CALLER_SPAN);
    assert_eq!(accept.attribute("minsheng.tenant"), Some("daqing"));
    assert_eq!(accept.attribute("http.response.status_code"), Some("200"));
    assert_eq!(accept.service, "minsheng");

    // The delivery is in the same trace, names the city, and the receiver
    // got the delivery's own span as its parent.
    let deliver = received
        .spans
        .iter()
        .find(|s| s.name == "deliver webhook" && s.trace_id == TRACE_ID)
        .unwrap_or_else(|| {
            let names: Vec<_> = received.spans.iter().map(|s| &s.name).collect();
            panic!("no delivery span in the trace: {names:?}")
        });
    assert_eq!(deliver.kind, 3, "a client span");
    assert_eq!(deliver.attribute("minsheng.tenant"), Some("daqing"));
    let parts: Vec<&str> = calls[0].split('-').collect();
    assert_eq!(parts.len(), 4, "a traceparent: {:?}", calls[0]);
    assert_eq!(parts[1], TRACE_ID, "the webhook call continues the trace");
    assert_eq!(parts[2], deliver.span_id);

    // The submission's own trace, and no personal data in any span.
    assert!(
        received
            .spans
            .iter()
            .any(|s| s.kind == 2 && s.name == "POST /api/v1/tenants/{tenant}/cases")
    );
    for s in &received.spans {
        let all = format!("{} {:?}", s.name, s.attributes);
        for private in ["13811112222", "暖气不热", code] {
            assert!(!all.contains(private), "{all}");
        }
    }
    // Metrics went too.
    for name in [
        "minsheng_http_requests_total",
        "minsheng_http_request_duration_seconds",
        "minsheng_db_pool_connections",
    ] {
        assert!(
            received.metrics.iter().any(|m| m == name),
            "{name} not exported: {:?}",
            received.metrics
        );
    }
}
on_both_backends!(traces_reach_a_collector_and_continue_into_webhooks);
