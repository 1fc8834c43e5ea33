//! A medication reads the same however the EHR shapes it (POLICY third
//! edition, "Medications as EHRs send them"): coded on the order, contained,
//! referenced and included in the record, referenced with only a display, or
//! sent as another entry of the draftOrders Bundle — the same drug and dose,
//! and the same card summaries.

use chrono::NaiveDate;
use proptest::prelude::*;
use serde_json::{json, Value};
use ssc_myositis_cds::engine::{Engine, Fetched};

const RXNORM: &str = "http://www.nlm.nih.gov/research/umls/rxnorm";

/// (RxNorm code, name as EHRs display it).
const PRODUCTS: &[(&str, &str)] = &[
    ("312615", "predniSONE 20 MG Oral Tablet"),
    ("312617", "predniSONE 5 MG Oral Tablet"),
    ("105585", "methotrexate 2.5 MG Oral Tablet"),
];

#[derive(Debug, Clone, Copy, PartialEq)]
enum Shape {
    Coded,
    Contained,
    Included,
    Display,
    DraftBundle,
}

fn request(product: (&str, &str), tablets: u32, weekly: bool, shape: Shape, active: bool) -> Value {
    let (code, name) = product;
    let concept = json!({"coding": [{"system": RXNORM, "code": code, "display": name}]});
    let medication = json!({"resourceType": "Medication", "id": "med-1", "code": concept});
    let period = if weekly { "wk" } else { "d" };
    let mut order = json!({"resourceType": "MedicationRequest", "id": "mr-1",
        "status": if active { "active" } else { "draft" }, "intent": "order",
        "subject": {"reference": "Patient/P1"}, "authoredOn": "2026-11-01",
        "dosageInstruction": [{"timing": {"repeat": {"frequency": 1, "period": 1, "periodUnit": period}},
            "route": {"coding": [{"system": "http://snomed.info/sct", "code": "26643006"}]},
            "doseAndRate": [{"doseQuantity": {"value": tablets, "unit": "tablet"}}]}]});
    let mut in_record = vec![];
    let mut in_drafts = vec![];
    match shape {
        Shape::Coded => order["medicationCodeableConcept"] = concept,
        Shape::Contained => {
            order["contained"] = json!([medication]);
            order["medicationReference"] = json!({"reference": "#med-1"});
        }
        Shape::Included => {
            order["medicationReference"] = json!({"reference": "Medication/med-1"});
            in_record.push(medication);
        }
        Shape::Display => {
            order["medicationReference"] =
                json!({"reference": "Medication/med-1", "display": name});
        }
        Shape::DraftBundle => {
            order["medicationReference"] = json!({"reference": "Medication/med-1"});
            in_drafts.push(medication);
        }
    }
    let (mut drafts, mut record) = (in_drafts, in_record);
    if active {
        record.insert(0, order);
    } else {
        drafts.insert(0, order);
    }
    // An unrelated draft keeps order-sign's draftOrders non-empty.
    drafts.push(json!({"resourceType": "MedicationRequest", "id": "mr-x", "status": "draft", "intent": "order",
        "subject": {"reference": "Patient/P1"},
        "medicationCodeableConcept": {"coding": [{"system": RXNORM, "code": "197361", "display": "amlodipine 5 MG Oral Tablet"}]}}));
    let bundle = |rs: Vec<Value>| {
        json!({"resourceType": "Bundle", "type": "searchset",
        "entry": rs.into_iter().map(|r| json!({"resource": r})).collect::<Vec<_>>()})
    };
    json!({"hookInstance": "e729e861-7f15-4df1-8206-c3b340404725", "hook": "order-sign",
        "context": {"userId": "Practitioner/example", "patientId": "P1",
            "draftOrders": {"resourceType": "Bundle", "type": "collection",
                "entry": drafts.into_iter().map(|r| json!({"resource": r})).collect::<Vec<_>>()}},
        "prefetch": {
            "Patient": {"resourceType": "Patient", "id": "P1", "gender": "female", "birthDate": "1968-05-02"},
            "Condition": bundle(vec![json!({"resourceType": "Condition", "id": "c1", "subject": {"reference": "Patient/P1"},
                "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "M34.0"}]}})]),
            "MedicationRequest": bundle(record),
            "MedicationStatement": null,
            "Weight": bundle(vec![json!({"resourceType": "Observation", "id": "w1", "status": "final", "subject": {"reference": "Patient/P1"},
                "code": {"coding": [{"system": "http://loinc.org", "code": "29463-7"}]}, "effectiveDateTime": "2026-11-20",
                "valueQuantity": {"value": 60, "unit": "kg", "system": "http://unitsofmeasure.org", "code": "kg"}})]),
            "Height": null, "BloodPressure": null, "Renal": null, "Labs": null, "PregnancyStatus": null}})
}

/// (drug, mg per day, mg per week) of the medication, and the card summaries.
type Read = (Vec<(Option<String>, Option<f64>, Option<f64>)>, Vec<String>);

fn read(engine: &Engine, body: &Value) -> Read {
    let service = engine.services.get("ssc-myositis-order-sign").unwrap();
    let today = NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
    let bytes = body.to_string();
    let prepared = engine.prepare(service, bytes.as_bytes()).unwrap();
    let g = engine
        .gather(service, prepared, Fetched::default(), today)
        .unwrap();
    let meds = g
        .facts
        .all_meds()
        .filter(|m| m.id.as_deref() == Some("mr-1"))
        .map(|m| {
            (
                m.drug().map(|d| d.name().to_string()),
                m.dose.as_ref().and_then(|d| d.per_day_mg()),
                m.dose.as_ref().and_then(|d| d.per_week_mg()),
            )
        })
        .collect();
    let (response, _) = engine.evaluate(service, bytes.as_bytes(), today).unwrap();
    let cards = serde_json::to_value(&response).unwrap();
    let summaries = cards["cards"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["summary"].as_str().unwrap().to_string())
        .collect();
    (meds, summaries)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    #[test]
    fn every_shape_reads_as_the_coded_order(
        product in 0..PRODUCTS.len(),
        tablets in 1u32..5,
        active in any::<bool>(),
        shape in prop_oneof![Just(Shape::Contained), Just(Shape::Included), Just(Shape::Display), Just(Shape::DraftBundle)],
    ) {
        let engine = Engine::with_defaults().unwrap();
        let weekly = PRODUCTS[product].1.starts_with("methotrexate");
        let coded = read(&engine, &request(PRODUCTS[product], tablets, weekly, Shape::Coded, active));
        prop_assert!(coded.0.len() == 1 && coded.0[0].0.is_some(), "{:?}", coded);
        let other = read(&engine, &request(PRODUCTS[product], tablets, weekly, shape, active));
        prop_assert_eq!(&other, &coded, "{:?}", shape);
    }
}

/// A drafted creatinine or BP ServiceRequest satisfies the suggestion to
/// order it; one for another patient, or not a draft, does not.
#[test]
fn drafted_services_satisfy_the_monitoring_suggestions() {
    let engine = Engine::with_defaults().unwrap();
    let service = engine.services.get("ssc-myositis-order-sign").unwrap();
    let today = NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
    let base: Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/requests/real/drafted-monitoring.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let labels = |body: &Value| -> Vec<String> {
        let (response, _) = engine
            .evaluate(service, body.to_string().as_bytes(), today)
            .unwrap();
        let v = serde_json::to_value(&response).unwrap();
        v["cards"][0]["suggestions"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|s| s["label"].as_str().unwrap().to_string())
            .collect()
    };
    // (keep the creatinine draft, keep the BP draft, creatinine draft's patient, its status, suggestions left)
    let cases = [
        (
            false,
            false,
            "Patient/R2",
            "draft",
            vec!["Order blood-pressure monitoring", "Order serum creatinine"],
        ),
        (
            true,
            false,
            "Patient/R2",
            "draft",
            vec!["Order blood-pressure monitoring"],
        ),
        (
            false,
            true,
            "Patient/R2",
            "draft",
            vec!["Order serum creatinine"],
        ),
        (true, true, "Patient/R2", "draft", vec![]),
        (
            true,
            false,
            "Patient/other",
            "draft",
            vec!["Order blood-pressure monitoring", "Order serum creatinine"],
        ),
        (
            true,
            false,
            "Patient/R2",
            "revoked",
            vec!["Order blood-pressure monitoring", "Order serum creatinine"],
        ),
    ];
    for (creatinine, bp, patient, status, want) in cases {
        let mut body = base.clone();
        let entries = body["context"]["draftOrders"]["entry"]
            .as_array_mut()
            .unwrap();
        entries.retain(|e| match e["resource"]["id"].as_str() {
            Some("R2-creat") => creatinine,
            Some("R2-bp") => bp,
            _ => true,
        });
        for e in entries.iter_mut() {
            if e["resource"]["id"] == "R2-creat" {
                e["resource"]["subject"]["reference"] = json!(patient);
                e["resource"]["status"] = json!(status);
            }
        }
        assert_eq!(labels(&body), want, "{creatinine} {bp} {patient} {status}");
    }
}
