//! HTTP: routes, thin handlers and middleware. Handlers know nothing of
//! doses: they hand bytes to the [`Engine`] and its result back.
//!
//! Logs carry request ids, service ids, hook instances, timings and outcomes;
//! never bodies, tokens or patient data.

pub mod admin;
pub mod error;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::NaiveDate;
use tower_http::cors::{AllowOrigin, Any, CorsLayer};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use tokio::sync::Semaphore;

use crate::auth::{Caller, Verifier};
use crate::engine::Engine;
use crate::prefetch::{FetchSettings, Fetcher};
use crate::store::{audit, AuditKey, Store};
pub use error::ApiError;

/// Whether calls must carry a verified CDS client JWT.
pub enum AuthMode {
    Required(Arc<Verifier>),
    /// Only on loopback with no trusted issuer, or with --insecure-no-auth.
    Disabled,
}

/// Resource limits against hostile input.
#[derive(Debug, Clone)]
pub struct Limits {
    pub max_body_bytes: usize,
    pub max_json_depth: usize,
    pub max_concurrent_requests: usize,
    pub request_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body_bytes: 1024 * 1024,
            max_json_depth: 64,
            max_concurrent_requests: 64,
            request_timeout: Duration::from_secs(10),
        }
    }
}

/// Where cards and feedback are recorded.
pub struct Audit {
    pub store: Store,
    pub key: AuditKey,
    /// Longest wait for a database write; then 503 (no card is sent unrecorded).
    pub timeout: Duration,
    /// Fingerprint of the clinical policy in force.
    pub policy_version: String,
}

impl Audit {
    pub fn new(store: Store, key: AuditKey, timeout: Duration, engine: &Engine) -> Audit {
        Audit {
            store,
            key,
            timeout,
            policy_version: audit::fingerprint(&engine.policy.to_toml()),
        }
    }
}

pub struct AppState {
    pub engine: Engine,
    /// Evaluation date; `None`: today (UTC). Fixed in tests and demos.
    pub today: Option<NaiveDate>,
    pub limits: Limits,
    pub auth: AuthMode,
    /// Base of the URL clients call (the JWT audience); else `http://{Host}`.
    pub public_base_url: Option<String>,
    /// Origins browsers may call from; empty: any origin (never with credentials).
    pub cors_origins: Vec<HeaderValue>,
    /// Queries the EHR's FHIR server for prefetch the request did not carry.
    pub fetcher: Fetcher,
    /// Hook evaluations run (after authentication and parsing).
    pub evaluations: AtomicU64,
    /// Card audit and feedback store; `None`: nothing is recorded.
    pub audit: Option<Audit>,
    permits: Arc<Semaphore>,
}

impl AppState {
    pub fn new(engine: Engine, limits: Limits, auth: AuthMode) -> Self {
        let permits = Arc::new(Semaphore::new(limits.max_concurrent_requests));
        AppState {
            engine,
            today: None,
            limits,
            auth,
            public_base_url: None,
            cors_origins: vec![],
            fetcher: Fetcher::new(FetchSettings::default()).expect("HTTP client"),
            evaluations: AtomicU64::new(0),
            audit: None,
            permits,
        }
    }
}

pub fn router(state: Arc<AppState>) -> Router {
    let limit = state.limits.max_body_bytes;
    let cors_origins: AllowOrigin = if state.cors_origins.is_empty() {
        Any.into()
    } else {
        state.cors_origins.clone().into()
    };
    let cds = Router::new()
        .route("/cds-services", get(discovery))
        .route("/cds-services/{id}", post(invoke))
        .route("/cds-services/{id}/feedback", post(feedback))
        .route("/admin/report", get(admin::report_html))
        .route("/admin/report.json", get(admin::report_json))
        .route_layer(middleware::from_fn_with_state(state.clone(), authenticate));
    Router::new()
        .merge(cds)
        .route("/healthz", get(|| async { "ok" }))
        .fallback(|uri: axum::http::Uri| async move { ApiError::NotFound(uri.path().to_string()) })
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        .layer(middleware::from_fn_with_state(state.clone(), guard))
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
                .allow_origin(cors_origins)
                .allow_methods([Method::GET, Method::POST, Method::OPTIONS])
                .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
                .max_age(std::time::Duration::from_secs(600)),
        )
}

/// Concurrency limit (503 when full) and request timeout (503).
async fn guard(State(state): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let Ok(_permit) = state.permits.clone().try_acquire_owned() else {
        tracing::warn!("overloaded: request refused");
        return ApiError::Overloaded.into_response();
    };
    match tokio::time::timeout(state.limits.request_timeout, next.run(req)).await {
        Ok(r) => r,
        Err(_) => {
            tracing::warn!("request timed out");
            ApiError::Timeout.into_response()
        }
    }
}

/// The exact URL called, as the JWT audience must name it.
fn audience(state: &AppState, req: &Request) -> String {
    let base = match &state.public_base_url {
        Some(b) => b.trim_end_matches('/').to_string(),
        None => {
            let host = req
                .headers()
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .unwrap_or("");
            format!("http://{host}")
        }
    };
    format!("{base}{}", req.uri().path())
}

async fn authenticate(
    State(state): State<Arc<AppState>>,
    mut req: Request,
    next: Next,
) -> Response {
    if let AuthMode::Required(verifier) = &state.auth {
        let aud = audience(&state, &req);
        let value = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        let now = chrono::Utc::now().timestamp();
        match verifier.verify(value, &aud, now).await {
            Ok(caller) => {
                tracing::debug!(iss = %caller.iss, "caller verified");
                req.extensions_mut().insert(caller);
            }
            Err(crate::auth::AuthError::ReplayStoreUnavailable) => {
                // A valid signature, but whether the token was used before
                // cannot be told: retry later, not "unauthorized".
                tracing::error!("token replay check unavailable");
                return ApiError::StoreUnavailable.into_response();
            }
            Err(reason) => {
                tracing::warn!(%reason, "authentication failed");
                return ApiError::Unauthorized.into_response();
            }
        }
    }
    next.run(req).await
}

async fn discovery(State(state): State<Arc<AppState>>) -> Json<serde_json::Value> {
    Json(state.engine.services.discovery())
}

/// Deepest nesting of arrays and objects in a JSON text (strings skipped).
pub fn json_depth(bytes: &[u8]) -> usize {
    let (mut depth, mut max, mut in_string, mut escaped) = (0usize, 0usize, false, false);
    for &b in bytes {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' | b'[' => {
                depth += 1;
                max = max.max(depth);
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

/// The body, if it is JSON, within the size limit and not nested too deep.
fn json_body(
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
    limits: &Limits,
) -> Result<Bytes, ApiError> {
    let limit = limits.max_body_bytes;
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
    if json_depth(&body) > limits.max_json_depth {
        return Err(ApiError::TooDeep {
            limit: limits.max_json_depth,
        });
    }
    Ok(body)
}

async fn invoke(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    caller: Option<axum::Extension<Caller>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let started = Instant::now();
    let result = async {
        let service = state
            .engine
            .services
            .get(&id)
            .ok_or_else(|| ApiError::UnknownService(id.clone()))?;
        let body = json_body(&headers, body, &state.limits)?;
        let prepared = state.engine.prepare(service, &body)?;
        let keys = state
            .audit
            .as_ref()
            .and_then(|_| serde_json::from_slice::<AuditKeys>(&body).ok());
        // Context + prefetch: what the request lacks, from the EHR's FHIR server.
        let allowlist = match (&state.auth, &caller) {
            (AuthMode::Required(_), Some(c)) => c.fhir_servers.as_slice(),
            _ => state.fetcher.settings.allowed_servers.as_slice(),
        };
        let fetched = state.fetcher.fetch(&prepared, allowlist).await;
        let today = state
            .today
            .unwrap_or_else(|| chrono::Utc::now().date_naive());
        state.evaluations.fetch_add(1, Ordering::Relaxed);
        let (response, report) = state.engine.finish(service, prepared, fetched, today)?;
        if let (Some(audit), Some(keys)) = (&state.audit, keys) {
            record_cards(audit, service, &keys, &response).await?;
        }
        Ok::<_, ApiError>((response, report))
    }
    .await;
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
                fetched = ?report.fetched,
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
        ApiError::Unauthorized => "unauthorized",
        ApiError::Overloaded => "overloaded",
        ApiError::Timeout => "timeout",
        ApiError::TooDeep { .. } => "too-deep",
        ApiError::FeedbackItems { .. } => "invalid-feedback-items",
        ApiError::StoreUnavailable => "store-unavailable",
        ApiError::NoStore => "no-store",
        ApiError::BadQuery(_) => "bad-query",
        ApiError::Eval(E::MalformedJson(_)) => "malformed-json",
        ApiError::Eval(E::Invalid { .. }) => "invalid-request",
        ApiError::Eval(E::WrongHook { .. }) => "wrong-hook",
        ApiError::Eval(E::DataUnavailable { .. }) => "data-unavailable",
    }
}

/// What the audit needs from the request besides the cards (read only
/// when a store is configured; the patient id is kept only as a keyed hash).
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct AuditKeys {
    hook_instance: String,
    context: AuditContext,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct AuditContext {
    patient_id: String,
}

/// Writes the audit of every card before the response leaves: a card the
/// client saw always has its record. Bounded by the audit timeout; on failure
/// the call gets 503 and no card.
async fn record_cards(
    audit: &Audit,
    service: &crate::services::Service,
    keys: &AuditKeys,
    response: &crate::cds::HookResponse,
) -> Result<(), ApiError> {
    if response.cards.is_empty() {
        return Ok(());
    }
    let records = audit::records(
        response,
        &audit::Issued {
            service_id: &service.id,
            hook: service.hook.as_str(),
            hook_instance: &keys.hook_instance,
            patient_id: &keys.context.patient_id,
            policy_version: &audit.policy_version,
            issued_at_ms: chrono::Utc::now().timestamp_millis(),
        },
        &audit.key,
    );
    match tokio::time::timeout(audit.timeout, audit.store.record_cards(&records)).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => {
            tracing::error!(service = %service.id, error = %e, "card audit not written");
            Err(ApiError::StoreUnavailable)
        }
        Err(_) => {
            tracing::error!(service = %service.id, "card audit timed out");
            Err(ApiError::StoreUnavailable)
        }
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
    let body = json_body(&headers, body, &state.limits)?;
    let value: serde_json::Value =
        serde_json::from_slice(&body).map_err(|e| ApiError::Feedback(e.to_string()))?;
    let received = chrono::Utc::now().timestamp_millis();
    let checked = crate::store::feedback::check(&value, &id, received)
        .map_err(|p| ApiError::Feedback(format!("{}: {}", p.path, p.message)))?;
    let mut new = 0;
    if let (Some(audit), false) = (&state.audit, checked.items.is_empty()) {
        match tokio::time::timeout(audit.timeout, audit.store.record_feedback(&checked.items)).await
        {
            Ok(Ok(flags)) => new = flags.iter().filter(|n| **n).count(),
            Ok(Err(e)) => {
                tracing::error!(service = %id, error = %e, "feedback not written");
                return Err(ApiError::StoreUnavailable);
            }
            Err(_) => {
                tracing::error!(service = %id, "feedback write timed out");
                return Err(ApiError::StoreUnavailable);
            }
        }
    }
    let accepted = checked
        .items
        .iter()
        .filter(|f| f.outcome == crate::store::feedback::Outcome::Accepted)
        .count();
    tracing::info!(
        service = %id,
        accepted,
        overridden = checked.items.len() - accepted,
        new,
        repeated = if state.audit.is_some() { checked.items.len() - new } else { 0 },
        refused = checked.problems.len(),
        "feedback received"
    );
    if !checked.problems.is_empty() {
        return Err(ApiError::FeedbackItems {
            problems: checked.problems,
            stored: checked.items.len(),
        });
    }
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
