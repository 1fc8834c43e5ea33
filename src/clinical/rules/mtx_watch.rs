//! # Active methotrexate, watched on every hook (`mtx-active-watch`)
//!
//! Methotrexate already active is as dangerous as a new order when the
//! patient becomes pregnant or starts breastfeeding (ACR 2020, Sammaritano et
//! al. 2020), when renal function falls below 30 mL/min (ACR 2008, Saag et al.
//! 2008), or when trimethoprim-sulfamethoxazole is added (fatal pancytopenia:
//! both are antifolates and trimethoprim cuts methotrexate clearance; Bourré-
//! Tessier & Haraoui 2010).
//!
//! Service policy (second edition): on every hook, patient-view included,
//! active methotrexate with pregnancy (or breastfeeding): **critical**; with
//! eGFR < 30: **critical**; a new trimethoprim-sulfamethoxazole order at a
//! treatment dose (≥ 2 double-strength tablets a day): **critical**; at a
//! prophylactic dose: **warning**, monitor the blood count. When a
//! methotrexate order is on the screen, the methotrexate order check speaks
//! for these instead (one card per concern).
//!
//! Reading a trimethoprim-sulfamethoxazole dose in mg: a multiple of 480 mg is
//! the combined dose (co-trimoxazole 960 mg = one double-strength tablet);
//! below 400 mg it is the trimethoprim part (160 mg per double-strength
//! tablet); otherwise the sulfamethoxazole part (800 mg per tablet). A dose of
//! unknown frequency counts as given at least once a day.

use super::drug_check::{self, Card, Concern, Kind};
use super::Outcome;
use crate::clinical::reproductive::{self, Reproductive};
use crate::clinical::{Indicator, OverrideReason, Policy, Topic};
use crate::facts::{Facts, Med};
use crate::terminology::medication::Drug;

pub const TOPIC: Topic = Topic {
    code: "mtx-active-watch",
    display: "Active methotrexate: pregnancy, renal function, trimethoprim-sulfamethoxazole",
};

pub const SETTINGS: &[&str] = &[
    "mtx_egfr_avoid_below",
    "tmp_smx_treatment_ds_per_day",
    "pregnancy_condition_days",
    "hcg_positive_days",
    "hcg_positive_iu_per_l",
    "breastfeeding_months",
];

/// Double-strength tablets (800/160 mg) in one administration of `mg`.
pub fn ds_tablets(mg: f64) -> f64 {
    if mg <= 0.0 || !mg.is_finite() {
        return 0.0;
    }
    let combined = (mg / 480.0 - (mg / 480.0).round()).abs() < 1e-9;
    if combined {
        mg / 960.0
    } else if mg < 400.0 {
        mg / 160.0
    } else {
        mg / 800.0
    }
}

/// Double-strength tablets a day, when the dose can be read.
pub fn ds_per_day(m: &Med) -> Option<f64> {
    let d = m.dose.as_ref()?;
    // Unknown frequency: at least once a day (a risk reading).
    let per_day = d.frequency.per_day().unwrap_or(1.0);
    Some(ds_tablets(d.mg) * per_day)
}

pub fn evaluate(facts: &Facts, policy: &Policy) -> Outcome {
    let mut out = Outcome::default();
    let Some(active) = facts.active_meds.iter().find(|m| m.is(Drug::Methotrexate)) else {
        return out;
    };
    if facts.orders.iter().any(|m| m.is(Drug::Methotrexate)) {
        return out;
    }
    let mut concerns = Vec::new();
    match reproductive::state(facts, policy) {
        Reproductive::Pregnant(evidence) => concerns.push(Concern::new(
            Indicator::Critical,
            Kind::MethotrexatePregnant { evidence },
        )),
        Reproductive::Breastfeeding(evidence) => concerns.push(Concern::new(
            Indicator::Critical,
            Kind::MethotrexateBreastfeeding { evidence },
        )),
        _ => {}
    }
    let renal = facts.renal();
    if renal.is_below(policy.mtx_egfr_avoid_below) {
        concerns.push(Concern::new(
            Indicator::Critical,
            Kind::MethotrexateRenal {
                renal: renal.clone(),
                below: policy.mtx_egfr_avoid_below,
            },
        ));
    }
    for t in facts.orders.iter().filter(|m| m.is(Drug::TmpSmx)) {
        let ds_per_day = ds_per_day(t);
        let treatment =
            ds_per_day.is_some_and(|ds| ds >= policy.tmp_smx_treatment_ds_per_day - 1e-9);
        concerns.push(Concern::new(
            if treatment {
                Indicator::Critical
            } else {
                Indicator::Warning
            },
            Kind::TmpSmx {
                name: t.name.clone(),
                ds_per_day,
                treatment_ds: policy.tmp_smx_treatment_ds_per_day,
                treatment,
            },
        ));
    }
    out.findings.extend(drug_check::card(
        TOPIC,
        active,
        Card::ActiveMethotrexate,
        concerns,
        None,
        vec![
            OverrideReason::BenefitOutweighsRisk,
            OverrideReason::RecordedElsewhere,
        ],
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clinical::rules::test_support::*;
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
        let crate::clinical::What::DrugCheck(found) = &c.what else {
            panic!("{:?}", c.what)
        };
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
}
