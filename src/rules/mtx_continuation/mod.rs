//! # Methotrexate continuation (`mtx-continue`)
//!
//! Guidance: "Continue for at least 12 months after achieving clinical
//! remission before considering tapering."
//!
//! Service policy: shown where a methotrexate stop or taper is
//! ordered: a methotrexate order with status stopped, cancelled, completed or
//! on-hold, or a methotrexate order with a lower weekly dose than the active
//! one → info with the time on methotrexate.

pub mod words;

use chrono::NaiveDate;

use crate::clinical::Outcome;
use crate::clinical::{Finding, Indicator, OverrideReason, Policy, Selection, Topic};
use crate::facts::Facts;
use crate::terminology::medication::Drug;

/// A methotrexate stop or taper ordered while methotrexate is active.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    /// Stopped (status stopped, cancelled, completed or on hold) rather than
    /// lowered.
    pub stop: bool,
    /// The order (record text).
    pub order_name: String,
    /// Its weekly dose, when known.
    pub order_per_week_mg: Option<f64>,
    /// The active methotrexate (record text).
    pub active_name: String,
    /// Its weekly dose, when known.
    pub active_per_week_mg: Option<f64>,
    /// When the active order was written, and whole months since.
    pub since: Option<(NaiveDate, f64)>,
    /// Policy: months to continue after remission before tapering.
    pub continue_months: f64,
}

pub const TOPIC: Topic = Topic {
    code: "mtx-continue",
    display: "Methotrexate continuation after remission",
};

/// The card topics this rule can produce.
pub const TOPICS: &[Topic] = &[TOPIC];

pub const SETTINGS: &[&str] = &["mtx_continue_months_after_remission"];

pub fn evaluate(facts: &Facts, policy: &Policy) -> Outcome<Found> {
    let mut out = Outcome::default();
    let Some(active) = facts.active_meds.iter().find(|m| m.is(Drug::Methotrexate)) else {
        return out;
    };
    let active_week = active.dose.as_ref().and_then(|d| d.per_week_mg());
    for m in facts.orders.iter().filter(|m| m.is(Drug::Methotrexate)) {
        let stop = matches!(
            m.status.as_deref(),
            Some("stopped" | "cancelled" | "completed" | "on-hold")
        );
        let lower = match (m.dose.as_ref().and_then(|d| d.per_week_mg()), active_week) {
            (Some(new), Some(old)) => new < old,
            _ => false,
        };
        if !stop && !lower {
            continue;
        }
        let since = active.authored.map(|d| {
            let months = (facts.today - d).num_days() as f64 / 30.44;
            (d, months.floor())
        });
        out.findings.push(Finding {
            topic: TOPIC,
            indicator: Indicator::Info,
            what: Found {
                stop,
                order_name: m.name.clone(),
                order_per_week_mg: m.dose.as_ref().and_then(|d| d.per_week_mg()),
                active_name: active.name.clone(),
                active_per_week_mg: active_week,
                since,
                continue_months: policy.mtx_continue_months_after_remission,
            },
            notes: vec![],
            pull: None,
            suggestions: vec![],
            selection: Selection::AtMostOne,
            override_reasons: vec![
                OverrideReason::BenefitOutweighsRisk,
                OverrideReason::PatientDeclined,
            ],
        });
    }
    out
}

impl crate::clinical::Reads for Found {
    const AREAS: &'static [crate::facts::DataArea] = &[crate::facts::DataArea::RenalFunction];
}

#[cfg(test)]
mod cases;
