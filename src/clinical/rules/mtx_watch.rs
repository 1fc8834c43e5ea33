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

use super::drug_check::{self, Concern};
use super::Outcome;
use crate::clinical::reproductive::{self, Reproductive};
use crate::clinical::text::{md, num};
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

const SOURCES: &str = "Sources: ACR 2020 reproductive health guideline (Sammaritano et al. 2020); ACR 2008 (Saag et al. \
                       2008); Bourré-Tessier & Haraoui 2010 (methotrexate and trimethoprim-sulfamethoxazole).";

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
        Reproductive::Pregnant(e) => concerns.push(Concern::new(
            Indicator::Critical,
            "Pregnant on methotrexate: stop methotrexate now (teratogen); specialist review".into(),
            format!("**Pregnancy**: {e}. Methotrexate is contraindicated in pregnancy: stop it and review urgently (folic acid 5 mg daily)."),
        )),
        Reproductive::Breastfeeding(e) => concerns.push(Concern::new(
            Indicator::Critical,
            "Breastfeeding on methotrexate: not compatible with breastfeeding".into(),
            format!("**Breastfeeding**: {e}. Methotrexate is not compatible with breastfeeding."),
        )),
        _ => {}
    }
    let renal = facts.renal();
    if let Some(egfr) = renal.value() {
        if egfr < policy.mtx_egfr_avoid_below {
            concerns.push(Concern::new(
                Indicator::Critical,
                format!(
                    "Active methotrexate with {} (< {}): stop or hold (toxicity risk)",
                    renal.figure(),
                    num(policy.mtx_egfr_avoid_below)
                ),
                format!(
                    "**{}**, below {}: methotrexate accumulates; hold it and review.",
                    md(&renal.describe()),
                    num(policy.mtx_egfr_avoid_below)
                ),
            ));
        }
    }
    for t in facts.orders.iter().filter(|m| m.is(Drug::TmpSmx)) {
        let order = format!("{} ({})", md(&t.name), md(&t.reference));
        concerns.push(match ds_per_day(t) {
            Some(ds) if ds >= policy.tmp_smx_treatment_ds_per_day - 1e-9 => Concern::new(
                Indicator::Critical,
                format!(
                    "Trimethoprim-sulfamethoxazole at treatment dose ({} DS/day) with methotrexate: pancytopenia risk",
                    num(ds)
                ),
                format!(
                    "**{order}**: {} double-strength tablets a day (treatment dose, ≥ {}) with active methotrexate: \
                     severe pancytopenia; hold methotrexate or choose another antibiotic.",
                    num(ds),
                    num(policy.tmp_smx_treatment_ds_per_day)
                ),
            ),
            Some(ds) => Concern::new(
                Indicator::Warning,
                "Trimethoprim-sulfamethoxazole (prophylactic dose) with methotrexate: monitor CBC".into(),
                format!(
                    "**{order}**: {} double-strength tablets a day (prophylactic dose) with active methotrexate: monitor the full blood count.",
                    num(ds)
                ),
            ),
            None => Concern::new(
                Indicator::Warning,
                "Trimethoprim-sulfamethoxazole with methotrexate: dose not read; monitor CBC".into(),
                format!(
                    "**{order}**: the dose could not be read; at ≥ {} double-strength tablets a day it is a treatment dose and \
                     must not be given with methotrexate; at a prophylactic dose monitor the full blood count.",
                    num(policy.tmp_smx_treatment_ds_per_day)
                ),
            ),
        });
    }
    out.findings.extend(drug_check::card(
        TOPIC,
        active,
        "Active methotrexate",
        concerns,
        SOURCES,
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
