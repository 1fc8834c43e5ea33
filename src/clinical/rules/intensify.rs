//! # Intensify at 12 weeks (`intensify-refractory`)
//!
//! Guidance: "If inadequate response within the first 12 weeks, intensify
//! treatment: IVIG 1-2 g/kg ideal body weight over 2 consecutive days [...]
//! Mycophenolate mofetil [...] Rituximab: two 1000-mg doses given 2 weeks
//! apart for adults; can take up to 26 weeks to work [...] Cyclophosphamide:
//! reserved for severe interstitial lung disease or refractory disease;
//! infusions given every 4 weeks for 3-6 months."
//!
//! POLICY.md: myositis, on systemic glucocorticoids ≥ 12 weeks, and (CK above
//! the lab's upper limit, or a glucocorticoid escalation) → info with the
//! options; the IVIG course is computed on the dosing weight (ideal body
//! weight, or actual if lower).

/// What this rule found (free text until typed).
pub type Found = crate::clinical::Words;

use super::{Need, Outcome};
use crate::clinical::body::dosing_weight_of;
use crate::clinical::steroids::Exposure;
use crate::clinical::text::{self, md, num};
use crate::clinical::PatientScope;
use crate::clinical::{Finding, Indicator, OverrideReason, Policy, Selection, Topic};
use crate::clinical::{What, Words};
use crate::facts::Facts;
use crate::terminology::Concept;

pub const TOPIC: Topic = Topic {
    code: "intensify-refractory",
    display: "Intensification review for inadequate response",
};

pub const SETTINGS: &[&str] = &[
    "intensify_after_weeks",
    "ivig_g_per_kg_low",
    "ivig_g_per_kg_high",
    "ivig_days",
    "mmf_start_mg",
    "rtx_dose_mg",
    "rtx_interval_weeks",
    "rtx_onset_weeks",
    "cyc_interval_weeks",
    "cyc_months_min",
    "cyc_months_max",
    "betamethasone_equivalent_mg",
];

pub fn evaluate(facts: &Facts, policy: &Policy) -> Outcome {
    let mut out = Outcome::default();
    if !facts.has_myositis() {
        return out;
    }
    let exp = Exposure::of(facts, policy);
    let Some(since) = exp.active.iter().filter_map(|u| u.med.authored).min() else {
        return out;
    };
    let weeks = (facts.today - since).num_days() as f64 / 7.0;
    if weeks < policy.intensify_after_weeks {
        return out;
    }
    let mut reasons = vec![];
    if let Some(ck) = facts.latest_lab(Concept::Ck) {
        if let (Some((v, u)), Some(uln)) = (&ck.quantity, ck.upper_limit) {
            if *v > uln {
                reasons.push(format!(
                    "CK {} {} above the upper limit {} ({}, {})",
                    num(*v),
                    md(u),
                    num(uln),
                    md(&ck.source),
                    text::date(ck.date)
                ));
            }
        }
    }
    let (new, active) = (exp.total_after(), exp.active_total());
    if new > active && exp.orders.iter().any(|u| u.pred_eq.is_some()) {
        reasons.push(format!(
            "corticosteroid escalation: new {} mg/day vs active {} mg/day prednisone-equivalent",
            num(new),
            num(active)
        ));
    }
    if reasons.is_empty() {
        return out;
    }
    let ivig = match dosing_weight_of(facts) {
        Ok(dw) => {
            let low = policy.ivig_g_per_kg_low * dw.dosing;
            let high = policy.ivig_g_per_kg_high * dw.dosing;
            format!(
                "- **IVIG** {}–{} g/kg × {:.1} kg = **{:.0}–{:.0} g per course**, over {} consecutive days ({:.0}–{:.0} g/day); \
                 for dysphagia, weight loss, severe rash or weakness, or when rapid onset is needed; lower infection risk.\n{}",
                num(policy.ivig_g_per_kg_low),
                num(policy.ivig_g_per_kg_high),
                dw.dosing,
                low,
                high,
                num(policy.ivig_days),
                low / policy.ivig_days,
                high / policy.ivig_days,
                dw.lines
            )
        }
        Err(figure) => {
            out.needs.push(Need {
                figure,
                why: "IVIG course (g/kg dosing weight) not computed".into(),
            });
            format!(
                "- **IVIG** {}–{} g/kg dosing weight over {} days: not computed (needs weight, height and sex).",
                num(policy.ivig_g_per_kg_low),
                num(policy.ivig_g_per_kg_high),
                num(policy.ivig_days)
            )
        }
    };
    let ild = facts.has(Concept::Ild) || facts.has(Concept::SscIld);
    // No teratogen is offered in pregnancy, possible pregnancy, planning or
    // breastfeeding (POLICY second edition).
    let repro = crate::clinical::reproductive::state(facts, policy);
    let (mmf, cyc) = if repro.excludes_teratogens() {
        let why = format!(
            "not an option here ({})",
            repro
                .evidence()
                .unwrap_or("pregnancy, breastfeeding or planning")
        );
        (
            format!("- **Mycophenolate mofetil**: {why}."),
            format!("- **Cyclophosphamide**: {why}."),
        )
    } else {
        (
            format!(
                "- **Mycophenolate mofetil** (severe or MTX-refractory/intolerant disease; muscle and skin), e.g. {} mg twice daily initially.",
                num(policy.mmf_start_mg)
            ),
            format!(
                "- **Cyclophosphamide** every {} weeks for {}–{} months, reserved for severe interstitial lung disease or refractory disease{}.",
                num(policy.cyc_interval_weeks),
                num(policy.cyc_months_min),
                num(policy.cyc_months_max),
                if ild { " (interstitial lung disease is on record)" } else { "" }
            ),
        )
    };
    out.findings.push(Finding {
        topic: TOPIC,
        indicator: Indicator::Info,
        what: What::Intensify(Words {
            summary: text::summary(format!(
                "{:.0} weeks on corticosteroids and not controlled: review intensification ({})",
                weeks.floor(),
                if repro.excludes_teratogens() { "IVIG, rituximab" } else { "IVIG, MMF, rituximab" }
            )),
            detail: format!(
                "**Intensification review.** On systemic corticosteroids since {since} ({:.0} weeks). Inadequate response:\n{}\n\n\
                 Options (guidance):\n{ivig}\n{mmf}\n\
                 - **Rituximab** {} mg, two doses {} weeks apart; can take up to {} weeks to work: plan accordingly.\n{cyc}\n\n\
                 Sources: guidance (severe or refractory disease).",
                weeks.floor(),
                reasons.iter().map(|r| format!("- {r}")).collect::<Vec<_>>().join("\n"),
                num(policy.rtx_dose_mg),
                num(policy.rtx_interval_weeks),
                num(policy.rtx_onset_weeks),
            ),
        }),
        notes: vec![],
        pull: None,
        suggestions: vec![],
        selection: Selection::AtMostOne,
        override_reasons: vec![OverrideReason::DoseAppropriate, OverrideReason::RecordedElsewhere],
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clinical::rules::test_support::*;
    use crate::facts::Sex;

    fn on_steroid(weeks: i64, ck: Option<(f64, f64)>) -> Facts {
        let mut f = with_body(
            patient(&[Concept::Polymyositis]),
            Sex::Female,
            60.0,
            Some(165.0),
        );
        let mut a = prednisone(20.0);
        a.reference = "MedicationRequest/active".into();
        a.authored = Some(days_ago(weeks * 7));
        f.active_meds.push(a);
        if let Some((v, uln)) = ck {
            let mut l = lab(Concept::Ck, v, "U/L");
            l.upper_limit = Some(uln);
            f.labs.push(l);
        }
        f
    }

    #[test]
    fn trigger_table() {
        // (weeks, CK (value, ULN), new order mg/day, fires)
        let cases = [
            (12, Some((900.0, 200.0)), None, true),
            (11, Some((900.0, 200.0)), None, false),
            (12, Some((150.0, 200.0)), None, false),
            (12, None, Some(40.0), true),  // escalation
            (12, None, Some(20.0), false), // same dose
            (20, None, None, false),
        ];
        for (weeks, ck, new, fires) in cases {
            let mut f = on_steroid(weeks, ck);
            if let Some(n) = new {
                // A re-order replaces the active prednisone (as the facts layer reads it).
                let mut o = prednisone(n);
                o.replaces = vec!["MedicationRequest/active".into()];
                f.orders.push(o);
            }
            assert_eq!(
                evaluate(&f, &Policy::default()).findings.len(),
                usize::from(fires),
                "{weeks} {ck:?} {new:?}"
            );
        }
    }

    #[test]
    fn ivig_course_on_dosing_weight() {
        // Female 165 cm: IBW 45.5 + 2.3 × (64.96 − 60) = 56.9 kg < 60 kg actual → 56.9–113.9 g.
        let f = on_steroid(13, Some((900.0, 200.0)));
        let card = &evaluate(&f, &Policy::default()).findings[0];
        assert!(
            card.detail().contains("**57–114 g per course**"),
            "{}",
            card.detail()
        );
        assert!(card.detail().contains("26 weeks"));
    }

    #[test]
    fn no_teratogen_offered_in_pregnancy_or_planning() {
        // (extra diagnosis, MMF and cyclophosphamide offered)
        for (extra, offered) in [
            (None, true),
            (Some(Concept::Pregnancy), false),
            (Some(Concept::PregnancyPlanning), false),
        ] {
            let mut f = on_steroid(13, Some((900.0, 200.0)));
            if let Some(c) = extra {
                f.diagnoses.push(dx(c, 7));
            }
            let card = &evaluate(&f, &Policy::default()).findings[0];
            assert_eq!(
                card.detail().contains("e.g. 500 mg twice daily"),
                offered,
                "{extra:?}"
            );
            assert_eq!(
                card.detail().contains("reserved for severe"),
                offered,
                "{extra:?}"
            );
        }
    }
}
