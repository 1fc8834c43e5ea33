//! # IV methylprednisolone (`ivmp-dose`, `ivmp-indication`)
//!
//! Guidance: "IV methylprednisolone: Add 10-20 mg/kg for 1-5 consecutive days
//! for severe weakness, dysphagia, or respiratory muscle involvement —
//! Consider pulse IV methylprednisolone (30 mg/kg) with various administration
//! schedules as an alternative initial approach."
//!
//! POLICY.md: an IV methylprednisolone order → warning above 20 mg/kg/day (or
//! above 30 mg/kg for a pulse) or above 1,000 mg/day (standard-practice cap,
//! REFERENCE.md 3), and beyond 5 days; info when no severity marker
//! (dysphagia, respiratory involvement, severe weakness) is recorded.
//!
//! A pulse is an order of at most `ivmp_pulse_max_doses` doses (stated by
//! `timing.repeat.count`); without a count the daily regimen limit applies.
//! Respiratory involvement is read from the ILD codes (they include "with
//! respiratory involvement"); severe weakness has no code and is named as not
//! checkable. Without a weight the 1,000 mg cap is still checked.

/// What this rule found (free text until typed).
pub type Found = crate::clinical::Words;

use super::{Figure, Need, Outcome};
use crate::clinical::text::{self, md, num, per_kg};
use crate::clinical::{Finding, Indicator, OverrideReason, Policy, Selection, Topic};
use crate::clinical::{What, Words};
use crate::facts::{Facts, Route};
use crate::terminology::medication::{DoseForm, Drug, Gc};
use crate::terminology::Concept;

pub const TOPIC_DOSE: Topic = Topic {
    code: "ivmp-dose",
    display: "IV methylprednisolone dose",
};
pub const TOPIC_INDICATION: Topic = Topic {
    code: "ivmp-indication",
    display: "IV methylprednisolone without a recorded severity marker",
};

pub const SETTINGS: &[&str] = &[
    "ivmp_mg_per_kg_low",
    "ivmp_mg_per_kg_high",
    "ivmp_pulse_mg_per_kg",
    "ivmp_max_mg_per_day",
    "ivmp_max_days",
    "ivmp_pulse_max_doses",
    "weight_max_age_days",
    "weight_conflict_pct",
];

pub fn evaluate(facts: &Facts, policy: &Policy) -> Outcome {
    let mut out = Outcome::default();
    for m in &facts.orders {
        let iv = m.route == Route::Intravenous
            || (m.route == Route::OtherSystemic
                && m.identified
                    .as_ref()
                    .is_some_and(|i| i.form == DoseForm::Injection));
        if m.drug() != Some(Drug::Glucocorticoid(Gc::Methylprednisolone)) || !iv {
            continue;
        }
        let Some(dose) = &m.dose else { continue };
        let (per_day, per_day_note) = match dose.per_day_mg() {
            Some(d) => (d, String::new()),
            None => (
                dose.mg,
                " (per dose; no schedule, read as one dose a day)".to_string(),
            ),
        };
        let pulse = m.count.is_some_and(|c| c <= policy.ivmp_pulse_max_doses);
        let days = m.course_days.or_else(|| {
            let s = dose.schedule()?;
            Some(m.count? * s.period_days / s.frequency)
        });
        let mut problems = vec![];
        // Twice a limit or more: critical (POLICY second edition, "a dose >= 2x
        // a threshold or absolute limit").
        let mut twice = per_day >= 2.0 * policy.ivmp_max_mg_per_day - 1e-9;
        let mut figures = vec![format!(
            "- Order: {} {}{} = **{} mg/day**{}",
            md(&dose.derivation),
            dose.schedule().map_or(String::new(), |s| s.describe()),
            m.count
                .map_or(String::new(), |c| format!(", {} doses", num(c))),
            num(per_day),
            per_day_note
        )];
        if per_day > policy.ivmp_max_mg_per_day {
            problems.push(format!(
                "{} mg/day is above the {} mg/day cap",
                num(per_day),
                num(policy.ivmp_max_mg_per_day)
            ));
        }
        match facts.weight() {
            Some(w) => {
                let per_kg_day = per_day / w.value;
                let limit = if pulse {
                    policy.ivmp_pulse_mg_per_kg
                } else {
                    policy.ivmp_mg_per_kg_high
                };
                figures.push(text::weight_line(w, facts, policy));
                figures.push(format!(
                    "- {} mg ÷ {} kg = **{} mg/kg**; guidance {}–{} mg/kg/day for 1–{} days, or a pulse of {} mg/kg{}",
                    num(per_day),
                    num(w.value),
                    per_kg(per_kg_day),
                    num(policy.ivmp_mg_per_kg_low),
                    num(policy.ivmp_mg_per_kg_high),
                    num(policy.ivmp_max_days),
                    num(policy.ivmp_pulse_mg_per_kg),
                    if pulse { " (this order is a pulse)" } else { "" }
                ));
                twice |= per_kg_day >= 2.0 * limit - 1e-9;
                if per_kg_day > limit + 1e-9 {
                    problems.push(format!(
                        "{} mg/kg is above {} mg/kg{}",
                        per_kg(per_kg_day),
                        num(limit),
                        if pulse { " (pulse)" } else { "/day" }
                    ));
                }
            }
            None => out.needs.push(Need {
                figure: Figure::Weight,
                why: "IV methylprednisolone mg/kg not checked".into(),
            }),
        }
        if let Some(d) = days.filter(|d| *d > policy.ivmp_max_days + 1e-9) {
            problems.push(format!(
                "{} days is longer than the 1–{} days of the guidance",
                num(d),
                num(policy.ivmp_max_days)
            ));
        }
        let figures = figures.join("\n");
        let sources = "Sources: guidance (IV methylprednisolone); 1 g/day cap: standard practice (1 g pulses).";
        if !problems.is_empty() {
            out.findings.push(Finding {
                topic: TOPIC_DOSE,
                indicator: if twice {
                    Indicator::Critical
                } else {
                    Indicator::Warning
                },
                what: What::IvMethylprednisolone(Words {
                    summary: text::summary(format!(
                        "IV methylprednisolone: {}",
                        problems.join("; ")
                    )),
                    detail: format!(
                        "**IV methylprednisolone dose.** {} ({}).\n\n{figures}\n\n{sources}",
                        md(&m.name),
                        md(&m.reference)
                    ),
                }),
                notes: vec![],
                pull: None,
                suggestions: vec![],
                selection: Selection::AtMostOne,
                override_reasons: vec![
                    OverrideReason::DoseAppropriate,
                    OverrideReason::BenefitOutweighsRisk,
                ],
            });
        }
        let markers: Vec<String> = facts
            .diagnoses
            .iter()
            .filter(|d| {
                d.active
                    && d.concepts
                        .iter()
                        .any(|c| matches!(c, Concept::Dysphagia | Concept::Ild | Concept::SscIld))
            })
            .map(|d| format!("{} ({})", md(&d.label), md(&d.source)))
            .collect();
        if markers.is_empty() {
            out.findings.push(Finding {
                topic: TOPIC_INDICATION,
                indicator: Indicator::Info,
                what: What::IvMethylprednisolone(Words {
                    summary: "IV methylprednisolone: no dysphagia or respiratory involvement recorded; it is for severe disease".into(),
                    detail: format!(
                        "**IV methylprednisolone indication.** {} ({}). The guidance adds IV methylprednisolone for severe \
                         weakness, dysphagia or respiratory muscle involvement. None of dysphagia or respiratory \
                         involvement is on record; severe weakness has no code and could not be checked.\n\n{sources}",
                        md(&m.name),
                        md(&m.reference)
                    ),
                }),
                notes: vec![],
                pull: None,
                suggestions: vec![],
                selection: Selection::AtMostOne,
                override_reasons: vec![OverrideReason::DiagnosisNotConfirmed, OverrideReason::BenefitOutweighsRisk],
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clinical::rules::test_support::*;
    use crate::facts::{Schedule, Sex};

    fn ivmp(mg: f64, count: Option<f64>) -> crate::facts::Med {
        let mut m = med(
            Drug::Glucocorticoid(Gc::Methylprednisolone),
            mg,
            Schedule::DAILY,
            Route::Intravenous,
            "ivmp",
        );
        m.count = count;
        m
    }

    #[test]
    fn dose_table() {
        // (weight kg, mg/day, count, dose warning) - 40 kg: 20 mg/kg = 800 mg, pulse 30 mg/kg = 1 200 mg (cap 1 000).
        let cases = [
            (40.0, 800.0, None, false),
            (40.0, 820.0, None, true),        // 20.5 mg/kg/day
            (40.0, 1000.0, Some(3.0), false), // pulse 25 mg/kg, at the cap
            (40.0, 1000.0, Some(5.0), true),  // 5 doses: daily regimen, 25 mg/kg/day
            (80.0, 1000.0, Some(3.0), false),
            (80.0, 1250.0, Some(3.0), true), // above 1 000 mg/day
            (40.0, 600.0, Some(6.0), true),  // 6 days
        ];
        for (kg, mg, count, warn) in cases {
            let mut f = with_body(
                patient(&[Concept::Dermatomyositis, Concept::Dysphagia]),
                Sex::Female,
                kg,
                Some(160.0),
            );
            f.orders.push(ivmp(mg, count));
            let out = evaluate(&f, &Policy::default());
            assert_eq!(
                out.findings.iter().any(|f| f.topic == TOPIC_DOSE),
                warn,
                "{kg} {mg} {count:?}"
            );
            assert!(
                !out.findings.iter().any(|f| f.topic == TOPIC_INDICATION),
                "dysphagia recorded"
            );
        }
    }

    #[test]
    fn indication_and_missing_weight() {
        let mut f = patient(&[Concept::Dermatomyositis]);
        f.orders.push(ivmp(1250.0, Some(3.0)));
        let out = evaluate(&f, &Policy::default());
        let topics: Vec<_> = out.findings.iter().map(|f| f.topic.code).collect();
        assert_eq!(topics, vec!["ivmp-dose", "ivmp-indication"]);
        assert_eq!(out.needs[0].figure, Figure::Weight);
        // Oral methylprednisolone is not this rule.
        let mut f = patient(&[Concept::Dermatomyositis]);
        f.orders.push(med(
            Drug::Glucocorticoid(Gc::Methylprednisolone),
            48.0,
            Schedule::DAILY,
            Route::Oral,
            "o",
        ));
        assert!(evaluate(&f, &Policy::default()).findings.is_empty());
    }

    #[test]
    fn twice_a_limit_is_critical() {
        // (mg per day, weight, expected)
        for (mg, kg, want) in [
            (1500.0, 100.0, Indicator::Warning),
            (2000.0, 100.0, Indicator::Critical),
            (1000.0, 40.0, Indicator::Warning), // 25 mg/kg/day: 1.25× the 20 mg/kg/day limit
            (1600.0, 40.0, Indicator::Critical), // 40 mg/kg/day: 2×
        ] {
            let mut f = with_body(
                patient(&[Concept::Dermatomyositis]),
                Sex::Female,
                kg,
                Some(160.0),
            );
            f.orders.push(med(
                Drug::Glucocorticoid(Gc::Methylprednisolone),
                mg,
                Schedule::DAILY,
                Route::Intravenous,
                "ivmp",
            ));
            let got = evaluate(&f, &Policy::default())
                .findings
                .iter()
                .find(|c| c.topic == TOPIC_DOSE)
                .map(|c| c.indicator);
            assert_eq!(got, Some(want), "{mg} {kg}");
        }
    }
}
