//! Logging. Human-readable lines by default, JSON lines when configured;
//! the level comes from `MINSHENG_LOG` (an `EnvFilter` directive). Each
//! request is logged with its method, path and status, never its query
//! string: a citizen's bookmark link carries the case secret there.

use crate::config::LogFormat;
use tracing_subscriber::EnvFilter;

pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_env("MINSHENG_LOG")
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    // A second init (tests call `run` more than once) keeps the first one.
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}

/// Log each request in a span: method and path (no query), then status
/// and duration.
pub async fn log_request<E: poem::Endpoint>(
    ep: std::sync::Arc<E>,
    req: poem::Request,
) -> poem::Result<poem::Response> {
    use poem::IntoResponse;
    use tracing::Instrument;
    let span = tracing::info_span!(
        "request",
        method = %req.method(),
        path = %req.original_uri().path(),
    );
    async move {
        let started = std::time::Instant::now();
        let result = ep.call(req).await.map(IntoResponse::into_response);
        let ms = started.elapsed().as_secs_f64() * 1e3;
        match &result {
            Ok(resp) => tracing::info!(status = resp.status().as_u16(), ms, "response"),
            Err(e) => tracing::info!(status = e.status().as_u16(), ms, "response"),
        }
        result
    }
    .instrument(span)
    .await
}
