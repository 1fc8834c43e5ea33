//! `ssc-myositis-cds serve | evaluate REQUEST.json | discovery | policy | report | purge`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use chrono::NaiveDate;
use clap::{Parser, Subcommand};

use ssc_myositis_cds::auth::{AuthConfig, Verifier};
use ssc_myositis_cds::clinical::Policy;
use ssc_myositis_cds::engine::Engine;
use ssc_myositis_cds::http::{self, ApiError, AppState, Audit, AuthMode, Limits};
use ssc_myositis_cds::prefetch::{FetchSettings, Fetcher};
use ssc_myositis_cds::services::Services;
use ssc_myositis_cds::store::{self, report::day_start_ms, AuditKey, Store};
use ssc_myositis_cds::terminology::Terminology;

#[derive(Parser)]
#[command(
    name = "ssc-myositis-cds",
    version,
    about = "CDS Hooks service for corticosteroid orders in SSc-myositis overlap"
)]
struct Cli {
    /// Directory of FHIR ValueSet JSON files replacing the compiled-in ones of the same id.
    #[arg(long, env = "SSC_CDS_VALUESETS", global = true)]
    valuesets: Option<PathBuf>,
    /// Clinical policy file (TOML) changing default thresholds; see `policy`.
    #[arg(long, env = "SSC_CDS_POLICY", global = true)]
    policy: Option<PathBuf>,
    /// Where cards, feedback and used token ids are kept: a SQLite file
    /// (created when absent) or a postgres:// URL shared by replicas.
    #[arg(
        long,
        env = "SSC_CDS_DATABASE",
        global = true,
        default_value = "ssc-myositis-cds.sqlite"
    )]
    database: String,
    /// Days cards and feedback are kept; `purge` (and `serve`, hourly) deletes older ones.
    #[arg(
        long,
        env = "SSC_CDS_RETENTION_DAYS",
        global = true,
        default_value_t = 365
    )]
    retention_days: u32,
    #[command(subcommand)]
    command: Command,
}

// Parsed once at start-up: the size of the serve variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
enum Command {
    /// Run the HTTP service.
    Serve {
        /// Address to listen on.
        #[arg(long, env = "SSC_CDS_LISTEN", default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        /// Trusted CDS clients (TOML): issuers, keys, audience base URL.
        #[arg(long, env = "SSC_CDS_AUTH_CONFIG")]
        auth_config: Option<PathBuf>,
        /// Base URL clients call (the JWT audience), when behind a proxy.
        #[arg(long, env = "SSC_CDS_PUBLIC_BASE_URL")]
        public_base_url: Option<String>,
        /// Origins browsers may call from (repeat, or comma-separated); default any origin.
        #[arg(
            long = "cors-allow-origin",
            env = "SSC_CDS_CORS_ALLOW_ORIGINS",
            value_delimiter = ','
        )]
        cors_allow_origin: Vec<String>,
        /// Serve without authentication on a non-loopback address. Never in production.
        #[arg(long, env = "SSC_CDS_INSECURE_NO_AUTH")]
        insecure_no_auth: bool,
        /// Largest request body accepted, in bytes.
        #[arg(long, env = "SSC_CDS_MAX_BODY_BYTES", default_value_t = 8 * 1024 * 1024)]
        max_body_bytes: usize,
        /// Deepest JSON nesting accepted.
        #[arg(long, env = "SSC_CDS_MAX_JSON_DEPTH", default_value_t = 64)]
        max_json_depth: usize,
        /// Requests served at once; more get 503.
        #[arg(long, env = "SSC_CDS_MAX_CONCURRENT_REQUESTS", default_value_t = 64)]
        max_concurrent_requests: usize,
        /// Longest a request may take, in milliseconds; then 503.
        #[arg(long, env = "SSC_CDS_REQUEST_TIMEOUT_MS", default_value_t = 10_000)]
        request_timeout_ms: u64,
        /// Open connections at once (at most the file limit less a reserve); more wait.
        #[arg(long, env = "SSC_CDS_MAX_CONNECTIONS", default_value_t = 4096)]
        max_connections: usize,
        /// Time for a client to send a request's headers, in milliseconds; also the
        /// longest a kept-alive connection may wait for its next request.
        #[arg(long, env = "SSC_CDS_HEADER_READ_TIMEOUT_MS", default_value_t = 10_000)]
        header_read_timeout_ms: u64,
        /// A connection with no request under way on which nothing moves for this long
        /// is closed, in milliseconds.
        #[arg(long, env = "SSC_CDS_IDLE_TIMEOUT_MS", default_value_t = 30_000)]
        idle_timeout_ms: u64,
        /// Longest wait for the next part of a request body, in milliseconds.
        #[arg(long, env = "SSC_CDS_BODY_READ_TIMEOUT_MS", default_value_t = 5_000)]
        body_read_timeout_ms: u64,
        /// FHIR servers that may be queried for missing prefetch when authentication is
        /// off (with trusted issuers: each issuer's `fhir_servers`). Repeat or comma-separate.
        #[arg(
            long = "fhir-server-allow",
            env = "SSC_CDS_FHIR_SERVER_ALLOW",
            value_delimiter = ','
        )]
        fhir_server_allow: Vec<String>,
        /// Query FHIR servers that come without fhirAuthorization (open servers).
        #[arg(long, env = "SSC_CDS_ALLOW_OPEN_FHIR_SERVERS")]
        allow_open_fhir_servers: bool,
        /// Query http (not https) FHIR servers that are not on loopback.
        #[arg(long, env = "SSC_CDS_ALLOW_HTTP_FHIR_SERVERS")]
        allow_http_fhir_servers: bool,
        /// Timeout of one FHIR server request, in milliseconds.
        #[arg(long, env = "SSC_CDS_FHIR_TIMEOUT_MS", default_value_t = 300)]
        fhir_timeout_ms: u64,
        /// All FHIR server queries of one hook call end by then, in milliseconds.
        #[arg(long, env = "SSC_CDS_FHIR_DEADLINE_MS", default_value_t = 400)]
        fhir_deadline_ms: u64,
        /// Pages followed per FHIR search.
        #[arg(long, env = "SSC_CDS_FHIR_MAX_PAGES", default_value_t = 5)]
        fhir_max_pages: usize,
        /// Bytes read per FHIR search, all pages together.
        #[arg(long, env = "SSC_CDS_FHIR_MAX_BYTES", default_value_t = 8 * 1024 * 1024)]
        fhir_max_bytes: usize,
        /// Evaluate as of this date (YYYY-MM-DD) instead of today: for demos and tests.
        #[arg(long, env = "SSC_CDS_TODAY")]
        today: Option<NaiveDate>,
        /// Secret of the patient-id hash in the audit (at least 32 bytes of text).
        /// Default with SQLite: DATABASE.audit-key, created on first start.
        /// Required with PostgreSQL (the same file on every replica).
        #[arg(long, env = "SSC_CDS_AUDIT_KEY_FILE")]
        audit_key_file: Option<PathBuf>,
        /// Longest wait for a database write, in milliseconds; then 503.
        #[arg(long, env = "SSC_CDS_STORE_TIMEOUT_MS", default_value_t = 2_000)]
        store_timeout_ms: u64,
    },
    /// Print the CDS response for a request file, without a server.
    Evaluate {
        /// A CDS Hooks request (JSON).
        request: PathBuf,
        /// Service id; by default the service for the request's hook.
        #[arg(long)]
        service: Option<String>,
        /// Evaluate as of this date (YYYY-MM-DD) instead of today.
        #[arg(long)]
        today: Option<NaiveDate>,
    },
    /// Print the discovery document.
    Discovery,
    /// Print the clinical policy in force as a documented TOML file.
    Policy,
    /// Print acceptance and override rates per service and rule.
    Report {
        /// Only cards issued from this day on (YYYY-MM-DD, UTC).
        #[arg(long)]
        since: Option<NaiveDate>,
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Delete cards and feedback older than the retention period, and expired token ids.
    Purge,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum Format {
    Text,
    Json,
}

fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Runtime::new().map_err(|e| e.to_string())
}

fn open_store(rt: &tokio::runtime::Runtime, database: &str) -> Result<Store, String> {
    rt.block_on(Store::open(&store::database_url(database)))
        .map_err(|e| format!("cannot open the database: {e}"))
}

/// Unix milliseconds `days` ago.
fn retention_cutoff_ms(days: u32) -> i64 {
    chrono::Utc::now().timestamp_millis() - i64::from(days) * 86_400_000
}

fn audit_key(database: &str, file: Option<&PathBuf>) -> Result<AuditKey, String> {
    match file {
        Some(f) => AuditKey::from_file(f),
        None if store::database_url(database).starts_with("sqlite:")
            && !database.starts_with("sqlite:") =>
        {
            AuditKey::load_or_create(std::path::Path::new(&format!("{database}.audit-key")))
        }
        None => Err(
            "--audit-key-file is required with this database (every replica needs the same key)"
                .into(),
        ),
    }
}

fn engine(valuesets: Option<&PathBuf>, policy: Option<&PathBuf>) -> Result<Engine, String> {
    let terminology = match valuesets {
        Some(dir) => Terminology::with_directory(dir),
        None => Terminology::embedded(),
    }
    .map_err(|e| e.to_string())?;
    let services = Services::embedded().map_err(|e| e.to_string())?;
    let policy = match policy {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            Policy::from_toml(&text).map_err(|e| format!("{}: {e}", path.display()))?
        }
        None => Policy::default(),
    };
    Ok(Engine {
        terminology,
        policy,
        services,
    })
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

fn main() -> ExitCode {
    let cli = Cli::parse();
    let spec = std::env::var("RUST_LOG").unwrap_or_else(|_| "info".into());
    tracing_subscriber::fmt()
        .with_env_filter(http::log_filter(&spec))
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let engine = match engine(cli.valuesets.as_ref(), cli.policy.as_ref()) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    if !engine.policy.changed().is_empty() {
        tracing::info!(settings = ?engine.policy.changed(), "local policy in force");
    }
    match cli.command {
        Command::Report { since, format } => {
            let result = runtime().and_then(|rt| {
                let store = open_store(&rt, &cli.database)?;
                rt.block_on(store.report(since.map(day_start_ms).unwrap_or(0)))
                    .map_err(|e| e.to_string())
            });
            match result {
                Ok(r) => {
                    match format {
                        Format::Text => print!("{}", r.to_text()),
                        Format::Json => println!(
                            "{}",
                            serde_json::to_string_pretty(&r).expect("serialisable")
                        ),
                    }
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    ExitCode::from(2)
                }
            }
        }
        Command::Purge => {
            let result = runtime().and_then(|rt| {
                let store = open_store(&rt, &cli.database)?;
                rt.block_on(store.purge(
                    retention_cutoff_ms(cli.retention_days),
                    chrono::Utc::now().timestamp(),
                ))
                .map_err(|e| e.to_string())
            });
            match result {
                Ok(p) => {
                    println!(
                        "purged {} card(s), {} feedback item(s), {} expired token id(s) (retention {} days)",
                        p.cards, p.feedback, p.replay_ids, cli.retention_days
                    );
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    ExitCode::from(2)
                }
            }
        }
        Command::Policy => {
            print!("{}", engine.policy.to_toml());
            ExitCode::SUCCESS
        }
        Command::Discovery => {
            println!("{:#}", engine.services.discovery());
            ExitCode::SUCCESS
        }
        Command::Evaluate {
            request,
            service,
            today,
        } => {
            let body = match std::fs::read(&request) {
                Ok(b) => b,
                Err(e) => {
                    eprintln!("error: cannot read {}: {e}", request.display());
                    return ExitCode::from(2);
                }
            };
            let hook = serde_json::from_slice::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| v.get("hook").and_then(|h| h.as_str()).map(str::to_string));
            let svc = match (&service, &hook) {
                (Some(id), _) => engine.services.get(id),
                (None, Some(h)) => engine.services.for_hook(h),
                (None, None) => engine.services.services.first(),
            };
            let Some(svc) = svc else {
                let e = ApiError::UnknownService(service.or(hook).unwrap_or_default());
                eprintln!("error: {e}");
                return ExitCode::from(2);
            };
            let today = today.unwrap_or_else(|| chrono::Utc::now().date_naive());
            match engine.evaluate(svc, &body, today) {
                Ok((response, _)) => {
                    println!(
                        "{}",
                        serde_json::to_string_pretty(&response).expect("serialisable")
                    );
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    let e = ApiError::Eval(e);
                    eprintln!("error: HTTP {} {e}", e.status().as_u16());
                    println!("{:#}", e.outcome());
                    ExitCode::from(1)
                }
            }
        }
        Command::Serve {
            listen,
            auth_config,
            public_base_url,
            cors_allow_origin,
            insecure_no_auth,
            max_body_bytes,
            max_json_depth,
            max_concurrent_requests,
            request_timeout_ms,
            max_connections,
            header_read_timeout_ms,
            idle_timeout_ms,
            body_read_timeout_ms,
            fhir_server_allow,
            allow_open_fhir_servers,
            allow_http_fhir_servers,
            fhir_timeout_ms,
            fhir_deadline_ms,
            fhir_max_pages,
            fhir_max_bytes,
            today,
            audit_key_file,
            store_timeout_ms,
        } => {
            let ms = |v: u64| std::time::Duration::from_millis(v.max(1));
            let limits = Limits {
                max_body_bytes,
                max_json_depth,
                max_concurrent_requests: max_concurrent_requests.max(1),
                request_timeout: ms(request_timeout_ms),
                max_connections: connection_cap(max_connections),
                header_read_timeout: ms(header_read_timeout_ms),
                idle_timeout: ms(idle_timeout_ms),
                body_read_timeout: ms(body_read_timeout_ms),
            };
            let cfg = match auth_config.as_ref().map(|p| {
                std::fs::read_to_string(p)
                    .map_err(|e| format!("cannot read {}: {e}", p.display()))
                    .and_then(|t| AuthConfig::from_toml(&t, p).map_err(|e| e.to_string()))
            }) {
                Some(Err(e)) => {
                    eprintln!("error: {e}");
                    return ExitCode::from(2);
                }
                Some(Ok(c)) => Some(c),
                None => None,
            };
            let base =
                public_base_url.or_else(|| cfg.as_ref().and_then(|c| c.public_base_url.clone()));
            if let Some(c) = cfg.as_ref().filter(|c| !c.issuers.is_empty()) {
                if base.is_none() && !listen.ip().is_loopback() && !c.every_issuer_has_audiences() {
                    eprintln!(
                        "error: refusing to listen on {listen} with trusted issuers but no public_base_url: \
                         the JWT audience must be configured, never taken from request headers \
                         (set public_base_url or --public-base-url, or `audiences` for every issuer)"
                    );
                    return ExitCode::from(2);
                }
            }
            let auth = match cfg.filter(|c| !c.issuers.is_empty()) {
                Some(c) => match Verifier::new(c) {
                    Ok(v) => {
                        for iss in v.development_issuers() {
                            tracing::warn!(%iss, "trusting a DEVELOPMENT issuer whose private key is public: never in production");
                        }
                        Some(v)
                    }
                    Err(e) => {
                        eprintln!("error: {e}");
                        return ExitCode::from(2);
                    }
                },
                None if listen.ip().is_loopback() || insecure_no_auth => {
                    tracing::warn!(
                        listen = %listen,
                        "AUTHENTICATION DISABLED: no trusted CDS client is configured (--auth-config); \
                         any caller that reaches this address is trusted"
                    );
                    None
                }
                None => {
                    eprintln!(
                        "error: refusing to listen on {listen} without authentication: configure trusted issuers \
                         with --auth-config, listen on loopback, or pass --insecure-no-auth"
                    );
                    return ExitCode::from(2);
                }
            };
            let rt = match runtime() {
                Ok(rt) => rt,
                Err(e) => {
                    eprintln!("error: {e}");
                    return ExitCode::from(2);
                }
            };
            let key = match audit_key(&cli.database, audit_key_file.as_ref()) {
                Ok(k) => k,
                Err(e) => {
                    eprintln!("error: audit key: {e}");
                    return ExitCode::from(2);
                }
            };
            let store = match open_store(&rt, &cli.database) {
                Ok(s) => s,
                Err(e) => {
                    eprintln!("error: {e}");
                    return ExitCode::from(2);
                }
            };
            tracing::info!(backend = ?store.backend(), retention_days = cli.retention_days, "record store open");
            // Used token ids live in the database: a replay is refused across
            // restarts and replicas.
            let auth = match auth {
                Some(v) => {
                    AuthMode::Required(Arc::new(v.with_replay_store(Arc::new(store.clone()))))
                }
                None => AuthMode::Disabled,
            };
            let timeout = std::time::Duration::from_millis(store_timeout_ms.max(1));
            let audit = Audit::new(store.clone(), key, timeout, &engine);
            let mut state = AppState::new(engine, limits, auth);
            state.audit = Some(audit);
            state.today = today;
            state.public_base_url = base;
            let fetch = FetchSettings {
                request_timeout: std::time::Duration::from_millis(fhir_timeout_ms.max(1)),
                deadline: std::time::Duration::from_millis(fhir_deadline_ms.max(1)),
                max_pages: fhir_max_pages.max(1),
                max_bytes: fhir_max_bytes.max(1024),
                allow_open_servers: allow_open_fhir_servers,
                allow_http: allow_http_fhir_servers,
                allowed_servers: fhir_server_allow,
            };
            state.fetcher = match Fetcher::new(fetch) {
                Ok(f) => f,
                Err(e) => {
                    eprintln!("error: {e}");
                    return ExitCode::from(2);
                }
            };
            for origin in cors_allow_origin.iter().filter(|o| o.as_str() != "*") {
                match axum::http::HeaderValue::from_str(origin.trim()) {
                    Ok(v) => state.cors_origins.push(v),
                    Err(_) => {
                        eprintln!("error: invalid CORS origin {origin:?}");
                        return ExitCode::from(2);
                    }
                }
            }
            let state = Arc::new(state);
            let closing = store.clone();
            // Retention, hourly.
            let retention_days = cli.retention_days;
            rt.spawn(async move {
                let mut every = tokio::time::interval(std::time::Duration::from_secs(3600));
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
            });
            let served = rt.block_on(http::serve(state, listen));
            // On a clean stop, let SQLite fold its write-ahead log back into the file.
            rt.block_on(closing.close());
            match served {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("error: cannot serve on {listen}: {e}");
                    ExitCode::from(2)
                }
            }
        }
    }
}
