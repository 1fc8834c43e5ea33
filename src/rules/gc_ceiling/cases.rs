//! Worked cases of the decision: facts in, findings out.

use super::*;
use crate::rules::test_support::*;
use crate::facts::Schedule;
use crate::terminology::medication::Drug;
use crate::terminology::Concept;

#[test]
fn ceiling_table() {
    // (drug, mg per day, route, expected indicator)
    let cases = [
        (Gc::Prednisone, 80.0, Route::Oral, None),
        (Gc::Prednisone, 85.0, Route::Oral, Some(Indicator::Warning)),
        (
            Gc::Prednisone,
            160.0,
            Route::Oral,
            Some(Indicator::Critical),
        ),
        // 60 g where 60 mg was meant.
        (
            Gc::Prednisone,
            60_000.0,
            Route::Oral,
            Some(Indicator::Critical),
        ),
        // Dexamethasone 12 mg = prednisone 80 mg: at the ceiling; 13 mg above it.
        (Gc::Dexamethasone, 12.0, Route::Oral, None),
        (
            Gc::Dexamethasone,
            13.0,
            Route::Oral,
            Some(Indicator::Warning),
        ),
        // IV methylprednisolone pulses have their own rule.
        (Gc::Methylprednisolone, 1000.0, Route::Intravenous, None),
        (
            Gc::Methylprednisolone,
            100.0,
            Route::Oral,
            Some(Indicator::Warning),
        ),
    ];
    for (gc, mg, route, want) in cases {
        let mut f = patient(&[Concept::Polymyositis]);
        f.orders.push(med(
            Drug::Glucocorticoid(gc),
            mg,
            Schedule::DAILY,
            route,
            "o",
        ));
        let got = evaluate(&f, &Policy::default())
            .findings
            .first()
            .map(|c| c.indicator);
        assert_eq!(got, want, "{gc:?} {mg} {route:?}");
    }
}

#[test]
fn drafts_of_one_drug_are_summed() {
    let mut f = patient(&[Concept::Polymyositis]);
    let mut a = med(
        Drug::Glucocorticoid(Gc::Prednisone),
        60.0,
        Schedule::DAILY,
        Route::Oral,
        "a",
    );
    a.reference = "MedicationRequest/a".into();
    let mut b = a.clone();
    b.reference = "MedicationRequest/b".into();
    f.orders = vec![a, b];
    let out = evaluate(&f, &Policy::default());
    assert_eq!(out.findings.len(), 1);
    assert_eq!(out.findings[0].indicator, Indicator::Warning);
    assert!(
        out.findings[0].detail().contains("120 mg/day"),
        "{}",
        out.findings[0].detail()
    );
    {
        let found = &out.findings[0].what;
            assert_eq!(
                (found.pred_eq_mg, found.orders, found.twice),
                (120.0, 2, false)
            );
    }
    assert_eq!(
        out.findings[0].pull,
        Some(Pull {
            order: "MedicationRequest/a".into(),
            direction: Direction::Lower
        })
    );
}
