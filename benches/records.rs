//! What the card audit costs a hook call: latency of the S1 order-sign call
//! (five cards) with no record store, with the default SQLite file (WAL,
//! synchronous FULL) and, when `SSC_CDS_TEST_POSTGRES` is set, PostgreSQL.
//!
//! `cargo bench --bench records` (prints p50/p90/p99 per store).

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use common::fixture;
use common::store_support::{postgres_admin, TestDb};
use ssc_myositis_cds::engine::Engine;
use ssc_myositis_cds::http::{AppState, Audit, AuthMode, Limits};
use ssc_myositis_cds::store::{AuditKey, Store};

const CALLS: usize = 300;

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

async fn run(label: &str, store: Option<Store>) {
    let engine = Engine::with_defaults().unwrap();
    let mut state = AppState::new(engine, Limits::default(), AuthMode::Disabled);
    if let Some(store) = store {
        let key = AuditKey::new(vec![1; 32]).unwrap();
        state.audit = Some(Audit::new(
            store,
            key,
            Duration::from_secs(2),
            &state.engine,
        ));
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
    for _ in 0..CALLS {
        let t = Instant::now();
        let r = s.client.post(&url).json(&body).send().await.unwrap();
        assert_eq!(r.status(), 200, "{label}");
        let _ = r.bytes().await.unwrap();
        times.push(t.elapsed());
    }
    times.sort();
    let p = |q: f64| ms(times[((times.len() as f64 - 1.0) * q).round() as usize]);
    println!(
        "{label:<28} n={CALLS}  p50 {:>6.2} ms  p90 {:>6.2} ms  p99 {:>6.2} ms  max {:>6.2} ms",
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
