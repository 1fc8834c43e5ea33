//! Our suggestions pass our own checks (POLICY, second edition): on generated
//! patients and orders, every suggested MedicationRequest is fed back as a
//! draft order together with the other drafts, and the service's answer to
//! it must draw no card of higher severity, and no finding, beyond what the
//! suggesting card already states; every suggestion stays under its ceiling;
//! no teratogen is suggested for a pregnant, possibly pregnant, planning or
//! breastfeeding patient. A failure is fixed by withdrawing the suggestion,
//! never by weakening a check.
//!
//! Fixed seed and proptest's default case count in `cargo test`; a longer
//! run on demand: `PROPTEST_CASES=5000 cargo test --test self_consistency`.

mod common;

use chrono::NaiveDate;
use common::Req;
use proptest::prelude::*;
use proptest::test_runner::RngSeed;
use serde_json::{json, Value};
use ssc_myositis_cds::engine::Engine;

const TODAY: &str = "2026-11-24";

fn today() -> NaiveDate {
    NaiveDate::parse_from_str(TODAY, "%Y-%m-%d").unwrap()
}

/// Diagnoses drawn for a patient (ICD-10-CM), besides polymyositis.
/// Drawn from the space the advice must hold over: SSc forms and M35.1
/// overlap, ILD, diabetes, osteoporosis, liver disease (alcoholic
/// cirrhosis, other cirrhosis, chronic hepatitis B and C), alcohol,
/// pregnancy planning (for either sex), pregnancy, breastfeeding, dialysis,
/// end-stage and moderate CKD.
const EXTRA_DX: &[&str] = &[
    "M34.0", "M34.1", "M34.82", "J84.10", "E11.9", "M81.0", "K70.30", "K74.60", "B18.1", "B18.2",
    "F10.20", "Z31.69", "Z33.1", "Z39.1", "Z99.2", "N18.6", "N18.3", "M35.1",
];

/// Therapy already active (0: none): methotrexate, azathioprine,
/// mycophenolate, rituximab, cyclophosphamide, IVIG.
const EXISTING: &[(&str, &str, f64, &str, &str)] = &[
    (
        "1946772",
        "methotrexate 25 MG/ML Injectable Solution",
        15.0,
        "wk",
        "34206005",
    ),
    (
        "199310",
        "Azathioprine 25 MG Oral Tablet",
        100.0,
        "d",
        "26643006",
    ),
    (
        "200060",
        "mycophenolate mofetil 500 MG Oral Tablet",
        1000.0,
        "d",
        "26643006",
    ),
    (
        "1657062",
        "rituximab 10 MG/ML Injectable Solution",
        1000.0,
        "d",
        "47625008",
    ),
    (
        "1437969",
        "cyclophosphamide 500 MG Injection",
        750.0,
        "d",
        "47625008",
    ),
    (
        "1311524",
        "immune globulin G human 100 MG/ML Injectable Solution",
        50000.0,
        "d",
        "47625008",
    ),
];

#[derive(Debug, Clone)]
struct Patient {
    female: bool,
    birth_year: i32,
    kg: f64,
    cm: f64,
    dx: Vec<&'static str>,
    egfr: Option<f64>,
    tpmt: Option<&'static str>,
    allopurinol: bool,
    tmp_smx: bool,
    pred_mg: f64,
    active_pred: Option<f64>,
    /// A second draft: 0 none, 1 methotrexate weekly, 2 azathioprine, 3 IV
    /// methylprednisolone, 4 mycophenolate, 5 rituximab, 6 cyclophosphamide, 7 IVIG.
    second: u8,
    hcg_positive: bool,
    /// Therapy already active: 0 none, else 1 + an index of [`EXISTING`].
    existing: usize,
    /// Febuxostat active.
    febuxostat: bool,
    /// A creatinine rise of 50 % within 90 days (unstable renal function).
    creatinine_rise: bool,
}

fn patient() -> impl Strategy<Value = Patient> {
    (
        any::<bool>(),
        1940i32..2012,
        (40.0f64..150.0, 145.0f64..200.0),
        prop::sample::subsequence(EXTRA_DX, 0..4),
        prop::option::of(10.0f64..120.0),
        prop::option::of(prop::sample::select(vec![
            "Normal",
            "Intermediate",
            "Poor metabolizer",
            "*3A/*3A",
            "*1/*3A",
            "*1/*1",
            "Low",
            "see report",
        ])),
        (any::<bool>(), any::<bool>()),
        (2.5f64..120.0, prop::option::of(5.0f64..60.0)),
        (0u8..8, prop::bool::weighted(0.1)),
        (
            0usize..=EXISTING.len(),
            prop::bool::weighted(0.1),
            prop::bool::weighted(0.15),
        ),
    )
        .prop_map(
            |(
                female,
                birth_year,
                (kg, cm),
                dx,
                egfr,
                tpmt,
                (allopurinol, tmp_smx),
                (pred_mg, active_pred),
                (second, hcg_positive),
                (existing, febuxostat, creatinine_rise),
            )| Patient {
                female,
                birth_year,
                kg: (kg * 10.0).round() / 10.0,
                cm: cm.round(),
                dx,
                egfr: egfr.map(f64::round),
                tpmt,
                allopurinol,
                tmp_smx,
                pred_mg: (pred_mg / 2.5).round() * 2.5,
                active_pred: active_pred.map(|v| (v / 2.5).round() * 2.5),
                second,
                hcg_positive,
                existing,
                febuxostat,
                creatinine_rise,
            },
        )
}

fn request(p: &Patient, drafts: &[Value]) -> Value {
    let mut r = Req::new("order-sign", if p.female { "female" } else { "male" }).dx("M33.20");
    r.patient["birthDate"] = json!(format!("{}-06-01", p.birth_year));
    for d in &p.dx {
        r = r.dx(d);
    }
    r = r.body(p.kg, p.cm);
    if let Some(e) = p.egfr {
        r = r.lab("98979-8", e, "mL/min/{1.73_m2}", "2026-11-20");
    }
    if let Some(t) = p.tpmt {
        let mut o = json!({"resourceType": "Observation", "id": "tpmt", "status": "final", "subject": {"reference": "Patient/p1"},
            "code": {"coding": [{"system": "http://loinc.org", "code": "79713-4"}]}, "effectiveDateTime": "2025-01-01",
            "valueCodeableConcept": {"text": t}});
        o["valueString"] = json!(t);
        r.labs.push(o);
    }
    if p.hcg_positive {
        r = r.lab("2106-3", 1200.0, "[IU]/L", "2026-11-10");
    }
    if p.allopurinol {
        r = r.active(Req::med(
            Some("519"),
            "allopurinol 300 MG Oral Tablet",
            300.0,
            1,
            "d",
            "26643006",
            "allo",
            "active",
            "2026-01-01",
        ));
    }
    if p.tmp_smx {
        r = r.active(Req::med(
            Some("10831"),
            "sulfamethoxazole 800 MG / trimethoprim 160 MG Oral Tablet",
            960.0,
            1,
            "d",
            "26643006",
            "tmp",
            "active",
            "2026-01-01",
        ));
    }
    if p.existing > 0 {
        let (code, name, mg, period, route) = EXISTING[p.existing - 1];
        r = r.active(Req::med(
            Some(code),
            name,
            mg,
            1,
            period,
            route,
            "existing",
            "active",
            "2026-11-01",
        ));
    }
    if p.febuxostat {
        r = r.active(Req::med(
            Some("73689"),
            "febuxostat 40 MG Oral Tablet",
            40.0,
            1,
            "d",
            "26643006",
            "febu",
            "active",
            "2026-01-01",
        ));
    }
    if p.creatinine_rise {
        r = r
            .lab("2160-0", 1.0, "mg/dL", "2026-10-01")
            .lab("2160-0", 1.5, "mg/dL", "2026-11-20");
    }
    if let Some(a) = p.active_pred {
        r = r.active(Req::med(
            Some("312615"),
            "predniSONE 20 MG Oral Tablet",
            a,
            1,
            "d",
            "26643006",
            "active-pred",
            "active",
            "2026-06-01",
        ));
    }
    for d in drafts {
        r = r.order(d.clone());
    }
    r.build()
}

fn pred_order(mg: f64) -> Value {
    Req::med(
        Some("312615"),
        "predniSONE 20 MG Oral Tablet",
        mg,
        1,
        "d",
        "26643006",
        "o1",
        "draft",
        TODAY,
    )
}

fn rank(indicator: &str) -> u8 {
    match indicator {
        "critical" => 3,
        "warning" => 2,
        _ => 1,
    }
}

fn cards(engine: &Engine, body: &Value) -> Vec<Value> {
    let service = engine.services.get("ssc-myositis-order-sign").unwrap();
    let (resp, _) = engine
        .evaluate(service, body.to_string().as_bytes(), today())
        .unwrap();
    serde_json::to_value(&resp).unwrap()["cards"]
        .as_array()
        .unwrap()
        .clone()
}

fn topic(c: &Value) -> String {
    c["source"]["topic"]["code"].as_str().unwrap().to_string()
}

/// Findings a suggestion may bring with it because its own card states them:
/// (suggesting topic, topic of the new card, what the suggesting card must say).
const STATED: &[(&str, &str, &str)] = &[
    // Removing a methotrexate draft that must be avoided leaves the active
    // methotrexate the same card named: its watch card says it again.
    (
        "mtx-contraindicated-renal",
        "mtx-active-watch",
        "renally cleared",
    ),
    ("mtx-liver", "mtx-active-watch", "methotrexate"),
    (
        "pregnancy-contraindicated",
        "mtx-active-watch",
        "methotrexate",
    ),
    ("mtx-tmp-smx", "mtx-active-watch", "methotrexate"),
    // Folic acid with methotrexate: the card says so; the methotrexate order's
    // own check suggests it once the order comes back.
    (
        "steroid-sparing-day-one",
        "mtx-folic-acid",
        "with folic acid",
    ),
    // Halved for eGFR 30–59 (at most 12.5 mg/week): the card says so, and
    // the order check, sent it back, only notes the dose is already reduced
    // (its "reduce" warning is not stated: it must not come).
    ("steroid-sparing-day-one", "mtx-dose-bsa", "halved"),
    // "Check TPMT and NUDT15 first" is on the azathioprine line.
    (
        "steroid-sparing-day-one",
        "aza-tpmt",
        "Check TPMT and NUDT15 first",
    ),
    // Pre-treatment reminders are on the suggestion's line.
    (
        "steroid-sparing-day-one",
        "thiopurine-safety",
        "Before the first dose",
    ),
    (
        "steroid-sparing-day-one",
        "mmf-order",
        "Before the first dose",
    ),
];

/// mg of a suggested MedicationRequest per day (per week for methotrexate), by name.
fn dose(r: &Value) -> (String, f64, f64) {
    let name = r["medicationCodeableConcept"]["text"]
        .as_str()
        .or(r["medicationCodeableConcept"]["coding"][0]["display"].as_str())
        .unwrap_or("")
        .to_lowercase();
    let d = &r["dosageInstruction"][0];
    let q = &d["doseAndRate"][0]["doseQuantity"];
    let value = q["value"].as_f64().unwrap_or(f64::NAN);
    // Whole tablets of the product: its strength from its RxNorm name ("Prednisone 5 MG Oral Tablet").
    let mg = if q["code"] == "{tbl}" {
        let strength = name
            .split_whitespace()
            .collect::<Vec<_>>()
            .windows(2)
            .find(|w| w[1] == "mg")
            .and_then(|w| w[0].parse::<f64>().ok())
            .unwrap_or(f64::NAN);
        assert_eq!(value.fract(), 0.0, "{name}: {value} tablets");
        value * strength
    } else {
        value
    };
    let rep = &d["timing"]["repeat"];
    let f = rep["frequency"].as_f64().unwrap_or(1.0);
    let period = rep["period"].as_f64().unwrap_or(1.0);
    let days = match rep["periodUnit"].as_str() {
        Some("wk") => 7.0,
        _ => 1.0,
    } * period;
    (name, mg, mg * f / days)
}

/// The patient's draft orders: the prednisone order and the second draft.
fn drafts(p: &Patient) -> Vec<Value> {
    let mut drafts = vec![pred_order(p.pred_mg)];
    match p.second {
        1 => drafts.push(Req::med(
            Some("1946772"),
            "methotrexate 25 MG/ML Injectable Solution",
            15.0,
            1,
            "wk",
            "34206005",
            "o2",
            "draft",
            TODAY,
        )),
        2 => drafts.push(Req::med(
            Some("199310"),
            "Azathioprine 25 MG Oral Tablet",
            100.0,
            1,
            "d",
            "26643006",
            "o2",
            "draft",
            TODAY,
        )),
        3 => drafts.push(Req::med(
            Some("1743726"),
            "Methylprednisolone 1000 MG Injection",
            500.0,
            1,
            "d",
            "47625008",
            "o2",
            "draft",
            TODAY,
        )),
        4..=7 => {
            let (code, name, mg, period, route) = EXISTING[p.second as usize - 2];
            drafts.push(Req::med(
                Some(code),
                name,
                mg,
                1,
                period,
                route,
                "o2",
                "draft",
                TODAY,
            ))
        }
        _ => {}
    }
    drafts
}

fn pregnant_or_planning(p: &Patient) -> bool {
    p.dx.contains(&"Z33.1")
        || p.dx.contains(&"Z39.1")
        || (p.dx.contains(&"Z31.69") && p.female)
        || p.hcg_positive
}

proptest! {
    #![proptest_config(ProptestConfig { rng_seed: RngSeed::Fixed(0x5e1f_c0de), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn suggestions_pass_our_own_checks(p in patient()) {
        let engine = Engine::with_defaults().unwrap();
        let drafts = drafts(&p);
        let first = cards(&engine, &request(&p, &drafts));
        for card in &first {
            let own = topic(card);
            let own_rank = rank(card["indicator"].as_str().unwrap());
            for s in card["suggestions"].as_array().into_iter().flatten() {
                let mut next = drafts.clone();
                let mut created = 0;
                for a in s["actions"].as_array().into_iter().flatten() {
                    // "Remove this order": the draft goes.
                    if a["type"] == "delete" {
                        let gone = a["resourceId"].as_str().unwrap_or("");
                        next.retain(|d| {
                            let kind = d["resourceType"].as_str().unwrap_or("");
                            format!("{kind}/{}", d["id"].as_str().unwrap_or("")) != gone
                        });
                        created += 1;
                        continue;
                    }
                    let r = a["resource"].clone();
                    if r["resourceType"] != "MedicationRequest" {
                        continue;
                    }
                    let (name, mg, per_day) = dose(&r);
                    prop_assert!(mg.is_finite() && mg > 0.0, "{}: dose {}", name, mg);
                    // Ceilings.
                    if name.contains("prednisone") { prop_assert!(per_day <= 80.0 + 1e-9, "{} {}", name, per_day); }
                    if name.contains("methotrexate") { prop_assert!(per_day * 7.0 <= 25.0 + 1e-9, "{} {}", name, per_day); }
                    if name.contains("azathioprine") {
                        prop_assert!(per_day <= 300.0 + 1e-9, "{} {}", name, per_day);
                        // At most 2 mg/kg dosing weight (Devine ideal body weight, or actual if lower).
                        let ibw = if p.female { 45.5 } else { 50.0 } + 2.3 * (p.cm / 2.54 - 60.0);
                        // (1 % for rounding an ideal body weight of 74.99 kg to 150 mg)
                        prop_assert!(per_day <= 2.0 * ibw.min(p.kg) * 1.01, "{} {} mg for dosing weight {}", name, per_day, ibw.min(p.kg));
                    }
                    if name.contains("mycophenolate") { prop_assert!(per_day <= 3000.0 + 1e-9, "{} {}", name, per_day); }
                    // No teratogen for pregnancy or (female) planning.
                    if pregnant_or_planning(&p) {
                        prop_assert!(!name.contains("methotrexate") && !name.contains("mycophenolate") && !name.contains("cyclophosphamide"),
                            "{} suggested with {:?}", name, p.dx);
                    }
                    match (a["type"].as_str(), r["id"].as_str()) {
                        (Some("update"), Some(id)) => {
                            next.retain(|d| d["id"] != id);
                            next.push(r);
                        }
                        _ => {
                            created += 1;
                            let mut r = r;
                            r["id"] = json!(format!("suggested-{created}"));
                            next.push(r);
                        }
                    }
                }
                if next.len() == drafts.len() && created == 0 && next == drafts {
                    continue;
                }
                let second = cards(&engine, &request(&p, &next));
                for c in &second {
                    let t = topic(c);
                    let r = rank(c["indicator"].as_str().unwrap());
                    let before = first.iter().filter(|f| topic(f) == t).map(|f| rank(f["indicator"].as_str().unwrap())).max();
                    // Stated, and no more severe than a reminder unless it was a warning already stated.
                    let stated = STATED.iter().any(|(from, to, says)| {
                        *from == own && *to == t && card["detail"].as_str().unwrap_or("").contains(says)
                    }) && r <= own_rank;
                    // Removing a critical order re-opens the choice of a
                    // steroid-sparing agent: the day-one card that offers the
                    // alternatives is the next step, not a contradiction (it is
                    // a warning, below the critical card that removed the order).
                    let removed = s["actions"].as_array().into_iter().flatten().any(|a| a["type"] == "delete");
                    let stated = stated || (removed && t == "steroid-sparing-day-one" && r < own_rank);
                    match before {
                        Some(b) => prop_assert!(r <= b || stated,
                            "accepting {:?} from {} raised {} from {} to {}: {:?}", s["label"], own, t, b, r, p),
                        None => prop_assert!(stated || (r <= own_rank && r == 1 && t == own),
                            "accepting {:?} from {} drew a new {} card {} ({:?}): {:?}", s["label"], own, c["indicator"], t, c["summary"], p),
                    }
                }
            }
        }
    }
}

/// Internal file names, FHIR ids, UCUM codes and annotations: none may reach
/// a clinician (POLICY second edition, "Plain language").
fn unplain(text: &str) -> Option<String> {
    static RES: std::sync::OnceLock<Vec<regex::Regex>> = std::sync::OnceLock::new();
    let res = RES.get_or_init(|| {
        [
            r"\b[A-Za-z_]+\.md\b|REFERENCE\b|POLICY\b",
            r"\b(Observation|MedicationRequest|MedicationStatement|MedicationOrder|Condition|Patient|Encounter|ServiceRequest|Practitioner)/[A-Za-z0-9\-.]+",
            r"\\?\{[A-Za-z_0-9.]+\\?\}|\[(lb_av|in_i|oz_av|iU)\]|mm\\?\[Hg",
            // False precision: three decimals, or a two-digit figure with two
            // decimals (23.33, 45.36 kg): derived figures have at most three
            // significant figures, measured ones at most one decimal.
            r"\b\d+\.\d{3,}\b|\b[1-9]\d\.\d{2}\b",
        ]
        .iter()
        .map(|r| regex::Regex::new(r).unwrap())
        .collect()
    });
    res.iter()
        .find_map(|re| re.find(text).map(|m| m.as_str().to_string()))
}

proptest! {
    #![proptest_config(ProptestConfig { rng_seed: RngSeed::Fixed(0x0c4d_7e57), failure_persistence: None, ..ProptestConfig::default() })]

    /// On generated patients (pregnancy, renal failure, thiopurine results,
    /// allopurinol, TMP-SMX, several drafts...), every card reads plainly:
    /// no internal names, ids or UCUM codes, a summary that fits uncut, a
    /// detail within the card-panel budget.
    #[test]
    fn every_generated_card_reads_plainly(p in patient()) {
        use ssc_myositis_cds::words::{DETAIL_MAX_CHARS, DETAIL_MAX_LINES, SUMMARY_MAX};
        let engine = Engine::with_defaults().unwrap();
        let drafts = drafts(&p);
        for card in cards(&engine, &request(&p, &drafts)) {
            let summary = card["summary"].as_str().unwrap();
            let detail = card["detail"].as_str().unwrap_or("");
            let mut texts = vec![summary.to_string(), detail.to_string()];
            for s in card["suggestions"].as_array().into_iter().flatten() {
                texts.push(s["label"].as_str().unwrap_or("").to_string());
                for a in s["actions"].as_array().into_iter().flatten() {
                    texts.push(a["description"].as_str().unwrap_or("").to_string());
                }
            }
            for t in &texts {
                prop_assert!(unplain(t).is_none(), "{}: {:?} in {}", topic(&card), unplain(t), t);
            }
            prop_assert!(summary.chars().count() <= SUMMARY_MAX && !summary.ends_with('…'), "{}", summary);
            let lines = detail.lines().filter(|l| !l.trim().is_empty()).count();
            let chars = detail.chars().filter(|c| !matches!(c, '*' | '\\')).count();
            prop_assert!(lines <= DETAIL_MAX_LINES && chars <= DETAIL_MAX_CHARS,
                "{}: {} lines, {} characters:\n{}", topic(&card), lines, chars, detail);
        }
        let summaries: Vec<String> = cards(&engine, &request(&p, &drafts))
            .iter()
            .map(|c| c["summary"].as_str().unwrap_or("").to_string())
            .collect();
        if let Some(pair) = opposite_pulls(&summaries) {
            prop_assert!(false, "two cards pull apart: {:?}: {:?}", pair, p);
        }
    }
}

/// Two cards about one drug that pull apart (POLICY third edition, "No two
/// cards pull apart"): one says its dose is low, another says avoid, reduce,
/// lower, withhold, stop, remove, duplicate or do not start.
fn opposite_pulls(summaries: &[String]) -> Option<(String, String)> {
    const DRUGS: &[&str] = &[
        "methotrexate",
        "prednisone",
        "azathioprine",
        "mycophenolate",
        "methylprednisolone",
        "rituximab",
        "cyclophosphamide",
        "ivig",
    ];
    const LOWER: &[&str] = &[
        "avoid",
        "reduce",
        "lower",
        "withhold",
        "stop",
        "remove",
        "duplicate",
        "do not start",
        "contraindicated",
        "taper",
        "above",
    ];
    for drug in DRUGS {
        let about: Vec<String> = summaries
            .iter()
            .map(|s| s.to_lowercase())
            .filter(|s| s.contains(drug))
            .collect();
        const RAISE: &[&str] = &[
            "below usual",
            "below guidance",
            "below the usual",
            "increase",
            "raise",
        ];
        let raise = about.iter().find(|s| RAISE.iter().any(|w| s.contains(w)));
        // A clause pulls the drug down when it names it with a lowering
        // word ("cyclophosphamide is contraindicated; prednisone ... remain
        // options" pulls cyclophosphamide only); a taper clause speaks of the
        // glucocorticoid its summary names.
        let lower = about.iter().find(|s| {
            !RAISE.iter().any(|w| s.contains(w))
                && s.split(';').any(|clause| {
                    LOWER
                        .iter()
                        .any(|w| clause.contains(w) && (clause.contains(drug) || *w == "taper"))
                })
        });
        if let (Some(r), Some(l)) = (raise, lower) {
            return Some((r.clone(), l.clone()));
        }
    }
    None
}

/// Every worked scenario and real-record request: no two cards pull apart.
#[test]
fn no_two_cards_pull_apart_on_any_scenario() {
    let engine = Engine::with_defaults().unwrap();
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/requests");
    let mut files: Vec<std::path::PathBuf> = vec![];
    for d in [dir.to_string(), format!("{dir}/real")] {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "json") {
                files.push(p);
            }
        }
    }
    assert!(files.len() > 20);
    for f in files {
        let body: Value = serde_json::from_str(&std::fs::read_to_string(&f).unwrap()).unwrap();
        let Some(hook) = body["hook"].as_str() else {
            continue;
        };
        let Some(service) = engine.services.for_hook(hook) else {
            continue;
        };
        let Ok((resp, _)) = engine.evaluate(service, body.to_string().as_bytes(), today()) else {
            continue;
        };
        let summaries: Vec<String> = serde_json::to_value(&resp).unwrap()["cards"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["summary"].as_str().unwrap_or("").to_string())
            .collect();
        assert_eq!(opposite_pulls(&summaries), None, "{}", f.display());
    }
}
