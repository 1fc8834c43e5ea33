//! # Order that could not be read (`order-unreadable`)
//!
//! POLICY (second edition, "Older FHIR shapes"): "A DSTU2 `MedicationOrder`
//! or STU3 `MedicationRequest` in draftOrders is read [...]; a draft that
//! looks like a medication order but cannot be read gets a card saying so,
//! never silence." A warning: the order was not checked at all, and the
//! clinician should know that no check stands behind the silence.

/// What this rule found (free text until typed).
pub type Found = crate::clinical::Words;

use super::Outcome;
use crate::clinical::text::{self, md};
use crate::clinical::{Finding, Indicator, OverrideReason, Policy, Selection, Topic};
use crate::clinical::{What, Words};
use crate::facts::{Facts, Setting};

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
    let n = facts.unreadable_orders.len();
    let lines: Vec<String> = facts
        .unreadable_orders
        .iter()
        .map(|w| format!("- {}", md(w)))
        .collect();
    out.findings.push(Finding {
        topic: TOPIC,
        indicator: Indicator::Warning,
        what: What::UnreadableOrder(Words {
            summary: text::summary(format!(
                "{} medication order{} could not be read: not checked for dose, frequency or interactions",
                n,
                if n == 1 { "" } else { "s" }
            )),
            detail: format!(
                "**Order not checked.** The order was sent in a form that could not be read, so none of the \
                 checks (dose, weekly methotrexate, renal crisis risk, pregnancy, interactions) ran for it:\n\n{}\n\n\
                 Check the order by hand, or re-enter it with a coded medication, dose and frequency.",
                lines.join("\n")
            ),
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
            }
        }
    }
}
