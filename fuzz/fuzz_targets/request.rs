//! Any bytes as a hook request body, to every service: never a panic.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use ssc_myositis_cds::engine::Engine;
use ssc_myositis_cds::http::json_depth;

fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| Engine::with_defaults().expect("engine"))
}

fuzz_target!(|data: &[u8]| {
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
    // The HTTP layer refuses deep nesting before parsing; mirror it.
    if json_depth(data) > 64 {
        return;
    }
    for service in &engine().services.services {
        let _ = engine().evaluate(service, data, today);
    }
});
