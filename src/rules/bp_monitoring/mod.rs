//! # Blood-pressure monitoring (`bp-monitoring-gc`)
//!
//! Guidance: "Blood pressure monitoring for scleroderma renal crisis (critical
//! in overlap patients on corticosteroids)."
//!
//! POLICY.md: SSc and any systemic glucocorticoid order below 15 mg/day
//! prednisone-equivalent (with active glucocorticoids counted) → info, with the
//! same BP-monitoring and creatinine suggestion as the renal crisis card. Where
//! no order's dose can be computed, this card says so instead of guessing: it
//! never appears together with the renal crisis card.

pub mod words;

use super::renal_crisis_risk::{both_continue, gc_lines, GcLine};
use crate::clinical::{Outcome};
use super::monitoring_orders::{bp_and_creatinine, MONITORING_OVERRIDES};
use crate::clinical::steroids::Exposure;
use crate::clinical::PatientScope;
use crate::clinical::{Finding, Indicator, Policy, Selection, Topic};
use crate::facts::Facts;

/// What this rule found: a systemic glucocorticoid below the renal crisis
/// threshold, or one whose dose could not be computed.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    /// Prednisone-equivalent mg/day after the orders; `None` when no
    /// order's dose could be computed.
    pub total_mg: Option<f64>,
    /// The renal crisis threshold (policy `src_threshold_mg_per_day`).
    pub threshold_mg: f64,
    /// Each glucocorticoid counted, orders first.
    pub exposure: Vec<GcLine>,
    /// The total if an order and the active one it replaces both continued,
    /// when only that sum reaches the threshold.
    pub both_continue_mg: Option<f64>,
}

pub const TOPIC: Topic = Topic {
    code: "bp-monitoring-gc",
    display: "Blood-pressure monitoring on corticosteroids in SSc",
};

/// The card topics this rule can produce.
pub const TOPICS: &[Topic] = &[TOPIC];

pub const SETTINGS: &[&str] = &[
    "src_threshold_mg_per_day",
    "src_bp_systolic",
    "src_bp_diastolic",
    "src_suspected_sbp_rise",
    "betamethasone_equivalent_mg",
];

pub fn evaluate(facts: &Facts, policy: &Policy) -> Outcome<Found> {
    let mut out = Outcome::default();
    if !facts.has_ssc() {
        return out;
    }
    let exp = Exposure::of(facts, policy);
    if exp.orders.is_empty() {
        return out;
    }
    let known = exp.orders.iter().any(|u| u.pred_eq_at_least.is_some());
    let total = exp.total_after();
    if known && total >= policy.src_threshold_mg_per_day {
        return out; // the renal crisis card covers it
    }
    out.findings.push(Finding {
        topic: TOPIC,
        indicator: Indicator::Info,
        what: Found {
            total_mg: known.then_some(total),
            threshold_mg: policy.src_threshold_mg_per_day,
            exposure: gc_lines(&exp),
            both_continue_mg: both_continue(&exp, policy),
        },
        notes: vec![],
        pull: None,
        suggestions: bp_and_creatinine(policy),
        selection: Selection::Any,
        override_reasons: MONITORING_OVERRIDES.to_vec(),
    });
    out
}

impl crate::clinical::Reads for Found {
    const AREAS: &'static [crate::facts::DataArea] = &[crate::facts::DataArea::BloodPressure];
}

#[cfg(test)]
mod cases;
