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

/// What this rule found (free text until typed).
pub type Found = crate::clinical::Words;

use super::{Figure, Need, Outcome};
use crate::clinical::body::round_to;
use crate::clinical::steroids::Exposure;
use crate::clinical::text::{self, md, num, per_kg};
use crate::clinical::PatientScope;
use crate::clinical::ProposedRoute;
use crate::clinical::{
    Action, Finding, Indicator, OverrideReason, Policy, Selection, Suggestion, Topic,
};
use crate::clinical::{What, Words};
use crate::facts::{Facts, Route, Schedule};
use crate::terminology::medication::Gc;
use crate::terminology::Concept;

pub const TOPIC_ABOVE: Topic = Topic {
    code: "gc-dose-above-guidance",
    display: "Initial corticosteroid dose above the weight-based guidance",
};

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

const COMORBID: [(Concept, &str); 3] = [
    (Concept::Diabetes, "diabetes"),
    (Concept::Osteoporosis, "osteoporosis"),
    (Concept::Glaucoma, "glaucoma"),
];

pub fn evaluate(facts: &Facts, policy: &Policy) -> Outcome {
    let mut out = Outcome::default();
    if !facts.has_myositis() {
        return out;
    }
    let exp = Exposure::of(facts, policy);
    if !exp.active.is_empty() {
        return out; // not an initial dose (the taper rule speaks to these)
    }
    for u in exp
        .orders
        .iter()
        .filter(|u| matches!(u.med.route, Route::Oral | Route::Sublingual))
    {
        if u.pred_eq.is_none() {
            continue;
        }
        // Several drafts of the same drug and route add up.
        let dose = exp.same_drug_total(u);
        if dose > policy.gc_suggest_max_mg_per_day + 1e-9 {
            continue; // above the ceiling: the ceiling card speaks
        }
        let Some(w) = facts.weight() else {
            out.needs.push(Need {
                figure: Figure::Weight,
                why: format!("{}: mg/kg dose check skipped", md(&u.med.name)),
            });
            continue;
        };
        let kg = w.value;
        let comorbid: Vec<&str> = COMORBID
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
        let mg_per_kg = dose / kg;
        // Never suggest above the ceiling (the card still shows the mg/kg range).
        let cap = |mg: f64| mg.min(policy.gc_suggest_max_mg_per_day);
        let (topic, indicator, target) = if dose > ceiling + 1e-9 {
            (TOPIC_ABOVE, Indicator::Warning, cap(ceiling))
        } else if dose < floor - 1e-9 && !facts.has_ssc() && dose < cap(floor) - 1e-9 {
            // Never raise a steroid in SSc.
            (TOPIC_BELOW, Indicator::Info, cap(floor))
        } else {
            continue;
        };
        let drug = if u.gc == Gc::Prednisone || u.gc == Gc::Prednisolone {
            format!("{} {} mg/day", text::capitalise(u.gc.name()), num(dose))
        } else {
            format!(
                "{} {} mg/day (prednisone-eq {})",
                text::capitalise(u.gc.name()),
                num(u.per_day_mg.unwrap_or(0.0)),
                num(dose)
            )
        };
        let stale = text::stale_days(w, facts, policy);
        let stale_note = stale.map_or(String::new(), |d| format!("; weight {d} d old"));
        let summary = text::summary(if !comorbid.is_empty() {
            format!(
                "{drug} = {} mg/kg; {}: guidance ≈{} mg/kg ({} mg){stale_note}",
                per_kg(mg_per_kg),
                comorbid.join(", "),
                num(policy.gc_mg_per_kg_comorbid),
                num(target)
            )
        } else if topic == TOPIC_ABOVE {
            format!(
                "{drug} = {} mg/kg: above guidance {}–{} mg/kg/day (max {} mg){stale_note}",
                per_kg(mg_per_kg),
                num(policy.gc_mg_per_kg_low),
                num(policy.gc_mg_per_kg_high),
                num(target)
            )
        } else {
            format!(
                "{drug} = {} mg/kg: below guidance {}–{} mg/kg/day (min {} mg){stale_note}",
                per_kg(mg_per_kg),
                num(policy.gc_mg_per_kg_low),
                num(policy.gc_mg_per_kg_high),
                num(target)
            )
        });
        let mut detail = format!(
            "**Initial corticosteroid dose.** {} ({}): {} → {} mg/day prednisone-equivalent.\n\n{}\n\n\
             - {} mg/day ÷ {} kg = **{} mg/kg/day**\n",
            md(&u.med.name),
            md(&u.med.reference),
            u.med.dose.as_ref().map_or(String::new(), |d| md(&d.derivation)),
            num(dose),
            text::weight_line(w, facts, policy),
            num(dose),
            num(kg),
            per_kg(mg_per_kg),
        );
        if comorbid.is_empty() {
            detail.push_str(&format!(
                "- Guidance range {}–{} mg/kg/day = {}–{} mg/day, rounded to {} mg: **{}–{} mg/day**\n",
                num(policy.gc_mg_per_kg_low),
                num(policy.gc_mg_per_kg_high),
                num(policy.gc_mg_per_kg_low * kg),
                num(policy.gc_mg_per_kg_high * kg),
                num(policy.gc_round_mg),
                num(floor),
                num(ceiling)
            ));
        } else {
            detail.push_str(&format!(
                "- With {} the guidance uses the lower dose, ≈{} mg/kg/day = {} mg/day, rounded to {} mg: **{} mg/day**\n",
                comorbid.join(", "),
                num(policy.gc_mg_per_kg_comorbid),
                num(policy.gc_mg_per_kg_comorbid * kg),
                num(policy.gc_round_mg),
                num(ceiling)
            ));
        }
        detail.push_str(
            "\nGive as a single daily dose for 2–4 weeks before tapering. Higher doses (closer to 1 mg/kg) suit \
             patients at high risk of relapse and low risk of adverse events.\n\n\
             Sources: guidance (initial corticosteroid regimen); rounding to 5 mg: standard practice (tablet sizes).",
        );
        let mut suggestions = vec![];
        if let (Some(id), true) = (&u.med.id, matches!(u.gc, Gc::Prednisone | Gc::Prednisolone)) {
            let instruction = format!("{} mg by mouth once daily", num(target));
            suggestions.push(Suggestion {
                label: format!("Change to {} {} mg once daily", u.gc.name(), num(target)),
                recommended: true,
                actions: vec![Action::UpdateDraftDose {
                    description: format!(
                        "Set the {} dose to {} mg once daily",
                        u.gc.name(),
                        num(target)
                    ),
                    order_id: id.clone(),
                    dose_mg: target,
                    schedule: Schedule::DAILY,
                    route: if u.med.route == Route::Sublingual {
                        ProposedRoute::Sublingual
                    } else {
                        ProposedRoute::Oral
                    },
                    instruction,
                }],
            });
        }
        out.findings.push(Finding {
            topic,
            indicator,
            what: What::InitialDose(Words { summary, detail }),
            notes: vec![],
            pull: None,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clinical::rules::test_support::*;
    use crate::facts::Sex;

    fn run(f: &Facts) -> Outcome {
        evaluate(f, &Policy::default())
    }

    #[test]
    fn dose_table() {
        // (extra diagnosis, weight kg, prednisone mg/day, expected (topic, indicator, target mg))
        let pm = Concept::Polymyositis;
        type Case = (Option<Concept>, f64, f64, Option<(Topic, Indicator, f64)>);
        let cases: &[Case] = &[
            // S1: 60 mg, 70 kg, diabetes: 0.86 mg/kg; target 0.5 × 70 = 35 mg.
            (
                Some(Concept::Diabetes),
                70.0,
                60.0,
                Some((TOPIC_ABOVE, Indicator::Warning, 35.0)),
            ),
            // S2: 40 mg, 69.85 kg, osteoporosis: 0.57 mg/kg; 34.9 → 35 mg.
            (
                Some(Concept::Osteoporosis),
                69.853,
                40.0,
                Some((TOPIC_ABOVE, Indicator::Warning, 35.0)),
            ),
            // The rounded target itself does not fire (35 mg = 0.501 mg/kg).
            (Some(Concept::Osteoporosis), 69.853, 35.0, None),
            (Some(Concept::Glaucoma), 80.0, 40.0, None),
            // S8: 60 mg, 70 kg, no comorbidity: 0.86 within 0.5–1.
            (None, 70.0, 60.0, None),
            // Boundaries at 1.0 mg/kg (70 kg → 70 mg) and 0.5 (→ 35 mg).
            (None, 70.0, 70.0, None),
            (
                None,
                70.0,
                75.0,
                Some((TOPIC_ABOVE, Indicator::Warning, 70.0)),
            ),
            (None, 70.0, 35.0, None),
            (None, 70.0, 30.0, Some((TOPIC_BELOW, Indicator::Info, 35.0))),
            // 1 mg/kg × 62 kg = 62 → rounded ceiling 60: 62.5 mg is above.
            (
                None,
                62.0,
                62.5,
                Some((TOPIC_ABOVE, Indicator::Warning, 60.0)),
            ),
        ];
        for (extra, kg, mg, want) in cases {
            let mut dx = vec![pm];
            dx.extend(extra);
            let mut f = with_body(patient(&dx), Sex::Male, *kg, Some(170.0));
            f.orders.push(prednisone(*mg));
            let out = run(&f);
            let got = out.findings.first().map(|f| {
                let target = match &f.suggestions[0].actions[0] {
                    Action::UpdateDraftDose { dose_mg, .. } => *dose_mg,
                    other => panic!("{other:?}"),
                };
                assert!(f.summary().chars().count() < 140);
                (f.topic, f.indicator, target)
            });
            assert_eq!(got, *want, "{extra:?} {kg} {mg}");
        }
    }

    #[test]
    fn s1_summary_shows_the_figures() {
        let mut f = with_body(
            patient(&[Concept::Polymyositis, Concept::Diabetes]),
            Sex::Male,
            70.0,
            Some(170.0),
        );
        f.orders.push(prednisone(60.0));
        let card = &run(&f).findings[0];
        assert_eq!(
            card.summary(),
            "Prednisone 60 mg/day = 0.86 mg/kg; diabetes: guidance ≈0.5 mg/kg (35 mg)"
        );
        assert!(card
            .detail()
            .contains("60 mg/day ÷ 70 kg = **0.86 mg/kg/day**"));
        assert!(card.detail().contains("Observation/w"));
    }

    #[test]
    fn missing_stale_and_not_initial() {
        // No weight: skipped, weight needed.
        let mut f = patient(&[Concept::Dermatomyositis]);
        f.orders.push(prednisone(60.0));
        let out = run(&f);
        assert!(out.findings.is_empty());
        assert_eq!(out.needs[0].figure, Figure::Weight);

        // A weight 91 days old is named; 90 days is not.
        for (age, stale) in [(91, true), (90, false)] {
            let mut f = with_body(
                patient(&[Concept::Dermatomyositis]),
                Sex::Female,
                70.0,
                None,
            );
            f.weights[0].date = Some(days_ago(age));
            f.orders.push(prednisone(75.0));
            let card = &run(&f).findings[0];
            assert_eq!(card.detail().contains("days old"), stale, "{age}");
            assert_eq!(card.summary().contains("d old"), stale, "{age}");
        }

        // Already on a systemic steroid: not an initial dose.
        let mut f = with_body(
            patient(&[Concept::Dermatomyositis]),
            Sex::Female,
            70.0,
            None,
        );
        f.orders.push(prednisone(100.0));
        let mut active = prednisone(20.0);
        active.reference = "MedicationRequest/active".into();
        f.active_meds.push(active);
        assert!(run(&f).findings.is_empty());

        // SSc without myositis: not this rule.
        let mut f = with_body(patient(&[Concept::Ssc]), Sex::Female, 70.0, None);
        f.orders.push(prednisone(100.0));
        assert!(run(&f).findings.is_empty());
    }

    #[test]
    fn ceiling_and_never_raising_in_ssc() {
        // (diagnoses, weight kg, prednisone mg/day, expected (topic code, target mg))
        type Case = (&'static [Concept], f64, f64, Option<(&'static str, f64)>);
        let cases: &[Case] = &[
            // Below guidance in myositis: raise to 0.5 mg/kg (60 mg at 120 kg).
            (
                &[Concept::Polymyositis],
                120.0,
                20.0,
                Some(("gc-dose-below-guidance", 60.0)),
            ),
            // 0.5 mg/kg of 200 kg is 100 mg: suggested at the 80 mg ceiling.
            (
                &[Concept::Polymyositis],
                200.0,
                20.0,
                Some(("gc-dose-below-guidance", 80.0)),
            ),
            // Already at the ceiling: nothing to raise.
            (&[Concept::Polymyositis], 200.0, 80.0, None),
            // SSc (with myopathy, or overlap): never raised.
            (&[Concept::SscMyopathy], 120.0, 20.0, None),
            (&[Concept::Ssc, Concept::Polymyositis], 120.0, 20.0, None),
            // Above 1 mg/kg and above the ceiling: the ceiling card, not this one.
            (&[Concept::Polymyositis], 60.0, 100.0, None),
            // Above 1 mg/kg, under the ceiling: lowered to 1 mg/kg.
            (
                &[Concept::Polymyositis],
                60.0,
                75.0,
                Some(("gc-dose-above-guidance", 60.0)),
            ),
        ];
        for (dx, kg, mg, want) in cases {
            let mut f = with_body(patient(dx), Sex::Female, *kg, None);
            f.orders.push(prednisone(*mg));
            let out = run(&f);
            let got = out.findings.first().map(|c| {
                let target = c.suggestions.first().and_then(|s| match &s.actions[0] {
                    Action::UpdateDraftDose { dose_mg, .. } => Some(*dose_mg),
                    _ => None,
                });
                (c.topic.code, target.unwrap_or(f64::NAN))
            });
            assert_eq!(got, *want, "{dx:?} {kg} {mg}");
            if let Some((_, target)) = got {
                assert!(target <= Policy::default().gc_suggest_max_mg_per_day);
            }
        }
    }
}
