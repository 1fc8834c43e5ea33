//! # Initial glucocorticoid dose by weight (`gc-initial-dose`)
//!
//! Guidance: "Oral prednisone: Start at 0.5-1 mg/kg/day as a single daily dose
//! for 2-4 weeks before beginning taper [...] Use lower doses (closer to
//! 0.5 mg/kg) for patients with diabetes, osteoporosis, or glaucoma."
//!
//! POLICY.md: myositis and an oral glucocorticoid order with no active
//! systemic glucocorticoid. Compared as prednisone-equivalent mg/day over the
//! most recent actual body weight. Warning above 1 mg/kg/day, or above
//! 0.5 mg/kg/day with diabetes, osteoporosis or glaucoma; info below
//! 0.5 mg/kg/day. Limits are rounded to the nearest 5 mg (prednisone tablets,
//! REFERENCE.md 3) and the order is compared with the rounded limit, so the
//! dose we suggest never fires the card itself. Suggests an `update` of a
//! prednisone/prednisolone draft to that dose, once daily. Missing weight: the
//! check is skipped and a card asks for a weight.
//!
//! POLICY second edition: "Suggestion ceilings: initial oral prednisone ≤ 80
//! mg/day prednisone-equivalent"; "Never raise a steroid in SSc [...]:
//! 'below guidance' dose cards are for myositis without SSc only." An order
//! above the 80 mg ceiling is the ceiling rule's (`gc_ceiling`), not this one's.

pub mod words;

use crate::clinical::{Figure, Need, Outcome, Unchecked};
use crate::clinical::body::{round_to, WeightUsed};
use crate::clinical::products;
use crate::clinical::Change;
use crate::clinical::steroids::Exposure;
use crate::clinical::{
    Action, Direction, Finding, Indicator, OverrideReason, Policy, Pull, Selection, Suggestion,
    Topic,
};
use crate::clinical::{PatientScope, ProposedRoute};
use crate::facts::{Facts, Route, Schedule};
use crate::terminology::medication::Gc;
use crate::terminology::Concept;

/// What this rule found: an initial oral dose outside the weight-based
/// guidance, with the figures that show it.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    /// Above the guidance (lower it) or below it (raise it).
    pub side: Side,
    /// The glucocorticoid ordered.
    pub gc: Gc,
    /// The order's name as sent (record text).
    pub order_name: String,
    /// How the dose was read from the order ("3 tablets × 20 mg"; record text).
    pub derivation: Option<crate::facts::Derivation>,
    /// Prednisone mg per mg of the drug (1 for prednisone/prednisolone).
    pub factor: f64,
    /// Prednisone-equivalent mg/day of the drafts of this drug and route.
    pub pred_eq_mg: f64,
    /// The weight used, with its age and doubts.
    pub weight: WeightUsed,
    /// `pred_eq_mg` ÷ weight.
    pub mg_per_kg: f64,
    /// Conditions that call for the lower dose (diabetes, osteoporosis, glaucoma).
    pub comorbid: Vec<Comorbidity>,
    /// Guidance range, mg/kg/day (policy figures).
    pub low_per_kg: f64,
    pub high_per_kg: f64,
    /// The per-kg figure used with a comorbidity.
    pub comorbid_per_kg: f64,
    /// Rounding step, mg.
    pub round_mg: f64,
    /// The range in mg/day, rounded: lowest and highest acceptable.
    pub floor_mg: f64,
    pub ceiling_mg: f64,
    /// The prednisone-equivalent mg/day suggested (the rounded limit crossed,
    /// within the suggestion ceiling).
    pub target_mg: f64,
    /// The suggestion ceiling, when it cut the target.
    pub capped_at: Option<f64>,
}

/// Which side of the guidance the dose is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Above,
    Below,
}

/// A condition for which the guidance uses doses closer to 0.5 mg/kg.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comorbidity {
    Diabetes,
    Osteoporosis,
    Glaucoma,
}

impl Comorbidity {
    pub fn name(self) -> &'static str {
        match self {
            Comorbidity::Diabetes => "diabetes",
            Comorbidity::Osteoporosis => "osteoporosis",
            Comorbidity::Glaucoma => "glaucoma",
        }
    }
}

pub const TOPIC_ABOVE: Topic = Topic {
    code: "gc-dose-above-guidance",
    display: "Initial corticosteroid dose above the weight-based guidance",
};

/// The card topics this rule can produce.
pub const TOPICS: &[Topic] = &[TOPIC_ABOVE, TOPIC_BELOW];

pub const SETTINGS: &[&str] = &[
    "gc_mg_per_kg_low",
    "gc_mg_per_kg_high",
    "gc_mg_per_kg_comorbid",
    "gc_round_mg",
    "gc_suggest_max_mg_per_day",
    "weight_max_age_days",
    "weight_conflict_pct",
    "betamethasone_equivalent_mg",
];
pub const TOPIC_BELOW: Topic = Topic {
    code: "gc-dose-below-guidance",
    display: "Initial corticosteroid dose below the weight-based guidance",
};

const COMORBID: [(Concept, Comorbidity); 3] = [
    (Concept::Diabetes, Comorbidity::Diabetes),
    (Concept::Osteoporosis, Comorbidity::Osteoporosis),
    (Concept::Glaucoma, Comorbidity::Glaucoma),
];

pub fn evaluate(facts: &Facts, policy: &Policy) -> Outcome<Found> {
    let mut out = Outcome::default();
    if !facts.has_myositis() {
        return out;
    }
    let exp = Exposure::of(facts, policy);
    if !exp.active.is_empty() {
        return out; // not an initial dose (the taper rule speaks to these)
    }
    let mut seen: Vec<(Gc, Route)> = vec![];
    for u in exp
        .orders
        .iter()
        .filter(|u| matches!(u.med.route, Route::Oral | Route::Sublingual))
    {
        if u.pred_eq.is_none() || seen.contains(&(u.gc, u.med.route)) {
            continue;
        }
        // Several drafts of the same drug and route add up: one card, on
        // their sum.
        seen.push((u.gc, u.med.route));
        let dose = exp.same_drug_total(u);
        // Changing one of several drafts to the whole target would leave the
        // others on top of it: with more than one, nothing is prefilled.
        let drafts_of_drug = exp
            .orders
            .iter()
            .filter(|o| o.gc == u.gc && o.med.route == u.med.route)
            .count();
        if dose > policy.gc_suggest_max_mg_per_day + 1e-9 {
            continue; // above the ceiling: the ceiling card speaks
        }
        let Some(weight) = WeightUsed::of(facts, policy) else {
            out.needs.push(Need {
                figure: Figure::Weight,
                why: Unchecked::GcMgPerKg {
                    order: u.med.name.clone(),
                },
            });
            continue;
        };
        let kg = weight.reading.value;
        let comorbid: Vec<Comorbidity> = COMORBID
            .iter()
            .filter(|(c, _)| facts.has(*c))
            .map(|(_, n)| *n)
            .collect();
        let high_per_kg = if comorbid.is_empty() {
            policy.gc_mg_per_kg_high
        } else {
            policy.gc_mg_per_kg_comorbid
        };
        let ceiling = round_to(high_per_kg * kg, policy.gc_round_mg);
        let floor = round_to(policy.gc_mg_per_kg_low * kg, policy.gc_round_mg);
        // Never suggest above the ceiling (the card still shows the mg/kg range).
        let cap = |mg: f64| mg.min(policy.gc_suggest_max_mg_per_day);
        let (topic, indicator, side, limit) = if dose > ceiling + 1e-9 {
            (TOPIC_ABOVE, Indicator::Warning, Side::Above, ceiling)
        } else if dose < floor - 1e-9 && !facts.has_ssc() && dose < cap(floor) - 1e-9 {
            // Never raise a steroid in SSc.
            (TOPIC_BELOW, Indicator::Info, Side::Below, floor)
        } else {
            continue;
        };
        let target = cap(limit);
        let prednisone = matches!(u.gc, Gc::Prednisone | Gc::Prednisolone);
        let mut suggestions = vec![];
        let route = if u.med.route == Route::Sublingual {
            ProposedRoute::Sublingual
        } else {
            ProposedRoute::Oral
        };
        if let (Some(id), true, 1) = (&u.med.id, prednisone, drafts_of_drug) {
            if let Some(product) = products::for_dose(
                u.gc,
                target,
                route == ProposedRoute::Oral,
                u.med.identified.as_ref(),
            ) {
                suggestions.push(Suggestion {
                    recommended: true,
                    actions: vec![Action::UpdateDraftDose {
                        change: Change::Corticosteroid(u.gc),
                        order_id: id.clone(),
                        dose_mg: target,
                        product,
                        schedule: Schedule::DAILY,
                        route,
                    }],
                });
            }
        }
        out.findings.push(Finding {
            topic,
            indicator,
            what: Found {
                side,
                gc: u.gc,
                order_name: u.med.name.clone(),
                derivation: u.med.dose.as_ref().map(|d| d.derivation.clone()),
                factor: u.factor,
                pred_eq_mg: dose,
                mg_per_kg: dose / kg,
                weight,
                comorbid,
                low_per_kg: policy.gc_mg_per_kg_low,
                high_per_kg: policy.gc_mg_per_kg_high,
                comorbid_per_kg: policy.gc_mg_per_kg_comorbid,
                round_mg: policy.gc_round_mg,
                floor_mg: floor,
                ceiling_mg: ceiling,
                target_mg: target,
                capped_at: (target < limit - 1e-9).then_some(policy.gc_suggest_max_mg_per_day),
            },
            notes: vec![],
            pull: Some(Pull {
                order: u.med.reference.clone(),
                direction: match side {
                    Side::Above => Direction::Lower,
                    Side::Below => Direction::Raise,
                },
            }),
            suggestions,
            selection: Selection::AtMostOne,
            override_reasons: vec![
                OverrideReason::DoseAppropriate,
                OverrideReason::DiagnosisNotConfirmed,
                OverrideReason::PatientDeclined,
            ],
        });
    }
    out
}

impl crate::clinical::Reads for Found {
    const AREAS: &'static [crate::facts::DataArea] = &[crate::facts::DataArea::Weight, crate::facts::DataArea::Height];
}

#[cfg(test)]
mod cases;
