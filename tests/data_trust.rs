//! Data the advice can trust, end to end over HTTP: whose data, how
//! plausible, how often, how current. Each class of dirty data is a request
//! built as FHIR; the table says what the response must and must not show.
//! Every request is also written to `target/tmp/data-trust/` for
//! `ssc-myositis-cds evaluate`.

mod common;

use common::*;
use serde_json::{json, Value};

const TODAY: &str = "2026-11-24";

fn pred(mg: f64) -> Value {
    Req::med(
        Some("312615"),
        "predniSONE 20 MG Oral Tablet",
        mg,
        1,
        "d",
        "26643006",
        "o",
        "draft",
        TODAY,
    )
}

fn mtx(freq: u32, unit: &str) -> Value {
    Req::med(
        Some("1946772"),
        "methotrexate 25 MG/ML Injectable Solution",
        15.0,
        freq,
        unit,
        "34206005",
        "mtx",
        "draft",
        TODAY,
    )
}

/// An overlap patient (SSc with myopathy) with a usable height and no weight yet.
fn overlap() -> Req {
    let mut r = Req::new("order-sign", "female").dx("M34.82").dx("M33.20");
    r = r.body(60.0, 165.0);
    r.weights.clear();
    r
}

fn weight(value: f64, unit: &str, date: &str, subject: &str, id: &str) -> Value {
    json!({"resourceType": "Observation", "id": id, "status": "final", "subject": {"reference": subject},
        "code": {"coding": [{"system": LOINC, "code": "29463-7"}]}, "effectiveDateTime": date,
        "valueQuantity": {"value": value, "unit": unit, "system": "http://unitsofmeasure.org", "code": unit}})
}

fn with_weight(mut r: Req, value: f64, unit: &str) -> Req {
    r.weights
        .push(weight(value, unit, "2026-11-20", "Patient/p1", "w-new"));
    r
}

fn with_height(mut r: Req, cm: f64) -> Req {
    r.heights[0]["valueQuantity"]["value"] = json!(cm);
    r
}

/// Medication resources suggested or updated, by RxNorm display text.
fn suggested_drugs(resp: &Value) -> Vec<String> {
    let mut out = vec![];
    for card in resp["cards"].as_array().unwrap() {
        for s in card["suggestions"].as_array().into_iter().flatten() {
            for a in s["actions"].as_array().into_iter().flatten() {
                let r = &a["resource"];
                if r["resourceType"] == "MedicationRequest" {
                    out.push(
                        r["medicationCodeableConcept"]["text"]
                            .as_str()
                            .unwrap_or("")
                            .to_lowercase(),
                    );
                }
            }
        }
    }
    out
}

struct Case {
    name: &'static str,
    req: Req,
    /// (topic, indicator) that must be present.
    must: &'static [(&'static str, &'static str)],
    /// Topics that must be absent.
    must_not: &'static [&'static str],
    /// Text that must appear in the response.
    says: &'static [&'static str],
    /// Text that must not appear anywhere in the response.
    never: &'static [&'static str],
    /// Suggested medications that must not appear (weight-based doses).
    no_suggestion_of: &'static [&'static str],
}

fn cases() -> Vec<Case> {
    let weight_based: &[&str] = &["prednisone", "azathioprine", "methotrexate"];
    vec![
        Case {
            name: "weight-700kg",
            req: with_weight(overlap(), 700.0, "kg").order(pred(40.0)),
            must: &[("data-doubtful", "warning")],
            must_not: &["gc-initial-dose-above", "gc-initial-dose-below"],
            says: &["Verify weight 700 kg", "outside the plausible adult range 25–350 kg"],
            never: &["350 mg"],
            no_suggestion_of: weight_based,
        },
        Case {
            name: "weight-70g",
            req: with_weight(overlap(), 70.0, "g").order(pred(40.0)),
            must: &[("data-doubtful", "warning")],
            must_not: &["gc-initial-dose-above", "gc-initial-dose-below"],
            says: &["Verify weight 0.07 kg"],
            never: &[" 0 mg", "\"value\":0,"],
            no_suggestion_of: weight_based,
        },
        Case {
            name: "weight-0.001kg",
            req: with_weight(overlap(), 0.001, "kg").order(pred(40.0)),
            must: &[("data-doubtful", "warning")],
            must_not: &["gc-initial-dose-above", "gc-initial-dose-below"],
            says: &["Verify weight 0"],
            never: &[" 0 mg", "\"value\":0,"],
            no_suggestion_of: weight_based,
        },
        Case {
            name: "height-1cm",
            req: with_height(with_weight(overlap(), 60.0, "kg"), 1.0).order(pred(40.0)),
            must: &[("data-doubtful", "warning")],
            must_not: &[],
            says: &["Verify height 1 cm"],
            never: &[],
            no_suggestion_of: &["azathioprine", "methotrexate"],
        },
        Case {
            name: "height-300cm",
            req: with_height(with_weight(overlap(), 60.0, "kg"), 300.0).order(pred(40.0)),
            must: &[("data-doubtful", "warning")],
            must_not: &[],
            says: &["Verify height 300 cm"],
            never: &["350 mg"],
            no_suggestion_of: &["azathioprine", "methotrexate"],
        },
        Case {
            name: "weight-lb-as-kg",
            req: {
                let mut r = with_weight(overlap(), 132.0, "kg").order(pred(40.0));
                r.weights
                    .push(weight(60.0, "kg", "2026-06-01", "Patient/p1", "w-old"));
                r
            },
            must: &[("data-doubtful", "warning")],
            must_not: &["gc-initial-dose-above", "gc-initial-dose-below"],
            says: &["pounds entered as kilograms"],
            never: &[],
            no_suggestion_of: weight_based,
        },
        Case {
            name: "weight-of-another-patient",
            req: {
                let mut r = with_weight(overlap(), 60.0, "kg").order(pred(40.0));
                r.weights
                    .push(weight(123.4, "kg", "2026-11-23", "Patient/p2", "w-other"));
                r
            },
            must: &[],
            must_not: &["data-doubtful"],
            says: &["Weight used: 60 kg"],
            never: &["123.4"],
            no_suggestion_of: &[],
        },
        Case {
            name: "conditions-of-another-patient",
            req: {
                let mut r = Req::new("order-sign", "female").body(60.0, 165.0).order(pred(40.0));
                r = r.dx("M34.0").dx("M33.20");
                for c in &mut r.conditions {
                    c["subject"] = json!({"reference": "Patient/p2"});
                }
                r
            },
            must: &[],
            must_not: &[],
            says: &[],
            never: &["src-risk", "steroid-sparing"],
            no_suggestion_of: weight_based,
        },
        Case {
            name: "weight-dated-2099",
            req: {
                let mut r = with_weight(overlap(), 60.0, "kg").order(pred(40.0));
                r.weights
                    .push(weight(95.0, "kg", "2099-01-01", "Patient/p1", "w-future"));
                r
            },
            must: &[],
            must_not: &["data-doubtful"],
            says: &["Weight used: 60 kg", "a weight dated 2099-01-01 (95 kg) is in the future and was not used"],
            never: &[],
            no_suggestion_of: &[],
        },
        Case {
            name: "mtx-daily-as-7-per-week",
            req: with_weight(overlap(), 60.0, "kg").order(mtx(7, "wk")),
            must: &[("mtx-daily-frequency", "critical")],
            must_not: &[],
            says: &["must be once weekly"],
            never: &[],
            no_suggestion_of: &[],
        },
        Case {
            name: "mtx-multidose-vial",
            req: {
                let mut m = mtx(1, "wk");
                let d = &mut m["dosageInstruction"][0];
                d.as_object_mut().unwrap().remove("timing");
                d["text"] = json!("0.6 mL from the 25 mg/mL multidose vial");
                with_weight(overlap(), 60.0, "kg").order(m)
            },
            must: &[("mtx-frequency-unknown", "warning")],
            must_not: &["mtx-daily-frequency"],
            says: &["specify once weekly"],
            never: &["three times"],
            no_suggestion_of: &[],
        },
        Case {
            name: "dialysis-without-egfr-mtx",
            req: with_weight(overlap(), 60.0, "kg").dx("Z99.2").order(mtx(1, "wk")),
            must: &[("mtx-contraindicated-renal", "critical")],
            must_not: &[],
            says: &["dialysis"],
            never: &[],
            no_suggestion_of: &[],
        },
        Case {
            name: "mtx-dstu2-medicationorder-daily",
            req: {
                let mut m = mtx(1, "d");
                m["resourceType"] = json!("MedicationOrder");
                m["patient"] = m["subject"].take();
                m.as_object_mut().unwrap().remove("subject");
                m.as_object_mut().unwrap().remove("intent");
                let dose = m["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"].take();
                m["dosageInstruction"][0]
                    .as_object_mut()
                    .unwrap()
                    .remove("doseAndRate");
                m["dosageInstruction"][0]["doseQuantity"] = dose;
                with_weight(overlap(), 60.0, "kg").order(m)
            },
            must: &[("mtx-daily-frequency", "critical")],
            must_not: &[],
            says: &[],
            never: &[],
            no_suggestion_of: &[],
        },
        Case {
            name: "unreadable-medicationorder",
            req: with_weight(overlap(), 60.0, "kg").order(json!({
                "resourceType": "MedicationOrder", "id": "bad", "patient": {"reference": "Patient/p1"},
                "dosageInstruction": "take some"})),
            must: &[("order-unreadable", "warning")],
            must_not: &[],
            says: &["could not be read"],
            never: &[],
            no_suggestion_of: &[],
        },
        Case {
            name: "draft-for-another-patient",
            req: {
                let mut m = mtx(1, "d");
                m["subject"] = json!({"reference": "Patient/p2"});
                with_weight(overlap(), 60.0, "kg").order(m)
            },
            must: &[],
            must_not: &["mtx-daily-frequency"],
            says: &[],
            never: &[],
            no_suggestion_of: &[],
        },
        Case {
            name: "proposal-intent",
            req: {
                let mut m = mtx(1, "d");
                m["intent"] = json!("proposal");
                with_weight(overlap(), 60.0, "kg").order(m)
            },
            must: &[("mtx-daily-frequency", "critical")],
            must_not: &[],
            says: &["Not yet an order"],
            never: &[],
            no_suggestion_of: &[],
        },
        Case {
            name: "future-egfr-ignored",
            req: with_weight(overlap(), 60.0, "kg")
                .lab("98979-8", 20.0, "mL/min/{1.73_m2}", "2099-01-01")
                .order(mtx(1, "wk")),
            must: &[],
            must_not: &["mtx-contraindicated-renal"],
            says: &["dated 2099-01-01 is dated in the future and was not used"],
            never: &[],
            no_suggestion_of: &[],
        },
    ]
}

fn check_case(c: &Case, resp: &Value) {
    let text = resp.to_string();
    for (topic, indicator) in c.must {
        assert!(
            has(resp, topic, indicator),
            "{}: {topic} {indicator} missing: {:?}",
            c.name,
            topics(resp)
        );
    }
    for topic in c.must_not {
        assert!(
            !fires(resp, topic),
            "{}: {topic} must not fire: {:?}",
            c.name,
            topics(resp)
        );
    }
    for s in c.says {
        assert!(text.contains(s), "{}: should say {s:?}: {text}", c.name);
    }
    for s in c.never {
        assert!(!text.contains(s), "{}: must not say {s:?}: {text}", c.name);
    }
    let drugs = suggested_drugs(resp);
    for d in c.no_suggestion_of {
        assert!(
            !drugs.iter().any(|s| s.contains(d)),
            "{}: suggests {d}: {drugs:?}",
            c.name
        );
    }
}

#[tokio::test]
async fn each_class_of_dirty_data() {
    let s = start().await;
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/tmp/data-trust");
    std::fs::create_dir_all(&dir).unwrap();
    for c in cases() {
        let body = c.req.build();
        std::fs::write(
            dir.join(format!("{}.json", c.name)),
            serde_json::to_vec_pretty(&body).unwrap(),
        )
        .unwrap();
        let resp = s.cards(&c.req).await;
        check_response(&resp, Some("p1"));
        check_case(&c, &resp);
    }
}

#[tokio::test]
async fn a_bp_panel_of_either_code_reads_the_same() {
    let s = start().await;
    let base = || {
        Req::new("order-sign", "female")
            .dx("M34.0")
            .body(60.0, 165.0)
            .bp(150.0, 95.0, "2026-11-20")
    };
    let a = s.cards(&base().order(pred(20.0))).await;
    let mut req = base().order(pred(20.0));
    req.bps[0]["code"]["coding"][0]["code"] = json!("55284-4");
    let b = s.cards(&req).await;
    assert_eq!(topics(&a), topics(&b));
    // Components under their sitting codes too.
    let mut req = base().order(pred(20.0));
    req.bps[0]["component"][0]["code"]["coding"][0]["code"] = json!("8459-0");
    req.bps[0]["component"][1]["code"]["coding"][0]["code"] = json!("8453-3");
    let c = s.cards(&req).await;
    assert_eq!(topics(&a), topics(&c));
    assert!(a.to_string().contains("150"), "{a}");
}
