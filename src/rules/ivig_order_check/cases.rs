//! Worked cases of the decision: facts in, findings out.

use super::*;
use crate::rules::test_support::*;
use crate::facts::{Route, Schedule, Sex};
use crate::terminology::Concept;

/// An obese patient dosed on actual weight (2 g/kg × 120 kg = 240 g):
/// above the absolute limit, and the g/kg card names the ideal-body-
/// weight dose (Devine: 65.9 kg → 65.9–132 g per course).
#[test]
fn an_obese_patient_is_told_the_ideal_body_weight_dose() {
    let mut f = with_body(
        patient(&[Concept::Dermatomyositis]),
        Sex::Male,
        120.0,
        Some(170.0),
    );
    let mut m = med(
        Drug::Ivig,
        120_000.0,
        Schedule::DAILY,
        Route::Intravenous,
        "ivig",
    );
    m.count = Some(2.0);
    f.orders.push(m);
    let out = evaluate(&f, &Policy::default());
    let topics: Vec<_> = out.findings.iter().map(|c| c.topic.code).collect();
    assert_eq!(topics, vec![TOPIC_LIMIT.code, TOPIC.code]);
    let dose = &out.findings[1];
    assert!(
        dose.summary().contains("above 2 g/kg (132 g)"),
        "{}",
        dose.summary()
    );
    assert!(
        dose.detail().contains("65.9–132 g per course"),
        "{}",
        dose.detail()
    );
}

#[test]
fn absolute_limit_without_a_weight() {
    // (g per dose, count, expected topic and indicator)
    let cases = [
        (80.0, Some(2.0), None),
        (85.0, Some(2.0), Some(Indicator::Warning)),
        (160.0, Some(2.0), Some(Indicator::Critical)),
        (170.0, None, Some(Indicator::Warning)),
        (70_000.0, None, Some(Indicator::Critical)),
    ];
    for (g, count, want) in cases {
        let mut f = patient(&[Concept::Dermatomyositis]);
        let mut m = med(
            Drug::Ivig,
            g * 1000.0,
            Schedule::DAILY,
            Route::Intravenous,
            "ivig",
        );
        m.count = count;
        f.orders.push(m);
        let out = evaluate(&f, &Policy::default());
        let limit = out.findings.iter().find(|c| c.topic == TOPIC_LIMIT);
        assert_eq!(limit.map(|c| c.indicator), want, "{g} {count:?}");
        // The absolute limit replaces the g/kg card and needs no weight.
        assert!(!out.findings.iter().any(|c| c.topic == TOPIC));
    }
}

#[test]
fn course_table() {
    // Male 180 cm, 90 kg: dosing weight 75.0 kg → 2 g/kg = 150 g.
    // (g per dose, count, warning)
    let cases = [
        (75.0, Some(2.0), false),
        (76.0, Some(2.0), true),
        (150.0, Some(1.0), false),
        (40.0, Some(4.0), true),
        (160.0, None, true),
        (100.0, None, false),
    ];
    for (g, count, warn) in cases {
        let mut f = with_body(
            patient(&[Concept::Dermatomyositis]),
            Sex::Male,
            90.0,
            Some(180.0),
        );
        let mut m = med(
            Drug::Ivig,
            g * 1000.0,
            Schedule::DAILY,
            Route::Intravenous,
            "ivig",
        );
        m.count = count;
        f.orders.push(m);
        let out = evaluate(&f, &Policy::default());
        assert_eq!(out.findings.len(), usize::from(warn), "{g} {count:?}");
        if warn {
            assert!(out.findings[0].detail().contains("adjusted body weight"));
        }
    }
}
