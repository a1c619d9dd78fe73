//! Metrics in the Prometheus text format, on a listener of their own
//! (`metrics_listen`, off by default) so they are never public.
//!
//! Requests are counted and timed by route template (ids, tracking codes
//! and city slugs replaced by placeholders, so the number of series stays
//! bounded) and city; the case counters by city; the due-work queue and
//! the outbox are read from the database at each scrape. No personal data
//! is ever a label.

use crate::App;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};

/// Upper bounds of the latency histogram, in seconds.
const BUCKETS: [f64; 10] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0];

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

/// Labels, in order, as one key.
pub type Labels = Vec<(&'static str, String)>;

pub struct Metrics {
    counters: Mutex<BTreeMap<(&'static str, Labels), u64>>,
    latency: Mutex<BTreeMap<Labels, Histogram>>,
    /// The latency histogram again, for OTLP; only when exporting.
    otel_latency: Option<opentelemetry::metrics::Histogram<f64>>,
}

impl Default for Metrics {
    fn default() -> Self {
        let otel_latency = crate::trace::exporting().then(|| {
            opentelemetry::global::meter("minsheng")
                .f64_histogram("minsheng_http_request_duration_seconds")
                .with_description("HTTP request latency by route template, method and status.")
                .with_unit("s")
                .with_boundaries(BUCKETS.to_vec())
                .build()
        });
        Self {
            counters: Mutex::default(),
            latency: Mutex::default(),
            otel_latency,
        }
    }
}

const HELP: &[(&str, &str)] = &[
    (
        "minsheng_http_requests_total",
        "HTTP requests by route template, method, status and city.",
    ),
    (
        "minsheng_cases_submitted_total",
        "Cases submitted, by city.",
    ),
    (
        "minsheng_cases_answered_total",
        "Official answers published, by city.",
    ),
    (
        "minsheng_escalations_total",
        "Escalation steps applied, by city and level.",
    ),
    (
        "minsheng_messages_total",
        "Email and webhook deliveries, by channel and outcome.",
    ),
    (
        "minsheng_plugin_calls_total",
        "Rule plugin calls, by city, plugin and outcome (ok or the failure kind).",
    ),
    (
        "minsheng_plugin_fuel_total",
        "Fuel (WebAssembly instructions, roughly) rule plugins used, by city and plugin.",
    ),
    (
        "minsheng_plugin_call_microseconds_total",
        "Time spent in rule plugin calls, by city and plugin.",
    ),
    (
        "minsheng_plugin_instantiate_failures_total",
        "Rule calls that did not start for the platform's reasons (the city's share of calls taken, the instance pool full, a component not compiled yet), by city and reason.",
    ),
    (
        "minsheng_plugin_lookups_refused_total",
        "Host lookups refused to a rule (past the call's deadline or its most lookups), by city and reason.",
    ),
];

impl Metrics {
    /// Add one to a counter.
    pub fn count(&self, name: &'static str, labels: Labels) {
        if let Ok(mut c) = self.counters.lock() {
            *c.entry((name, labels)).or_default() += 1;
        }
    }

    /// Add `n` to a counter.
    pub fn add(&self, name: &'static str, labels: Labels, n: u64) {
        self.add_all([(name, labels, n)]);
    }

    /// Add to several counters under one lock.
    pub fn add_all(&self, counts: impl IntoIterator<Item = (&'static str, Labels, u64)>) {
        if let Ok(mut c) = self.counters.lock() {
            for (name, labels, n) in counts {
                *c.entry((name, labels)).or_default() += n;
            }
        }
    }

    /// The values of one counter, by labels.
    fn snapshot(&self, name: &str) -> Vec<(Labels, u64)> {
        self.counters.lock().map_or_else(
            |_| Vec::new(),
            |c| {
                c.iter()
                    .filter(|((n, _), _)| *n == name)
                    .map(|((_, l), v)| (l.clone(), *v))
                    .collect()
            },
        )
    }

    /// Time one HTTP request: the latency histogram (and OTLP's, when
    /// exporting). The labels are the route template and method; `status`
    /// goes to OTLP only.
    pub fn observe_request(&self, route: String, method: String, status: u16, seconds: f64) {
        if let Some(h) = &self.otel_latency {
            h.record(
                seconds,
                &[
                    opentelemetry::KeyValue::new("route", route.clone()),
                    opentelemetry::KeyValue::new("method", method.clone()),
                    opentelemetry::KeyValue::new("status", i64::from(status)),
                ],
            );
        }
        self.observe(vec![("route", route), ("method", method)], seconds);
    }

    fn observe(&self, labels: Labels, seconds: f64) {
        if let Ok(mut h) = self.latency.lock() {
            let h = h.entry(labels).or_default();
            for (i, bound) in BUCKETS.iter().enumerate() {
                if seconds <= *bound {
                    h.counts[i] += 1;
                }
            }
            h.count += 1;
            h.sum += seconds;
        }
    }

    /// The exposition: counters, the latency histogram, then `extra`
    /// gauges read at scrape time.
    pub fn render(&self, gauges: &[(&str, &str, f64)]) -> String {
        let mut out = String::new();
        let labels = |l: &Labels| {
            l.iter()
                .map(|(k, v)| format!("{k}=\"{}\"", escape(v)))
                .collect::<Vec<_>>()
                .join(",")
        };
        if let Ok(counters) = self.counters.lock() {
            // Every counter counted is shown: those without a help text
            // (a bug to fix in `HELP`) after the others.
            let mut names: Vec<(&str, &str)> = HELP.to_vec();
            for (n, _) in counters.keys() {
                if !names.iter().any(|(name, _)| name == n) {
                    names.push((n, "(no description)"));
                }
            }
            for (name, help) in names {
                let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter");
                for ((n, l), v) in counters.iter() {
                    if *n == name {
                        let _ = writeln!(out, "{name}{{{}}} {v}", labels(l));
                    }
                }
            }
        }
        if let Ok(latency) = self.latency.lock() {
            let name = "minsheng_http_request_duration_seconds";
            let _ = writeln!(
                out,
                "# HELP {name} HTTP request latency by route template and method.\n# TYPE {name} histogram"
            );
            for (l, h) in latency.iter() {
                let base = labels(l);
                for (i, bound) in BUCKETS.iter().enumerate() {
                    let _ = writeln!(
                        out,
                        "{name}_bucket{{{base},le=\"{bound}\"}} {}",
                        h.counts[i]
                    );
                }
                let _ = writeln!(out, "{name}_bucket{{{base},le=\"+Inf\"}} {}", h.count);
                let _ = writeln!(out, "{name}_sum{{{base}}} {}", h.sum);
                let _ = writeln!(out, "{name}_count{{{base}}} {}", h.count);
            }
        }
        for (name, help, value) in gauges {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}"
            );
        }
        out
    }
}

fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Report the counters and the connection pool through OpenTelemetry too,
/// read at each export (OTLP). The gauges that need a database query
/// (due work, outbox) are on `/metrics` only.
pub fn export_to_otel(metrics: &Arc<Metrics>, store: &minsheng_store::Store) {
    use opentelemetry::KeyValue;
    let meter = opentelemetry::global::meter("minsheng");
    for (name, help) in HELP {
        let metrics = Arc::clone(metrics);
        meter
            .u64_observable_counter(*name)
            .with_description(*help)
            .with_callback(move |observer| {
                for (labels, value) in metrics.snapshot(name) {
                    let attributes: Vec<_> = labels
                        .into_iter()
                        .map(|(k, v)| KeyValue::new(k, v))
                        .collect();
                    observer.observe(value, &attributes);
                }
            })
            .build();
    }
    let pool = |name: &'static str,
                help: &'static str,
                read: fn(&minsheng_store::PoolUsage) -> u32| {
        let store = store.clone();
        meter
            .u64_observable_gauge(name)
            .with_description(help)
            .with_callback(move |observer| observer.observe(u64::from(read(&store.pool())), &[]))
            .build();
    };
    pool(
        "minsheng_db_pool_connections",
        "Database connections open in this process's pool.",
        |p| p.open,
    );
    pool(
        "minsheng_db_pool_idle",
        "Open database connections not in use.",
        |p| p.idle,
    );
    pool(
        "minsheng_db_pool_max",
        "The most connections the pool may open.",
        |p| p.max,
    );
}

/// `GET /metrics` on the metrics listener.
pub async fn scrape(state: &App) -> String {
    let mut gauges = Vec::new();
    let pool = state.store.pool();
    gauges.push((
        "minsheng_db_pool_connections",
        "Database connections open in this process's pool.",
        f64::from(pool.open),
    ));
    gauges.push((
        "minsheng_db_pool_idle",
        "Open database connections not in use.",
        f64::from(pool.idle),
    ));
    gauges.push((
        "minsheng_db_pool_max",
        "The most connections the pool may open.",
        f64::from(pool.max),
    ));
    if let Ok(tx) = state.store.read(minsheng_store::Scope::Platform).await {
        use sea_orm::{ConnectionTrait, Statement};
        let backend = tx.get_database_backend();
        let number = |sql: &str| Statement::from_string(backend, sql.to_owned());
        if let Ok(Some(row)) = tx
            .query_one_raw(number(
                "SELECT count(*) AS n FROM due_work WHERE state = 'pending'",
            ))
            .await
            && let Ok(n) = row.try_get::<i64>("", "n")
        {
            gauges.push((
                "minsheng_due_work_pending",
                "Escalation steps waiting for their time.",
                n as f64,
            ));
        }
        if let Ok(rows) = tx
            .query_all_raw(number(
                "SELECT due_at FROM due_work WHERE state = 'pending' ORDER BY due_at LIMIT 1",
            ))
            .await
        {
            let lag = rows
                .first()
                .and_then(|r| {
                    r.try_get::<chrono::DateTime<chrono::Utc>>("", "due_at")
                        .ok()
                })
                .map_or(0.0, |due| {
                    (chrono::Utc::now() - due).num_milliseconds().max(0) as f64 / 1000.0
                });
            gauges.push((
                "minsheng_due_work_lag_seconds",
                "How late the oldest due escalation step is.",
                lag,
            ));
        }
        if let Ok(Some(row)) = tx
            .query_one_raw(number(
                "SELECT count(*) AS n FROM outbox WHERE state = 'pending'",
            ))
            .await
            && let Ok(n) = row.try_get::<i64>("", "n")
        {
            gauges.push((
                "minsheng_outbox_pending",
                "Messages waiting to be sent.",
                n as f64,
            ));
        }
        let _ = tx.commit().await;
    }
    let (bytes, components) = state.rules.components().resident();
    gauges.push((
        "minsheng_plugin_compiled_bytes",
        "Bytes of compiled rule components kept in memory.",
        bytes as f64,
    ));
    gauges.push((
        "minsheng_plugin_compiled_components",
        "Compiled rule components kept in memory.",
        components as f64,
    ));
    state.metrics.render(&gauges)
}

#[cfg(test)]
mod tests {
    use super::Metrics;

    /// A counter is shown on `/metrics` whether or not it has a help text.
    #[test]
    fn every_counter_is_rendered() {
        let metrics = Metrics::default();
        metrics.count(
            "minsheng_cases_submitted_total",
            vec![("tenant", "a".into())],
        );
        metrics.add("minsheng_made_up_total", vec![("tenant", "b".into())], 3);
        let text = metrics.render(&[]);
        assert!(
            text.contains("minsheng_cases_submitted_total{tenant=\"a\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("minsheng_made_up_total{tenant=\"b\"} 3"),
            "{text}"
        );
    }
}
