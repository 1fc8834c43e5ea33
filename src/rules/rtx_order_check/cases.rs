//! Worked cases of the decision: facts in, findings out.

use super::*;
use crate::rules::test_support::*;
use crate::facts::{Route, Schedule, Sex};
use crate::terminology::Concept;

#[test]
fn dose_table() {
    // 170 cm, 70 kg: BSA 1.818 m², 375 mg/m² = 682 mg (±5 %: 648–716 mg).
    let cases = [
        (1000.0, true, None),
        (680.0, true, None),
        (720.0, true, Some(Indicator::Info)),
        (680.0, false, Some(Indicator::Info)),
        (500.0, true, Some(Indicator::Info)),
        (1200.0, true, Some(Indicator::Warning)),
        (2000.0, true, Some(Indicator::Critical)),
        (1_000_000.0, true, Some(Indicator::Critical)),
    ];
    for (mg, body, want) in cases {
        let mut f = patient(&[Concept::Dermatomyositis]);
        if body {
            f = with_body(f, Sex::Female, 70.0, Some(170.0));
        }
        let mut hb = lab(Concept::Hbsag, 0.0, "");
        hb.quantity = None;
        hb.result_text = Some("negative".into());
        let mut hc = hb.clone();
        hc.concepts = vec![Concept::AntiHbc];
        f.labs = vec![hb, hc];
        f.orders.push(med(
            Drug::Rituximab,
            mg,
            Schedule::DAILY,
            Route::Intravenous,
            "rtx",
        ));
        let out = evaluate(&f, &Policy::default());
        assert_eq!(
            out.findings.first().map(|c| c.indicator),
            want,
            "{mg} {body}"
        );
    }
}

#[test]
fn hepatitis_b_positive_is_a_warning_on_the_card() {
    let mut f = patient(&[Concept::Dermatomyositis]);
    let mut hb = lab(Concept::AntiHbc, 0.0, "");
    hb.quantity = None;
    hb.result_text = Some("reactive".into());
    f.labs.push(hb);
    f.orders.push(med(
        Drug::Rituximab,
        1000.0,
        Schedule::DAILY,
        Route::Intravenous,
        "rtx",
    ));
    let out = evaluate(&f, &Policy::default());
    assert_eq!(out.findings[0].indicator, Indicator::Warning);
    assert!(out.findings[0].detail().contains("core antibody positive"));
    assert!(out.findings[0]
        .detail()
        .contains("No hepatitis B surface antigen on file"));
}
