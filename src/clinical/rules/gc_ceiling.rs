//! # Corticosteroid dose above the ceiling (`gc-dose-ceiling`)
//!
//! POLICY second edition ("Order thresholds"): "prednisone-equivalent above
//! the 80 mg ceiling (non-pulse) warning, ≥ 2× critical"; "a dose ≥ 2× a
//! threshold or absolute limit, or in grams where mg are meant" is critical.
//! Weight-independent, so it catches unit slips without a weight, and runs
//! for every age. IV methylprednisolone has its own limits (pulse rule).
//! A dose of unknown frequency counts as at least its amount a day.

/// What this rule found (free text until typed).
pub type Found = crate::clinical::Words;

use super::Outcome;
use crate::clinical::steroids::Exposure;
use crate::clinical::text::{self, md, num};
use crate::clinical::{Finding, Indicator, OverrideReason, Policy, Selection, Topic};
use crate::clinical::{What, Words};
use crate::facts::{Facts, Route};
use crate::terminology::medication::Gc;

pub const TOPIC: Topic = Topic {
    code: "gc-dose-ceiling",
    display: "Corticosteroid dose above the ceiling",
};

pub const SETTINGS: &[&str] = &["gc_suggest_max_mg_per_day", "betamethasone_equivalent_mg"];

pub fn evaluate(facts: &Facts, policy: &Policy) -> Outcome {
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
        let critical = eq >= 2.0 * ceiling - 1e-9;
        let drug = u.gc.name();
        let own_limit = ceiling / u.factor;
        let limit = if u.gc == Gc::Prednisone || u.gc == Gc::Prednisolone {
            format!("{} mg/day", num(ceiling))
        } else {
            format!(
                "{drug} {} mg/day (prednisone-equivalent {} mg)",
                text::num(own_limit),
                num(ceiling)
            )
        };
        let per_day = u.per_day_mg.map_or_else(
            || {
                format!(
                    "{} mg per dose, frequency unknown",
                    num(u.med.dose.as_ref().map_or(0.0, |d| d.mg))
                )
            },
            |d| format!("{} mg/day", num(d)),
        );
        let summary = if critical {
            format!(
                "{} {per_day}: twice the {limit} ceiling or more: check the dose and unit",
                text::capitalise(drug)
            )
        } else {
            format!(
                "{} {per_day} is above the {limit} ceiling for a starting dose",
                text::capitalise(drug)
            )
        };
        let mut detail = format!(
            "**Corticosteroid dose above the ceiling.** {} ({}): {} = **{} mg/day prednisone-equivalent**, \
             above the ceiling of {limit}{}.\n\n",
            md(&u.med.name),
            u.med.route.describe(),
            u.med.dose.as_ref().map_or(String::new(), |d| md(&d.derivation)),
            num(eq),
            if critical { ", by a factor of two or more: a unit or dose slip?" } else { "" },
        );
        if let Some(w) = facts.weight() {
            detail.push_str(&format!(
                "{}\n- {} mg/day ÷ {} kg = {} mg/kg/day (guidance 0.5–1 mg/kg/day)\n\n",
                text::weight_line(w, facts, policy),
                num(eq),
                num(w.value),
                text::per_kg(eq / w.value)
            ));
        }
        detail.push_str(
            "Initial oral prednisone for myositis is 0.5–1 mg/kg/day; doses above the ceiling are not suggested \
             here. Higher doses are given as IV methylprednisolone pulses.\n\n\
             Sources: guidance (initial corticosteroid regimen); ceiling: local policy.",
        );
        out.findings.push(Finding {
            topic: TOPIC,
            indicator: if critical {
                Indicator::Critical
            } else {
                Indicator::Warning
            },
            what: What::GcCeiling(Words {
                summary: text::summary(summary),
                detail,
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
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clinical::rules::test_support::*;
    use crate::facts::Schedule;
    use crate::terminology::medication::Drug;
    use crate::terminology::Concept;

    #[test]
    fn ceiling_table() {
        // (drug, mg per day, route, expected indicator)
        let cases = [
            (Gc::Prednisone, 80.0, Route::Oral, None),
            (Gc::Prednisone, 85.0, Route::Oral, Some(Indicator::Warning)),
            (
                Gc::Prednisone,
                160.0,
                Route::Oral,
                Some(Indicator::Critical),
            ),
            // 60 g where 60 mg was meant.
            (
                Gc::Prednisone,
                60_000.0,
                Route::Oral,
                Some(Indicator::Critical),
            ),
            // Dexamethasone 12 mg = prednisone 80 mg: at the ceiling; 13 mg above it.
            (Gc::Dexamethasone, 12.0, Route::Oral, None),
            (
                Gc::Dexamethasone,
                13.0,
                Route::Oral,
                Some(Indicator::Warning),
            ),
            // IV methylprednisolone pulses have their own rule.
            (Gc::Methylprednisolone, 1000.0, Route::Intravenous, None),
            (
                Gc::Methylprednisolone,
                100.0,
                Route::Oral,
                Some(Indicator::Warning),
            ),
        ];
        for (gc, mg, route, want) in cases {
            let mut f = patient(&[Concept::Polymyositis]);
            f.orders.push(med(
                Drug::Glucocorticoid(gc),
                mg,
                Schedule::DAILY,
                route,
                "o",
            ));
            let got = evaluate(&f, &Policy::default())
                .findings
                .first()
                .map(|c| c.indicator);
            assert_eq!(got, want, "{gc:?} {mg} {route:?}");
        }
    }

    #[test]
    fn drafts_of_one_drug_are_summed() {
        let mut f = patient(&[Concept::Polymyositis]);
        let mut a = med(
            Drug::Glucocorticoid(Gc::Prednisone),
            60.0,
            Schedule::DAILY,
            Route::Oral,
            "a",
        );
        a.reference = "MedicationRequest/a".into();
        let mut b = a.clone();
        b.reference = "MedicationRequest/b".into();
        f.orders = vec![a, b];
        let out = evaluate(&f, &Policy::default());
        assert_eq!(out.findings.len(), 1);
        assert_eq!(out.findings[0].indicator, Indicator::Warning);
        assert!(
            out.findings[0].detail().contains("120 mg/day"),
            "{}",
            out.findings[0].detail()
        );
    }
}
