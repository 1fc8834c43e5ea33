//! Who may call: the trusted CDS clients (issuers), their keys and the claim
//! rules, read from a TOML file (`--auth-config`).
//!
//! ```toml
//! public_base_url = "https://cds.example.org"   # the JWT `aud` is this + the path called
//! leeway_seconds = 30
//! max_lifetime_seconds = 3600   # default for issuers that set none
//!
//! [[issuer]]
//! iss = "https://ehr.example.org"
//! jwks_url = "https://ehr.example.org/.well-known/jwks.json"  # or jwks_file, or jwks (inline JSON)
//! jku = ["https://ehr.example.org/.well-known/jwks.json"]     # jku values that may be followed
//! tenants = ["tenant-a"]                                       # optional
//! fhir_servers = ["https://ehr.example.org/fhir"]              # may be queried for missing prefetch
//! max_lifetime_seconds = 900                                   # optional, this issuer's cap
//! audiences = ["https://cds.example.org"]                      # optional, bases this issuer's `aud` may name
//! ```

use std::path::{Path, PathBuf};

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthConfig {
    /// Base URL the service is reached at (behind a proxy: the public one).
    /// Without it (loopback only) the audience is `http://{listen address}{path}`;
    /// it is never taken from request headers.
    pub public_base_url: Option<String>,
    #[serde(default = "defaults::leeway")]
    pub leeway_seconds: u64,
    /// Longest `exp - iat` accepted for issuers that set no cap of their own.
    /// The default admits the EHR vendors' published tokens (Epic: 900 s).
    #[serde(default = "defaults::lifetime")]
    pub max_lifetime_seconds: u64,
    /// An unknown `kid` refreshes a fetched JWKS at most this often.
    #[serde(default = "defaults::refresh")]
    pub jwks_refresh_interval_seconds: u64,
    #[serde(default = "defaults::timeout")]
    pub jwks_timeout_ms: u64,
    /// How long a call with an unknown `kid` waits for a JWKS fetch already
    /// under way (or one it starts) before it is refused; the fetch goes on.
    #[serde(default = "defaults::jwks_wait")]
    pub jwks_wait_ms: u64,
    #[serde(default = "defaults::max_token")]
    pub max_token_bytes: usize,
    #[serde(default, rename = "issuer")]
    pub issuers: Vec<IssuerConfig>,
}

mod defaults {
    pub fn leeway() -> u64 {
        30
    }
    pub fn lifetime() -> u64 {
        3600
    }
    pub fn jwks_wait() -> u64 {
        1000
    }
    pub fn refresh() -> u64 {
        60
    }
    pub fn timeout() -> u64 {
        3000
    }
    pub fn max_token() -> usize {
        8192
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IssuerConfig {
    pub iss: String,
    /// JWKS file (relative to the config file).
    pub jwks_file: Option<PathBuf>,
    /// JWKS as inline JSON text.
    pub jwks: Option<String>,
    /// JWKS URL (https, or http on loopback).
    pub jwks_url: Option<String>,
    /// `jku` header values that may be followed for this issuer (exact match).
    #[serde(default)]
    pub jku: Vec<String>,
    /// When set, the `tenant` claim must be one of these.
    #[serde(default)]
    pub tenants: Vec<String>,
    /// FHIR servers (base URLs) this issuer's requests may ask us to query.
    #[serde(default)]
    pub fhir_servers: Vec<String>,
    /// Keys whose private half is public (test sandboxes): accepted, with a
    /// warning at start-up. Never set this in production.
    #[serde(default)]
    pub development_only: bool,
    /// Longest `exp - iat` accepted from this issuer; default: the global one.
    pub max_lifetime_seconds: Option<u64>,
    /// Base URLs this issuer's tokens may name as audience (`aud` = one of
    /// them + the path called), instead of `public_base_url`.
    #[serde(default)]
    pub audiences: Vec<String>,
    /// May read the acceptance report under `/admin/`. Only issuers marked
    /// so: trusting an EHR to call the hooks is not letting it read every
    /// tenant's report.
    #[serde(default)]
    pub admin: bool,
}

#[derive(Debug, thiserror::Error)]
#[error("auth config {file}: {reason}")]
pub struct ConfigError {
    pub file: String,
    pub reason: String,
}

/// Whether a URL may be fetched: https, or http to a loopback host.
pub fn fetchable(url: &str) -> bool {
    let Ok(u) = reqwest::Url::parse(url) else {
        return false;
    };
    match u.scheme() {
        "https" => u.host_str().is_some(),
        "http" => {
            matches!(u.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"))
                || u.host_str().is_some_and(|h| h.starts_with("127."))
        }
        _ => false,
    }
}

impl AuthConfig {
    /// Whether every issuer names the audiences it may use, so that no
    /// service-wide base URL is needed.
    pub fn every_issuer_has_audiences(&self) -> bool {
        self.issuers.iter().all(|i| !i.audiences.is_empty())
    }

    pub fn from_toml(text: &str, file: &Path) -> Result<AuthConfig, ConfigError> {
        let err = |reason: String| ConfigError {
            file: file.display().to_string(),
            reason,
        };
        let table: toml::Table = toml::from_str(text).map_err(|e| err(e.to_string()))?;
        AuthConfig::from_table(table, file)
    }

    /// A trust configuration from its table as read (a trust file, or the
    /// configuration's inline `[trust]`); relative paths are taken from
    /// `file`'s directory.
    pub fn from_table(table: toml::Table, file: &Path) -> Result<AuthConfig, ConfigError> {
        let err = |reason: String| ConfigError {
            file: file.display().to_string(),
            reason,
        };
        let mut cfg: AuthConfig = table
            .try_into()
            .map_err(|e: toml::de::Error| err(e.to_string()))?;
        if let Some(base) = &cfg.public_base_url {
            let u = reqwest::Url::parse(base).map_err(|e| err(format!("public_base_url: {e}")))?;
            if !matches!(u.scheme(), "http" | "https") {
                return Err(err("public_base_url must be http(s)".into()));
            }
        }
        if cfg.max_lifetime_seconds == 0
            || cfg.max_token_bytes == 0
            || cfg
                .issuers
                .iter()
                .any(|i| i.max_lifetime_seconds == Some(0))
        {
            return Err(err(
                "max_lifetime_seconds and max_token_bytes must be positive".into(),
            ));
        }
        let dir = file.parent().unwrap_or(Path::new("."));
        let mut seen = std::collections::HashSet::new();
        for i in &mut cfg.issuers {
            if !seen.insert(i.iss.clone()) {
                return Err(err(format!("issuer {:?} appears twice", i.iss)));
            }
            let sources = [
                i.jwks_file.is_some(),
                i.jwks.is_some(),
                i.jwks_url.is_some(),
            ]
            .iter()
            .filter(|x| **x)
            .count();
            if sources > 1 {
                return Err(err(format!(
                    "issuer {:?}: give one of jwks_file, jwks, jwks_url",
                    i.iss
                )));
            }
            if sources == 0 && i.jku.is_empty() {
                return Err(err(format!(
                    "issuer {:?}: no keys (jwks_file, jwks, jwks_url or jku)",
                    i.iss
                )));
            }
            for url in i.jwks_url.iter().chain(&i.jku) {
                if !fetchable(url) {
                    return Err(err(format!(
                        "issuer {:?}: {url:?} must be https (or http on loopback)",
                        i.iss
                    )));
                }
            }
            for base in &i.audiences {
                let ok = reqwest::Url::parse(base).is_ok_and(|u| {
                    matches!(u.scheme(), "http" | "https") && u.host_str().is_some()
                });
                if !ok {
                    return Err(err(format!(
                        "issuer {:?}: audience {base:?} must be an http(s) base URL",
                        i.iss
                    )));
                }
            }
            if let Some(f) = &i.jwks_file {
                if f.is_relative() {
                    i.jwks_file = Some(dir.join(f));
                }
            }
        }
        Ok(cfg)
    }
}
