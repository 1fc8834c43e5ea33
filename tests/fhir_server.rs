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
    put_all(&http, &base, prefetch_resources(&full)).await;

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

const RXNORM: &str = "http://www.nlm.nih.gov/research/umls/rxnorm";

/// A patient with SSc as EHRs record one: blood pressure as a 55284-4 panel
/// (systolic and diastolic only as components, today 175/111), prednisone
/// 20 mg/day reported in a MedicationStatement, and an active prednisone
/// 5 mg/day order, both naming their drug only through a Medication reference.
fn real_record(today: &str) -> Vec<serde_json::Value> {
    let ssc = json!({"resourceType": "Condition", "id": "R1-ssc", "subject": {"reference": "Patient/R1"},
        "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "active"}]},
        "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "M34.0", "display": "Progressive systemic sclerosis"}]}});
    let bp = json!({"resourceType": "Observation", "id": "R1-bp", "status": "final", "subject": {"reference": "Patient/R1"},
        "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "vital-signs"}]}],
        "code": {"coding": [{"system": "http://loinc.org", "code": "55284-4", "display": "Blood pressure systolic and diastolic"}]},
        "effectiveDateTime": format!("{today}T09:00:00Z"),
        "component": [
            {"code": {"coding": [{"system": "http://loinc.org", "code": "8480-6"}]}, "valueQuantity": {"value": 175, "unit": "mm[Hg]", "system": "http://unitsofmeasure.org", "code": "mm[Hg]"}},
            {"code": {"coding": [{"system": "http://loinc.org", "code": "8462-4"}]}, "valueQuantity": {"value": 111, "unit": "mm[Hg]", "system": "http://unitsofmeasure.org", "code": "mm[Hg]"}}]});
    let daily = |tablets: u32| {
        json!([{"timing": {"repeat": {"frequency": 1, "period": 1, "periodUnit": "d"}},
        "route": {"coding": [{"system": "http://snomed.info/sct", "code": "26643006"}]},
        "doseAndRate": [{"doseQuantity": {"value": tablets, "unit": "tablet"}}]}])
    };
    let med = |id: &str, code: &str, name: &str| {
        json!({"resourceType": "Medication", "id": id,
        "code": {"coding": [{"system": RXNORM, "code": code, "display": name}]}})
    };
    vec![
        json!({"resourceType": "Patient", "id": "R1", "gender": "female", "birthDate": "1968-05-02"}),
        ssc,
        bp,
        med("R1-med-20", "312615", "predniSONE 20 MG Oral Tablet"),
        med("R1-med-5", "312617", "predniSONE 5 MG Oral Tablet"),
        json!({"resourceType": "MedicationStatement", "id": "R1-ms", "status": "active", "subject": {"reference": "Patient/R1"},
            "medicationReference": {"reference": "Medication/R1-med-20"}, "dosage": daily(1)}),
        json!({"resourceType": "MedicationRequest", "id": "R1-mr", "status": "active", "intent": "order", "subject": {"reference": "Patient/R1"},
            "authoredOn": "2026-10-01", "medicationReference": {"reference": "Medication/R1-med-5", "display": "predniSONE 5 MG Oral Tablet"},
            "dosageInstruction": daily(1)}),
    ]
}

fn patient_view() -> serde_json::Value {
    json!({"hookInstance": "a0914165-6746-4e1e-8fb5-4c4ef249bd22", "hook": "patient-view",
        "context": {"userId": "Practitioner/example", "patientId": "R1"}})
}

/// The facts the rules see: the panel's reading, and each prednisone with
/// its dose, however its Medication arrived.
fn assert_reached(facts: &ssc_myositis_cds::facts::Facts, how: &str) {
    let bp = facts
        .latest_bp()
        .unwrap_or_else(|| panic!("{how}: no blood pressure"));
    assert_eq!(
        (bp.systolic, bp.diastolic),
        (Some(175.0), Some(111.0)),
        "{how}"
    );
    let mut doses: Vec<(String, Option<f64>)> = facts
        .active_meds
        .iter()
        .map(|m| {
            (
                m.drug().map_or("?".into(), |d| d.name().to_string()),
                m.dose.as_ref().and_then(|d| d.per_day_mg()),
            )
        })
        .collect();
    doses.sort_by(|a, b| a.1.partial_cmp(&b.1).unwrap());
    assert_eq!(
        doses,
        [
            ("prednisone".to_string(), Some(5.0)),
            ("prednisone".to_string(), Some(20.0))
        ],
        "{how}"
    );
    let reported = facts
        .active_meds
        .iter()
        .find(|m| m.dose.as_ref().and_then(|d| d.per_day_mg()) == Some(20.0))
        .unwrap();
    assert_eq!(
        reported.source_kind,
        ssc_myositis_cds::facts::SourceKind::Reported,
        "{how}"
    );
    assert!(
        facts.unclassified.is_empty(),
        "{how}: {:?}",
        facts.unclassified
    );
}

#[tokio::test]
#[ignore = "needs a FHIR R4 server: .ci/run installs sekmet-fhir and runs this with --ignored"]
async fn a_panel_a_statement_and_an_unincluded_medication_reach_the_rules() {
    use ssc_myositis_cds::engine::{Engine, Fetched};
    use ssc_myositis_cds::prefetch::{fill, FetchSettings, Fetcher};
    let Some(server) = common::fhir_server::start("fhir-real", TOKEN).await else {
        return;
    };
    let base = server.base.clone();
    let http = reqwest::Client::new();
    let today = chrono::NaiveDate::parse_from_str(TODAY, "%Y-%m-%d").unwrap();
    let day = today.to_string();
    put_all(&http, &base, real_record(&day)).await;
    let engine = Engine::with_defaults().unwrap();
    let service = engine
        .services
        .get("ssc-myositis-patient-view")
        .unwrap()
        .clone();
    let body = patient_view();

    // 1. Through prefetch: the EHR runs each discovery template against its
    // server and ignores `_include` (Medications left out).
    // The prepared request borrows from the body it was read from.
    let body_text = body.to_string();
    let prepared = engine.prepare(&service, body_text.as_bytes()).unwrap();
    let mut prefetch = serde_json::Map::new();
    for (key, template, _) in &service.prefetch {
        let query = fill(template, &prepared.context).unwrap();
        let mut bundle: serde_json::Value = http
            .get(format!("{base}/{query}"))
            .bearer_auth(TOKEN)
            .header("accept", "application/fhir+json")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if let Some(entries) = bundle["entry"].as_array_mut() {
            entries.retain(|e| e["resource"]["resourceType"] != "Medication");
        }
        prefetch.insert(key.clone(), bundle);
    }
    let mut with_prefetch = body.clone();
    with_prefetch["prefetch"] = serde_json::Value::Object(prefetch);
    // The statement's Medication is not there and has no display: only the
    // order (by its display) and the panel reach the rules.
    // The prepared request borrows from the body it was read from.
    let with_prefetch_text = with_prefetch.to_string();
    let prepared = engine
        .prepare(&service, with_prefetch_text.as_bytes())
        .unwrap();
    let g = engine
        .gather(&service, prepared, Fetched::default(), today)
        .unwrap();
    let bp = g.facts.latest_bp().unwrap();
    assert_eq!((bp.systolic, bp.diastolic), (Some(175.0), Some(111.0)));
    assert!(g
        .facts
        .active_meds
        .iter()
        .any(|m| m.dose.as_ref().and_then(|d| d.per_day_mg()) == Some(5.0) && m.drug().is_some()));
    assert_eq!(g.facts.unclassified.len(), 1, "{:?}", g.facts.unclassified);
    // With the Medications included, as the templates ask: everything.
    let mut included = body.clone();
    let mut prefetch = serde_json::Map::new();
    for (key, template, _) in &service.prefetch {
        let query = fill(
            template,
            &engine
                .prepare(&service, body.to_string().as_bytes())
                .unwrap()
                .context,
        )
        .unwrap();
        let bundle: serde_json::Value = http
            .get(format!("{base}/{query}"))
            .bearer_auth(TOKEN)
            .header("accept", "application/fhir+json")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        prefetch.insert(key.clone(), bundle);
    }
    included["prefetch"] = serde_json::Value::Object(prefetch);
    // The prepared request borrows from the body it was read from.
    let included_text = included.to_string();
    let prepared = engine.prepare(&service, included_text.as_bytes()).unwrap();
    assert!(prepared.unsatisfied.is_empty());
    let g = engine
        .gather(&service, prepared, Fetched::default(), today)
        .unwrap();
    assert_reached(&g.facts, "prefetch");
    // An EHR whose server ignores `_include` gets the Medication to the
    // rules only through the fallback below; one that honours it, here.
    let s = server.service().await;
    let (status, r) = s.hook("ssc-myositis-patient-view", &included).await;
    assert_eq!(status, 200, "{r}");
    assert!(has(&r, "src-suspected", "warning"), "{:?}", topics(&r));

    // 2. Through the fallback: no prefetch; the service queries the server,
    // and reads by id any Medication the server did not include.
    let fetcher = Fetcher::new(FetchSettings {
        allowed_servers: vec![base.clone()],
        request_timeout: std::time::Duration::from_secs(10),
        deadline: std::time::Duration::from_secs(20),
        ..FetchSettings::default()
    })
    .unwrap();
    let mut req = body.clone();
    req["fhirServer"] = json!(base);
    req["fhirAuthorization"] = json!({"access_token": TOKEN, "token_type": "Bearer", "expires_in": 300, "scope": "patient/*.read", "subject": "cds"});
    // The prepared request borrows from the body it was read from.
    let req_text = req.to_string();
    let prepared = engine.prepare(&service, req_text.as_bytes()).unwrap();
    let fetched = fetcher.fetch(&prepared, std::slice::from_ref(&base)).await;
    assert!(
        fetched.results.values().all(|r| r.is_ok()),
        "{:?}",
        fetched
            .results
            .iter()
            .map(|(k, r)| (k, r.as_ref().err()))
            .collect::<Vec<_>>()
    );
    assert!(
        fetched.medication_failures.is_empty(),
        "{:?}",
        fetched.medication_failures
    );
    let g = engine.gather(&service, prepared, fetched, today).unwrap();
    assert_reached(&g.facts, "fallback");
    let (status, r) = s.hook("ssc-myositis-patient-view", &req).await;
    assert_eq!(status, 200, "{r}");
    assert!(has(&r, "src-suspected", "warning"), "{:?}", topics(&r));
    let traffic = http
        .get(format!("http://127.0.0.1:{}/ui/traffic", server.port))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(traffic.contains("category=vital-signs"), "traffic log");
    assert!(
        traffic.contains("MedicationStatement?patient=R1"),
        "traffic log"
    );
}

/// Writes each resource to the FHIR server under its own id (PUT).
async fn put_all(
    http: &reqwest::Client,
    base: &str,
    resources: impl IntoIterator<Item = serde_json::Value>,
) {
    for r in resources {
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
}
