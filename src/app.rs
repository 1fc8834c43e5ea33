//! One start-up path: [`App::build`] turns a loaded [`Config`] into
//! everything the commands use (terminology, policy and services; then, for
//! `serve`, trust, store, FHIR client and the HTTP state), once, for
//! `serve`, `evaluate` and `config check` alike. Every failure is a
//! [`StartError`]; the binary maps it to an exit code in one place.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDate;

use crate::auth::{AuthConfig, Verifier};
use crate::cds::HookResponse;
use crate::clinical::Policy;
use crate::config::{self, Config};
use crate::engine::Engine;
use crate::http::{self, ApiError, AppState, Audit, AuthMode, Limits};
use crate::prefetch::{FetchSettings, Fetcher};
use crate::services::Services;
use crate::store::{self, AuditKey, Store};
use crate::terminology::Terminology;

/// Why a command could not start or finish.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The configuration, the policy, the trust file, the store: the service
    /// would not start with them.
    #[error("{0}")]
    Setup(String),
    /// A request given to `evaluate` that the service refuses, with the
    /// OperationOutcome it would answer.
    #[error("HTTP {status} {message}")]
    Refused {
        status: u16,
        message: String,
        outcome: serde_json::Value,
    },
    /// `probe`: the URL did not answer 2xx.
    #[error("probe: {0}")]
    Probe(String),
}

impl StartError {
    /// The process's exit code: 1 for a refused request, 2 for a setup that
    /// would not start.
    pub fn exit_code(&self) -> u8 {
        match self {
            StartError::Refused { .. } | StartError::Probe(_) => 1,
            StartError::Setup(_) => 2,
        }
    }
}

impl From<String> for StartError {
    fn from(s: String) -> Self {
        StartError::Setup(s)
    }
}

/// What every command shares, built once.
pub struct App {
    pub config: Config,
    /// The configuration file it was loaded from (relative paths of an
    /// inline `[trust]` are taken from its directory).
    pub config_file: Option<PathBuf>,
    pub engine: Engine,
}

/// A fresh multi-threaded runtime for the commands that need one.
pub fn runtime() -> Result<tokio::runtime::Runtime, StartError> {
    tokio::runtime::Runtime::new().map_err(|e| StartError::Setup(e.to_string()))
}

/// Unix milliseconds `days` ago.
pub fn retention_cutoff_ms(days: u32) -> i64 {
    chrono::Utc::now().timestamp_millis() - i64::from(days) * 86_400_000
}

impl App {
    /// Terminology (embedded or a directory), services, and the policy (its
    /// file, else the inline `[policy]`, else the defaults).
    pub fn build(config: Config, config_file: Option<&Path>) -> Result<App, StartError> {
        let terminology = crate::engine::warming(|| match config.clinical.valuesets.as_ref() {
            Some(dir) => Terminology::with_directory(dir),
            None => Terminology::embedded(),
        })
        .map_err(|e| e.to_string())?;
        let services = Services::embedded().map_err(|e| e.to_string())?;
        let policy = match (config.clinical.policy_file.as_ref(), config.policy.clone()) {
            (Some(path), _) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
                Policy::from_toml(&text).map_err(|e| format!("{}: {e}", path.display()))?
            }
            (None, Some(table)) => {
                Policy::from_table(table).map_err(|e| format!("[policy]: {e}"))?
            }
            (None, None) => Policy::default(),
        };
        if !policy.changed().is_empty() {
            tracing::info!(settings = ?policy.changed(), "local policy in force");
        }
        Ok(App {
            config,
            config_file: config_file.map(Path::to_path_buf),
            engine: Engine {
                terminology,
                policy,
                services,
            },
        })
    }

    /// `config check`: everything `serve` reads before it opens the store,
    /// trust included.
    pub fn check(&self) -> Result<(), StartError> {
        if let Some(t) = self.trust()?.filter(|t| !t.issuers.is_empty()) {
            Verifier::new(t).map_err(|e| e.to_string())?;
        }
        Ok(())
    }

    /// The trust configuration: `server.trust_file`, else the inline `[trust]`
    /// (its relative paths taken from the configuration file's directory).
    pub fn trust(&self) -> Result<Option<AuthConfig>, StartError> {
        if let Some(p) = self.config.server.trust_file.as_ref() {
            let text = std::fs::read_to_string(p)
                .map_err(|e| format!("cannot read {}: {e}", p.display()))?;
            return Ok(Some(
                AuthConfig::from_toml(&text, p).map_err(|e| e.to_string())?,
            ));
        }
        match self.config.trust.clone() {
            Some(table) => {
                let at = self
                    .config_file
                    .clone()
                    .unwrap_or_else(|| PathBuf::from("./[trust]"));
                Ok(Some(
                    AuthConfig::from_table(table, &at).map_err(|e| format!("[trust]: {e}"))?,
                ))
            }
            None => Ok(None),
        }
    }

    /// Opens the record store.
    pub fn store(&self, rt: &tokio::runtime::Runtime) -> Result<Store, StartError> {
        rt.block_on(Store::open(&store::database_url(&self.config.database.url)))
            .map_err(|e| StartError::Setup(format!("cannot open the database: {e}")))
    }

    /// `evaluate`: the response to a request file, without a server. The
    /// cards link to the guidance pages of the service this configuration
    /// would run.
    pub fn evaluate(
        &self,
        body: &[u8],
        service: Option<&str>,
        today: Option<NaiveDate>,
    ) -> Result<HookResponse, StartError> {
        let services = &self.engine.services;
        let hook = serde_json::from_slice::<serde_json::Value>(body)
            .ok()
            .and_then(|v| v.get("hook").and_then(|h| h.as_str()).map(str::to_string));
        let svc = match (service, &hook) {
            (Some(id), _) => services.get(id),
            (None, Some(h)) => services.for_hook(h),
            (None, None) => services.services.first(),
        };
        let refused = |e: ApiError| StartError::Refused {
            status: e.status().as_u16(),
            message: e.to_string(),
            outcome: e.outcome(),
        };
        let Some(svc) = svc else {
            let id = service.map(str::to_string).or(hook).unwrap_or_default();
            return Err(StartError::Setup(ApiError::UnknownService(id).to_string()));
        };
        let today = today.unwrap_or_else(|| self.engine.policy.today_at(chrono::Utc::now()));
        let base = self
            .config
            .server
            .public_base_url
            .clone()
            .unwrap_or_else(|| config::listen_base(self.config.server.listen));
        self.engine
            .evaluate_at(svc, body, today, Some(&base))
            .map(|(response, _)| response)
            .map_err(|e| refused(ApiError::Eval(e)))
    }

    /// `serve`: builds trust, store and the HTTP state around the FHIR
    /// client being built, then serves until a signal; the store is closed
    /// cleanly after.
    pub fn serve(self, fetcher: PendingFetcher) -> Result<(), StartError> {
        let cfg = &self.config;
        let listen = cfg.server.listen;
        let limits = limits(&cfg.limits);
        let trusted = self.trust()?;
        let base = cfg
            .server
            .public_base_url
            .clone()
            .or_else(|| trusted.as_ref().and_then(|c| c.public_base_url.clone()));
        let auth = verifier(
            trusted,
            base.as_deref(),
            listen,
            cfg,
            self.config_file.as_deref(),
        )?;
        if base.is_none() && !listen.ip().is_loopback() {
            tracing::warn!(
                links = %config::listen_base(listen),
                "no public_base_url: cards link their guidance pages at the listen address; \
                 set public_base_url to the address clinicians' browsers reach"
            );
        }
        let rt = runtime()?;
        let key = audit_key(&cfg.database.url, cfg.database.audit_key_file.as_ref())
            .map_err(|e| format!("audit key: {e}"))?;
        let timeout = Duration::from_millis(cfg.database.store_timeout_ms.max(1));
        let store = self.store(&rt)?.with_write_timeout(timeout);
        tracing::info!(backend = ?store.backend(), retention_days = cfg.database.retention_days, "record store open");
        // Used token ids live in the database: a replay is refused across
        // restarts and replicas.
        let auth = match auth {
            Some(v) => AuthMode::Required(Arc::new(v.with_replay_store(Arc::new(store.clone())))),
            None => AuthMode::Disabled,
        };
        let mut audit = Audit::new(store.clone(), key, timeout, &self.engine);
        audit.report_free_text = cfg.database.report_free_text;
        let fetcher = match fetcher.0.join() {
            Ok(built) => built.map_err(|e| e.to_string())?,
            Err(_) => {
                return Err(StartError::Setup(
                    "the HTTP client for FHIR servers could not be built".into(),
                ))
            }
        };
        let mut cors_origins = vec![];
        for origin in cfg.server.cors_allow_origins.iter().filter(|o| *o != "*") {
            let v = axum::http::HeaderValue::from_str(origin.trim())
                .map_err(|_| format!("invalid CORS origin {origin:?}"))?;
            cors_origins.push(v);
        }
        let retention_days = cfg.database.retention_days;
        let today = cfg.server.today;
        let state = Arc::new(
            AppState::with_fetcher(self.engine, limits, auth, fetcher)
                .with_audit(audit)
                .on(today)
                .with_public_base_url(base)
                .with_cors_origins(cors_origins),
        );
        rt.spawn(purge_hourly(store.clone(), retention_days));
        let served = rt.block_on(http::serve(state, listen));
        // On a clean stop, let SQLite fold its write-ahead log back into the file.
        rt.block_on(store.close());
        served.map_err(|e| StartError::Setup(format!("cannot serve on {listen}: {e}")))
    }
}

/// The client for the EHR's FHIR server, being built on its own thread (it
/// reads the system's TLS roots) while the matchers are.
pub struct PendingFetcher(std::thread::JoinHandle<Result<Fetcher, String>>);

impl PendingFetcher {
    pub fn start(f: &config::Fhir) -> PendingFetcher {
        let settings = FetchSettings::from(f);
        PendingFetcher(std::thread::spawn(move || Fetcher::new(settings)))
    }
}

/// The HTTP limits from their settings, the connection cap fitted to the
/// open-file limit.
fn limits(l: &config::Limits) -> Limits {
    let mut limits = Limits::from(l);
    limits.max_connections = connection_cap(l.max_connections);
    limits
}

/// The token verifier, or none where the service may run without one
/// (loopback, or `insecure_no_auth`). Refuses a setup where the JWT
/// audience would have to come from request headers, and a non-loopback
/// listener without authentication.
fn verifier(
    trusted: Option<AuthConfig>,
    base: Option<&str>,
    listen: SocketAddr,
    cfg: &Config,
    config_file: Option<&Path>,
) -> Result<Option<Verifier>, StartError> {
    let Some(c) = trusted.filter(|c| !c.issuers.is_empty()) else {
        if listen.ip().is_loopback() || cfg.server.insecure_no_auth {
            tracing::warn!(
                listen = %listen,
                "AUTHENTICATION DISABLED: no trusted CDS client is configured (--auth-config); \
                 any caller that reaches this address is trusted"
            );
            return Ok(None);
        }
        return Err(StartError::Setup(format!(
            "refusing to listen on {listen} without authentication: add a [trust] section \
             naming your EHR's issuer and its JWKS, and public_base_url, to {} \
             (see config/ssc-myositis-cds.example.toml), or give a trust file with --auth-config; \
             else listen on loopback, or set insecure_no_auth (never in production)",
            config_file.map_or_else(
                || "a configuration file given with --config".to_string(),
                |f| f.display().to_string()
            )
        )));
    };
    if base.is_none() && !listen.ip().is_loopback() && !c.every_issuer_has_audiences() {
        return Err(StartError::Setup(format!(
            "refusing to listen on {listen} with trusted issuers but no public_base_url: \
             the JWT audience must be configured, never taken from request headers \
             (set public_base_url or --public-base-url, or `audiences` for every issuer)"
        )));
    }
    let v = Verifier::new(c).map_err(|e| e.to_string())?;
    for iss in v.development_issuers() {
        tracing::warn!(%iss, "trusting a DEVELOPMENT issuer whose private key is public: never in production");
    }
    Ok(Some(v))
}

/// The audit key: its file, else (SQLite) the default beside the user's
/// state; PostgreSQL replicas must name one.
fn audit_key(database: &str, file: Option<&PathBuf>) -> Result<AuditKey, String> {
    let url = store::database_url(database);
    match file {
        Some(f) => AuditKey::from_file(f),
        None if url.starts_with("sqlite:") => {
            let path = store::sqlite_file(&url).map_err(|e| e.to_string())?;
            AuditKey::default_for_sqlite(&path)
        }
        None => Err(
            "--audit-key-file is required with this database (every replica needs the same key)"
                .into(),
        ),
    }
}

/// Retention, hourly.
async fn purge_hourly(store: Store, retention_days: u32) {
    let mut every = tokio::time::interval(Duration::from_secs(3600));
    loop {
        every.tick().await;
        match store
            .purge(
                retention_cutoff_ms(retention_days),
                chrono::Utc::now().timestamp(),
            )
            .await
        {
            Ok(p) => tracing::info!(
                cards = p.cards,
                feedback = p.feedback,
                replay_ids = p.replay_ids,
                "retention purge"
            ),
            Err(e) => tracing::warn!(error = %e, "retention purge failed"),
        }
    }
}

/// File descriptors kept free of client connections (JWKS and FHIR fetches,
/// logs, configuration files).
const FD_RESERVE: u64 = 128;

/// Raises the soft limit on open files to the hard one (where the OS allows),
/// and returns the connection cap that fits in it.
fn connection_cap(wanted: usize) -> usize {
    let limit = match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(n) => n,
        Err(e) => {
            tracing::warn!(error = %e, "cannot raise the open-file limit");
            match rlimit::getrlimit(rlimit::Resource::NOFILE) {
                Ok((soft, _)) => soft,
                Err(_) => return wanted.max(1),
            }
        }
    };
    let fits = usize::try_from(limit.saturating_sub(FD_RESERVE).max(16)).unwrap_or(usize::MAX);
    if wanted > fits {
        tracing::warn!(
            open_file_limit = limit,
            max_connections = fits,
            "the open-file limit caps connections below --max-connections"
        );
    } else {
        tracing::info!(open_file_limit = limit, "open-file limit");
    }
    wanted.clamp(1, fits)
}
