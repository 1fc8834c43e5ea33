//! Per-issuer rate limit on feedback items: a token bucket per issuer,
//! refilled at `per_minute` items a minute, holding at most that many. A
//! call whose items do not fit is refused whole (429 with Retry-After), so
//! one client cannot fill the disk or starve the writer for the others.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Issuers tracked at once; beyond it, full buckets are forgotten (a full
/// bucket is the state of an issuer never seen).
const MAX_ISSUERS: usize = 10_000;

pub struct RateLimit {
    per_minute: f64,
    buckets: Mutex<HashMap<String, (f64, Instant)>>,
}

impl RateLimit {
    pub fn new(per_minute: u32) -> Self {
        RateLimit {
            per_minute: f64::from(per_minute.max(1)),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes `cost` items from `issuer`'s bucket at `now`; `Err` gives how
    /// long to wait before the same call would fit (a call larger than the
    /// bucket never fits: it waits a whole minute, and is refused again).
    pub fn take(&self, issuer: &str, cost: usize, now: Instant) -> Result<(), Duration> {
        let rate = self.per_minute / 60.0;
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if buckets.len() >= MAX_ISSUERS && !buckets.contains_key(issuer) {
            let per_minute = self.per_minute;
            buckets.retain(|_, (tokens, at)| {
                *tokens + now.saturating_duration_since(*at).as_secs_f64() * rate < per_minute
            });
        }
        let (tokens, at) = buckets
            .entry(issuer.to_string())
            .or_insert((self.per_minute, now));
        *tokens = (*tokens + now.saturating_duration_since(*at).as_secs_f64() * rate)
            .min(self.per_minute);
        *at = now;
        let cost = cost as f64;
        if cost <= *tokens {
            *tokens -= cost;
            Ok(())
        } else if cost > self.per_minute {
            Err(Duration::from_secs(60))
        } else {
            Err(Duration::from_secs_f64(
                ((cost - *tokens) / rate).ceil().max(1.0),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_per_issuer_refilled_over_the_minute() {
        let r = RateLimit::new(60);
        let t0 = Instant::now();
        // (issuer, cost, seconds after t0, allowed, wait when refused)
        let steps: &[(&str, usize, u64, bool, u64)] = &[
            ("a", 60, 0, true, 0),
            ("a", 1, 0, false, 1),
            ("b", 60, 0, true, 0),  // another issuer has its own bucket
            ("a", 10, 5, false, 5), // 5 refilled, 10 asked: 5 s more
            ("a", 10, 10, true, 0),
            ("a", 61, 120, false, 60), // larger than the bucket: never
            ("a", 60, 120, true, 0),   // full again after a minute
        ];
        for &(issuer, cost, secs, allowed, wait) in steps {
            let got = r.take(issuer, cost, t0 + Duration::from_secs(secs));
            match got {
                Ok(()) => assert!(allowed, "{issuer} {cost} at {secs}"),
                Err(w) => {
                    assert!(!allowed, "{issuer} {cost} at {secs}");
                    assert_eq!(w.as_secs(), wait, "{issuer} {cost} at {secs}");
                }
            }
        }
    }
}
