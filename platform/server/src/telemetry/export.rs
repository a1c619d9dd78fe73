//! OTLP export of traces and metrics (HTTP with protobuf bodies, the
//! collector's port 4318), batched on threads of their own so a slow or
//! absent collector never slows a request.

use minsheng_app::config::Config;
use opentelemetry_otlp::WithExportConfig;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::metrics::{PeriodicReader, SdkMeterProvider};
use opentelemetry_sdk::trace::SdkTracerProvider;
use std::time::Duration;

/// Where telemetry goes.
#[derive(Debug, Clone)]
pub enum Endpoint {
    /// `MINSHENG_OTEL_ENDPOINT`: the collector's base address; the signal
    /// paths (`/v1/traces`, `/v1/metrics`) are added.
    Base(String),
    /// Only the standard `OTEL_EXPORTER_OTLP_*` variables are set: the
    /// exporter reads them itself (endpoints, headers, timeouts).
    Standard,
}

impl Endpoint {
    pub fn of(config: &Config) -> Option<Self> {
        if let Some(base) = config.otel_endpoint.as_deref().map(str::trim)
            && !base.is_empty()
        {
            return Some(Self::Base(base.trim_end_matches('/').to_owned()));
        }
        let standard = [
            "OTEL_EXPORTER_OTLP_ENDPOINT",
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
        ];
        standard
            .iter()
            .any(|var| std::env::var(var).is_ok_and(|v| !v.trim().is_empty()))
            .then_some(Self::Standard)
    }

    fn signal(&self, path: &str) -> Option<String> {
        match self {
            Self::Base(base) => Some(format!("{base}{path}")),
            Self::Standard => None,
        }
    }
}

impl std::fmt::Display for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Base(base) => f.write_str(&minsheng_app::config::redact_url(base)),
            Self::Standard => f.write_str("OTEL_EXPORTER_OTLP_ENDPOINT"),
        }
    }
}

/// `service.name` is `minsheng` unless `OTEL_SERVICE_NAME` says otherwise;
/// `OTEL_RESOURCE_ATTRIBUTES` adds to it.
fn resource() -> Resource {
    let builder = Resource::builder();
    let builder = if std::env::var("OTEL_SERVICE_NAME").is_ok() {
        builder
    } else {
        builder.with_service_name("minsheng")
    };
    builder
        .with_attribute(opentelemetry::KeyValue::new(
            "service.version",
            env!("CARGO_PKG_VERSION"),
        ))
        .build()
}

pub fn tracer_provider(endpoint: &Endpoint) -> anyhow::Result<SdkTracerProvider> {
    let mut builder = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_timeout(Duration::from_secs(10));
    if let Some(url) = endpoint.signal("/v1/traces") {
        builder = builder.with_endpoint(url);
    }
    let exporter = builder
        .build()
        .map_err(|e| anyhow::anyhow!("cannot export traces to {endpoint}: {e}"))?;
    Ok(SdkTracerProvider::builder()
        .with_resource(resource())
        .with_batch_exporter(exporter)
        .build())
}

/// Metrics are pushed every `OTEL_METRIC_EXPORT_INTERVAL` (60 s unless
/// set). The provider becomes the global one, which
/// [`crate::metrics::Metrics`] records to.
pub fn meter_provider(endpoint: &Endpoint) -> anyhow::Result<SdkMeterProvider> {
    let mut builder = opentelemetry_otlp::MetricExporter::builder()
        .with_http()
        .with_timeout(Duration::from_secs(10));
    if let Some(url) = endpoint.signal("/v1/metrics") {
        builder = builder.with_endpoint(url);
    }
    let exporter = builder
        .build()
        .map_err(|e| anyhow::anyhow!("cannot export metrics to {endpoint}: {e}"))?;
    let provider = SdkMeterProvider::builder()
        .with_resource(resource())
        .with_reader(PeriodicReader::builder(exporter).build())
        .build();
    opentelemetry::global::set_meter_provider(provider.clone());
    Ok(provider)
}
