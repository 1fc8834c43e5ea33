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
//! All of it goes into one card per order, with the azathioprine order
//! check's concerns (mg/kg dose, no TPMT/NUDT15 result: [`aza_order_check`]),
//! so an azathioprine order draws one card of the worst severity, its topic
//! the worst concern's. [`azathioprine_blocked`] tells the steroid-sparing
//! suggestion when azathioprine must not be offered.

use std::sync::LazyLock;

use regex::Regex;

use super::aza_order_check;
use super::drug_check::{self, Basis, Card, Concern, GeneResult, Kind, Per, Share, Substance};
use super::Outcome;
use crate::clinical::body::{dosing_weight_of, WeightUsed};
use crate::clinical::pretreatment;
use crate::clinical::text::md;
use crate::clinical::{Indicator, OverrideReason, Policy, Topic};
use crate::facts::{Facts, Lab, Med};
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
    "aza_round_mg",
    "pretreatment_lab_max_age_days",
    "neutrophils_min",
    "platelets_min",
    "leukocytes_min",
    "alt_max_x_uln",
];

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
    pub phenotype: Phenotype,
    /// The result as recorded, with its gene.
    pub result: GeneResult,
}

/// Star-allele diplotypes ("*1/*3A", "TPMT *3A/*3C").
static DIPLOTYPE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\*\s*([0-9]+)[a-z]?\s*/\s*\*\s*([0-9]+)[a-z]?").expect("static regex")
});

/// A phenotype from a result's words (POLICY third edition, "Thiopurine
/// results"): poor, low, deficient, homozygous (not for wild type) or two
/// non-functional alleles → poor; intermediate, heterozygous or one
/// non-functional allele → intermediate; normal, wild type or `*1/*1` →
/// normal. Any allele other than `*1` counts as non-functional: the
/// decreased- and uncertain-function alleles are read the safe way.
fn phenotype_of(text: &str) -> Option<Phenotype> {
    let t = text.to_ascii_lowercase();
    // "No TPMT deficiency detected", "not deficient": normal.
    if NEGATED.is_match(&t) {
        return Some(Phenotype::Normal);
    }
    if let Some(c) = DIPLOTYPE.captures(&t) {
        let nonfunctional = [&c[1], &c[2]].iter().filter(|a| **a != "1").count();
        return Some(match nonfunctional {
            0 => Phenotype::Normal,
            1 => Phenotype::Intermediate,
            _ => Phenotype::Poor,
        });
    }
    if t.contains("two non-functional") || t.contains("two no function") {
        return Some(Phenotype::Poor);
    }
    if t.contains("one non-functional") || t.contains("one no function") {
        return Some(Phenotype::Intermediate);
    }
    let wild = t.contains("wild type") || t.contains("wild-type") || t.contains("wildtype");
    if t.contains("heterozyg") {
        return Some(Phenotype::Intermediate);
    }
    if t.contains("homozyg") && !wild && !t.contains("normal") {
        return Some(Phenotype::Poor);
    }
    // Critically low, low, low activity: poor (an interpretation code L or LL
    // of a numeric activity included).
    let words: Vec<&str> = t
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    if words.contains(&"low")
        || matches!(t.trim(), "l" | "ll")
        || ["poor", "deficien", "absent activity"]
            .iter()
            .any(|w| t.contains(w))
    {
        Some(Phenotype::Poor)
    } else if t.contains("intermediate") {
        Some(Phenotype::Intermediate)
    } else if wild
        || ["normal", "extensive", "rapid"]
            .iter()
            .any(|w| t.contains(w))
    {
        Some(Phenotype::Normal)
    } else {
        None
    }
}

/// A result's phenotype: from its value (coded or text), else its
/// interpretation, else the test's own name ("TPMT poor metabolizer").
fn classify(l: &Lab) -> Option<Phenotype> {
    let gene_free = GENE.replace_all(&l.label, "");
    l.result_text
        .as_deref()
        .and_then(phenotype_of)
        .or_else(|| l.interpretation.as_deref().and_then(phenotype_of))
        .or_else(|| {
            // The name alone says a phenotype only when it is not a mere
            // test name ("TPMT genotype" says nothing).
            phenotype_of(&gene_free).filter(|_| l.result_text.is_none())
        })
}

/// A TPMT/NUDT15 result on file that cannot be classified.
fn unreadable(facts: &Facts) -> Option<&Lab> {
    facts.labs.iter().find(|l| {
        (l.concepts.contains(&Concept::Tpmt) || GENE.is_match(&l.label)) && classify(l).is_none()
    })
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
        let Some(phenotype) = classify(l) else {
            continue;
        };
        let result = l
            .result_text
            .as_deref()
            .or(l.interpretation.as_deref())
            .unwrap_or(l.label.as_str());
        let gene = gene_of(l, result);
        if out.iter().any(|m| m.result.gene == gene) {
            continue;
        }
        out.push(Metaboliser {
            phenotype,
            result: GeneResult {
                gene,
                label: l.label.clone(),
                result: result.to_string(),
                date: l.date,
            },
        });
    }
    out
}

fn xo_inhibitor(facts: &Facts, drug: Drug) -> Option<&Med> {
    facts.all_meds().find(|m| m.is(drug))
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
        let r = &m.result;
        return Some(format!(
            "{} {what}: {}: {} ({})",
            r.gene,
            md(&r.label),
            md(&r.result),
            crate::clinical::text::date(r.date)
        ));
    }
    for drug in [Drug::Febuxostat, Drug::Allopurinol] {
        if let Some(m) = xo_inhibitor(facts, drug) {
            return Some(format!(
                "{} with azathioprine: {}",
                drug.name(),
                md(&crate::words::medication::named(m))
            ));
        }
    }
    // A TPMT/NUDT15 result on file that cannot be read (a numeric activity
    // without an interpretation): review it before azathioprine, never guess.
    if let Some(l) = unreadable(facts) {
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
            // POLICY third edition: low is poor (the safe reading).
            ("Low", Some(Phenotype::Poor)),
            ("L", Some(Phenotype::Poor)),
            ("Critical low", Some(Phenotype::Poor)),
            ("Low activity", Some(Phenotype::Poor)),
            ("Normal", Some(Phenotype::Normal)),
            ("see report", None),
            // Diplotypes: non-*1 alleles counted.
            ("*1/*1", Some(Phenotype::Normal)),
            ("TPMT *1/*3A", Some(Phenotype::Intermediate)),
            ("*3A/*3A", Some(Phenotype::Poor)),
            ("*2/*3C", Some(Phenotype::Poor)),
            ("NUDT15 *1/*3", Some(Phenotype::Intermediate)),
            ("* 3A / * 3C", Some(Phenotype::Poor)),
            ("Homozygous variant", Some(Phenotype::Poor)),
            ("Homozygous wild type", Some(Phenotype::Normal)),
            ("Heterozygous", Some(Phenotype::Intermediate)),
            ("Two non-functional alleles", Some(Phenotype::Poor)),
            ("One no function allele", Some(Phenotype::Intermediate)),
            ("Rapid metabolizer", Some(Phenotype::Normal)),
            // A unit is not an interpretation.
            ("37 U/L", None),
        ];
        for (text, want) in cases {
            assert_eq!(phenotype_of(text), want, "{text}");
        }
    }

    proptest::proptest! {
        /// A diplotype, however spaced, cased and prefixed, reads as its
        /// count of non-*1 alleles: 0 normal, 1 intermediate, 2 poor.
        #[test]
        fn diplotypes_read_by_their_alleles(
            a in 1u32..40, b in 1u32..40,
            sa in "[abcs]?", sb in "[abcs]?",
            gene in "(TPMT |NUDT15 |)", space in " ?",
        ) {
            let text = format!("{gene}*{space}{a}{sa}{space}/{space}*{b}{sb}");
            let want = match (a != 1) as u8 + (b != 1) as u8 {
                0 => Phenotype::Normal,
                1 => Phenotype::Intermediate,
                _ => Phenotype::Poor,
            };
            proptest::prop_assert_eq!(phenotype_of(&text), Some(want), "{}", text);
            proptest::prop_assert_eq!(phenotype_of(&text.to_uppercase()), Some(want), "{}", text);
        }

        /// Any text reads without panicking, and a result never reads as
        /// normal when it says poor.
        #[test]
        fn poor_is_never_normal(prefix in "[a-z ]{0,12}") {
            let text = format!("{prefix} poor metabolizer");
            proptest::prop_assert_eq!(phenotype_of(&text), Some(Phenotype::Poor), "{}", text);
        }
    }
}

/// Builds this rule's text matchers (at start-up, not on a first request).
pub(super) fn warm() {
    LazyLock::force(&GENE);
    LazyLock::force(&NEGATED);
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
                    Kind::PoorMetaboliser(x.result.clone()),
                )),
                Phenotype::Intermediate => {
                    let both = intermediates >= 2;
                    let (low_pct, high_pct) = if both {
                        (
                            policy.aza_both_intermediate_pct_low,
                            policy.aza_both_intermediate_pct_high,
                        )
                    } else {
                        (
                            policy.aza_intermediate_pct_low,
                            policy.aza_intermediate_pct_high,
                        )
                    };
                    concerns.push(Concern::new(
                        Indicator::Warning,
                        Kind::IntermediateMetaboliser {
                            result: x.result.clone(),
                            low_pct,
                            high_pct,
                            both,
                        },
                    ));
                }
                Phenotype::Normal => {}
            }
        }
        // A result on file that cannot be read, and no readable one for its
        // gene: review before azathioprine.
        if let Some(l) = unreadable(facts) {
            let result = l.result_text.clone().unwrap_or_default();
            let gene = gene_of(l, &result);
            if !found.iter().any(|x| x.result.gene == gene) {
                concerns.push(Concern::new(
                    Indicator::Warning,
                    Kind::UnreadableMetaboliser(GeneResult {
                        gene,
                        label: l.label.clone(),
                        result,
                        date: l.date,
                    }),
                ));
            }
        }
        if let Some(f) = xo_inhibitor(facts, Drug::Febuxostat) {
            concerns.push(Concern::new(
                Indicator::Critical,
                Kind::Febuxostat {
                    name: f.name.clone(),
                },
            ));
        }
        let per_day = drug_check::per_day_at_least(m);
        let dosing = dosing_weight_of(facts).ok();
        if let Some(a) = xo_inhibitor(facts, Drug::Allopurinol) {
            let share = match (per_day, &dosing) {
                (Some((mg, _)), Some(dw)) if dw.dosing > 0.0 => {
                    let usual = policy.aza_mg_per_kg * dw.dosing;
                    Some(Share {
                        per_day: mg,
                        usual,
                        mg_per_kg: policy.aza_mg_per_kg,
                        pct: 100.0 * mg / usual,
                    })
                }
                _ => None,
            };
            let reduced = share
                .as_ref()
                .is_some_and(|s| s.pct <= policy.aza_allopurinol_max_pct + 1e-9);
            concerns.push(Concern::new(
                if reduced {
                    Indicator::Warning
                } else {
                    Indicator::Critical
                },
                Kind::Allopurinol {
                    name: a.name.clone(),
                    share,
                    max_pct: policy.aza_allopurinol_max_pct,
                    reduced,
                },
            ));
        }
        if let Some((mg, known)) = per_day {
            concerns.extend(drug_check::absolute_limit(
                Substance::Azathioprine,
                if known {
                    Per::Day
                } else {
                    Per::DoseFrequencyUnknown
                },
                mg,
                policy.aza_max_mg_per_day,
                policy,
            ));
        }
        // POLICY "Budget": the order check's concerns about the same order
        // fold into this card.
        concerns.extend(aza_order_check::concerns(facts, policy, m));
        concerns.extend(pretreatment::concerns(facts, policy, Drug::Azathioprine));
        drug_check::worst_first(&mut concerns);
        let topic = match concerns.first().map(|c| &c.kind) {
            Some(Kind::Aza(aza_order_check::Found::AboveMgPerKg { .. })) => {
                aza_order_check::TOPIC_DOSE
            }
            Some(Kind::Aza(aza_order_check::Found::TpmtNotOnFile { .. })) => {
                aza_order_check::TOPIC_TPMT
            }
            _ => TOPIC,
        };
        let used_weight = concerns.iter().any(|c| {
            matches!(
                c.kind,
                Kind::Allopurinol { share: Some(_), .. }
                    | Kind::Aza(aza_order_check::Found::AboveMgPerKg { .. })
            )
        });
        let basis = match (used_weight, dosing, WeightUsed::of(facts, policy)) {
            (true, Some(dosing), Some(weight)) => Some(Basis::DosingWeight { weight, dosing }),
            _ => None,
        };
        let tpmt = concerns.iter().any(|c| {
            matches!(
                c.kind,
                Kind::Aza(aza_order_check::Found::TpmtNotOnFile { .. })
            )
        });
        if let Some(mut card) = drug_check::card(
            topic,
            m,
            Card::Azathioprine,
            concerns,
            basis,
            vec![
                OverrideReason::DoseAppropriate,
                OverrideReason::BenefitOutweighsRisk,
            ],
        ) {
            if tpmt {
                card.suggestions.push(aza_order_check::tpmt_suggestion());
                card.override_reasons.extend([
                    OverrideReason::RecordedElsewhere,
                    OverrideReason::PatientDeclined,
                ]);
            }
            out.findings.push(card);
        }
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
            // At the absolute limit, not above it: only the mg/kg dose speaks
            // (300 mg/day is above 2 mg/kg × 75 kg = 150 mg).
            ("300 mg/day", vec![], None, 300.0, warn),
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
            if labs.is_empty() {
                // A normal result on file, so that no TPMT reminder shows.
                f.labs.push(result("TPMT phenotype", "Normal metabolizer"));
            }
            f.labs.extend(labs);
            f.active_meds.extend(active.map(other));
            f.orders.push(aza(mg));
            let out = evaluate(&f, &p);
            assert_eq!(out.findings.first().map(|x| x.indicator), want, "{name}");
            assert!(out.findings.len() <= 1, "{name}: one card per order");
            let limit = kinds(&out).iter().any(|k| matches!(k, Kind::AboveLimit(_)));
            assert_eq!(limit, mg > 300.0, "{name}");
        }
    }

    fn kinds(out: &Outcome) -> Vec<Kind> {
        out.findings
            .iter()
            .flat_map(|f| match &f.what {
                crate::clinical::What::DrugCheck(d) => d.concerns.clone(),
                w => panic!("{w:?}"),
            })
            .map(|c| c.kind)
            .collect()
    }

    /// POLICY "Budget": the thiopurine concerns, the mg/kg dose and the TPMT
    /// reminder about one order make one card of the worst severity, its
    /// topic the worst concern's; no warning is hidden.
    #[test]
    fn one_card_per_azathioprine_order() {
        use crate::clinical::{Direction, Pull};
        let p = Policy::default();
        // 175 mg/day: above 2 mg/kg × 75 kg = 150 mg; no TPMT result; no labs.
        let mut f = with_body(
            patient(&[Concept::Polymyositis]),
            Sex::Male,
            90.0,
            Some(180.0),
        );
        f.orders.push(aza(175.0));
        let out = evaluate(&f, &p);
        assert_eq!(out.findings.len(), 1);
        let c = &out.findings[0];
        assert_eq!(
            (c.topic, c.indicator),
            (aza_order_check::TOPIC_DOSE, Indicator::Warning)
        );
        let k = kinds(&out);
        assert!(matches!(
            k[0],
            Kind::Aza(aza_order_check::Found::AboveMgPerKg { per_day, limit, .. })
                if per_day == 175.0 && limit == 150.0
        ));
        assert!(matches!(
            k[1],
            Kind::Aza(aza_order_check::Found::TpmtNotOnFile { .. })
        ));
        assert!(k.iter().any(|k| matches!(k, Kind::Pretreatment { .. })));
        assert_eq!(
            c.pull,
            Some(Pull {
                order: "MedicationRequest/aza".into(),
                direction: Direction::Lower
            })
        );
        assert_eq!(c.suggestions, vec![aza_order_check::tpmt_suggestion()]);
        assert!(
            c.detail().contains("Dosing weight") || c.detail().contains("dosing weight"),
            "{}",
            c.detail()
        );
        // A poor metaboliser too: critical, thiopurine's topic, the dose warning still stated.
        f.labs.push(result("TPMT phenotype", "Poor metabolizer"));
        let out = evaluate(&f, &p);
        assert_eq!(out.findings.len(), 1);
        let c = &out.findings[0];
        assert_eq!((c.topic, c.indicator), (TOPIC, Indicator::Critical));
        assert!(
            c.summary().ends_with("(+1 more concern)"),
            "{}",
            c.summary()
        );
        assert!(c.detail().contains("= 2.33 mg/kg**"), "{}", c.detail());
        // Only the reminders: the TPMT reminder speaks (info).
        let mut f = with_body(
            patient(&[Concept::Polymyositis]),
            Sex::Male,
            90.0,
            Some(180.0),
        );
        f.orders.push(aza(100.0));
        let out = evaluate(&f, &p);
        assert_eq!(
            (out.findings[0].topic, out.findings[0].indicator),
            (aza_order_check::TOPIC_TPMT, Indicator::Info)
        );
        assert_eq!(out.findings[0].pull, None);
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
