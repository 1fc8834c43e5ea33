//! # Methotrexate order check (`mtx-*`)
//!
//! Guidance: "Methotrexate [...] Start at 15-20 mg/m²/week (maximum absolute
//! dose 40 mg/week) — Preferably administer subcutaneously for better
//! bioavailability — Add folic acid 1 mg/day supplementation."
//!
//! POLICY.md, for each methotrexate order the hook asks about:
//! - critical: a schedule more often than weekly (fatal daily-dosing errors,
//!   ISMP), eGFR < 30 (pregnancy: see `pregnancy`);
//! - warning: > 40 mg/week, eGFR 30–59 (reduce ≈50 %), liver disease, alcohol
//!   use disorder, ILD (prefer azathioprine), pregnancy planning,
//!   trimethoprim-sulfamethoxazole, duplicate methotrexate;
//! - info: outside 15–20 mg/m²/week, oral route (SC preferred), above
//!   25 mg/week (above usual adult maximum: confirm) — one dose card; no folic
//!   acid — its own card with a folic acid order.
//!
//! One card per concern. When a critical card fires for an order, its
//! dose-tuning info cards are left out: the order should not go ahead as it is.
//! Missing height: the mg/m² check is skipped and a card asks for it.
//! Sources: REFERENCE.md 3 and 4 (ACR 2008, BAD 2016, ACR 2020, BSR 2023,
//! methotrexate label).

/// What this rule found (free text until typed).
pub type Found = crate::clinical::Words;

use super::steroid_sparing::folic_acid;
use super::{Figure, Need, Outcome};
use crate::clinical::body::{bsa_mosteller, ceil_to, floor_to};
use crate::clinical::text::{self, md, num};
use crate::clinical::{Finding, Indicator, OverrideReason, Policy, Selection, Suggestion, Topic};
use crate::clinical::{What, Words};
use crate::facts::{Facts, Med, Route};
use crate::terminology::medication::Drug;
use crate::terminology::Concept;

macro_rules! topic {
    ($name:ident, $code:literal, $display:literal) => {
        pub const $name: Topic = Topic {
            code: $code,
            display: $display,
        };
    };
}
topic!(
    DAILY,
    "mtx-daily-frequency",
    "Methotrexate ordered more often than weekly"
);
topic!(
    FREQUENCY_UNKNOWN,
    "mtx-frequency-unknown",
    "Methotrexate ordered without a readable frequency"
);
topic!(
    RENAL_AVOID,
    "mtx-contraindicated-renal",
    "Methotrexate with eGFR below the avoid threshold"
);
topic!(
    RENAL_REDUCE,
    "mtx-renal-caution",
    "Methotrexate with eGFR in the dose-reduction range"
);
topic!(
    DOSE_SLIP,
    "mtx-dose-slip",
    "Methotrexate dose twice the threshold or more: unit or dose slip"
);
topic!(
    PRETREATMENT,
    "mtx-pretreatment",
    "Methotrexate before the pre-treatment checks are clear"
);
topic!(
    ABOVE_MAX,
    "mtx-above-max",
    "Methotrexate above the weekly maximum"
);
topic!(LIVER, "mtx-liver", "Methotrexate with liver disease");
topic!(
    ALCOHOL,
    "mtx-alcohol",
    "Methotrexate with alcohol use disorder"
);
topic!(
    ILD,
    "mtx-ild",
    "Methotrexate with interstitial lung disease"
);
topic!(
    PLANNING,
    "mtx-pregnancy-planning",
    "Methotrexate with pregnancy planning"
);
topic!(
    TMP_SMX,
    "mtx-tmp-smx",
    "Methotrexate with trimethoprim-sulfamethoxazole"
);
topic!(DUPLICATE, "mtx-duplicate", "Duplicate methotrexate");
topic!(DOSE, "mtx-dose-bsa", "Methotrexate dose and route");
topic!(FOLIC, "mtx-folic-acid", "Folic acid with methotrexate");

pub const SETTINGS: &[&str] = &[
    "mtx_mg_per_m2_low",
    "mtx_mg_per_m2_high",
    "mtx_round_mg",
    "mtx_max_mg_per_week",
    "mtx_usual_adult_max_mg_per_week",
    "mtx_slip_mg_per_week",
    "tmp_smx_treatment_ds_per_day",
    "mtx_slip_mg_per_dose",
    "mtx_suggest_max_mg_per_week",
    "mtx_egfr_avoid_below",
    "mtx_egfr_reduce_below",
    "folic_acid_mg_per_day",
    "weight_max_age_days",
    "weight_conflict_pct",
    "pregnancy_condition_days",
    "hcg_positive_days",
];

const SOURCES: &str =
    "Sources: guidance (methotrexate); Saag et al. 2008 (ACR), Warren et al. 2016 (BAD), Sammaritano et al. 2020 \
                       (ACR), Russell et al. 2023 (BSR); methotrexate label; ISMP; thresholds: local policy.";

struct Card<'a> {
    order: &'a Med,
    topic: Topic,
    indicator: Indicator,
    summary: String,
    body: String,
}

fn finding(
    c: Card<'_>,
    figures: &str,
    suggestions: Vec<Suggestion>,
    overrides: Vec<OverrideReason>,
) -> Finding {
    Finding {
        topic: c.topic,
        indicator: c.indicator,
        what: What::MtxOrderCheck(Words {
            summary: text::summary(c.summary),
            detail: format!(
                "**{}.** {} ({}).\n\n{}\n\n{figures}\n\n{SOURCES}",
                c.topic.display,
                md(&c.order.name),
                md(&c.order.reference),
                c.body
            ),
        }),
        notes: vec![],
        pull: None,
        suggestions,
        selection: Selection::AtMostOne,
        override_reasons: overrides,
    }
}

fn check(order: &Med, facts: &Facts, policy: &Policy, out: &mut Outcome) {
    let dose = order.dose.as_ref();
    let per_week = dose.and_then(|d| d.per_week_mg());
    // For the limits: a dose of unknown frequency counts as at least one
    // administration a week (its "specify once weekly" warning covers the
    // rest; reading every such order as daily would make each one critical).
    let per_week_at_least = per_week.or(dose.map(|d| d.mg));
    let daily = order.frequency.more_than_weekly() == Some(true);
    let mut cards: Vec<Card<'_>> = vec![];
    let mut card = |topic, indicator, summary: String, body: String| {
        cards.push(Card {
            order,
            topic,
            indicator,
            summary,
            body,
        })
    };
    let dose_text = match (dose, per_week) {
        (Some(d), Some(w)) => format!(
            "{} {} = **{} mg/week**",
            md(&d.derivation),
            d.schedule().map_or(String::new(), |s| s.describe()),
            num(w)
        ),
        (Some(d), None) => format!("{} per dose, schedule unknown", md(&d.derivation)),
        _ => "dose could not be computed".into(),
    };
    let mut figures = format!("- Order: {dose_text}");

    // Critical: more than one administration day in 7, whether or not the
    // dose could be computed; unknown frequency: ask for weekly.
    match order.frequency.more_than_weekly() {
        Some(true) => card(
            DAILY,
            Indicator::Critical,
            format!(
                "Methotrexate ordered {}: must be once weekly (daily dosing can be fatal)",
                order.frequency.describe()
            ),
            "Methotrexate for myositis is given **once weekly**. Daily dosing errors have caused deaths. \
             Change the schedule to once weekly."
                .into(),
        ),
        None => card(
            FREQUENCY_UNKNOWN,
            Indicator::Warning,
            "Methotrexate frequency could not be read: specify once weekly".into(),
            format!(
                "The order does not state how often ({}). Methotrexate for myositis is given **once weekly**; \
                 daily dosing errors have caused deaths.",
                md(order.frequency.note.as_deref().unwrap_or("no frequency"))
            ),
        ),
        Some(false) => {}
    }
    // Pregnancy has its own card (rules::pregnancy); here it only stops the dose-tuning cards.
    let pregnant = super::pregnancy::evidence(facts, policy).is_some();
    let renal = facts.renal();
    figures.push_str(&format!("\n- {}", md(&renal.describe())));
    if let Some(egfr) = renal.value() {
        if egfr < policy.mtx_egfr_avoid_below {
            card(
                RENAL_AVOID,
                Indicator::Critical,
                format!("{} (<{}): avoid methotrexate; consider azathioprine or mycophenolate", renal.figure(), num(policy.mtx_egfr_avoid_below)),
                "Methotrexate is renally cleared: avoid below this eGFR. Consider an alternative (azathioprine or \
                 mycophenolate, with dose review)."
                    .into(),
            );
        } else if egfr < policy.mtx_egfr_reduce_below {
            card(
                RENAL_REDUCE,
                Indicator::Warning,
                format!("{} ({}–{}): reduce methotrexate dose ≈50% and monitor closely", renal.figure(), num(policy.mtx_egfr_avoid_below), num(policy.mtx_egfr_reduce_below - 1.0)),
                "Reduced renal clearance: reduce the dose by about half and monitor blood count and renal function."
                    .into(),
            );
        }
    }
    // POLICY second edition: >= 80 mg/week, or any single dose >= 1 g, is a slip.
    // A weekly total made large by a daily schedule is the daily card's
    // finding, not a second critical one.
    let slip = (per_week_at_least.is_some_and(|w| w >= policy.mtx_slip_mg_per_week) && !daily)
        || dose.is_some_and(|d| d.mg >= policy.mtx_slip_mg_per_dose);
    if slip {
        card(
            DOSE_SLIP,
            Indicator::Critical,
            format!(
                "Methotrexate {}: check the unit and dose (≥{} mg/week or ≥{} mg a dose)",
                per_week.map_or_else(
                    || format!(
                        "{} mg per dose, frequency unknown",
                        num(dose.map_or(0.0, |d| d.mg))
                    ),
                    |w| format!("{} mg/week", num(w))
                ),
                num(policy.mtx_slip_mg_per_week),
                num(policy.mtx_slip_mg_per_dose)
            ),
            format!(
                "A dose this high is not a methotrexate dose for myositis (maximum {} mg/week): most often a unit \
                 slip (g for mg, mL for mg) or a daily dose entered as weekly.",
                num(policy.mtx_max_mg_per_week)
            ),
        );
    }
    // Warnings.
    if let Some(w) =
        per_week_at_least.filter(|w| *w > policy.mtx_max_mg_per_week && !slip && !daily)
    {
        card(
            ABOVE_MAX,
            Indicator::Warning,
            format!(
                "Methotrexate {} mg/week is above the {} mg/week maximum",
                num(w),
                num(policy.mtx_max_mg_per_week)
            ),
            format!(
                "The guidance sets a maximum absolute dose of {} mg/week.",
                num(policy.mtx_max_mg_per_week)
            ),
        );
    }
    for (concepts, topic, summary, body) in [
        (&[Concept::LiverDisease][..], LIVER, "Liver disease on record: methotrexate needs specialist review",
         "Cirrhosis, chronic hepatitis and alcoholic liver disease: avoid methotrexate or seek specialist review. \
          In active myositis raised ALT/AST may come from muscle: read them with CK."),
        (&[Concept::AlcoholUse][..], ALCOHOL, "Alcohol use disorder on record: methotrexate hepatotoxicity risk",
         "Counsel abstinence or minimal alcohol; consider an alternative agent."),
        (&[Concept::Ild, Concept::SscIld][..], ILD, "Interstitial lung disease: guidance prefers azathioprine to methotrexate",
         "The guidance prefers azathioprine with interstitial lung disease (pre-existing lung disease is a risk \
          factor for methotrexate pneumonitis)."),
        (&[Concept::PregnancyPlanning][..], PLANNING, "Pregnancy planning: stop methotrexate ≥1–3 months before conception",
         "Women should stop methotrexate at least 1 month (BSR) to 3 months (ACR) before conception; azathioprine \
          is preferred when pregnancy is planned."),
    ] {
        // A man planning conception may take methotrexate (Sammaritano et al. 2020).
        if topic == PLANNING && facts.sex == Some(crate::facts::Sex::Male) {
            continue;
        }
        if let Some(d) = facts.diagnoses.iter().find(|d| d.active && d.concepts.iter().any(|c| concepts.contains(c))) {
            // Cirrhosis: critical (POLICY second edition, "Liver").
            if topic == LIVER && facts.has(Concept::Cirrhosis) {
                card(
                    topic,
                    Indicator::Critical,
                    "Cirrhosis on record: avoid methotrexate".into(),
                    format!("{body}\n\n- On record: {} ({})", md(&d.label), md(&d.source)),
                );
                continue;
            }
            card(topic, Indicator::Warning, summary.into(), format!("{body}\n\n- On record: {} ({})", md(&d.label), md(&d.source)));
        }
    }
    let others = || facts.all_meds().filter(|m| !std::ptr::eq(*m, order));
    if let Some(m) = others().find(|m| m.is(Drug::TmpSmx)) {
        // A treatment dose (>= 2 double-strength tablets a day) is critical; a
        // prophylactic or unknown dose a warning (POLICY second edition).
        let ds = super::mtx_watch::ds_per_day(m);
        let treatment = ds.is_some_and(|d| d >= policy.tmp_smx_treatment_ds_per_day - 1e-9);
        card(
            TMP_SMX,
            if treatment {
                Indicator::Critical
            } else {
                Indicator::Warning
            },
            if treatment {
                "Trimethoprim-sulfamethoxazole at treatment dose with methotrexate: avoid (pancytopenia)".into()
            } else {
                "Prophylactic trimethoprim-sulfamethoxazole with methotrexate: monitor the blood count".into()
            },
            format!(
                "Additive antifolate effect: {}.\n\n- {} ({})",
                if treatment {
                    "avoid the combination (or hold methotrexate during the course)"
                } else {
                    "monitor the blood count closely"
                },
                md(&m.name),
                ds.map_or_else(
                    || "dose unknown".to_string(),
                    |d| format!("{} double-strength tablets a day", num(d))
                )
            ),
        );
    }
    // Pre-treatment checks (hepatitis B, blood count, ALT, pregnancy test):
    // a blocking result is a warning; reminders go into the figures.
    let pre = crate::clinical::pretreatment::lines(facts, policy, Drug::Methotrexate);
    let blocking: Vec<&str> = pre
        .iter()
        .filter(|l| l.blocking)
        .map(|l| l.text.as_str())
        .collect();
    if !blocking.is_empty() {
        card(
            PRETREATMENT,
            Indicator::Warning,
            "Methotrexate: a pre-treatment result needs review before the first dose".into(),
            blocking
                .iter()
                .map(|t| format!("- {t}"))
                .collect::<Vec<_>>()
                .join("\n"),
        );
    }
    let dup: Vec<&Med> = others().filter(|m| m.is(Drug::Methotrexate)).collect();
    if !dup.is_empty() {
        let total: Option<f64> = std::iter::once(order)
            .chain(dup.iter().copied())
            .map(|m| m.dose.as_ref().and_then(|d| d.per_week_mg()))
            .sum();
        let first = dup[0];
        card(
            DUPLICATE,
            Indicator::Warning,
            match total {
                Some(t) => format!("Methotrexate already on file ({}): this order would duplicate it ({} mg/week total)", first.route.describe(), num(t)),
                None => "Methotrexate already on file: this order would duplicate it".into(),
            },
            dup.iter()
                .map(|m| format!("- Also: {} ({}): {}", md(&m.name), md(&m.reference),
                    m.dose.as_ref().and_then(|d| d.per_week_mg()).map_or("dose unknown".into(), |w| format!("{} mg/week", num(w)))))
                .collect::<Vec<_>>()
                .join("\n"),
        );
    }
    for l in pre.iter().filter(|l| !l.blocking) {
        figures.push_str(&format!("\n- Before the first dose: {}", l.text));
    }
    let critical = pregnant || cards.iter().any(|c| c.indicator == Indicator::Critical);

    // Info: dose, route, folic acid (left out when the order must not go ahead).
    let mut dose_notes = vec![];
    match (facts.weight(), facts.height()) {
        (Some(w), Some(h)) => {
            let bsa = bsa_mosteller(h.value, w.value);
            let low = policy.mtx_mg_per_m2_low * bsa;
            let high = policy.mtx_mg_per_m2_high * bsa;
            let a_low = ceil_to(low, policy.mtx_round_mg).min(policy.mtx_max_mg_per_week);
            let a_high = floor_to(high, policy.mtx_round_mg).min(policy.mtx_max_mg_per_week);
            figures.push_str(&format!(
                "\n{}\n- Height used: {}\n- BSA (Mosteller) = **{:.2} m²**; {}–{} mg/m²/week = {}–{} mg/week; \
                 achievable in {} mg steps, capped at {}: **{}–{} mg/week**",
                text::weight_line(w, facts, policy),
                text::reading(h, "cm"),
                bsa,
                num(policy.mtx_mg_per_m2_low),
                num(policy.mtx_mg_per_m2_high),
                format_args!("{low:.1}"),
                format_args!("{high:.1}"),
                num(policy.mtx_round_mg),
                num(policy.mtx_max_mg_per_week),
                num(a_low),
                num(a_high)
            ));
            if let Some(wk) = per_week {
                let per_m2 = wk / bsa;
                figures.push_str(&format!(
                    "\n- Ordered {} mg/week ÷ {:.2} m² = **{:.1} mg/m²/week**",
                    num(wk),
                    bsa,
                    per_m2
                ));
                // A start at the suggestion ceiling is not "below range", nor is
                // a dose reduced for renal function (this check asks for it).
                let below = per_m2 < policy.mtx_mg_per_m2_low - 0.05
                    && wk < a_low.min(policy.mtx_suggest_max_mg_per_week) - 1e-9
                    && !facts.renal().is_below(policy.mtx_egfr_reduce_below);
                if below || per_m2 > policy.mtx_mg_per_m2_high + 0.05 {
                    dose_notes.push(format!(
                        "{} mg = {:.1} mg/m² ({} {}–{} mg/m², {}–{} mg)",
                        num(wk),
                        per_m2,
                        if per_m2 < policy.mtx_mg_per_m2_low {
                            "below"
                        } else {
                            "above"
                        },
                        num(policy.mtx_mg_per_m2_low),
                        num(policy.mtx_mg_per_m2_high),
                        num(a_low),
                        num(a_high)
                    ));
                }
            }
        }
        (w, _) => {
            let figure = if w.is_none() {
                Figure::Weight
            } else {
                Figure::Height
            };
            let cap = match per_week {
                Some(wk) if wk <= policy.mtx_max_mg_per_week => format!(
                    "; {} mg/week is within the {} mg/week cap",
                    num(wk),
                    num(policy.mtx_max_mg_per_week)
                ),
                _ => String::new(),
            };
            out.needs.push(Need {
                figure,
                why: format!("methotrexate mg/m² (BSA) not checked{cap}"),
            });
        }
    }
    if let Some(wk) = per_week
        .filter(|w| *w > policy.mtx_usual_adult_max_mg_per_week && *w <= policy.mtx_max_mg_per_week)
    {
        dose_notes.push(format!(
            "{} mg/week is above the usual adult maximum of {} mg/week: confirm",
            num(wk),
            num(policy.mtx_usual_adult_max_mg_per_week)
        ));
    }
    if matches!(order.route, Route::Oral | Route::Sublingual) {
        dose_notes.push("oral: subcutaneous preferred (better bioavailability)".into());
    }
    let mut findings: Vec<Finding> = cards
        .into_iter()
        .map(|c| {
            let overrides = if c.indicator == Indicator::Critical {
                vec![
                    OverrideReason::BenefitOutweighsRisk,
                    OverrideReason::DiagnosisNotConfirmed,
                ]
            } else {
                vec![
                    OverrideReason::BenefitOutweighsRisk,
                    OverrideReason::RecordedElsewhere,
                    OverrideReason::DiagnosisNotConfirmed,
                ]
            };
            finding(c, &figures, vec![], overrides)
        })
        .collect();
    if !critical && !dose_notes.is_empty() {
        findings.push(finding(
            Card {
                order,
                topic: DOSE,
                indicator: Indicator::Info,
                summary: format!("Methotrexate: {}", dose_notes.join("; ")),
                body: dose_notes
                    .iter()
                    .map(|n| format!("- {n}"))
                    .collect::<Vec<_>>()
                    .join("\n"),
            },
            &figures,
            vec![],
            vec![
                OverrideReason::DoseAppropriate,
                OverrideReason::PatientDeclined,
            ],
        ));
    }
    if !critical && !facts.all_meds().any(|m| m.is(Drug::Folate)) {
        findings.push(finding(
            Card {
                order,
                topic: FOLIC,
                indicator: Indicator::Info,
                summary: format!("No folic acid on file: add folic acid {} mg daily with methotrexate", num(policy.folic_acid_mg_per_day)),
                body: format!(
                    "The guidance adds folic acid {} mg/day to methotrexate. None is active or drafted.",
                    num(policy.folic_acid_mg_per_day)
                ),
            },
            &figures,
            vec![Suggestion {
                label: format!("Add folic acid {} mg daily", num(policy.folic_acid_mg_per_day)),
                recommended: true,
                actions: vec![folic_acid(policy)],
            }],
            vec![OverrideReason::RecordedElsewhere, OverrideReason::PatientDeclined],
        ));
    }
    out.findings.extend(findings);
}

pub fn evaluate(facts: &Facts, policy: &Policy) -> Outcome {
    let mut out = Outcome::default();
    for order in facts.orders.iter().filter(|m| m.is(Drug::Methotrexate)) {
        check(order, facts, policy, &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clinical::rules::test_support::*;
    use crate::facts::{Schedule, Sex};

    fn topics(f: &Facts) -> Vec<(&'static str, Indicator)> {
        let out = evaluate(f, &Policy::default());
        for c in &out.findings {
            assert!(c.summary().chars().count() < 140, "{}", c.summary());
        }
        out.findings
            .iter()
            .map(|c| (c.topic.code, c.indicator))
            .collect()
    }

    fn base(dx: &[Concept]) -> Facts {
        with_body(patient(dx), Sex::Male, 70.0, Some(170.0))
    }

    #[test]
    fn s1_in_range_above_adult_usual_and_no_folic_acid() {
        // BSA 1.818: 27.27–36.36 (achievable 27.5–35); 27.5 mg = 15.1 mg/m² in range; > 25.
        let mut f = base(&[Concept::Ssc, Concept::Polymyositis]);
        f.orders.push(mtx(27.5, Route::Subcutaneous));
        let out = evaluate(&f, &Policy::default());
        let got: Vec<_> = out
            .findings
            .iter()
            .map(|c| (c.topic.code, c.indicator))
            .collect();
        assert_eq!(
            got,
            vec![
                ("mtx-dose-bsa", Indicator::Info),
                ("mtx-folic-acid", Indicator::Info)
            ]
        );
        let dose = &out.findings[0];
        assert!(
            dose.summary()
                .contains("above the usual adult maximum of 25"),
            "{}",
            dose.summary()
        );
        assert!(
            dose.detail().contains("BSA (Mosteller) = **1.82 m²**"),
            "{}",
            dose.detail()
        );
        assert!(
            dose.detail().contains("**27.5–35 mg/week**"),
            "{}",
            dose.detail()
        );
        assert!(
            dose.detail().contains("**15.1 mg/m²/week**"),
            "{}",
            dose.detail()
        );
    }

    #[test]
    fn s5_duplicate_and_low_dose() {
        let mut f = with_body(
            patient(&[Concept::OverlapMctd, Concept::Ssc]),
            Sex::Male,
            90.0,
            Some(180.0),
        );
        let mut active = mtx(20.0, Route::Subcutaneous);
        active.reference = "MedicationRequest/active-mtx".into();
        f.active_meds.push(active);
        f.active_meds
            .push(med(Drug::Folate, 1.0, Schedule::DAILY, Route::Oral, "fa"));
        f.orders.push(mtx(20.0, Route::Oral));
        let out = evaluate(&f, &Policy::default());
        let got: Vec<_> = out
            .findings
            .iter()
            .map(|c| (c.topic.code, c.indicator))
            .collect();
        assert_eq!(
            got,
            vec![
                ("mtx-duplicate", Indicator::Warning),
                ("mtx-dose-bsa", Indicator::Info)
            ]
        );
        assert!(
            out.findings[0].summary().contains("40 mg/week total"),
            "{}",
            out.findings[0].summary()
        );
        assert!(
            out.findings[1]
                .summary()
                .contains("9.4 mg/m² (below 15–20 mg/m², 32.5–40 mg)"),
            "{}",
            out.findings[1].summary()
        );
        assert!(out.findings[1].summary().contains("oral"));
    }

    #[test]
    fn s10_renal_table() {
        // (eGFR, expected renal card); S10: 25 → critical, S10b: 45 → warning.
        for (egfr, want) in [
            (
                25.0,
                Some(("mtx-contraindicated-renal", Indicator::Critical)),
            ),
            (
                29.0,
                Some(("mtx-contraindicated-renal", Indicator::Critical)),
            ),
            (30.0, Some(("mtx-renal-caution", Indicator::Warning))),
            (45.0, Some(("mtx-renal-caution", Indicator::Warning))),
            (59.0, Some(("mtx-renal-caution", Indicator::Warning))),
            (60.0, None),
        ] {
            let mut f = base(&[Concept::SscMyopathy]);
            f.labs.push(lab(Concept::Egfr, egfr, "mL/min/{1.73_m2}"));
            f.orders.push(mtx(15.0, Route::Subcutaneous));
            let t = topics(&f);
            let renal = t.iter().find(|(c, _)| c.contains("renal")).copied();
            assert_eq!(renal, want, "{egfr}");
            if egfr < 30.0 {
                // Critical: no dose-tuning cards.
                assert!(
                    !t.iter()
                        .any(|(c, _)| *c == "mtx-dose-bsa" || *c == "mtx-folic-acid"),
                    "{t:?}"
                );
            }
        }
    }

    #[test]
    fn critical_and_warning_items() {
        let mut f = base(&[Concept::Dermatomyositis]);
        f.orders.push(med(
            Drug::Methotrexate,
            15.0,
            Schedule::DAILY,
            Route::Oral,
            "m",
        ));
        assert!(topics(&f).contains(&("mtx-daily-frequency", Indicator::Critical)));

        // Pregnancy: its own rule fires; here the dose-tuning cards are left out.
        let mut f = base(&[Concept::Dermatomyositis, Concept::Pregnancy]);
        f.orders.push(mtx(15.0, Route::Oral));
        assert!(topics(&f).is_empty(), "{:?}", topics(&f));

        for (c, code) in [
            (Concept::LiverDisease, "mtx-liver"),
            (Concept::AlcoholUse, "mtx-alcohol"),
            (Concept::Ild, "mtx-ild"),
            (Concept::PregnancyPlanning, "mtx-pregnancy-planning"),
        ] {
            let mut f = base(&[Concept::Dermatomyositis, c]);
            f.sex = Some(Sex::Female);
            f.orders.push(mtx(15.0, Route::Subcutaneous));
            assert!(topics(&f).contains(&(code, Indicator::Warning)), "{c:?}");
        }
        // A man planning conception may take methotrexate (ACR 2020).
        let mut f = base(&[Concept::Dermatomyositis, Concept::PregnancyPlanning]);
        f.orders.push(mtx(15.0, Route::Subcutaneous));
        assert!(!topics(&f)
            .iter()
            .any(|(c, _)| *c == "mtx-pregnancy-planning"));

        let mut f = base(&[Concept::Dermatomyositis]);
        f.orders.push(mtx(15.0, Route::Subcutaneous));
        f.active_meds.push(med(
            Drug::TmpSmx,
            960.0,
            Schedule::DAILY,
            Route::Oral,
            "tmp",
        ));
        assert!(topics(&f).contains(&("mtx-tmp-smx", Indicator::Warning)));

        // 40 mg/week is the maximum; 42.5 is above it.
        for (mg, above) in [(40.0, false), (42.5, true)] {
            let mut f = base(&[Concept::Dermatomyositis]);
            f.orders.push(mtx(mg, Route::Subcutaneous));
            assert_eq!(
                topics(&f).contains(&("mtx-above-max", Indicator::Warning)),
                above,
                "{mg}"
            );
        }
        // 25 mg/week: not above the usual adult maximum; 27.5 is.
        for (mg, flagged) in [(25.0, false), (27.5, true)] {
            let mut f = base(&[Concept::Dermatomyositis]);
            f.active_meds
                .push(med(Drug::Folate, 1.0, Schedule::DAILY, Route::Oral, "fa"));
            f.orders.push(mtx(mg, Route::Subcutaneous));
            let out = evaluate(&f, &Policy::default());
            assert_eq!(
                out.findings
                    .iter()
                    .any(|c| c.summary().contains("usual adult maximum")),
                flagged,
                "{mg}"
            );
        }
    }

    #[test]
    fn s3_missing_height_skips_bsa_and_asks() {
        let mut f = with_body(patient(&[Concept::SscMyopathy]), Sex::Male, 80.0, None);
        f.active_meds
            .push(med(Drug::Folate, 1.0, Schedule::DAILY, Route::Oral, "fa"));
        f.labs.push(lab(Concept::Egfr, 95.0, "mL/min/{1.73_m2}"));
        f.orders.push(mtx(25.0, Route::Subcutaneous));
        let out = evaluate(&f, &Policy::default());
        assert!(
            out.findings.is_empty(),
            "{:?}",
            out.findings
                .iter()
                .map(|f| f.topic.code)
                .collect::<Vec<_>>()
        );
        assert_eq!(out.needs.len(), 1);
        assert_eq!(out.needs[0].figure, Figure::Height);
        assert!(out.needs[0]
            .why
            .contains("25 mg/week is within the 40 mg/week cap"));
    }

    #[test]
    fn slips_liver_and_the_start_ceiling_table() {
        // (extra diagnosis, mg per week, expected (topic, indicator) present, topic absent)
        type Case = (
            Option<Concept>,
            f64,
            Option<(&'static str, Indicator)>,
            Option<&'static str>,
        );
        let cases: &[Case] = &[
            (
                None,
                60.0,
                Some(("mtx-above-max", Indicator::Warning)),
                Some("mtx-dose-slip"),
            ),
            (
                None,
                80.0,
                Some(("mtx-dose-slip", Indicator::Critical)),
                Some("mtx-above-max"),
            ),
            (
                None,
                1000.0,
                Some(("mtx-dose-slip", Indicator::Critical)),
                None,
            ),
            (
                Some(Concept::Cirrhosis),
                15.0,
                Some(("mtx-liver", Indicator::Critical)),
                None,
            ),
            (None, 15.0, None, Some("mtx-liver")),
            // 25 mg for BSA 1.818 is 13.8 mg/m²: the start ceiling, not "below range".
            (None, 25.0, None, Some("mtx-dose-bsa")),
            (None, 22.5, Some(("mtx-dose-bsa", Indicator::Info)), None),
        ];
        for (extra, wk, present, absent) in cases {
            let mut dx = vec![Concept::Polymyositis];
            if let Some(c) = extra {
                dx.push(Concept::LiverDisease);
                dx.push(*c);
            }
            let mut f = base(&dx);
            f.active_meds
                .push(med(Drug::Folate, 1.0, Schedule::DAILY, Route::Oral, "fa"));
            f.orders.push(mtx(*wk, Route::Subcutaneous));
            let t = topics(&f);
            if let Some(p) = present {
                assert!(t.contains(p), "{extra:?} {wk}: {t:?}");
            }
            if let Some(a) = absent {
                assert!(!t.iter().any(|(c, _)| c == a), "{extra:?} {wk}: {t:?}");
            }
        }
    }

    #[test]
    fn one_critical_for_a_daily_order_and_unknown_frequency_read_as_once() {
        use crate::facts::Frequency;
        let criticals = |f: &Facts| {
            topics(f)
                .into_iter()
                .filter(|(_, i)| *i == Indicator::Critical)
                .map(|(c, _)| c)
                .collect::<Vec<_>>()
        };
        // Daily 15 mg: the daily card only (105 mg/week is its artefact).
        let mut f = base(&[Concept::Polymyositis]);
        f.orders.push(med(
            Drug::Methotrexate,
            15.0,
            Schedule::DAILY,
            Route::Oral,
            "m",
        ));
        assert_eq!(criticals(&f), vec!["mtx-daily-frequency"]);
        // Unknown frequency: 15 mg is no slip; 100 mg is.
        for (mg, slip) in [(15.0, false), (100.0, true)] {
            let mut f = base(&[Concept::Polymyositis]);
            let mut m = mtx(mg, Route::Subcutaneous);
            let d = m.dose.as_mut().unwrap();
            d.frequency = Frequency::unknown(None);
            m.frequency = Frequency::unknown(None);
            f.orders.push(m);
            assert_eq!(criticals(&f).contains(&"mtx-dose-slip"), slip, "{mg}");
            assert!(topics(&f).contains(&("mtx-frequency-unknown", Indicator::Warning)));
        }
    }
}
