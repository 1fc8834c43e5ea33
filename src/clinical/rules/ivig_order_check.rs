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

use super::drug_check::{self, Card, Per, Substance};
use super::{Need, Outcome};
use crate::clinical::body::{dosing_weight_of, round_to, DosingWeight, WeightUsed};
use crate::clinical::{
    Direction, Finding, Indicator, OverrideReason, Policy, Pull, Selection, Topic, What,
};
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

/// An IVIG course above the g/kg dosing-weight limit.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    /// The order's name as recorded, raw.
    pub order: String,
    /// g per dose, as ordered.
    pub per_dose_g: f64,
    /// Doses in the course, when stated (else each dose is compared).
    pub doses: Option<f64>,
    /// g per course (or per dose when the course is not stated).
    pub course_g: f64,
    /// The guidance's range, g/kg dosing weight per course.
    pub g_per_kg_low: f64,
    pub g_per_kg_high: f64,
    /// Days the course is given over.
    pub days: f64,
    /// `g_per_kg_high` × dosing weight, rounded to the gram.
    pub limit_g: f64,
    /// The weight used, with what is doubtful about it.
    pub weight: WeightUsed,
    /// Ideal, dosing and adjusted body weight.
    pub dosing: DosingWeight,
}

pub fn evaluate(facts: &Facts, policy: &Policy) -> Outcome {
    let mut out = Outcome::default();
    for m in facts.orders.iter().filter(|m| m.is(Drug::Ivig)) {
        let Some(dose) = &m.dose else { continue };
        let doses = m
            .count
            .or_else(|| Some(m.course_days? * dose.schedule()?.per_day()));
        let per_dose_g = dose.mg / 1000.0;
        let course_g = per_dose_g * doses.unwrap_or(1.0);
        let per = match doses {
            Some(n) => Per::Course {
                per_dose: per_dose_g,
                doses: n,
            },
            None => Per::DoseCourseUnknown,
        };
        if let Some(c) = drug_check::absolute_limit(
            Substance::Ivig,
            per,
            course_g,
            policy.ivig_max_g_per_course,
            policy,
        ) {
            out.findings.extend(drug_check::card(
                TOPIC_LIMIT,
                m,
                Card::Ivig,
                vec![c],
                None,
                vec![
                    OverrideReason::DoseAppropriate,
                    OverrideReason::BenefitOutweighsRisk,
                ],
            ));
            // The g/kg check still speaks: above the absolute limit an
            // order dosed on actual weight in an obese patient must also
            // be told its ideal-body-weight dose (two warnings of different
            // topics may stand side by side).
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
        let Some(weight) = WeightUsed::of(facts, policy) else {
            continue;
        };
        out.findings.push(Finding {
            topic: TOPIC,
            indicator: Indicator::Warning,
            what: What::IvigOrderCheck(Found {
                order: m.name.clone(),
                per_dose_g,
                doses,
                course_g,
                g_per_kg_low: policy.ivig_g_per_kg_low,
                g_per_kg_high: policy.ivig_g_per_kg_high,
                days: policy.ivig_days,
                limit_g: limit,
                weight,
                dosing: dw,
            }),
            notes: vec![],
            pull: Some(Pull {
                order: m.reference.clone(),
                direction: Direction::Lower,
            }),
            suggestions: vec![],
            selection: Selection::AtMostOne,
            override_reasons: vec![
                OverrideReason::DoseAppropriate,
                OverrideReason::BenefitOutweighsRisk,
            ],
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

    /// An obese patient dosed on actual weight (2 g/kg × 120 kg = 240 g):
    /// above the absolute limit, and the g/kg card names the ideal-body-
    /// weight dose (Devine: 65.9 kg → 65.9–132 g per course).
    #[test]
    fn an_obese_patient_is_told_the_ideal_body_weight_dose() {
        let mut f = with_body(
            patient(&[Concept::Dermatomyositis]),
            Sex::Male,
            120.0,
            Some(170.0),
        );
        let mut m = med(
            Drug::Ivig,
            120_000.0,
            Schedule::DAILY,
            Route::Intravenous,
            "ivig",
        );
        m.count = Some(2.0);
        f.orders.push(m);
        let out = evaluate(&f, &Policy::default());
        let topics: Vec<_> = out.findings.iter().map(|c| c.topic.code).collect();
        assert_eq!(topics, vec![TOPIC_LIMIT.code, TOPIC.code]);
        let dose = &out.findings[1];
        assert!(
            dose.summary().contains("above 2 g/kg (132 g)"),
            "{}",
            dose.summary()
        );
        assert!(
            dose.detail().contains("65.9–132 g per course"),
            "{}",
            dose.detail()
        );
    }

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
