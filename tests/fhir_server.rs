//! End to end against a real FHIR R4 server on loopback (sekmet-fhir, from
//! PyPI, with bearer-token auth): load a patient, call order-sign with no
//! prefetch, and check the cards and that the server answered our token.
//!
//! It needs the server installed, so `cargo test` counts it as ignored (the
//! totals say so); `.ci/run` installs the server into `target/fhir-venv`, sets
//! SSC_CDS_REQUIRE_FHIR_SERVER=1 and runs it with `--ignored`, where a missing
//! server fails it.

mod common;

use common::fhir_stub::prefetch_resources;
use common::*;
use serde_json::json;

const TOKEN: &str = "e2e-bearer-token-4711";

#[tokio::test]
#[ignore = "needs a FHIR R4 server: .ci/run installs sekmet-fhir and runs this with --ignored"]
async fn order_sign_with_no_prefetch_against_a_real_fhir_server() {
    let Some(server) = common::fhir_server::start("fhir-e2e", TOKEN).await else {
        return;
    };
    let base = server.base.clone();
    let http = reqwest::Client::new();

    // Load patient S1 (SSc, polymyositis, diabetes; 70 kg, 170 cm; eGFR 88; BP 128/78).
    let full = fixture("S1.json");
    for r in prefetch_resources(&full) {
        let url = format!(
            "{base}/{}/{}",
            r["resourceType"].as_str().unwrap(),
            r["id"].as_str().unwrap()
        );
        let resp = http
            .put(&url)
            .bearer_auth(TOKEN)
            .header("content-type", "application/fhir+json")
            .body(r.to_string())
            .send()
            .await
            .unwrap();
        assert!(
            resp.status().is_success(),
            "loading {url}: {}",
            resp.status()
        );
    }

    let s = server.service().await;
    let mut req = full.clone();
    req.as_object_mut().unwrap().remove("prefetch");
    req["fhirServer"] = json!(base);
    req["fhirAuthorization"] = json!({"access_token": TOKEN, "token_type": "Bearer", "expires_in": 300, "scope": "patient/*.read", "subject": "cds"});
    let (status, r) = s.hook("ssc-myositis-order-sign", &req).await;
    assert_eq!(status, 200, "{r}");
    for (t, i) in [
        ("gc-dose-above-guidance", "warning"),
        ("src-risk-high-dose-gc", "warning"),
        ("mtx-dose-bsa", "info"),
    ] {
        assert!(has(&r, t, i), "{t}: {:?}", topics(&r));
    }
    // Folic acid is folded into the dose card.
    assert!(!has(&r, "mtx-folic-acid", "info"), "{:?}", topics(&r));
    // The figures came from the server: weight 70 kg, BSA 1.82 m².
    assert!(
        r.to_string().contains("0.86 mg/kg") && r.to_string().contains("1.82 m²"),
        "{r}"
    );
    // Our queries reached the server (its traffic log); it requires the token for each.
    let traffic = http
        .get(format!("http://127.0.0.1:{}/ui/traffic", server.port))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        traffic.contains("Condition?patient=S1") && traffic.contains("Observation?patient=S1"),
        "traffic log"
    );

    // A wrong token: the server refuses it, and so the required data cannot be had.
    req["fhirAuthorization"]["access_token"] = json!("not-the-token");
    let (status, oo) = s.hook("ssc-myositis-order-sign", &req).await;
    assert_eq!(status, 412, "{oo}");
    assert!(
        oo.to_string()
            .contains("refused the access token (HTTP 401)"),
        "{oo}"
    );
}
