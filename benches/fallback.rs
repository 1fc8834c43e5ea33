//! Hook latency when every prefetch key comes from the FHIR server: a load
//! generator against the in-process FHIR stub with 20 ms injected latency per
//! request. The ten keys queried one after another would take ≥ 10 × 20 = 200 ms;
//! run concurrently the hook should take about one round trip.
//!
//! `cargo bench --bench fallback` (prints p50/p90/p99 and the comparison).

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use common::fhir_stub::{prefetch_resources, Stub};
use common::fixture;
use serde_json::json;
use ssc_myositis_cds::engine::Engine;
use ssc_myositis_cds::http::{AppState, AuthMode, Limits};
use ssc_myositis_cds::prefetch::{FetchSettings, Fetcher};

const LATENCY: Duration = Duration::from_millis(20);
const CALLS: usize = 300;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

async fn run(label: &str, s: &common::Server, body: &serde_json::Value) -> Vec<Duration> {
    let url = format!("{}/cds-services/ssc-myositis-order-sign", s.base);
    for _ in 0..10 {
        let r = s.client.post(&url).json(body).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 200, "{label}");
    }
    let mut times = Vec::with_capacity(CALLS);
    for _ in 0..CALLS {
        let t = Instant::now();
        let r = s.client.post(&url).json(body).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 200);
        let _ = r.bytes().await.unwrap();
        times.push(t.elapsed());
    }
    times.sort();
    println!(
        "{label:<38} n={CALLS}  p50 {:>6.1} ms  p90 {:>6.1} ms  p99 {:>6.1} ms  max {:>6.1} ms",
        ms(percentile(&times, 0.5)),
        ms(percentile(&times, 0.9)),
        ms(percentile(&times, 0.99)),
        ms(*times.last().unwrap())
    );
    times
}

#[tokio::main]
async fn main() {
    let stub = Stub::start().await;
    let full = fixture("S1.json");
    stub.load(prefetch_resources(&full));
    *stub.state.latency.lock().unwrap() = Some(LATENCY);

    let mut state = AppState::new(
        Engine::with_defaults().unwrap(),
        Limits::default(),
        AuthMode::Disabled,
    );
    state.fetcher = Fetcher::new(FetchSettings {
        allowed_servers: vec![stub.base.clone()],
        ..FetchSettings::default()
    })
    .unwrap();
    let (s, _) = common::start_with(state).await;

    let mut fallback = full.clone();
    fallback.as_object_mut().unwrap().remove("prefetch");
    fallback["fhirServer"] = json!(stub.base);
    fallback["fhirAuthorization"] = json!({"access_token": "t", "token_type": "Bearer", "expires_in": 300, "scope": "patient/*.read", "subject": "c"});

    let keys = full["prefetch"].as_object().map_or(0, |p| p.len());
    println!(
        "FHIR stub latency {} ms per request; {keys} prefetch keys per hook call",
        ms(LATENCY)
    );
    let with_prefetch = run("prefetch in the request (no queries)", &s, &full).await;
    let queried = run(
        "no prefetch: one query per key to the server",
        &s,
        &fallback,
    )
    .await;
    let p50 = percentile(&queried, 0.5);
    let base = percentile(&with_prefetch, 0.5);
    println!(
        "one round trip = {:.0} ms; all {keys} in sequence >= {:.0} ms; measured p50 {:.1} ms = {:.2} round trips (+{:.1} ms over prefetch)",
        ms(LATENCY),
        ms(LATENCY * keys as u32),
        ms(p50),
        ms(p50) / ms(LATENCY),
        ms(p50) - ms(base)
    );
    let seen = stub.seen().len();
    println!(
        "server saw {seen} requests ({} per hook call)",
        seen / (CALLS + 10)
    );
}
