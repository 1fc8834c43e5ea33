//! Where a hook call's time goes, stage by stage, and how it grows with the
//! record: request parse (`prepare`), facts (`gather`: every resource read
//! into the patient's facts), rules, rendering, response serialisation, and
//! the whole evaluation, for a typical order-sign with full prefetch, a large
//! record (~5 MB) and a growth series of 10 to 10,000 entries.
//!
//! And the ES384 signature check of one token (`es384/verify`).
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
use ssc_myositis_cds::engine::{Engine, Fetched};
use ssc_myositis_cds::http::json_depth;
use ssc_myositis_cds::rules;

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
        b.iter(|| rules::evaluate(black_box(&gathered.facts), &engine.policy))
    });
    let findings = rules::evaluate(&gathered.facts, &engine.policy);
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

/// The signature check of one ES384 token (what `auth::keys` calls per
/// request), with the backend the service installs at start-up.
fn es384(c: &mut Criterion) {
    use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey};
    use p384::elliptic_curve::sec1::ToEncodedPoint;
    use p384::pkcs8::EncodePrivateKey;
    ssc_myositis_cds::auth::install_signature_backend();
    let sk = p384::SecretKey::random(&mut rand::rngs::OsRng);
    let enc = EncodingKey::from_ec_der(sk.to_pkcs8_der().unwrap().as_bytes());
    let point = sk.public_key().to_encoded_point(false);
    let dec = DecodingKey::from_ec_components(&b64(point.x().unwrap()), &b64(point.y().unwrap()))
        .unwrap();
    let msg = format!(
        "{}.{}",
        b64(br#"{"alg":"ES384","typ":"JWT","kid":"k"}"#),
        b64(br#"{"iss":"https://ehr.example.org","aud":"https://cds.example.org/cds-services/x","exp":4102444800,"jti":"j"}"#)
    );
    let sig = jsonwebtoken::crypto::sign(msg.as_bytes(), &enc, Algorithm::ES384).unwrap();
    let mut g = c.benchmark_group("es384");
    g.bench_function("verify", |b| {
        b.iter(|| {
            assert!(jsonwebtoken::crypto::verify(
                black_box(&sig),
                black_box(msg.as_bytes()),
                &dec,
                Algorithm::ES384
            )
            .unwrap())
        })
    });
    g.finish();
}

fn b64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

criterion_group!(benches, typical, large, growth, es384);

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
