//! An issuer's keys fetched from its JWKS URL (or an allowlisted `jku`):
//! one fetch per URL at a time in a task of its own, the keys cached, a
//! failure remembered for the refresh interval, a document over 256 KiB
//! refused.

use super::*;

/// One fetched JWKS (of an issuer's JWKS URL or an allowlisted `jku`).
#[derive(Default)]
pub(super) struct Slot {
    keys: Vec<Jwk>,
    /// When the last fetch ended, whether it worked or not.
    attempted: Option<Instant>,
    /// Why the last fetch failed; remembered for the refresh interval.
    failed: Option<AuthError>,
    /// While a fetch is under way: turns true when it ends.
    inflight: Option<watch::Receiver<bool>>,
}

pub(super) type Slots = Arc<std::sync::Mutex<HashMap<String, Slot>>>;

fn find(keys: &[Jwk], kid: &str) -> Option<Jwk> {
    keys.iter().find(|k| k.kid.as_deref() == Some(kid)).cloned()
}

/// Largest JWKS document read.
const MAX_JWKS_BYTES: usize = 256 * 1024;

async fn fetch_jwks(http: &reqwest::Client, url: &str) -> Result<Vec<Jwk>, AuthError> {
    let unavailable = |s: &str| AuthError::JwksUnavailable(s.to_string());
    let mut resp = http
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

impl Verifier {
    /// Starts fetching `url` into `slot` (of `cache`, which is locked) in a
    /// task of its own; the receiver turns true when the fetch has ended.
    fn start_fetch(&self, cache: &Slots, slot: &mut Slot, url: &str) -> watch::Receiver<bool> {
        let (tx, rx) = watch::channel(false);
        slot.inflight = Some(rx.clone());
        let (http, cache, url) = (self.http.clone(), cache.clone(), url.to_string());
        tokio::spawn(async move {
            let result = fetch_jwks(&http, &url).await;
            {
                let mut cache = lock(&cache);
                let slot = cache.entry(url).or_default();
                match result {
                    Ok(keys) => {
                        slot.keys = keys;
                        slot.failed = None;
                    }
                    // Keys already known stay in use.
                    Err(e) => slot.failed = Some(e),
                }
                slot.attempted = Some(Instant::now());
                slot.inflight = None;
            }
            let _ = tx.send(true);
        });
        rx
    }

    /// Starts fetching every issuer's JWKS URL, so that the first calls find
    /// their keys cached. Needs a Tokio runtime; returns at once.
    pub fn warm_up(&self) {
        for issuer in self.issuers.values() {
            let Some(url) = issuer.cfg.jwks_url.as_deref() else {
                continue;
            };
            let mut cache = lock(&issuer.cache);
            let slot = cache.entry(url.to_string()).or_default();
            if slot.inflight.is_none() && slot.attempted.is_none() {
                self.start_fetch(&issuer.cache, slot, url);
            }
        }
    }

    /// The key for `kid` from a fetched JWKS, fetching or refreshing it as
    /// allowed. A known `kid` is answered from the cache at once. An unknown
    /// one starts a fetch when none is under way and the last one ended more
    /// than the refresh interval ago (one fetch per URL at a time, in its own
    /// task), then waits for it at most `jwks_wait_ms`; within the interval it
    /// is refused at once with the last fetch's outcome.
    pub(super) async fn fetched_key(
        &self,
        issuer: &Issuer,
        url: &str,
        kid: &str,
    ) -> Result<Jwk, AuthError> {
        let interval = Duration::from_secs(self.cfg.jwks_refresh_interval_seconds);
        let mut done = {
            let mut cache = lock(&issuer.cache);
            let slot = cache.entry(url.to_string()).or_default();
            if let Some(k) = find(&slot.keys, kid) {
                return Ok(k);
            }
            match &slot.inflight {
                Some(rx) => rx.clone(),
                None => {
                    if slot.attempted.is_some_and(|at| at.elapsed() < interval) {
                        return Err(slot.failed.clone().unwrap_or(AuthError::UnknownKid));
                    }
                    self.start_fetch(&issuer.cache, slot, url)
                }
            }
        };
        let wait = Duration::from_millis(self.cfg.jwks_wait_ms);
        let _ = tokio::time::timeout(wait, done.wait_for(|d| *d)).await;
        let cache = lock(&issuer.cache);
        let slot = cache.get(url).ok_or(AuthError::UnknownKid)?;
        if let Some(k) = find(&slot.keys, kid) {
            return Ok(k);
        }
        if slot.inflight.is_some() {
            return Err(AuthError::JwksUnavailable("fetch still under way".into()));
        }
        Err(slot.failed.clone().unwrap_or(AuthError::UnknownKid))
    }
}
