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
use super::Outcome;
use crate::clinical::pretreatment;
use crate::clinical::{OverrideReason, Policy, Topic};
use crate::facts::{Facts, Med};
use crate::terminology::medication::Drug;

pub const TOPIC: Topic = Topic {
    code: "mmf-order",
    display: "Mycophenolate order check",
};

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

pub fn evaluate(facts: &Facts, policy: &Policy) -> Outcome {
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
        concerns.extend(pretreatment::concerns(facts, policy, Drug::Mycophenolate));
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
mod tests {
    use super::*;
    use crate::clinical::rules::test_support::*;
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
}
