//! Worked cases of the decision: facts in, findings out.

use super::*;
use crate::rules::test_support::*;
use crate::facts::{BloodPressure, Route, Schedule};
use crate::terminology::medication::{Drug, Gc};

fn run(f: &crate::facts::Facts) -> Option<Indicator> {
    let out = evaluate(f, &Policy::default());
    assert!(out.findings.len() <= 1);
    out.findings.first().map(|f| {
        assert!(f.summary().chars().count() < 140, "{}", f.summary());
        f.indicator
    })
}

#[test]
fn threshold_table() {
    // (diagnoses, ordered prednisone mg/day, active prednisone mg/day, expected)
    let ssc = [Concept::Ssc];
    type Case<'a> = (&'a [Concept], f64, Option<f64>, Option<Indicator>);
    let cases: &[Case] = &[
        (&ssc, 60.0, None, Some(Indicator::Warning)),      // S1
        (&ssc, 15.0, None, Some(Indicator::Warning)),      // boundary: ≥ 15
        (&ssc, 14.9, None, None),                          // boundary: below
        (&ssc, 10.0, Some(5.0), Some(Indicator::Warning)), // with active GC reaches 15
        (&ssc, 10.0, Some(4.9), None),
        (&[Concept::Dermatomyositis], 60.0, None, None), // S8: no SSc
        (
            &[Concept::LocalizedScleroderma, Concept::Dermatomyositis],
            60.0,
            None,
            None,
        ),
    ];
    for (dx, order, active, want) in cases {
        let mut f = patient(dx);
        f.orders.push(prednisone(*order));
        if let Some(a) = active {
            let mut m = prednisone(*a);
            m.reference = "MedicationRequest/active".into();
            f.active_meds.push(m);
        }
        assert_eq!(run(&f), *want, "{dx:?} {order} {active:?}");
    }
}

#[test]
fn conversions_and_routes() {
    let cases = [
        // Dexamethasone 4 mg = 26.7 mg prednisone-eq: fires (REFERENCE.md 6).
        (
            Drug::Glucocorticoid(Gc::Dexamethasone),
            4.0,
            Route::Oral,
            Some(Indicator::Warning),
        ),
        // 1 g IV methylprednisolone = 1 250 mg.
        (
            Drug::Glucocorticoid(Gc::Methylprednisolone),
            1000.0,
            Route::Intravenous,
            Some(Indicator::Warning),
        ),
        // Hydrocortisone 40 mg = 10 mg: below.
        (
            Drug::Glucocorticoid(Gc::Hydrocortisone),
            40.0,
            Route::Oral,
            None,
        ),
        // Budesonide 9 mg is never converted.
        (Drug::Budesonide, 9.0, Route::Oral, None),
        // Local and ambiguous routes never count.
        (
            Drug::Glucocorticoid(Gc::Triamcinolone),
            40.0,
            Route::Local,
            None,
        ),
        (
            Drug::Glucocorticoid(Gc::Triamcinolone),
            40.0,
            Route::Ambiguous,
            None,
        ),
    ];
    for (drug, mg, route, want) in cases {
        let mut f = patient(&[Concept::Ssc]);
        f.orders.push(med(drug, mg, Schedule::DAILY, route, "o"));
        assert_eq!(run(&f), want, "{drug:?} {mg} {route:?}");
    }
}

#[test]
fn risk_factors_change_the_text_not_the_severity() {
    let base = || {
        let mut f = patient(&[Concept::Ssc]);
        f.orders.push(prednisone(20.0));
        f
    };
    let factors =
        |f: &crate::facts::Facts| {
            let found = &evaluate(f, &Policy::default()).findings[0].what;
            found.factors.clone()
        };
    assert!(factors(&base()).is_empty());
    let mut f = base();
    f.diagnoses.push(dx(Concept::SscDiffuse, 9));
    assert_eq!(run(&f), Some(Indicator::Warning));
    assert_eq!(factors(&f), vec![RiskFactor::Diffuse]);

    let mut f = base();
    f.diagnoses[0].onset = Some(days_ago(365 * 3));
    assert_eq!(run(&f), Some(Indicator::Warning));
    assert!(
        matches!(factors(&f)[..], [RiskFactor::RecentOnset { years, limit_years, .. }]
            if (years - 3.0).abs() < 0.01 && limit_years == 4.0)
    );
    f.diagnoses[0].onset = Some(days_ago(365 * 5));
    assert_eq!(run(&f), Some(Indicator::Warning));
    assert!(factors(&f).is_empty());

    let mut f = base();
    let mut prior = dx(Concept::RenalCrisis, 8);
    prior.active = false;
    f.diagnoses.push(prior);
    assert_eq!(run(&f), Some(Indicator::Warning));

    for (s, d, want, high) in [
        (140.0, 80.0, Indicator::Warning, true),
        (139.0, 90.0, Indicator::Warning, true),
        (139.0, 89.0, Indicator::Warning, false),
    ] {
        let mut f = base();
        f.blood_pressures.push(BloodPressure {
            systolic: Some(s),
            diastolic: Some(d),
            date: Some(days_ago(1)),
            source: "Observation/bp".into(),
        });
        assert_eq!(run(&f), Some(want), "{s}/{d}");
        assert_eq!(
            factors(&f)
                .iter()
                .any(|r| matches!(r, RiskFactor::HighBp { .. })),
            high,
            "{s}/{d}"
        );
    }

    let mut f = base();
    let mut rnap = lab(Concept::Ana, 0.0, "");
    rnap.label = "RNA polymerase III Ab".into();
    rnap.quantity = None;
    rnap.result_text = Some("positive".into());
    f.labs.push(rnap);
    assert_eq!(run(&f), Some(Indicator::Warning));
}

#[test]
fn the_advice_to_taper_pulls_the_highest_order_lower() {
    // (orders: (id, prednisone mg/day), active mg/day, total, new, pulled order)
    type Case<'a> = (&'a [(&'a str, f64)], Option<f64>, f64, f64, &'a str);
    let cases: &[Case] = &[
        (&[("a", 60.0)], None, 60.0, 60.0, "a"),
        (&[("a", 10.0), ("b", 20.0)], None, 30.0, 30.0, "b"),
        (&[("a", 10.0)], Some(5.0), 15.0, 10.0, "a"),
    ];
    for (orders, active, total, new, pulled) in cases {
        let mut f = patient(&[Concept::Ssc]);
        for (id, mg) in *orders {
            let mut m = prednisone(*mg);
            m.reference = format!("MedicationRequest/{id}");
            f.orders.push(m);
        }
        if let Some(a) = active {
            let mut m = prednisone(*a);
            m.reference = "MedicationRequest/active".into();
            f.active_meds.push(m);
        }
        let card = &evaluate(&f, &Policy::default()).findings[0];
        assert_eq!(
            card.pull,
            Some(Pull {
                order: format!("MedicationRequest/{pulled}"),
                direction: Direction::Lower
            })
        );
        let found = &card.what;
        assert_eq!((found.total_mg, found.new_mg), (*total, *new));
        assert_eq!(
            found.exposure.len(),
            orders.len() + usize::from(active.is_some())
        );
        // Two independent suggestions of one order each.
        assert_eq!(card.selection, Selection::Any);
        assert_eq!(card.suggestions.len(), 2);
        assert!(card.suggestions.iter().all(|s| s.actions.len() == 1));
        assert!(
            !card.detail().contains("MedicationRequest/"),
            "{}",
            card.detail()
        );
    }
}

#[test]
fn an_active_ace_inhibitor_never_suppresses_it() {
    let mut f = patient(&[Concept::Ssc]);
    f.orders.push(prednisone(40.0));
    f.active_meds.push(med(
        Drug::AceInhibitor,
        10.0,
        Schedule::DAILY,
        Route::Oral,
        "acei",
    ));
    let out = evaluate(&f, &Policy::default());
    assert_eq!(out.findings.len(), 1);
    assert!(out.findings[0]
        .detail()
        .contains("does not prevent renal crisis"));
}

#[test]
fn hepatitis_b_at_20_mg_or_more() {
    // (prednisone mg/day, HBV line)
    for (mg, said) in [(20.0, true), (15.0, false)] {
        let mut f = patient(&[Concept::Ssc]);
        f.orders.push(prednisone(mg));
        let card = &evaluate(&f, &Policy::default()).findings[0];
        assert_eq!(card.detail().contains("check HBV"), said, "{mg}");
    }
}
/// An IV methylprednisolone pulse counts for the risk but is not a
/// daily dose to taper: no taper advice, no pull on the order.
#[test]
fn a_pulse_counts_for_the_risk_but_draws_no_taper() {
    let mut f = patient(&[Concept::Ssc, Concept::Dermatomyositis]);
    f.orders.push(med(
        Drug::Glucocorticoid(Gc::Methylprednisolone),
        1000.0,
        Schedule::DAILY,
        Route::Intravenous,
        "ivmp",
    ));
    let out = evaluate(&f, &Policy::default());
    let card = out.findings.iter().find(|c| c.topic == TOPIC).unwrap();
    assert!(card.pull.is_none());
    assert!(!card.summary().contains("taper"), "{}", card.summary());
    // With an oral prednisone too, the taper advice is back.
    f.orders.push(med(
        Drug::Glucocorticoid(Gc::Prednisone),
        20.0,
        Schedule::DAILY,
        Route::Oral,
        "pred",
    ));
    let out = evaluate(&f, &Policy::default());
    let card = out.findings.iter().find(|c| c.topic == TOPIC).unwrap();
    assert!(
        card.summary().contains("taper to ≤10 mg/day"),
        "{}",
        card.summary()
    );
}
