//! Trusting CDS clients (CDS Hooks 2.0): every call carries
//! `Authorization: Bearer <JWT>` signed by a trusted EHR.
//!
//! Checks, in order: the token's size and shape; header `alg` among
//! ES256/384/512 and RS256/384/512 (never `none` or a symmetric algorithm),
//! `kid` present, `typ` JWT when given; `iss` a configured issuer; a `jku`
//! only when in that issuer's allowlist (an arbitrary URL from a token is never
//! fetched); the key by `kid` (configured keys, else the issuer's JWKS URL or
//! allowlisted `jku`, cached, refreshed on an unknown `kid` at most once per
//! interval, failing closed when unreachable); the signature; `exp`, `iat`
//! (not in the future), `nbf`, and `exp - iat` within the maximum lifetime,
//! each with a small leeway; `aud` equal to the exact URL called; `jti` not
//! seen before (replay store); `tenant` in the issuer's allowlist when one is
//! set. Extra claims (`sub`, `nbf`, ...) are tolerated.
//!
//! Failures carry a reason for the log; the client only ever sees a generic
//! 401. Tokens are never logged.

pub mod config;
pub mod keys;

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde::Deserialize;
use serde_json::Value;
use tokio::sync::Mutex;

pub use config::{AuthConfig, ConfigError, IssuerConfig};
use keys::Jwk;

/// Why a token was refused (logged; never sent to the client).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("no bearer token")]
    MissingToken,
    #[error("token too large")]
    TooLarge,
    #[error("malformed token: {0}")]
    Malformed(&'static str),
    #[error("algorithm {0:?} not accepted")]
    AlgorithmNotAccepted(String),
    #[error("header has no kid")]
    MissingKid,
    #[error("header typ is not JWT")]
    WrongType,
    #[error("header has unsupported crit")]
    UnsupportedCrit,
    #[error("issuer not trusted")]
    UntrustedIssuer,
    #[error("jku not in the issuer's allowlist")]
    UntrustedJku,
    #[error("no key with this kid")]
    UnknownKid,
    #[error("JWKS unavailable: {0}")]
    JwksUnavailable(String),
    #[error("key unusable: {0}")]
    KeyMismatch(&'static str),
    #[error("bad signature")]
    BadSignature,
    #[error("missing claim {0}")]
    MissingClaim(&'static str),
    #[error("token expired")]
    Expired,
    #[error("token issued in the future")]
    IssuedInFuture,
    #[error("token not yet valid (nbf)")]
    NotYetValid,
    #[error("token lifetime longer than allowed")]
    LifetimeTooLong,
    #[error("audience is not the URL called")]
    WrongAudience,
    #[error("jti already used")]
    Replayed,
    #[error("replay store unavailable")]
    ReplayStoreUnavailable,
    #[error("tenant not allowed")]
    TenantNotAllowed,
}

/// What a verified token says about the caller (no token content beyond these).
#[derive(Debug, Clone)]
pub struct Caller {
    pub iss: String,
    pub tenant: Option<String>,
    /// FHIR servers this caller may ask us to query.
    pub fhir_servers: Vec<String>,
}

#[derive(Deserialize)]
struct Header {
    alg: Option<String>,
    kid: Option<String>,
    typ: Option<String>,
    jku: Option<String>,
    crit: Option<Value>,
}

struct Cached {
    keys: Vec<Jwk>,
    fetched: Instant,
}

struct Issuer {
    cfg: IssuerConfig,
    keys: Vec<Jwk>,
    /// Fetched JWKS by URL (the JWKS URL and allowlisted jku values).
    cache: Mutex<HashMap<String, Cached>>,
}

/// Remembers used `jti` values outside this process (a database that
/// replicas share). `claim` answers `Ok(true)` for the first use of
/// (issuer, jti) before `expires_at_unix`, `Ok(false)` for a replay.
pub trait ReplayStore: Send + Sync {
    fn claim<'a>(
        &'a self,
        issuer: &'a str,
        jti: &'a str,
        expires_at_unix: i64,
    ) -> Pin<Box<dyn Future<Output = Result<bool, String>> + Send + 'a>>;
}

/// Verifies CDS client JWTs.
pub struct Verifier {
    cfg: AuthConfig,
    issuers: HashMap<String, Issuer>,
    /// Used `jti` values when no [`ReplayStore`] is set (one process only).
    seen: std::sync::Mutex<HashMap<(String, String), i64>>,
    replay: Option<Arc<dyn ReplayStore>>,
    http: reqwest::Client,
}

/// Most `jti` values remembered at once; beyond it new tokens are refused
/// (fail closed) until old ones expire.
const REPLAY_CAPACITY: usize = 200_000;
/// Largest JWKS document read.
const MAX_JWKS_BYTES: usize = 256 * 1024;

fn b64_json(part: &str) -> Result<Value, AuthError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| AuthError::Malformed("not base64url"))?;
    serde_json::from_slice(&bytes).map_err(|_| AuthError::Malformed("not JSON"))
}

impl Verifier {
    pub fn new(cfg: AuthConfig) -> Result<Verifier, ConfigError> {
        let mut issuers = HashMap::new();
        for i in &cfg.issuers {
            let err = |reason: String| ConfigError {
                file: format!("issuer {:?}", i.iss),
                reason,
            };
            let text = match (&i.jwks_file, &i.jwks) {
                (Some(f), _) => {
                    Some(std::fs::read(f).map_err(|e| err(format!("{}: {e}", f.display())))?)
                }
                (_, Some(inline)) => Some(inline.as_bytes().to_vec()),
                _ => None,
            };
            let keys = match text {
                Some(t) => keys::parse_jwks(&t).map_err(err)?,
                None => vec![],
            };
            issuers.insert(
                i.iss.clone(),
                Issuer {
                    cfg: i.clone(),
                    keys,
                    cache: Mutex::new(HashMap::new()),
                },
            );
        }
        let http = reqwest::Client::builder()
            .timeout(Duration::from_millis(cfg.jwks_timeout_ms))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| ConfigError {
                file: "http client".into(),
                reason: e.to_string(),
            })?;
        Ok(Verifier {
            cfg,
            issuers,
            seen: std::sync::Mutex::new(HashMap::new()),
            replay: None,
            http,
        })
    }

    /// Keeps used `jti` values in `store` instead of this process's memory.
    pub fn with_replay_store(mut self, store: Arc<dyn ReplayStore>) -> Self {
        self.replay = Some(store);
        self
    }

    pub fn config(&self) -> &AuthConfig {
        &self.cfg
    }

    pub fn development_issuers(&self) -> Vec<&str> {
        self.issuers
            .values()
            .filter(|i| i.cfg.development_only)
            .map(|i| i.cfg.iss.as_str())
            .collect()
    }

    async fn fetch(&self, url: &str) -> Result<Vec<Jwk>, AuthError> {
        let unavailable = |s: &str| AuthError::JwksUnavailable(s.to_string());
        let mut resp = self
            .http
            .get(url)
            .header("accept", "application/json")
            .send()
            .await
            .map_err(|e| {
                unavailable(if e.is_timeout() {
                    "timeout"
                } else {
                    "request failed"
                })
            })?;
        if !resp.status().is_success() {
            return Err(unavailable("HTTP error"));
        }
        if resp
            .content_length()
            .is_some_and(|n| n as usize > MAX_JWKS_BYTES)
        {
            return Err(unavailable("too large"));
        }
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(|_| unavailable("read failed"))? {
            body.extend_from_slice(&chunk);
            if body.len() > MAX_JWKS_BYTES {
                return Err(unavailable("too large"));
            }
        }
        keys::parse_jwks(&body).map_err(|_| unavailable("not a JWKS"))
    }

    /// The key for `kid` from a fetched JWKS, fetching or refreshing it as allowed.
    async fn fetched_key(&self, issuer: &Issuer, url: &str, kid: &str) -> Result<Jwk, AuthError> {
        let mut cache = issuer.cache.lock().await;
        if let Some(c) = cache.get(url) {
            if let Some(k) = c.keys.iter().find(|k| k.kid.as_deref() == Some(kid)) {
                return Ok(k.clone());
            }
            if c.fetched.elapsed() < Duration::from_secs(self.cfg.jwks_refresh_interval_seconds) {
                return Err(AuthError::UnknownKid);
            }
        }
        let keys = self.fetch(url).await?;
        let found = keys.iter().find(|k| k.kid.as_deref() == Some(kid)).cloned();
        cache.insert(
            url.to_string(),
            Cached {
                keys,
                fetched: Instant::now(),
            },
        );
        found.ok_or(AuthError::UnknownKid)
    }

    /// Verifies `Authorization` for a call to `audience` at unix time `now`.
    pub async fn verify(
        &self,
        authorization: Option<&str>,
        audience: &str,
        now: i64,
    ) -> Result<Caller, AuthError> {
        let value = authorization.ok_or(AuthError::MissingToken)?;
        let token = match value.split_once(' ') {
            Some((scheme, t)) if scheme.eq_ignore_ascii_case("bearer") => t.trim(),
            _ => return Err(AuthError::MissingToken),
        };
        if token.len() > self.cfg.max_token_bytes {
            return Err(AuthError::TooLarge);
        }
        let parts: Vec<&str> = token.split('.').collect();
        if parts.len() != 3 || parts.iter().any(|p| p.is_empty()) {
            return Err(AuthError::Malformed("not three segments"));
        }
        let header: Header = serde_json::from_value(b64_json(parts[0])?)
            .map_err(|_| AuthError::Malformed("bad header"))?;
        let alg = header.alg.ok_or(AuthError::Malformed("no alg"))?;
        if !keys::ACCEPTED.contains(&alg.as_str()) {
            return Err(AuthError::AlgorithmNotAccepted(alg));
        }
        if header.crit.is_some() {
            return Err(AuthError::UnsupportedCrit);
        }
        if header
            .typ
            .as_deref()
            .is_some_and(|t| !t.eq_ignore_ascii_case("JWT"))
        {
            return Err(AuthError::WrongType);
        }
        let kid = header
            .kid
            .filter(|k| !k.is_empty())
            .ok_or(AuthError::MissingKid)?;
        let claims = b64_json(parts[1])?;
        let claims = claims
            .as_object()
            .ok_or(AuthError::Malformed("claims not an object"))?;
        let iss = claims
            .get("iss")
            .and_then(Value::as_str)
            .ok_or(AuthError::MissingClaim("iss"))?;
        let issuer = self.issuers.get(iss).ok_or(AuthError::UntrustedIssuer)?;
        if let Some(jku) = &header.jku {
            if !issuer.cfg.jku.contains(jku) {
                return Err(AuthError::UntrustedJku);
            }
        }
        let key = match issuer
            .keys
            .iter()
            .find(|k| k.kid.as_deref() == Some(kid.as_str()))
        {
            Some(k) => k.clone(),
            None => match header.jku.as_deref().or(issuer.cfg.jwks_url.as_deref()) {
                Some(url) => self.fetched_key(issuer, url, &kid).await?,
                None => return Err(AuthError::UnknownKid),
            },
        };
        keys::key_fits(&key, &alg).map_err(AuthError::KeyMismatch)?;
        let message = format!("{}.{}", parts[0], parts[1]);
        if !keys::verify(&key, &alg, message.as_bytes(), parts[2]) {
            return Err(AuthError::BadSignature);
        }

        let leeway = self.cfg.leeway_seconds as i64;
        let number =
            |name: &'static str| claims.get(name).and_then(Value::as_f64).map(|v| v as i64);
        let exp = number("exp").ok_or(AuthError::MissingClaim("exp"))?;
        let iat = number("iat").ok_or(AuthError::MissingClaim("iat"))?;
        if now > exp + leeway {
            return Err(AuthError::Expired);
        }
        if iat > now + leeway {
            return Err(AuthError::IssuedInFuture);
        }
        if number("nbf").is_some_and(|nbf| nbf > now + leeway) {
            return Err(AuthError::NotYetValid);
        }
        if exp - iat > self.cfg.max_lifetime_seconds as i64 {
            return Err(AuthError::LifetimeTooLong);
        }
        let aud_ok = match claims.get("aud") {
            Some(Value::String(a)) => a == audience,
            Some(Value::Array(list)) => list.iter().any(|a| a.as_str() == Some(audience)),
            _ => return Err(AuthError::MissingClaim("aud")),
        };
        if !aud_ok {
            return Err(AuthError::WrongAudience);
        }
        let tenant = claims
            .get("tenant")
            .and_then(Value::as_str)
            .map(str::to_string);
        if !issuer.cfg.tenants.is_empty()
            && !tenant
                .as_ref()
                .is_some_and(|t| issuer.cfg.tenants.contains(t))
        {
            return Err(AuthError::TenantNotAllowed);
        }
        let jti = claims
            .get("jti")
            .and_then(Value::as_str)
            .filter(|j| !j.is_empty())
            .ok_or(AuthError::MissingClaim("jti"))?;
        if let Some(store) = &self.replay {
            match store.claim(iss, jti, exp + leeway).await {
                Ok(true) => {}
                Ok(false) => return Err(AuthError::Replayed),
                Err(_) => return Err(AuthError::ReplayStoreUnavailable),
            }
        } else {
            let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
            if seen.len() >= REPLAY_CAPACITY / 2 {
                seen.retain(|_, until| *until >= now);
            }
            let key = (iss.to_string(), jti.to_string());
            if seen.contains_key(&key) {
                return Err(AuthError::Replayed);
            }
            if seen.len() >= REPLAY_CAPACITY {
                return Err(AuthError::Replayed);
            }
            seen.insert(key, exp + leeway);
        }
        Ok(Caller {
            iss: iss.to_string(),
            tenant,
            fhir_servers: issuer.cfg.fhir_servers.clone(),
        })
    }
}
