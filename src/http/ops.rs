//! Operations endpoints and instruments: liveness, readiness, Prometheus
//! metrics, and the per-request counters behind them. None of them carries
//! patient data; none needs authentication.

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use super::AppState;
use crate::auth::AuthError;

/// Latency buckets, seconds: a hook is expected within tens of milliseconds,
/// the FHIR fallback within its deadline (400 ms by default).
const LATENCY_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The process-wide Prometheus recorder, installed on first use. `None` when
/// another recorder was installed first (then `/metrics` answers 503).
pub fn metrics_handle() -> Option<&'static PrometheusHandle> {
    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), LATENCY_BUCKETS)
                .ok()?
                .build_recorder();
            let handle = recorder.handle();
            metrics::set_global_recorder(recorder).ok()?;
            describe();
            Some(handle)
        })
        .as_ref()
}

fn describe() {
    use metrics::{describe_counter, describe_gauge, describe_histogram, Unit};
    describe_counter!(
        "http_requests_total",
        "HTTP requests answered, by route template and status"
    );
    describe_histogram!(
        "cds_hook_duration_seconds",
        Unit::Seconds,
        "Time to answer a hook call, by service"
    );
    describe_counter!(
        "cds_cards_total",
        "Cards returned, by service, rule (topic code) and indicator"
    );
    describe_counter!(
        "cds_fhir_fallback_queries_total",
        "FHIR server queries for prefetch the request lacked, by outcome"
    );
    describe_histogram!(
        "cds_fhir_fallback_duration_seconds",
        Unit::Seconds,
        "Time spent querying the FHIR server for one hook call"
    );
    describe_counter!(
        "cds_jwt_rejections_total",
        "Calls refused at authentication, by reason"
    );
    describe_counter!(
        "cds_feedback_items_total",
        "Feedback items, by outcome (accepted, overridden, refused)"
    );
    describe_gauge!("cds_connections_open", "Client connections open");
}

/// Counts every answered request by route template (never the raw path: the
/// service id segment of an unknown service is not a label).
pub async fn track(req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "(unmatched)".to_string(), |p| p.as_str().to_string());
    let response = next.run(req).await;
    metrics::counter!(
        "http_requests_total",
        "route" => route,
        "status" => response.status().as_u16().to_string()
    )
    .increment(1);
    response
}

/// A hook call answered: its latency and the cards it carried.
pub fn hook_answered(service: &str, started: Instant, cards: &[crate::cds::Card]) {
    metrics::histogram!("cds_hook_duration_seconds", "service" => service.to_string())
        .record(started.elapsed().as_secs_f64());
    for c in cards {
        metrics::counter!(
            "cds_cards_total",
            "service" => service.to_string(),
            "rule" => c.source.topic.code.clone(),
            "indicator" => c.indicator
        )
        .increment(1);
    }
}

/// FHIR fallback queries of one hook call: one count per prefetch key by
/// outcome, and the time of the whole fetch.
pub fn fallback_done(fetched: &crate::engine::Fetched, elapsed: Duration) {
    if fetched.results.is_empty() {
        return;
    }
    for r in fetched.results.values() {
        let outcome = if r.is_ok() { "ok" } else { "error" };
        metrics::counter!("cds_fhir_fallback_queries_total", "outcome" => outcome).increment(1);
    }
    metrics::histogram!("cds_fhir_fallback_duration_seconds").record(elapsed.as_secs_f64());
}

/// A refused token, by class of reason (no token content).
pub fn jwt_rejected(reason: &AuthError) {
    metrics::counter!("cds_jwt_rejections_total", "reason" => auth_reason(reason)).increment(1);
}

/// Feedback items by outcome.
pub fn feedback_counted(accepted: usize, overridden: usize, refused: usize) {
    for (outcome, n) in [
        ("accepted", accepted),
        ("overridden", overridden),
        ("refused", refused),
    ] {
        if n > 0 {
            metrics::counter!("cds_feedback_items_total", "outcome" => outcome).increment(n as u64);
        }
    }
}

/// Counts a connection open while it lives.
pub struct OpenConnection;

impl OpenConnection {
    pub fn new() -> OpenConnection {
        metrics::gauge!("cds_connections_open").increment(1.0);
        OpenConnection
    }
}

impl Default for OpenConnection {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for OpenConnection {
    fn drop(&mut self) {
        metrics::gauge!("cds_connections_open").decrement(1.0);
    }
}

/// A fixed label for each reason a token is refused.
pub fn auth_reason(e: &AuthError) -> &'static str {
    use AuthError as A;
    match e {
        A::MissingToken => "missing-token",
        A::TooLarge => "too-large",
        A::Malformed(_) => "malformed",
        A::AlgorithmNotAccepted(_) => "algorithm-not-accepted",
        A::MissingKid => "missing-kid",
        A::WrongType => "wrong-type",
        A::UnsupportedCrit => "unsupported-crit",
        A::UntrustedIssuer => "untrusted-issuer",
        A::UntrustedJku => "untrusted-jku",
        A::UnknownKid => "unknown-kid",
        A::JwksUnavailable(_) => "jwks-unavailable",
        A::KeyMismatch(_) => "key-mismatch",
        A::BadSignature => "bad-signature",
        A::MissingClaim(_) => "missing-claim",
        A::Expired => "expired",
        A::IssuedInFuture => "issued-in-future",
        A::NotYetValid => "not-yet-valid",
        A::TimeOutOfRange(_) => "time-out-of-range",
        A::LifetimeTooLong => "lifetime-too-long",
        A::WrongAudience => "wrong-audience",
        A::Replayed => "replayed",
        A::ReplayStoreUnavailable => "replay-store-unavailable",
        A::TenantNotAllowed => "tenant-not-allowed",
    }
}

/// `GET /healthz`: the process answers.
pub async fn healthz() -> &'static str {
    "ok"
}

/// `GET /readyz`: value sets, service definitions and policy loaded, and the
/// database taking a write (a probe through the writer). The issuers' JWKS endpoints are not checked: their
/// outage must not take every replica out of the load balancer.
pub async fn readyz(State(state): State<Arc<AppState>>) -> Response {
    let engine = &state.engine;
    let valuesets = !engine.terminology.is_empty();
    let services = !engine.services.services.is_empty();
    let database = match &state.audit {
        None => "not configured",
        // A bounded write through the writer (reused for a second): a
        // replica that cannot record is taken out of the load balancer.
        Some(audit) => match audit.store.ready().await {
            Ok(()) => "ok",
            Err(e) => {
                tracing::warn!(error = %e, "readiness: records cannot be written");
                "unavailable"
            }
        },
    };
    let ready = valuesets && services && database != "unavailable";
    let ok = |b: bool| if b { "ok" } else { "missing" };
    let body = serde_json::json!({
        "status": if ready { "ready" } else { "not ready" },
        "checks": {
            "valuesets": ok(valuesets),
            "services": ok(services),
            "policy": "ok",
            "database": database,
        }
    });
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(body)).into_response()
}

/// `GET /metrics`: Prometheus text format.
pub async fn metrics_text() -> Response {
    match metrics_handle() {
        Some(h) => {
            h.run_upkeep();
            (
                [(
                    header::CONTENT_TYPE,
                    "text/plain; version=0.0.4; charset=utf-8",
                )],
                h.render(),
            )
                .into_response()
        }
        None => (
            StatusCode::SERVICE_UNAVAILABLE,
            "metrics recorder unavailable",
        )
            .into_response(),
    }
}
