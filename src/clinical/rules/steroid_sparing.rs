//! # Steroid-sparing agent from day one (`steroid-sparing-day-one`)
//!
//! Guidance: "Start combination therapy immediately with high-dose
//! corticosteroids [...] plus methotrexate 15-20 mg/m²/week as the first-line
//! steroid-sparing agent from day one. [...] Corticosteroid monotherapy fails
//! in 86% of myositis patients." — "Preferably administer subcutaneously" —
//! "Add folic acid 1 mg/day supplementation" — "Alternative first-line agents
//! if methotrexate is contraindicated: Azathioprine at 2 mg/kg ideal body
//! weight, particularly preferred for interstitial lung disease or pregnancy
//! planning; Mycophenolate mofetil [...] 500 mg twice daily initially".
//!
//! POLICY.md: myositis and a systemic glucocorticoid order, with no
//! methotrexate, azathioprine or mycophenolate active or drafted → warning with
//! `at-most-one` suggestions:
//! - methotrexate 15 mg/m²/week (Mosteller) rounded **up** to 2.5 mg, at most
//!   40 mg, SC weekly, with folic acid 1 mg daily (unless folate is active);
//! - azathioprine 2 mg/kg dosing weight (ideal body weight, or actual if lower)
//!   rounded to 25 mg, daily (check TPMT/NUDT15 first);
//! - mycophenolate mofetil 500 mg twice daily.
//!
//! Methotrexate is recommended unless contraindicated, azathioprine with ILD or
//! pregnancy planning. Methotrexate is not offered when contraindicated
//! (pregnancy, eGFR < 30 — the critical items of the methotrexate check);
//! mycophenolate is not offered in pregnancy (REFERENCE.md 4).
//!
//! POLICY second edition ("Our suggestions pass our own checks"): "An option
//! whose order check would warn (liver disease, hepatitis B/C, ILD for MTX,
//! TMP-SMX, unstable or reduced renal function [...]) is not offered. If no
//! option remains, the card says 'no steroid-sparing agent can be suggested
//! safely: specialist decision'." "Methotrexate start ≤ 25 mg/week (the card
//! shows the guidance's 15–20 mg/m² figure and that escalation up to 40
//! mg/week is possible); azathioprine ≤ 2 mg/kg dosing weight and ≤ 300
//! mg/day." Renal: "eGFR 30–59: not suggested in SSc (a crisis can drop renal
//! function suddenly: azathioprine or MMF instead); outside SSc suggested at
//! 50 % dose. Unstable renal function: MTX not suggested. Unknown: the MTX
//! suggestion says 'check creatinine before the first dose'."

/// What this rule found (free text until typed).
pub type Found = crate::clinical::Words;

use super::{Figure, Need, Outcome};
use crate::clinical::body::{bsa_mosteller, ceil_to, dosing_weight_of, floor_to, round_to};
use crate::clinical::pretreatment;
use crate::clinical::reproductive::{self, Reproductive};
use crate::clinical::text::{self, num};
use crate::clinical::PatientScope;
use crate::clinical::{
    Action, Finding, Indicator, MedicationProposal, OverrideReason, Policy, ProposedRoute,
    Selection, Suggestion, Topic,
};
use crate::clinical::{What, Words};
use crate::facts::{Facts, Schedule};
use crate::terminology::medication::Drug;
use crate::terminology::Concept;

pub const TOPIC: Topic = Topic {
    code: "steroid-sparing-day-one",
    display: "Steroid-sparing agent from day one",
};

pub const SETTINGS: &[&str] = &[
    "mtx_start_mg_per_m2",
    "mtx_round_mg",
    "mtx_max_mg_per_week",
    "mtx_usual_adult_max_mg_per_week",
    "mtx_egfr_avoid_below",
    "mtx_egfr_reduce_below",
    "mtx_suggest_max_mg_per_week",
    "aza_suggest_max_mg_per_day",
    "pcp_gc_mg_per_day",
    "pcp_gc_weeks",
    "folic_acid_mg_per_day",
    "aza_mg_per_kg",
    "aza_round_mg",
    "mmf_start_mg",
    "weight_max_age_days",
    "weight_conflict_pct",
    "pregnancy_condition_days",
    "hcg_positive_days",
];

/// RxNorm products suggested (REFERENCE.md 5.3, V2+).
pub const MTX_INJECTION: (&str, &str) = ("1946772", "methotrexate 25 MG/ML Injectable Solution");
pub const AZA_TABLET: (&str, &str) = ("199310", "Azathioprine 25 MG Oral Tablet");
pub const MMF_TABLET: (&str, &str) = ("200060", "mycophenolate mofetil 500 MG Oral Tablet");

/// Folic acid 1 mg daily: no verified RxNorm code exists (REFERENCE.md 5.3),
/// so the order is by text only.
pub fn folic_acid(policy: &Policy) -> Action {
    let mg = policy.folic_acid_mg_per_day;
    Action::CreateMedication {
        description: format!("Folic acid {} mg by mouth once daily", num(mg)),
        order: MedicationProposal {
            rxnorm: None,
            text: format!("folic acid {} mg oral tablet", num(mg)),
            dose_mg: mg,
            schedule: Schedule::DAILY,
            route: ProposedRoute::Oral,
            instruction: format!(
                "{} mg by mouth once daily (methotrexate supplementation)",
                num(mg)
            ),
        },
    }
}

/// Reasons methotrexate must not be offered: its order check would be
/// critical or would warn.
pub fn mtx_contraindications(facts: &Facts, policy: &Policy) -> Vec<String> {
    let mut out = vec![];
    let repro = reproductive::state(facts, policy);
    if repro.excludes_teratogens() {
        out.push(teratogen_reason(&repro));
    }
    let renal = facts.renal();
    if renal.is_below(policy.mtx_egfr_avoid_below) {
        out.push(text::md(&renal.describe()));
    } else if renal.is_below(policy.mtx_egfr_reduce_below) && facts.has_ssc() {
        out.push(format!(
            "{} in SSc: a renal crisis can drop renal function suddenly",
            text::md(&renal.describe())
        ));
    }
    if let Some(u) = &renal.unstable {
        out.push(format!("renal function unstable ({})", text::md(u)));
    }
    for (concept, what) in [
        (
            Concept::LiverDisease,
            "liver disease or chronic viral hepatitis",
        ),
        (Concept::AlcoholUse, "alcohol use disorder"),
        (Concept::Ild, "interstitial lung disease"),
        (Concept::SscIld, "interstitial lung disease"),
    ] {
        if facts.has(concept) && !out.iter().any(|o| o == what) {
            out.push(what.to_string());
        }
    }
    if facts.all_meds().any(|m| m.is(Drug::TmpSmx)) {
        out.push("trimethoprim-sulfamethoxazole".to_string());
    }
    if let Some(why) = pretreatment::blocking(facts, policy, Drug::Methotrexate) {
        out.push(why);
    }
    out
}

/// Why a teratogen (MTX, MMF) is not suggested, in words.
fn teratogen_reason(r: &Reproductive) -> String {
    let what = match r {
        Reproductive::Pregnant(_) => "pregnancy",
        Reproductive::Breastfeeding(_) => "breastfeeding",
        Reproductive::PossiblyPregnant(_) => {
            "possible pregnancy (verify and update the problem list)"
        }
        Reproductive::Planning { .. } => "pregnancy planning",
        Reproductive::None => "",
    };
    match r.evidence() {
        Some(e) => format!("{what}: {e}"),
        None => what.to_string(),
    }
}

/// Pre-treatment reminders (not blocking) for a suggested drug, as one sentence.
fn reminders(facts: &Facts, policy: &Policy, drug: Drug) -> String {
    let lines: Vec<String> = pretreatment::lines(facts, policy, drug)
        .into_iter()
        .filter(|l| !l.blocking)
        .map(|l| l.text)
        .collect();
    if lines.is_empty() {
        String::new()
    } else {
        format!(" Before the first dose: {}", lines.join(" "))
    }
}

pub fn evaluate(facts: &Facts, policy: &Policy) -> Outcome {
    let mut out = Outcome::default();
    if !facts.has_myositis() {
        return out;
    }
    let Some(gc) = facts
        .orders
        .iter()
        .find(|m| crate::clinical::steroids::systemic_gc(m).is_some())
    else {
        return out;
    };
    if facts
        .all_meds()
        .any(|m| m.drug().is_some_and(Drug::is_steroid_sparing))
    {
        return out;
    }
    let w = facts.weight();
    let h = facts.height();
    let mut lines = vec![];
    let mut suggestions = vec![];

    // Methotrexate.
    let contra = mtx_contraindications(facts, policy);
    let bsa = match (w, h) {
        (Some(w), Some(h)) => Some(bsa_mosteller(h.value, w.value)),
        _ => None,
    };
    let mut mtx_dose = None;
    if !contra.is_empty() {
        lines.push(format!(
            "- Methotrexate **not offered**: contraindicated ({}).",
            contra.join("; ")
        ));
    } else if let Some(bsa) = bsa {
        let raw = policy.mtx_start_mg_per_m2 * bsa;
        let renal = facts.renal();
        // Outside SSc, eGFR 30–59: half the dose (the order check's reduction).
        let reduced = renal.is_below(policy.mtx_egfr_reduce_below);
        let target = if reduced { raw * 0.5 } else { raw };
        let dose = ceil_to(target, policy.mtx_round_mg).min(policy.mtx_suggest_max_mg_per_week);
        mtx_dose = Some(dose);
        let mut line = format!(
            "- Methotrexate: BSA (Mosteller) √({} cm × {} kg / 3600) = **{} m²**; guidance {}–{} mg/m²/week; \
             start {} mg/m² × {} = {} mg",
            num(h.map_or(0.0, |h| h.value)),
            num(w.map_or(0.0, |w| w.value)),
            format_args!("{:.2}", bsa),
            num(policy.mtx_mg_per_m2_low),
            num(policy.mtx_mg_per_m2_high),
            num(policy.mtx_start_mg_per_m2),
            format_args!("{:.3}", bsa),
            num(raw),
        );
        if reduced {
            line.push_str(&format!(
                ", halved for {} = {} mg",
                text::md(&renal.describe()),
                num(target)
            ));
        }
        line.push_str(&format!(
            ", rounded up to {} mg, at most {} to start: **{} mg SC once weekly**, with folic acid {} mg daily. \
             Escalation up to {} mg/week is possible.",
            num(policy.mtx_round_mg),
            num(policy.mtx_suggest_max_mg_per_week),
            num(dose),
            num(policy.folic_acid_mg_per_day),
            num(policy.mtx_max_mg_per_week),
        ));
        if !renal.is_known() {
            line.push_str(" Renal function unknown: **check creatinine before the first dose**.");
        }
        line.push_str(&reminders(facts, policy, Drug::Methotrexate));
        lines.push(line);
    } else {
        let missing = if w.is_none() {
            Figure::Weight
        } else {
            Figure::Height
        };
        out.needs.push(Need {
            figure: missing,
            why: "methotrexate dose (mg/m²) not computed".into(),
        });
        lines.push("- Methotrexate: dose not computed (BSA needs height and weight).".into());
    }

    // Azathioprine.
    let aza_blocked = super::thiopurine::azathioprine_blocked(facts)
        .or_else(|| pretreatment::blocking(facts, policy, Drug::Azathioprine));
    let aza_dose = match (&aza_blocked, dosing_weight_of(facts)) {
        (Some(why), _) => {
            lines.push(format!("- Azathioprine **not offered**: {why}."));
            None
        }
        (None, Ok(dw)) => {
            // Rounded to the nearest tablet step, but not above 2 mg/kg dosing
            // weight (beyond measurement noise: 1 %) nor the ceiling (POLICY
            // second edition).
            let exact = policy.aza_mg_per_kg * dw.dosing;
            let nearest = round_to(exact, policy.aza_round_mg);
            let dose = if nearest > exact * 1.01 {
                floor_to(exact, policy.aza_round_mg)
            } else {
                nearest
            }
            .min(policy.aza_suggest_max_mg_per_day);
            lines.push(format!(
                "- Azathioprine: {} mg/kg × {:.1} kg dosing weight = {:.1} mg, in {} mg steps and not above it: **{} mg once daily**. \
                 Check TPMT and NUDT15 first.\n  {}",
                num(policy.aza_mg_per_kg),
                dw.dosing,
                policy.aza_mg_per_kg * dw.dosing,
                num(policy.aza_round_mg),
                num(dose),
                dw.lines.replace('\n', "\n  ")
            ));
            let r = reminders(facts, policy, Drug::Azathioprine);
            if !r.is_empty() {
                lines.push(format!("  {}", r.trim()));
            }
            Some(dose)
        }
        (None, Err(figure)) => {
            out.needs.push(Need {
                figure,
                why: "azathioprine dose (ideal body weight) not computed".into(),
            });
            lines.push("- Azathioprine: dose not computed (ideal body weight needs sex, height and weight).".into());
            None
        }
    };

    // Mycophenolate.
    let repro = reproductive::state(facts, policy);
    let mmf_blocked = if repro.excludes_teratogens() {
        Some(teratogen_reason(&repro))
    } else {
        pretreatment::blocking(facts, policy, Drug::Mycophenolate)
    };
    let pregnant = matches!(repro, Reproductive::Pregnant(_));
    if let Some(why) = &mmf_blocked {
        lines.push(format!("- Mycophenolate **not offered**: {why}."));
    } else {
        lines.push(format!(
            "- Mycophenolate mofetil: **{} mg twice daily** initially.{}",
            num(policy.mmf_start_mg),
            reminders(facts, policy, Drug::Mycophenolate)
        ));
    }

    let prefer_aza = facts.has(Concept::Ild)
        || facts.has(Concept::SscIld)
        || repro.excludes_teratogens()
        || pregnant;
    let recommend_mtx = mtx_dose.is_some() && !prefer_aza;
    let recommend_aza = aza_dose.is_some() && !recommend_mtx;
    let folate_active = facts.all_meds().any(|m| m.is(Drug::Folate));
    if let Some(dose) = mtx_dose {
        let mut actions = vec![Action::CreateMedication {
            description: format!("Methotrexate {} mg subcutaneously once weekly", num(dose)),
            order: MedicationProposal {
                rxnorm: Some(MTX_INJECTION),
                text: format!(
                    "methotrexate {} mg subcutaneous injection once weekly",
                    num(dose)
                ),
                dose_mg: dose,
                schedule: Schedule::WEEKLY,
                route: ProposedRoute::Subcutaneous,
                instruction: format!(
                    "{} mg subcutaneously once weekly, on the same day each week",
                    num(dose)
                ),
            },
        }];
        if !folate_active {
            actions.push(folic_acid(policy));
        }
        suggestions.push(Suggestion {
            label: format!("Methotrexate {} mg SC weekly + folic acid", num(dose)),
            recommended: recommend_mtx,
            actions,
        });
    }
    if let Some(dose) = aza_dose {
        suggestions.push(Suggestion {
            label: format!("Azathioprine {} mg daily", num(dose)),
            recommended: recommend_aza,
            actions: vec![Action::CreateMedication {
                description: format!("Azathioprine {} mg by mouth once daily", num(dose)),
                order: MedicationProposal {
                    rxnorm: Some(AZA_TABLET),
                    text: format!("azathioprine {} mg oral once daily", num(dose)),
                    dose_mg: dose,
                    schedule: Schedule::DAILY,
                    route: ProposedRoute::Oral,
                    instruction: format!(
                        "{} mg by mouth once daily (check TPMT/NUDT15 first)",
                        num(dose)
                    ),
                },
            }],
        });
    }
    if mmf_blocked.is_none() {
        suggestions.push(Suggestion {
            label: format!(
                "Mycophenolate mofetil {} mg twice daily",
                num(policy.mmf_start_mg)
            ),
            recommended: mtx_dose.is_none() && aza_dose.is_none(),
            actions: vec![Action::CreateMedication {
                description: format!(
                    "Mycophenolate mofetil {} mg by mouth twice daily",
                    num(policy.mmf_start_mg)
                ),
                order: MedicationProposal {
                    rxnorm: Some(MMF_TABLET),
                    text: format!(
                        "mycophenolate mofetil {} mg oral twice daily",
                        num(policy.mmf_start_mg)
                    ),
                    dose_mg: policy.mmf_start_mg,
                    schedule: Schedule {
                        frequency: 2.0,
                        period_days: 1.0,
                    },
                    route: ProposedRoute::Oral,
                    instruction: format!("{} mg by mouth twice daily", num(policy.mmf_start_mg)),
                },
            }],
        });
    }

    let lead = match (mtx_dose, aza_dose) {
        (Some(d), _) if recommend_mtx => format!("methotrexate {} mg SC weekly", num(d)),
        (_, Some(d)) if recommend_aza => format!("azathioprine {} mg daily", num(d)),
        _ => "a steroid-sparing agent".to_string(),
    };
    // Every option withheld for safety (not for a missing figure): say so.
    let none_safe = !contra.is_empty() && aza_blocked.is_some() && mmf_blocked.is_some();
    let summary = text::summary(if none_safe {
        "Myositis: no steroid-sparing agent can be suggested safely: specialist decision"
            .to_string()
    } else {
        format!("Myositis: start {lead} with the steroid; steroid alone fails in 86%")
    });
    let mut detail = format!(
        "**Steroid-sparing agent from day one.** {} ({}) is ordered and no methotrexate, azathioprine or \
         mycophenolate is active or drafted.\n\n",
        text::md(&gc.name),
        text::md(&gc.reference)
    );
    if let Some(w) = w {
        detail.push_str(&text::weight_line(w, facts, policy));
        detail.push('\n');
    }
    if let Some(h) = h {
        detail.push_str(&format!("- Height used: {}\n", text::reading(h, "cm")));
        for i in facts.ignored("height") {
            detail.push_str(&format!(
                "- A height dated {} ({}) is in the future and was not used\n",
                i.date,
                text::md(&i.value)
            ));
        }
    }
    detail.push_str(&format!("\n{}\n\n", lines.join("\n")));
    if prefer_aza {
        detail.push_str("Azathioprine is preferred here (interstitial lung disease, pregnancy or pregnancy planning).\n\n");
    }
    // Pneumocystis prophylaxis (POLICY second edition, "Before immunosuppression"):
    // a glucocorticoid >= 20 mg/day (given for >= 4 weeks) with a second
    // immunosuppressant, as suggested here.
    let gc_total = crate::clinical::steroids::Exposure::of(facts, policy).total_after();
    if gc_total >= policy.pcp_gc_mg_per_day - 1e-9 && !suggestions.is_empty() {
        detail.push_str(&format!(
            "Prednisone-equivalent {} mg/day (≥ {} mg/day, usually for ≥ {} weeks) with a second immunosuppressant: \
             consider Pneumocystis prophylaxis (with methotrexate a prophylactic trimethoprim-sulfamethoxazole dose \
             needs blood-count monitoring; Park et al. 2018).\n\n",
            num(gc_total),
            num(policy.pcp_gc_mg_per_day),
            num(policy.pcp_gc_weeks)
        ));
    }
    detail.push_str(
        "Continue methotrexate for at least 12 months after remission before tapering.\n\n\
         Sources: guidance (mandatory concurrent steroid-sparing agent; alternatives); Mosteller 1987 (BSA); Devine \
         1974 (ideal body weight).",
    );
    out.findings.push(Finding {
        topic: TOPIC,
        indicator: Indicator::Warning,
        what: What::SteroidSparing(Words { summary, detail }),
        notes: vec![],
        pull: None,
        suggestions,
        selection: Selection::AtMostOne,
        override_reasons: vec![
            OverrideReason::RecordedElsewhere,
            OverrideReason::DiagnosisNotConfirmed,
            OverrideReason::PatientDeclined,
        ],
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clinical::rules::test_support::*;
    use crate::facts::{Route, Sex};

    fn suggestion_doses(f: &Finding) -> Vec<(String, bool)> {
        f.suggestions
            .iter()
            .map(|s| (s.label.clone(), s.recommended))
            .collect()
    }

    #[test]
    fn worked_doses() {
        // (sex, kg, cm) -> (MTX mg/week, AZA mg/day)
        // S1 body: BSA 1.818 → 15 × 1.818 = 27.27 → 27.5 mg, started at the 25 mg ceiling;
        //   IBW 65.9 → 131.9 → 125 mg.
        // S5 body: BSA 2.121 → 31.8 → 32.5 → 25 mg; IBW 75.0 → 150 mg.
        // Large: BSA 2.84 → 42.6 → 25 mg.
        // Short woman (58 in): BSA 1.43 → 21.4 → 22.5 mg; IBW 40.9 (extrapolated) → 81.8 → 75 mg.
        let cases = [
            (Sex::Male, 70.0, 170.0, 25.0, 125.0),
            (Sex::Male, 90.0, 180.0, 25.0, 150.0),
            (Sex::Male, 160.0, 182.0, 25.0, 150.0),
            (Sex::Female, 50.0, 147.32, 22.5, 75.0),
        ];
        for (sex, kg, cm, mtx, aza) in cases {
            let mut f = with_body(patient(&[Concept::Dermatomyositis]), sex, kg, Some(cm));
            f.orders.push(prednisone(60.0));
            let out = evaluate(&f, &Policy::default());
            let card = &out.findings[0];
            assert_eq!(card.indicator, Indicator::Warning);
            assert_eq!(
                suggestion_doses(card),
                vec![
                    (
                        format!("Methotrexate {} mg SC weekly + folic acid", num(mtx)),
                        true
                    ),
                    (format!("Azathioprine {} mg daily", num(aza)), false),
                    ("Mycophenolate mofetil 500 mg twice daily".into(), false),
                ],
                "{kg} {cm}"
            );
            assert_eq!(card.suggestions[0].actions.len(), 2, "MTX with folic acid");
        }
    }

    #[test]
    fn choice_logic() {
        let setup = |extra: &[Concept]| {
            let mut dx = vec![Concept::Polymyositis];
            dx.extend(extra);
            let mut f = with_body(patient(&dx), Sex::Female, 60.0, Some(160.0));
            f.orders.push(prednisone(40.0));
            f
        };
        // ILD → azathioprine recommended.
        let card = &evaluate(&setup(&[Concept::Ild]), &Policy::default()).findings[0];
        assert!(card
            .suggestions
            .iter()
            .any(|s| s.label.starts_with("Azathioprine") && s.recommended));
        assert_eq!(card.suggestions.iter().filter(|s| s.recommended).count(), 1);
        // Pregnancy → no MTX, no MMF; azathioprine recommended.
        let card = &evaluate(&setup(&[Concept::Pregnancy]), &Policy::default()).findings[0];
        let labels: Vec<_> = card.suggestions.iter().map(|s| s.label.as_str()).collect();
        assert_eq!(labels, vec!["Azathioprine 100 mg daily"]);
        assert!(card.suggestions[0].recommended);
        // eGFR 29 → MTX not offered; 30 → offered.
        for (egfr, offered) in [(29.0, false), (30.0, true)] {
            let mut f = setup(&[]);
            f.labs.push(lab(Concept::Egfr, egfr, "mL/min/{1.73_m2}"));
            let card = &evaluate(&f, &Policy::default()).findings[0];
            assert_eq!(
                card.suggestions
                    .iter()
                    .any(|s| s.label.starts_with("Methotrexate")),
                offered,
                "{egfr}"
            );
        }
    }

    #[test]
    fn silent_when_already_covered() {
        for existing in [Drug::Methotrexate, Drug::Azathioprine, Drug::Mycophenolate] {
            let mut f = with_body(
                patient(&[Concept::Dermatomyositis]),
                Sex::Male,
                70.0,
                Some(170.0),
            );
            f.orders.push(prednisone(60.0));
            f.active_meds
                .push(med(existing, 10.0, Schedule::WEEKLY, Route::Oral, "x"));
            assert!(
                evaluate(&f, &Policy::default()).findings.is_empty(),
                "{existing:?}"
            );
        }
        // Drafted in the same order set (S1).
        let mut f = with_body(
            patient(&[Concept::Dermatomyositis]),
            Sex::Male,
            70.0,
            Some(170.0),
        );
        f.orders.push(prednisone(60.0));
        f.orders.push(mtx(27.5, Route::Subcutaneous));
        assert!(evaluate(&f, &Policy::default()).findings.is_empty());
        // No steroid order, or SSc without myositis.
        let f = with_body(
            patient(&[Concept::Dermatomyositis]),
            Sex::Male,
            70.0,
            Some(170.0),
        );
        assert!(evaluate(&f, &Policy::default()).findings.is_empty());
        let mut f = with_body(patient(&[Concept::Ssc]), Sex::Male, 70.0, Some(170.0));
        f.orders.push(prednisone(60.0));
        assert!(evaluate(&f, &Policy::default()).findings.is_empty());
    }

    #[test]
    fn missing_height_still_offers_mmf_and_says_why() {
        let mut f = with_body(patient(&[Concept::Dermatomyositis]), Sex::Male, 70.0, None);
        f.orders.push(prednisone(60.0));
        let out = evaluate(&f, &Policy::default());
        let card = &out.findings[0];
        assert_eq!(card.suggestions.len(), 1);
        assert!(card.suggestions[0].recommended);
        assert!(out.needs.iter().all(|n| n.figure == Figure::Height));
        assert!(card.detail().contains("dose not computed"));
    }

    #[test]
    fn methotrexate_withheld_or_reduced_table() {
        // (diagnoses, eGFR (None: no renal result), extra, MTX offered at mg/week, detail says)
        type Case = (
            &'static [Concept],
            Option<f64>,
            &'static str,
            Option<f64>,
            &'static str,
        );
        let cases: &[Case] = &[
            (
                &[Concept::Polymyositis],
                Some(90.0),
                "",
                Some(25.0),
                "Escalation up to 40",
            ),
            // Outside SSc, eGFR 30–59: half (15 × 1.633 = 24.5 → 12.2 → 12.5 mg).
            (
                &[Concept::Polymyositis],
                Some(45.0),
                "",
                Some(12.5),
                "halved",
            ),
            // In SSc, eGFR 30–59: not offered.
            (
                &[Concept::SscMyopathy],
                Some(45.0),
                "",
                None,
                "renal crisis can drop",
            ),
            (
                &[Concept::Polymyositis],
                Some(29.0),
                "",
                None,
                "not offered",
            ),
            (
                &[Concept::Polymyositis],
                None,
                "",
                Some(25.0),
                "check creatinine before the first dose",
            ),
            (
                &[Concept::Polymyositis, Concept::LiverDisease],
                Some(90.0),
                "",
                None,
                "liver disease",
            ),
            (
                &[Concept::Polymyositis, Concept::AlcoholUse],
                Some(90.0),
                "",
                None,
                "alcohol",
            ),
            (
                &[Concept::Polymyositis, Concept::Ild],
                Some(90.0),
                "",
                None,
                "interstitial lung disease",
            ),
            (
                &[Concept::Polymyositis, Concept::PregnancyPlanning],
                Some(90.0),
                "",
                None,
                "pregnancy planning",
            ),
            (
                &[Concept::Polymyositis],
                Some(90.0),
                "tmp-smx",
                None,
                "trimethoprim-sulfamethoxazole",
            ),
            (
                &[Concept::Polymyositis],
                Some(90.0),
                "unstable",
                None,
                "unstable",
            ),
        ];
        for (dx, egfr, extra, offered, says) in cases {
            let mut f = with_body(patient(dx), Sex::Female, 60.0, Some(160.0));
            if let Some(v) = egfr {
                f.labs.push(lab(Concept::Egfr, *v, "mL/min/{1.73_m2}"));
            }
            if *extra == "tmp-smx" {
                f.active_meds.push(med(
                    Drug::TmpSmx,
                    960.0,
                    Schedule::DAILY,
                    Route::Oral,
                    "tmp",
                ));
            }
            if *extra == "unstable" {
                let mut old = lab(Concept::Creatinine, 0.7, "mg/dL");
                old.date = Some(days_ago(40));
                f.labs.push(lab(Concept::Creatinine, 1.1, "mg/dL"));
                f.labs.push(old);
            }
            f.orders.push(prednisone(40.0));
            let card = &evaluate(&f, &Policy::default()).findings[0];
            let mtx = card.suggestions.iter().find_map(|s| match &s.actions[0] {
                Action::CreateMedication { order, .. }
                    if order.text.starts_with("methotrexate") =>
                {
                    Some(order.dose_mg)
                }
                _ => None,
            });
            assert_eq!(mtx, *offered, "{dx:?} {egfr:?} {extra}");
            assert!(
                card.detail().contains(says),
                "{dx:?} {egfr:?} {extra}: {}",
                card.detail()
            );
        }
    }

    #[test]
    fn pneumocystis_line_with_a_high_steroid_dose() {
        for (mg, said) in [(40.0, true), (20.0, true), (15.0, false)] {
            let mut f = with_body(
                patient(&[Concept::Polymyositis]),
                Sex::Female,
                60.0,
                Some(160.0),
            );
            f.orders.push(prednisone(mg));
            let card = &evaluate(&f, &Policy::default()).findings[0];
            assert_eq!(
                card.detail().contains("Pneumocystis prophylaxis"),
                said,
                "{mg}"
            );
        }
    }
}
