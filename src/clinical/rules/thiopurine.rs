//! # Thiopurine safety (`thiopurine-safety`)
//!
//! CPIC guideline for thiopurine dosing by TPMT and NUDT15 (Relling et al.
//! 2019, 2018 update; March 2024 update): poor metabolisers of either gene
//! should use a non-thiopurine agent for non-malignant conditions;
//! intermediate metabolisers start at 30–80 % of the normal dose (20–50 % when
//! both genes are intermediate). Xanthine-oxidase inhibitors block
//! azathioprine's inactivation (azathioprine label): with allopurinol the dose
//! is cut to a quarter; febuxostat is contraindicated.
//!
//! Service policy (second edition), on an azathioprine order:
//! - TPMT or NUDT15 poor metaboliser: **critical** (avoid azathioprine);
//!   intermediate: **warning** (start at 30–80 % of the dose);
//! - febuxostat active or ordered: **critical**, avoid;
//! - allopurinol active or ordered: **critical**, unless azathioprine is at
//!   most 25 % of the usual dose (2 mg/kg dosing weight): then **warning**,
//!   monitor the blood count;
//! - azathioprine above 300 mg/day: **warning**, ≥ 2×: **critical** (no
//!   weight needed: catches unit slips);
//! - the pre-treatment lines (hepatitis B, blood counts and ALT).
//!
//! All of it goes into one card per order. [`azathioprine_blocked`] tells the
//! steroid-sparing suggestion when azathioprine must not be offered.

use std::sync::LazyLock;

use regex::Regex;

use super::drug_check::{self, Concern};
use super::Outcome;
use crate::clinical::body::dosing_weight_of;
use crate::clinical::pretreatment;
use crate::clinical::text::{md, num};
use crate::clinical::{Indicator, OverrideReason, Policy, Topic};
use crate::facts::{Facts, Lab};
use crate::terminology::medication::Drug;
use crate::terminology::Concept;

pub const TOPIC: Topic = Topic {
    code: "thiopurine-safety",
    display: "Azathioprine: metaboliser status, xanthine-oxidase inhibitors, dose limit",
};

pub const SETTINGS: &[&str] = &[
    "aza_intermediate_pct_low",
    "aza_intermediate_pct_high",
    "aza_both_intermediate_pct_low",
    "aza_both_intermediate_pct_high",
    "aza_allopurinol_max_pct",
    "aza_max_mg_per_day",
    "dose_slip_factor",
    "aza_mg_per_kg",
    "pretreatment_lab_max_age_days",
    "neutrophils_min",
    "platelets_min",
    "leukocytes_min",
    "alt_max_x_uln",
];

const SOURCES: &str =
    "Sources: CPIC thiopurine guideline (Relling et al. 2019; 2024 update); azathioprine label \
                       (xanthine-oxidase inhibitors); absolute limit: local policy.";

static GENE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)\b(tpmt|nudt15|thiopurine)").expect("static regex"));

static NEGATED: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new(r"\b(?:no|not|without|negative for)\b[^.;]{0,40}\bdeficien")
        .expect("static regex")
});

/// A metaboliser phenotype read from a result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Phenotype {
    Normal,
    Intermediate,
    Poor,
}

/// One gene's newest result.
#[derive(Debug, Clone, PartialEq)]
pub struct Metaboliser {
    /// "TPMT", "NUDT15" or "TPMT/NUDT15" (a combined result that names neither).
    pub gene: &'static str,
    pub phenotype: Phenotype,
    pub evidence: String,
}

fn phenotype_of(text: &str) -> Option<Phenotype> {
    let t = text.to_ascii_lowercase();
    // "No TPMT deficiency detected", "not deficient": normal.
    if NEGATED.is_match(&t) {
        return Some(Phenotype::Normal);
    }
    // An interpretation of a numeric activity: critically low is poor, low
    // intermediate.
    if t.contains("critical") && t.contains("low") || t == "ll" {
        return Some(Phenotype::Poor);
    }
    if t == "low" || t == "l" || t.starts_with("low ") && !t.contains("activity") {
        return Some(Phenotype::Intermediate);
    }
    if ["poor", "deficien", "absent activity", "low activity"]
        .iter()
        .any(|w| t.contains(w))
    {
        Some(Phenotype::Poor)
    } else if t.contains("intermediate") || t.contains("heterozyg") {
        Some(Phenotype::Intermediate)
    } else if ["normal", "extensive", "wild type", "wild-type"]
        .iter()
        .any(|w| t.contains(w))
    {
        Some(Phenotype::Normal)
    } else {
        None
    }
}

fn gene_of(l: &Lab, result: &str) -> &'static str {
    let named = |s: &str| {
        let s = s.to_ascii_lowercase();
        (s.contains("tpmt"), s.contains("nudt15"))
    };
    match named(result) {
        (true, false) => return "TPMT",
        (false, true) => return "NUDT15",
        _ => {}
    }
    match named(&l.label) {
        (true, false) => "TPMT",
        (false, true) => "NUDT15",
        _ => "TPMT/NUDT15",
    }
}

/// The newest metaboliser result per gene.
pub fn metabolisers(facts: &Facts) -> Vec<Metaboliser> {
    let mut out: Vec<Metaboliser> = Vec::new();
    for l in facts
        .labs
        .iter()
        .filter(|l| l.concepts.contains(&Concept::Tpmt) || GENE.is_match(&l.label))
    {
        let Some(result) = l.result_text.as_deref() else {
            continue;
        };
        let Some(phenotype) = phenotype_of(result) else {
            continue;
        };
        let gene = gene_of(l, result);
        if out.iter().any(|m| m.gene == gene) {
            continue;
        }
        out.push(Metaboliser {
            gene,
            phenotype,
            evidence: format!(
                "{}: {} ({}, {})",
                md(&l.label),
                md(result),
                md(&l.source),
                crate::clinical::text::date(l.date)
            ),
        });
    }
    out
}

fn xo_inhibitor(facts: &Facts, drug: Drug) -> Option<String> {
    facts
        .all_meds()
        .find(|m| m.is(drug))
        .map(|m| format!("{} ({})", md(&m.name), md(&m.reference)))
}

/// Why azathioprine must not be suggested now, if it must not: a poor or
/// intermediate TPMT/NUDT15 result, or allopurinol or febuxostat active or
/// ordered.
pub fn azathioprine_blocked(facts: &Facts) -> Option<String> {
    if let Some(m) = metabolisers(facts)
        .into_iter()
        .filter(|m| m.phenotype != Phenotype::Normal)
        .max_by_key(|m| m.phenotype)
    {
        let what = match m.phenotype {
            Phenotype::Poor => "poor metaboliser",
            _ => "intermediate metaboliser",
        };
        return Some(format!("{} {what}: {}", m.gene, m.evidence));
    }
    for drug in [Drug::Febuxostat, Drug::Allopurinol] {
        if let Some(m) = xo_inhibitor(facts, drug) {
            return Some(format!("{} with azathioprine: {m}", drug.name()));
        }
    }
    // A TPMT/NUDT15 result on file that cannot be read (a numeric activity
    // without an interpretation): review it before azathioprine, never guess.
    if let Some(l) = facts.labs.iter().find(|l| {
        l.concepts.contains(&Concept::Tpmt)
            && l.result_text.as_deref().and_then(phenotype_of).is_none()
    }) {
        return Some(format!(
            "a thiopurine result on file could not be read ({}): review it before azathioprine",
            md(&l.label)
        ));
    }
    None
}

#[cfg(test)]
mod reading_tests {
    use super::*;

    #[test]
    fn phenotype_text_table() {
        let cases = [
            ("Poor metabolizer", Some(Phenotype::Poor)),
            ("TPMT deficient", Some(Phenotype::Poor)),
            ("No TPMT deficiency detected", Some(Phenotype::Normal)),
            ("Not deficient", Some(Phenotype::Normal)),
            ("Intermediate metabolizer", Some(Phenotype::Intermediate)),
            ("Low", Some(Phenotype::Intermediate)),
            ("Critical low", Some(Phenotype::Poor)),
            ("Normal", Some(Phenotype::Normal)),
            ("see report", None),
        ];
        for (text, want) in cases {
            assert_eq!(phenotype_of(text), want, "{text}");
        }
    }
}

pub fn evaluate(facts: &Facts, policy: &Policy) -> Outcome {
    let mut out = Outcome::default();
    for m in facts.orders.iter().filter(|m| m.is(Drug::Azathioprine)) {
        let mut concerns = Vec::new();
        let found = metabolisers(facts);
        let intermediates = found
            .iter()
            .filter(|x| x.phenotype == Phenotype::Intermediate)
            .count();
        for x in &found {
            match x.phenotype {
                Phenotype::Poor => concerns.push(Concern::new(
                    Indicator::Critical,
                    format!("{} poor metaboliser: avoid azathioprine (use a non-thiopurine agent)", x.gene),
                    format!(
                        "**{} poor metaboliser** ({}): life-threatening myelosuppression; use a non-thiopurine agent.",
                        x.gene, x.evidence
                    ),
                )),
                Phenotype::Intermediate => {
                    let (lo, hi) = if intermediates >= 2 {
                        (policy.aza_both_intermediate_pct_low, policy.aza_both_intermediate_pct_high)
                    } else {
                        (policy.aza_intermediate_pct_low, policy.aza_intermediate_pct_high)
                    };
                    concerns.push(Concern::new(
                        Indicator::Warning,
                        format!(
                            "{} intermediate metaboliser: start azathioprine at {}–{} % of the usual dose",
                            x.gene,
                            num(lo),
                            num(hi)
                        ),
                        format!(
                            "**{} intermediate metaboliser** ({}): start at {}–{} % of the usual dose{} and adjust to the blood count.",
                            x.gene,
                            x.evidence,
                            num(lo),
                            num(hi),
                            if intermediates >= 2 { " (both genes intermediate)" } else { "" }
                        ),
                    ));
                }
                Phenotype::Normal => {}
            }
        }
        if let Some(f) = xo_inhibitor(facts, Drug::Febuxostat) {
            concerns.push(Concern::new(
                Indicator::Critical,
                "Febuxostat with azathioprine: contraindicated, avoid the combination".into(),
                format!("**Febuxostat** ({f}) blocks azathioprine's inactivation: contraindicated together."),
            ));
        }
        let per_day = drug_check::per_day_at_least(m);
        if let Some(a) = xo_inhibitor(facts, Drug::Allopurinol) {
            let usual = dosing_weight_of(facts)
                .ok()
                .map(|dw| policy.aza_mg_per_kg * dw.dosing);
            let pct = match (per_day, usual) {
                (Some((mg, _)), Some(u)) if u > 0.0 => Some(100.0 * mg / u),
                _ => None,
            };
            let reduced = pct.is_some_and(|p| p <= policy.aza_allopurinol_max_pct + 1e-9);
            let how = match (pct, usual) {
                (Some(p), Some(u)) => format!(
                    "azathioprine {} mg/day = {:.0} % of the usual {:.0} mg/day ({} mg/kg dosing weight)",
                    num(per_day.map_or(0.0, |x| x.0)),
                    p,
                    u,
                    num(policy.aza_mg_per_kg)
                ),
                _ => "the share of the usual dose cannot be computed (dose, weight, height or sex not on file)".into(),
            };
            concerns.push(if reduced {
                Concern::new(
                    Indicator::Warning,
                    format!(
                        "Allopurinol with azathioprine at ≤{} % of the usual dose: monitor the blood count",
                        num(policy.aza_allopurinol_max_pct)
                    ),
                    format!("**Allopurinol** ({a}): {how}; at most {} %: monitor the full blood count closely.", num(policy.aza_allopurinol_max_pct)),
                )
            } else {
                Concern::new(
                    Indicator::Critical,
                    format!(
                        "Allopurinol with azathioprine above {} % of the usual dose: myelosuppression risk",
                        num(policy.aza_allopurinol_max_pct)
                    ),
                    format!(
                        "**Allopurinol** ({a}): {how}; with allopurinol azathioprine must be cut to at most {} % of the usual dose, or avoided.",
                        num(policy.aza_allopurinol_max_pct)
                    ),
                )
            });
        }
        if let Some((mg, known)) = per_day {
            let what = if known {
                "Azathioprine per day"
            } else {
                "Azathioprine per dose (frequency unknown)"
            };
            concerns.extend(drug_check::absolute_limit(
                what,
                mg,
                policy.aza_max_mg_per_day,
                "mg",
                policy,
            ));
        }
        concerns.extend(pretreatment::concerns(facts, policy, Drug::Azathioprine));
        out.findings.extend(drug_check::card(
            TOPIC,
            m,
            "Azathioprine safety",
            concerns,
            SOURCES,
            vec![
                OverrideReason::DoseAppropriate,
                OverrideReason::BenefitOutweighsRisk,
            ],
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clinical::rules::test_support::*;
    use crate::facts::{Route, Schedule, Sex};

    fn result(label: &str, text: &str) -> Lab {
        let mut l = lab(Concept::Tpmt, 0.0, "");
        l.quantity = None;
        l.label = label.into();
        l.result_text = Some(text.to_ascii_lowercase());
        l
    }
    fn base() -> Facts {
        // Male 180 cm, 90 kg: dosing weight 75 kg, usual dose 150 mg/day.
        let mut f = with_body(
            patient(&[Concept::Polymyositis]),
            Sex::Male,
            90.0,
            Some(180.0),
        );
        // Hepatitis B, counts and ALT on file so that only the rule's own concerns show.
        f.labs
            .extend(crate::clinical::pretreatment::tests::all_clear());
        f
    }
    fn aza(mg: f64) -> crate::facts::Med {
        med(Drug::Azathioprine, mg, Schedule::DAILY, Route::Oral, "aza")
    }
    fn other(drug: Drug) -> crate::facts::Med {
        med(drug, 100.0, Schedule::DAILY, Route::Oral, "xo")
    }

    #[test]
    fn azathioprine_order_table() {
        let p = Policy::default();
        let crit = Some(Indicator::Critical);
        let warn = Some(Indicator::Warning);
        // (TPMT/NUDT15 results, active drug, AZA mg/day, expected card)
        type Case = (&'static str, Vec<Lab>, Option<Drug>, f64, Option<Indicator>);
        let cases: Vec<Case> = vec![
            (
                "nothing wrong",
                vec![result("TPMT phenotype", "Normal metabolizer")],
                None,
                150.0,
                None,
            ),
            (
                "TPMT poor",
                vec![result("TPMT phenotype", "Poor metabolizer")],
                None,
                50.0,
                crit,
            ),
            (
                "NUDT15 poor",
                vec![result("NUDT15 genotype", "Poor metabolizer")],
                None,
                50.0,
                crit,
            ),
            (
                "TPMT intermediate",
                vec![result("TPMT phenotype", "Intermediate metabolizer")],
                None,
                50.0,
                warn,
            ),
            (
                "combined test names the gene",
                vec![result(
                    "TPMT and NUDT15 analysis",
                    "NUDT15 intermediate metabolizer",
                )],
                None,
                50.0,
                warn,
            ),
            ("febuxostat", vec![], Some(Drug::Febuxostat), 25.0, crit),
            (
                "allopurinol, full dose",
                vec![],
                Some(Drug::Allopurinol),
                150.0,
                crit,
            ),
            (
                "allopurinol, 37 mg = 24.7 % of 150 mg",
                vec![],
                Some(Drug::Allopurinol),
                37.0,
                warn,
            ),
            (
                "allopurinol, 26 %",
                vec![],
                Some(Drug::Allopurinol),
                39.0,
                crit,
            ),
            ("300 mg/day", vec![], None, 300.0, None),
            ("325 mg/day", vec![], None, 325.0, warn),
            ("600 mg/day", vec![], None, 600.0, crit),
            (
                "ACE inhibitor is no interaction",
                vec![],
                Some(Drug::AceInhibitor),
                100.0,
                None,
            ),
        ];
        for (name, labs, active, mg, want) in cases {
            let mut f = base();
            f.labs.extend(labs);
            f.active_meds.extend(active.map(other));
            f.orders.push(aza(mg));
            let out = evaluate(&f, &p);
            assert_eq!(out.findings.first().map(|x| x.indicator), want, "{name}");
            assert!(out.findings.len() <= 1, "{name}: one card per order");
        }
    }

    #[test]
    fn both_intermediate_start_lower() {
        let mut f = base();
        f.labs
            .push(result("TPMT phenotype", "Intermediate metabolizer"));
        f.labs
            .push(result("NUDT15 phenotype", "Intermediate metabolizer"));
        f.orders.push(aza(50.0));
        let out = evaluate(&f, &Policy::default());
        assert!(
            out.findings[0].detail().contains("20–50 %"),
            "{}",
            out.findings[0].detail()
        );
    }

    #[test]
    fn allopurinol_without_weight_cannot_be_shown_reduced() {
        let mut f = patient(&[Concept::Polymyositis]);
        f.labs
            .extend(crate::clinical::pretreatment::tests::all_clear());
        f.active_meds.push(other(Drug::Allopurinol));
        f.orders.push(aza(25.0));
        let out = evaluate(&f, &Policy::default());
        assert_eq!(out.findings[0].indicator, Indicator::Critical);
        assert!(out.findings[0].detail().contains("cannot be computed"));
    }

    #[test]
    fn blocked_table() {
        let mut f = base();
        assert_eq!(azathioprine_blocked(&f), None);
        f.labs.push(result("TPMT phenotype", "Normal metabolizer"));
        assert_eq!(azathioprine_blocked(&f), None);
        let mut g = base();
        g.labs
            .push(result("NUDT15 genotype", "Intermediate metabolizer"));
        assert!(azathioprine_blocked(&g)
            .unwrap()
            .contains("NUDT15 intermediate"));
        let mut g = base();
        g.other_drafts.push(other(Drug::Febuxostat));
        assert!(azathioprine_blocked(&g).unwrap().contains("febuxostat"));
        let mut g = base();
        g.active_meds.push(other(Drug::Allopurinol));
        assert!(azathioprine_blocked(&g).unwrap().contains("allopurinol"));
    }

    #[test]
    fn the_newest_result_per_gene_wins() {
        let mut f = base();
        // Labs are newest first: a newer normal result replaces an older poor one.
        f.labs
            .insert(0, result("TPMT phenotype", "Normal metabolizer"));
        f.labs.push(result("TPMT phenotype", "Poor metabolizer"));
        assert_eq!(metabolisers(&f)[0].phenotype, Phenotype::Normal);
        assert_eq!(
            phenotype_of("possible intermediate metabolizer"),
            Some(Phenotype::Intermediate)
        );
        assert_eq!(phenotype_of("see report"), None);
    }
}
