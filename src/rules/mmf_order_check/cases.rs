//! Worked cases of the decision: facts in, findings out.

use super::*;
use crate::rules::test_support::*;
use crate::clinical::Indicator;
use crate::facts::{Route, Schedule};
use crate::terminology::Concept;

#[test]
fn dose_table() {
    let twice = Schedule {
        frequency: 2.0,
        period_days: 1.0,
    };
    // (name, mg per dose, schedule known, expected)
    let cases = [
        (
            "mycophenolate mofetil 500 MG Oral Tablet",
            1500.0,
            true,
            None,
        ),
        (
            "mycophenolate mofetil 500 MG Oral Tablet",
            1750.0,
            true,
            Some(Indicator::Warning),
        ),
        (
            "mycophenolate mofetil 500 MG Oral Tablet",
            3000.0,
            true,
            Some(Indicator::Critical),
        ),
        (
            "mycophenolate mofetil 500 MG Oral Tablet",
            3500.0,
            false,
            Some(Indicator::Warning),
        ),
        (
            "mycophenolic acid 360 MG Delayed Release Oral Tablet",
            1080.0,
            true,
            None,
        ),
        (
            "mycophenolic acid 360 MG Delayed Release Oral Tablet",
            1440.0,
            true,
            Some(Indicator::Warning),
        ),
        ("Myfortic 720 mg", 2160.0, true, Some(Indicator::Critical)),
    ];
    for (name, mg, known, want) in cases {
        let mut f = patient(&[Concept::Dermatomyositis]);
        f.labs = crate::clinical::pretreatment::tests::all_clear();
        let mut m = med(Drug::Mycophenolate, mg, twice, Route::Oral, "mmf");
        m.name = name.into();
        if !known {
            m.dose.as_mut().unwrap().frequency = crate::facts::Frequency::unknown(None);
        }
        f.orders.push(m);
        let out = evaluate(&f, &Policy::default());
        assert_eq!(
            out.findings.first().map(|c| c.indicator),
            want,
            "{name} {mg}"
        );
    }
}

#[test]
fn pre_treatment_lines_fold_into_the_one_card() {
    let mut f = patient(&[Concept::Dermatomyositis]);
    f.orders.push(med(
        Drug::Mycophenolate,
        500.0,
        Schedule {
            frequency: 2.0,
            period_days: 1.0,
        },
        Route::Oral,
        "mmf",
    ));
    let out = evaluate(&f, &Policy::default());
    assert_eq!(out.findings.len(), 1);
    let c = &out.findings[0];
    assert_eq!(c.indicator, Indicator::Info);
    assert!(
        c.detail().contains("check HBV") && c.detail().contains("full blood count"),
        "{}",
        c.detail()
    );
}
