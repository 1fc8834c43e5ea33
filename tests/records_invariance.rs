//! Properties of reading real records (POLICY third edition, "Status, time,
//! units"): writing a unit as a common non-UCUM string, or moving a time
//! across time zones without changing the instant, gives the same facts and
//! the same cards.
//!
//! Runs with a fixed seed and proptest's default case count; a longer run on
//! demand: `PROPTEST_CASES=5000 cargo test --test records_invariance`.

use chrono::{DateTime, Duration, FixedOffset, TimeZone, Utc};
use proptest::prelude::*;
use proptest::test_runner::RngSeed;
use serde_json::{json, Value};

use ssc_myositis_cds::engine::Engine;

#[path = "common/cards.rs"]
mod support;
use ssc_myositis_cds::facts::{Facts, FactsBuilder};
use ssc_myositis_cds::fhir;
use ssc_myositis_cds::terminology::Terminology;
use support::{cards, today};

const LOINC: &str = "http://loinc.org";
const UCUM: &str = "http://unitsofmeasure.org";

/// One measured figure: its LOINC code, value and unit as sent (UCUM code
/// or not), and its time as written.
#[derive(Debug, Clone)]
struct Figure {
    code: &'static str,
    value: f64,
    /// (unit text, UCUM code when the sender gives one)
    unit: (String, Option<String>),
    time: String,
}

fn observation(f: &Figure, i: usize) -> Value {
    let mut q = json!({"value": f.value, "unit": f.unit.0});
    if let Some(code) = &f.unit.1 {
        q["system"] = json!(UCUM);
        q["code"] = json!(code);
    }
    json!({"resourceType": "Observation", "id": format!("{}-{i}", f.code), "status": "final",
        "subject": {"reference": "Patient/p1"},
        "code": {"coding": [{"system": LOINC, "code": f.code}]},
        "effectiveDateTime": f.time, "valueQuantity": q})
}

fn bp(systolic: f64, diastolic: f64, time: &str) -> Value {
    let part = |code: &str, v: f64| {
        json!({"code": {"coding": [{"system": LOINC, "code": code}]},
            "valueQuantity": {"value": v, "unit": "mmHg", "system": UCUM, "code": "mm[Hg]"}})
    };
    json!({"resourceType": "Observation", "id": "bp", "status": "final",
        "subject": {"reference": "Patient/p1"},
        "code": {"coding": [{"system": LOINC, "code": "85354-9"}]},
        "effectiveDateTime": time,
        "component": [part("8480-6", systolic), part("8462-4", diastolic)]})
}

fn bundle(entries: Vec<Value>) -> Value {
    json!({"resourceType": "Bundle", "type": "searchset",
        "entry": entries.into_iter().map(|r| json!({"resource": r})).collect::<Vec<_>>()})
}

/// An SSc-myositis patient with a prednisone order and these observations.
fn request(observations: &[Value], bp_reading: Value) -> Value {
    let condition = |id: &str, code: &str| {
        json!({"resourceType": "Condition", "id": id, "subject": {"reference": "Patient/p1"},
            "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": code}]}})
    };
    json!({
        "hookInstance": "5b0c7d6e-1d5e-4f0a-9a51-2c7d8e9f0a1b",
        "hook": "order-sign",
        "context": {"userId": "Practitioner/example", "patientId": "p1",
            "draftOrders": bundle(vec![json!({"resourceType": "MedicationRequest", "id": "o1",
                "status": "draft", "intent": "order", "subject": {"reference": "Patient/p1"},
                "medicationCodeableConcept": {"coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "312615"}]},
                "dosageInstruction": [{"timing": {"repeat": {"frequency": 1, "period": 1, "periodUnit": "d"}},
                    "route": {"coding": [{"system": "http://snomed.info/sct", "code": "26643006"}]},
                    "doseAndRate": [{"doseQuantity": {"value": 3, "unit": "tablet"}}]}]})])},
        "prefetch": {
            "Patient": {"resourceType": "Patient", "id": "p1", "gender": "female", "birthDate": "1975-06-02"},
            "Condition": bundle(vec![condition("c1", "M34.0"), condition("c2", "M33.10")]),
            "MedicationRequest": bundle(vec![]),
            "Weight": bundle(observations.iter().filter(|o| o["code"]["coding"][0]["code"] == "29463-7").cloned().collect()),
            "Height": bundle(observations.iter().filter(|o| o["code"]["coding"][0]["code"] == "8302-2").cloned().collect()),
            "BloodPressure": bundle(vec![bp_reading]),
            "Renal": bundle(observations.iter().filter(|o| {
                let c = &o["code"]["coding"][0]["code"];
                c == "98979-8" || c == "2160-0"
            }).cloned().collect()),
            "Labs": bundle(vec![]),
            "PregnancyStatus": bundle(vec![]),
        }
    })
}

/// The facts the observations read into (weights, heights, labs, BP, dates).
fn facts(t: &Terminology, observations: &[Value], bp_reading: &Value) -> Facts {
    // The builder borrows from the texts it reads: they outlive it.
    let texts: Vec<Box<serde_json::value::RawValue>> = observations
        .iter()
        .chain([bp_reading])
        .map(|o| serde_json::value::RawValue::from_string(o.to_string()).unwrap())
        .collect();
    let mut b = FactsBuilder::new(t, today()).patient_id(Some("p1"));
    for raw in &texts {
        b.add(fhir::parse_resource(raw).unwrap()).unwrap();
    }
    b.build()
}

/// What must not change between two writings of one record.
fn same_facts(a: &Facts, b: &Facts) -> Result<(), TestCaseError> {
    let readings = |f: &Facts| {
        f.weights
            .iter()
            .chain(&f.heights)
            .map(|r| (r.value.to_bits(), r.date, r.trust.is_usable()))
            .collect::<Vec<_>>()
    };
    prop_assert_eq!(readings(a), readings(b));
    let labs = |f: &Facts| {
        f.labs
            .iter()
            .map(|l| (l.concepts.clone(), l.date, l.comparator))
            .collect::<Vec<_>>()
    };
    prop_assert_eq!(labs(a), labs(b));
    prop_assert_eq!(a.renal(), b.renal());
    prop_assert_eq!(&a.blood_pressures, &b.blood_pressures);
    prop_assert_eq!(a.unclassified.len(), b.unclassified.len());
    prop_assert_eq!(&a.notes, &b.notes);
    Ok(())
}

/// The ways a weight's unit is written: (unit text, UCUM code), per unit.
fn weight_units(kg: bool) -> Vec<(String, Option<String>)> {
    let s = |u: &str| u.to_string();
    if kg {
        vec![
            (s("kg"), Some(s("kg"))),
            (s("kg"), None),
            (s("KG"), None),
            (s("Kg"), None),
            (s("kilograms"), None),
        ]
    } else {
        vec![
            (s("[lb_av]"), Some(s("[lb_av]"))),
            (s("lb"), None),
            (s("lbs"), None),
            (s("LBS"), None),
            (s("Lbs"), None),
            (s("pound"), None),
            (s("pounds"), None),
        ]
    }
}

fn height_units(cm: bool) -> Vec<(String, Option<String>)> {
    let s = |u: &str| u.to_string();
    if cm {
        vec![(s("cm"), Some(s("cm"))), (s("cm"), None), (s("CM"), None)]
    } else {
        vec![
            (s("[in_i]"), Some(s("[in_i]"))),
            (s("in"), None),
            (s("inch"), None),
            (s("inches"), None),
        ]
    }
}

fn creatinine_units(mg: bool) -> Vec<(String, Option<String>)> {
    let s = |u: &str| u.to_string();
    if mg {
        vec![
            (s("mg/dL"), Some(s("mg/dL"))),
            (s("mg/dl"), None),
            (s("MG/DL"), None),
        ]
    } else {
        vec![
            (s("umol/L"), Some(s("umol/L"))),
            (s("µmol/L"), None),
            (s("μmol/L"), None),
            (s("umol/l"), None),
        ]
    }
}

fn egfr_units() -> Vec<(String, Option<String>)> {
    let s = |u: &str| u.to_string();
    vec![
        (s("mL/min/{1.73_m2}"), Some(s("mL/min/{1.73_m2}"))),
        (s("mL/min/1.73m2"), None),
        (s("mL/min/1.73 m2"), None),
        (s("ml/min/1.73m2"), None),
    ]
}

/// A time of the last 10 days (UTC), written at an offset (quarter hours,
/// UTC-12:00 to UTC+14:00): the same instant.
fn at(instant: DateTime<Utc>, offset_quarters: i32) -> String {
    let zone = FixedOffset::east_opt(offset_quarters * 15 * 60).unwrap();
    instant.with_timezone(&zone).to_rfc3339()
}

fn instant() -> impl Strategy<Value = DateTime<Utc>> {
    (0i64..10 * 24 * 60).prop_map(|minutes| {
        Utc.from_utc_datetime(&today().and_hms_opt(23, 59, 0).unwrap()) - Duration::minutes(minutes)
    })
}

proptest! {
    #![proptest_config(ProptestConfig { rng_seed: RngSeed::Fixed(0x0b5e_7a11), failure_persistence: None, ..ProptestConfig::default() })]

    /// A unit written as a common non-UCUM string reads as its UCUM code.
    #[test]
    fn a_unit_written_another_way_reads_the_same(
        weight in 40.0f64..130.0,
        weight_kg in any::<bool>(),
        height in 145.0f64..195.0,
        height_cm in any::<bool>(),
        creatinine in 0.5f64..3.0,
        creatinine_mg in any::<bool>(),
        egfr in 10.0f64..110.0,
        picks in prop::collection::vec(0usize..8, 4),
    ) {
        let t = Terminology::embedded().unwrap();
        let engine = Engine::with_defaults().unwrap();
        // Figures as an EHR records them: one decimal at most.
        let one = |v: f64| (v * 10.0).round() / 10.0;
        let (w, h, c) = (
            if weight_kg { one(weight) } else { one(weight / 0.453_592_37) },
            if height_cm { one(height) } else { one(height / 2.54) },
            if creatinine_mg { (creatinine * 100.0).round() / 100.0 } else { (creatinine * 88.4).round() },
        );
        let time = |d: i64| (today() - Duration::days(d)).to_string();
        let figures = |pick: &[usize]| {
            let choose = |list: Vec<(String, Option<String>)>, i: usize| list[i % list.len()].clone();
            vec![
                Figure { code: "29463-7", value: w, unit: choose(weight_units(weight_kg), pick[0]), time: time(3) },
                Figure { code: "8302-2", value: h, unit: choose(height_units(height_cm), pick[1]), time: time(3) },
                Figure { code: "2160-0", value: c, unit: choose(creatinine_units(creatinine_mg), pick[2]), time: time(2) },
                Figure { code: "98979-8", value: one(egfr), unit: choose(egfr_units(), pick[3]), time: time(2) },
            ]
        };
        let ucum: Vec<Value> = figures(&[0, 0, 0, 0]).iter().enumerate().map(|(i, f)| observation(f, i)).collect();
        let other: Vec<Value> = figures(&picks).iter().enumerate().map(|(i, f)| observation(f, i)).collect();
        let reading = bp(128.0, 82.0, &time(1));
        same_facts(&facts(&t, &ucum, &reading), &facts(&t, &other, &reading))?;
        prop_assert_eq!(cards(&engine, &request(&ucum, reading.clone())), cards(&engine, &request(&other, reading)));
    }

    /// A time moved to another offset, the instant unchanged, reads the same.
    #[test]
    fn a_time_written_at_another_offset_reads_the_same(
        times in prop::collection::vec(instant(), 5),
        offsets in prop::collection::vec(-48i32..=56, 5),
        weight in 45.0f64..120.0,
        creatinine in 0.6f64..2.8,
        egfr in 15.0f64..100.0,
        systolic in 110.0f64..190.0,
    ) {
        let t = Terminology::embedded().unwrap();
        let engine = Engine::with_defaults().unwrap();
        let one = |v: f64| (v * 10.0).round() / 10.0;
        let figures = |write: &dyn Fn(usize) -> String| {
            vec![
                Figure { code: "29463-7", value: one(weight), unit: ("kg".into(), Some("kg".into())), time: write(0) },
                Figure { code: "8302-2", value: 165.0, unit: ("cm".into(), Some("cm".into())), time: write(1) },
                Figure { code: "2160-0", value: one(creatinine), unit: ("mg/dL".into(), Some("mg/dL".into())), time: write(2) },
                Figure { code: "98979-8", value: one(egfr), unit: ("mL/min/{1.73_m2}".into(), Some("mL/min/{1.73_m2}".into())), time: write(3) },
            ]
        };
        let utc = |i: usize| at(times[i], 0);
        let moved = |i: usize| at(times[i], offsets[i]);
        let as_utc: Vec<Value> = figures(&utc).iter().enumerate().map(|(i, f)| observation(f, i)).collect();
        let as_moved: Vec<Value> = figures(&moved).iter().enumerate().map(|(i, f)| observation(f, i)).collect();
        let (bp_utc, bp_moved) = (bp(one(systolic), 85.0, &utc(4)), bp(one(systolic), 85.0, &moved(4)));
        same_facts(&facts(&t, &as_utc, &bp_utc), &facts(&t, &as_moved, &bp_moved))?;
        prop_assert_eq!(cards(&engine, &request(&as_utc, bp_utc)), cards(&engine, &request(&as_moved, bp_moved)));
    }
}
