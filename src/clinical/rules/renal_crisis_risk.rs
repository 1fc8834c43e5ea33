//! # Scleroderma renal crisis risk (`src-risk-high-dose-gc`)
//!
//! Guidance: "High-dose corticosteroids carry significant risk of precipitating
//! scleroderma renal crisis in systemic sclerosis patients. This is the most
//! important pitfall to avoid in scleroderma-myositis overlap. [...] they must
//! be used cautiously and tapered aggressively once clinical improvement
//! occurs." — "Taper to the lowest effective dose, ideally ≤10 mg/day
//! equivalent prednisone." — "Blood pressure monitoring for scleroderma renal
//! crisis (critical in overlap patients on corticosteroids)."
//!
//! POLICY.md: SSc and a new systemic glucocorticoid order reaching ≥ 15 mg/day
//! prednisone-equivalent (the order alone, or with active glucocorticoids).
//! POLICY second edition ("Severity means something"): "Renal crisis *risk*
//! from a steroid ≥ 15 mg/day is a `warning`; risk factors change its text,
//! not its severity" (diffuse SSc code, SSc onset < 4 years, anti-RNA
//! polymerase III positive, prior renal crisis, last BP ≥ 140/90). The total
//! is the one reading of the orders ("Replacing, not adding"): an order of the
//! same glucocorticoid and route as an active one replaces it; a dose of
//! unknown frequency counts as at least its amount a day; when only the sum of
//! a replacement and what it replaces would cross the threshold, the card
//! (here, else the BP-monitoring card) names that total in one line. Suggests BP monitoring (LOINC 85354-9) and serum creatinine
//! (2160-0); advises tapering to ≤ 10 mg/day. Never suppressed by an active ACE
//! inhibitor (REFERENCE.md 1.2).
//!
//! Threshold: Steen & Medsger, Arthritis Rheum 1998;41:1613 — prednisone
//! ≥ 15 mg/day in 36 % of 110 SRC cases vs 12 % of controls (OR 4.37).

/// What this rule found (free text until typed).
pub type Found = crate::clinical::Words;

use crate::clinical::{LabResult, PatientScope};
use crate::clinical::{What, Words};
use std::sync::LazyLock;

use regex::Regex;

use super::{bp_and_creatinine, Outcome, MONITORING_OVERRIDES};
use crate::clinical::steroids::Exposure;
use crate::clinical::text::{self, md, num};
use crate::clinical::{Finding, Indicator, Policy, Selection, Topic};
use crate::facts::Facts;
use crate::terminology::medication::Drug;
use crate::terminology::Concept;

pub const TOPIC: Topic = Topic {
    code: "src-risk-high-dose-gc",
    display: "Scleroderma renal crisis risk with high-dose corticosteroid",
};

pub const SETTINGS: &[&str] = &[
    "src_threshold_mg_per_day",
    "hbv_gc_mg_per_day",
    "taper_target_mg_per_day",
    "src_recent_onset_years",
    "src_bp_systolic",
    "src_bp_diastolic",
    "src_suspected_sbp_rise",
    "betamethasone_equivalent_mg",
];

static RNAP3: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)rna\s*pol(ymerase)?\s*(iii|3)|\brnap\b").expect("static regex")
});

/// The SRC risk factors present, each with its evidence.
pub fn risk_factors(facts: &Facts, policy: &Policy) -> Vec<String> {
    let mut out = vec![];
    if let Some(d) = facts
        .diagnoses
        .iter()
        .find(|d| d.active && d.concepts.contains(&Concept::SscDiffuse))
    {
        out.push(format!("diffuse cutaneous SSc ({})", md(&d.source)));
    }
    let ssc = [
        Concept::Ssc,
        Concept::SscIld,
        Concept::SscMyopathy,
        Concept::SscDiffuse,
        Concept::Overlap,
    ];
    let onset = facts
        .diagnoses
        .iter()
        .filter(|d| d.concepts.iter().any(|c| ssc.contains(c)))
        .filter_map(|d| d.onset.map(|o| (o, &d.source)))
        .min();
    if let Some((onset, source)) = onset {
        let years = (facts.today - onset).num_days() as f64 / 365.25;
        if years < policy.src_recent_onset_years {
            out.push(format!(
                "SSc onset {onset} ({} years; < {}) ({})",
                num(years),
                num(policy.src_recent_onset_years),
                md(source)
            ));
        }
    }
    if let Some(l) = facts
        .labs
        .iter()
        .find(|l| RNAP3.is_match(&l.label) && l.is_positive())
    {
        out.push(format!(
            "anti-RNA polymerase III positive ({}, {})",
            md(&l.source),
            text::date(l.date)
        ));
    }
    if let Some(d) = facts
        .diagnoses
        .iter()
        .find(|d| d.concepts.contains(&Concept::RenalCrisis))
    {
        out.push(format!(
            "prior scleroderma renal crisis ({})",
            md(&d.source)
        ));
    }
    if let Some(bp) = facts.latest_bp() {
        let high_s = bp.systolic.is_some_and(|s| s >= policy.src_bp_systolic);
        let high_d = bp.diastolic.is_some_and(|d| d >= policy.src_bp_diastolic);
        if high_s || high_d {
            out.push(format!(
                "last BP {}/{} mmHg ≥ {}/{} ({}, {})",
                bp.systolic.map_or("?".into(), num),
                bp.diastolic.map_or("?".into(), num),
                num(policy.src_bp_systolic),
                num(policy.src_bp_diastolic),
                md(&bp.source),
                text::date(bp.date)
            ));
        }
    }
    out
}

/// When an order replaces an active glucocorticoid, the total if both
/// continued (no severity of its own), when that total reaches the threshold.
pub fn both_continue_line(exp: &Exposure<'_>, policy: &Policy) -> Option<String> {
    let both = exp.total_if_both_continue();
    (exp.replaces_any() && both >= policy.src_threshold_mg_per_day && both > exp.total_after()).then(|| {
        format!(
            "Read as replacing the active corticosteroid of the same drug and route. If both continue, \
             the total is **{} mg/day prednisone-equivalent**: stop the replaced order.\n\n",
            num(both)
        )
    })
}

/// The exposure lines shared with the BP monitoring card.
pub fn exposure_lines(exp: &Exposure<'_>) -> String {
    let mut lines = vec![];
    for u in exp.orders.iter().chain(&exp.active) {
        let kind = if exp.orders.iter().any(|o| std::ptr::eq(o.med, u.med)) {
            "Order"
        } else {
            "Active"
        };
        let dose = match (&u.med.dose, u.per_day_mg, u.pred_eq) {
            (Some(d), Some(per_day), Some(eq)) => format!(
                "{} ({}{}) = {} mg/day × {} = **{} mg/day prednisone-equivalent**",
                md(&d.derivation),
                d.schedule().map_or(String::new(), |s| s.describe()),
                if u.med.instructions > 1 {
                    ", highest of its dosage instructions"
                } else {
                    ""
                },
                num(per_day),
                num(u.factor),
                num(eq)
            ),
            _ => "dose could not be computed (no mg dose or no schedule)".into(),
        };
        lines.push(format!(
            "- {kind}: {} ({}, {}): {dose}",
            md(&u.med.name),
            u.med.route.describe(),
            md(&u.med.reference)
        ));
    }
    lines.join("\n")
}

pub fn evaluate(facts: &Facts, policy: &Policy) -> Outcome {
    let mut out = Outcome::default();
    if !facts.has_ssc() {
        return out;
    }
    let exp = Exposure::of(facts, policy);
    if exp.orders.iter().all(|u| u.pred_eq_at_least.is_none()) {
        return out;
    }
    // "new" counts every draft (also those not selected), "active" what continues.
    let order_total = exp.drafts_total();
    let total = exp.total_after();
    let continuing = total - order_total;
    if total < policy.src_threshold_mg_per_day {
        return out;
    }
    let factors = risk_factors(facts, policy);
    let indicator = Indicator::Warning;
    let figure = if continuing > 0.0 {
        format!(
            "new {} + active {} = {} mg/day",
            num(order_total),
            num(continuing),
            num(total)
        )
    } else {
        format!("{} mg/day", num(total))
    };
    let summary =
        text::summary(format!(
        "SSc: prednisone-eq {figure} ≥ {}: renal crisis risk{}; monitor BP, taper to ≤{} mg/day",
        num(policy.src_threshold_mg_per_day),
        if factors.is_empty() { "" } else { " (risk factors present)" },
        num(policy.taper_target_mg_per_day),
    ));
    let mut detail = format!(
        "**Scleroderma renal crisis risk.** Prednisone-equivalent {figure}, at or above {} mg/day.\n\n{}\n\n",
        num(policy.src_threshold_mg_per_day),
        exposure_lines(&exp)
    );
    if let Some(line) = both_continue_line(&exp, policy) {
        detail.push_str(&line);
    }
    if factors.is_empty() {
        detail.push_str(&format!(
            "Risk factors: none recorded (diffuse SSc, SSc onset < {} years, \
             anti-RNA polymerase III, prior renal crisis, last BP ≥ {}/{}).\n\n",
            num(policy.src_recent_onset_years),
            num(policy.src_bp_systolic),
            num(policy.src_bp_diastolic)
        ));
    } else {
        detail.push_str("**Risk factors present:**\n");
        for f in &factors {
            detail.push_str(&format!("- {f}\n"));
        }
        detail.push('\n');
    }
    detail.push_str(&format!(
        "**Do:** check blood pressure at every visit and at home, and serum creatinine; \
         taper to ≤ {} mg/day prednisone-equivalent as soon as the myositis allows. \
         A rise in BP or creatinine needs same-day review (ACE inhibitor first line).\n\n",
        num(policy.taper_target_mg_per_day)
    ));
    for l in crate::clinical::pretreatment::glucocorticoid_hbv(facts, policy, total) {
        detail.push_str(&format!("{}\n\n", l.text));
    }
    if facts.active_meds.iter().any(|m| m.is(Drug::AceInhibitor)) {
        detail.push_str("An ACE inhibitor is active: it does not prevent renal crisis, so this warning stands.\n\n");
    }
    detail.push_str(
        "Sources: guidance (critical scleroderma-specific caveat; monitoring); threshold ≥ 15 mg/day: \
         Steen & Medsger, Arthritis Rheum 1998 (OR 4.37); risk factors: Hachulla 2021, Penn 2007; \
         equivalence: Meikle & Tyler 1977.",
    );
    out.findings.push(Finding {
        topic: TOPIC,
        indicator,
        what: What::RenalCrisisRisk(Words { summary, detail }),
        notes: vec![],
        pull: None,
        suggestions: vec![bp_and_creatinine(policy)],
        selection: Selection::Any,
        override_reasons: MONITORING_OVERRIDES.to_vec(),
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clinical::rules::test_support::*;
    use crate::facts::{BloodPressure, Route, Schedule};
    use crate::terminology::medication::{Drug, Gc};

    fn run(f: &crate::facts::Facts) -> Option<Indicator> {
        let out = evaluate(f, &Policy::default());
        assert!(out.findings.len() <= 1);
        out.findings.first().map(|f| {
            assert!(f.summary().chars().count() < 140, "{}", f.summary());
            f.indicator
        })
    }

    #[test]
    fn threshold_table() {
        // (diagnoses, ordered prednisone mg/day, active prednisone mg/day, expected)
        let ssc = [Concept::Ssc];
        type Case<'a> = (&'a [Concept], f64, Option<f64>, Option<Indicator>);
        let cases: &[Case] = &[
            (&ssc, 60.0, None, Some(Indicator::Warning)),      // S1
            (&ssc, 15.0, None, Some(Indicator::Warning)),      // boundary: ≥ 15
            (&ssc, 14.9, None, None),                          // boundary: below
            (&ssc, 10.0, Some(5.0), Some(Indicator::Warning)), // with active GC reaches 15
            (&ssc, 10.0, Some(4.9), None),
            (&[Concept::Dermatomyositis], 60.0, None, None), // S8: no SSc
            (
                &[Concept::LocalizedScleroderma, Concept::Dermatomyositis],
                60.0,
                None,
                None,
            ),
        ];
        for (dx, order, active, want) in cases {
            let mut f = patient(dx);
            f.orders.push(prednisone(*order));
            if let Some(a) = active {
                let mut m = prednisone(*a);
                m.reference = "MedicationRequest/active".into();
                f.active_meds.push(m);
            }
            assert_eq!(run(&f), *want, "{dx:?} {order} {active:?}");
        }
    }

    #[test]
    fn conversions_and_routes() {
        let cases = [
            // Dexamethasone 4 mg = 26.7 mg prednisone-eq: fires (REFERENCE.md 6).
            (
                Drug::Glucocorticoid(Gc::Dexamethasone),
                4.0,
                Route::Oral,
                Some(Indicator::Warning),
            ),
            // 1 g IV methylprednisolone = 1 250 mg.
            (
                Drug::Glucocorticoid(Gc::Methylprednisolone),
                1000.0,
                Route::Intravenous,
                Some(Indicator::Warning),
            ),
            // Hydrocortisone 40 mg = 10 mg: below.
            (
                Drug::Glucocorticoid(Gc::Hydrocortisone),
                40.0,
                Route::Oral,
                None,
            ),
            // Budesonide 9 mg is never converted.
            (Drug::Budesonide, 9.0, Route::Oral, None),
            // Local and ambiguous routes never count.
            (
                Drug::Glucocorticoid(Gc::Triamcinolone),
                40.0,
                Route::Local,
                None,
            ),
            (
                Drug::Glucocorticoid(Gc::Triamcinolone),
                40.0,
                Route::Ambiguous,
                None,
            ),
        ];
        for (drug, mg, route, want) in cases {
            let mut f = patient(&[Concept::Ssc]);
            f.orders.push(med(drug, mg, Schedule::DAILY, route, "o"));
            assert_eq!(run(&f), want, "{drug:?} {mg} {route:?}");
        }
    }

    #[test]
    fn risk_factors_change_the_text_not_the_severity() {
        let base = || {
            let mut f = patient(&[Concept::Ssc]);
            f.orders.push(prednisone(20.0));
            f
        };
        let mut f = base();
        f.diagnoses.push(dx(Concept::SscDiffuse, 9));
        assert_eq!(run(&f), Some(Indicator::Warning));

        let mut f = base();
        f.diagnoses[0].onset = Some(days_ago(365 * 3));
        assert_eq!(run(&f), Some(Indicator::Warning));
        f.diagnoses[0].onset = Some(days_ago(365 * 5));
        assert_eq!(run(&f), Some(Indicator::Warning));

        let mut f = base();
        let mut prior = dx(Concept::RenalCrisis, 8);
        prior.active = false;
        f.diagnoses.push(prior);
        assert_eq!(run(&f), Some(Indicator::Warning));

        for (s, d, want) in [
            (140.0, 80.0, Indicator::Warning),
            (139.0, 90.0, Indicator::Warning),
            (139.0, 89.0, Indicator::Warning),
        ] {
            let mut f = base();
            f.blood_pressures.push(BloodPressure {
                systolic: Some(s),
                diastolic: Some(d),
                date: Some(days_ago(1)),
                source: "Observation/bp".into(),
            });
            assert_eq!(run(&f), Some(want), "{s}/{d}");
        }

        let mut f = base();
        let mut rnap = lab(Concept::Ana, 0.0, "");
        rnap.label = "RNA polymerase III Ab".into();
        rnap.quantity = None;
        rnap.result_text = Some("positive".into());
        f.labs.push(rnap);
        assert_eq!(run(&f), Some(Indicator::Warning));
    }

    #[test]
    fn an_active_ace_inhibitor_never_suppresses_it() {
        let mut f = patient(&[Concept::Ssc]);
        f.orders.push(prednisone(40.0));
        f.active_meds.push(med(
            Drug::AceInhibitor,
            10.0,
            Schedule::DAILY,
            Route::Oral,
            "acei",
        ));
        let out = evaluate(&f, &Policy::default());
        assert_eq!(out.findings.len(), 1);
        assert!(out.findings[0]
            .detail()
            .contains("does not prevent renal crisis"));
    }

    #[test]
    fn hepatitis_b_at_20_mg_or_more() {
        // (prednisone mg/day, HBV line)
        for (mg, said) in [(20.0, true), (15.0, false)] {
            let mut f = patient(&[Concept::Ssc]);
            f.orders.push(prednisone(mg));
            let card = &evaluate(&f, &Policy::default()).findings[0];
            assert_eq!(card.detail().contains("check HBV"), said, "{mg}");
        }
    }
}
