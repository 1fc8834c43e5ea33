//! # Route needed (`gc-route-needed`)
//!
//! POLICY.md: "Unknown route: derive from the dose form; if still ambiguous,
//! no dose rule fires, at most an info card asking for the route."
//! REFERENCE.md 2.2: injectable suspensions and acetate/acetonide injections
//! (Kenalog, Depo-Medrol) are IM (systemic) or intra-articular (local); an
//! SRC warning is never computed from them without a route.

pub mod words;

use crate::clinical::Outcome;
use crate::clinical::{Finding, Indicator, OverrideReason, Policy, Selection, Topic};
use crate::facts::{Facts, Route};
use crate::terminology::medication::{Drug, Gc};

/// What this rule found: a glucocorticoid order whose route is not stated
/// and whose dose form does not tell.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    /// The glucocorticoid.
    pub gc: Gc,
    /// The order's name as sent (record text).
    pub order_name: String,
}

pub const TOPIC: Topic = Topic {
    code: "gc-route-needed",
    display: "Corticosteroid order without a route",
};

/// The card topics this rule can produce.
pub const TOPICS: &[Topic] = &[TOPIC];

pub const SETTINGS: &[&str] = &[];

pub fn evaluate(facts: &Facts, _policy: &Policy) -> Outcome<Found> {
    let mut out = Outcome::default();
    for m in &facts.orders {
        let Some(Drug::Glucocorticoid(gc)) = m.drug() else {
            continue;
        };
        if !matches!(m.route, Route::Ambiguous | Route::Unknown) {
            continue;
        }
        out.findings.push(Finding {
            topic: TOPIC,
            indicator: Indicator::Info,
            what: Found {
                gc,
                order_name: m.name.clone(),
            },
            notes: vec![],
            pull: None,
            suggestions: vec![],
            selection: Selection::AtMostOne,
            override_reasons: vec![OverrideReason::DoseAppropriate],
        });
    }
    out
}

impl crate::clinical::Reads for Found {
    const AREAS: &'static [crate::facts::DataArea] = &[];
}

#[cfg(test)]
mod cases;
