//! An OpenTelemetry collector's OTLP/HTTP receiver on loopback, for tests
//! and the telemetry benchmark: it decodes what the server exports
//! (protobuf bodies on `/v1/traces` and `/v1/metrics`) and keeps the spans
//! and the names of the metrics.

#![allow(dead_code)]

use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value as AnyValue;
use poem::http::StatusCode;
use poem::web::Data;
use poem::{EndpointExt, Route, handler, post};
use prost::Message;
use std::sync::{Arc, Mutex};

/// One received span, flattened.
#[derive(Clone, Debug)]
pub struct Span {
    pub name: String,
    pub trace_id: String,
    pub span_id: String,
    pub parent_span_id: String,
    /// 2 is server, 3 client (the protobuf's `SpanKind`).
    pub kind: i32,
    pub attributes: Vec<(String, String)>,
    pub service: String,
}

impl Span {
    pub fn attribute(&self, key: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Default)]
pub struct Received {
    pub spans: Vec<Span>,
    pub metrics: Vec<String>,
    pub requests: u64,
    /// Spans received, kept or not.
    pub span_count: u64,
    /// Count the spans without keeping them (a benchmark's collector).
    pub count_only: bool,
}

pub type Store = Arc<Mutex<Received>>;

fn text(value: Option<&opentelemetry_proto::tonic::common::v1::AnyValue>) -> String {
    match value.and_then(|v| v.value.as_ref()) {
        Some(AnyValue::StringValue(s)) => s.clone(),
        Some(AnyValue::IntValue(i)) => i.to_string(),
        Some(AnyValue::BoolValue(b)) => b.to_string(),
        Some(AnyValue::DoubleValue(d)) => d.to_string(),
        Some(other) => format!("{other:?}"),
        None => String::new(),
    }
}

#[handler]
fn traces(body: bytes::Bytes, Data(store): Data<&Store>) -> (StatusCode, Vec<u8>) {
    let Ok(request) = ExportTraceServiceRequest::decode(body.as_ref()) else {
        return (StatusCode::BAD_REQUEST, Vec::new());
    };
    let mut received = store.lock().unwrap();
    received.requests += 1;
    if received.count_only {
        received.span_count += request
            .resource_spans
            .iter()
            .flat_map(|r| &r.scope_spans)
            .map(|s| s.spans.len() as u64)
            .sum::<u64>();
        return (StatusCode::OK, Vec::new());
    }
    for resource in request.resource_spans {
        let service = resource
            .resource
            .as_ref()
            .and_then(|r| r.attributes.iter().find(|kv| kv.key == "service.name"))
            .map(|kv| text(kv.value.as_ref()))
            .unwrap_or_default();
        for scope in resource.scope_spans {
            for span in scope.spans {
                received.span_count += 1;
                received.spans.push(Span {
                    name: span.name,
                    trace_id: hex(&span.trace_id),
                    span_id: hex(&span.span_id),
                    parent_span_id: hex(&span.parent_span_id),
                    kind: span.kind,
                    attributes: span
                        .attributes
                        .iter()
                        .map(|kv| (kv.key.clone(), text(kv.value.as_ref())))
                        .collect(),
                    service: service.clone(),
                });
            }
        }
    }
    (StatusCode::OK, Vec::new())
}

#[handler]
fn metrics(body: bytes::Bytes, Data(store): Data<&Store>) -> (StatusCode, Vec<u8>) {
    let Ok(request) = ExportMetricsServiceRequest::decode(body.as_ref()) else {
        return (StatusCode::BAD_REQUEST, Vec::new());
    };
    let mut received = store.lock().unwrap();
    received.requests += 1;
    for resource in request.resource_metrics {
        for scope in resource.scope_metrics {
            for metric in scope.metrics {
                if !received.metrics.contains(&metric.name) {
                    received.metrics.push(metric.name);
                }
            }
        }
    }
    (StatusCode::OK, Vec::new())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Start the receiver; returns its base address (for
/// `MINSHENG_OTEL_ENDPOINT`) and what it received.
pub async fn start() -> (String, Store) {
    start_with(Received::default()).await
}

/// A receiver that decodes every export but only counts the spans.
pub async fn start_counting() -> (String, Store) {
    start_with(Received {
        count_only: true,
        ..Received::default()
    })
    .await
}

async fn start_with(received: Received) -> (String, Store) {
    let store = Store::new(Mutex::new(received));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let acceptor = poem::listener::TcpAcceptor::from_tokio(listener).unwrap();
    let app = Route::new()
        .at("/v1/traces", post(traces))
        .at("/v1/metrics", post(metrics))
        .data(store.clone());
    tokio::spawn(poem::Server::new_with_acceptor(acceptor).run(app));
    (base, store)
}
