//! # Mycophenolate order check (`mmf-order`)
//!
//! Mycophenolate mofetil is used up to 3 g/day (1.5 g twice daily);
//! enteric-coated mycophenolic acid 720 mg is equivalent to mofetil 1,000 mg,
//! so its ceiling is 2,160 mg/day (mycophenolate label; BSR 2017 DMARD
//! guideline, Ledingham et al. 2017).
//!
//! Service policy (second edition): weight-independent absolute limits catch
//! unit slips: above → warning, ≥ 2× → critical. Pregnancy, planning and
//! breastfeeding are the pregnancy rule's card. The pre-treatment lines
//! (hepatitis B, blood counts and ALT, pregnancy test) are folded in.

use std::sync::LazyLock;

use regex::Regex;

use super::drug_check::{self, Card, Per, Substance};
use crate::clinical::Outcome;
use crate::clinical::{OverrideReason, Policy, Topic};
use crate::facts::{Facts, Med};
use crate::terminology::medication::Drug;

pub const TOPIC: Topic = Topic {
    code: "mmf-order",
    display: "Mycophenolate order check",
};

/// The card topics this rule can produce.
pub const TOPICS: &[Topic] = &[TOPIC];

pub const SETTINGS: &[&str] = &[
    "mmf_max_mg_per_day",
    "mpa_max_mg_per_day",
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

static MPA: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(mycophenolic acid|mycophenolate sodium|myfortic)").expect("static regex")
});

/// Mycophenolic acid (enteric-coated sodium salt) rather than the mofetil.
pub fn is_mycophenolic_acid(m: &Med) -> bool {
    MPA.is_match(&m.name) || m.identified.as_ref().is_some_and(|i| MPA.is_match(&i.name))
}

/// Builds this rule's text matchers (at start-up, not on a first request).
pub(super) fn warm() {
    LazyLock::force(&MPA);
}

pub fn evaluate(facts: &Facts, policy: &Policy) -> Outcome<super::drug_check::Found> {
    let mut out = Outcome::default();
    for m in facts.orders.iter().filter(|m| m.is(Drug::Mycophenolate)) {
        let mut concerns = Vec::new();
        if let Some((mg, known)) = drug_check::per_day_at_least(m) {
            let (substance, limit) = if is_mycophenolic_acid(m) {
                (Substance::MycophenolicAcid, policy.mpa_max_mg_per_day)
            } else {
                (Substance::MycophenolateMofetil, policy.mmf_max_mg_per_day)
            };
            let per = if known {
                Per::Day
            } else {
                Per::DoseFrequencyUnknown
            };
            concerns.extend(drug_check::absolute_limit(
                substance, per, mg, limit, policy,
            ));
        }
        concerns.extend(drug_check::pretreatment(facts, policy, Drug::Mycophenolate));
        out.findings.extend(drug_check::card(
            TOPIC,
            m,
            Card::Mycophenolate,
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
