//! # Cyclophosphamide order check (`cyc-order`)
//!
//! Guidance: cyclophosphamide every 4 weeks for 3–6 months for severe ILD.
//! IV pulses are usually 500–1,000 mg/m² (at most about 1,200 mg); the dose is
//! reduced when renal function is poor (EUSTAR/EULAR 2017 SSc recommendations,
//! Kowal-Bielecka et al. 2017; cyclophosphamide label).
//!
//! Service policy (second edition): above 1,500 mg per dose → warning, ≥ 2× →
//! critical (no weight needed: catches unit slips); eGFR < 30 → warning.
//! Pregnancy, planning and breastfeeding are the pregnancy rule's card. The
//! pre-treatment lines (hepatitis B, blood counts and ALT, pregnancy test)
//! are folded in.

use super::drug_check::{self, Card, Concern, Kind, Per, Substance};
use crate::clinical::Outcome;
use crate::clinical::{Indicator, OverrideReason, Policy, Topic};
use crate::facts::Facts;
use crate::terminology::medication::Drug;

pub const TOPIC: Topic = Topic {
    code: "cyc-order",
    display: "Cyclophosphamide order check",
};

/// The card topics this rule can produce.
pub const TOPICS: &[Topic] = &[TOPIC];

pub const SETTINGS: &[&str] = &[
    "cyc_max_mg_per_dose",
    "cyc_egfr_warn_below",
    "dose_slip_factor",
    "pretreatment_lab_max_age_days",
    "neutrophils_min",
    "platelets_min",
    "leukocytes_min",
    "alt_max_x_uln",
    "hcg_test_max_age_days",
    "contraception_age_min",
    "contraception_age_max",
];

pub fn evaluate(facts: &Facts, policy: &Policy) -> Outcome<super::drug_check::Found> {
    let mut out = Outcome::default();
    for m in facts.orders.iter().filter(|m| m.is(Drug::Cyclophosphamide)) {
        let mut concerns = Vec::new();
        if let Some(d) = &m.dose {
            concerns.extend(drug_check::absolute_limit(
                Substance::Cyclophosphamide,
                Per::Dose,
                d.mg,
                policy.cyc_max_mg_per_dose,
                policy,
            ));
        }
        let renal = facts.renal();
        if let Some(egfr) = renal.value() {
            if egfr < policy.cyc_egfr_warn_below {
                concerns.push(Concern::new(
                    Indicator::Warning,
                    Kind::CyclophosphamideRenal {
                        renal: renal.clone(),
                        below: policy.cyc_egfr_warn_below,
                    },
                ));
            }
        }
        concerns.extend(drug_check::pretreatment(
            facts,
            policy,
            Drug::Cyclophosphamide,
        ));
        out.findings.extend(drug_check::card(
            TOPIC,
            m,
            Card::Cyclophosphamide,
            concerns,
            None,
            vec![
                OverrideReason::DoseAppropriate,
                OverrideReason::BenefitOutweighsRisk,
            ],
        ));
    }
    out
}

#[cfg(test)]
mod cases;
