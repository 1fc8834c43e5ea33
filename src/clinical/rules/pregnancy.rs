//! # Pregnancy (`pregnancy-contraindicated`)
//!
//! REFERENCE.md 4: in pregnancy methotrexate, mycophenolate and
//! cyclophosphamide are contraindicated; azathioprine, IVIG and prednisone
//! remain options (ACR 2020 reproductive health guideline; BSR 2023).
//! POLICY.md: critical when MTX, MMF or cyclophosphamide is ordered or
//! suggested while pregnant. Our own suggestions never include them then (see
//! `steroid_sparing`), so this rule checks the orders.
//!
//! Pregnant means: the newest pregnancy status Observation (82810-3) says
//! pregnant (77386006), or, unless it says not pregnant (60001007), an active
//! pregnancy diagnosis with onset within `pregnancy_condition_days` (or no
//! onset date), or a positive hCG within `hcg_positive_days`.

use super::Outcome;
use crate::clinical::text::{self, md};
use crate::clinical::LabResult;
use crate::clinical::{Finding, Indicator, OverrideReason, Policy, Selection, Topic};
use crate::facts::Facts;
use crate::terminology::medication::Drug;
use crate::terminology::{Concept, SNOMED};

pub const TOPIC: Topic = Topic {
    code: "pregnancy-contraindicated",
    display: "Drug contraindicated in pregnancy",
};

pub const SETTINGS: &[&str] = &["pregnancy_condition_days", "hcg_positive_days"];

/// The evidence of pregnancy, if any (Markdown).
pub fn evidence(facts: &Facts, policy: &Policy) -> Option<String> {
    if let Some(status) = facts.latest_lab(Concept::PregnancyStatus) {
        let coded = |code: &str| status.codes.iter().any(|(s, c)| s == SNOMED && c == code);
        if coded("60001007") {
            return None;
        }
        if coded("77386006") {
            return Some(format!(
                "pregnancy status: pregnant ({}, {})",
                md(&status.source),
                text::date(status.date)
            ));
        }
    }
    let within = |d: Option<chrono::NaiveDate>, days: f64| {
        d.is_none_or(|d| ((facts.today - d).num_days() as f64) <= days)
    };
    if let Some(d) = facts.diagnoses.iter().find(|d| {
        d.active
            && d.concepts.contains(&Concept::Pregnancy)
            && within(d.onset, policy.pregnancy_condition_days)
    }) {
        return Some(format!(
            "{} ({}, onset {})",
            md(&d.label),
            md(&d.source),
            text::date(d.onset)
        ));
    }
    facts
        .labs
        .iter()
        .find(|l| {
            l.concepts.contains(&Concept::Hcg)
                && l.is_positive()
                && l.date.is_some()
                && within(l.date, policy.hcg_positive_days)
        })
        .map(|l| format!("positive hCG ({}, {})", md(&l.source), text::date(l.date)))
}

pub fn evaluate(facts: &Facts, policy: &Policy) -> Outcome {
    let mut out = Outcome::default();
    let Some(evidence) = evidence(facts, policy) else {
        return out;
    };
    for m in &facts.orders {
        let Some(drug @ (Drug::Methotrexate | Drug::Mycophenolate | Drug::Cyclophosphamide)) =
            m.drug()
        else {
            continue;
        };
        out.findings.push(Finding {
            topic: TOPIC,
            indicator: Indicator::Critical,
            summary: text::summary(format!(
                "Pregnant: {} is contraindicated; prednisone, azathioprine and IVIG remain options",
                drug.name()
            )),
            detail: format!(
                "**Contraindicated in pregnancy.** {} ({}).\n\n- Pregnancy: {evidence}\n\nMethotrexate, mycophenolate \
                 and cyclophosphamide are contraindicated in pregnancy; prednisone, azathioprine and IVIG remain \
                 options.\n\nSources: REFERENCE.md 4 (ACR 2020 reproductive health guideline; BSR 2023; methotrexate label).",
                md(&m.name),
                md(&m.reference)
            ),
            suggestions: vec![],
            selection: Selection::AtMostOne,
            override_reasons: vec![OverrideReason::DiagnosisNotConfirmed, OverrideReason::BenefitOutweighsRisk],
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clinical::rules::test_support::*;
    use crate::facts::{Route, Schedule};

    #[test]
    fn drugs_table() {
        for (drug, fires) in [
            (Drug::Methotrexate, true),
            (Drug::Mycophenolate, true),
            (Drug::Cyclophosphamide, true),
            (Drug::Azathioprine, false),
            (Drug::Ivig, false),
        ] {
            let mut f = patient(&[Concept::Dermatomyositis, Concept::Pregnancy]);
            f.orders
                .push(med(drug, 10.0, Schedule::WEEKLY, Route::Oral, "o"));
            let out = evaluate(&f, &Policy::default());
            assert_eq!(out.findings.len(), usize::from(fires), "{drug:?}");
            if fires {
                assert_eq!(out.findings[0].indicator, Indicator::Critical);
            }
        }
    }

    #[test]
    fn pregnancy_evidence_table() {
        let p = Policy::default();
        // Diagnosis onset 300 days ago counts, 310 does not; no onset counts.
        for (onset, pregnant) in [(Some(300), true), (Some(310), false), (None, true)] {
            let mut f = patient(&[Concept::Pregnancy]);
            f.diagnoses[0].onset = onset.map(days_ago);
            assert_eq!(evidence(&f, &p).is_some(), pregnant, "{onset:?}");
        }
        // A newest status of "not pregnant" overrides an old diagnosis.
        let mut f = patient(&[Concept::Pregnancy]);
        let mut status = lab(Concept::PregnancyStatus, 0.0, "");
        status.quantity = None;
        status.codes = vec![(SNOMED.into(), "60001007".into())];
        f.labs.push(status.clone());
        assert!(evidence(&f, &p).is_none());
        // Positive hCG 10 days ago counts, 40 days ago does not.
        for (age, pregnant) in [(10, true), (40, false)] {
            let mut f = patient(&[]);
            let mut hcg = lab(Concept::Hcg, 0.0, "");
            hcg.quantity = None;
            hcg.result_text = Some("positive".into());
            hcg.date = Some(days_ago(age));
            f.labs.push(hcg);
            assert_eq!(evidence(&f, &p).is_some(), pregnant, "{age}");
        }
    }
}
