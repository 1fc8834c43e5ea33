//! Advice a clinician can sign, end to end over HTTP: each class of error a
//! clinical review found is a request built as FHIR; the table says which
//! card it must now get and which it must not. Every request is also written
//! to `target/tmp/advice/` for `ssc-myositis-cds evaluate`.

mod common;

use common::*;
use serde_json::{json, Value};

const TODAY: &str = "2026-11-24";

fn pred(mg: f64, id: &str, status: &str, since: &str) -> Value {
    Req::med(
        Some("312615"),
        "predniSONE 20 MG Oral Tablet",
        mg,
        1,
        "d",
        "26643006",
        id,
        status,
        since,
    )
}
fn mtx(mg: f64, id: &str, status: &str) -> Value {
    Req::med(
        Some("1946772"),
        "methotrexate 25 MG/ML Injectable Solution",
        mg,
        1,
        "wk",
        "34206005",
        id,
        status,
        "2026-06-01",
    )
}
fn overlap() -> Req {
    Req::new("order-sign", "female")
        .dx("M34.0")
        .dx("M33.20")
        .body(60.0, 165.0)
}
fn myositis() -> Req {
    Req::new("order-sign", "female")
        .dx("M33.20")
        .body(70.0, 170.0)
}
fn text_lab(mut r: Req, code: &str, text: &str) -> Req {
    let n = r.labs.len();
    r.labs.push(json!({"resourceType": "Observation", "id": format!("t{n}"), "status": "final",
        "subject": {"reference": "Patient/p1"}, "code": {"coding": [{"system": LOINC, "code": code}]},
        "effectiveDateTime": "2026-11-10", "valueString": text}));
    r
}

struct Case {
    name: &'static str,
    req: Req,
    must: &'static [(&'static str, &'static str)],
    must_not: &'static [&'static str],
    /// Medications that must not be suggested.
    no_suggestion_of: &'static [&'static str],
}

fn suggested(resp: &Value) -> Vec<String> {
    resp["cards"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["suggestions"].as_array().cloned().unwrap_or_default())
        .flat_map(|s| s["actions"].as_array().cloned().unwrap_or_default())
        .filter(|a| a["resource"]["resourceType"] == "MedicationRequest")
        .map(|a| {
            let r = &a["resource"];
            format!(
                "{} {}",
                r["medicationCodeableConcept"]["text"]
                    .as_str()
                    .unwrap_or(""),
                r["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"]["value"]
            )
            .to_lowercase()
        })
        .collect()
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            // A 27.5 mg start would be flagged "above usual adult maximum" by our own check.
            name: "mtx-start-within-our-own-limit",
            req: myositis().order(pred(40.0, "o", "draft", TODAY)),
            must: &[("steroid-sparing-day-one", "warning")],
            must_not: &[],
            no_suggestion_of: &["methotrexate 25 mg subcutaneous injection once weekly 27.5"],
        },
        Case {
            // A taper from 20 to 10 mg is 10 mg/day, not 30.
            name: "taper-20-to-10",
            req: Req::new("order-sign", "female")
                .dx("M34.0")
                .body(60.0, 165.0)
                .active(pred(20.0, "active", "active", "2026-09-01"))
                .order(pred(10.0, "o", "draft", TODAY)),
            must: &[("bp-monitoring-gc", "info")],
            must_not: &["src-risk-high-dose-gc"],
            no_suggestion_of: &[],
        },
        Case {
            // 120 mg/day with a low dose already active never passes quietly.
            name: "prednisone-120-with-active-5",
            req: myositis()
                .active(pred(5.0, "active", "active", "2026-09-01"))
                .order(pred(120.0, "o", "draft", TODAY)),
            must: &[("gc-dose-ceiling", "warning")],
            must_not: &[],
            no_suggestion_of: &[],
        },
        Case {
            // The sandbox's "3 {pill}" once daily of the suggested methotrexate product.
            name: "mtx-sandbox-pills-daily",
            req: {
                let mut m = mtx(15.0, "m", "draft");
                m["dosageInstruction"][0]["timing"]["repeat"]["periodUnit"] = json!("d");
                m["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"] =
                    json!({"value": 3, "unit": "{pill}", "code": "{pill}"});
                m["medicationCodeableConcept"] = json!({"coding": [{"system": RXNORM, "code": "105586"}], "text": "methotrexate 2.5 MG Oral Tablet"});
                myositis().order(m)
            },
            must: &[("mtx-daily-frequency", "critical")],
            must_not: &[],
            no_suggestion_of: &[],
        },
        Case {
            name: "positive-hcg-with-active-mtx",
            req: text_lab(overlap(), "2106-3", "Positive")
                .active(mtx(15.0, "a", "active"))
                .order(pred(10.0, "o", "draft", TODAY)),
            must: &[("mtx-active-watch", "critical")],
            must_not: &[],
            no_suggestion_of: &["methotrexate", "mycophenolate"],
        },
        Case {
            name: "egfr-22-with-active-mtx",
            req: overlap()
                .lab("98979-8", 22.0, "mL/min/{1.73_m2}", "2026-11-20")
                .active(mtx(15.0, "a", "active"))
                .order(pred(10.0, "o", "draft", TODAY)),
            must: &[("mtx-active-watch", "critical")],
            must_not: &[],
            no_suggestion_of: &["methotrexate"],
        },
        Case {
            name: "tmp-smx-treatment-with-active-mtx",
            req: overlap().active(mtx(15.0, "a", "active")).order(Req::med(
                Some("198335"),
                "sulfamethoxazole 800 MG / trimethoprim 160 MG Oral Tablet",
                1920.0,
                2,
                "d",
                "26643006",
                "t",
                "draft",
                TODAY,
            )),
            must: &[("mtx-active-watch", "critical")],
            must_not: &[],
            no_suggestion_of: &[],
        },
        Case {
            name: "cirrhosis-no-mtx-suggested",
            req: myositis()
                .dx("K70.30")
                .order(pred(40.0, "o", "draft", TODAY)),
            must: &[("steroid-sparing-day-one", "warning")],
            must_not: &[],
            no_suggestion_of: &["methotrexate"],
        },
        Case {
            name: "egfr-40-in-ssc-no-mtx-suggested",
            req: overlap()
                .lab("98979-8", 40.0, "mL/min/{1.73_m2}", "2026-11-20")
                .order(pred(10.0, "o", "draft", TODAY)),
            must: &[("steroid-sparing-day-one", "warning")],
            must_not: &[],
            no_suggestion_of: &["methotrexate"],
        },
        Case {
            name: "tpmt-poor-with-azathioprine",
            req: text_lab(myositis(), "79713-4", "Poor metabolizer").order(Req::med(
                Some("199310"),
                "Azathioprine 25 MG Oral Tablet",
                100.0,
                1,
                "d",
                "26643006",
                "a",
                "draft",
                TODAY,
            )),
            must: &[("thiopurine-safety", "critical")],
            must_not: &[],
            no_suggestion_of: &[],
        },
        Case {
            name: "allopurinol-with-azathioprine",
            req: myositis()
                .active(Req::med(
                    Some("519"),
                    "allopurinol 300 MG Oral Tablet",
                    300.0,
                    1,
                    "d",
                    "26643006",
                    "allo",
                    "active",
                    "2026-01-01",
                ))
                .order(Req::med(
                    Some("199310"),
                    "Azathioprine 25 MG Oral Tablet",
                    100.0,
                    1,
                    "d",
                    "26643006",
                    "a",
                    "draft",
                    TODAY,
                )),
            must: &[("thiopurine-safety", "critical")],
            must_not: &[],
            no_suggestion_of: &[],
        },
        Case {
            name: "mycophenolate-6g",
            req: myositis().order(Req::med(
                Some("200060"),
                "mycophenolate mofetil 500 MG Oral Tablet",
                3000.0,
                2,
                "d",
                "26643006",
                "m",
                "draft",
                TODAY,
            )),
            must: &[("mmf-order", "critical")],
            must_not: &[],
            no_suggestion_of: &[],
        },
        Case {
            name: "child-9-years-no-rituximab-advice",
            req: {
                let mut r = myositis().order(pred(30.0, "o", "draft", TODAY));
                r.patient["birthDate"] = json!("2017-05-01");
                r
            },
            must: &[("adults-only", "info")],
            must_not: &["intensify-refractory", "steroid-sparing-day-one"],
            no_suggestion_of: &[
                "rituximab",
                "methotrexate",
                "azathioprine",
                "mycophenolate",
                "prednisone",
            ],
        },
        Case {
            // Creatinine doubling with normal BP, on a steroid; and no card raises the steroid.
            name: "creatinine-doubling-normal-bp",
            req: overlap()
                .lab("2160-0", 0.8, "mg/dL", "2026-10-01")
                .lab("2160-0", 1.6, "mg/dL", "2026-11-20")
                .bp(120.0, 75.0, "2026-11-20")
                .order(pred(5.0, "o", "draft", TODAY)),
            must: &[("src-suspected", "warning")],
            must_not: &["gc-dose-below-guidance"],
            no_suggestion_of: &["prednisone"],
        },
    ]
}

#[tokio::test]
async fn each_class_the_review_found() {
    let s = start().await;
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/tmp/advice");
    std::fs::create_dir_all(&dir).unwrap();
    for c in cases() {
        let body = c.req.build();
        std::fs::write(
            dir.join(format!("{}.json", c.name)),
            serde_json::to_vec_pretty(&body).unwrap(),
        )
        .unwrap();
        let r = s.cards(&c.req).await;
        check_response(&r, Some("p1"));
        for (t, i) in c.must {
            assert!(
                has(&r, t, i),
                "{}: {t} {i} missing: {:?}",
                c.name,
                topics(&r)
            );
        }
        for t in c.must_not {
            assert!(
                !fires(&r, t),
                "{}: {t} must not fire: {:?}",
                c.name,
                topics(&r)
            );
        }
        let sug = suggested(&r);
        for d in c.no_suggestion_of {
            assert!(
                !sug.iter().any(|s| s.contains(d)),
                "{}: suggests {d}: {sug:?}",
                c.name
            );
        }
    }
}
