//! # Taper (`gc-taper`)
//!
//! Guidance: "Begin tapering prednisone after 2-4 weeks based on clinical
//! response — The goal is aggressive tapering to minimize scleroderma renal
//! crisis risk while maintaining myositis control — Taper to the lowest
//! effective dose, ideally ≤10 mg/day equivalent prednisone."
//!
//! POLICY.md: an active systemic glucocorticoid ≥ 15 mg/day for ≥ 4 weeks and
//! a new glucocorticoid order that does not lower it → info, target
//! ≤ 10 mg/day. Time on therapy runs from the earliest `authoredOn` of the
//! active systemic glucocorticoids.

pub mod words;

use crate::clinical::Outcome;
use crate::clinical::steroids::Exposure;
use crate::clinical::{
    Direction, Finding, Indicator, OverrideReason, Policy, Pull, Selection, Topic,
};
use crate::facts::Facts;
use crate::terminology::medication::Gc;
use chrono::NaiveDate;

/// What this rule found: a glucocorticoid dose kept (or raised) after the
/// weeks the guidance tapers at.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    /// The active systemic glucocorticoids.
    pub active: Vec<Active>,
    /// Their prednisone-equivalent mg/day.
    pub active_mg: f64,
    /// Whole weeks since the earliest of them was ordered.
    pub weeks: f64,
    /// Prednisone-equivalent mg/day after the new order(s).
    pub new_mg: f64,
    /// The taper target, mg/day prednisone-equivalent (policy figure).
    pub target_mg: f64,
}

/// One active glucocorticoid.
#[derive(Debug, Clone, PartialEq)]
pub struct Active {
    /// Its name as recorded (record text).
    pub name: crate::facts::Named,
    pub gc: Gc,
    /// When it was ordered.
    pub since: Option<NaiveDate>,
    /// mg/day of the drug itself, when known.
    pub mg_per_day: Option<f64>,
    /// Prednisone-equivalent mg/day, when known.
    pub pred_eq_mg: Option<f64>,
}

pub const TOPIC: Topic = Topic {
    code: "gc-taper",
    display: "Corticosteroid taper due",
};

/// The card topics this rule can produce.
pub const TOPICS: &[Topic] = &[TOPIC];

pub const SETTINGS: &[&str] = &[
    "src_threshold_mg_per_day",
    "taper_after_weeks",
    "taper_target_mg_per_day",
    "betamethasone_equivalent_mg",
];

pub fn evaluate(facts: &Facts, policy: &Policy) -> Outcome<Found> {
    let mut out = Outcome::default();
    let exp = Exposure::of(facts, policy);
    let active = exp.active_total();
    if exp.orders.iter().all(|u| u.pred_eq.is_none()) || active < policy.src_threshold_mg_per_day {
        return out;
    }
    let Some(since) = exp.active.iter().filter_map(|u| u.med.authored).min() else {
        return out;
    };
    let weeks = (facts.today - since).num_days() as f64 / 7.0;
    // What the patient takes after this order (the one reading of the orders).
    let new = exp.total_after();
    if weeks < policy.taper_after_weeks || new < active - 1e-9 {
        return out;
    }
    // The order that keeps the dose up: the first one with a dose.
    let order = exp.orders.iter().find(|u| u.pred_eq.is_some());
    out.findings.push(Finding {
        topic: TOPIC,
        indicator: Indicator::Info,
        what: Found {
            active: exp
                .active
                .iter()
                .map(|u| Active {
                    name: u.med.named(),
                    gc: u.gc,
                    since: u.med.authored,
                    mg_per_day: u.per_day_mg,
                    pred_eq_mg: u.pred_eq,
                })
                .collect(),
            active_mg: active,
            weeks: weeks.floor(),
            new_mg: new,
            target_mg: policy.taper_target_mg_per_day,
        },
        notes: vec![],
        pull: order.map(|u| Pull {
            order: u.med.reference.clone(),
            direction: Direction::Lower,
        }),
        suggestions: vec![],
        selection: Selection::AtMostOne,
        override_reasons: vec![
            OverrideReason::DoseAppropriate,
            OverrideReason::BenefitOutweighsRisk,
        ],
    });
    out
}

impl crate::clinical::Reads for Found {
    const AREAS: &'static [crate::facts::DataArea] = &[];
}

#[cfg(test)]
mod cases;
