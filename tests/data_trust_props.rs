//! Property: whatever weights, heights, units, dates and subjects a record
//! holds, no card or suggestion carries a figure computed from an
//! implausible, unconfirmed, future-dated or foreign reading, and no dose a
//! suggestion carries is non-finite, negative or zero.
//!
//! Runs with a fixed seed and proptest's default case count; a longer run on
//! demand: `PROPTEST_CASES=20000 cargo test --test data_trust_props`.

use chrono::NaiveDate;
use proptest::prelude::*;
use proptest::test_runner::RngSeed;
use serde_json::{json, Value};

use ssc_myositis_cds::engine::Engine;

const TODAY: &str = "2026-11-24";
const LOINC: &str = "http://loinc.org";

#[derive(Debug, Clone)]
struct Obs {
    value: f64,
    unit: &'static str,
    /// Days after today (negative: past).
    offset: i64,
    /// "p1", another patient, or no subject.
    subject: Option<&'static str>,
}

fn today() -> NaiveDate {
    NaiveDate::parse_from_str(TODAY, "%Y-%m-%d").unwrap()
}

fn value() -> impl Strategy<Value = f64> {
    prop_oneof![
        4 => 20.0f64..250.0,
        1 => 0.0001f64..20.0,
        1 => 250.0f64..2000.0,
        1 => -1000.0f64..0.0,
        1 => prop::sample::select(vec![0.0, 1e308, -1e308, 1e-300, 70_000.0, 154.0, 700.0]),
    ]
}

fn obs(units: &'static [&'static str]) -> impl Strategy<Value = Obs> {
    (
        value(),
        prop::sample::select(units),
        prop_oneof![4 => -500i64..=0, 1 => 2i64..30_000],
        prop::sample::select(vec![
            Some("Patient/p1"),
            Some("Patient/p1"),
            Some("Patient/p2"),
            None,
        ]),
    )
        .prop_map(|(value, unit, offset, subject)| Obs {
            value,
            unit,
            offset,
            subject,
        })
}

fn observation(code: &str, o: &Obs, i: usize) -> Value {
    let date = today() + chrono::Duration::days(o.offset);
    let mut r = json!({"resourceType": "Observation", "id": format!("{code}-{i}"), "status": "final",
        "code": {"coding": [{"system": LOINC, "code": code}]}, "effectiveDateTime": date.to_string(),
        "valueQuantity": {"value": o.value, "unit": o.unit, "system": "http://unitsofmeasure.org", "code": o.unit}});
    if let Some(s) = o.subject {
        r["subject"] = json!({"reference": s});
    }
    r
}

fn bundle(entries: Vec<Value>) -> Value {
    json!({"resourceType": "Bundle", "type": "searchset",
        "entry": entries.into_iter().map(|r| json!({"resource": r})).collect::<Vec<_>>()})
}

fn to_kg(v: f64, unit: &str) -> f64 {
    match unit {
        "g" => v / 1000.0,
        "[lb_av]" => v * 0.453_592_37,
        _ => v,
    }
}
fn to_cm(v: f64, unit: &str) -> f64 {
    match unit {
        "m" => v * 100.0,
        "[in_i]" => v * 2.54,
        _ => v,
    }
}

/// How the service prints a derived number (two decimals, zeros trimmed).
/// A figure as a card shows it: as recorded (to one decimal when recorded
/// with more), or, converted from another unit, to three significant
/// figures (a derived figure).
fn shown(v: f64, converted: bool) -> String {
    let tenths = v * 10.0;
    let v = if !converted && tenths.is_finite() && (tenths.round() - tenths).abs() >= 1e-9 {
        tenths.round() / 10.0
    } else {
        v
    };
    let decimals = match (converted, v) {
        (false, _) => 2,
        (true, v) if v < 10.0 => 2,
        (true, v) if v < 100.0 => 1,
        _ => 0,
    };
    let s = format!("{v:.decimals$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// The newest reading that may be used at all: this patient's (or no
/// subject), not in the future, distinct dates.
fn newest_own(readings: &[Obs]) -> Option<&Obs> {
    readings
        .iter()
        .filter(|o| o.subject != Some("Patient/p2") && o.offset <= 1)
        .max_by_key(|o| o.offset)
}

fn figures_used(resp: &Value, what: &str, unit: &str) -> Vec<String> {
    let re = regex::Regex::new(&format!(r"{what} used: (-?[0-9.e+]+) {unit}")).unwrap();
    let mut out = vec![];
    for c in resp["cards"].as_array().unwrap() {
        let d = c["detail"].as_str().unwrap_or("");
        out.extend(re.captures_iter(d).map(|m| m[1].to_string()));
    }
    out
}

/// The jump and unit-slip rules, restated: the newest own weight is
/// confirmed when within 20 % of the median of the previous 30 days' plausible
/// weights and not 2.2× or 0.45× (±5 %) a plausible weight of the last year.
fn confirmed(weights: &[Obs]) -> bool {
    let own: Vec<(f64, i64)> = weights
        .iter()
        .filter(|o| o.subject != Some("Patient/p2") && o.offset <= 1)
        .map(|o| (to_kg(o.value, o.unit), o.offset))
        .collect();
    let Some(&(w, d0)) = own.iter().max_by_key(|(_, d)| *d) else {
        return true;
    };
    let plausible = |v: f64| (25.0..=350.0).contains(&v);
    let mut recent: Vec<f64> = own
        .iter()
        .filter(|(v, d)| *d < d0 && d0 - d <= 30 && plausible(*v))
        .map(|(v, _)| *v)
        .collect();
    recent.sort_by(f64::total_cmp);
    if !recent.is_empty() {
        let m = recent.len() / 2;
        let median = if recent.len().is_multiple_of(2) {
            (recent[m - 1] + recent[m]) / 2.0
        } else {
            recent[m]
        };
        if (w - median).abs() / median * 100.0 > 20.0 {
            return false;
        }
    }
    !own.iter()
        .filter(|(v, d)| *d < d0 && d0 - d <= 365 && plausible(*v))
        .any(|(v, _)| {
            let r = w / v;
            (r - 2.2).abs() <= 2.2 * 0.05 || (r - 0.45).abs() <= 0.45 * 0.05
        })
}

fn dedup_dates(mut v: Vec<Obs>) -> Vec<Obs> {
    v.sort_by_key(|o| o.offset);
    v.dedup_by_key(|o| o.offset);
    v
}

proptest! {
    #![proptest_config(ProptestConfig { rng_seed: RngSeed::Fixed(0x0da7_a7a5), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn no_card_uses_an_untrusted_figure(
        weights in prop::collection::vec(obs(&["kg", "g", "[lb_av]"]), 0..4).prop_map(dedup_dates),
        heights in prop::collection::vec(obs(&["cm", "m", "[in_i]"]), 0..3).prop_map(dedup_dates),
        pred_mg in 5.0f64..120.0,
        ssc in any::<bool>(),
        female in any::<bool>(),
        with_mtx in any::<bool>(),
    ) {
        let engine = Engine::with_defaults().unwrap();
        let service = engine.services.get("ssc-myositis-order-sign").unwrap();
        let mut conditions = vec![json!({"resourceType": "Condition", "id": "c1", "subject": {"reference": "Patient/p1"},
            "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "M33.20"}]}})];
        if ssc {
            conditions.push(json!({"resourceType": "Condition", "id": "c2", "subject": {"reference": "Patient/p1"},
                "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "M34.0"}]}}));
        }
        let pred = json!({"resourceType": "MedicationRequest", "id": "o1", "status": "draft", "intent": "order",
            "subject": {"reference": "Patient/p1"},
            "medicationCodeableConcept": {"coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "312615"}]},
            "dosageInstruction": [{"timing": {"repeat": {"frequency": 1, "period": 1, "periodUnit": "d"}},
                "route": {"coding": [{"system": "http://snomed.info/sct", "code": "26643006"}]},
                "doseAndRate": [{"doseQuantity": {"value": pred_mg, "unit": "mg"}}]}]});
        let mut orders = vec![json!({"resource": pred})];
        if with_mtx {
            orders.push(json!({"resource": {"resourceType": "MedicationRequest", "id": "o2", "status": "draft",
                "subject": {"reference": "Patient/p1"},
                "medicationCodeableConcept": {"coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "1946772"}]},
                "dosageInstruction": [{"timing": {"repeat": {"frequency": 1, "period": 1, "periodUnit": "wk"}},
                    "doseAndRate": [{"doseQuantity": {"value": 0.6, "unit": "mL"}}]}]}}));
        }
        let body = json!({"hook": "order-sign", "hookInstance": "d1a2b3c4-0000-4000-8000-000000000009",
            "context": {"userId": "Practitioner/1", "patientId": "p1", "draftOrders": {"resourceType": "Bundle", "entry": orders}},
            "prefetch": {
                "Patient": {"resourceType": "Patient", "id": "p1", "gender": if female {"female"} else {"male"}, "birthDate": "1970-01-01"},
                "Condition": bundle(conditions),
                "MedicationRequest": bundle(vec![]),
                "Weight": bundle(weights.iter().enumerate().map(|(i, o)| observation("29463-7", o, i)).collect()),
                "Height": bundle(heights.iter().enumerate().map(|(i, o)| observation("8302-2", o, i)).collect()),
                "BloodPressure": bundle(vec![]), "Renal": bundle(vec![]), "Labs": bundle(vec![]), "PregnancyStatus": null}});
        let (resp, _) = engine.evaluate(service, body.to_string().as_bytes(), today()).unwrap();
        let resp = serde_json::to_value(&resp).unwrap();
        let text = resp.to_string();
        prop_assert!(!text.contains("NaN") && !text.contains("inf "), "{text}");

        // Every weight a card used is the newest of this patient's, not in the
        // future, and plausible.
        let newest_w = newest_own(&weights);
        let w = newest_w.map(|o| to_kg(o.value, o.unit));
        for used in figures_used(&resp, "Weight", "kg") {
            let w = w.expect("a weight was used, so one was on file");
            prop_assert_eq!(&used, &shown(w, newest_w.is_some_and(|o| o.unit != "kg")));
            prop_assert!((25.0..=350.0).contains(&w), "weight {} used", w);
        }
        let newest_h = newest_own(&heights);
        let h = newest_h.map(|o| to_cm(o.value, o.unit));
        for used in figures_used(&resp, "Height", "cm") {
            let h = h.expect("a height was used, so one was on file");
            prop_assert_eq!(&used, &shown(h, newest_h.is_some_and(|o| o.unit != "cm")));
            prop_assert!((120.0..=230.0).contains(&h), "height {} used", h);
        }
        // A weight used with a plausible height on file gives a plausible BMI,
        // and passes the jump and unit-slip checks (an independent oracle).
        if let (Some(w), false) = (w, figures_used(&resp, "Weight", "kg").is_empty()) {
            if let Some(h) = h.filter(|h| (120.0..=230.0).contains(h)) {
                let bmi = w / (h / 100.0).powi(2);
                prop_assert!((12.0..=70.0).contains(&bmi), "BMI {} used", bmi);
            }
            prop_assert!(confirmed(&weights), "an unconfirmed weight was used: {:?}", weights);
        }
        // A weight-based suggestion needs a trusted weight.
        let weight_ok = w.is_some_and(|w| (25.0..=350.0).contains(&w));
        for card in resp["cards"].as_array().unwrap() {
            for s in card["suggestions"].as_array().into_iter().flatten() {
                for a in s["actions"].as_array().into_iter().flatten() {
                    let r = &a["resource"];
                    if r["resourceType"] != "MedicationRequest" {
                        continue;
                    }
                    for d in r["dosageInstruction"].as_array().into_iter().flatten() {
                        for dr in d["doseAndRate"].as_array().into_iter().flatten() {
                            let v = dr["doseQuantity"]["value"].as_f64();
                            prop_assert!(v.is_some_and(|v| v.is_finite() && v > 0.0), "dose {:?}", v);
                        }
                    }
                    let name = r["medicationCodeableConcept"]["text"].as_str().unwrap_or("").to_lowercase();
                    if ["prednisone", "azathioprine", "methotrexate"].iter().any(|d| name.contains(d)) && a["type"] != "delete" {
                        prop_assert!(weight_ok, "{} suggested without a trusted weight", name);
                    }
                }
            }
        }
        // Foreign and future readings never show.
        for o in weights.iter().filter(|o| o.subject == Some("Patient/p2") || o.offset > 1) {
            let v = shown(to_kg(o.value, o.unit), o.unit != "kg");
            let own_same = weights.iter().any(|x| x.subject != Some("Patient/p2") && x.offset <= 1 && shown(to_kg(x.value, x.unit), x.unit != "kg") == v);
            if !own_same && o.subject == Some("Patient/p2") {
                prop_assert!(!figures_used(&resp, "Weight", "kg").contains(&v));
            }
        }
    }
}
