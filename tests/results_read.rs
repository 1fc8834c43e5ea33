//! Results as real records send them (POLICY third edition, "Status, time,
//! units" and "Never silent"), on the requests built to reproduce what real
//! EHR records showed (`tests/requests/real/`), evaluated on 2026-11-24.

use serde_json::Value;

use ssc_myositis_cds::engine::Engine;

#[path = "common/cards.rs"]
mod cards;
use cards::real_request as request;

fn evaluate(req: &Value) -> Vec<(String, String)> {
    cards::cards(&Engine::with_defaults().unwrap(), req)
}

fn card<'a>(cards: &'a [(String, String)], summary_part: &str) -> &'a (String, String) {
    cards
        .iter()
        .find(|(s, _)| s.contains(summary_part))
        .unwrap_or_else(|| panic!("no card with {summary_part:?}: {cards:#?}"))
}

#[test]
fn an_egfr_above_60_is_shown_as_sent() {
    let cards = evaluate(&request("egfr-comparator"));
    let (_, detail) = card(&cards, "add folic acid 1 mg daily with methotrexate");
    assert!(detail.contains("eGFR > 60 mL/min/1.73 m²"), "{detail}");
    assert!(!detail.contains("eGFR 60 "), "{detail}");
}

#[test]
fn a_same_day_creatinine_giving_a_lower_egfr_wins() {
    // Measured 70; creatinine 2.6 mg/dL, female 40: CKD-EPI 2021 = 23.
    let cards = evaluate(&request("egfr-lower-wins"));
    let (summary, detail) = card(&cards, "Myositis: start");
    assert!(!summary.contains("methotrexate"), "{summary}");
    assert!(
        detail.contains("eGFR 23 (CKD-EPI 2021 from creatinine 2.6 mg/dL, 2026-11-23)"),
        "{detail}"
    );
    assert!(
        detail.contains("eGFR 70 (measured, 2026-11-23) within 7 days not used"),
        "{detail}"
    );
}

#[test]
fn offsets_across_midnight_utc_are_read_as_instants() {
    // BP 168/104 at 21:00 on the 16th at UTC-5 = the 17th UTC: current (7 days).
    let cards = evaluate(&request("offset-midnight"));
    let (_, detail) = card(&cards, "Possible renal crisis");
    assert!(detail.contains("168/104 mmHg (2026-11-17)"), "{detail}");
}

#[test]
fn weights_in_lbs_and_in_an_unknown_unit() {
    let cards = evaluate(&request("weight-lbs"));
    let (summary, detail) = card(&cards, "Prednisone 60 mg/day = 1.32 mg/kg");
    assert!(
        detail.contains("Weight used: 45.4 kg (100 lb, 2026-11-20)"),
        "{summary}: {detail}"
    );
    assert!(cards
        .iter()
        .all(|(s, d)| !s.contains("45.36") && !d.contains("45.36")));

    let cards = evaluate(&request("weight-unknown-unit"));
    let named = "1 result not used: unit not recognised: ‘Body weight 11 \"stone\", 2026-11-20’";
    // Named on the cards that would have used the weight, and only there.
    for (summary, detail) in &cards {
        let dose_card = summary.starts_with("Myositis: start") || summary.starts_with("No weight");
        assert_eq!(detail.contains(named), dose_card, "{summary}: {detail}");
    }
    assert!(cards.iter().any(|(_, d)| d.contains(named)));
}

#[test]
fn out_of_scope_nothing_is_said() {
    // The same record without SSc or myositis: no card at all.
    let mut req = request("weight-unknown-unit");
    req["prefetch"]["Condition"]["entry"] = Value::Array(vec![]);
    assert!(evaluate(&req).is_empty());
}

#[test]
fn a_missing_blood_pressure_is_said() {
    let cards = evaluate(&request("bp-missing"));
    let (_, detail) = card(&cards, "renal crisis risk");
    assert!(
        detail.contains("**no blood pressure on file**: measure it today"),
        "{detail}"
    );
    assert!(!detail.contains("last BP ≥ 140/90"), "{detail}");
}

#[test]
fn a_preliminary_result_is_named_on_the_cards_that_use_it() {
    let mut req = request("egfr-comparator");
    req["prefetch"]["Renal"]["entry"][0]["resource"]["status"] = "preliminary".into();
    let cards = evaluate(&req);
    // Markdown-escaped: the text may carry the record's own label.
    let named = r"**Preliminary** (may still change): eGFR \> 60 mL/min/1.73 m² \(2026-11-23\).";
    let (_, mtx) = card(&cards, "add folic acid 1 mg daily with methotrexate");
    assert!(mtx.contains(named), "{mtx}");
    let (_, risk) = card(&cards, "renal crisis risk");
    assert!(!risk.contains("Preliminary"), "{risk}");
    // Registered (not yet a result): not used at all.
    req["prefetch"]["Renal"]["entry"][0]["resource"]["status"] = "registered".into();
    let cards = evaluate(&req);
    let (_, mtx) = card(&cards, "add folic acid 1 mg daily with methotrexate");
    assert!(!mtx.contains("eGFR > 60"), "{mtx}");
}
