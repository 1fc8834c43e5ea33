//! # Route needed (`gc-route-needed`)
//!
//! POLICY.md: "Unknown route: derive from the dose form; if still ambiguous,
//! no dose rule fires, at most an info card asking for the route."
//! REFERENCE.md 2.2: injectable suspensions and acetate/acetonide injections
//! (Kenalog, Depo-Medrol) are IM (systemic) or intra-articular (local); an
//! SRC warning is never computed from them without a route.

/// What this rule found (free text until typed).
pub type Found = crate::clinical::Words;

use super::Outcome;
use crate::clinical::text::{self, md};
use crate::clinical::{Finding, Indicator, OverrideReason, Policy, Selection, Topic};
use crate::clinical::{What, Words};
use crate::facts::{Facts, Route};
use crate::terminology::medication::Drug;

pub const TOPIC: Topic = Topic {
    code: "gc-route-needed",
    display: "Corticosteroid order without a route",
};

pub const SETTINGS: &[&str] = &[];

pub fn evaluate(facts: &Facts, _policy: &Policy) -> Outcome {
    let mut out = Outcome::default();
    for m in &facts.orders {
        if !matches!(m.drug(), Some(Drug::Glucocorticoid(_)))
            || !matches!(m.route, Route::Ambiguous | Route::Unknown)
        {
            continue;
        }
        out.findings.push(Finding {
            topic: TOPIC,
            indicator: Indicator::Info,
            what: What::RouteNeeded(Words {
                summary: text::summary(format!(
                    "Route needed for {}: IM/IV/oral counts toward renal crisis and dose checks, local does not",
                    m.drug().map_or("steroid", |d| d.name())
                )),
                detail: format!(
                    "**Route not stated.** {} ({}): the dose form does not say whether it is systemic (IM, IV, oral) \
                     or local (intra-articular, topical). The renal crisis and weight-based dose checks were not run \
                     for it. Add the route to the order.\n\nSources: local policy (systemic routes only).",
                    md(&m.name),
                    md(&m.reference)
                ),
            }),
            notes: vec![],
            pull: None,
            suggestions: vec![],
            selection: Selection::AtMostOne,
            override_reasons: vec![OverrideReason::DoseAppropriate],
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clinical::rules::test_support::*;
    use crate::facts::Schedule;
    use crate::terminology::medication::Gc;
    use crate::terminology::Concept;

    #[test]
    fn route_table() {
        // S9: intra-articular (local) stays silent; the same product without a route asks for one.
        for (route, fires) in [
            (Route::Local, false),
            (Route::Ambiguous, true),
            (Route::Unknown, true),
            (Route::Intramuscular, false),
        ] {
            let mut f = patient(&[Concept::Ssc]);
            f.orders.push(med(
                Drug::Glucocorticoid(Gc::Triamcinolone),
                40.0,
                Schedule::DAILY,
                route,
                "t",
            ));
            assert_eq!(
                !evaluate(&f, &Policy::default()).findings.is_empty(),
                fires,
                "{route:?}"
            );
        }
    }
}
