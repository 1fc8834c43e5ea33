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
use super::Outcome;
use crate::clinical::body::{bsa_mosteller, WeightUsed};
use crate::clinical::pretreatment;
use crate::clinical::{Indicator, OverrideReason, Policy, Topic};
use crate::facts::Facts;
use crate::terminology::medication::Drug;

pub const TOPIC: Topic = Topic {
    code: "rtx-order",
    display: "Rituximab order check",
};

pub const SETTINGS: &[&str] = &[
    "rtx_dose_mg",
    "rtx_max_mg_per_dose",
    "rtx_mg_per_m2",
    "rtx_bsa_tolerance_pct",
    "dose_slip_factor",
];

pub fn evaluate(facts: &Facts, policy: &Policy) -> Outcome {
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
        concerns.extend(pretreatment::concerns(facts, policy, Drug::Rituximab));
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
mod tests {
    use super::*;
    use crate::clinical::rules::test_support::*;
    use crate::facts::{Route, Schedule, Sex};
    use crate::terminology::Concept;

    #[test]
    fn dose_table() {
        // 170 cm, 70 kg: BSA 1.818 m², 375 mg/m² = 682 mg (±5 %: 648–716 mg).
        let cases = [
            (1000.0, true, None),
            (680.0, true, None),
            (720.0, true, Some(Indicator::Info)),
            (680.0, false, Some(Indicator::Info)),
            (500.0, true, Some(Indicator::Info)),
            (1200.0, true, Some(Indicator::Warning)),
            (2000.0, true, Some(Indicator::Critical)),
            (1_000_000.0, true, Some(Indicator::Critical)),
        ];
        for (mg, body, want) in cases {
            let mut f = patient(&[Concept::Dermatomyositis]);
            if body {
                f = with_body(f, Sex::Female, 70.0, Some(170.0));
            }
            let mut hb = lab(Concept::Hbsag, 0.0, "");
            hb.quantity = None;
            hb.result_text = Some("negative".into());
            let mut hc = hb.clone();
            hc.concepts = vec![Concept::AntiHbc];
            f.labs = vec![hb, hc];
            f.orders.push(med(
                Drug::Rituximab,
                mg,
                Schedule::DAILY,
                Route::Intravenous,
                "rtx",
            ));
            let out = evaluate(&f, &Policy::default());
            assert_eq!(
                out.findings.first().map(|c| c.indicator),
                want,
                "{mg} {body}"
            );
        }
    }

    #[test]
    fn hepatitis_b_positive_is_a_warning_on_the_card() {
        let mut f = patient(&[Concept::Dermatomyositis]);
        let mut hb = lab(Concept::AntiHbc, 0.0, "");
        hb.quantity = None;
        hb.result_text = Some("reactive".into());
        f.labs.push(hb);
        f.orders.push(med(
            Drug::Rituximab,
            1000.0,
            Schedule::DAILY,
            Route::Intravenous,
            "rtx",
        ));
        let out = evaluate(&f, &Policy::default());
        assert_eq!(out.findings[0].indicator, Indicator::Warning);
        assert!(out.findings[0].detail().contains("core antibody positive"));
        assert!(out.findings[0]
            .detail()
            .contains("No hepatitis B surface antigen on file"));
    }
}
