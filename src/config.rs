//! Every setting of the service in one place, layered (figment): built-in
//! defaults, then the TOML file given with `--config`, then environment
//! variables `SSC_CDS_<SECTION>__<KEY>` (e.g. `SSC_CDS_FHIR__TIMEOUT_MS`),
//! then command-line flags (and their own environment variables, e.g.
//! `SSC_CDS_LISTEN`). Unknown keys and bad values are errors that name the
//! key and where it came from.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use figment::providers::{Format, Serialized, Toml};
use figment::Figment;
use serde::{Deserialize, Serialize};

/// Prefix of the environment variables that override file settings.
pub const ENV_PREFIX: &str = "SSC_CDS_";

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub server: Server,
    pub limits: Limits,
    pub fhir: Fhir,
    pub database: Database,
    pub clinical: Clinical,
    /// Trusted CDS clients, inline: the keys of a trust file (`public_base_url`,
    /// `[[trust.issuer]]` ...). Paths in it are relative to the configuration file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trust: Option<toml::Table>,
    /// Local clinical policy, inline: the keys `ssc-myositis-cds policy` prints.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy: Option<toml::Table>,
}

#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Human,
    Json,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Server {
    pub listen: SocketAddr,
    /// Base URL clients call (the JWT audience), when behind a proxy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub public_base_url: Option<String>,
    /// Origins browsers may call from; empty: any origin.
    pub cors_allow_origins: Vec<String>,
    /// Serve without authentication on a non-loopback address.
    pub insecure_no_auth: bool,
    /// A trust file (TOML); when set, used instead of an inline `[trust]` table.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trust_file: Option<PathBuf>,
    /// Evaluate as of this date instead of today (demos, tests).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub today: Option<NaiveDate>,
    pub log_format: LogFormat,
}

impl Default for Server {
    fn default() -> Self {
        Server {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            public_base_url: None,
            cors_allow_origins: vec![],
            insecure_no_auth: false,
            trust_file: None,
            today: None,
            log_format: LogFormat::Human,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    pub max_body_bytes: usize,
    pub max_json_depth: usize,
    pub max_concurrent_requests: usize,
    pub request_timeout_ms: u64,
    pub max_connections: usize,
    pub header_read_timeout_ms: u64,
    pub idle_timeout_ms: u64,
    pub body_read_timeout_ms: u64,
    /// Time for requests under way to finish after SIGTERM/SIGINT.
    pub shutdown_grace_ms: u64,
    /// Draft orders one hook call may carry; more are refused (422): the work
    /// and the cards of a call grow with its drafts.
    pub max_draft_orders: usize,
    /// Feedback items one issuer may send a minute; more get 429.
    pub feedback_per_minute: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            // Admits a long-followed patient's full prefetch (~5 MB).
            max_body_bytes: 8 * 1024 * 1024,
            max_json_depth: 64,
            max_concurrent_requests: 64,
            request_timeout_ms: 10_000,
            max_connections: 4096,
            header_read_timeout_ms: 10_000,
            idle_timeout_ms: 30_000,
            body_read_timeout_ms: 5_000,
            shutdown_grace_ms: 10_000,
            max_draft_orders: 25,
            feedback_per_minute: 600,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Fhir {
    /// FHIR servers that may be queried when authentication is off.
    pub allow: Vec<String>,
    pub allow_open_servers: bool,
    pub allow_http_servers: bool,
    pub timeout_ms: u64,
    pub deadline_ms: u64,
    pub max_pages: usize,
    pub max_bytes: usize,
}

impl Default for Fhir {
    fn default() -> Self {
        Fhir {
            allow: vec![],
            allow_open_servers: false,
            allow_http_servers: false,
            timeout_ms: 300,
            deadline_ms: 400,
            max_pages: 5,
            max_bytes: 8 * 1024 * 1024,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Database {
    /// A SQLite file (created when absent) or a postgres:// URL.
    pub url: String,
    pub retention_days: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audit_key_file: Option<PathBuf>,
    pub store_timeout_ms: u64,
    /// Count override reasons' own display text in the report. Off: the
    /// report names our own reasons in our words and others by code, so a
    /// name or id typed into a reason never reaches it.
    pub report_free_text: bool,
}

impl Default for Database {
    fn default() -> Self {
        Database {
            url: "ssc-myositis-cds.sqlite".into(),
            retention_days: 365,
            audit_key_file: None,
            store_timeout_ms: 2_000,
            report_free_text: false,
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Clinical {
    /// Directory of FHIR ValueSet JSON files replacing compiled-in ones.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub valuesets: Option<PathBuf>,
    /// A policy file (TOML); when set, used instead of an inline `[policy]` table.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy_file: Option<PathBuf>,
}

/// Every key of the file, `section.key`; `trust` and `policy` are tables
/// whose keys belong to the trust and policy formats.
pub const KEYS: &[&str] = &[
    "server.listen",
    "server.public_base_url",
    "server.cors_allow_origins",
    "server.insecure_no_auth",
    "server.trust_file",
    "server.today",
    "server.log_format",
    "limits.max_body_bytes",
    "limits.max_draft_orders",
    "limits.feedback_per_minute",
    "limits.max_json_depth",
    "limits.max_concurrent_requests",
    "limits.request_timeout_ms",
    "limits.max_connections",
    "limits.header_read_timeout_ms",
    "limits.idle_timeout_ms",
    "limits.body_read_timeout_ms",
    "limits.shutdown_grace_ms",
    "fhir.allow",
    "fhir.allow_open_servers",
    "fhir.allow_http_servers",
    "fhir.timeout_ms",
    "fhir.deadline_ms",
    "fhir.max_pages",
    "fhir.max_bytes",
    "database.url",
    "database.retention_days",
    "database.audit_key_file",
    "database.store_timeout_ms",
    "database.report_free_text",
    "clinical.valuesets",
    "clinical.policy_file",
    "trust",
    "policy",
];

/// A configuration that cannot be used: the message names the key and
/// where its value came from.
#[derive(Debug, thiserror::Error)]
#[error("configuration: {0}")]
pub struct ConfigError(String);

impl From<figment::Error> for ConfigError {
    fn from(e: figment::Error) -> Self {
        // Each problem as `key: what (from where)`.
        let one = |e: figment::Error| {
            let key = e.path.join(".");
            let origin = e.metadata.as_ref().map(|m| match &m.source {
                Some(figment::Source::File(f)) => f.display().to_string(),
                _ => m.name.to_string(),
            });
            match (key.is_empty(), origin) {
                (false, Some(o)) => format!("{key}: {} (from {o})", e.kind),
                (false, None) => format!("{key}: {}", e.kind),
                (true, Some(o)) => format!("{} (from {o})", e.kind),
                (true, None) => e.kind.to_string(),
            }
        };
        ConfigError(e.into_iter().map(one).collect::<Vec<_>>().join("; "))
    }
}

/// One `SSC_CDS_<SECTION>__<KEY>` variable as a figment provider that names it.
struct EnvVar {
    name: String,
    value: Serialized<figment::value::Value>,
}

impl figment::Provider for EnvVar {
    fn metadata(&self) -> figment::Metadata {
        figment::Metadata::named(format!("environment variable {}", self.name))
    }
    fn data(
        &self,
    ) -> Result<figment::value::Map<figment::Profile, figment::value::Dict>, figment::Error> {
        self.value.data()
    }
}

impl Config {
    /// Defaults < `file` < `SSC_CDS_<SECTION>__<KEY>` variables of `env` <
    /// `overrides` (the command line, as a partial configuration).
    pub fn load(
        file: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
        overrides: &impl Serialize,
    ) -> Result<Config, ConfigError> {
        let mut fig = Figment::from(Serialized::defaults(Config::default()));
        if let Some(path) = file {
            if !path.is_file() {
                return Err(ConfigError(format!(
                    "cannot read {}: no such file",
                    path.display()
                )));
            }
            fig = fig.merge(Toml::file_exact(path));
        }
        // Only SECTION__KEY variables: the flat ones (SSC_CDS_LISTEN ...) are
        // the flags' own, and other SSC_CDS_ variables are not settings.
        let mut vars: Vec<(String, String)> = env
            .into_iter()
            .filter(|(k, _)| k.strip_prefix(ENV_PREFIX).is_some_and(|r| r.contains("__")))
            .collect();
        vars.sort();
        for (name, value) in vars {
            let key = name[ENV_PREFIX.len()..]
                .to_ascii_lowercase()
                .replace("__", ".");
            let value = value
                .parse::<figment::value::Value>()
                .unwrap_or_else(|_| value.into());
            fig = fig.merge(EnvVar {
                name,
                value: Serialized::default(&key, value),
            });
        }
        fig = fig.merge(Serialized::defaults(overrides));
        let cfg: Config = fig.extract()?;
        cfg.check()?;
        Ok(cfg)
    }

    /// Values each field's type admits but the service does not.
    fn check(&self) -> Result<(), ConfigError> {
        let positive = [
            ("limits.max_body_bytes", self.limits.max_body_bytes as u64),
            (
                "limits.max_draft_orders",
                self.limits.max_draft_orders as u64,
            ),
            (
                "limits.feedback_per_minute",
                u64::from(self.limits.feedback_per_minute),
            ),
            ("limits.max_json_depth", self.limits.max_json_depth as u64),
            (
                "limits.max_concurrent_requests",
                self.limits.max_concurrent_requests as u64,
            ),
            ("limits.request_timeout_ms", self.limits.request_timeout_ms),
            ("limits.max_connections", self.limits.max_connections as u64),
            (
                "limits.header_read_timeout_ms",
                self.limits.header_read_timeout_ms,
            ),
            ("limits.idle_timeout_ms", self.limits.idle_timeout_ms),
            (
                "limits.body_read_timeout_ms",
                self.limits.body_read_timeout_ms,
            ),
            ("fhir.timeout_ms", self.fhir.timeout_ms),
            ("fhir.deadline_ms", self.fhir.deadline_ms),
            ("fhir.max_pages", self.fhir.max_pages as u64),
            ("fhir.max_bytes", self.fhir.max_bytes as u64),
            (
                "database.retention_days",
                u64::from(self.database.retention_days),
            ),
            ("database.store_timeout_ms", self.database.store_timeout_ms),
        ];
        for (key, v) in positive {
            if v == 0 {
                return Err(ConfigError(format!("{key} must be positive")));
            }
        }
        if self.database.url.trim().is_empty() {
            return Err(ConfigError("database.url is empty".into()));
        }
        Ok(())
    }
}

/// The base URL of a listen address, for links and the default JWT
/// audience: `http://{address}`, and `http://localhost:{port}` for an
/// unspecified address (0.0.0.0, ::), which no client can call.
pub fn listen_base(addr: SocketAddr) -> String {
    if addr.ip().is_unspecified() {
        format!("http://localhost:{}", addr.port())
    } else {
        format!("http://{addr}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_listen_address_as_a_base_url() {
        for (addr, base) in [
            ("127.0.0.1:8080", "http://127.0.0.1:8080"),
            ("0.0.0.0:8080", "http://localhost:8080"),
            ("[::]:9000", "http://localhost:9000"),
            ("[::1]:9000", "http://[::1]:9000"),
            ("10.1.2.3:80", "http://10.1.2.3:80"),
        ] {
            assert_eq!(listen_base(addr.parse().unwrap()), base, "{addr}");
        }
    }

    fn keys_of(v: &toml::Table, prefix: &str, out: &mut Vec<String>) {
        for (k, v) in v {
            match v {
                toml::Value::Table(t) if prefix.is_empty() => keys_of(t, k, out),
                _ => out.push(format!("{prefix}.{k}")),
            }
        }
    }

    #[test]
    fn every_default_key_is_listed() {
        let table = toml::Table::try_from(Config::default()).unwrap();
        let mut found = vec![];
        keys_of(&table, "", &mut found);
        for k in &found {
            assert!(KEYS.contains(&k.as_str()), "{k} missing from KEYS");
        }
        // Those not serialised by default are the optional ones.
        assert!(found.len() >= KEYS.len() - 10, "{found:?}");
    }

    #[test]
    fn layers_apply_in_order_and_name_bad_keys() {
        let dir = std::env::temp_dir().join(format!("ssc-cfg-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("c.toml");
        std::fs::write(
            &file,
            "[fhir]\ntimeout_ms = 900\ndeadline_ms = 1000\n[database]\nretention_days = 30\n",
        )
        .unwrap();
        let none = serde_json::json!({});
        let env = vec![
            ("SSC_CDS_FHIR__TIMEOUT_MS".to_string(), "700".to_string()),
            ("SSC_CDS_TEST_POSTGRES".to_string(), "ignored".to_string()),
        ];
        let c = Config::load(Some(&file), env.clone(), &none).unwrap();
        assert_eq!(c.fhir.timeout_ms, 700);
        assert_eq!(c.fhir.deadline_ms, 1000);
        assert_eq!(c.database.retention_days, 30);
        let flags = serde_json::json!({"fhir": {"timeout_ms": 500}});
        let c = Config::load(Some(&file), env, &flags).unwrap();
        assert_eq!(c.fhir.timeout_ms, 500);

        std::fs::write(&file, "[fhir]\ntimeout_msec = 900\n").unwrap();
        let e = Config::load(Some(&file), vec![], &none)
            .unwrap_err()
            .to_string();
        assert!(e.contains("timeout_msec"), "{e}");
        std::fs::write(&file, "[limits]\nmax_body_bytes = \"big\"\n").unwrap();
        let e = Config::load(Some(&file), vec![], &none)
            .unwrap_err()
            .to_string();
        assert!(e.contains("max_body_bytes"), "{e}");
        let env = vec![(
            "SSC_CDS_LIMITS__MAX_CONNECTIONS".to_string(),
            "0".to_string(),
        )];
        let e = Config::load(None, env, &none).unwrap_err().to_string();
        assert!(e.contains("limits.max_connections"), "{e}");
        let env = vec![(
            "SSC_CDS_LIMTS__MAX_CONNECTIONS".to_string(),
            "5".to_string(),
        )];
        let e = Config::load(None, env, &none).unwrap_err().to_string();
        assert!(e.contains("limts"), "{e}");
        let _ = std::fs::remove_dir_all(dir);
    }
}
