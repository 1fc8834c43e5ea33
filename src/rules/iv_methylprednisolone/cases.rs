//! Worked cases of the decision: facts in, findings out.

use super::*;
use crate::rules::test_support::*;
use crate::facts::{Schedule, Sex};

fn ivmp(mg: f64, count: Option<f64>) -> crate::facts::Med {
    let mut m = med(
        Drug::Glucocorticoid(Gc::Methylprednisolone),
        mg,
        Schedule::DAILY,
        Route::Intravenous,
        "ivmp",
    );
    m.count = count;
    m
}

#[test]
fn dose_table() {
    // (weight kg, mg/day, count, dose warning) - 40 kg: 20 mg/kg = 800 mg, pulse 30 mg/kg = 1 200 mg (cap 1 000).
    // Within 30 mg/kg/day, at most 1 000 mg/day, for up to 5 days: no card.
    let cases = [
        (40.0, 800.0, None, false),
        (40.0, 820.0, None, false), // 20.5 mg/kg/day: within the pulse
        (40.0, 1000.0, Some(3.0), false), // pulse 25 mg/kg, at the cap
        (40.0, 1000.0, Some(5.0), false), // 5 days of 25 mg/kg/day
        (45.0, 1000.0, None, false), // 22.2 mg/kg: the standard 1 g pulse
        (32.0, 1000.0, Some(3.0), true), // 31.3 mg/kg
        (80.0, 1000.0, Some(3.0), false),
        (80.0, 1250.0, Some(3.0), true), // above 1 000 mg/day
        (40.0, 600.0, Some(6.0), true),  // 6 days
    ];
    for (kg, mg, count, warn) in cases {
        let mut f = with_body(
            patient(&[Concept::Dermatomyositis, Concept::Dysphagia]),
            Sex::Female,
            kg,
            Some(160.0),
        );
        f.orders.push(ivmp(mg, count));
        let out = evaluate(&f, &Policy::default());
        assert_eq!(
            out.findings.iter().any(|f| f.topic == TOPIC_DOSE),
            warn,
            "{kg} {mg} {count:?}"
        );
        // A dose above a limit pulls the order down; a course too long alone does not.
        if let Some(c) = out.findings.iter().find(|f| f.topic == TOPIC_DOSE) {
            let Found::Dose(d) = &c.what else {
                panic!("{:?}", c.what)
            };
            assert_eq!(
                c.pull.as_ref().map(|p| (p.order.as_str(), p.direction)),
                (d.above_cap || d.above_per_kg)
                    .then_some(("MedicationRequest/ivmp", Direction::Lower)),
            );
            assert_eq!(d.too_long, mg == 600.0, "{mg}");
        }
        assert!(
            !out.findings.iter().any(|f| f.topic == TOPIC_INDICATION),
            "dysphagia recorded"
        );
    }
}

#[test]
fn indication_and_missing_weight() {
    let mut f = patient(&[Concept::Dermatomyositis]);
    f.orders.push(ivmp(1250.0, Some(3.0)));
    let out = evaluate(&f, &Policy::default());
    let topics: Vec<_> = out.findings.iter().map(|f| f.topic.code).collect();
    assert_eq!(topics, vec!["ivmp-dose", "ivmp-indication"]);
    assert_eq!(out.needs[0].figure, Figure::Weight);
    // Oral methylprednisolone is not this rule.
    let mut f = patient(&[Concept::Dermatomyositis]);
    f.orders.push(med(
        Drug::Glucocorticoid(Gc::Methylprednisolone),
        48.0,
        Schedule::DAILY,
        Route::Oral,
        "o",
    ));
    assert!(evaluate(&f, &Policy::default()).findings.is_empty());
}

#[test]
fn twice_a_limit_is_critical() {
    // (mg per day, weight, expected)
    for (mg, kg, want) in [
        (1500.0, 100.0, Indicator::Warning),
        (2000.0, 100.0, Indicator::Critical),
        (1000.0, 32.0, Indicator::Warning), // 31.3 mg/kg/day: above the 30 mg/kg pulse
        (2000.0, 32.0, Indicator::Critical), // 62.5 mg/kg/day: 2× (and 2× the cap)
    ] {
        let mut f = with_body(
            patient(&[Concept::Dermatomyositis]),
            Sex::Female,
            kg,
            Some(160.0),
        );
        f.orders.push(med(
            Drug::Glucocorticoid(Gc::Methylprednisolone),
            mg,
            Schedule::DAILY,
            Route::Intravenous,
            "ivmp",
        ));
        let got = evaluate(&f, &Policy::default())
            .findings
            .iter()
            .find(|c| c.topic == TOPIC_DOSE)
            .map(|c| c.indicator);
        assert_eq!(got, Some(want), "{mg} {kg}");
    }
}
