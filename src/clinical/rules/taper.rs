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

/// What this rule found (free text until typed).
pub type Found = crate::clinical::Words;

use super::Outcome;
use crate::clinical::steroids::Exposure;
use crate::clinical::text::{self, md, num};
use crate::clinical::{Finding, Indicator, OverrideReason, Policy, Selection, Topic};
use crate::clinical::{What, Words};
use crate::facts::Facts;

pub const TOPIC: Topic = Topic {
    code: "gc-taper",
    display: "Corticosteroid taper due",
};

pub const SETTINGS: &[&str] = &[
    "src_threshold_mg_per_day",
    "taper_after_weeks",
    "taper_target_mg_per_day",
    "betamethasone_equivalent_mg",
];

pub fn evaluate(facts: &Facts, policy: &Policy) -> Outcome {
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
    let active_lines: Vec<String> = exp
        .active
        .iter()
        .map(|u| {
            format!(
                "- Active: {} ({}, since {}): {} mg/day prednisone-equivalent",
                md(&u.med.name),
                md(&u.med.reference),
                text::date(u.med.authored),
                u.pred_eq.map_or("?".into(), num)
            )
        })
        .collect();
    out.findings.push(Finding {
        topic: TOPIC,
        indicator: Indicator::Info,
        what: What::Taper(Words {
            summary: text::summary(format!(
                "On prednisone-eq {} mg/day for {:.0} weeks; new order {} mg/day: taper toward ≤{} mg/day",
                num(active),
                weeks.floor(),
                num(new),
                num(policy.taper_target_mg_per_day)
            )),
            detail: format!(
                "**Taper due.** The guidance tapers after 2–4 weeks, aggressively, to the lowest effective dose, ideally \
                 ≤ {} mg/day prednisone-equivalent, to limit renal crisis risk while keeping the myositis controlled.\n\n{}\n\
                 - New order(s): {} mg/day prednisone-equivalent (does not lower the dose)\n\nSources: guidance (systematic \
                 corticosteroid tapering); timing: local policy.",
                num(policy.taper_target_mg_per_day),
                active_lines.join("\n"),
                num(new)
            ),
        }),
        notes: vec![],
        pull: None,
        suggestions: vec![],
        selection: Selection::AtMostOne,
        override_reasons: vec![OverrideReason::DoseAppropriate, OverrideReason::BenefitOutweighsRisk],
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clinical::rules::test_support::*;
    use crate::terminology::Concept;

    #[test]
    fn taper_table() {
        // (active mg/day, weeks on it, new order mg/day, fires)
        let cases = [
            (20.0, 5, 20.0, true),
            (20.0, 4, 25.0, true),
            (20.0, 3, 20.0, false), // not yet 4 weeks
            (20.0, 5, 15.0, false), // lowers it
            (14.0, 8, 14.0, false), // below 15 mg/day
            (15.0, 8, 15.0, true),
        ];
        for (active, weeks, new, fires) in cases {
            let mut f = patient(&[Concept::Dermatomyositis]);
            let mut a = prednisone(active);
            a.reference = "MedicationRequest/active".into();
            a.authored = Some(days_ago(weeks * 7));
            f.active_meds.push(a);
            // A re-order of the same drug and route replaces the active one
            // (as the facts layer reads it).
            let mut o = prednisone(new);
            o.replaces = vec!["MedicationRequest/active".into()];
            f.orders.push(o);
            assert_eq!(
                evaluate(&f, &Policy::default()).findings.len(),
                usize::from(fires),
                "{active} {weeks} {new}"
            );
        }
    }
}
