//! The codes real EHRs send, through the engine: descendants from the
//! published value sets, WHO ICD-10 and OID systems, problem text and
//! provisional diagnoses (requests under tests/requests/real/), and the
//! invariance of the cards under re-coding a condition.

use proptest::prelude::*;
use serde_json::{json, Value};
use ssc_myositis_cds::engine::Engine;
use std::sync::LazyLock;

#[path = "common/cards.rs"]
mod support;
use support::real_request as fixture;

fn cards(req: &Value) -> Vec<(String, String)> {
    support::cards(&ENGINE, req)
}

static ENGINE: LazyLock<Engine> = LazyLock::new(|| Engine::with_defaults().expect("engine"));

fn summaries(c: &[(String, String)]) -> Vec<&str> {
    c.iter().map(|(s, _)| s.as_str()).collect()
}

#[test]
fn normal_pregnancy_is_a_pregnancy() {
    let c = cards(&fixture("pregnancy-72892002"));
    let s = summaries(&c);
    assert!(!s.is_empty());
    assert!(
        s.iter()
            .all(|s| !s.contains("methotrexate") && !s.contains("mycophenolate")),
        "{s:?}"
    );
    assert!(
        c.iter().any(|(_, d)| d.contains("Normal pregnancy")),
        "{c:?}"
    );
}

#[test]
fn type_2_diabetes_without_complication_is_diabetes() {
    let c = cards(&fixture("diabetes-313436004"));
    assert!(
        summaries(&c)
            .iter()
            .any(|s| s.contains("diabetes: guidance ≈0.5 mg/kg")),
        "{c:?}"
    );
}

#[test]
fn who_icd10_ssc_and_myositis_are_in_scope() {
    let s = cards(&fixture("who-icd10-ssc-myositis"));
    let s = summaries(&s);
    assert!(s.iter().any(|s| s.starts_with("SSc:")), "{s:?}");
    assert!(s.iter().any(|s| s.starts_with("Myositis:")), "{s:?}");
}

#[test]
fn ssc_as_problem_text_counts_and_is_named() {
    let c = cards(&fixture("ssc-problem-text"));
    assert!(summaries(&c).iter().any(|s| s.starts_with("SSc:")), "{c:?}");
    // Said once, on the first card.
    assert!(c[0]
        .1
        .contains("**Diagnoses**: Scleroderma (read from the problem text)."));
    assert!(c[1..].iter().all(|(_, d)| !d.contains("problem text")));
}

#[test]
fn a_provisional_encounter_diagnosis_counts_and_is_named() {
    let c = cards(&fixture("provisional-encounter-diagnosis"));
    assert!(
        summaries(&c).iter().any(|s| s.starts_with("Myositis:")),
        "{c:?}"
    );
    assert!(c[0]
        .1
        .contains("**Diagnoses**: dermatomyositis (provisional)."));
}

#[test]
fn a_condition_in_an_unknown_system_alone_brings_no_scope() {
    let mut req = fixture("ssc-problem-text");
    req["prefetch"]["Condition"]["entry"][0]["resource"]["code"] = json!({
        "coding": [{"system": "urn:oid:1.2.840.114350.1.13.0.1.7.2.696871", "code": "123456"}]
    });
    assert!(cards(&req).is_empty());
}

/// Ways of coding the same diagnosis: as listed, a listed descendant, the
/// OID of its system, WHO ICD-10. (class, codings)
const RECODINGS: &[&[(&str, &str)]] = &[
    &[
        ("http://hl7.org/fhir/sid/icd-10-cm", "M34.9"),
        ("http://hl7.org/fhir/sid/icd-10", "M34.9"),
        ("urn:oid:2.16.840.1.113883.6.90", "M349"),
        ("urn:oid:2.16.840.1.113883.6.3", "m34.9"),
        ("http://snomed.info/sct", "89155008"),
        ("urn:oid:2.16.840.1.113883.6.96", "89155008"),
        ("http://snomed.info/sct", "31848007"),
    ],
    &[
        ("http://hl7.org/fhir/sid/icd-10-cm", "M33.20"),
        ("http://hl7.org/fhir/sid/icd-10", "M33.2"),
        ("urn:oid:2.16.840.1.113883.6.3", "M33.2"),
        ("http://snomed.info/sct", "31384009"),
        ("urn:oid:2.16.840.1.113883.6.96", "31384009"),
    ],
    &[
        ("http://snomed.info/sct", "77386006"),
        ("http://snomed.info/sct", "72892002"),
        ("urn:oid:2.16.840.1.113883.6.96", "72892002"),
        ("http://snomed.info/sct", "457821000124106"),
    ],
    &[
        ("http://snomed.info/sct", "44054006"),
        ("http://snomed.info/sct", "313436004"),
        ("urn:oid:2.16.840.1.113883.6.96", "313436004"),
        ("http://hl7.org/fhir/sid/icd-10-cm", "E11.9"),
        ("http://hl7.org/fhir/sid/icd-10", "E11.9"),
    ],
];

/// The S2 request (SSc and polymyositis, prednisone 40 mg/day) with its
/// second condition coded as given, and the myositis order of S8 when
/// `mtx` (so pregnancy matters to the cards).
fn recoded(system: &str, code: &str, clinical: Option<&str>, mtx: bool) -> Value {
    let base = if mtx { "S8" } else { "S2" };
    let path = format!("{}/tests/requests/{base}.json", env!("CARGO_MANIFEST_DIR"));
    let mut req: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let pid = req["context"]["patientId"].as_str().unwrap().to_string();
    let mut c = json!({
        "resourceType": "Condition", "id": "recoded",
        "subject": {"reference": format!("Patient/{pid}")},
        "code": {"coding": [{"system": system, "code": code}]},
        "onsetDateTime": "2026-10-01",
    });
    if let Some(s) = clinical {
        c["clinicalStatus"] = json!({"coding": [{"code": s}]});
    }
    let entries = req["prefetch"]["Condition"]["entry"]
        .as_array_mut()
        .unwrap();
    entries.truncate(1);
    entries.push(json!({"resource": c}));
    req
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    /// Re-coding a condition by a listed descendant, its OID system or WHO
    /// ICD-10 gives the same card summaries.
    #[test]
    fn recoding_a_condition_gives_the_same_cards(
        class in 0..RECODINGS.len(),
        a in 0usize..8,
        b in 0usize..8,
        clinical in proptest::sample::select(vec![None, Some("active"), Some("remission"), Some("resolved")]),
        mtx in any::<bool>(),
    ) {
        let codes = RECODINGS[class];
        let (a, b) = (codes[a % codes.len()], codes[b % codes.len()]);
        let one = |(s, c): (&str, &str)| {
            cards(&recoded(s, c, clinical, mtx)).into_iter().map(|(s, _)| s).collect::<Vec<_>>()
        };
        prop_assert_eq!(one(a), one(b), "{:?} vs {:?}", a, b);
    }
}
