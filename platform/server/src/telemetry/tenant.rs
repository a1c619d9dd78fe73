//! Every exported span carries the city: a span that does not name one
//! (a database call, a service step) inherits its parent's, so a trace
//! backend can filter any span by `minsheng.tenant`.

use super::request::TENANT;
use opentelemetry::{KeyValue, StringValue};
use std::sync::Arc;
use tracing::Subscriber;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing_opentelemetry::OtelData;
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::registry::LookupSpan;

/// The city of a span, kept in its extensions for its children.
#[derive(Clone)]
struct Tenant(Arc<str>);

/// Finds `minsheng.tenant` among a span's fields.
#[derive(Default)]
struct Named(Option<String>);

impl Visit for Named {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == TENANT {
            self.0 = Some(value.to_owned());
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == TENANT {
            self.0 = Some(format!("{value:?}").trim_matches('"').to_owned());
        }
    }
}

/// Runs after the OpenTelemetry layer, so the span's builder exists.
pub struct Inherit;

impl<S> Layer<S> for Inherit
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let mut named = Named::default();
        attrs.record(&mut named);
        if let Some(own) = named.0 {
            span.extensions_mut().insert(Tenant(own.into()));
            return;
        }
        let Some(inherited) = span
            .parent()
            .and_then(|p| p.extensions().get::<Tenant>().cloned())
        else {
            return;
        };
        let mut extensions = span.extensions_mut();
        if let Some(otel) = extensions.get_mut::<OtelData>() {
            otel.builder
                .attributes
                .get_or_insert_with(Vec::new)
                .push(KeyValue::new(
                    TENANT,
                    StringValue::from(inherited.0.clone()),
                ));
        }
        extensions.insert(inherited);
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        let mut named = Named::default();
        values.record(&mut named);
        if let (Some(own), Some(span)) = (named.0, ctx.span(id)) {
            span.extensions_mut().replace(Tenant(own.into()));
        }
    }
}
