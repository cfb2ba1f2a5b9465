//! `GET /metrics`: what an operator watches, in Prometheus' text format (the `prometheus`
//! crate): requests by route and status, their latency, the schemas and subjects held, whether
//! this instance leads, how far its reader is behind the end of the Kafka store's topic, and
//! the writes it forwarded to the leader. Names follow Prometheus' conventions
//! (`schemaflow_registry_*`, seconds, `_total` counters).

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, Opts, Registry,
    TextEncoder,
};

/// The registry server's metrics.
#[derive(Clone)]
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    pub(super) schemas: IntGauge,
    pub(super) subjects: IntGauge,
    pub(super) leader: IntGauge,
    pub(super) reader_lag: IntGauge,
    pub(super) forwarded: IntCounter,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Metrics {
    /// Fresh metrics, registered in their own Prometheus registry.
    pub fn new() -> Self {
        let registry = Registry::new();
        let requests = IntCounterVec::new(
            Opts::new(
                "schemaflow_registry_requests_total",
                "HTTP requests by route and status",
            ),
            &["method", "route", "status"],
        )
        .unwrap_or_else(|_| unreachable_metric());
        let latency = HistogramVec::new(
            HistogramOpts::new(
                "schemaflow_registry_request_duration_seconds",
                "HTTP request latency by route",
            ),
            &["method", "route"],
        )
        .unwrap_or_else(|_| unreachable_metric());
        let gauge = |name: &str, help: &str| {
            IntGauge::new(name, help).unwrap_or_else(|_| unreachable_metric())
        };
        let m = Metrics {
            requests,
            latency,
            schemas: gauge("schemaflow_registry_schemas", "schema ids held"),
            subjects: gauge(
                "schemaflow_registry_subjects",
                "subjects with a live version",
            ),
            leader: gauge(
                "schemaflow_registry_is_leader",
                "1 when this instance leads (always 1 on a file or memory store)",
            ),
            reader_lag: gauge(
                "schemaflow_registry_reader_lag_records",
                "records of the Kafka store's topic not applied yet",
            ),
            forwarded: IntCounter::new(
                "schemaflow_registry_forwarded_writes_total",
                "writes forwarded to the leader",
            )
            .unwrap_or_else(|_| unreachable_metric()),
            registry,
        };
        for c in [
            Box::new(m.requests.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(m.latency.clone()),
            Box::new(m.schemas.clone()),
            Box::new(m.subjects.clone()),
            Box::new(m.leader.clone()),
            Box::new(m.reader_lag.clone()),
            Box::new(m.forwarded.clone()),
        ] {
            // Names are distinct constants: registering cannot collide.
            let _ = m.registry.register(c);
        }
        m
    }

    /// The text exposition of every metric.
    pub fn render(&self) -> String {
        let mut buf = Vec::new();
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut buf);
        String::from_utf8(buf).unwrap_or_default()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

/// The metric definitions above are constants the crate accepts; this is never reached.
fn unreachable_metric<T>() -> T {
    panic!("invalid constant metric definition")
}

/// The middleware counting every request by its route template (`/subjects/{subject}`, not
/// the subject itself: bounded label values).
pub(super) async fn track(State(m): State<Metrics>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".to_string());
    let method = req.method().as_str().to_string();
    let start = Instant::now();
    let r = next.run(req).await;
    m.latency
        .with_label_values(&[method.as_str(), route.as_str()])
        .observe(start.elapsed().as_secs_f64());
    m.requests
        .with_label_values(&[method.as_str(), route.as_str(), r.status().as_str()])
        .inc();
    r
}
