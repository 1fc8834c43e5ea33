//! Worked cases of the decision: facts in, findings out.

use super::*;
use crate::rules::test_support::*;
use crate::facts::{Route, Schedule, Setting};
use crate::terminology::Concept;
use proptest::prelude::*;

fn tmp(mg: f64, per_day: f64) -> Med {
    med(
        Drug::TmpSmx,
        mg,
        Schedule {
            frequency: per_day,
            period_days: 1.0,
        },
        Route::Oral,
        "tmp",
    )
}

#[test]
fn watch_table() {
    let p = Policy::default();
    let crit = Some(Indicator::Critical);
    let warn = Some(Indicator::Warning);
    // (name, pregnant, eGFR, TMP-SMX order, MTX order too, expected)
    type Case = (
        &'static str,
        bool,
        Option<f64>,
        Option<Med>,
        bool,
        Option<Indicator>,
    );
    let cases: Vec<Case> = vec![
        ("nothing", false, Some(80.0), None, false, None),
        ("pregnant", true, None, None, false, crit),
        ("eGFR 22", false, Some(22.0), None, false, crit),
        ("eGFR 30", false, Some(30.0), None, false, None),
        (
            "1 DS twice daily (tablets as SMX mg)",
            false,
            None,
            Some(tmp(800.0, 2.0)),
            false,
            crit,
        ),
        (
            "960 mg twice daily",
            false,
            None,
            Some(tmp(960.0, 2.0)),
            false,
            crit,
        ),
        (
            "TMP 160 mg twice daily",
            false,
            None,
            Some(tmp(160.0, 2.0)),
            false,
            crit,
        ),
        (
            "1 DS daily",
            false,
            None,
            Some(tmp(800.0, 1.0)),
            false,
            warn,
        ),
        (
            "480 mg daily",
            false,
            None,
            Some(tmp(480.0, 1.0)),
            false,
            warn,
        ),
        (
            "MTX order on screen: the order check speaks",
            true,
            Some(22.0),
            Some(tmp(960.0, 2.0)),
            true,
            None,
        ),
    ];
    for (name, pregnant, egfr, t, mtx_order, want) in cases {
        let mut f = patient(&[Concept::Dermatomyositis]);
        f.active_meds.push(mtx(15.0, Route::Subcutaneous));
        if pregnant {
            f.diagnoses.push(dx(Concept::Pregnancy, 5));
        }
        if let Some(e) = egfr {
            f.labs.push(lab(Concept::Egfr, e, "mL/min/{1.73_m2}"));
        }
        f.orders.extend(t);
        if mtx_order {
            f.orders.push(mtx(15.0, Route::Subcutaneous));
        }
        let out = evaluate(&f, &p);
        assert_eq!(out.findings.first().map(|c| c.indicator), want, "{name}");
        assert!(out.findings.len() <= 1);
    }
}

#[test]
fn the_card_holds_the_figures_and_pulls_no_order() {
    let mut f = patient(&[Concept::Dermatomyositis]);
    f.active_meds.push(mtx(15.0, Route::Subcutaneous));
    f.orders.push(tmp(960.0, 2.0));
    let out = evaluate(&f, &Policy::default());
    let c = &out.findings[0];
    let found = &c.what;
    assert!(matches!(
        found.concerns[0].kind,
        Kind::TmpSmx { ds_per_day: Some(ds), treatment: true, .. } if (ds - 2.0).abs() < 1e-9
    ));
    // The active methotrexate is not an order: nothing to pull.
    assert_eq!(c.pull, None);
    assert!(c.summary().contains("(2 DS/day)"), "{}", c.summary());
    assert!(!c.detail().contains("MedicationRequest/"), "{}", c.detail());
}

#[test]
fn patient_view_watches_too() {
    let mut f = patient(&[Concept::Dermatomyositis]);
    f.setting = Setting::ChartView;
    f.active_meds.push(mtx(15.0, Route::Subcutaneous));
    f.labs.push(lab(Concept::Egfr, 22.0, "mL/min/{1.73_m2}"));
    let out = evaluate(&f, &Policy::default());
    assert_eq!(out.findings[0].indicator, Indicator::Critical);
    // No active methotrexate: nothing to watch.
    f.active_meds.clear();
    assert!(evaluate(&f, &Policy::default()).findings.is_empty());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, rng_seed: proptest::test_runner::RngSeed::Fixed(13), ..ProptestConfig::default() })]

    /// n double-strength tablets read the same as combined mg, and nearly as sulfamethoxazole mg.
    #[test]
    fn combined_mg_and_tablets_agree(n in 1u32..8) {
        let n = f64::from(n);
        prop_assert!((ds_tablets(960.0 * n) - n).abs() < 1e-9);
        // 800 mg is a double-strength tablet's sulfamethoxazole; where it is also a
        // multiple of 480 mg it reads as combined mg, which is at most 20 % fewer.
        prop_assert!(ds_tablets(800.0 * n) >= 0.8 * n - 1e-9);
        if n <= 2.0 {
            prop_assert!((ds_tablets(160.0 * n) - n).abs() < 1e-9);
        }
    }

    /// More mg is never fewer tablets within one reading, and never negative.
    #[test]
    fn tablets_are_non_negative(mg in -1000.0f64..10000.0) {
        prop_assert!(ds_tablets(mg) >= 0.0);
    }
}
