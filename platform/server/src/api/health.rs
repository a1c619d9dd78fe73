//! Liveness and readiness probes.

use crate::app::ServerState;
use poem::http::StatusCode;
use poem::web::{Data, Json};
use poem::{IntoResponse, Response, handler};

/// The process is up.
#[handler]
pub fn healthz() -> Json<serde_json::Value> {
    Json(serde_json::json!({ "status": "ok" }))
}

/// The database answers and its schema is the one this binary expects.
#[handler]
pub async fn readyz(state: Data<&ServerState>) -> Response {
    if state.draining.load(std::sync::atomic::Ordering::Relaxed) {
        return unready("shutting down");
    }
    if let Err(e) = state.store.ping().await {
        tracing::warn!(error = %e, "database not reachable");
        return unready("database not reachable");
    }
    match state.store.pending_migrations().await {
        Ok(pending) if pending.is_empty() => {
            Json(serde_json::json!({ "status": "ready" })).into_response()
        }
        Ok(pending) => unready(&format!(
            "{} migration(s) pending; run `minsheng migrate`",
            pending.len()
        )),
        Err(e) => {
            tracing::warn!(error = %e, "cannot read migrations");
            unready("cannot read the schema version")
        }
    }
}

fn unready(reason: &str) -> Response {
    Json(serde_json::json!({ "status": "unready", "reason": reason }))
        .with_status(StatusCode::SERVICE_UNAVAILABLE)
        .into_response()
}
