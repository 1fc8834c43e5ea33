//! # IVIG order check (`ivig-dose`)
//!
//! Guidance: "Dose: 1-2 g/kg ideal body weight over 2 consecutive days".
//! POLICY.md: an IVIG order → warning above 2 g/kg dosing weight (ideal body
//! weight, or actual if lower) per course; the card shows ideal and adjusted
//! body weight. The course is the dose × `timing.repeat.count`, or × the
//! doses over `boundsDuration`; without either, each dose is compared. The
//! limit is rounded to the nearest gram (vials hold 5-20 g).
//!
//! Second edition: a weight-independent absolute limit catches unit slips
//! even without a weight: above 160 g per course → warning, ≥ 2× →
//! critical (`ivig-absolute-limit`, which then replaces the g/kg card).

/// What this rule found (free text until typed).
pub type Found = crate::clinical::Words;

use super::{Need, Outcome};
use crate::clinical::body::{dosing_weight_of, round_to};
use crate::clinical::text::{self, md, num};
use crate::clinical::{Finding, Indicator, OverrideReason, Policy, Selection, Topic};
use crate::clinical::{What, Words};
use crate::facts::Facts;
use crate::terminology::medication::Drug;

pub const TOPIC: Topic = Topic {
    code: "ivig-dose",
    display: "IVIG course above the g/kg dosing-weight limit",
};

pub const TOPIC_LIMIT: Topic = Topic {
    code: "ivig-absolute-limit",
    display: "IVIG course above the absolute limit",
};

pub const SETTINGS: &[&str] = &[
    "ivig_g_per_kg_low",
    "ivig_g_per_kg_high",
    "ivig_days",
    "ivig_max_g_per_course",
    "dose_slip_factor",
];

pub fn evaluate(facts: &Facts, policy: &Policy) -> Outcome {
    let mut out = Outcome::default();
    for m in facts.orders.iter().filter(|m| m.is(Drug::Ivig)) {
        let Some(dose) = &m.dose else { continue };
        let doses = m
            .count
            .or_else(|| Some(m.course_days? * dose.schedule()?.per_day()));
        let (course_g, how) = match doses {
            Some(n) => (
                dose.mg * n / 1000.0,
                format!("{} g × {} doses", num(dose.mg / 1000.0), num(n)),
            ),
            None => (
                dose.mg / 1000.0,
                format!(
                    "{} g per dose (course length not stated)",
                    num(dose.mg / 1000.0)
                ),
            ),
        };
        if let Some(c) = super::drug_check::absolute_limit(
            if doses.is_some() {
                "IVIG per course"
            } else {
                "IVIG per dose (course length not stated)"
            },
            course_g,
            policy.ivig_max_g_per_course,
            "g",
            policy,
        ) {
            out.findings.extend(super::drug_check::card(
                TOPIC_LIMIT,
                m,
                "IVIG dose",
                vec![c],
                "Sources: guidance (IVIG 1-2 g/kg over 2 days); absolute limit: local policy.",
                vec![
                    OverrideReason::DoseAppropriate,
                    OverrideReason::BenefitOutweighsRisk,
                ],
            ));
            continue;
        }
        let dw = match dosing_weight_of(facts) {
            Ok(dw) => dw,
            Err(figure) => {
                out.needs.push(Need {
                    figure,
                    why: "IVIG g/kg (dosing weight) not checked".into(),
                });
                continue;
            }
        };
        // Rounded to the gram: vials hold 5-20 g, a fraction of a gram is no finding.
        let limit = round_to(policy.ivig_g_per_kg_high * dw.dosing, 1.0);
        if course_g <= limit + 1e-9 {
            continue;
        }
        out.findings.push(Finding {
            topic: TOPIC,
            indicator: Indicator::Warning,
            what: What::IvigOrderCheck(Words {
                summary: text::summary(format!(
                    "IVIG {} g per course = {:.2} g/kg dosing weight: above {} g/kg ({:.0} g)",
                    num(course_g),
                    course_g / dw.dosing,
                    num(policy.ivig_g_per_kg_high),
                    limit
                )),
                detail: format!(
                    "**IVIG dose.** {} ({}): {how} = **{} g**.\n\n{}\n- Guidance {}–{} g/kg dosing weight over {} days = {:.0}–{:.0} g per course\n\n\
                     Sources: guidance (IVIG); Devine 1974 ideal body weight; dosing and adjusted body weight: local policy.",
                    md(&m.name),
                    md(&m.reference),
                    num(course_g),
                    dw.lines,
                    num(policy.ivig_g_per_kg_low),
                    num(policy.ivig_g_per_kg_high),
                    num(policy.ivig_days),
                    policy.ivig_g_per_kg_low * dw.dosing,
                    limit
                ),
            }),
            notes: vec![],
            pull: None,
            suggestions: vec![],
            selection: Selection::AtMostOne,
            override_reasons: vec![OverrideReason::DoseAppropriate, OverrideReason::BenefitOutweighsRisk],
        });
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
    fn absolute_limit_without_a_weight() {
        // (g per dose, count, expected topic and indicator)
        let cases = [
            (80.0, Some(2.0), None),
            (85.0, Some(2.0), Some(Indicator::Warning)),
            (160.0, Some(2.0), Some(Indicator::Critical)),
            (170.0, None, Some(Indicator::Warning)),
            (70_000.0, None, Some(Indicator::Critical)),
        ];
        for (g, count, want) in cases {
            let mut f = patient(&[Concept::Dermatomyositis]);
            let mut m = med(
                Drug::Ivig,
                g * 1000.0,
                Schedule::DAILY,
                Route::Intravenous,
                "ivig",
            );
            m.count = count;
            f.orders.push(m);
            let out = evaluate(&f, &Policy::default());
            let limit = out.findings.iter().find(|c| c.topic == TOPIC_LIMIT);
            assert_eq!(limit.map(|c| c.indicator), want, "{g} {count:?}");
            // The absolute limit replaces the g/kg card and needs no weight.
            assert!(!out.findings.iter().any(|c| c.topic == TOPIC));
        }
    }

    #[test]
    fn course_table() {
        // Male 180 cm, 90 kg: dosing weight 75.0 kg → 2 g/kg = 150 g.
        // (g per dose, count, warning)
        let cases = [
            (75.0, Some(2.0), false),
            (76.0, Some(2.0), true),
            (150.0, Some(1.0), false),
            (40.0, Some(4.0), true),
            (160.0, None, true),
            (100.0, None, false),
        ];
        for (g, count, warn) in cases {
            let mut f = with_body(
                patient(&[Concept::Dermatomyositis]),
                Sex::Male,
                90.0,
                Some(180.0),
            );
            let mut m = med(
                Drug::Ivig,
                g * 1000.0,
                Schedule::DAILY,
                Route::Intravenous,
                "ivig",
            );
            m.count = count;
            f.orders.push(m);
            let out = evaluate(&f, &Policy::default());
            assert_eq!(out.findings.len(), usize::from(warn), "{g} {count:?}");
            if warn {
                assert!(out.findings[0].detail().contains("adjusted body weight"));
            }
        }
    }
}
