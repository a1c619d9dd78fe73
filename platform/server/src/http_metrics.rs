//! Counting and timing every request for `/metrics` (the counters
//! themselves are `minsheng_app::metrics`): requests are named by route
//! template, ids, tracking codes and city slugs replaced by placeholders,
//! so the number of series stays bounded. No personal data is ever a
//! label.

use crate::app::ServerState;
use poem::http::StatusCode;
use poem::{Endpoint, IntoResponse, Request, Response};
use std::sync::Arc;
use std::time::Instant;

/// The route name of every path no route matched.
pub const UNMATCHED: &str = "unmatched";

/// The route template of a path and the city it names: ids, tracking
/// codes, dates and slugs become placeholders.
pub fn route_of(path: &str) -> (String, String) {
    let segments: Vec<&str> = path.split('/').collect();
    let mut tenant = String::new();
    let mut out = Vec::with_capacity(segments.len());
    for (i, s) in segments.iter().enumerate() {
        let previous = if i > 0 { segments[i - 1] } else { "" };
        let placeholder = if (previous == "t" && i == 2) || (previous == "tenants" && i == 4) {
            tenant = (*s).to_owned();
            Some("{tenant}")
        } else if uuid::Uuid::parse_str(s).is_ok() {
            Some("{id}")
        } else if minsheng_domain::case::normalize_tracking_code(s).is_some() && s.len() >= 12 {
            Some("{code}")
        } else if chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok() {
            Some("{date}")
        } else if previous == "departments" || previous == "roles" || previous == "static" {
            Some("{name}")
        } else {
            None
        };
        out.push(placeholder.map_or_else(|| (*s).to_owned(), str::to_owned));
    }
    let route = out.join("/");
    // Open311 and anything unmatched keep a bounded set of names.
    let route = if route.starts_with("/open311/") {
        "/open311/v2/*".to_owned()
    } else {
        route
    };
    (route, tenant)
}

/// The middleware: count and time every request (after city host names
/// were rewritten, so a city's pages are counted under their city).
pub async fn record<E: Endpoint>(ep: Arc<E>, req: Request) -> poem::Result<Response> {
    let Some(state) = req.data::<ServerState>().cloned() else {
        return ep.call(req).await.map(IntoResponse::into_response);
    };
    let (route, tenant) = route_of(req.uri().path());
    // A city's own host name was rewritten to its `/t/{tenant}` path.
    let rewritten = req.extensions().get::<crate::web::site::ByHost>().is_some();
    let method = req.method().as_str().to_owned();
    let started = Instant::now();
    let result = ep.call(req).await.map(IntoResponse::into_response);
    let status = match &result {
        Ok(r) => r.status(),
        Err(e) => e.status(),
    };
    // Unmatched paths are one series, not one per path a scanner tries.
    let route = if status == StatusCode::NOT_FOUND && !route.contains('{') {
        UNMATCHED.to_owned()
    } else {
        route
    };
    crate::telemetry::request::resolved(&method, &route, &tenant, rewritten);
    state.metrics.count(
        "minsheng_http_requests_total",
        vec![
            ("route", route.clone()),
            ("method", method.clone()),
            ("status", status.as_u16().to_string()),
            ("tenant", tenant),
        ],
    );
    state.metrics.observe_request(
        route,
        method,
        status.as_u16(),
        started.elapsed().as_secs_f64(),
    );
    result
}

#[cfg(test)]
mod tests {
    use super::route_of;

    #[test]
    fn routes_are_templates() {
        assert_eq!(
            route_of("/api/v1/tenants/daqing/cases/ABCD-EFGH-JKLM/answer"),
            (
                "/api/v1/tenants/{tenant}/cases/{code}/answer".into(),
                "daqing".into()
            )
        );
        assert_eq!(
            route_of("/t/springfield/answers"),
            ("/t/{tenant}/answers".into(), "springfield".into())
        );
        assert_eq!(
            route_of("/api/v1/tenants/daqing/departments/01a2b3c4-0000-7000-8000-000000000000").0,
            "/api/v1/tenants/{tenant}/departments/{id}"
        );
        assert_eq!(route_of("/open311/v2/requests.json").0, "/open311/v2/*");
    }
}
