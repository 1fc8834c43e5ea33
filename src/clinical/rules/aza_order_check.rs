//! # Azathioprine order check (`aza-dose`, `aza-tpmt`)
//!
//! Guidance: "Azathioprine at 2 mg/kg ideal body weight".
//! POLICY.md: an azathioprine order → warning when the daily dose is above
//! 2 mg/kg dosing weight (ideal body weight, or actual if lower) rounded to the
//! nearest 25 mg; info when no TPMT/NUDT15 result is on file (CPIC 2018/2024,
//! REFERENCE.md 4), with an order for the test. The card shows the ideal body
//! weight method used.

/// What this rule found (free text until typed).
pub type Found = crate::clinical::Words;

use crate::clinical::{What, Words};
use std::sync::LazyLock;

use regex::Regex;

use super::{Need, Outcome};
use crate::clinical::body::{dosing_weight_of, round_to};
use crate::clinical::text::{self, md, num};
use crate::clinical::{
    Action, Finding, Indicator, OverrideReason, Policy, Selection, ServiceProposal, Suggestion,
    Topic,
};
use crate::facts::{DataArea, Facts};
use crate::terminology::medication::Drug;
use crate::terminology::Concept;

pub const TOPIC_DOSE: Topic = Topic {
    code: "aza-dose",
    display: "Azathioprine dose above the mg/kg dosing-weight limit",
};
pub const TOPIC_TPMT: Topic = Topic {
    code: "aza-tpmt",
    display: "TPMT/NUDT15 before azathioprine",
};

pub const SETTINGS: &[&str] = &["aza_mg_per_kg", "aza_round_mg", "aza_max_mg_per_day"];

static TPMT_TEXT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)\b(tpmt|nudt15|thiopurine)").expect("static regex"));

pub fn evaluate(facts: &Facts, policy: &Policy) -> Outcome {
    let mut out = Outcome::default();
    for m in facts.orders.iter().filter(|m| m.is(Drug::Azathioprine)) {
        let per_day = m.dose.as_ref().and_then(|d| d.per_day_mg());
        match (dosing_weight_of(facts), per_day) {
            (Ok(dw), Some(per_day)) => {
                let limit = round_to(policy.aza_mg_per_kg * dw.dosing, policy.aza_round_mg);
                // Above the absolute limit the thiopurine card speaks for the dose.
                if per_day > limit + 1e-9 && per_day <= policy.aza_max_mg_per_day + 1e-9 {
                    out.findings.push(Finding {
                        topic: TOPIC_DOSE,
                        indicator: Indicator::Warning,
                        what: What::AzaOrderCheck(Words {
                            summary: text::summary(format!(
                                "Azathioprine {} mg/day = {:.1} mg/kg dosing weight: above {} mg/kg ({} mg)",
                                num(per_day),
                                per_day / dw.dosing,
                                num(policy.aza_mg_per_kg),
                                num(limit)
                            )),
                            detail: format!(
                                "**Azathioprine dose.** {} ({}): {} mg/day.\n\n{}\n- {} mg/kg × {:.1} kg = {:.1} mg, rounded to {} mg: **{} mg/day**\n\n\
                                 Sources: guidance (azathioprine 2 mg/kg ideal body weight); Devine 1974 ideal body weight; dosing weight: local policy.",
                                md(&m.name),
                                md(&m.reference),
                                num(per_day),
                                dw.lines,
                                num(policy.aza_mg_per_kg),
                                dw.dosing,
                                policy.aza_mg_per_kg * dw.dosing,
                                num(policy.aza_round_mg),
                                num(limit)
                            ),
                        }),
                        notes: vec![],
                        pull: None,
                        suggestions: vec![],
                        selection: Selection::AtMostOne,
                        override_reasons: vec![OverrideReason::DoseAppropriate, OverrideReason::BenefitOutweighsRisk],
                    });
                }
            }
            (Err(figure), _) => out.needs.push(Need {
                figure,
                why: "azathioprine mg/kg (dosing weight) not checked".into(),
            }),
            (Ok(_), None) => {}
        }
        let on_file = facts
            .labs
            .iter()
            .any(|l| l.concepts.contains(&Concept::Tpmt) || TPMT_TEXT.is_match(&l.label));
        if !on_file && !facts.missing.contains(&DataArea::Labs) {
            out.findings.push(Finding {
                topic: TOPIC_TPMT,
                indicator: Indicator::Info,
                what: What::AzaOrderCheck(Words {
                    summary: "No TPMT/NUDT15 result on file: check thiopurine metabolism before azathioprine".into(),
                    detail: format!(
                        "**TPMT and NUDT15.** {} ({}). Intermediate metabolisers start at 30–80 % of the dose (20–50 % \
                         when both genes are intermediate); poor metabolisers should use a non-thiopurine agent.\n\n\
                         Sources: CPIC (Relling et al. 2019; 2024 update).",
                        md(&m.name),
                        md(&m.reference)
                    ),
                }),
                notes: vec![],
                pull: None,
                suggestions: vec![Suggestion {
                    label: "Order TPMT and NUDT15 genotyping".into(),
                    recommended: true,
                    actions: vec![Action::CreateService {
                        description: "TPMT and NUDT15 gene analysis".into(),
                        order: ServiceProposal {
                            loinc: "93193-1",
                            display: "TPMT gene and NUDT15 gene targeted mutation analysis",
                            text: "TPMT and NUDT15 genotyping before azathioprine".into(),
                            note: None,
                        },
                    }],
                }],
                selection: Selection::AtMostOne,
                override_reasons: vec![OverrideReason::RecordedElsewhere, OverrideReason::PatientDeclined],
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clinical::rules::test_support::*;
    use crate::facts::{Route, Schedule, Sex};

    #[test]
    fn dose_table() {
        // Male 180 cm, 90 kg: IBW 75.0 → 150 mg. Female 147.32 cm (58 in), 50 kg: IBW 40.9 → 81.8 → 75 mg.
        let cases = [
            (Sex::Male, 90.0, 180.0, 150.0, false),
            (Sex::Male, 90.0, 180.0, 175.0, true),
            (Sex::Female, 50.0, 147.32, 75.0, false),
            (Sex::Female, 50.0, 147.32, 100.0, true),
        ];
        for (sex, kg, cm, mg, warn) in cases.iter() {
            let mut f = with_body(patient(&[Concept::Polymyositis]), *sex, *kg, Some(*cm));
            f.labs.push(lab(Concept::Tpmt, 1.0, ""));
            f.orders.push(med(
                Drug::Azathioprine,
                *mg,
                Schedule::DAILY,
                Route::Oral,
                "aza",
            ));
            let out = evaluate(&f, &Policy::default());
            assert_eq!(
                out.findings.iter().any(|c| c.topic == TOPIC_DOSE),
                *warn,
                "{sex:?} {kg} {cm} {mg}"
            );
        }
        // Actual weight below IBW is the dosing weight: 60 kg → 120 mg → 125 mg; 150 mg is above.
        let mut f = with_body(
            patient(&[Concept::Polymyositis]),
            Sex::Male,
            60.0,
            Some(180.0),
        );
        f.labs.push(lab(Concept::Tpmt, 1.0, ""));
        f.orders.push(med(
            Drug::Azathioprine,
            150.0,
            Schedule::DAILY,
            Route::Oral,
            "aza",
        ));
        let out = evaluate(&f, &Policy::default());
        assert!(
            out.findings[0].summary().contains("(125 mg)"),
            "{}",
            out.findings[0].summary()
        );
    }

    #[test]
    fn extrapolated_ibw_is_shown_with_the_floor() {
        let mut f = with_body(
            patient(&[Concept::Polymyositis]),
            Sex::Female,
            50.0,
            Some(147.32),
        );
        f.orders.push(med(
            Drug::Azathioprine,
            100.0,
            Schedule::DAILY,
            Route::Oral,
            "aza",
        ));
        let out = evaluate(&f, &Policy::default());
        let dose = out.findings.iter().find(|c| c.topic == TOPIC_DOSE).unwrap();
        assert!(
            dose.detail().contains("extrapolated below 60 in")
                && dose
                    .detail()
                    .contains("a floor at 60 in would give 45.5 kg"),
            "{}",
            dose.detail()
        );
        // No TPMT on file: info with an order for the test.
        let tpmt = out.findings.iter().find(|c| c.topic == TOPIC_TPMT).unwrap();
        assert!(
            matches!(&tpmt.suggestions[0].actions[0], Action::CreateService { order, .. } if order.loinc == "93193-1")
        );
        // Missing sex: the dose is not checked and sex is asked for.
        let mut f = with_body(
            patient(&[Concept::Polymyositis]),
            Sex::Female,
            50.0,
            Some(147.32),
        );
        f.sex = None;
        f.orders.push(med(
            Drug::Azathioprine,
            100.0,
            Schedule::DAILY,
            Route::Oral,
            "aza",
        ));
        let out = evaluate(&f, &Policy::default());
        assert_eq!(out.needs[0].figure, super::super::Figure::Sex);
    }
}
