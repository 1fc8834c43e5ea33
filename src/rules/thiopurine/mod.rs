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
use crate::clinical::Outcome;
use crate::clinical::body::{dosing_weight_of, WeightUsed};
use crate::clinical::{Indicator, OverrideReason, Policy, Topic};
use crate::facts::{Facts, Lab, Med};
use crate::terminology::medication::Drug;
use crate::terminology::Concept;

pub const TOPIC: Topic = Topic {
    code: "thiopurine-safety",
    display: "Azathioprine: metaboliser status, xanthine-oxidase inhibitors, dose limit",
};

/// The card topics this rule can produce.
pub const TOPICS: &[Topic] = &[TOPIC];

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

/// Why azathioprine must not be suggested now.
#[derive(Debug, Clone, PartialEq)]
pub enum Blocked {
    /// A poor or intermediate TPMT/NUDT15 result (the worst).
    Metaboliser(Metaboliser),
    /// Allopurinol or febuxostat active or ordered (the drug, and the
    /// medication as named on a card).
    XoInhibitor { drug: Drug, named: crate::facts::Named },
    /// A TPMT/NUDT15 result on file that cannot be read (its test's name).
    Unreadable { label: String },
}

/// Why azathioprine must not be suggested now, if it must not: a poor or
/// intermediate TPMT/NUDT15 result, or allopurinol or febuxostat active or
/// ordered.
pub fn azathioprine_blocked(facts: &Facts) -> Option<Blocked> {
    if let Some(m) = metabolisers(facts)
        .into_iter()
        .filter(|m| m.phenotype != Phenotype::Normal)
        .max_by_key(|m| m.phenotype)
    {
        return Some(Blocked::Metaboliser(m));
    }
    for drug in [Drug::Febuxostat, Drug::Allopurinol] {
        if let Some(m) = xo_inhibitor(facts, drug) {
            return Some(Blocked::XoInhibitor {
                drug,
                named: m.named(),
            });
        }
    }
    // A TPMT/NUDT15 result on file that cannot be read (a numeric activity
    // without an interpretation): review it before azathioprine, never guess.
    if let Some(l) = unreadable(facts) {
        return Some(Blocked::Unreadable {
            label: l.label.clone(),
        });
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

pub fn evaluate(facts: &Facts, policy: &Policy) -> Outcome<super::drug_check::Found> {
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
        concerns.extend(
            aza_order_check::concerns(facts, policy, m)
                .into_iter()
                .map(|(indicator, found)| Concern::new(indicator, Kind::Aza(found))),
        );
        concerns.extend(drug_check::pretreatment(facts, policy, Drug::Azathioprine));
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
mod cases;
