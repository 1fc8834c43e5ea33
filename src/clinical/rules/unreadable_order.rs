//! # Order that could not be read (`order-unreadable`)
//!
//! POLICY (second edition, "Older FHIR shapes"): "A DSTU2 `MedicationOrder`
//! or STU3 `MedicationRequest` in draftOrders is read [...]; a draft that
//! looks like a medication order but cannot be read gets a card saying so,
//! never silence." A warning: the order was not checked at all, and the
//! clinician should know that no check stands behind the silence.

use super::Outcome;
use crate::clinical::What;
use crate::clinical::{Finding, Indicator, OverrideReason, Policy, Selection, Topic};
use crate::facts::{Facts, Setting};

/// What this rule found: draft medication orders that could not be read.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    /// What could not be read, one entry per order, as the reader described
    /// it (may quote record text).
    pub orders: Vec<String>,
}

pub const TOPIC: Topic = Topic {
    code: "order-unreadable",
    display: "A medication order could not be read and was not checked",
};

pub const SETTINGS: &[&str] = &[];

pub fn evaluate(facts: &Facts, _policy: &Policy) -> Outcome {
    let mut out = Outcome::default();
    if facts.setting != Setting::OrderEntry || facts.unreadable_orders.is_empty() {
        return out;
    }
    out.findings.push(Finding {
        topic: TOPIC,
        indicator: Indicator::Warning,
        what: What::UnreadableOrder(Found {
            orders: facts.unreadable_orders.clone(),
        }),
        notes: vec![],
        pull: None,
        suggestions: vec![],
        selection: Selection::AtMostOne,
        override_reasons: vec![OverrideReason::DoseAppropriate],
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clinical::rules::test_support::*;
    use crate::terminology::Concept;

    #[test]
    fn unreadable_table() {
        // (setting, unreadable drafts, fires)
        for (setting, drafts, fires) in [
            (
                Setting::OrderEntry,
                vec!["a MedicationOrder draft could not be read (data error)"],
                true,
            ),
            (Setting::OrderEntry, vec![], false),
            (Setting::ChartView, vec!["x"], false),
        ] {
            let mut f = patient(&[Concept::Ssc]);
            f.setting = setting;
            f.unreadable_orders = drafts.iter().map(|s| s.to_string()).collect();
            let out = evaluate(&f, &Policy::default());
            assert_eq!(!out.findings.is_empty(), fires, "{setting:?} {drafts:?}");
            if fires {
                assert_eq!(out.findings[0].indicator, Indicator::Warning);
                assert_eq!(
                    out.findings[0].what,
                    What::UnreadableOrder(Found {
                        orders: f.unreadable_orders.clone()
                    })
                );
                assert!(out.findings[0]
                    .summary()
                    .starts_with("1 medication order could not be read"));
            }
        }
    }
}
