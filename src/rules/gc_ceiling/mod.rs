//! # Corticosteroid dose above the ceiling (`gc-dose-ceiling`)
//!
//! POLICY second edition ("Order thresholds"): "prednisone-equivalent above
//! the 80 mg ceiling (non-pulse) warning, ≥ 2× critical"; "a dose ≥ 2× a
//! threshold or absolute limit, or in grams where mg are meant" is critical.
//! Weight-independent, so it catches unit slips without a weight, and runs
//! for every age. IV methylprednisolone has its own limits (pulse rule).
//! A dose of unknown frequency counts as at least its amount a day.

pub mod words;

use crate::clinical::Outcome;
use crate::clinical::body::WeightUsed;
use crate::clinical::steroids::Exposure;
use crate::clinical::{
    Direction, Finding, Indicator, OverrideReason, Policy, Pull, Selection, Topic,
};
use crate::facts::{Facts, Route};
use crate::terminology::medication::Gc;

/// What this rule found: a glucocorticoid above the starting-dose ceiling.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    /// The glucocorticoid and its route.
    pub gc: Gc,
    pub route: Route,
    /// The order's name as sent (record text).
    pub order_name: String,
    /// How the dose was read from the order (record text).
    pub derivation: Option<crate::facts::Derivation>,
    /// Number of draft orders of this drug and route summed (1 = one order).
    pub orders: usize,
    /// mg per dose of the order, when its frequency is unknown (then read as
    /// at least one dose a day).
    pub per_dose_unknown_frequency: Option<f64>,
    /// Prednisone mg per mg of the drug.
    pub factor: f64,
    /// Prednisone-equivalent mg/day of the drafts of this drug and route.
    pub pred_eq_mg: f64,
    /// The ceiling, prednisone-equivalent mg/day (policy figure).
    pub ceiling_mg: f64,
    /// Twice the ceiling or more: a unit or dose slip?
    pub twice: bool,
    /// The weight, when there is one, for the mg/kg figure.
    pub weight: Option<WeightUsed>,
    /// The guidance's initial range, mg/kg/day (policy figures).
    pub low_per_kg: f64,
    pub high_per_kg: f64,
}

pub const TOPIC: Topic = Topic {
    code: "gc-dose-ceiling",
    display: "Corticosteroid dose above the ceiling",
};

/// The card topics this rule can produce.
pub const TOPICS: &[Topic] = &[TOPIC];

pub const SETTINGS: &[&str] = &["gc_suggest_max_mg_per_day", "betamethasone_equivalent_mg"];

pub fn evaluate(facts: &Facts, policy: &Policy) -> Outcome<Found> {
    let mut out = Outcome::default();
    let exp = Exposure::of(facts, policy);
    let ceiling = policy.gc_suggest_max_mg_per_day;
    let mut seen: Vec<(Gc, Route)> = vec![];
    for u in &exp.orders {
        if u.gc == Gc::Methylprednisolone && u.med.route == Route::Intravenous {
            continue;
        }
        // One card per drug and route, on the sum of its drafts.
        if seen.contains(&(u.gc, u.med.route)) || u.pred_eq_at_least.is_none() {
            continue;
        }
        seen.push((u.gc, u.med.route));
        let eq = exp.same_drug_total(u);
        if eq <= ceiling + 1e-9 {
            continue;
        }
        let twice = eq >= 2.0 * ceiling - 1e-9;
        let orders = exp
            .orders
            .iter()
            .chain(&exp.other_drafts)
            .filter(|o| o.gc == u.gc && o.med.route == u.med.route && o.pred_eq_at_least.is_some())
            .count();
        out.findings.push(Finding {
            topic: TOPIC,
            indicator: if twice {
                Indicator::Critical
            } else {
                Indicator::Warning
            },
            what: Found {
                gc: u.gc,
                route: u.med.route,
                order_name: u.med.name.clone(),
                derivation: u.med.dose.as_ref().map(|d| d.derivation.clone()),
                orders,
                per_dose_unknown_frequency: match (u.limit_per_day_mg, &u.med.dose) {
                    (None, Some(d)) => Some(d.mg),
                    _ => None,
                },
                factor: u.factor,
                pred_eq_mg: eq,
                ceiling_mg: ceiling,
                twice,
                weight: WeightUsed::of(facts, policy),
                low_per_kg: policy.gc_mg_per_kg_low,
                high_per_kg: policy.gc_mg_per_kg_high,
            },
            notes: vec![],
            pull: Some(Pull {
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
    }
    out
}

impl crate::clinical::Reads for Found {
    const AREAS: &'static [crate::facts::DataArea] = &[];
}

#[cfg(test)]
mod cases;
