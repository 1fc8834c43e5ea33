//! # IV methylprednisolone (`ivmp-dose`, `ivmp-indication`)
//!
//! Guidance: "IV methylprednisolone: Add 10-20 mg/kg for 1-5 consecutive days
//! for severe weakness, dysphagia, or respiratory muscle involvement —
//! Consider pulse IV methylprednisolone (30 mg/kg) with various administration
//! schedules as an alternative initial approach."
//!
//! POLICY.md: an IV methylprednisolone order → warning above 20 mg/kg/day (or
//! above 30 mg/kg for a pulse) or above 1,000 mg/day (standard-practice cap,
//! REFERENCE.md 3), and beyond 5 days; info when no severity marker
//! (dysphagia, respiratory involvement, severe weakness) is recorded.
//!
//! A pulse is an order of at most `ivmp_pulse_max_doses` doses (stated by
//! `timing.repeat.count`); without a count the daily regimen limit applies.
//! Respiratory involvement is read from the ILD codes (they include "with
//! respiratory involvement"); severe weakness has no code and is named as not
//! checkable. Without a weight the 1,000 mg cap is still checked.

pub mod words;

use crate::clinical::{Figure, Need, Outcome, Unchecked};
use crate::clinical::body::WeightUsed;
use crate::clinical::{
    Direction, Finding, Indicator, OverrideReason, Policy, Pull, Selection, Topic,
};
use crate::facts::{Facts, Route, Schedule};
use crate::terminology::medication::{DoseForm, Drug, Gc};
use crate::terminology::Concept;

/// What this rule found.
#[derive(Debug, Clone, PartialEq)]
pub enum Found {
    /// The dose or course is outside the guidance or the cap.
    Dose(Box<Dose>),
    /// No severity marker (dysphagia, respiratory involvement) on record.
    Indication {
        /// The order's name as sent (record text).
        order_name: String,
    },
}

/// An IV methylprednisolone order's figures against its limits.
#[derive(Debug, Clone, PartialEq)]
pub struct Dose {
    /// The order's name as sent (record text).
    pub order_name: String,
    /// How the dose was read from the order (record text).
    pub derivation: crate::facts::Derivation,
    /// The order's schedule, when known.
    pub schedule: Option<Schedule>,
    /// Doses ordered (`timing.repeat.count`), when stated.
    pub count: Option<f64>,
    /// mg/day (mg per dose when the schedule is unknown).
    pub per_day_mg: f64,
    /// No schedule: one dose read as one day.
    pub schedule_unknown: bool,
    /// At most `ivmp_pulse_max_doses` doses: judged as a pulse.
    pub pulse: bool,
    /// The weight used, when there is one.
    pub weight: Option<WeightUsed>,
    /// `per_day_mg` ÷ weight.
    pub mg_per_kg: Option<f64>,
    /// Policy figures: the guidance range (mg/kg/day), pulse (mg/kg), days,
    /// and the mg/day cap.
    pub low_per_kg: f64,
    pub high_per_kg: f64,
    pub pulse_per_kg: f64,
    pub max_days: f64,
    pub cap_mg: f64,
    /// Prednisone mg per mg of methylprednisolone.
    pub factor: f64,
    /// Course length in days, when known.
    pub days: Option<f64>,
    /// Which limits the order crosses.
    pub above_cap: bool,
    pub above_per_kg: bool,
    pub too_long: bool,
    /// Twice a limit or more.
    pub twice: bool,
}

impl Dose {
    /// The mg/kg limit: the pulse figure, for pulses and daily regimens
    /// alike (the guidance's 10–20 mg/kg/day lies within it).
    pub fn per_kg_limit(&self) -> f64 {
        self.pulse_per_kg
    }
}

pub const TOPIC_DOSE: Topic = Topic {
    code: "ivmp-dose",
    display: "IV methylprednisolone dose",
};
pub const TOPIC_INDICATION: Topic = Topic {
    code: "ivmp-indication",
    display: "IV methylprednisolone without a recorded severity marker",
};

/// The card topics this rule can produce.
pub const TOPICS: &[Topic] = &[TOPIC_DOSE, TOPIC_INDICATION];

pub const SETTINGS: &[&str] = &[
    "ivmp_mg_per_kg_low",
    "ivmp_mg_per_kg_high",
    "ivmp_pulse_mg_per_kg",
    "ivmp_max_mg_per_day",
    "ivmp_max_days",
    "ivmp_pulse_max_doses",
    "weight_max_age_days",
    "weight_conflict_pct",
];

pub fn evaluate(facts: &Facts, policy: &Policy) -> Outcome<Found> {
    let mut out = Outcome::default();
    for m in &facts.orders {
        let iv = m.route == Route::Intravenous
            || (m.route == Route::OtherSystemic
                && m.identified
                    .as_ref()
                    .is_some_and(|i| i.form == DoseForm::Injection));
        if m.drug() != Some(Drug::Glucocorticoid(Gc::Methylprednisolone)) || !iv {
            continue;
        }
        let Some(dose) = &m.dose else { continue };
        let (per_day, schedule_unknown) = match dose.per_day_mg() {
            Some(d) => (d, false),
            None => (dose.mg, true),
        };
        let pulse = m.count.is_some_and(|c| c <= policy.ivmp_pulse_max_doses);
        let days = m.course_days.or_else(|| {
            let s = dose.schedule()?;
            Some(m.count? * s.period_days / s.frequency)
        });
        // Twice a limit or more: critical (POLICY second edition, "a dose >= 2x
        // a threshold or absolute limit").
        let mut twice = per_day >= 2.0 * policy.ivmp_max_mg_per_day - 1e-9;
        let above_cap = per_day > policy.ivmp_max_mg_per_day;
        let weight = WeightUsed::of(facts, policy);
        // POLICY third edition ("IV methylprednisolone"): 10–20 mg/kg/day is
        // the guidance dose and a pulse of up to 30 mg/kg/day (1,000 mg/day at
        // most) for up to 5 days its alternative: an order within that draws
        // no card, whether or not its count of doses is stated.
        let limit = policy.ivmp_pulse_mg_per_kg;
        let mg_per_kg = weight.as_ref().map(|w| per_day / w.reading.value);
        let mut above_per_kg = false;
        match mg_per_kg {
            Some(x) => {
                twice |= x >= 2.0 * limit - 1e-9;
                above_per_kg = x > limit + 1e-9;
            }
            None => out.needs.push(Need {
                figure: Figure::Weight,
                why: Unchecked::IvMethylprednisoloneMgPerKg,
            }),
        }
        let too_long = days.is_some_and(|d| d > policy.ivmp_max_days + 1e-9);
        if above_cap || above_per_kg || too_long {
            out.findings.push(Finding {
                topic: TOPIC_DOSE,
                indicator: if twice {
                    Indicator::Critical
                } else {
                    Indicator::Warning
                },
                what: Found::Dose(Box::new(Dose {
                    order_name: m.name.clone(),
                    derivation: dose.derivation.clone(),
                    schedule: dose.schedule(),
                    count: m.count,
                    per_day_mg: per_day,
                    schedule_unknown,
                    pulse,
                    weight,
                    mg_per_kg,
                    low_per_kg: policy.ivmp_mg_per_kg_low,
                    high_per_kg: policy.ivmp_mg_per_kg_high,
                    pulse_per_kg: policy.ivmp_pulse_mg_per_kg,
                    max_days: policy.ivmp_max_days,
                    cap_mg: policy.ivmp_max_mg_per_day,
                    factor: crate::clinical::steroids::factor(Gc::Methylprednisolone, policy),
                    days,
                    above_cap,
                    above_per_kg,
                    too_long,
                    twice,
                })),
                notes: vec![],
                // A dose above a limit pulls it down; a course too long alone does not.
                pull: (above_cap || above_per_kg).then(|| Pull {
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
        let marked = facts.diagnoses.iter().any(|d| {
            d.active
                && d.concepts
                    .iter()
                    .any(|c| matches!(c, Concept::Dysphagia | Concept::Ild | Concept::SscIld))
        });
        if !marked {
            out.findings.push(Finding {
                topic: TOPIC_INDICATION,
                indicator: Indicator::Info,
                what: Found::Indication {
                    order_name: m.name.clone(),
                },
                notes: vec![],
                pull: None,
                suggestions: vec![],
                selection: Selection::AtMostOne,
                override_reasons: vec![
                    OverrideReason::DiagnosisNotConfirmed,
                    OverrideReason::BenefitOutweighsRisk,
                ],
            });
        }
    }
    out
}

impl crate::clinical::Reads for Found {
    const AREAS: &'static [crate::facts::DataArea] = &[crate::facts::DataArea::Weight, crate::facts::DataArea::Height];
}

#[cfg(test)]
mod cases;
