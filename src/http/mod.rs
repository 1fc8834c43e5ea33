//! HTTP: routes, thin handlers and middleware. Handlers know nothing of
//! doses: they hand bytes to the [`Engine`] and its result back.
//!
//! Logs carry request ids, service ids, hook instances, timings and outcomes;
//! never bodies, tokens or patient data.

pub mod admin;
pub mod error;
pub mod guidance;
pub mod openapi;
pub mod ops;
pub mod rate;

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

use crate::auth::{Caller, ReplayClaim, Verifier};
use crate::engine::Engine;
use crate::prefetch::{FetchSettings, Fetcher};
use crate::store::{audit, AuditKey, Filed, Store};
pub use error::ApiError;

/// Whether calls must carry a verified CDS client JWT.
pub enum AuthMode {
    Required(Arc<Verifier>),
    /// Only on loopback with no trusted issuer, or with --insecure-no-auth.
    Disabled,
}

/// Resource limits against hostile input and idle or slow clients.
#[derive(Debug, Clone)]
pub struct Limits {
    pub max_body_bytes: usize,
    pub max_json_depth: usize,
    pub max_concurrent_requests: usize,
    pub request_timeout: Duration,
    /// Open connections at once; further ones wait in the listen backlog.
    pub max_connections: usize,
    /// From a connection's start, or the end of its previous response, until
    /// the request's headers are complete; then the connection is closed.
    /// This also bounds how long a kept-alive connection may sit idle.
    pub header_read_timeout: Duration,
    /// A connection without a request under way on which no byte moves
    /// either way for this long is closed.
    pub idle_timeout: Duration,
    /// Longest wait for the next piece of a request body (the whole request
    /// is bounded by `request_timeout`).
    pub body_read_timeout: Duration,
    /// After SIGTERM/SIGINT, how long requests under way may take to finish.
    pub shutdown_grace: Duration,
    /// Draft orders one hook call may carry (422 beyond).
    pub max_draft_orders: usize,
    /// Feedback items one issuer may send a minute (429 beyond).
    pub feedback_per_minute: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            // Admits a long-followed patient's full prefetch (~5 MB).
            max_body_bytes: 8 * 1024 * 1024,
            max_draft_orders: 25,
            feedback_per_minute: 600,
            max_json_depth: 64,
            max_concurrent_requests: 64,
            request_timeout: Duration::from_secs(10),
            max_connections: 4096,
            header_read_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(30),
            body_read_timeout: Duration::from_secs(5),
            shutdown_grace: Duration::from_secs(10),
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
    /// The report counts override reasons' own display text (it may name
    /// people); off by default: our own reasons by their own words, others
    /// by code.
    pub report_free_text: bool,
}

impl Audit {
    pub fn new(store: Store, key: AuditKey, timeout: Duration, engine: &Engine) -> Audit {
        Audit {
            store,
            key,
            timeout,
            policy_version: audit::fingerprint(&engine.policy.to_toml()),
            report_free_text: false,
        }
    }
}

pub struct AppState {
    pub engine: Engine,
    /// Evaluation date; `None`: today (UTC). Fixed in tests and demos.
    pub today: Option<NaiveDate>,
    pub limits: Limits,
    pub auth: AuthMode,
    /// Base of the URL clients call (the JWT audience); else, on loopback,
    /// `http://{listen address}` (set by [`serve_listener`]). Never taken
    /// from request headers.
    pub public_base_url: Option<String>,
    /// `http://{listen address}`, once listening.
    pub listen_base: std::sync::OnceLock<String>,
    /// Origins browsers may call from; empty: any origin (never with credentials).
    pub cors_origins: Vec<HeaderValue>,
    /// Queries the EHR's FHIR server for prefetch the request did not carry.
    pub fetcher: Fetcher,
    /// Hook evaluations run (after authentication and parsing).
    pub evaluations: AtomicU64,
    /// Card audit and feedback store; `None`: nothing is recorded.
    pub audit: Option<Audit>,
    /// Feedback items each issuer may send a minute.
    pub feedback_rate: rate::RateLimit,
    permits: Arc<Semaphore>,
}

impl AppState {
    pub fn new(engine: Engine, limits: Limits, auth: AuthMode) -> Self {
        let fetcher = Fetcher::new(FetchSettings::default()).expect("HTTP client");
        Self::with_fetcher(engine, limits, auth, fetcher)
    }

    /// As [`AppState::new`], with the FHIR-server client already built.
    pub fn with_fetcher(engine: Engine, limits: Limits, auth: AuthMode, fetcher: Fetcher) -> Self {
        let permits = Arc::new(Semaphore::new(limits.max_concurrent_requests));
        AppState {
            engine,
            today: None,
            feedback_rate: rate::RateLimit::new(limits.feedback_per_minute),
            limits,
            auth,
            public_base_url: None,
            listen_base: std::sync::OnceLock::new(),
            cors_origins: vec![],
            fetcher,
            evaluations: AtomicU64::new(0),
            audit: None,
            permits,
        }
    }
}

pub fn router(state: Arc<AppState>) -> Router {
    // Installs the process-wide recorder before the first count.
    let _ = ops::metrics_handle();
    let limit = state.limits.max_body_bytes;
    let cors_origins: AllowOrigin = if state.cors_origins.is_empty() {
        Any.into()
    } else {
        state.cors_origins.clone().into()
    };
    let cds = Router::new()
        .route("/cds-services", get(discovery))
        .route("/cds-services/{id}", post(invoke))
        // Feedback has its own, smaller body limit: a larger body is refused
        // from its Content-Length (or as soon as it grows past the limit),
        // before it is read.
        .route(
            "/cds-services/{id}/feedback",
            post(feedback).layer(DefaultBodyLimit::max(
                crate::store::feedback::MAX_BODY_BYTES,
            )),
        )
        .route("/admin/report", get(admin::report_html))
        .route("/admin/report.json", get(admin::report_json))
        .route_layer(middleware::from_fn_with_state(state.clone(), authenticate));
    Router::new()
        .merge(cds)
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics_text))
        .route("/openapi.json", get(openapi::serve_document))
        .route("/guidance", get(guidance::index))
        .route("/guidance/{rule}", get(guidance::page))
        .fallback(|uri: axum::http::Uri| async move { ApiError::NotFound(uri.path().to_string()) })
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        .layer(middleware::from_fn_with_state(state.clone(), guard))
        .layer(middleware::from_fn(ops::track))
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
        // A caller's request id is kept (and returned) when it is a plain id;
        // anything else is replaced by a fresh one.
        .layer(middleware::map_request(plain_request_id))
        // Outermost, so that errors carry CORS headers too. Browser-based
        // clients (the CDS Hooks sandbox) call from another origin; no
        // credentials are allowed.
        .layer(
            CorsLayer::new()
                .allow_origin(cors_origins)
                .allow_methods([Method::GET, Method::POST, Method::OPTIONS])
                .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
                // A public https page (the hosted sandbox) calling a service
                // on localhost or the intranet: Chrome's Private Network
                // Access preflight asks for this header. (Its successor,
                // Local Network Access, asks the user instead.)
                .allow_private_network(true)
                .max_age(std::time::Duration::from_secs(600)),
        )
        // Outside the CORS layer: the report is for an administrator's own
        // browser, never for another origin's page to read.
        .layer(middleware::from_fn(no_cors_for_admin))
}

/// Strips every CORS allowance from answers under `/admin/`, preflights
/// included, so no web page of another origin (nor a public page reaching a
/// service on loopback) can read the report.
async fn no_cors_for_admin(req: Request, next: Next) -> Response {
    let path = req.uri().path();
    let admin = path.starts_with("/admin/") || path == "/admin";
    let mut resp = next.run(req).await;
    if admin {
        let h = resp.headers_mut();
        let names: Vec<_> = h
            .keys()
            .filter(|k| k.as_str().starts_with("access-control-"))
            .cloned()
            .collect();
        for n in names {
            h.remove(n);
        }
    }
    resp
}

async fn plain_request_id(mut req: Request) -> Request {
    let keep = req
        .headers()
        .get("x-request-id")
        .map(|v| v.to_str().ok().and_then(loggable_id).is_some());
    if keep == Some(false) {
        req.headers_mut().remove("x-request-id");
    }
    req
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

async fn authenticate(
    State(state): State<Arc<AppState>>,
    mut req: Request,
    next: Next,
) -> Response {
    if let AuthMode::Required(verifier) = &state.auth {
        // The audience base is configuration (or the listen address), never
        // the Host header: a token minted for another service stays refused
        // whatever host the caller names.
        let base = state
            .public_base_url
            .as_deref()
            .or_else(|| state.listen_base.get().map(String::as_str));
        let mut values = req.headers().get_all(header::AUTHORIZATION).iter();
        let value = values.next().and_then(|v| v.to_str().ok());
        if values.next().is_some() {
            metrics::counter!("cds_jwt_rejections_total", "reason" => "several-authorization-headers")
                .increment(1);
            tracing::warn!(
                reason = "more than one Authorization header",
                "authentication failed"
            );
            return ApiError::Unauthorized.into_response();
        }
        let now = chrono::Utc::now().timestamp();
        // A hook call writes its token's claim with its cards, in one
        // transaction; any other call claims the token before it runs.
        let defer = state.audit.is_some() && is_hook_call(&req);
        let verified = if defer {
            verifier
                .verify_call_deferred(value, base, req.uri().path(), now)
                .await
        } else {
            verifier
                .verify_call(value, base, req.uri().path(), now)
                .await
                .map(|c| (c, None))
        };
        match verified {
            Ok((caller, Some(claim))) => {
                tracing::debug!(iss = %caller.iss, "caller verified");
                req.extensions_mut().insert(caller);
                let pending = PendingClaim(Arc::new(std::sync::Mutex::new(Some(claim))));
                req.extensions_mut().insert(pending.clone());
                let response = next.run(req).await;
                // A call that wrote no record (an error, or no store write)
                // claims its token now.
                let Some(claim) = pending.take() else {
                    return response;
                };
                return match verifier.claim(&claim).await {
                    Ok(()) => response,
                    Err(crate::auth::AuthError::ReplayStoreUnavailable) => {
                        tracing::error!("token replay check unavailable");
                        ApiError::StoreUnavailable.into_response()
                    }
                    Err(reason) => {
                        ops::jwt_rejected(&reason);
                        tracing::warn!(%reason, "authentication failed");
                        ApiError::Unauthorized.into_response()
                    }
                };
            }
            Ok((caller, None)) => {
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
                ops::jwt_rejected(&reason);
                tracing::warn!(%reason, "authentication failed");
                return ApiError::Unauthorized.into_response();
            }
        }
    }
    next.run(req).await
}

/// The claim of a hook call's token, until the call's records take it.
#[derive(Clone)]
pub struct PendingClaim(Arc<std::sync::Mutex<Option<ReplayClaim>>>);

impl PendingClaim {
    fn take(&self) -> Option<ReplayClaim> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).take()
    }
}

/// `POST /cds-services/{id}`: a hook call (not its feedback).
fn is_hook_call(req: &Request) -> bool {
    req.method() == axum::http::Method::POST
        && req
            .uri()
            .path()
            .strip_prefix("/cds-services/")
            .is_some_and(|id| !id.is_empty() && !id.contains('/'))
}

async fn discovery(State(state): State<Arc<AppState>>) -> Json<serde_json::Value> {
    Json(state.engine.services.discovery())
}

/// Deepest nesting of arrays and objects in a JSON text (strings skipped;
/// an unterminated string ends the scan).
///
/// The text is read 64 bytes at a time: on x86_64 four SSE2 compares per 16
/// bytes give bit masks of quotes, backslashes and brackets, a prefix XOR of
/// the quote mask marks the bytes inside strings, and only the brackets
/// outside them are counted. A block holding a backslash (an escape, rare in
/// FHIR JSON), and the tail, are read byte by byte.
pub fn json_depth(bytes: &[u8]) -> usize {
    let mut scan = DepthScan::default();
    #[cfg_attr(not(target_arch = "x86_64"), allow(unused_mut))]
    let mut rest = bytes;
    #[cfg(target_arch = "x86_64")]
    while let Some((block, tail)) = rest.split_first_chunk::<64>() {
        let m = Masks::of(block);
        if m.backslash != 0 || scan.escaped {
            scan.bytes(block);
        } else {
            scan.block(&m);
        }
        rest = tail;
    }
    scan.bytes(rest);
    scan.max
}

#[derive(Default)]
struct DepthScan {
    depth: usize,
    max: usize,
    in_string: bool,
    /// The last byte read was a backslash inside a string.
    escaped: bool,
}

impl DepthScan {
    fn bytes(&mut self, bytes: &[u8]) {
        for &b in bytes {
            if self.in_string {
                if self.escaped {
                    self.escaped = false;
                } else if b == b'\\' {
                    self.escaped = true;
                } else if b == b'"' {
                    self.in_string = false;
                }
                continue;
            }
            match b {
                b'"' => self.in_string = true,
                b'{' | b'[' => {
                    self.depth += 1;
                    self.max = self.max.max(self.depth);
                }
                b'}' | b']' => self.depth = self.depth.saturating_sub(1),
                _ => {}
            }
        }
    }

    /// A block of 64 bytes without a backslash, after one that did not end
    /// in an escape.
    #[cfg(target_arch = "x86_64")]
    fn block(&mut self, m: &Masks) {
        // Bit k of the prefix XOR: an odd number of quotes at or before k,
        // that is, k lies from an opening quote up to its closing one.
        let mut inside = m.quote;
        for shift in [1, 2, 4, 8, 16, 32] {
            inside ^= inside << shift;
        }
        if self.in_string {
            inside = !inside;
        }
        self.in_string = inside >> 63 == 1;
        let (open, close) = (m.open & !inside, m.close & !inside);
        if close == 0 {
            self.depth += open.count_ones() as usize;
            self.max = self.max.max(self.depth);
        } else if open == 0 {
            self.depth = self.depth.saturating_sub(close.count_ones() as usize);
        } else {
            let mut bits = open | close;
            while bits != 0 {
                let bit = bits & bits.wrapping_neg();
                if open & bit != 0 {
                    self.depth += 1;
                    self.max = self.max.max(self.depth);
                } else {
                    self.depth = self.depth.saturating_sub(1);
                }
                bits ^= bit;
            }
        }
    }
}

/// Where in a 64-byte block the bytes that matter are (bit k: byte k).
#[cfg(target_arch = "x86_64")]
struct Masks {
    quote: u64,
    backslash: u64,
    /// `{` or `[`.
    open: u64,
    /// `}` or `]`.
    close: u64,
}

#[cfg(target_arch = "x86_64")]
impl Masks {
    fn of(block: &[u8; 64]) -> Masks {
        use std::arch::x86_64::*;
        let mut m = Masks {
            quote: 0,
            backslash: 0,
            open: 0,
            close: 0,
        };
        for k in 0..4 {
            // SAFETY: SSE2 is part of the x86_64 baseline, and the unaligned
            // load reads bytes 16k..16k+16 of the 64-byte block.
            let (q, b, o, c) = unsafe {
                let v = _mm_loadu_si128(block.as_ptr().add(16 * k).cast::<__m128i>());
                // `{` 0x7B and `[` 0x5B, `}` 0x7D and `]` 0x5D differ only in
                // bit 0x20: no other byte ORed with it gives 0x7B or 0x7D.
                let folded = _mm_or_si128(v, _mm_set1_epi8(0x20));
                let mask = |x: __m128i, byte: u8| {
                    _mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8(byte as i8))) as u16
                };
                (
                    mask(v, b'"'),
                    mask(v, b'\\'),
                    mask(folded, b'{'),
                    mask(folded, b'}'),
                )
            };
            m.quote |= u64::from(q) << (16 * k);
            m.backslash |= u64::from(b) << (16 * k);
            m.open |= u64::from(o) << (16 * k);
            m.close |= u64::from(c) << (16 * k);
        }
        m
    }
}

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
    pending: Option<axum::Extension<PendingClaim>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let started = Instant::now();
    let mut hook_instance: Option<String> = None;
    let result = async {
        let service = state
            .engine
            .services
            .get(&id)
            .ok_or_else(|| ApiError::UnknownService(id.clone()))?;
        let body = json_body(&headers, body, &state.limits)?;
        let prepared = state.engine.prepare(service, &body)?;
        let drafts = prepared.draft_order_count();
        if drafts > state.limits.max_draft_orders {
            return Err(ApiError::TooManyDraftOrders {
                count: drafts,
                limit: state.limits.max_draft_orders,
            });
        }
        // What is needed is copied out of it: its memory goes back now, not
        // after the FHIR queries and the rules.
        drop(body);
        // What the log and the audit need besides the cards, from the request
        // as already read (the patient id is kept only as a keyed hash).
        hook_instance = loggable_id(&prepared.hook_instance);
        let audit_keys = (
            prepared.hook_instance.clone(),
            prepared.context.patient_id.clone(),
        );
        // Context + prefetch: what the request lacks, from the EHR's FHIR server.
        let allowlist = match (&state.auth, &caller) {
            (AuthMode::Required(_), Some(c)) => c.fhir_servers.as_slice(),
            _ => state.fetcher.settings.allowed_servers.as_slice(),
        };
        let fetch_started = Instant::now();
        let fetched = state.fetcher.fetch(&prepared, allowlist).await;
        ops::fallback_done(&fetched, fetch_started.elapsed());
        let today = state
            .today
            .unwrap_or_else(|| state.engine.policy.today_at(chrono::Utc::now()));
        state.evaluations.fetch_add(1, Ordering::Relaxed);
        let base = guidance::base_url(&state, &headers);
        let (response, report) =
            state
                .engine
                .finish(service, prepared, fetched, today, base.as_deref())?;
        if let (Some(audit), (hook_instance, Some(patient_id))) = (&state.audit, &audit_keys) {
            let claim = pending.as_ref().and_then(|p| p.take());
            let caller = caller.as_deref();
            let issued = audit::Issued {
                service_id: &service.id,
                hook: service.hook.as_str(),
                hook_instance,
                patient_id,
                policy_version: &audit.policy_version,
                issued_at_ms: chrono::Utc::now().timestamp_millis(),
                issuer: caller.map_or("", |c| c.iss.as_str()),
                tenant: caller.and_then(|c| c.tenant.as_deref()).unwrap_or(""),
            };
            record_cards(&state, audit, &issued, &response, claim).await?;
        }
        Ok::<_, ApiError>((response, report))
    }
    .await;
    let elapsed_us = started.elapsed().as_micros() as u64;
    let hook_instance = hook_instance.as_deref().unwrap_or("-");
    match result {
        Ok((response, report)) => {
            ops::hook_answered(&id, started, &response.cards);
            let card_uuids = response
                .cards
                .iter()
                .map(|c| c.uuid.as_str())
                .collect::<Vec<_>>()
                .join(",");
            for s in &report.skipped {
                tracing::warn!(service = %id, skipped = %s, "resource skipped");
            }
            for (hidden, by) in &report.silenced {
                tracing::info!(service = %id, hook_instance = %hook_instance, hidden = %hidden, by = %by, "finding silenced by a contradicting finding");
            }
            // One line per call, however many breaches: the log stays bounded.
            if let Some(first) = report.over_budget.first() {
                tracing::warn!(service = %id, hook_instance = %hook_instance, breaches = report.over_budget.len(), first = ?first, "cards over budget");
            }
            let critical = response
                .cards
                .iter()
                .filter(|c| c.indicator == "critical")
                .count();
            tracing::info!(
                service = %id,
                hook_instance = %hook_instance,
                status = 200,
                cards = response.cards.len(),
                card_uuids = %card_uuids,
                critical,
                orders = report.orders,
                dropped = ?report.dropped,
                fetched = ?report.fetched,
                missing_optional = ?report.missing_optional,
                medications_read = report.medications_read,
                medication_failures = ?report.medication_failures,
                elapsed_us,
                "hook evaluated"
            );
            Json(response).into_response()
        }
        Err(e) => {
            tracing::info!(service = %id, hook_instance = %hook_instance, status = e.status().as_u16(), error = %error_kind(&e), elapsed_us, "hook refused");
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
        ApiError::Forbidden => "forbidden",
        ApiError::Overloaded => "overloaded",
        ApiError::Timeout => "timeout",
        ApiError::TooDeep { .. } => "too-deep",
        ApiError::TooManyDraftOrders { .. } => "too-many-draft-orders",
        ApiError::RateLimited { .. } => "rate-limited",
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

/// A client-chosen id (hookInstance, x-request-id) fit for the log: at most
/// 64 characters of letters, digits, `-`, `_`, `.` and `:`; else nothing, so
/// that free text a client puts there never reaches the log.
pub fn loggable_id(id: &str) -> Option<String> {
    let fits = !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'));
    fits.then(|| id.to_string())
}

/// Writes the audit of every card before the response leaves: a card the
/// client saw always has its record. Bounded by the audit timeout; on failure
/// the call gets 503 and no card.
async fn record_cards(
    state: &AppState,
    audit: &Audit,
    issued: &audit::Issued<'_>,
    response: &crate::cds::HookResponse,
    claim: Option<ReplayClaim>,
) -> Result<(), ApiError> {
    if response.cards.is_empty() && claim.is_none() {
        return Ok(());
    }
    let service_id = issued.service_id;
    let records = audit::records(response, issued, &audit.key);
    // The store bounds the wait (its write timeout) and answers "not
    // written" only when nothing was: no outer timeout may cut a commit.
    let Some(claim) = claim else {
        return match audit.store.record_cards(&records).await {
            Ok(()) => Ok(()),
            Err(e) => {
                tracing::error!(service = %service_id, error = %e, "card audit not written");
                Err(ApiError::StoreUnavailable)
            }
        };
    };
    // The token's claim and the cards: one transaction.
    let written = audit
        .store
        .record_cards_claiming(&records, &claim.issuer, &claim.jti, claim.expires_at_unix)
        .await;
    let outcome = match written {
        Ok(true) => Ok(()),
        Ok(false) => Err(crate::auth::AuthError::Replayed),
        Err(e) => {
            tracing::error!(service = %service_id, error = %e, "card audit not written");
            Err(crate::auth::AuthError::ReplayStoreUnavailable)
        }
    };
    if let AuthMode::Required(verifier) = &state.auth {
        verifier.claimed(&claim, &outcome);
    }
    match outcome {
        Ok(()) => Ok(()),
        Err(crate::auth::AuthError::ReplayStoreUnavailable) => Err(ApiError::StoreUnavailable),
        Err(reason) => {
            ops::jwt_rejected(&reason);
            tracing::warn!(%reason, "authentication failed");
            Err(ApiError::Unauthorized)
        }
    }
}

async fn feedback(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    caller: Option<axum::Extension<Caller>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<StatusCode, ApiError> {
    state
        .engine
        .services
        .get(&id)
        .ok_or_else(|| ApiError::UnknownService(id.clone()))?;
    let limit = crate::store::feedback::MAX_BODY_BYTES;
    let body = match body {
        Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            return Err(ApiError::TooLarge { limit })
        }
        body => json_body(&headers, body, &state.limits)?,
    };
    if body.len() > limit {
        return Err(ApiError::TooLarge { limit });
    }
    let value: serde_json::Value =
        serde_json::from_slice(&body).map_err(|e| ApiError::Feedback(e.to_string()))?;
    let received = chrono::Utc::now().timestamp_millis();
    let checked = crate::store::feedback::check(&value, &id, received)
        .map_err(|p| ApiError::Feedback(format!("{}: {}", p.path, p.message)))?;
    // Every item sent counts, refused ones included: checking costs too.
    let issuer = caller.as_ref().map_or("(no token)", |c| c.iss.as_str());
    let sent = checked.items.len() + checked.problems.len();
    if let Err(wait) = state.feedback_rate.take(issuer, sent, Instant::now()) {
        tracing::warn!(service = %id, items = sent, "feedback rate limit: call refused");
        return Err(ApiError::RateLimited { retry_after: wait });
    }
    let mut checked = checked;
    for item in &mut checked.items {
        item.issuer = caller.as_ref().map_or("", |c| c.iss.as_str()).to_string();
        item.tenant = caller
            .as_ref()
            .and_then(|c| c.tenant.clone())
            .unwrap_or_default();
    }
    let mut new = 0;
    if let (Some(audit), false) = (&state.audit, checked.items.is_empty()) {
        match audit
            .store
            .record_feedback(&checked.items, audit.report_free_text)
            .await
        {
            Ok(filed) => {
                new = filed.iter().filter(|f| **f == Filed::New).count();
                // An item on a card shown to another issuer is refused, in
                // the words used for a card this client was never shown.
                let mut kept = Vec::with_capacity(checked.items.len());
                for (i, (item, f)) in std::mem::take(&mut checked.items)
                    .into_iter()
                    .zip(filed)
                    .enumerate()
                {
                    if f == Filed::NotYours {
                        tracing::warn!(service = %id, card = %item.card_uuid,
                            "feedback on a card shown to another issuer: not recorded");
                        let at = checked.positions.get(i).copied().unwrap_or(i);
                        checked.problems.push(crate::store::feedback::Problem {
                            path: format!("feedback[{at}].card"),
                            message: "no card with this uuid was shown to this client".into(),
                        });
                    } else {
                        kept.push(item);
                    }
                }
                checked.items = kept;
            }
            Err(e) => {
                tracing::error!(service = %id, error = %e, "feedback not written");
                return Err(ApiError::StoreUnavailable);
            }
        }
    }
    let accepted = checked
        .items
        .iter()
        .filter(|f| f.outcome == crate::store::feedback::Outcome::Accepted)
        .count();
    ops::feedback_counted(
        accepted,
        checked.items.len() - accepted,
        checked.problems.len(),
    );
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

/// The log filter for `spec` (`RUST_LOG` syntax), with the HTTP client and
/// TLS crates held at `warn` whatever the level: at debug they log the
/// origins of the FHIR and JWKS servers they connect to.
pub fn log_filter(spec: &str) -> tracing_subscriber::EnvFilter {
    let mut filter = tracing_subscriber::EnvFilter::try_new(spec)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    for quiet in QUIET_TARGETS {
        filter = filter.add_directive(format!("{quiet}=warn").parse().expect("valid directive"));
    }
    filter
}

/// Crates whose debug logs name the servers connected to.
const QUIET_TARGETS: &[&str] = &["reqwest", "hyper", "hyper_util", "rustls", "h2"];

/// Binds and serves until Ctrl-C / SIGTERM.
pub async fn serve(state: Arc<AppState>, listen: SocketAddr) -> std::io::Result<()> {
    let socket = if listen.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.bind(listen)?;
    serve_listener(state, socket.listen(LISTEN_BACKLOG)?, shutdown()).await
}

/// Connections the kernel queues for accepting (it caps this at
/// `net.core.somaxconn`). Deeper than the usual 1024, so that at the
/// connection cap a legitimate caller waits in the queue rather than having
/// its connection attempt dropped and retried seconds later.
const LISTEN_BACKLOG: u32 = 8192;

/// Serves on `listener` until `stop` completes, then lets open requests
/// finish (for at most [`Limits::shutdown_grace`]).
///
/// Each connection is HTTP/1.1 with a header-read timeout, an idle timeout
/// and a body-read timeout ([`Limits`]); at most `max_connections` are open at
/// once. At the cap no connection is accepted (new ones wait in the kernel's
/// backlog) until one closes, and the log says so (at most every 10 s).
pub async fn serve_listener(
    state: Arc<AppState>,
    listener: tokio::net::TcpListener,
    stop: impl std::future::Future<Output = ()> + Send,
) -> std::io::Result<()> {
    let addr = listener.local_addr()?;
    let _ = state.listen_base.set(format!("http://{addr}"));
    if let AuthMode::Required(verifier) = &state.auth {
        verifier.warm_up();
    }
    let limits = state.limits.clone();
    let max = limits
        .max_connections
        .clamp(1, Semaphore::MAX_PERMITS.min(u32::MAX as usize));
    tracing::info!(address = %addr, max_connections = max, "listening");
    let app = router(state);
    let slots = Arc::new(Semaphore::new(max));
    let (closing, closing_rx) = tokio::sync::watch::channel(false);
    // Set while connections are at (or near) the cap: waiting connections are shed.
    let (crowded, crowded_rx) = tokio::sync::watch::channel(false);
    tokio::pin!(stop);
    let mut cap_logged: Option<Instant> = None;
    let mut last_accept_error: Option<Instant> = None;
    loop {
        let permit = match slots.clone().try_acquire_owned() {
            Ok(p) => {
                if slots.available_permits() > max / 10 {
                    crowded.send_if_modified(|c| std::mem::replace(c, false));
                }
                p
            }
            Err(_) => {
                crowded.send_if_modified(|c| !std::mem::replace(c, true));
                // Once per 10 s at most: under attack the cap is hit per connection.
                if cap_logged.is_none_or(|t| t.elapsed() >= Duration::from_secs(10)) {
                    tracing::warn!(
                        max_connections = max,
                        "connection limit reached: new connections wait until one closes"
                    );
                    cap_logged = Some(Instant::now());
                }
                tokio::select! {
                    p = slots.clone().acquire_owned() => p.expect("semaphore never closed"),
                    () = &mut stop => break,
                }
            }
        };
        let stream = tokio::select! {
            r = listener.accept() => match r {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of file descriptors, or a connection reset before
                    // it was accepted: log (once a second at most) and go on.
                    if last_accept_error.is_none_or(|t| t.elapsed() > Duration::from_secs(1)) {
                        tracing::warn!(error = %e, "accept failed");
                        last_accept_error = Some(Instant::now());
                    }
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                }
            },
            () = &mut stop => break,
        };
        let _ = stream.set_nodelay(true);
        tokio::spawn(connection(
            stream,
            app.clone(),
            limits.clone(),
            permit,
            closing_rx.clone(),
            crowded_rx.clone(),
        ));
    }
    drop(listener);
    let _ = closing.send(true);
    let _ = tokio::time::timeout(limits.shutdown_grace, slots.acquire_many(max as u32)).await;
    Ok(())
}

/// How long a connection without a request under way may stay open while
/// connections are at the cap: long enough for any client that means to send
/// a request, short enough that a crowd of slow ones turns over.
const CROWDED_GRACE: Duration = Duration::from_secs(1);

/// Serves one connection until it ends, times out, idles or the server stops.
/// While connections are at the cap, one that has no request under way (still
/// sending headers, or kept alive) for [`CROWDED_GRACE`] is closed.
async fn connection(
    stream: tokio::net::TcpStream,
    app: Router,
    limits: Limits,
    _slot: tokio::sync::OwnedSemaphorePermit,
    mut closing: tokio::sync::watch::Receiver<bool>,
    mut crowded: tokio::sync::watch::Receiver<bool>,
) {
    let _open = ops::OpenConnection::new();
    let started = Instant::now();
    let since_start = move || started.elapsed().as_millis() as u64;
    let activity = Arc::new(AtomicU64::new(0));
    // Requests under way, and when the last one was answered (ms since start).
    let busy = Arc::new(AtomicU64::new(0));
    let answered = Arc::new(AtomicU64::new(0));
    let io = hyper_util::rt::TokioIo::new(Watched {
        inner: stream,
        started,
        activity: activity.clone(),
    });
    let (busy_in, busy_out, answered_out) = (busy.clone(), busy.clone(), answered.clone());
    let service = tower::ServiceBuilder::new()
        .layer(tower_http::timeout::RequestBodyTimeoutLayer::new(
            limits.body_read_timeout,
        ))
        .map_request(move |req| {
            busy_in.fetch_add(1, Ordering::Relaxed);
            req
        })
        .map_future(move |fut| {
            let (busy, answered) = (busy_out.clone(), answered_out.clone());
            async move {
                let r = fut.await;
                answered.store(since_start(), Ordering::Relaxed);
                busy.fetch_sub(1, Ordering::Relaxed);
                r
            }
        })
        .service(app);
    let service = hyper_util::service::TowerToHyperService::new(service);
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .keep_alive(true);
    let conn = http.serve_connection(io, service);
    tokio::pin!(conn);
    // When this connection may be closed, and why.
    let deadline = |crowded: bool| {
        if busy.load(Ordering::Relaxed) > 0 {
            // A request under way is bounded by the request and body
            // timeouts, not by this one: look again later.
            return (Instant::now() + limits.idle_timeout, "");
        }
        let last = Duration::from_millis(activity.load(Ordering::Relaxed));
        let idle = (
            started + last + limits.idle_timeout,
            "idle connection closed",
        );
        if crowded {
            let waiting = Duration::from_millis(answered.load(Ordering::Relaxed));
            let shed = (
                started + waiting + CROWDED_GRACE,
                "connection without a request closed at the connection limit",
            );
            return if shed.0 < idle.0 { shed } else { idle };
        }
        idle
    };
    loop {
        let (at, _) = deadline(*crowded.borrow());
        tokio::select! {
            _ = conn.as_mut() => return,
            _ = closing.changed() => {
                conn.as_mut().graceful_shutdown();
                let _ = tokio::time::timeout(limits.shutdown_grace, conn.as_mut()).await;
                return;
            }
            Ok(()) = crowded.changed() => {}
            () = tokio::time::sleep_until(tokio::time::Instant::from_std(at)) => {
                let (at, why) = deadline(*crowded.borrow());
                if Instant::now() >= at {
                    tracing::debug!("{why}");
                    return;
                }
            }
        }
    }
}

/// A TCP stream that notes when a byte last moved (ms since `started`).
struct Watched {
    inner: tokio::net::TcpStream,
    started: Instant,
    activity: Arc<AtomicU64>,
}

impl Watched {
    fn touch(&self) {
        let ms = self.started.elapsed().as_millis() as u64;
        self.activity.store(ms, Ordering::Relaxed);
    }
}

impl tokio::io::AsyncRead for Watched {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let r = std::pin::Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.touch();
        }
        r
    }
}

impl tokio::io::AsyncWrite for Watched {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        data: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        let r = std::pin::Pin::new(&mut self.inner).poll_write(cx, data);
        if matches!(r, std::task::Poll::Ready(Ok(n)) if n > 0) {
            self.touch();
        }
        r
    }
    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_shutdown(cx)
    }
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
