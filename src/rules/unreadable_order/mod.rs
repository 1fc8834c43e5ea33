//! # Order that could not be read (`order-unreadable`)
//!
//! POLICY (second edition, "Older FHIR shapes"): "A DSTU2 `MedicationOrder`
//! or STU3 `MedicationRequest` in draftOrders is read [...]; a draft that
//! looks like a medication order but cannot be read gets a card saying so,
//! never silence." A warning: the order was not checked at all, and the
//! clinician should know that no check stands behind the silence.

pub mod words;

use crate::clinical::Outcome;
use crate::clinical::{Finding, Indicator, OverrideReason, Policy, Selection, Topic};
use crate::facts::{Facts, Setting};

/// What this rule found: draft medication orders that could not be read.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    /// What could not be read, one entry per order, as the reader described
    /// it (may quote record text).
    pub orders: Vec<crate::facts::UnreadableOrder>,
}

pub const TOPIC: Topic = Topic {
    code: "order-unreadable",
    display: "A medication order could not be read and was not checked",
};

/// The card topics this rule can produce.
pub const TOPICS: &[Topic] = &[TOPIC];

pub const SETTINGS: &[&str] = &[];

pub fn evaluate(facts: &Facts, _policy: &Policy) -> Outcome<Found> {
    let mut out = Outcome::default();
    if facts.setting != Setting::OrderEntry || facts.unreadable_orders.is_empty() {
        return out;
    }
    out.findings.push(Finding {
        topic: TOPIC,
        indicator: Indicator::Warning,
        what: Found {
            orders: facts.unreadable_orders.clone(),
        },
        notes: vec![],
        pull: None,
        suggestions: vec![],
        selection: Selection::AtMostOne,
        override_reasons: vec![OverrideReason::DoseAppropriate],
    });
    out
}

impl crate::clinical::Reads for Found {
    const AREAS: &'static [crate::facts::DataArea] = &[];
}

#[cfg(test)]
mod cases;
