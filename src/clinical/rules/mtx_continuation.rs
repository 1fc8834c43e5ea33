//! # Methotrexate continuation (`mtx-continue`)
//!
//! Guidance: "Continue for at least 12 months after achieving clinical
//! remission before considering tapering."
//!
//! POLICY.md / issue scope: shown where a methotrexate stop or taper is
//! ordered: a methotrexate order with status stopped, cancelled, completed or
//! on-hold, or a methotrexate order with a lower weekly dose than the active
//! one → info with the time on methotrexate.

/// What this rule found (free text until typed).
pub type Found = crate::clinical::Words;

use super::Outcome;
use crate::clinical::text::{self, md, num};
use crate::clinical::{Finding, Indicator, OverrideReason, Policy, Selection, Topic};
use crate::clinical::{What, Words};
use crate::facts::Facts;
use crate::terminology::medication::Drug;

pub const TOPIC: Topic = Topic {
    code: "mtx-continue",
    display: "Methotrexate continuation after remission",
};

pub const SETTINGS: &[&str] = &["mtx_continue_months_after_remission"];

pub fn evaluate(facts: &Facts, policy: &Policy) -> Outcome {
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
            format!("on methotrexate since {d} ({:.0} months)", months.floor())
        });
        out.findings.push(Finding {
            topic: TOPIC,
            indicator: Indicator::Info,
            what: What::MtxContinuation(Words {
                summary: text::summary(format!(
                    "Methotrexate {}: continue ≥{} months after remission before tapering",
                    if stop { "stop" } else { "taper" },
                    num(policy.mtx_continue_months_after_remission)
                )),
                detail: format!(
                    "**Methotrexate continuation.** {} ({}) {} the active {} ({}{}).\n\nThe guidance continues \
                     methotrexate for at least {} months after clinical remission before considering a taper.\n\n\
                     Source: guidance (methotrexate).",
                    md(&m.name),
                    md(&m.reference),
                    if stop { "stops" } else { "lowers" },
                    md(&active.name),
                    md(&active.reference),
                    since.map_or(String::new(), |s| format!("; {s}")),
                    num(policy.mtx_continue_months_after_remission)
                ),
            }),
            notes: vec![],
            pull: None,
            suggestions: vec![],
            selection: Selection::AtMostOne,
            override_reasons: vec![OverrideReason::BenefitOutweighsRisk, OverrideReason::PatientDeclined],
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clinical::rules::test_support::*;
    use crate::facts::Route;
    use crate::terminology::Concept;

    #[test]
    fn stop_and_taper_table() {
        // (new weekly mg, status, fires)
        let cases = [
            (15.0, "draft", true),
            (20.0, "draft", false),
            (25.0, "draft", false),
            (20.0, "stopped", true),
            (20.0, "cancelled", true),
        ];
        for (mg, status, fires) in cases {
            let mut f = patient(&[Concept::Dermatomyositis]);
            let mut a = mtx(20.0, Route::Subcutaneous);
            a.reference = "MedicationRequest/active".into();
            a.authored = Some(days_ago(400));
            f.active_meds.push(a);
            let mut o = mtx(mg, Route::Subcutaneous);
            o.status = Some(status.into());
            f.orders.push(o);
            let out = evaluate(&f, &Policy::default());
            assert_eq!(out.findings.len(), usize::from(fires), "{mg} {status}");
            if fires {
                assert!(
                    out.findings[0].detail().contains("(13 months)"),
                    "{}",
                    out.findings[0].detail()
                );
            }
        }
    }
}
