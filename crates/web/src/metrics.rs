//! Prometheus metrics without global state: request counts and latencies per route, import
//! counts. `GET /metrics` renders them in the text exposition format: on a separate address
//! ([`router`], `serve --metrics-addr`), or on the main one for the holder of the metrics token
//! ([`MetricsToken`]).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

/// Latency bucket bounds in seconds.
const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

#[derive(Default)]
struct Latency {
    buckets: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

#[derive(Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(String, String, u16), u64>>,
    latency: Mutex<BTreeMap<(String, String), Latency>>,
    pub import_accepted: AtomicU64,
    pub import_duplicates: AtomicU64,
    pub import_rejected: AtomicU64,
}

impl Metrics {
    pub fn observe(&self, method: &str, route: &str, status: u16, seconds: f64) {
        if let Ok(mut m) = self.requests.lock() {
            *m.entry((method.to_string(), route.to_string(), status))
                .or_default() += 1;
        }
        if let Ok(mut m) = self.latency.lock() {
            let l = m
                .entry((method.to_string(), route.to_string()))
                .or_default();
            l.count += 1;
            l.sum += seconds;
            for (i, bound) in BUCKETS.iter().enumerate() {
                if seconds <= *bound {
                    l.buckets[i] += 1;
                }
            }
        }
    }

    pub fn count_import(&self, accepted: u64, duplicates: u64, rejected: u64) {
        self.import_accepted.fetch_add(accepted, Ordering::Relaxed);
        self.import_duplicates
            .fetch_add(duplicates, Ordering::Relaxed);
        self.import_rejected.fetch_add(rejected, Ordering::Relaxed);
    }

    /// The text exposition format (version 0.0.4).
    pub fn render(&self) -> String {
        let mut out = String::new();
        out.push_str(
            "# HELP probity_http_requests_total HTTP requests by method, route and status.\n",
        );
        out.push_str("# TYPE probity_http_requests_total counter\n");
        if let Ok(m) = self.requests.lock() {
            for ((method, route, status), n) in m.iter() {
                let _ = writeln!(
                    out,
                    "probity_http_requests_total{{method=\"{method}\",route=\"{}\",status=\"{status}\"}} {n}",
                    escape(route)
                );
            }
        }
        out.push_str("# HELP probity_http_request_duration_seconds HTTP request latency by method and route.\n");
        out.push_str("# TYPE probity_http_request_duration_seconds histogram\n");
        if let Ok(m) = self.latency.lock() {
            for ((method, route), l) in m.iter() {
                let labels = format!("method=\"{method}\",route=\"{}\"", escape(route));
                for (bound, n) in BUCKETS.iter().zip(l.buckets.iter()) {
                    let _ = writeln!(
                        out,
                        "probity_http_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {n}"
                    );
                }
                let _ = writeln!(
                    out,
                    "probity_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
                    l.count
                );
                let _ = writeln!(
                    out,
                    "probity_http_request_duration_seconds_sum{{{labels}}} {}",
                    l.sum
                );
                let _ = writeln!(
                    out,
                    "probity_http_request_duration_seconds_count{{{labels}}} {}",
                    l.count
                );
            }
        }
        out.push_str("# HELP probity_import_rows_total Imported rows by outcome.\n");
        out.push_str("# TYPE probity_import_rows_total counter\n");
        for (outcome, n) in [
            ("accepted", &self.import_accepted),
            ("duplicate", &self.import_duplicates),
            ("rejected", &self.import_rejected),
        ] {
            let _ = writeln!(
                out,
                "probity_import_rows_total{{outcome=\"{outcome}\"}} {}",
                n.load(Ordering::Relaxed)
            );
        }
        out
    }
}

/// The token a scraper sends as `Authorization: Bearer …` to read `/metrics` on the main
/// address. Its `Debug` does not show it.
#[derive(Clone)]
pub struct MetricsToken(String);

impl MetricsToken {
    /// `None` for an empty token: no token opens nothing.
    pub fn new(token: &str) -> Option<MetricsToken> {
        let t = token.trim();
        (!t.is_empty()).then(|| MetricsToken(t.to_string()))
    }

    /// Whether the request carries this token as its bearer credential.
    pub fn admits(&self, headers: &HeaderMap) -> bool {
        crate::auth::bearer(headers)
            .is_some_and(|sent| crate::auth::constant_time_eq(sent.as_bytes(), self.0.as_bytes()))
    }
}

impl std::fmt::Debug for MetricsToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MetricsToken(…)")
    }
}

/// The answer of `/metrics`.
pub fn exposition(metrics: &Metrics) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        metrics.render(),
    )
        .into_response()
}

/// The router of the separate metrics address: `/metrics` and nothing else.
pub fn router(metrics: std::sync::Arc<Metrics>) -> Router {
    Router::new()
        .route(
            "/metrics",
            get(|State(m): State<std::sync::Arc<Metrics>>| async move { exposition(&m) }),
        )
        .fallback(|| async { StatusCode::NOT_FOUND })
        .with_state(metrics)
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Middleware: times every request and counts it under its route template (never the raw path,
/// so that ids in paths do not explode the label set).
pub async fn track(
    State(metrics): State<std::sync::Arc<Metrics>>,
    req: Request,
    next: Next,
) -> Response {
    let start = Instant::now();
    let method = req.method().as_str().to_string();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".to_string());
    let res = next.run(req).await;
    metrics.observe(
        &method,
        &route,
        res.status().as_u16(),
        start.elapsed().as_secs_f64(),
    );
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_and_histograms() {
        let m = Metrics::default();
        m.observe("GET", "/healthz", 200, 0.002);
        m.observe("GET", "/healthz", 200, 0.2);
        m.count_import(5, 1, 2);
        let text = m.render();
        assert!(text.contains(
            r#"probity_http_requests_total{method="GET",route="/healthz",status="200"} 2"#
        ));
        assert!(text.contains(r#"probity_http_request_duration_seconds_bucket{method="GET",route="/healthz",le="0.0025"} 1"#));
        assert!(text.contains(
            r#"probity_http_request_duration_seconds_count{method="GET",route="/healthz"} 2"#
        ));
        assert!(text.contains(r#"probity_import_rows_total{outcome="rejected"} 2"#));
    }
}
