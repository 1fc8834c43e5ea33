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
use crate::clinical::Outcome;
use crate::clinical::reproductive::{self, Reproductive};
use crate::clinical::{Indicator, OverrideReason, Policy, Topic};
use crate::facts::{Facts, Med};
use crate::terminology::medication::Drug;

pub const TOPIC: Topic = Topic {
    code: "mtx-active-watch",
    display: "Active methotrexate: pregnancy, renal function, trimethoprim-sulfamethoxazole",
};

/// The card topics this rule can produce.
pub const TOPICS: &[Topic] = &[TOPIC];

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

pub fn evaluate(facts: &Facts, policy: &Policy) -> Outcome<super::drug_check::Found> {
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
mod cases;
