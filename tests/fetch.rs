//! Getting the data over real HTTP: prefetch when the request has it, else the
//! EHR's FHIR server (an in-process stub with fault injection) with the
//! request's token, and 412 when required data cannot be had.

mod common;

use std::time::Duration;

use common::fhir_stub::{prefetch_resources, Fault, Stub};
use common::*;
use serde_json::{json, Value};
use ssc_myositis_cds::engine::Engine;
use ssc_myositis_cds::http::{AppState, AuthMode, Limits};
use ssc_myositis_cds::prefetch::{FetchSettings, Fetcher};

const SIGN: &str = "ssc-myositis-order-sign";
const TOKEN: &str = "ehr-access-token-123";

fn settings(allowed: &str) -> FetchSettings {
    FetchSettings {
        allowed_servers: vec![allowed.to_string()],
        max_bytes: 256 * 1024,
        ..FetchSettings::default()
    }
}

async fn service(fetch: FetchSettings) -> Server {
    let mut state = AppState::new(
        Engine::with_defaults().unwrap(),
        Limits::default(),
        AuthMode::Disabled,
    );
    state.fetcher = Fetcher::new(fetch).unwrap();
    start_with(state).await.0
}

/// The S1 patient on a stub, and S1's request with no prefetch pointing at it.
async fn s1_on_stub() -> (Stub, Value) {
    let stub = Stub::start().await;
    let full = fixture("S1.json");
    stub.load(prefetch_resources(&full));
    let mut req = full.clone();
    req.as_object_mut().unwrap().remove("prefetch");
    req["fhirServer"] = json!(stub.base);
    req["fhirAuthorization"] = json!({"access_token": TOKEN, "token_type": "Bearer", "expires_in": 300, "scope": "patient/*.read", "subject": "cds"});
    (stub, req)
}

fn s1_expected(resp: &Value) {
    for (t, i) in [
        ("gc-dose-above-guidance", "warning"),
        ("src-risk-high-dose-gc", "warning"),
        ("mtx-dose-bsa", "info"),
    ] {
        assert!(has(resp, t, i), "{t}: {:?}", topics(resp));
    }
}

#[tokio::test]
async fn no_prefetch_every_key_is_queried_once_with_the_token() {
    let (stub, req) = s1_on_stub().await;
    let s = service(settings(&stub.base)).await;
    let (status, r) = s.hook(SIGN, &req).await;
    assert_eq!(status, 200, "{r}");
    s1_expected(&r);
    let seen = stub.seen();
    // Ten keys, MedicationStatement among them.
    assert_eq!(seen.len(), 10, "{seen:#?}");
    assert!(seen
        .iter()
        .all(|(_, auth)| auth.as_deref() == Some(&format!("Bearer {TOKEN}")[..])));
    let paths: Vec<&str> = seen.iter().map(|(p, _)| p.as_str()).collect();
    assert!(paths.contains(&"/Patient/S1"), "{paths:?}");
    assert!(
        paths.iter().any(|p| p.starts_with("/Condition?patient=S1")),
        "{paths:?}"
    );
    assert!(
        paths
            .iter()
            .any(|p| p.starts_with("/Observation?patient=S1&code=http://loinc.org|29463-7")),
        "{paths:?}"
    );
}

#[tokio::test]
async fn patient_ids_are_url_encoded() {
    let (stub, mut req) = s1_on_stub().await;
    req["context"]["patientId"] = json!("S1&_id=other/../x");
    let s = service(settings(&stub.base)).await;
    let _ = s.hook(SIGN, &req).await;
    let seen = stub.seen();
    assert!(
        seen.iter()
            .any(|(p, _)| p == "/Patient/S1%26_id%3Dother%2F..%2Fx"),
        "{seen:#?}"
    );
    assert!(seen.iter().all(|(p, _)| !p.contains("&_id=")), "{seen:#?}");
}

#[tokio::test]
async fn only_missing_keys_are_queried_and_null_means_no_data() {
    let (stub, mut req) = s1_on_stub().await;
    let full = fixture("S1.json");
    req["prefetch"] = json!({"Patient": full["prefetch"]["Patient"], "Condition": full["prefetch"]["Condition"], "Labs": null,
        "PregnancyStatus": {"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": "not-found"}]}});
    let s = service(settings(&stub.base)).await;
    let (status, r) = s.hook(SIGN, &req).await;
    assert_eq!(status, 200, "{r}");
    s1_expected(&r);
    let seen = stub.seen();
    let paths: Vec<&str> = seen.iter().map(|(p, _)| p.as_str()).collect();
    // Weight, Height, BloodPressure, Renal, MedicationRequest, MedicationStatement,
    // and PregnancyStatus (an OperationOutcome).
    assert_eq!(seen.len(), 7, "{paths:?}");
    assert!(
        !paths.iter().any(|p| p.starts_with("/Condition")
            || p.starts_with("/Patient")
            || p.contains("category=laboratory")),
        "{paths:?}"
    );
    assert!(
        paths.iter().any(|p| p.contains("82810-3")),
        "the OperationOutcome key is refetched: {paths:?}"
    );
}

#[tokio::test]
async fn server_faults_on_required_data_give_412_naming_the_key_and_the_cause() {
    let cases = [
        (Fault::Status(500), "HTTP 500"),
        (Fault::Status(401), "refused the access token (HTTP 401)"),
        (Fault::Status(403), "refused the access token (HTTP 403)"),
        (Fault::InvalidJson, "invalid JSON"),
        (Fault::Huge(400 * 1024), "larger than 262144 bytes"),
        (Fault::Slow(Duration::from_millis(1500)), "timed out"),
    ];
    for (fault, cause) in cases {
        let (stub, req) = s1_on_stub().await;
        stub.fault("Condition", fault.clone());
        let s = service(settings(&stub.base)).await;
        let (status, oo) = s.hook(SIGN, &req).await;
        assert_eq!(status, 412, "{fault:?}: {oo}");
        let first = &oo["issue"][0];
        assert_eq!(first["expression"][0], "prefetch.Condition", "{fault:?}");
        let text = first["diagnostics"].as_str().unwrap();
        assert!(text.contains(cause), "{fault:?}: {text}");
        // No retry: one request for the failing key.
        let tries = stub
            .seen()
            .iter()
            .filter(|(p, _)| p.starts_with("/Condition"))
            .count();
        assert_eq!(tries, 1, "{fault:?}");
        assert!(
            !oo.to_string().contains(TOKEN) && !oo.to_string().contains(&stub.base),
            "no token or server URL in errors: {oo}"
        );
    }
}

#[tokio::test]
async fn faults_on_optional_data_give_200_and_say_what_was_not_checked() {
    for fault in [
        Fault::Status(500),
        Fault::InvalidJson,
        Fault::Slow(Duration::from_millis(1500)),
    ] {
        let (stub, req) = s1_on_stub().await;
        // Observation covers weight, height, BP, renal function and labs.
        stub.fault("Observation", fault.clone());
        let s = service(settings(&stub.base)).await;
        let (status, r) = s.hook(SIGN, &req).await;
        assert_eq!(status, 200, "{fault:?}: {r}");
        let text = r.to_string();
        assert!(
            text.contains("Not checked: body weight")
                && text.contains("Not checked: renal function"),
            "{fault:?}: {text}"
        );
        assert!(fires(&r, "data-missing"), "{fault:?}");
        assert!(
            has(&r, "src-risk-high-dose-gc", "warning"),
            "rules that need no Observation still run"
        );
    }
}

#[tokio::test]
async fn the_deadline_bounds_the_whole_hook() {
    // Requests may take 5 s each, but all of them together only 300 ms.
    let (stub, req) = s1_on_stub().await;
    stub.fault("Condition", Fault::Slow(Duration::from_secs(5)));
    let s = service(FetchSettings {
        request_timeout: Duration::from_secs(5),
        deadline: Duration::from_millis(300),
        ..settings(&stub.base)
    })
    .await;
    let (status, oo) = s.hook(SIGN, &req).await;
    assert_eq!(status, 412, "{oo}");
    assert!(
        oo.to_string().contains("no answer within 300 ms"),
        "the deadline, not a request timeout: {oo}"
    );
}

#[tokio::test]
async fn paged_searches_are_followed_on_the_same_server_only() {
    // Paging: Conditions one per page; the SSc code is on a later page.
    let (stub, req) = s1_on_stub().await;
    stub.fault("Condition", Fault::Paged);
    let s = service(settings(&stub.base)).await;
    let (status, r) = s.hook(SIGN, &req).await;
    assert_eq!(status, 200, "{r}");
    s1_expected(&r);
    let pages = stub
        .seen()
        .iter()
        .filter(|(p, _)| p.starts_with("/Condition"))
        .count();
    assert_eq!(pages, 3, "three conditions, three pages");

    // A next link to another server is not followed: the token never goes there.
    let elsewhere = Stub::start().await;
    let (stub, req) = s1_on_stub().await;
    stub.fault(
        "Condition",
        Fault::NextTo(format!("{}/Condition?page=2", elsewhere.base)),
    );
    let s = service(settings(&stub.base)).await;
    let (status, _) = s.hook(SIGN, &req).await;
    assert_eq!(status, 200);
    assert!(elsewhere.seen().is_empty(), "{:?}", elsewhere.seen());

    // Nor is a redirect to another server.
    let (stub, req) = s1_on_stub().await;
    stub.fault(
        "Condition",
        Fault::RedirectTo(format!("{}/Condition", elsewhere.base)),
    );
    let s = service(settings(&stub.base)).await;
    let (status, oo) = s.hook(SIGN, &req).await;
    assert_eq!(status, 412);
    assert!(oo.to_string().contains("redirected"), "{oo}");
    assert!(elsewhere.seen().is_empty());
}

#[tokio::test]
async fn only_allowed_servers_are_queried() {
    // Not in the allowlist: no query at all, 412.
    let (stub, req) = s1_on_stub().await;
    let s = service(settings("https://ehr.example.org/fhir")).await;
    let (status, oo) = s.hook(SIGN, &req).await;
    assert_eq!(status, 412);
    assert!(oo.to_string().contains("not in the allowlist"), "{oo}");
    assert!(stub.seen().is_empty());

    // Plain http off loopback is refused even when listed.
    let (_, mut req) = s1_on_stub().await;
    req["fhirServer"] = json!("http://ehr.example.org/fhir");
    let s = service(settings("http://ehr.example.org/fhir")).await;
    let (status, oo) = s.hook(SIGN, &req).await;
    assert_eq!(status, 412);
    assert!(oo.to_string().contains("must be https"), "{oo}");

    // No fhirServer at all.
    let (_, mut req) = s1_on_stub().await;
    req.as_object_mut().unwrap().remove("fhirServer");
    let (status, oo) = service(settings("https://x.example.org"))
        .await
        .hook(SIGN, &req)
        .await;
    assert_eq!(status, 412);
    assert!(oo.to_string().contains("no fhirServer"), "{oo}");
}

#[tokio::test]
async fn open_servers_are_queried_only_when_allowed_and_without_a_token() {
    let (stub, mut req) = s1_on_stub().await;
    req.as_object_mut().unwrap().remove("fhirAuthorization");
    let s = service(settings(&stub.base)).await;
    let (status, oo) = s.hook(SIGN, &req).await;
    assert_eq!(status, 412);
    assert!(oo.to_string().contains("no fhirAuthorization"), "{oo}");
    assert!(stub.seen().is_empty());

    let s = service(FetchSettings {
        allow_open_servers: true,
        ..settings(&stub.base)
    })
    .await;
    let (status, r) = s.hook(SIGN, &req).await;
    assert_eq!(status, 200, "{r}");
    s1_expected(&r);
    assert!(!stub.seen().is_empty() && stub.seen().iter().all(|(_, auth)| auth.is_none()));
}

/// A server that ignores `_include`: the Medication an active order
/// references is read by id, with the same token; when that read fails the
/// hook still answers, and the order is named as not identified.
#[tokio::test]
async fn a_medication_the_server_did_not_include_is_read_by_id() {
    let (stub, req) = s1_on_stub().await;
    stub.load([
        json!({"resourceType": "MedicationRequest", "id": "S1-held", "status": "active", "intent": "order",
            "subject": {"reference": "Patient/S1"}, "authoredOn": "2026-10-01",
            "medicationReference": {"reference": "Medication/S1-med"},
            "dosageInstruction": [{"timing": {"repeat": {"frequency": 1, "period": 1, "periodUnit": "d"}},
                "doseAndRate": [{"doseQuantity": {"value": 1, "unit": "tablet"}}]}]}),
        json!({"resourceType": "Medication", "id": "S1-med",
            "code": {"coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "312617", "display": "predniSONE 5 MG Oral Tablet"}]}}),
    ]);
    let s = service(settings(&stub.base)).await;
    let (status, r) = s.hook(SIGN, &req).await;
    assert_eq!(status, 200, "{r}");
    let seen = stub.seen();
    assert!(
        seen.iter().any(|(p, a)| p == "/Medication/S1-med"
            && a.as_deref() == Some(&format!("Bearer {TOKEN}")[..])),
        "{seen:#?}"
    );
    // The active prednisone is counted beside the draft.
    assert!(r.to_string().contains("predniSONE 5 MG Oral Tablet"), "{r}");

    // The read fails: the answer degrades, it does not fail.
    let (stub, req) = s1_on_stub().await;
    stub.load([json!({"resourceType": "MedicationRequest", "id": "S1-held", "status": "active", "intent": "order",
        "subject": {"reference": "Patient/S1"}, "medicationReference": {"reference": "Medication/S1-med"}})]);
    stub.fault("Medication", Fault::Status(500));
    let s = service(settings(&stub.base)).await;
    let (status, r) = s.hook(SIGN, &req).await;
    assert_eq!(status, 200, "{r}");
    s1_expected(&r);
}
