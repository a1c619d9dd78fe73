//! Logs, traces and OpenTelemetry export.
//!
//! Logs are human-readable lines by default and JSON lines when configured;
//! the level comes from `MINSHENG_LOG` (an `EnvFilter` directive). Every
//! request runs in a span carrying its route template, city, status and
//! trace id, so each log line can be joined to its trace.
//!
//! Traces go to an OpenTelemetry collector over OTLP (HTTP/protobuf) when
//! `otel_endpoint` (`MINSHENG_OTEL_ENDPOINT`) or the standard
//! `OTEL_EXPORTER_OTLP_ENDPOINT` is set; nothing is exported by default.
//! Spans never carry personal data: no query strings, no case text, no
//! names, addresses or client IPs.

pub mod context;
pub mod export;
pub mod request;
pub mod tenant;

pub use request::log_request;

use minsheng_app::config::{Config, LogFormat};
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing::Subscriber;
use tracing_subscriber::filter::{EnvFilter, FilterFn};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{Layer, Registry};

/// Log lines when `MINSHENG_LOG` is not set.
const DEFAULT_LOG: &str = "info,sqlx=warn,sea_orm=warn";

/// What was started, to flush and stop at exit.
#[derive(Default)]
pub struct Telemetry {
    traces: Option<SdkTracerProvider>,
    metrics: Option<opentelemetry_sdk::metrics::SdkMeterProvider>,
}

impl Telemetry {
    /// Whether spans are exported.
    pub fn exporting(&self) -> bool {
        self.traces.is_some()
    }

    /// The meter provider, when metrics are exported over OTLP.
    pub fn meter_provider(&self) -> Option<&opentelemetry_sdk::metrics::SdkMeterProvider> {
        self.metrics.as_ref()
    }

    /// Send what is buffered and stop the exporters.
    pub fn shutdown(&self) {
        if let Some(traces) = &self.traces {
            if let Err(e) = traces.force_flush() {
                eprintln!("could not flush traces: {e}");
            }
            let _ = traces.shutdown();
        }
        if let Some(metrics) = &self.metrics {
            let _ = metrics.force_flush();
            let _ = metrics.shutdown();
        }
    }
}

pub use minsheng_app::trace::exporting;

/// Install the log subscriber and, when `export` is set and an endpoint is
/// configured, the OTLP exporters. A second call (tests run the server
/// more than once in a process) keeps the first subscriber.
pub fn init(config: &Config, export: bool) -> anyhow::Result<Telemetry> {
    opentelemetry::global::set_text_map_propagator(
        opentelemetry_sdk::propagation::TraceContextPropagator::new(),
    );
    let endpoint = export.then(|| export::Endpoint::of(config)).flatten();
    let telemetry = match &endpoint {
        Some(endpoint) => Telemetry {
            traces: Some(export::tracer_provider(endpoint)?),
            metrics: Some(export::meter_provider(endpoint)?),
        },
        None => Telemetry::default(),
    };
    minsheng_app::trace::set_exporting(telemetry.exporting());
    let _ = subscriber(
        config.log_format,
        telemetry.traces.as_ref(),
        std::io::stderr,
    )
    .try_init();
    if let Some(endpoint) = &endpoint {
        tracing::info!(endpoint = %endpoint, "exporting traces and metrics over OTLP");
    }
    Ok(telemetry)
}

/// What the OpenTelemetry layer takes: spans at `info` and above, except
/// the opening of a transaction (it takes no time worth a span; its
/// queries and its commit, the flush, are kept); events at `warn` and above.
fn exported(meta: &tracing::Metadata<'_>) -> bool {
    if meta.is_span() {
        *meta.level() <= tracing::Level::INFO && meta.name() != "sea_orm.begin"
    } else {
        *meta.level() <= tracing::Level::WARN
    }
}

/// The subscriber: log lines (to `lines_to`) filtered by `MINSHENG_LOG`,
/// and with a tracer provider, spans (service, database and plugin calls)
/// and warnings sent to OpenTelemetry.
pub fn subscriber<W>(
    format: LogFormat,
    traces: Option<&SdkTracerProvider>,
    lines_to: W,
) -> impl Subscriber + Send + Sync + for<'a> LookupSpan<'a>
where
    W: for<'w> tracing_subscriber::fmt::MakeWriter<'w> + Send + Sync + 'static,
{
    let filter =
        EnvFilter::try_from_env("MINSHENG_LOG").unwrap_or_else(|_| EnvFilter::new(DEFAULT_LOG));
    let lines = tracing_subscriber::fmt::layer().with_writer(lines_to);
    let lines: Box<dyn Layer<Registry> + Send + Sync> = match format {
        LogFormat::Text => lines.boxed(),
        // One object per line; the request span's fields (route, city,
        // trace id) ride along on every line logged inside it.
        LogFormat::Json => lines
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .boxed(),
    };
    let spans = traces.map(|provider| {
        tracing_opentelemetry::layer()
            .with_tracer(provider.tracer("minsheng"))
            .with_tracked_inactivity(false)
            .with_location(false)
            .with_threads(false)
            // Decided by the call site alone (FilterFn caches the answer per
            // call site): a span no layer wants is never made at all.
            .with_filter(FilterFn::new(exported).with_max_level_hint(tracing::Level::INFO))
            .and_then(tenant::Inherit)
    });
    tracing_subscriber::registry()
        .with(lines.with_filter(filter))
        .with(spans)
}
