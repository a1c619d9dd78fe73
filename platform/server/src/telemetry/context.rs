//! W3C trace context (`traceparent`) read from incoming requests, so a
//! caller's trace continues here. Keeping and sending it is
//! `minsheng_app::trace`.

use opentelemetry::propagation::{Extractor, TextMapPropagator};
use opentelemetry_sdk::propagation::TraceContextPropagator;

pub use minsheng_app::trace::{from_traceparent, trace_id_of, traceparent, traceparent_of};

struct Headers<'a>(&'a poem::http::HeaderMap);

impl Extractor for Headers<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(|k| k.as_str()).collect()
    }
}

/// The caller's trace, from `traceparent`/`tracestate` (an empty context
/// when absent or malformed: the request starts a new trace).
pub fn incoming(headers: &poem::http::HeaderMap) -> opentelemetry::Context {
    TraceContextPropagator::new().extract(&Headers(headers))
}
