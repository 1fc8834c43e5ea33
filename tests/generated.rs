//! The generated records the benches measure: valid JSON, the same bytes for
//! the same seed, the sizes they claim, and read by the service without a
//! resource skipped or dropped, so the benches time real work.

#[path = "../benches/common/gen.rs"]
mod gen;

use chrono::NaiveDate;
use gen::{order_sign, Size};
use ssc_myositis_cds::engine::{Engine, Fetched};

fn today() -> NaiveDate {
    let (y, m, d) = gen::TODAY;
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn entries(body: &str, key: &str) -> usize {
    let v: serde_json::Value = serde_json::from_str(body).unwrap();
    v["prefetch"][key]["entry"].as_array().unwrap().len()
}

#[test]
fn same_seed_same_bytes_other_seed_other_bytes() {
    assert_eq!(order_sign(Size::TYPICAL, 7), order_sign(Size::TYPICAL, 7));
    assert_ne!(order_sign(Size::TYPICAL, 7), order_sign(Size::TYPICAL, 8));
}

#[test]
fn sizes_are_as_named() {
    let large = order_sign(Size::LARGE, 2);
    assert!(
        (5_000_000..7_000_000).contains(&large.len()),
        "{} bytes",
        large.len()
    );
    assert_eq!(entries(&large, "Labs"), 10_000);
    assert_eq!(entries(&large, "Condition"), 502);
    assert_eq!(entries(&large, "MedicationRequest"), 500);
    for n in [10, 100, 1_000] {
        assert_eq!(entries(&order_sign(Size::growth(n), 3), "Labs"), n);
    }
}

#[test]
fn every_generated_resource_is_read() {
    let engine = Engine::with_defaults().unwrap();
    let service = engine.services.get("ssc-myositis-order-sign").unwrap();
    for (size, seed) in [(Size::TYPICAL, 1), (Size::growth(1_000), 3)] {
        let body = order_sign(size, seed);
        let prepared = engine.prepare(service, body.as_bytes()).unwrap();
        assert!(
            prepared.unsatisfied.is_empty(),
            "{:?}",
            prepared.unsatisfied
        );
        let g = engine
            .gather(service, prepared, Fetched::default(), today())
            .unwrap();
        assert!(g.report.skipped.is_empty(), "{:?}", g.report.skipped);
        assert!(g.report.dropped.is_empty(), "{:?}", g.report.dropped);
        assert!(g.report.missing_optional.is_empty());
        assert_eq!(g.report.orders, 2);
        let (resp, _) = engine.evaluate(service, body.as_bytes(), today()).unwrap();
        assert!(!resp.cards.is_empty());
    }
}

#[test]
fn one_malformed_generated_entry_is_skipped_not_fatal() {
    let engine = Engine::with_defaults().unwrap();
    let service = engine.services.get("ssc-myositis-order-sign").unwrap();
    let body = order_sign(Size::growth(100), 5);
    // Break the first lab value: a number becomes an object.
    let at =
        body.find(r#""valueQuantity":{"value":"#).unwrap() + r#""valueQuantity":{"value":"#.len();
    let end = at + body[at..].find(',').unwrap();
    let broken = format!("{}{{\"x\":1}}{}", &body[..at], &body[end..]);
    let (good, good_report) = engine.evaluate(service, body.as_bytes(), today()).unwrap();
    let (resp, report) = engine
        .evaluate(service, broken.as_bytes(), today())
        .unwrap();
    assert!(good_report.skipped.is_empty());
    assert_eq!(report.skipped.len(), 1, "{:?}", report.skipped);
    assert_eq!(report.skipped[0].resource_type, "Observation");
    assert_eq!(resp.cards.len(), good.cards.len());
}
