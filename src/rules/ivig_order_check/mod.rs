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

pub mod words;

use super::drug_check::{self, Card, Per, Substance};
use crate::clinical::{Need, Outcome, Unchecked};
use crate::clinical::body::{dosing_weight_of, round_to, DosingWeight, WeightUsed};
use crate::clinical::{
    Direction, Finding, Indicator, OverrideReason, Policy, Pull, Selection, Topic, Either,
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

/// The card topics this rule can produce.
pub const TOPICS: &[Topic] = &[TOPIC, TOPIC_LIMIT];

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

/// Its cards: the absolute limit on the order checks' shared card, the g/kg
/// dose on its own.
pub fn evaluate(facts: &Facts, policy: &Policy) -> Outcome<Either<drug_check::Found, Found>> {
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
            out.findings.extend(
                drug_check::card(
                TOPIC_LIMIT,
                m,
                Card::Ivig,
                vec![c],
                None,
                vec![
                    OverrideReason::DoseAppropriate,
                    OverrideReason::BenefitOutweighsRisk,
                ],
            )
                .map(|f| f.map(Either::Left)),
            );
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
                    why: Unchecked::IvigGPerKg,
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
            what: Either::Right(Found {
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

impl crate::clinical::Reads for Found {
    const AREAS: &'static [crate::facts::DataArea] = &[crate::facts::DataArea::Weight, crate::facts::DataArea::Height];
}

#[cfg(test)]
mod cases;
