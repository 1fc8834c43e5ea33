//! Trusting CDS clients (CDS Hooks 2.0): every call carries
//! `Authorization: Bearer <JWT>` signed by a trusted EHR.
//!
//! Checks, in order: the token's size and shape; header `alg` among
//! ES256/384/512 and RS256/384/512 (never `none` or a symmetric algorithm),
//! `kid` present, `typ` JWT when given; `iss` a configured issuer; a `jku`
//! only when in that issuer's allowlist (an arbitrary URL from a token is never
//! fetched); the key by `kid` (configured keys, else the issuer's JWKS URL or
//! allowlisted `jku`, cached, refreshed on an unknown `kid` at most once per
//! interval by a single fetch that no caller waits on for long, failing closed
//! when unreachable); RSA keys of at least 2048 bits; the signature; `exp`, `iat`
//! (not in the future), `nbf`, and `exp - iat` within the issuer's maximum
//! lifetime, each with a small leeway (time claims outside 1970..9999 are
//! refused); `aud` equal to the exact URL called; `jti` not
//! seen before (replay store); `tenant` in the issuer's allowlist when one is
//! set. Extra claims (`sub`, `nbf`, ...) are tolerated.
//!
//! Failures carry a reason for the log; the client only ever sees a generic
//! 401. Tokens are never logged.

pub mod config;
mod jwks;
pub mod keys;

use jwks::Slots;

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde::Deserialize;
use serde_json::Value;
use tokio::sync::watch;

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
    #[error("time claim {0} out of range")]
    TimeOutOfRange(&'static str),
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
    /// Its issuer may read the report (`admin = true` in the trust file).
    pub admin: bool,
    pub tenant: Option<String>,
    /// Its issuer is bound to a list of tenants (`tenants` in the trust
    /// file): as an admin it reads only its token's tenant.
    pub tenant_bound: bool,
    /// FHIR servers this caller may ask us to query.
    pub fhir_servers: Vec<String>,
}

/// A token id still to be marked as used: the hook call's record carries it
/// into the same transaction as its cards (see [`Verifier::verify_call_deferred`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplayClaim {
    pub issuer: String,
    pub jti: String,
    pub expires_at_unix: i64,
}

#[derive(Deserialize)]
struct Header {
    alg: Option<String>,
    kid: Option<String>,
    typ: Option<String>,
    jku: Option<String>,
    crit: Option<Value>,
}

struct Issuer {
    cfg: IssuerConfig,
    keys: Vec<Jwk>,
    /// Fetched JWKS by URL. The lock is never held across a fetch.
    cache: Slots,
}

fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
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
/// Which `aud` a call accepts.
enum Audience<'a> {
    /// Exactly this URL.
    Exact(&'a str),
    /// The issuer's audiences, else `base`, followed by `path`.
    Call {
        base: Option<&'a str>,
        path: &'a str,
    },
}

/// Latest time claim accepted: 9999-12-31T23:59:59Z.
const MAX_TIME: f64 = 253_402_300_799.0;

/// A NumericDate claim: absent, or a number from 1970 to 9999 (anything else
/// is refused, so that no arithmetic on it can overflow).
fn time_claim(
    claims: &serde_json::Map<String, Value>,
    name: &'static str,
) -> Result<Option<i64>, AuthError> {
    let Some(v) = claims.get(name) else {
        return Ok(None);
    };
    let f = v
        .as_f64()
        .ok_or(AuthError::Malformed("time claim not a number"))?;
    if !(0.0..=MAX_TIME).contains(&f) {
        return Err(AuthError::TimeOutOfRange(name));
    }
    Ok(Some(f as i64))
}

fn b64_json(part: &str) -> Result<Value, AuthError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| AuthError::Malformed("not base64url"))?;
    serde_json::from_slice(&bytes).map_err(|_| AuthError::Malformed("not JSON"))
}

/// Makes AWS-LC (aws-lc-rs) the signature backend of this process, before
/// any token is verified: ECDSA P-384 verification costs a fraction of the
/// pure-Rust backend's (`BENCHMARKS.md`), and the choice is explicit rather
/// than inferred from features. Idempotent.
pub fn install_signature_backend() {
    let _ = jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER.install_default();
}

impl Verifier {
    pub fn new(cfg: AuthConfig) -> Result<Verifier, ConfigError> {
        install_signature_backend();
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
                    cache: Arc::default(),
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

    /// Verifies `Authorization` for a call whose exact URL is `audience`, at
    /// unix time `now`.
    pub async fn verify(
        &self,
        authorization: Option<&str>,
        audience: &str,
        now: i64,
    ) -> Result<Caller, AuthError> {
        self.check(authorization, Audience::Exact(audience), now, false)
            .await
            .map(|(c, _)| c)
    }

    /// Verifies `Authorization` for a call to `path`: the token's `aud` must
    /// be one of its issuer's `audiences` + `path`, or, when the issuer lists
    /// none, `base` + `path` (`base`: the public base URL, or on loopback the
    /// listen address; never anything from the request).
    pub async fn verify_call(
        &self,
        authorization: Option<&str>,
        base: Option<&str>,
        path: &str,
        now: i64,
    ) -> Result<Caller, AuthError> {
        self.check(authorization, Audience::Call { base, path }, now, false)
            .await
            .map(|(c, _)| c)
    }

    /// As [`Verifier::verify_call`], but with a replay store the token's id
    /// is not marked as used here: the claim is returned for the caller to
    /// write in the same transaction as the call's records (one durable
    /// write per call), and then settle with [`Verifier::claimed`]. A token
    /// already seen by this process is refused at once.
    pub async fn verify_call_deferred(
        &self,
        authorization: Option<&str>,
        base: Option<&str>,
        path: &str,
        now: i64,
    ) -> Result<(Caller, Option<ReplayClaim>), AuthError> {
        self.check(authorization, Audience::Call { base, path }, now, true)
            .await
    }

    /// Marks a deferred claim as used now (a call that wrote no record).
    pub async fn claim(&self, claim: &ReplayClaim) -> Result<(), AuthError> {
        let Some(store) = &self.replay else {
            return Ok(());
        };
        let outcome = match store
            .claim(&claim.issuer, &claim.jti, claim.expires_at_unix)
            .await
        {
            Ok(true) => Ok(()),
            Ok(false) => Err(AuthError::Replayed),
            Err(_) => Err(AuthError::ReplayStoreUnavailable),
        };
        self.claimed(claim, &outcome);
        outcome
    }

    /// Settles a deferred claim: when it could not be written, this process
    /// forgets the id so that a retry of the same token is judged again.
    pub fn claimed(&self, claim: &ReplayClaim, outcome: &Result<(), AuthError>) {
        if matches!(outcome, Err(AuthError::ReplayStoreUnavailable)) {
            let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
            seen.remove(&(claim.issuer.clone(), claim.jti.clone()));
        }
    }

    async fn check(
        &self,
        authorization: Option<&str>,
        audience: Audience<'_>,
        now: i64,
        defer: bool,
    ) -> Result<(Caller, Option<ReplayClaim>), AuthError> {
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

        let leeway = i64::try_from(self.cfg.leeway_seconds).unwrap_or(i64::MAX);
        let exp = time_claim(claims, "exp")?.ok_or(AuthError::MissingClaim("exp"))?;
        let iat = time_claim(claims, "iat")?.ok_or(AuthError::MissingClaim("iat"))?;
        let nbf = time_claim(claims, "nbf")?;
        if now > exp.saturating_add(leeway) {
            return Err(AuthError::Expired);
        }
        if iat > now.saturating_add(leeway) {
            return Err(AuthError::IssuedInFuture);
        }
        if nbf.is_some_and(|nbf| nbf > now.saturating_add(leeway)) {
            return Err(AuthError::NotYetValid);
        }
        let max_lifetime = issuer
            .cfg
            .max_lifetime_seconds
            .unwrap_or(self.cfg.max_lifetime_seconds);
        match exp.checked_sub(iat) {
            Some(lifetime) if lifetime < 0 => return Err(AuthError::Malformed("exp before iat")),
            Some(lifetime) if lifetime.unsigned_abs() <= max_lifetime => {}
            _ => return Err(AuthError::LifetimeTooLong),
        }
        let accepted: Vec<String> = match audience {
            Audience::Exact(a) => vec![a.to_string()],
            Audience::Call { base, path } => {
                let bases: Vec<&str> = if issuer.cfg.audiences.is_empty() {
                    base.into_iter().collect()
                } else {
                    issuer.cfg.audiences.iter().map(String::as_str).collect()
                };
                bases
                    .iter()
                    .map(|b| format!("{}{path}", b.trim_end_matches('/')))
                    .collect()
            }
        };
        let named = |a: &str| accepted.iter().any(|x| x == a);
        let aud_ok = match claims.get("aud") {
            Some(Value::String(a)) => named(a),
            Some(Value::Array(list)) => list.iter().any(|a| a.as_str().is_some_and(named)),
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
        let mut deferred = None;
        match &self.replay {
            Some(_) if defer => {
                // Seen by this process: a replay, refused before any work.
                let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
                if seen.len() >= REPLAY_CAPACITY / 2 {
                    seen.retain(|_, until| *until >= now);
                }
                let key = (iss.to_string(), jti.to_string());
                if seen.contains_key(&key) {
                    return Err(AuthError::Replayed);
                }
                // The database decides; this is only a first filter.
                if seen.len() < REPLAY_CAPACITY {
                    seen.insert(key, exp.saturating_add(leeway));
                }
                deferred = Some(ReplayClaim {
                    issuer: iss.to_string(),
                    jti: jti.to_string(),
                    expires_at_unix: exp + leeway,
                });
            }
            Some(store) => match store.claim(iss, jti, exp + leeway).await {
                Ok(true) => {}
                Ok(false) => return Err(AuthError::Replayed),
                Err(_) => return Err(AuthError::ReplayStoreUnavailable),
            },
            None => {
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
                seen.insert(key, exp.saturating_add(leeway));
            }
        }
        Ok((
            Caller {
                iss: iss.to_string(),
                admin: issuer.cfg.admin,
                tenant,
                tenant_bound: !issuer.cfg.tenants.is_empty(),
                fhir_servers: issuer.cfg.fhir_servers.clone(),
            },
            deferred,
        ))
    }
}
