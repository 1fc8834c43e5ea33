//! # Rituximab order check (`rtx-order`)
//!
//! Guidance: "Rituximab 1,000 mg × 2 doses, 2 weeks apart"; the other regimen
//! in use is 375 mg/m² weekly (Oddis et al. 2013, RIM trial).
//!
//! Service policy (second edition): a dose above 1,000 mg → warning, ≥ 2× →
//! critical (a limit that needs no weight, to catch unit slips); a dose that
//! is neither 1,000 mg nor 375 mg/m² (Mosteller BSA, within the tolerance) →
//! info. Hepatitis B before rituximab is folded in.

use super::drug_check::{self, Basis, Card, Concern, Kind, Per, Substance};
use crate::clinical::Outcome;
use crate::clinical::body::{bsa_mosteller, WeightUsed};
use crate::clinical::{Indicator, OverrideReason, Policy, Topic};
use crate::facts::Facts;
use crate::terminology::medication::Drug;

pub const TOPIC: Topic = Topic {
    code: "rtx-order",
    display: "Rituximab order check",
};

/// The card topics this rule can produce.
pub const TOPICS: &[Topic] = &[TOPIC];

pub const SETTINGS: &[&str] = &[
    "rtx_dose_mg",
    "rtx_max_mg_per_dose",
    "rtx_mg_per_m2",
    "rtx_bsa_tolerance_pct",
    "dose_slip_factor",
];

pub fn evaluate(facts: &Facts, policy: &Policy) -> Outcome<super::drug_check::Found> {
    let mut out = Outcome::default();
    for m in facts.orders.iter().filter(|m| m.is(Drug::Rituximab)) {
        let mut concerns = Vec::new();
        let mut basis = None;
        if let Some(d) = &m.dose {
            let absolute = drug_check::absolute_limit(
                Substance::Rituximab,
                Per::Dose,
                d.mg,
                policy.rtx_max_mg_per_dose,
                policy,
            );
            let standard = (d.mg - policy.rtx_dose_mg).abs() < 1e-6;
            let bsa = match (facts.weight(), facts.height()) {
                (Some(w), Some(h)) => Some((bsa_mosteller(h.value, w.value), h)),
                _ => None,
            };
            let by_bsa = bsa.is_some_and(|(b, _)| {
                (d.mg / b - policy.rtx_mg_per_m2).abs()
                    <= policy.rtx_mg_per_m2 * policy.rtx_bsa_tolerance_pct / 100.0
            });
            if absolute.is_none() && !standard && !by_bsa {
                concerns.push(Concern::new(
                    Indicator::Info,
                    Kind::RituximabRegimen {
                        mg: d.mg,
                        fixed_mg: policy.rtx_dose_mg,
                        mg_per_m2: policy.rtx_mg_per_m2,
                        bsa: bsa.map(|(b, _)| b),
                    },
                ));
                basis = match (bsa, WeightUsed::of(facts, policy)) {
                    (Some((bsa, height)), Some(weight)) => Some(Basis::Bsa {
                        weight,
                        height: height.clone(),
                        bsa,
                    }),
                    _ => None,
                };
            }
            concerns.extend(absolute);
        }
        concerns.extend(drug_check::pretreatment(facts, policy, Drug::Rituximab));
        out.findings.extend(drug_check::card(
            TOPIC,
            m,
            Card::Rituximab,
            concerns,
            basis,
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
