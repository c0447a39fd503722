//! `/metrics`, in Prometheus text: requests by route and status, a latency histogram by
//! route, outcomes by kind, and the compiled-message cache's hits and misses.

use std::sync::{Arc, RwLock};
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use promo_liquid::message::Outcome;

use super::App;

/// A route's path template (`/v1/render`, `/playground/{file}`) as a label. The
/// templates are the router's, a handful, so each is kept once for the life of the
/// process; requests that match no route are `other`.
fn route_label(path: Option<&MatchedPath>) -> &'static str {
    static SEEN: RwLock<Vec<&'static str>> = RwLock::new(Vec::new());
    let Some(path) = path.map(MatchedPath::as_str) else {
        return "other";
    };
    let find = |seen: &[&'static str]| seen.iter().copied().find(|r| *r == path);
    if let Some(found) = SEEN.read().ok().and_then(|seen| find(&seen)) {
        return found;
    }
    let Ok(mut seen) = SEEN.write() else {
        return "other";
    };
    find(&seen).unwrap_or_else(|| {
        let label: &'static str = Box::leak(path.into());
        seen.push(label);
        label
    })
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: &'static str,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: &'static str,
    /// The failure kind; empty for `rendered` and `aborted`.
    kind: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CacheLabels {
    result: &'static str,
}

type LatencyFamily = Family<RouteLabels, Histogram, fn() -> Histogram>;

/// The service's metrics.
pub(crate) struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: LatencyFamily,
    outcomes: Family<OutcomeLabels, Counter>,
    cache: Family<CacheLabels, Counter>,
}

fn latency_histogram() -> Histogram {
    // 50 µs to about 3.3 s.
    Histogram::new(exponential_buckets(0.000_05, 2.0, 17))
}

impl Default for Metrics {
    fn default() -> Self {
        let requests = Family::<RequestLabels, Counter>::default();
        let latency = LatencyFamily::new_with_constructor(latency_histogram);
        let outcomes = Family::<OutcomeLabels, Counter>::default();
        let cache = Family::<CacheLabels, Counter>::default();
        let mut registry = Registry::with_prefix("promo_liquid");
        registry.register(
            "http_requests",
            "HTTP requests answered, by route and status",
            requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "Time to answer an HTTP request, by route",
            latency.clone(),
        );
        registry.register(
            "outcomes",
            "Render outcomes, by outcome and failure kind",
            outcomes.clone(),
        );
        registry.register(
            "message_cache_lookups",
            "Compiled-message cache look-ups, by result (hit or miss)",
            cache.clone(),
        );
        Metrics {
            registry,
            requests,
            latency,
            outcomes,
            cache,
        }
    }
}

impl Metrics {
    /// Counts a render outcome.
    pub fn outcome(&self, outcome: &Outcome) {
        let kind = outcome.failure().map_or("", |f| f.kind.as_str());
        self.outcomes
            .get_or_create(&OutcomeLabels {
                outcome: outcome.name(),
                kind,
            })
            .inc();
    }

    /// Counts a cache look-up.
    pub fn cache(&self, hit: bool) {
        let result = if hit { "hit" } else { "miss" };
        self.cache.get_or_create(&CacheLabels { result }).inc();
    }

    /// The metrics in Prometheus text.
    pub fn encode(&self) -> String {
        let mut text = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.registry);
        text
    }
}

/// Counts and times every request.
pub(crate) async fn track(State(app): State<Arc<App>>, req: Request, next: Next) -> Response {
    let start = Instant::now();
    let route = route_label(req.extensions().get::<MatchedPath>());
    let response = next.run(req).await;
    let metrics = &app.metrics;
    metrics
        .latency
        .get_or_create(&RouteLabels { route })
        .observe(start.elapsed().as_secs_f64());
    metrics
        .requests
        .get_or_create(&RequestLabels {
            route,
            status: response.status().as_u16(),
        })
        .inc();
    response
}
