//! What the card audit costs a hook call: latency of the S1 order-sign call
//! (five cards) with no record store, with the default SQLite file (WAL,
//! synchronous FULL) and, when `SSC_CDS_TEST_POSTGRES` is set, PostgreSQL.
//!
//! Then the same call while the retention purge deletes
//! `SSC_CDS_BENCH_PURGE_ROWS` expired cards (default 200,000): what a hook
//! call waits while a large purge runs.
//!
//! `cargo bench --bench records` (prints p50/p90/p99 per store).

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use common::fixture;
use common::store_support::{postgres_admin, TestDb};
use ssc_myositis_cds::engine::Engine;
use ssc_myositis_cds::http::{AppState, Audit, AuthMode, Limits};
use ssc_myositis_cds::store::{AuditCard, AuditKey, Store};

const CALLS: usize = 300;

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

async fn run(label: &str, store: Option<Store>) {
    run_while(label, store, None).await;
}

/// Expired cards (two years old) for the purge to delete.
async fn expired(store: &Store, rows: usize) {
    let old = chrono::Utc::now().timestamp_millis() - 730 * 86_400_000;
    let mut n = 0;
    while n < rows {
        let chunk: Vec<AuditCard> = (n..(n + 1000).min(rows))
            .map(|i| AuditCard {
                card_uuid: format!("expired-{i}"),
                service_id: "ssc-myositis-order-sign".into(),
                hook: "order-sign".into(),
                hook_instance: "00000000-0000-4000-8000-000000000000".into(),
                rule_system: "https://ssc-myositis-cds.example.org/fhir/CodeSystem/rule".into(),
                rule_code: "renal-crisis-risk".into(),
                rule_display: "Renal crisis risk".into(),
                indicator: "warning".into(),
                summary: "expired".into(),
                suggestion_uuids: vec![],
                suggestion_keys: vec![],
                policy_version: "p".into(),
                service_version: "v".into(),
                patient_hmac: "0".repeat(64),
                issued_at_ms: old + i as i64,
                issuer: String::new(),
                tenant: String::new(),
                drafts_key: String::new(),
                status: ssc_myositis_cds::store::CardStatus::Shown,
            })
            .collect();
        store.record_cards(&chunk).await.unwrap();
        n += chunk.len();
    }
}

/// S1 calls, timed; with `purge`, while that store purges (calls go on until
/// the purge ends).
async fn run_while(label: &str, store: Option<Store>, purge: Option<Store>) {
    let engine = Engine::with_defaults().unwrap();
    let mut state = AppState::new(engine, Limits::default(), AuthMode::Disabled);
    if let Some(store) = store {
        let key = AuditKey::new(vec![1; 32]).unwrap();
        let audit = Audit::new(store, key, Duration::from_secs(2), &state.engine);
        state = state.with_audit(audit);
    }
    let (s, _) = common::start_with(state).await;
    let url = format!("{}/cds-services/ssc-myositis-order-sign", s.base);
    let body = fixture("S1.json");
    for _ in 0..10 {
        assert_eq!(
            s.client
                .post(&url)
                .json(&body)
                .send()
                .await
                .unwrap()
                .status(),
            200
        );
    }
    let mut times = Vec::with_capacity(CALLS);
    let purging = purge.map(|p| {
        tokio::spawn(async move {
            let t = Instant::now();
            let now = chrono::Utc::now();
            let done = p
                .purge(now.timestamp_millis() - 365 * 86_400_000, now.timestamp())
                .await
                .unwrap();
            (t.elapsed(), done)
        })
    });
    let mut calls = 0;
    while calls < CALLS || purging.as_ref().is_some_and(|p| !p.is_finished()) {
        calls += 1;
        let t = Instant::now();
        let r = s.client.post(&url).json(&body).send().await.unwrap();
        assert_eq!(r.status(), 200, "{label}");
        let _ = r.bytes().await.unwrap();
        times.push(t.elapsed());
    }
    if let Some(p) = purging {
        let (took, done) = p.await.unwrap();
        println!(
            "{label:<28} purge of {} cards took {:.1} s",
            done.cards,
            took.as_secs_f64()
        );
    }
    times.sort();
    let p = |q: f64| ms(times[((times.len() as f64 - 1.0) * q).round() as usize]);
    println!(
        "{label:<28} n={calls}  p50 {:>6.2} ms  p90 {:>6.2} ms  p99 {:>6.2} ms  max {:>6.2} ms",
        p(0.5),
        p(0.9),
        p(0.99),
        ms(*times.last().unwrap())
    );
}

#[tokio::main]
async fn main() {
    run("no record store", None).await;
    let sqlite = TestDb::sqlite();
    let store = sqlite.open().await;
    run("SQLite (WAL, FULL)", Some(store.clone())).await;
    let rows = std::env::var("SSC_CDS_BENCH_PURGE_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200_000);
    expired(&store, rows).await;
    run_while(
        "SQLite, during purge",
        Some(store.clone()),
        Some(store.clone()),
    )
    .await;
    store.close().await;
    sqlite.drop_db().await;
    if let Some(admin) = postgres_admin() {
        let pg = TestDb::postgres(&admin).await;
        let store = pg.open().await;
        run("PostgreSQL (loopback)", Some(store.clone())).await;
        store.close().await;
        pg.drop_db().await;
    }
}
