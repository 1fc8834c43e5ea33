//! HTTP: routes, thin handlers and middleware. Handlers know nothing of
//! doses: they hand bytes to the [`Engine`] and its result back.
//!
//! Logs carry request ids, service ids, hook instances, timings and outcomes;
//! never bodies, tokens or patient data.

pub mod error;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::NaiveDate;
use tower_http::cors::{Any, CorsLayer};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use crate::cds::Feedback;
use crate::engine::Engine;
pub use error::ApiError;

pub struct AppState {
    pub engine: Engine,
    /// Evaluation date; `None`: today (UTC). Fixed in tests and demos.
    pub today: Option<NaiveDate>,
    pub max_body_bytes: usize,
}

pub fn router(state: Arc<AppState>) -> Router {
    let limit = state.max_body_bytes;
    Router::new()
        .route("/cds-services", get(discovery))
        .route("/cds-services/{id}", post(invoke))
        .route("/cds-services/{id}/feedback", post(feedback))
        .route("/healthz", get(|| async { "ok" }))
        .fallback(|uri: axum::http::Uri| async move { ApiError::NotFound(uri.path().to_string()) })
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        .with_state(state)
        .layer(DefaultBodyLimit::max(limit))
        .layer(
            TraceLayer::new_for_http().make_span_with(|req: &axum::http::Request<_>| {
                let id = req
                    .headers()
                    .get("x-request-id")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("-")
                    .to_string();
                let route = req
                    .extensions()
                    .get::<axum::extract::MatchedPath>()
                    .map_or("(unmatched)", |p| p.as_str())
                    .to_string();
                tracing::info_span!("request", request_id = %id, method = %req.method(), route = %route)
            }),
        )
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        // Outermost, so that errors carry CORS headers too. Browser-based
        // clients (the CDS Hooks sandbox) call from another origin; no
        // credentials are allowed.
        .layer(
            CorsLayer::new()
                .allow_origin(Any)
                .allow_methods([Method::GET, Method::POST, Method::OPTIONS])
                .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
                .max_age(std::time::Duration::from_secs(600)),
        )
}

async fn discovery(State(state): State<Arc<AppState>>) -> Json<serde_json::Value> {
    Json(state.engine.services.discovery())
}

/// The body, if it is JSON and within the limit.
fn json_body(
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
    limit: usize,
) -> Result<Bytes, ApiError> {
    let body = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::TooLarge { limit }
        } else {
            ApiError::BodyUnreadable
        }
    })?;
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let essence = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if essence != "application/json" && !essence.ends_with("+json") {
        return Err(ApiError::UnsupportedMediaType);
    }
    Ok(body)
}

async fn invoke(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let started = Instant::now();
    let result = (|| {
        let service = state
            .engine
            .services
            .get(&id)
            .ok_or_else(|| ApiError::UnknownService(id.clone()))?;
        let body = json_body(&headers, body, state.max_body_bytes)?;
        let today = state
            .today
            .unwrap_or_else(|| chrono::Utc::now().date_naive());
        Ok::<_, ApiError>(state.engine.evaluate(service, &body, today)?)
    })();
    let elapsed_us = started.elapsed().as_micros() as u64;
    match result {
        Ok((response, report)) => {
            for s in &report.skipped {
                tracing::warn!(service = %id, skipped = %s, "resource skipped");
            }
            let critical = response
                .cards
                .iter()
                .filter(|c| c.indicator == "critical")
                .count();
            tracing::info!(
                service = %id,
                status = 200,
                cards = response.cards.len(),
                critical,
                orders = report.orders,
                missing_optional = ?report.missing_optional,
                elapsed_us,
                "hook evaluated"
            );
            Json(response).into_response()
        }
        Err(e) => {
            tracing::info!(service = %id, status = e.status().as_u16(), error = %error_kind(&e), elapsed_us, "hook refused");
            e.into_response()
        }
    }
}

/// The error class for the log: no messages that could quote request content.
fn error_kind(e: &ApiError) -> &'static str {
    use crate::engine::EvalError as E;
    match e {
        ApiError::UnknownService(_) => "unknown-service",
        ApiError::NotFound(_) => "not-found",
        ApiError::MethodNotAllowed => "method-not-allowed",
        ApiError::TooLarge { .. } => "too-large",
        ApiError::UnsupportedMediaType => "unsupported-media-type",
        ApiError::BodyUnreadable => "body-unreadable",
        ApiError::Feedback(_) => "invalid-feedback",
        ApiError::Eval(E::MalformedJson(_)) => "malformed-json",
        ApiError::Eval(E::Invalid { .. }) => "invalid-request",
        ApiError::Eval(E::WrongHook { .. }) => "wrong-hook",
        ApiError::Eval(E::DataUnavailable { .. }) => "data-unavailable",
    }
}

async fn feedback(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<StatusCode, ApiError> {
    state
        .engine
        .services
        .get(&id)
        .ok_or_else(|| ApiError::UnknownService(id.clone()))?;
    let body = json_body(&headers, body, state.max_body_bytes)?;
    let fb: Feedback =
        serde_json::from_slice(&body).map_err(|e| ApiError::Feedback(e.to_string()))?;
    if fb.feedback.is_empty() {
        return Err(ApiError::Feedback("feedback must not be empty".into()));
    }
    for f in &fb.feedback {
        if f.outcome != "accepted" && f.outcome != "overridden" {
            return Err(ApiError::Feedback(format!(
                "outcome must be accepted or overridden, not {:?}",
                f.outcome
            )));
        }
        if f.card.trim().is_empty() || f.outcome_timestamp.trim().is_empty() {
            return Err(ApiError::Feedback(
                "card and outcomeTimestamp are required".into(),
            ));
        }
    }
    let accepted = fb
        .feedback
        .iter()
        .filter(|f| f.outcome == "accepted")
        .count();
    let suggestions: usize = fb
        .feedback
        .iter()
        .map(|f| f.accepted_suggestions.len())
        .sum();
    let with_reason = fb
        .feedback
        .iter()
        .filter(|f| f.override_reason.is_some())
        .count();
    tracing::info!(
        service = %id,
        accepted,
        overridden = fb.feedback.len() - accepted,
        accepted_suggestions = suggestions,
        override_reasons = with_reason,
        "feedback received"
    );
    Ok(StatusCode::OK)
}

/// Binds and serves until Ctrl-C / SIGTERM.
pub async fn serve(state: Arc<AppState>, listen: SocketAddr) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(listen).await?;
    tracing::info!(address = %listener.local_addr()?, "listening");
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown())
        .await
}

async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down");
}
