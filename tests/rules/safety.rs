//! The second-edition safety rules' end-to-end cases, with requests built
//! as FHIR resources like the other scenarios (the clinical figures are
//! tested in the rules' own worked cases); run by `tests/rules.rs`.

use super::{mtx_sc, Case};
use crate::common::*;
use serde_json::{json, Value};

const TODAY: &str = "2026-11-24";
const SNOMED: &str = "http://snomed.info/sct";

/// A draft (or active) order: RxNorm code, name, mg per dose, doses per period.
#[allow(clippy::too_many_arguments)]
fn order(
    code: &str,
    name: &str,
    mg: f64,
    freq: u32,
    unit: &str,
    route: &str,
    id: &str,
    status: &str,
) -> Value {
    Req::med(Some(code), name, mg, freq, unit, route, id, status, TODAY)
}
fn mmf(mg: f64, freq: u32) -> Value {
    order(
        "200060",
        "mycophenolate mofetil 500 MG Oral Tablet",
        mg,
        freq,
        "d",
        "26643006",
        "mmf",
        "draft",
    )
}
fn cyc(mg: f64) -> Value {
    order(
        "1734919",
        "Cyclophosphamide 1000 MG Injection",
        mg,
        1,
        "d",
        "47625008",
        "cyc",
        "draft",
    )
}
fn aza(mg: f64) -> Value {
    order(
        "199310",
        "Azathioprine 25 MG Oral Tablet",
        mg,
        1,
        "d",
        "26643006",
        "aza",
        "draft",
    )
}
fn rtx(mg: f64) -> Value {
    order(
        "1657867",
        "50 ML riTUXimab 10 MG/ML Injection",
        mg,
        1,
        "d",
        "47625008",
        "rtx",
        "draft",
    )
}
fn ivig(g: f64, doses: u32) -> Value {
    let mut m = order(
        "1809421",
        "100 ML immunoglobulin G, human 100 MG/ML Injection",
        g * 1000.0,
        1,
        "d",
        "47625008",
        "ivig",
        "draft",
    );
    m["dosageInstruction"][0]["timing"]["repeat"]["count"] = json!(doses);
    m
}
fn tmp_smx(mg: f64, per_day: u32) -> Value {
    order(
        "198335",
        "sulfamethoxazole 800 MG / trimethoprim 160 MG Oral Tablet",
        mg,
        per_day,
        "d",
        "26643006",
        "tmp",
        "draft",
    )
}
fn active(code: Option<&str>, name: &str, mg: f64, id: &str) -> Value {
    Req::med(
        code,
        name,
        mg,
        1,
        "d",
        "26643006",
        id,
        "active",
        "2026-10-01",
    )
}
/// A Condition coded in any system, with an onset date.
fn condition(mut r: Req, system: &str, code: &str, onset: Option<&str>) -> Req {
    let n = r.conditions.len();
    let mut c = json!({"resourceType": "Condition", "id": format!("x{n}"), "subject": {"reference": "Patient/p1"},
        "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "active"}]},
        "code": {"coding": [{"system": system, "code": code}]}});
    if let Some(d) = onset {
        c["onsetDateTime"] = json!(d);
    }
    r.conditions.push(c);
    r
}
/// A laboratory Observation with a text result ("Positive", "Negative"...).
fn result(mut r: Req, code: &str, text: &str, date: &str) -> Req {
    let n = r.labs.len();
    r.labs.push(json!({"resourceType": "Observation", "id": format!("t{n}"), "status": "final",
        "subject": {"reference": "Patient/p1"}, "code": {"coding": [{"system": LOINC, "code": code}]},
        "effectiveDateTime": date, "valueString": text}));
    r
}

fn myositis(sex: &str) -> Req {
    Req::new("order-sign", sex).dx("M33.20").body(60.0, 165.0)
}
/// Hepatitis B surface antigen and core antibody negative.
fn hbv_negative(r: Req) -> Req {
    result(
        result(r, "5196-1", "Negative", "2026-11-01"),
        "16933-4",
        "Negative",
        "2026-11-01",
    )
}
fn view_on_mtx() -> Req {
    Req::new("patient-view", "female")
        .dx("M33.20")
        .body(60.0, 165.0)
        .active(mtx_sc(15.0, "a", "active"))
}

pub fn cases() -> Vec<Case> {
    vec![
        // Pregnancy: a positive hCG makes MMF critical; a later negative hCG ends it.
        Case {
            topic: "pregnancy-contraindicated",
            indicator: "critical",
            positive: result(myositis("female"), "2106-3", "Positive", "2026-11-01")
                .order(mmf(1000.0, 2)),
            negative: result(
                result(myositis("female"), "2106-3", "Positive", "2026-10-01"),
                "2106-3",
                "Negative",
                "2026-11-20",
            )
            .order(mmf(1000.0, 2)),
        },
        // Breastfeeding within 12 months: critical; older: silent.
        Case {
            topic: "pregnancy-contraindicated",
            indicator: "critical",
            positive: condition(myositis("female"), SNOMED, "413712001", Some("2026-06-01"))
                .order(mtx_sc(15.0, "m", "draft")),
            negative: condition(myositis("female"), SNOMED, "413712001", Some("2025-06-01"))
                .order(mtx_sc(15.0, "m", "draft")),
        },
        // Breastfeeding status (LOINC 63895-7) answered "Currently
        // breastfeeding": critical; answered "No": silent.
        Case {
            topic: "pregnancy-contraindicated",
            indicator: "critical",
            positive: result(
                myositis("female"),
                "63895-7",
                "Currently breastfeeding",
                "2026-11-01",
            )
            .order(mtx_sc(15.0, "m", "draft")),
            negative: result(myositis("female"), "63895-7", "No", "2026-11-01")
                .order(mtx_sc(15.0, "m", "draft")),
        },
        // A pregnancy condition older than 300 days: verify; a delivery after it: silent.
        Case {
            topic: "pregnancy-verify",
            indicator: "warning",
            positive: condition(myositis("female"), ICD, "Z34.00", Some("2025-11-01"))
                .order(cyc(750.0)),
            negative: condition(
                condition(myositis("female"), ICD, "Z34.00", Some("2025-11-01")),
                ICD,
                "O80",
                Some("2026-07-01"),
            )
            .order(cyc(750.0)),
        },
        // Planning: cyclophosphamide warns for a man too; paternal MTX does not.
        Case {
            topic: "pregnancy-planning",
            indicator: "warning",
            positive: myositis("male").dx("Z31.69").order(cyc(750.0)),
            negative: myositis("male")
                .dx("Z31.69")
                .order(mtx_sc(15.0, "m", "draft")),
        },
        // Thiopurines: a TPMT poor metaboliser result, febuxostat, allopurinol.
        Case {
            topic: "thiopurine-safety",
            indicator: "critical",
            positive: result(
                myositis("female"),
                "93193-1",
                "TPMT poor metabolizer",
                "2026-01-10",
            )
            .order(aza(50.0)),
            negative: result(
                myositis("female"),
                "93193-1",
                "TPMT normal metabolizer",
                "2026-01-10",
            )
            .order(aza(50.0)),
        },
        Case {
            topic: "thiopurine-safety",
            indicator: "critical",
            positive: myositis("female")
                .active(active(None, "febuxostat 40 MG Oral Tablet", 40.0, "febu"))
                .order(aza(50.0)),
            negative: myositis("female").order(aza(50.0)),
        },
        // Results in the shapes labs send: a diplotype of two non-functional
        // alleles is a poor metaboliser; *1/*1 is normal.
        Case {
            topic: "thiopurine-safety",
            indicator: "critical",
            positive: result(myositis("female"), "79713-4", "*3A/*3A", "2026-01-10")
                .order(aza(50.0)),
            negative: result(myositis("female"), "79713-4", "*1/*1", "2026-01-10").order(aza(50.0)),
        },
        // A result on file that cannot be read: warning, review it first.
        Case {
            topic: "thiopurine-safety",
            indicator: "warning",
            positive: result(myositis("female"), "79713-4", "see report", "2026-01-10")
                .order(aza(50.0)),
            negative: result(
                myositis("female"),
                "79713-4",
                "Normal metabolizer",
                "2026-01-10",
            )
            .order(aza(50.0)),
        },
        // 60 kg, 165 cm woman: dosing weight 56.9 kg, usual 114 mg/day; 25 mg is 22 %.
        Case {
            topic: "thiopurine-safety",
            indicator: "warning",
            positive: myositis("female")
                .active(active(Some("519"), "allopurinol", 300.0, "allo"))
                .order(aza(25.0)),
            negative: myositis("female")
                .active(active(Some("519"), "allopurinol", 300.0, "allo"))
                .order(aza(100.0)),
        },
        // Absolute limits without a weight: 6 g/day of mycophenolate is a unit slip.
        Case {
            topic: "mmf-order",
            indicator: "critical",
            positive: Req::new("order-sign", "male")
                .dx("M33.20")
                .order(mmf(3000.0, 2)),
            negative: Req::new("order-sign", "male")
                .dx("M33.20")
                .order(mmf(1500.0, 2)),
        },
        Case {
            topic: "rtx-order",
            indicator: "warning",
            positive: hbv_negative(myositis("female")).order(rtx(1200.0)),
            negative: hbv_negative(myositis("female")).order(rtx(1000.0)),
        },
        // A child's azathioprine order: no dose advice, but a positive
        // hepatitis B surface antigen keeps a card of its own (the age
        // filter applies to each concern, not each card).
        Case {
            topic: "thiopurine-safety",
            indicator: "warning",
            positive: {
                let mut r = result(myositis("female"), "5196-1", "Positive", "2026-11-01");
                r.patient["birthDate"] = json!("2014-05-01");
                r.order(aza(50.0))
            },
            negative: {
                let mut r = hbv_negative(myositis("female"));
                r.patient["birthDate"] = json!("2014-05-01");
                r.order(aza(50.0))
            },
        },
        // Chronic hepatitis B on the problem list is known hepatitis B: a
        // warning on rituximab even with negative tests on file.
        Case {
            topic: "rtx-order",
            indicator: "warning",
            positive: condition(hbv_negative(myositis("female")), ICD, "B18.1", None)
                .order(rtx(1000.0)),
            negative: hbv_negative(myositis("female")).order(rtx(1000.0)),
        },
        // 500 mg is neither 1,000 mg nor 375 mg/m² (BSA 1.66 m²: 622 mg).
        Case {
            topic: "rtx-order",
            indicator: "info",
            positive: hbv_negative(myositis("female")).order(rtx(500.0)),
            negative: hbv_negative(myositis("female")).order(rtx(1000.0)),
        },
        Case {
            topic: "cyc-order",
            indicator: "warning",
            positive: myositis("male")
                .lab("98979-8", 25.0, "mL/min/{1.73_m2}", "2026-11-20")
                .order(cyc(750.0)),
            negative: myositis("male")
                .lab("98979-8", 45.0, "mL/min/{1.73_m2}", "2026-11-20")
                .order(cyc(750.0)),
        },
        Case {
            topic: "ivig-absolute-limit",
            indicator: "critical",
            positive: myositis("female").order(ivig(200.0, 2)),
            negative: myositis("female").order(ivig(50.0, 2)),
        },
        // Active methotrexate, watched on patient-view too.
        Case {
            topic: "mtx-active-watch",
            indicator: "critical",
            positive: view_on_mtx().lab("98979-8", 22.0, "mL/min/{1.73_m2}", "2026-11-20"),
            negative: view_on_mtx().lab("98979-8", 45.0, "mL/min/{1.73_m2}", "2026-11-20"),
        },
        Case {
            topic: "mtx-active-watch",
            indicator: "critical",
            positive: result(view_on_mtx(), "2106-3", "Positive", "2026-11-20"),
            negative: result(view_on_mtx(), "2106-3", "Negative", "2026-11-20"),
        },
        // A new trimethoprim-sulfamethoxazole order: treatment dose critical, prophylaxis a warning.
        Case {
            topic: "mtx-active-watch",
            indicator: "critical",
            positive: myositis("female")
                .active(mtx_sc(15.0, "a", "active"))
                .order(tmp_smx(960.0, 2)),
            negative: myositis("female")
                .active(mtx_sc(15.0, "a", "active"))
                .order(tmp_smx(960.0, 1)),
        },
        Case {
            topic: "mtx-active-watch",
            indicator: "warning",
            positive: myositis("female")
                .active(mtx_sc(15.0, "a", "active"))
                .order(tmp_smx(960.0, 1)),
            negative: myositis("female").order(tmp_smx(960.0, 1)),
        },
    ]
}
