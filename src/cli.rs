//! The command line: `ssc-myositis-cds serve | evaluate REQUEST.json |
//! discovery | policy | report | purge | config check FILE | probe URL`.
//!
//! Every flag that is also a setting is declared once, in the section of the
//! configuration it overrides, under the key it sets (`serde(rename)` where
//! the flag's name differs): [`Cli::overrides`] is those flags serialised,
//! not a list kept by hand.

use std::net::SocketAddr;
use std::path::PathBuf;

use chrono::NaiveDate;
use clap::{Parser, Subcommand};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::config::LogFormat;

#[derive(Parser)]
#[command(
    name = "ssc-myositis-cds",
    version,
    about = "CDS Hooks service for corticosteroid orders in SSc-myositis overlap"
)]
pub struct Cli {
    /// Configuration file (TOML) holding every setting; see the example in
    /// the repository. Variables SSC_CDS_<SECTION>__<KEY> override it, and
    /// flags override both.
    #[arg(long, env = "SSC_CDS_CONFIG", global = true)]
    pub config: Option<PathBuf>,
    #[command(flatten)]
    pub clinical: ClinicalArgs,
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// Log format on standard error: `human` (default) or `json` (one object a line).
    #[arg(long, env = "SSC_CDS_LOG_FORMAT", global = true, value_enum)]
    pub log_format: Option<LogFormat>,
    #[command(subcommand)]
    pub command: Command,
}

/// A list entry as given, without the spaces around it ("a, b").
fn trimmed(s: &str) -> Result<String, String> {
    Ok(s.trim().to_string())
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// `[clinical]`
#[derive(clap::Args, Serialize, Default)]
pub struct ClinicalArgs {
    /// Directory of FHIR ValueSet JSON files replacing the compiled-in ones of the same id.
    #[arg(long, env = "SSC_CDS_VALUESETS", global = true)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub valuesets: Option<PathBuf>,
    /// Clinical policy file (TOML) changing default thresholds; see `policy`.
    #[arg(long = "policy", env = "SSC_CDS_POLICY", global = true)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy_file: Option<PathBuf>,
}

/// `[database]`, the flags every command takes.
#[derive(clap::Args, Serialize, Default)]
pub struct DatabaseArgs {
    /// Where cards, feedback and used token ids are kept: a SQLite file
    /// (created when absent; default ssc-myositis-cds.sqlite) or a
    /// postgres:// URL shared by replicas.
    #[arg(long = "database", env = "SSC_CDS_DATABASE", global = true)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Days cards and feedback are kept (default 365); `purge` (and `serve`,
    /// hourly) deletes older ones.
    #[arg(long, env = "SSC_CDS_RETENTION_DAYS", global = true)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retention_days: Option<u32>,
}

/// `serve`'s flags, by the section they override; each, when given,
/// overrides the configuration file.
#[derive(clap::Args, Default)]
pub struct ServeArgs {
    #[command(flatten)]
    pub server: ServerArgs,
    #[command(flatten)]
    pub limits: LimitsArgs,
    #[command(flatten)]
    pub fhir: FhirArgs,
    #[command(flatten)]
    pub database: ServeDatabaseArgs,
}

/// `[server]`
#[derive(clap::Args, Serialize, Default)]
pub struct ServerArgs {
    /// Address to listen on (default 127.0.0.1:8080).
    #[arg(long, env = "SSC_CDS_LISTEN")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen: Option<SocketAddr>,
    /// Trusted CDS clients (TOML): issuers, keys, audience base URL.
    #[arg(long = "auth-config", env = "SSC_CDS_AUTH_CONFIG")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trust_file: Option<PathBuf>,
    /// Base URL clients call (the JWT audience and the cards' links), when behind a proxy.
    #[arg(long, env = "SSC_CDS_PUBLIC_BASE_URL")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub public_base_url: Option<String>,
    /// Origins browsers may call from (repeat, or comma-separated); default any origin.
    #[arg(
        long = "cors-allow-origin",
        env = "SSC_CDS_CORS_ALLOW_ORIGINS",
        value_delimiter = ',',
        value_parser = trimmed
    )]
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cors_allow_origins: Vec<String>,
    /// Serve without authentication on a non-loopback address. Never in production.
    #[arg(long, env = "SSC_CDS_INSECURE_NO_AUTH")]
    #[serde(skip_serializing_if = "is_false")]
    pub insecure_no_auth: bool,
    /// Evaluate as of this date (YYYY-MM-DD) instead of today: for demos and tests.
    #[arg(long, env = "SSC_CDS_TODAY")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub today: Option<NaiveDate>,
}

/// `[limits]`
#[derive(clap::Args, Serialize, Default)]
pub struct LimitsArgs {
    /// Largest request body accepted, in bytes (default 8 MiB).
    #[arg(long, env = "SSC_CDS_MAX_BODY_BYTES")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_body_bytes: Option<usize>,
    /// Deepest JSON nesting accepted (default 64).
    #[arg(long, env = "SSC_CDS_MAX_JSON_DEPTH")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_json_depth: Option<usize>,
    /// Requests served at once; more get 503 (default 64).
    #[arg(long, env = "SSC_CDS_MAX_CONCURRENT_REQUESTS")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_concurrent_requests: Option<usize>,
    /// Longest a request may take, in milliseconds; then 503 (default 10000).
    #[arg(long, env = "SSC_CDS_REQUEST_TIMEOUT_MS")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_timeout_ms: Option<u64>,
    /// Open connections at once (at most the file limit less a reserve); more
    /// wait (default 4096).
    #[arg(long, env = "SSC_CDS_MAX_CONNECTIONS")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_connections: Option<usize>,
    /// Time for a client to send a request's headers, in milliseconds; also the
    /// longest a kept-alive connection may wait for its next request (default 10000).
    #[arg(long, env = "SSC_CDS_HEADER_READ_TIMEOUT_MS")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub header_read_timeout_ms: Option<u64>,
    /// A connection with no request under way on which nothing moves for this long
    /// is closed, in milliseconds (default 30000).
    #[arg(long, env = "SSC_CDS_IDLE_TIMEOUT_MS")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub idle_timeout_ms: Option<u64>,
    /// Longest wait for the next part of a request body, in milliseconds (default 5000).
    #[arg(long, env = "SSC_CDS_BODY_READ_TIMEOUT_MS")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body_read_timeout_ms: Option<u64>,
}

/// `[fhir]`
#[derive(clap::Args, Serialize, Default)]
pub struct FhirArgs {
    /// FHIR servers that may be queried for missing prefetch when authentication is
    /// off (with trusted issuers: each issuer's `fhir_servers`). Repeat or comma-separate.
    #[arg(
        long = "fhir-server-allow",
        env = "SSC_CDS_FHIR_SERVER_ALLOW",
        value_delimiter = ',',
        value_parser = trimmed
    )]
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub allow: Vec<String>,
    /// Query FHIR servers that come without fhirAuthorization (open servers).
    #[arg(
        long = "allow-open-fhir-servers",
        env = "SSC_CDS_ALLOW_OPEN_FHIR_SERVERS"
    )]
    #[serde(skip_serializing_if = "is_false")]
    pub allow_open_servers: bool,
    /// Query http (not https) FHIR servers that are not on loopback.
    #[arg(
        long = "allow-http-fhir-servers",
        env = "SSC_CDS_ALLOW_HTTP_FHIR_SERVERS"
    )]
    #[serde(skip_serializing_if = "is_false")]
    pub allow_http_servers: bool,
    /// Timeout of one FHIR server request, in milliseconds (default 300).
    #[arg(long = "fhir-timeout-ms", env = "SSC_CDS_FHIR_TIMEOUT_MS")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout_ms: Option<u64>,
    /// All FHIR server queries of one hook call end by then, in milliseconds (default 400).
    #[arg(long = "fhir-deadline-ms", env = "SSC_CDS_FHIR_DEADLINE_MS")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deadline_ms: Option<u64>,
    /// Pages followed per FHIR search (default 5).
    #[arg(long = "fhir-max-pages", env = "SSC_CDS_FHIR_MAX_PAGES")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_pages: Option<usize>,
    /// Bytes read per FHIR search, all pages together (default 8 MiB).
    #[arg(long = "fhir-max-bytes", env = "SSC_CDS_FHIR_MAX_BYTES")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_bytes: Option<usize>,
}

/// `[database]`, the flags only `serve` takes.
#[derive(clap::Args, Serialize, Default)]
pub struct ServeDatabaseArgs {
    /// Secret of the patient-id hash in the audit (at least 32 bytes of text).
    /// Default with SQLite: audit-key in $XDG_STATE_HOME/ssc-myositis-cds
    /// (else ~/.local/state/ssc-myositis-cds), created on first start;
    /// never beside the database.
    /// Required with PostgreSQL (the same file on every replica).
    #[arg(long, env = "SSC_CDS_AUDIT_KEY_FILE")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audit_key_file: Option<PathBuf>,
    /// Longest wait for a database write, in milliseconds; then 503 (default 2000).
    #[arg(long, env = "SSC_CDS_STORE_TIMEOUT_MS")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub store_timeout_ms: Option<u64>,
}

// Parsed once at start-up: the size of the serve variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
pub enum Command {
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

#[derive(Subcommand)]
pub enum ConfigAction {
    /// Load FILE with the environment's overrides, report the first problem
    /// (naming the key), exit 0 when none.
    Check { file: PathBuf },
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
}

/// Adds `value`'s fields (a serialised section of flags) to `section`.
fn put(root: &mut Map<String, Value>, section: &str, value: impl Serialize) {
    let Ok(Value::Object(fields)) = serde_json::to_value(value) else {
        return;
    };
    if fields.is_empty() {
        return;
    }
    if let Value::Object(into) = root
        .entry(section)
        .or_insert_with(|| Value::Object(Map::new()))
    {
        into.extend(fields);
    }
}

impl Cli {
    /// The command line as a partial configuration: only what was given.
    pub fn overrides(&self) -> Value {
        #[derive(Serialize)]
        struct LogArgs {
            #[serde(skip_serializing_if = "Option::is_none")]
            log_format: Option<LogFormat>,
        }
        let mut root = Map::new();
        put(&mut root, "clinical", &self.clinical);
        put(&mut root, "database", &self.database);
        put(
            &mut root,
            "server",
            LogArgs {
                log_format: self.log_format,
            },
        );
        if let Command::Serve(a) = &self.command {
            put(&mut root, "server", &a.server);
            put(&mut root, "limits", &a.limits);
            put(&mut root, "fhir", &a.fhir);
            put(&mut root, "database", &a.database);
        }
        Value::Object(root)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    #[test]
    fn every_serve_flag_sets_its_configuration_key() {
        let cli = Cli::try_parse_from([
            "ssc-myositis-cds",
            "--valuesets=/vs",
            "--policy=/p.toml",
            "--database=postgres://db/cds",
            "--retention-days=30",
            "--log-format=json",
            "serve",
            "--listen=0.0.0.0:9000",
            "--auth-config=/trust.toml",
            "--public-base-url=https://cds.example.org",
            "--cors-allow-origin=https://a.example, https://b.example",
            "--insecure-no-auth",
            "--today=2026-11-24",
            "--max-body-bytes=1000",
            "--max-json-depth=10",
            "--max-concurrent-requests=3",
            "--request-timeout-ms=4",
            "--max-connections=5",
            "--header-read-timeout-ms=6",
            "--idle-timeout-ms=7",
            "--body-read-timeout-ms=8",
            "--fhir-server-allow=https://ehr.example/fhir",
            "--allow-open-fhir-servers",
            "--allow-http-fhir-servers",
            "--fhir-timeout-ms=9",
            "--fhir-deadline-ms=11",
            "--fhir-max-pages=12",
            "--fhir-max-bytes=13000",
            "--audit-key-file=/key",
            "--store-timeout-ms=14",
        ])
        .unwrap();
        let c = Config::load(None, std::iter::empty(), &cli.overrides()).unwrap();
        assert_eq!(c.clinical.valuesets, Some("/vs".into()));
        assert_eq!(c.clinical.policy_file, Some("/p.toml".into()));
        assert_eq!(c.database.url, "postgres://db/cds");
        assert_eq!(c.database.retention_days, 30);
        assert_eq!(c.server.log_format, LogFormat::Json);
        assert_eq!(c.server.listen, "0.0.0.0:9000".parse().unwrap());
        assert_eq!(c.server.trust_file, Some("/trust.toml".into()));
        assert_eq!(
            c.server.public_base_url.as_deref(),
            Some("https://cds.example.org")
        );
        assert_eq!(
            c.server.cors_allow_origins,
            ["https://a.example", "https://b.example"]
        );
        assert!(c.server.insecure_no_auth);
        assert_eq!(c.server.today, NaiveDate::from_ymd_opt(2026, 11, 24));
        let l = &c.limits;
        assert_eq!(
            (
                l.max_body_bytes,
                l.max_json_depth,
                l.max_concurrent_requests,
                l.request_timeout_ms,
                l.max_connections,
                l.header_read_timeout_ms,
                l.idle_timeout_ms,
                l.body_read_timeout_ms
            ),
            (1000, 10, 3, 4, 5, 6, 7, 8)
        );
        let f = &c.fhir;
        assert_eq!(f.allow, ["https://ehr.example/fhir"]);
        assert!(f.allow_open_servers && f.allow_http_servers);
        assert_eq!(
            (f.timeout_ms, f.deadline_ms, f.max_pages, f.max_bytes),
            (9, 11, 12, 13000)
        );
        assert_eq!(c.database.audit_key_file, Some("/key".into()));
        assert_eq!(c.database.store_timeout_ms, 14);
    }

    #[test]
    fn flags_not_given_override_nothing() {
        let cli = Cli::try_parse_from(["ssc-myositis-cds", "serve"]).unwrap();
        assert_eq!(cli.overrides(), serde_json::json!({}));
        let c = Config::load(None, std::iter::empty(), &cli.overrides()).unwrap();
        assert_eq!(c, Config::default());
    }
}
