//! `ssc-myositis-cds serve | evaluate REQUEST.json | discovery | policy | report | purge | probe URL`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use chrono::NaiveDate;
use clap::{Parser, Subcommand};

use ssc_myositis_cds::auth::{AuthConfig, Verifier};
use ssc_myositis_cds::clinical::Policy;
use ssc_myositis_cds::config::{self, Config};
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
    /// Configuration file (TOML) holding every setting; see the example in
    /// the repository. Variables SSC_CDS_<SECTION>__<KEY> override it, and
    /// flags override both.
    #[arg(long, env = "SSC_CDS_CONFIG", global = true)]
    config: Option<PathBuf>,
    /// Directory of FHIR ValueSet JSON files replacing the compiled-in ones of the same id.
    #[arg(long, env = "SSC_CDS_VALUESETS", global = true)]
    valuesets: Option<PathBuf>,
    /// Clinical policy file (TOML) changing default thresholds; see `policy`.
    #[arg(long, env = "SSC_CDS_POLICY", global = true)]
    policy: Option<PathBuf>,
    /// Where cards, feedback and used token ids are kept: a SQLite file
    /// (created when absent; default ssc-myositis-cds.sqlite) or a
    /// postgres:// URL shared by replicas.
    #[arg(long, env = "SSC_CDS_DATABASE", global = true)]
    database: Option<String>,
    /// Days cards and feedback are kept (default 365); `purge` (and `serve`,
    /// hourly) deletes older ones.
    #[arg(long, env = "SSC_CDS_RETENTION_DAYS", global = true)]
    retention_days: Option<u32>,
    /// Log format on standard error: `human` (default) or `json` (one object a line).
    #[arg(long, env = "SSC_CDS_LOG_FORMAT", global = true, value_enum)]
    log_format: Option<LogFormat>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
enum LogFormat {
    Human,
    Json,
}

/// `serve`'s flags; each, when given, overrides the configuration file.
#[derive(clap::Args, Default)]
struct ServeArgs {
    /// Address to listen on (default 127.0.0.1:8080).
    #[arg(long, env = "SSC_CDS_LISTEN")]
    listen: Option<SocketAddr>,
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
    /// Largest request body accepted, in bytes (default 8 MiB).
    #[arg(long, env = "SSC_CDS_MAX_BODY_BYTES")]
    max_body_bytes: Option<usize>,
    /// Deepest JSON nesting accepted (default 64).
    #[arg(long, env = "SSC_CDS_MAX_JSON_DEPTH")]
    max_json_depth: Option<usize>,
    /// Requests served at once; more get 503 (default 64).
    #[arg(long, env = "SSC_CDS_MAX_CONCURRENT_REQUESTS")]
    max_concurrent_requests: Option<usize>,
    /// Longest a request may take, in milliseconds; then 503 (default 10000).
    #[arg(long, env = "SSC_CDS_REQUEST_TIMEOUT_MS")]
    request_timeout_ms: Option<u64>,
    /// Open connections at once (at most the file limit less a reserve); more
    /// wait (default 4096).
    #[arg(long, env = "SSC_CDS_MAX_CONNECTIONS")]
    max_connections: Option<usize>,
    /// Time for a client to send a request's headers, in milliseconds; also the
    /// longest a kept-alive connection may wait for its next request (default 10000).
    #[arg(long, env = "SSC_CDS_HEADER_READ_TIMEOUT_MS")]
    header_read_timeout_ms: Option<u64>,
    /// A connection with no request under way on which nothing moves for this long
    /// is closed, in milliseconds (default 30000).
    #[arg(long, env = "SSC_CDS_IDLE_TIMEOUT_MS")]
    idle_timeout_ms: Option<u64>,
    /// Longest wait for the next part of a request body, in milliseconds (default 5000).
    #[arg(long, env = "SSC_CDS_BODY_READ_TIMEOUT_MS")]
    body_read_timeout_ms: Option<u64>,
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
    /// Timeout of one FHIR server request, in milliseconds (default 300).
    #[arg(long, env = "SSC_CDS_FHIR_TIMEOUT_MS")]
    fhir_timeout_ms: Option<u64>,
    /// All FHIR server queries of one hook call end by then, in milliseconds (default 400).
    #[arg(long, env = "SSC_CDS_FHIR_DEADLINE_MS")]
    fhir_deadline_ms: Option<u64>,
    /// Pages followed per FHIR search (default 5).
    #[arg(long, env = "SSC_CDS_FHIR_MAX_PAGES")]
    fhir_max_pages: Option<usize>,
    /// Bytes read per FHIR search, all pages together (default 8 MiB).
    #[arg(long, env = "SSC_CDS_FHIR_MAX_BYTES")]
    fhir_max_bytes: Option<usize>,
    /// Evaluate as of this date (YYYY-MM-DD) instead of today: for demos and tests.
    #[arg(long, env = "SSC_CDS_TODAY")]
    today: Option<NaiveDate>,
    /// Secret of the patient-id hash in the audit (at least 32 bytes of text).
    /// Default with SQLite: audit-key in $XDG_STATE_HOME/ssc-myositis-cds
    /// (else ~/.local/state/ssc-myositis-cds), created on first start;
    /// never beside the database.
    /// Required with PostgreSQL (the same file on every replica).
    #[arg(long, env = "SSC_CDS_AUDIT_KEY_FILE")]
    audit_key_file: Option<PathBuf>,
    /// Longest wait for a database write, in milliseconds; then 503 (default 2000).
    #[arg(long, env = "SSC_CDS_STORE_TIMEOUT_MS")]
    store_timeout_ms: Option<u64>,
}

// Parsed once at start-up: the size of the serve variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
enum Command {
    /// Run the HTTP service.
    Serve(ServeArgs),
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
        /// Only this tenant's cards and feedback (the tokens' `tenant` claim).
        #[arg(long)]
        tenant: Option<String>,
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Delete cards and feedback older than the retention period, and expired token ids.
    Purge,
    /// Check a configuration file: exit 0 when the service would start with it.
    Config {
        #[command(subcommand)]
        action: ConfigAction,
    },
    /// GET a URL (such as http://127.0.0.1:8080/readyz); exit 0 on a 2xx answer,
    /// else 1. For container health checks: the image has no curl.
    Probe {
        url: String,
        /// Longest wait for the answer, in milliseconds.
        #[arg(long, default_value_t = 3_000)]
        timeout_ms: u64,
    },
}

/// `probe`: 0 when `url` answers 2xx within the timeout.
fn probe(url: &str, timeout_ms: u64) -> ExitCode {
    let result = runtime().and_then(|rt| {
        rt.block_on(async {
            let client = reqwest::Client::builder()
                .timeout(std::time::Duration::from_millis(timeout_ms.max(1)))
                .build()
                .map_err(|e| e.to_string())?;
            let resp = client.get(url).send().await.map_err(|e| e.to_string())?;
            Ok::<_, String>(resp.status())
        })
    });
    match result {
        Ok(status) if status.is_success() => {
            println!("{}", status.as_u16());
            ExitCode::SUCCESS
        }
        Ok(status) => {
            eprintln!("probe: HTTP {}", status.as_u16());
            ExitCode::from(1)
        }
        Err(e) => {
            eprintln!("probe: {e}");
            ExitCode::from(1)
        }
    }
}

#[derive(Subcommand)]
enum ConfigAction {
    /// Load FILE with the environment's overrides, report the first problem
    /// (naming the key), exit 0 when none.
    Check { file: PathBuf },
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

fn fetch_settings(f: &config::Fhir) -> FetchSettings {
    let ms = |v: u64| std::time::Duration::from_millis(v.max(1));
    FetchSettings {
        request_timeout: ms(f.timeout_ms),
        deadline: ms(f.deadline_ms),
        max_pages: f.max_pages.max(1),
        max_bytes: f.max_bytes.max(1024),
        allow_open_servers: f.allow_open_servers,
        allow_http: f.allow_http_servers,
        allowed_servers: f.allow.clone(),
    }
}

fn engine(cfg: &Config) -> Result<Engine, String> {
    let terminology = match cfg.clinical.valuesets.as_ref() {
        Some(dir) => Terminology::with_directory(dir),
        None => Terminology::embedded(),
    }
    .map_err(|e| e.to_string())?;
    let services = Services::embedded().map_err(|e| e.to_string())?;
    let policy = match (cfg.clinical.policy_file.as_ref(), cfg.policy.clone()) {
        (Some(path), _) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            Policy::from_toml(&text).map_err(|e| format!("{}: {e}", path.display()))?
        }
        (None, Some(table)) => Policy::from_table(table).map_err(|e| format!("[policy]: {e}"))?,
        (None, None) => Policy::default(),
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

/// The command line as a partial configuration: only what was given.
fn overrides(cli: &Cli) -> serde_json::Value {
    use serde_json::{json, Map, Value};
    let mut root = Map::new();
    let mut put = |section: &str, key: &str, v: Value| {
        if !v.is_null() {
            root.entry(section)
                .or_insert_with(|| json!({}))
                .as_object_mut()
                .expect("a section is an object")
                .insert(key.into(), v);
        }
    };
    put("clinical", "valuesets", json!(cli.valuesets));
    put("clinical", "policy_file", json!(cli.policy));
    put("database", "url", json!(cli.database));
    put("database", "retention_days", json!(cli.retention_days));
    put("server", "log_format", json!(cli.log_format));
    if let Command::Serve(a) = &cli.command {
        let some = |b: bool| if b { json!(true) } else { Value::Null };
        let list = |l: &Vec<String>| {
            if l.is_empty() {
                Value::Null
            } else {
                json!(l.iter().map(|s| s.trim()).collect::<Vec<_>>())
            }
        };
        put("server", "listen", json!(a.listen));
        put("server", "trust_file", json!(a.auth_config));
        put("server", "public_base_url", json!(a.public_base_url));
        put("server", "cors_allow_origins", list(&a.cors_allow_origin));
        put("server", "insecure_no_auth", some(a.insecure_no_auth));
        put("server", "today", json!(a.today));
        put("limits", "max_body_bytes", json!(a.max_body_bytes));
        put("limits", "max_json_depth", json!(a.max_json_depth));
        put(
            "limits",
            "max_concurrent_requests",
            json!(a.max_concurrent_requests),
        );
        put("limits", "request_timeout_ms", json!(a.request_timeout_ms));
        put("limits", "max_connections", json!(a.max_connections));
        put(
            "limits",
            "header_read_timeout_ms",
            json!(a.header_read_timeout_ms),
        );
        put("limits", "idle_timeout_ms", json!(a.idle_timeout_ms));
        put(
            "limits",
            "body_read_timeout_ms",
            json!(a.body_read_timeout_ms),
        );
        put("fhir", "allow", list(&a.fhir_server_allow));
        put(
            "fhir",
            "allow_open_servers",
            some(a.allow_open_fhir_servers),
        );
        put(
            "fhir",
            "allow_http_servers",
            some(a.allow_http_fhir_servers),
        );
        put("fhir", "timeout_ms", json!(a.fhir_timeout_ms));
        put("fhir", "deadline_ms", json!(a.fhir_deadline_ms));
        put("fhir", "max_pages", json!(a.fhir_max_pages));
        put("fhir", "max_bytes", json!(a.fhir_max_bytes));
        put("database", "audit_key_file", json!(a.audit_key_file));
        put("database", "store_timeout_ms", json!(a.store_timeout_ms));
    }
    Value::Object(root)
}

/// The trust configuration: `server.trust_file`, else the inline `[trust]`
/// (its relative paths taken from the configuration file's directory).
fn trust(cfg: &Config, file: Option<&std::path::Path>) -> Result<Option<AuthConfig>, String> {
    if let Some(p) = cfg.server.trust_file.as_ref() {
        let text =
            std::fs::read_to_string(p).map_err(|e| format!("cannot read {}: {e}", p.display()))?;
        return AuthConfig::from_toml(&text, p)
            .map(Some)
            .map_err(|e| e.to_string());
    }
    match cfg.trust.clone() {
        Some(table) => {
            let at = file.map_or_else(|| PathBuf::from("./[trust]"), |f| f.to_path_buf());
            AuthConfig::from_table(table, &at)
                .map(Some)
                .map_err(|e| format!("[trust]: {e}"))
        }
        None => Ok(None),
    }
}

/// `config check FILE`: everything the service reads at start-up, without starting it.
fn config_check(cli: &Cli, file: &std::path::Path) -> ExitCode {
    let checked = Config::load(Some(file), std::env::vars(), &overrides(cli))
        .map_err(|e| e.to_string())
        .and_then(|cfg| {
            engine(&cfg)?;
            let trust = trust(&cfg, Some(file))?;
            if let Some(t) = trust.filter(|t| !t.issuers.is_empty()) {
                Verifier::new(t).map_err(|e| e.to_string())?;
            }
            Ok(cfg)
        });
    match checked {
        Ok(cfg) => {
            println!(
                "{}: ok (listen {}, database {})",
                file.display(),
                cfg.server.listen,
                if cfg.database.url.starts_with("postgres") {
                    "PostgreSQL"
                } else {
                    "SQLite"
                }
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {}: {e}", file.display());
            ExitCode::from(2)
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match &cli.command {
        Command::Probe { url, timeout_ms } => return probe(url, *timeout_ms),
        Command::Config {
            action: ConfigAction::Check { file },
        } => return config_check(&cli, file),
        _ => {}
    }
    let cfg = match Config::load(cli.config.as_deref(), std::env::vars(), &overrides(&cli)) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let spec = std::env::var("RUST_LOG").unwrap_or_else(|_| "info".into());
    let logs = tracing_subscriber::fmt()
        .with_env_filter(http::log_filter(&spec))
        .with_writer(std::io::stderr);
    match cfg.server.log_format {
        config::LogFormat::Human => logs
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .init(),
        config::LogFormat::Json => logs
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .init(),
    }
    // The client for the EHR's FHIR server reads the system's TLS roots: for
    // `serve`, on a second thread while the matchers are built.
    let fetcher = matches!(cli.command, Command::Serve(_)).then(|| {
        let settings = fetch_settings(&cfg.fhir);
        std::thread::spawn(move || Fetcher::new(settings))
    });
    let engine = match engine(&cfg) {
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
        Command::Report {
            since,
            tenant,
            format,
        } => {
            let result = runtime().and_then(|rt| {
                let store = open_store(&rt, &cfg.database.url)?;
                rt.block_on(store.report(since.map(day_start_ms).unwrap_or(0), tenant.as_deref()))
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
                let store = open_store(&rt, &cfg.database.url)?;
                rt.block_on(store.purge(
                    retention_cutoff_ms(cfg.database.retention_days),
                    chrono::Utc::now().timestamp(),
                ))
                .map_err(|e| e.to_string())
            });
            match result {
                Ok(p) => {
                    println!(
                        "purged {} card(s), {} feedback item(s), {} expired token id(s) (retention {} days)",
                        p.cards, p.feedback, p.replay_ids, cfg.database.retention_days
                    );
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    ExitCode::from(2)
                }
            }
        }
        Command::Probe { .. } | Command::Config { .. } => {
            unreachable!("answered before the configuration is loaded")
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
            let today = today.unwrap_or_else(|| engine.policy.today_at(chrono::Utc::now()));
            // The cards link to the guidance pages of the service this
            // configuration would run.
            let base = cfg
                .server
                .public_base_url
                .clone()
                .unwrap_or_else(|| config::listen_base(cfg.server.listen));
            match engine.evaluate_at(svc, &body, today, Some(&base)) {
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
        Command::Serve(_) => {
            let l = &cfg.limits;
            let listen = cfg.server.listen;
            let ms = |v: u64| std::time::Duration::from_millis(v.max(1));
            let limits = Limits {
                max_body_bytes: l.max_body_bytes,
                max_draft_orders: l.max_draft_orders.max(1),
                feedback_per_minute: l.feedback_per_minute.max(1),
                max_json_depth: l.max_json_depth,
                max_concurrent_requests: l.max_concurrent_requests.max(1),
                request_timeout: ms(l.request_timeout_ms),
                max_connections: connection_cap(l.max_connections),
                header_read_timeout: ms(l.header_read_timeout_ms),
                idle_timeout: ms(l.idle_timeout_ms),
                body_read_timeout: ms(l.body_read_timeout_ms),
                shutdown_grace: ms(l.shutdown_grace_ms),
            };
            let trusted = match trust(&cfg, cli.config.as_deref()) {
                Err(e) => {
                    eprintln!("error: {e}");
                    return ExitCode::from(2);
                }
                Ok(c) => c,
            };
            let base = cfg
                .server
                .public_base_url
                .clone()
                .or_else(|| trusted.as_ref().and_then(|c| c.public_base_url.clone()));
            if let Some(c) = trusted.as_ref().filter(|c| !c.issuers.is_empty()) {
                if base.is_none() && !listen.ip().is_loopback() && !c.every_issuer_has_audiences() {
                    eprintln!(
                        "error: refusing to listen on {listen} with trusted issuers but no public_base_url: \
                         the JWT audience must be configured, never taken from request headers \
                         (set public_base_url or --public-base-url, or `audiences` for every issuer)"
                    );
                    return ExitCode::from(2);
                }
            }
            if base.is_none() && !listen.ip().is_loopback() {
                tracing::warn!(
                    links = %config::listen_base(listen),
                    "no public_base_url: cards link their guidance pages at the listen address; \
                     set public_base_url to the address clinicians' browsers reach"
                );
            }
            let insecure_no_auth = cfg.server.insecure_no_auth;
            let auth = match trusted.filter(|c| !c.issuers.is_empty()) {
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
                    let file = cli.config.as_ref().map_or_else(
                        || "a configuration file given with --config".to_string(),
                        |f| f.display().to_string(),
                    );
                    eprintln!(
                        "error: refusing to listen on {listen} without authentication: add a [trust] section \
                         naming your EHR's issuer and its JWKS, and public_base_url, to {file} \
                         (see config/ssc-myositis-cds.example.toml), or give a trust file with --auth-config; \
                         else listen on loopback, or set insecure_no_auth (never in production)"
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
            let key = match audit_key(&cfg.database.url, cfg.database.audit_key_file.as_ref()) {
                Ok(k) => k,
                Err(e) => {
                    eprintln!("error: audit key: {e}");
                    return ExitCode::from(2);
                }
            };
            let store = match open_store(&rt, &cfg.database.url) {
                Ok(s) => s,
                Err(e) => {
                    eprintln!("error: {e}");
                    return ExitCode::from(2);
                }
            };
            let timeout = ms(cfg.database.store_timeout_ms);
            let store = store.with_write_timeout(timeout);
            tracing::info!(backend = ?store.backend(), retention_days = cfg.database.retention_days, "record store open");
            // Used token ids live in the database: a replay is refused across
            // restarts and replicas.
            let auth = match auth {
                Some(v) => {
                    AuthMode::Required(Arc::new(v.with_replay_store(Arc::new(store.clone()))))
                }
                None => AuthMode::Disabled,
            };
            let mut audit = Audit::new(store.clone(), key, timeout, &engine);
            audit.report_free_text = cfg.database.report_free_text;
            let fetcher = match fetcher.map(|t| t.join()) {
                Some(Ok(Ok(f))) => f,
                Some(Ok(Err(e))) => {
                    eprintln!("error: {e}");
                    return ExitCode::from(2);
                }
                _ => {
                    eprintln!("error: the HTTP client for FHIR servers could not be built");
                    return ExitCode::from(2);
                }
            };
            let mut state = AppState::with_fetcher(engine, limits, auth, fetcher);
            state.audit = Some(audit);
            state.today = cfg.server.today;
            state.public_base_url = base;
            for origin in cfg
                .server
                .cors_allow_origins
                .iter()
                .filter(|o| o.as_str() != "*")
            {
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
            let retention_days = cfg.database.retention_days;
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
