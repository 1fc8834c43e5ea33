//! HTTP: routes, thin handlers and middleware. Handlers know nothing of
//! doses: they hand bytes to the [`Engine`] and its result back.
//!
//! Logs carry request ids, service ids, hook instances, timings and outcomes;
//! never bodies, tokens or patient data.

pub mod admin;
mod depth;
pub mod error;
pub mod guidance;
mod hooks;
mod layers;
pub mod openapi;
pub mod ops;
pub mod rate;
mod server;

pub use depth::json_depth;
pub use hooks::loggable_id;
pub use layers::PendingClaim;
pub use server::{log_filter, serve, serve_listener};

use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::http::{header, HeaderValue, Method};
use axum::middleware::{self};
use axum::routing::{get, post};
use axum::Router;
use chrono::NaiveDate;
use tower_http::cors::{AllowOrigin, Any, CorsLayer};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use tokio::sync::Semaphore;

use crate::auth::Verifier;
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

/// The defaults are the configuration's ([`crate::config::Limits`]): written once.
impl Default for Limits {
    fn default() -> Self {
        Limits::from(&crate::config::Limits::default())
    }
}

/// The limits from their settings, every figure at least 1 (the connection
/// cap is fitted to the open-file limit at start-up, not here).
impl From<&crate::config::Limits> for Limits {
    fn from(l: &crate::config::Limits) -> Self {
        let ms = |v: u64| Duration::from_millis(v.max(1));
        Limits {
            max_body_bytes: l.max_body_bytes,
            max_draft_orders: l.max_draft_orders.max(1),
            feedback_per_minute: l.feedback_per_minute.max(1),
            max_json_depth: l.max_json_depth,
            max_concurrent_requests: l.max_concurrent_requests.max(1),
            request_timeout: ms(l.request_timeout_ms),
            max_connections: l.max_connections.max(1),
            header_read_timeout: ms(l.header_read_timeout_ms),
            idle_timeout: ms(l.idle_timeout_ms),
            body_read_timeout: ms(l.body_read_timeout_ms),
            shutdown_grace: ms(l.shutdown_grace_ms),
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
    pub(crate) today: Option<NaiveDate>,
    pub limits: Limits,
    pub auth: AuthMode,
    /// Base of the URL clients call (the JWT audience); else, on loopback,
    /// `http://{listen address}` (set by [`serve_listener`]). Never taken
    /// from request headers.
    pub(crate) public_base_url: Option<String>,
    /// The listen address as a URL ([`crate::config::listen_base`]), once listening.
    pub listen_base: std::sync::OnceLock<String>,
    /// Origins browsers may call from; empty: any origin (never with credentials).
    pub(crate) cors_origins: Vec<HeaderValue>,
    /// Queries the EHR's FHIR server for prefetch the request did not carry.
    pub fetcher: Fetcher,
    /// Hook evaluations run (after authentication and parsing).
    pub evaluations: AtomicU64,
    /// Card audit and feedback store; `None`: nothing is recorded.
    pub(crate) audit: Option<Audit>,
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

    /// Records every card and feedback item in `audit`.
    pub fn with_audit(self, audit: Audit) -> Self {
        AppState {
            audit: Some(audit),
            ..self
        }
    }

    /// Evaluates as of `today` (tests and demos); `None`: today (UTC).
    pub fn on(self, today: Option<NaiveDate>) -> Self {
        AppState { today, ..self }
    }

    /// The base of the URL clients call (the JWT audience, card links).
    pub fn with_public_base_url(self, base: Option<String>) -> Self {
        AppState {
            public_base_url: base,
            ..self
        }
    }

    /// The origins browsers may call from (empty: any, never with credentials).
    pub fn with_cors_origins(self, origins: Vec<HeaderValue>) -> Self {
        AppState {
            cors_origins: origins,
            ..self
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
        .route("/cds-services", get(hooks::discovery))
        .route("/cds-services/{id}", post(hooks::invoke))
        // Feedback has its own, smaller body limit: a larger body is refused
        // from its Content-Length (or as soon as it grows past the limit),
        // before it is read.
        .route(
            "/cds-services/{id}/feedback",
            post(hooks::feedback).layer(DefaultBodyLimit::max(
                crate::store::feedback::MAX_BODY_BYTES,
            )),
        )
        .route("/admin/report", get(admin::report_html))
        .route("/admin/report.json", get(admin::report_json))
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            layers::authenticate,
        ));
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
        .layer(middleware::from_fn_with_state(state.clone(), layers::guard))
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
        .layer(middleware::map_request(layers::plain_request_id))
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
        .layer(middleware::from_fn(layers::no_cors_for_admin))
}
