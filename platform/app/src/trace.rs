//! What the services need of tracing, without a transport: the city's
//! span attribute, whether this process exports telemetry, and W3C trace
//! context (`traceparent`) kept with queued messages and sent on webhook
//! calls so the receiver's trace continues ours. The server sets up the
//! subscriber and the exporters and reads `traceparent` from requests.

use opentelemetry::propagation::TextMapPropagator;
use opentelemetry::trace::TraceContextExt;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use tracing_opentelemetry::OpenTelemetrySpanExt;

/// The span attribute naming the city (its slug) on every span.
pub const TENANT: &str = "minsheng.tenant";

/// Set once telemetry is exported, for code that records only then.
static EXPORTING: AtomicBool = AtomicBool::new(false);

/// Whether this process exports traces and metrics over OTLP.
pub fn exporting() -> bool {
    EXPORTING.load(Ordering::Relaxed)
}

/// Called by the server when it installs (or does not install) its
/// exporters.
pub fn set_exporting(on: bool) {
    EXPORTING.store(on, Ordering::Relaxed);
}

/// The trace id of a context, when it has a valid one.
pub fn trace_id_of(cx: &opentelemetry::Context) -> Option<String> {
    let span = cx.span();
    let sc = span.span_context();
    sc.is_valid().then(|| sc.trace_id().to_string())
}

/// The `traceparent` of `cx`, when it has a valid span.
pub fn traceparent_of(cx: &opentelemetry::Context) -> Option<String> {
    let mut headers = HashMap::new();
    TraceContextPropagator::new().inject_context(cx, &mut headers);
    headers.remove("traceparent")
}

/// The `traceparent` of the current span (None when traces are off).
pub fn traceparent() -> Option<String> {
    traceparent_of(&tracing::Span::current().context())
}

/// The context a stored `traceparent` names, to continue its trace.
pub fn from_traceparent(value: &str) -> opentelemetry::Context {
    let headers = HashMap::from([("traceparent".to_owned(), value.to_owned())]);
    TraceContextPropagator::new().extract(&headers)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traceparent_round_trips_and_junk_is_ignored() {
        let value = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        let cx = from_traceparent(value);
        assert_eq!(
            trace_id_of(&cx).as_deref(),
            Some("4bf92f3577b34da6a3ce929d0e0e4736")
        );
        assert_eq!(traceparent_of(&cx).as_deref(), Some(value));
        for junk in [
            "",
            "00-zz-00f067aa0ba902b7-01",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
        ] {
            assert_eq!(trace_id_of(&from_traceparent(junk)), None, "{junk:?}");
        }
    }
}
