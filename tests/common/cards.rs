//! Cards of a request evaluated in process, as (summary, detail) pairs, and
//! the real-record requests of `tests/requests/real/`. Included by path
//! (`#[path = "common/cards.rs"] mod cards;`) by tests that need no server.
#![allow(dead_code)] // each test uses the part it needs

use chrono::NaiveDate;
use serde_json::Value;

use ssc_myositis_cds::engine::Engine;

/// The date the fixtures are written for.
pub fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 24).unwrap()
}

/// The cards the service for the request's hook gives on `today()`.
pub fn cards(engine: &Engine, req: &Value) -> Vec<(String, String)> {
    let hook = req["hook"].as_str().unwrap_or("order-sign");
    let service = engine
        .services
        .for_hook(hook)
        .expect("a service for the hook");
    let body = serde_json::to_vec(req).unwrap();
    let (resp, _) = engine
        .evaluate_at(service, &body, today(), None)
        .expect("evaluates");
    let v = serde_json::to_value(&resp).unwrap();
    v["cards"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["summary"].as_str().unwrap().to_string(),
                c["detail"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

/// A request of `tests/requests/real/` by name.
pub fn real_request(name: &str) -> Value {
    let path = format!(
        "{}/tests/requests/real/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}
