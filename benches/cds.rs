//! Where a hook call's time goes, stage by stage, and how it grows with the
//! record: request parse (`prepare`), facts (`gather`: every resource read
//! into the patient's facts), rules, rendering, response serialisation, and
//! the whole evaluation, for a typical order-sign with full prefetch, a large
//! record (~5 MB) and a growth series of 10 to 10,000 entries.
//!
//! `cargo bench --bench cds` (all); `cargo bench --bench cds -- typical` (one group).

#[path = "common/gen.rs"]
mod gen;

use std::hint::black_box;
use std::time::Duration;

use chrono::NaiveDate;
use criterion::{criterion_group, BenchmarkId, Criterion, Throughput};
use gen::{order_sign, Size};
use ssc_myositis_cds::cards;
use ssc_myositis_cds::clinical;
use ssc_myositis_cds::engine::{Engine, Fetched};
use ssc_myositis_cds::http::json_depth;

const SERVICE: &str = "ssc-myositis-order-sign";

fn today() -> NaiveDate {
    let (y, m, d) = gen::TODAY;
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn stages(c: &mut Criterion, engine: &Engine, group: &str, body: &[u8]) {
    let service = engine.services.get(SERVICE).expect("service");
    let mut g = c.benchmark_group(group);
    g.throughput(Throughput::Bytes(body.len() as u64));
    if body.len() > 1 << 20 {
        g.sample_size(20).measurement_time(Duration::from_secs(8));
    }
    g.bench_function("depth_check", |b| b.iter(|| json_depth(black_box(body))));
    g.bench_function("parse", |b| {
        b.iter(|| engine.prepare(service, black_box(body)).unwrap())
    });
    g.bench_function("facts", |b| {
        b.iter_batched(
            || engine.prepare(service, body).unwrap(),
            |p| {
                engine
                    .gather(service, p, Fetched::default(), today())
                    .unwrap()
            },
            criterion::BatchSize::LargeInput,
        )
    });
    let prepared = engine.prepare(service, body).unwrap();
    let gathered = engine
        .gather(service, prepared, Fetched::default(), today())
        .unwrap();
    g.bench_function("rules", |b| {
        b.iter(|| clinical::evaluate(black_box(&gathered.facts), &engine.policy))
    });
    let findings = clinical::evaluate(&gathered.facts, &engine.policy);
    let rctx = gathered.render_context(today());
    g.bench_function("render", |b| {
        b.iter(|| cards::response(black_box(&findings), &rctx))
    });
    let response = cards::response(&findings, &rctx);
    g.bench_function("serialise", |b| {
        b.iter(|| serde_json::to_vec(black_box(&response)).unwrap())
    });
    g.bench_function("whole", |b| {
        b.iter(|| {
            let (resp, _) = engine.evaluate(service, black_box(body), today()).unwrap();
            serde_json::to_vec(&resp).unwrap()
        })
    });
    g.finish();
}

fn typical(c: &mut Criterion) {
    let engine = Engine::with_defaults().unwrap();
    stages(
        c,
        &engine,
        "typical",
        order_sign(Size::TYPICAL, 1).as_bytes(),
    );
}

fn large(c: &mut Criterion) {
    let engine = Engine::with_defaults().unwrap();
    stages(c, &engine, "large", order_sign(Size::LARGE, 2).as_bytes());
}

fn growth(c: &mut Criterion) {
    let engine = Engine::with_defaults().unwrap();
    let service = engine.services.get(SERVICE).expect("service");
    let mut g = c.benchmark_group("growth");
    g.sample_size(20).measurement_time(Duration::from_secs(5));
    for n in [10usize, 100, 1_000, 10_000] {
        let body = order_sign(Size::growth(n), 3);
        g.throughput(Throughput::Bytes(body.len() as u64));
        g.bench_with_input(BenchmarkId::new("whole", n), body.as_bytes(), |b, body| {
            b.iter(|| {
                let (resp, _) = engine.evaluate(service, black_box(body), today()).unwrap();
                serde_json::to_vec(&resp).unwrap()
            })
        });
    }
    g.finish();
}

criterion_group!(benches, typical, large, growth);

/// `SSC_CDS_BENCH_WRITE=DIR cargo bench --bench cds` writes the typical,
/// large and growth requests to DIR (for bench/load.py and bench/callgrind.sh) and stops.
fn main() {
    if let Some(dir) = std::env::var_os("SSC_CDS_BENCH_WRITE") {
        let dir = std::path::PathBuf::from(dir);
        std::fs::write(dir.join("typical.json"), order_sign(Size::TYPICAL, 1)).unwrap();
        std::fs::write(dir.join("large.json"), order_sign(Size::LARGE, 2)).unwrap();
        for n in [10usize, 100, 1_000, 10_000] {
            let body = order_sign(Size::growth(n), 3);
            std::fs::write(dir.join(format!("growth-{n}.json")), body).unwrap();
        }
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
