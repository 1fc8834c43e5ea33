//! Reproductive state: one reading of pregnancy, possible pregnancy, pregnancy
//! planning and breastfeeding, used by every rule that must not suggest or let
//! pass a teratogen (methotrexate, mycophenolate, cyclophosphamide).
//!
//! Sources: ACR 2020 guideline for reproductive health in rheumatic and
//! musculoskeletal diseases (Sammaritano et al. 2020); BSR guideline on
//! prescribing in pregnancy and breastfeeding (Russell et al. 2023).
//! Service policy (second edition):
//! - **Pregnant**: a "pregnant" status (LOINC 82810-3 = SNOMED 77386006), a
//!   positive hCG (qualitative, or ≥ `hcg_positive_iu_per_l`), or an active
//!   pregnancy condition, each counting for `pregnancy_condition_days` /
//!   `hcg_positive_days` unless a *later* negative hCG, "not pregnant" status
//!   (60001007) or delivery/loss record follows. `Patient.gender` is not
//!   consulted: a record of pregnancy is believed whatever it says.
//! - **Possibly pregnant**: an active pregnancy condition older than that, or
//!   undated while an end record exists: verify and update the problem list.
//! - **Breastfeeding**: a breastfeeding record within `breastfeeding_months`.
//! - **Planning**: an active pregnancy-planning condition, with the patient's
//!   sex (a man planning conception is not a woman planning pregnancy).

use crate::clinical::LabResult;
use chrono::NaiveDate;

use super::Policy;
use crate::facts::{Facts, Lab, Sex};
use crate::terminology::{Concept, SNOMED};

/// The reproductive state that matters for teratogens, most severe first.
#[derive(Debug, Clone, PartialEq)]
pub enum Reproductive {
    /// Evidence of a current pregnancy.
    Pregnant(Evidence),
    /// Evidence of breastfeeding within the window.
    Breastfeeding(Evidence),
    /// A pregnancy on record that can be neither confirmed nor ruled out.
    PossiblyPregnant(Evidence),
    /// Planning pregnancy (or conception); the sex as recorded.
    Planning {
        sex: Option<Sex>,
        evidence: Evidence,
    },
    None,
}

/// The record a reproductive state rests on (worded by
/// `words::pregnancy`, which also gives it `Display`).
#[derive(Debug, Clone, PartialEq)]
pub struct Evidence {
    pub record: Record,
    /// The result's date, or the condition's onset.
    pub date: Option<NaiveDate>,
    /// Why the record cannot settle the state, for a possible pregnancy.
    pub doubt: Option<Doubt>,
}

/// Which kind of record.
#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    /// A pregnancy status observation "pregnant".
    StatusPregnant,
    /// A pregnancy status observation "not pregnant".
    StatusNotPregnant,
    /// A positive hCG (qualitative, or at or above the policy's IU/L).
    PositiveHcg,
    /// A negative hCG.
    NegativeHcg,
    /// A breastfeeding observation.
    BreastfeedingObserved,
    /// A condition on the problem list: its label as recorded (record text).
    Condition(String),
}

/// Why a pregnancy condition does not establish a current pregnancy.
#[derive(Debug, Clone, PartialEq)]
pub enum Doubt {
    /// Active, but its onset is older than this many days.
    OlderThan(f64),
    /// Undated, and this later record ends a pregnancy.
    Undated { later: Box<Evidence> },
}

impl Evidence {
    fn new(record: Record, date: Option<NaiveDate>) -> Self {
        Evidence {
            record,
            date,
            doubt: None,
        }
    }
}

impl Reproductive {
    /// MTX, MMF and cyclophosphamide must not be suggested.
    pub fn excludes_teratogens(&self) -> bool {
        match self {
            Reproductive::Pregnant(_)
            | Reproductive::Breastfeeding(_)
            | Reproductive::PossiblyPregnant(_) => true,
            Reproductive::Planning { sex, .. } => *sex != Some(Sex::Male),
            Reproductive::None => false,
        }
    }
    pub fn evidence(&self) -> Option<&Evidence> {
        match self {
            Reproductive::Pregnant(e)
            | Reproductive::Breastfeeding(e)
            | Reproductive::PossiblyPregnant(e)
            | Reproductive::Planning { evidence: e, .. } => Some(e),
            Reproductive::None => None,
        }
    }
}

/// hCG in IU/L (= mIU/mL) from a UCUM or common unit; `None` when unknown.
pub fn hcg_iu_per_l(value: f64, unit: &str) -> Option<f64> {
    let u = unit.trim().to_ascii_lowercase().replace(['[', ']'], "");
    let factor = match u.as_str() {
        "miu/ml" | "iu/l" | "u/l" | "mu/ml" => 1.0,
        "iu/ml" | "u/ml" => 1000.0,
        "miu/l" | "mu/l" => 0.001,
        _ => return None,
    };
    (value.is_finite() && value >= 0.0).then_some(value * factor)
}

/// What one hCG result says: `Some(true)` positive, `Some(false)` negative.
fn hcg_reading(l: &Lab, policy: &Policy) -> Option<bool> {
    if let Some(iu) = l.quantity.as_ref().and_then(|(v, u)| hcg_iu_per_l(*v, u)) {
        return Some(iu >= policy.hcg_positive_iu_per_l);
    }
    if l.is_positive() {
        return Some(true);
    }
    let t = l.result_text.as_deref().unwrap_or("");
    [
        "negative",
        "not detected",
        "absent",
        "non-reactive",
        "nonreactive",
    ]
    .iter()
    .any(|n| t.contains(n))
    .then_some(false)
}

fn days_since(facts: &Facts, d: NaiveDate) -> f64 {
    (facts.today - d).num_days() as f64
}

/// The latest record that ends a pregnancy: negative hCG, "not pregnant"
/// status, delivery or loss.
fn latest_end(facts: &Facts, policy: &Policy) -> Option<(NaiveDate, Evidence)> {
    let mut ends: Vec<(NaiveDate, Evidence)> = Vec::new();
    for l in &facts.labs {
        let Some(date) = l.date else { continue };
        if l.concepts.contains(&Concept::Hcg) && hcg_reading(l, policy) == Some(false) {
            ends.push((date, Evidence::new(Record::NegativeHcg, Some(date))));
        }
        if l.concepts.contains(&Concept::PregnancyStatus)
            && l.codes.iter().any(|(s, c)| s == SNOMED && c == "60001007")
        {
            ends.push((date, Evidence::new(Record::StatusNotPregnant, Some(date))));
        }
    }
    for d in &facts.diagnoses {
        if let (true, Some(date)) = (d.concepts.contains(&Concept::PregnancyOutcome), d.onset) {
            ends.push((
                date,
                Evidence::new(Record::Condition(d.label.clone()), Some(date)),
            ));
        }
    }
    ends.into_iter().max_by_key(|(d, _)| *d)
}

fn pregnancy(facts: &Facts, policy: &Policy) -> Reproductive {
    let end = latest_end(facts, policy);
    let ended = |d: NaiveDate| end.as_ref().is_some_and(|(e, _)| *e > d);
    // Status and hCG: dated evidence only.
    for l in &facts.labs {
        let Some(date) = l.date else { continue };
        let (window, what) = if l.concepts.contains(&Concept::PregnancyStatus)
            && l.codes.iter().any(|(s, c)| s == SNOMED && c == "77386006")
        {
            (policy.hcg_positive_days, Record::StatusPregnant)
        } else if l.concepts.contains(&Concept::Hcg) && hcg_reading(l, policy) == Some(true) {
            (policy.hcg_positive_days, Record::PositiveHcg)
        } else {
            continue;
        };
        if days_since(facts, date) <= window && !ended(date) {
            return Reproductive::Pregnant(Evidence::new(what, Some(date)));
        }
    }
    // Conditions: active, not themselves an outcome.
    let mut possibly = None;
    for d in facts.diagnoses.iter().filter(|d| {
        d.active
            && d.concepts.contains(&Concept::Pregnancy)
            && !d.concepts.contains(&Concept::PregnancyOutcome)
    }) {
        let what = Evidence::new(Record::Condition(d.label.clone()), d.onset);
        match d.onset {
            Some(onset) if ended(onset) => continue,
            Some(onset) if days_since(facts, onset) <= policy.pregnancy_condition_days => {
                return Reproductive::Pregnant(what)
            }
            Some(_) => {
                possibly.get_or_insert(Evidence {
                    doubt: Some(Doubt::OlderThan(policy.pregnancy_condition_days)),
                    ..what
                });
            }
            None if end.is_some() => {
                let later = end.as_ref().map(|(_, e)| Box::new(e.clone()));
                possibly.get_or_insert(Evidence {
                    doubt: later.map(|later| Doubt::Undated { later }),
                    ..what
                });
            }
            None => return Reproductive::Pregnant(what),
        }
    }
    possibly.map_or(Reproductive::None, Reproductive::PossiblyPregnant)
}

/// What a breastfeeding observation answers: `Some(true)` breastfeeding,
/// `Some(false)` not, `None` cannot tell. LOINC 63895-7 ("Breastfeeding
/// status") is the question: only a breastfeeding answer counts (true, yes,
/// a coding or text naming breastfeeding or lactation); any other code of
/// the concept is itself the finding, unless its value negates it.
pub fn breastfeeding_answer(l: &Lab) -> Option<bool> {
    let text = l.result_text.as_deref().unwrap_or("").trim();
    let words: Vec<&str> = text
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let negated = words.iter().any(|w| {
        matches!(
            *w,
            "not" | "no" | "never" | "stopped" | "weaned" | "formula" | "false" | "ceased"
        )
    }) || l.codes.iter().any(|(_, c)| c == "LA29253-4");
    if negated {
        return Some(false);
    }
    let says = words.iter().any(|w| {
        matches!(*w, "yes" | "true" | "lactating" | "lactation" | "nursing")
            || w.starts_with("breastfe")
            || w.starts_with("breastfed")
    }) || text.contains("breast-feed")
        || text.contains("breast feed");
    if says {
        return Some(true);
    }
    if l.has_code("63895-7") {
        None
    } else {
        Some(true)
    }
}

fn breastfeeding(facts: &Facts, policy: &Policy) -> Option<Evidence> {
    let window = policy.breastfeeding_months * 30.44;

    // The newest breastfeeding observation decides over older records.
    if let Some(l) = facts.labs.iter().find(|l| {
        l.concepts.contains(&Concept::Breastfeeding)
            && l.date.is_some()
            && breastfeeding_answer(l).is_some()
    }) {
        let date = l.date?;
        if breastfeeding_answer(l) == Some(false) {
            return None;
        }
        if days_since(facts, date) <= window {
            return Some(Evidence::new(Record::BreastfeedingObserved, Some(date)));
        }
    }
    facts
        .diagnoses
        .iter()
        .find(|d| {
            d.active
                && d.concepts.contains(&Concept::Breastfeeding)
                && d.onset.is_none_or(|o| days_since(facts, o) <= window)
        })
        .map(|d| Evidence::new(Record::Condition(d.label.clone()), d.onset))
}

/// The patient's reproductive state (most severe reading wins).
pub fn state(facts: &Facts, policy: &Policy) -> Reproductive {
    let p = pregnancy(facts, policy);
    if matches!(p, Reproductive::Pregnant(_)) {
        return p;
    }
    if let Some(e) = breastfeeding(facts, policy) {
        return Reproductive::Breastfeeding(e);
    }
    if !matches!(p, Reproductive::None) {
        return p;
    }
    if let Some(d) = facts
        .diagnoses
        .iter()
        .find(|d| d.active && d.concepts.contains(&Concept::PregnancyPlanning))
    {
        return Reproductive::Planning {
            sex: facts.sex,
            evidence: Evidence::new(Record::Condition(d.label.clone()), d.onset),
        };
    }
    Reproductive::None
}

#[cfg(test)]
mod breastfeeding_tests {
    use super::*;

    fn status(code: &str, text: Option<&str>) -> Lab {
        Lab {
            concepts: vec![Concept::Breastfeeding],
            label: "Breastfeeding status".into(),
            quantity: None,
            comparator: None,
            result_text: text.map(str::to_string),
            interpretation: None,
            codes: vec![],
            code: vec![("http://loinc.org".into(), code.into())],
            upper_limit: None,
            date: None,
            source: "Observation/b".into(),
        }
    }

    /// (observation code, answer as read, breastfeeding?)
    #[test]
    fn a_breastfeeding_answer_table() {
        for (code, text, want) in [
            ("63895-7", Some("true"), Some(true)),
            ("63895-7", Some("false"), Some(false)),
            ("63895-7", Some("yes"), Some(true)),
            ("63895-7", Some("no"), Some(false)),
            ("63895-7", Some("currently breastfeeding"), Some(true)),
            (
                "63895-7",
                Some("mother currently breast-feeding"),
                Some(true),
            ),
            ("63895-7", Some("not breastfeeding"), Some(false)),
            ("63895-7", Some("stopped breastfeeding"), Some(false)),
            ("63895-7", Some("exclusively formula fed"), Some(false)),
            ("63895-7", Some("lactating"), Some(true)),
            ("63895-7", Some("unknown"), None),
            ("63895-7", None, None),
            // The finding itself as the observation's code.
            ("169750002", None, Some(true)),
            ("169750002", Some("no"), Some(false)),
        ] {
            assert_eq!(
                breastfeeding_answer(&status(code, text)),
                want,
                "{code} {text:?}"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::test_support::*;
    use proptest::prelude::*;

    fn hcg(value: Option<(f64, &str)>, text: Option<&str>, age: i64) -> Lab {
        let mut l = lab(Concept::Hcg, 0.0, "");
        l.quantity = value.map(|(v, u)| (v, u.to_string()));
        l.result_text = text.map(str::to_string);
        l.date = Some(days_ago(age));
        l
    }
    fn status(code: &str, age: i64) -> Lab {
        let mut l = lab(Concept::PregnancyStatus, 0.0, "");
        l.quantity = None;
        l.codes = vec![(SNOMED.into(), code.into())];
        l.date = Some(days_ago(age));
        l
    }
    fn condition(c: Concept, onset: Option<i64>, active: bool) -> crate::facts::Diagnosis {
        let mut d = dx(c, 9);
        d.onset = onset.map(days_ago);
        d.active = active;
        d
    }
    fn outcome(age: i64) -> crate::facts::Diagnosis {
        let mut d = dx(Concept::PregnancyOutcome, 8);
        d.concepts.push(Concept::Pregnancy);
        d.onset = Some(days_ago(age));
        d
    }

    #[derive(Debug, PartialEq)]
    enum S {
        Pregnant,
        Breastfeeding,
        Possibly,
        PlanningF,
        PlanningM,
        PlanningU,
        None,
    }
    fn kind(r: &Reproductive) -> S {
        match r {
            Reproductive::Pregnant(_) => S::Pregnant,
            Reproductive::Breastfeeding(_) => S::Breastfeeding,
            Reproductive::PossiblyPregnant(_) => S::Possibly,
            Reproductive::Planning {
                sex: Some(Sex::Female),
                ..
            } => S::PlanningF,
            Reproductive::Planning {
                sex: Some(Sex::Male),
                ..
            } => S::PlanningM,
            Reproductive::Planning { sex: None, .. } => S::PlanningU,
            Reproductive::None => S::None,
        }
    }

    #[test]
    fn state_table() {
        let p = Policy::default();
        let f = |labs: Vec<Lab>, dxs: Vec<crate::facts::Diagnosis>, sex: Option<Sex>| {
            let mut f = patient(&[Concept::Dermatomyositis]);
            f.labs = labs;
            f.labs.sort_by_key(|l| std::cmp::Reverse(l.date));
            f.diagnoses.extend(dxs);
            f.sex = sex;
            f
        };
        let male = Some(Sex::Male);
        let cases: Vec<(&str, Facts, S)> = vec![
            ("nothing", f(vec![], vec![], None), S::None),
            // hCG: qualitative, or >= 25 IU/L; counts 300 days.
            (
                "hCG positive text",
                f(vec![hcg(None, Some("positive"), 10)], vec![], None),
                S::Pregnant,
            ),
            (
                "hCG 25 IU/L",
                f(vec![hcg(Some((25.0, "m[IU]/mL")), None, 10)], vec![], None),
                S::Pregnant,
            ),
            (
                "hCG 24 IU/L",
                f(vec![hcg(Some((24.0, "m[IU]/mL")), None, 10)], vec![], None),
                S::None,
            ),
            (
                "hCG 0.03 IU/mL",
                f(vec![hcg(Some((0.03, "[IU]/mL")), None, 10)], vec![], None),
                S::Pregnant,
            ),
            (
                "hCG 300 days",
                f(vec![hcg(None, Some("positive"), 300)], vec![], None),
                S::Pregnant,
            ),
            (
                "hCG 301 days",
                f(vec![hcg(None, Some("positive"), 301)], vec![], None),
                S::None,
            ),
            // Whatever Patient.gender says.
            (
                "hCG in a male record",
                f(vec![hcg(None, Some("positive"), 10)], vec![], male),
                S::Pregnant,
            ),
            // A later negative hCG or not-pregnant status ends it; an earlier one does not.
            (
                "later negative hCG",
                f(
                    vec![
                        hcg(None, Some("positive"), 20),
                        hcg(None, Some("negative"), 5),
                    ],
                    vec![],
                    None,
                ),
                S::None,
            ),
            (
                "later hCG 3 IU/L",
                f(
                    vec![
                        hcg(None, Some("positive"), 20),
                        hcg(Some((3.0, "m[IU]/mL")), None, 5),
                    ],
                    vec![],
                    None,
                ),
                S::None,
            ),
            (
                "earlier negative hCG",
                f(
                    vec![
                        hcg(None, Some("negative"), 20),
                        hcg(None, Some("positive"), 5),
                    ],
                    vec![],
                    None,
                ),
                S::Pregnant,
            ),
            (
                "status pregnant",
                f(vec![status("77386006", 30)], vec![], None),
                S::Pregnant,
            ),
            (
                "later status not pregnant",
                f(
                    vec![status("77386006", 30), status("60001007", 2)],
                    vec![],
                    None,
                ),
                S::None,
            ),
            // Conditions: 300 days from onset; older = possibly pregnant; undated counts.
            (
                "condition 300 days",
                f(
                    vec![],
                    vec![condition(Concept::Pregnancy, Some(300), true)],
                    None,
                ),
                S::Pregnant,
            ),
            (
                "condition 301 days",
                f(
                    vec![],
                    vec![condition(Concept::Pregnancy, Some(301), true)],
                    None,
                ),
                S::Possibly,
            ),
            (
                "condition undated",
                f(
                    vec![],
                    vec![condition(Concept::Pregnancy, None, true)],
                    None,
                ),
                S::Pregnant,
            ),
            (
                "condition resolved",
                f(
                    vec![],
                    vec![condition(Concept::Pregnancy, Some(100), false)],
                    None,
                ),
                S::None,
            ),
            // Delivery or loss after it ends it.
            (
                "delivered",
                f(
                    vec![],
                    vec![condition(Concept::Pregnancy, Some(280), true), outcome(10)],
                    None,
                ),
                S::None,
            ),
            (
                "old condition, delivered",
                f(
                    vec![],
                    vec![condition(Concept::Pregnancy, Some(400), true), outcome(120)],
                    None,
                ),
                S::None,
            ),
            (
                "undated condition, delivery on file",
                f(
                    vec![],
                    vec![condition(Concept::Pregnancy, None, true), outcome(10)],
                    None,
                ),
                S::Possibly,
            ),
            (
                "loss, then positive hCG",
                f(
                    vec![hcg(None, Some("positive"), 5)],
                    vec![outcome(60)],
                    None,
                ),
                S::Pregnant,
            ),
            (
                "outcome code alone",
                f(vec![], vec![outcome(10)], None),
                S::None,
            ),
            // Breastfeeding within 12 months.
            (
                "breastfeeding",
                f(
                    vec![],
                    vec![condition(Concept::Breastfeeding, Some(100), true)],
                    None,
                ),
                S::Breastfeeding,
            ),
            (
                "breastfeeding 13 months",
                f(
                    vec![],
                    vec![condition(Concept::Breastfeeding, Some(400), true)],
                    None,
                ),
                S::None,
            ),
            (
                "breastfeeding after delivery",
                f(
                    vec![],
                    vec![
                        condition(Concept::Pregnancy, Some(280), true),
                        outcome(30),
                        condition(Concept::Breastfeeding, Some(30), true),
                    ],
                    None,
                ),
                S::Breastfeeding,
            ),
            // Planning, by sex.
            (
                "planning female",
                f(
                    vec![],
                    vec![condition(Concept::PregnancyPlanning, None, true)],
                    Some(Sex::Female),
                ),
                S::PlanningF,
            ),
            (
                "planning male",
                f(
                    vec![],
                    vec![condition(Concept::PregnancyPlanning, None, true)],
                    male,
                ),
                S::PlanningM,
            ),
            (
                "planning sex unknown",
                f(
                    vec![],
                    vec![condition(Concept::PregnancyPlanning, None, true)],
                    None,
                ),
                S::PlanningU,
            ),
            (
                "pregnant and planning",
                f(
                    vec![hcg(None, Some("positive"), 3)],
                    vec![condition(Concept::PregnancyPlanning, None, true)],
                    None,
                ),
                S::Pregnant,
            ),
        ];
        for (name, facts, want) in cases {
            assert_eq!(kind(&state(&facts, &p)), want, "{name}");
        }
    }

    #[test]
    fn teratogens_are_excluded_except_for_a_man_planning_conception() {
        let e = || Evidence::new(Record::PositiveHcg, None);
        for (r, excluded) in [
            (Reproductive::Pregnant(e()), true),
            (Reproductive::Breastfeeding(e()), true),
            (Reproductive::PossiblyPregnant(e()), true),
            (
                Reproductive::Planning {
                    sex: Some(Sex::Female),
                    evidence: e(),
                },
                true,
            ),
            (
                Reproductive::Planning {
                    sex: None,
                    evidence: e(),
                },
                true,
            ),
            (
                Reproductive::Planning {
                    sex: Some(Sex::Male),
                    evidence: e(),
                },
                false,
            ),
            (Reproductive::None, false),
        ] {
            assert_eq!(r.excludes_teratogens(), excluded, "{r:?}");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, rng_seed: proptest::test_runner::RngSeed::Fixed(10), ..ProptestConfig::default() })]

        /// The same concentration in any of its units gives the same IU/L.
        #[test]
        fn hcg_units_agree(iu in 0.0f64..1.0e6) {
            let a = hcg_iu_per_l(iu, "m[IU]/mL").unwrap();
            let b = hcg_iu_per_l(iu / 1000.0, "[IU]/mL").unwrap();
            let c = hcg_iu_per_l(iu * 1000.0, "m[IU]/L").unwrap();
            prop_assert!((a - iu).abs() <= 1e-9 * iu.max(1.0));
            prop_assert!((b - iu).abs() <= 1e-6 * iu.max(1.0));
            prop_assert!((c - iu).abs() <= 1e-6 * iu.max(1.0));
        }

        /// A unit it does not know is never guessed; negative figures are refused.
        #[test]
        fn unknown_units_and_negatives_are_refused(v in -1.0e6f64..1.0e6, unit in "[a-z/]{1,8}") {
            prop_assume!(!["iu/l", "u/l", "iu/ml", "u/ml", "miu/l", "mu/l", "miu/ml", "mu/ml"].contains(&unit.as_str()));
            prop_assert_eq!(hcg_iu_per_l(v, &unit), None);
            prop_assert_eq!(hcg_iu_per_l(-v.abs() - 1.0, "m[IU]/mL"), None);
        }

        /// Threshold: positive exactly from the policy figure up, whatever the age within the window.
        #[test]
        fn hcg_threshold(iu in 0.0f64..200.0, age in 0i64..=300) {
            let p = Policy::default();
            let mut f = patient(&[Concept::Dermatomyositis]);
            f.labs.push(hcg(Some((iu, "m[IU]/mL")), None, age));
            let pregnant = matches!(state(&f, &p), Reproductive::Pregnant(_));
            prop_assert_eq!(pregnant, iu >= p.hcg_positive_iu_per_l);
        }
    }
}
