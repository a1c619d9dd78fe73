//! The request span: one server span per request, named by its route
//! template (`POST /api/v1/tenants/{tenant}/cases`), never the raw URL: a
//! path may hold a tracking code and a query string a case secret. It
//! carries the method, route, city, status and trace id; the client's
//! address and every header but the trace context stay out.

use super::context;
use crate::http_metrics::route_of;
use poem::IntoResponse;
use tracing::Instrument;
use tracing::field::Empty;
use tracing_opentelemetry::OpenTelemetrySpanExt;

pub use minsheng_app::trace::TENANT;

/// Run the request in its span; log its status and duration at the end.
pub async fn log_request<E: poem::Endpoint>(
    ep: std::sync::Arc<E>,
    req: poem::Request,
) -> poem::Result<poem::Response> {
    let (route, tenant) = route_of(req.uri().path());
    let method = req.method().as_str().to_owned();
    let span = tracing::info_span!(
        "request",
        otel.name = %format!("{method} {route}"),
        otel.kind = "server",
        otel.status_code = Empty,
        http.request.method = %method,
        http.route = Empty,
        http.response.status_code = Empty,
        minsheng.tenant = Empty,
        trace_id = Empty,
    );
    if !tenant.is_empty() {
        span.record(TENANT, tenant.as_str());
    }
    // Continue the caller's trace. With traces off the span has no
    // context of its own, and the log lines carry the caller's trace id.
    let parent = context::incoming(req.headers());
    span.set_parent(parent.clone());
    if let Some(id) =
        context::trace_id_of(&span.context()).or_else(|| context::trace_id_of(&parent))
    {
        span.record("trace_id", id.as_str());
    }
    let inner = span.clone();
    async move {
        let started = std::time::Instant::now();
        let result = ep.call(req).await.map(IntoResponse::into_response);
        let ms = started.elapsed().as_secs_f64() * 1e3;
        let status = match &result {
            Ok(resp) => resp.status(),
            Err(e) => e.status(),
        };
        inner.record("http.response.status_code", status.as_u16());
        if status.is_server_error() {
            inner.record("otel.status_code", "ERROR");
        }
        tracing::info!(status = status.as_u16(), ms, "response");
        result
    }
    .instrument(span)
    .await
}

/// Name the request's span after the route the application resolved.
/// `rewritten`: a city's own host name was rewritten to its `/t/{tenant}`
/// path, so the name and city change; `unmatched` paths are one name.
pub fn resolved(method: &str, route: &str, tenant: &str, rewritten: bool) {
    let span = tracing::Span::current();
    span.record("http.route", route);
    if rewritten || route == crate::http_metrics::UNMATCHED {
        span.record("otel.name", format!("{method} {route}"));
    }
    if rewritten && !tenant.is_empty() {
        span.record(TENANT, tenant);
    }
}
