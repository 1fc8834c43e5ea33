//! Worked cases of the decision: facts in, findings out.

use super::*;
use crate::rules::test_support::*;
use crate::facts::{Route, Schedule, Sex};

/// A TPMT result read as normal (a numeric activity alone cannot be read).
fn tpmt_normal() -> crate::facts::Lab {
    let mut l = lab(Concept::Tpmt, 1.0, "");
    l.result_text = Some("normal metabolizer".into());
    l
}

fn above(c: &[(Indicator, Found)]) -> Option<(f64, f64)> {
    c.iter().find_map(|(_, c)| match c {
        Found::AboveMgPerKg {
            dosing_kg, limit, ..
        } => Some((*dosing_kg, *limit)),
        _ => None,
    })
}

#[test]
fn dose_table() {
    // Male 180 cm, 90 kg: IBW 75.0 → 150 mg. Female 147.32 cm (58 in), 50 kg: IBW 40.9 → 81.8 → 75 mg.
    let cases = [
        (Sex::Male, 90.0, 180.0, 150.0, false),
        (Sex::Male, 90.0, 180.0, 175.0, true),
        (Sex::Female, 50.0, 147.32, 75.0, false),
        (Sex::Female, 50.0, 147.32, 100.0, true),
    ];
    for (sex, kg, cm, mg, warn) in cases.iter() {
        let mut f = with_body(patient(&[Concept::Polymyositis]), *sex, *kg, Some(*cm));
        f.labs.push(tpmt_normal());
        let m = med(Drug::Azathioprine, *mg, Schedule::DAILY, Route::Oral, "aza");
        let c = concerns(&f, &Policy::default(), &m);
        assert_eq!(above(&c).is_some(), *warn, "{sex:?} {kg} {cm} {mg}");
        assert!(c.iter().all(|(i, _)| *i == Indicator::Warning));
    }
    // Actual weight below IBW is the dosing weight: 60 kg → 120 mg → 125 mg; 150 mg is above.
    let mut f = with_body(
        patient(&[Concept::Polymyositis]),
        Sex::Male,
        60.0,
        Some(180.0),
    );
    f.labs.push(tpmt_normal());
    f.labs
        .extend(crate::clinical::pretreatment::tests::all_clear());
    let m = med(
        Drug::Azathioprine,
        150.0,
        Schedule::DAILY,
        Route::Oral,
        "aza",
    );
    assert_eq!(
        above(&concerns(&f, &Policy::default(), &m)),
        Some((60.0, 125.0))
    );
    f.orders.push(m);
    let card = &super::super::thiopurine::evaluate(&f, &Policy::default()).findings[0];
    assert_eq!(card.topic, TOPIC_DOSE);
    assert!(card.summary().contains("(125 mg)"), "{}", card.summary());
    // Above the absolute limit the thiopurine concern speaks for the dose.
    let m = med(
        Drug::Azathioprine,
        325.0,
        Schedule::DAILY,
        Route::Oral,
        "aza",
    );
    assert_eq!(above(&concerns(&f, &Policy::default(), &m)), None);
}

#[test]
fn extrapolated_ibw_is_shown_with_the_floor() {
    let mut f = with_body(
        patient(&[Concept::Polymyositis]),
        Sex::Female,
        50.0,
        Some(147.32),
    );
    f.orders.push(med(
        Drug::Azathioprine,
        100.0,
        Schedule::DAILY,
        Route::Oral,
        "aza",
    ));
    let out = super::super::thiopurine::evaluate(&f, &Policy::default());
    assert_eq!(out.findings.len(), 1, "one card per order");
    let dose = &out.findings[0];
    assert_eq!(dose.topic, TOPIC_DOSE);
    assert!(
        dose.detail().contains("extrapolated below 60 in")
            && dose
                .detail()
                .contains("a floor at 60 in would give 45.5 kg"),
        "{}",
        dose.detail()
    );
    // No TPMT on file: the reminder, with an order for the test, on the same card.
    assert!(dose.detail().contains("No TPMT or NUDT15 result"));
    assert!(
        matches!(&dose.suggestions[0].actions[0], Action::CreateService(order) if order.loinc == "93193-1")
    );
    // Missing sex: the dose is not checked and sex is asked for.
    f.sex = None;
    let out = evaluate(&f, &Policy::default());
    assert_eq!(out.needs[0].figure, crate::clinical::Figure::Sex);
    assert!(above(&concerns(&f, &Policy::default(), &f.orders[0])).is_none());
}
