//! The renderer's words: one function turns a typed [`Finding`] into the
//! summary and detail a clinician reads. Rules decide; this module words.
//! Each rule's words sit in its folder (`src/rules/<rule>/words.rs`); this
//! module holds the shared pieces (numbers, inputs with their dates, the
//! notes every card may carry) and the one dispatch.

pub mod dose;
pub mod offer;
pub mod pretreatment;
pub mod renal;
pub mod unread;

use crate::clinical::body::WeightUsed;
use crate::clinical::{Finding, Note};
use crate::facts::Reading;
pub use crate::text::{amount, capitalise, date, fig, md, measured};

/// The source every card rests on unless its rule names another.
pub const SOURCE_LABEL: &str = "SSc-myositis overlap: initial treatment guidance";

/// The most characters a summary may have (CDS Hooks: under 140).
pub const SUMMARY_MAX: usize = 139;

/// A card detail's budget: what a typical EHR card panel shows without
/// scrolling. Lines are non-blank Markdown lines, notes included.
pub const DETAIL_MAX_LINES: usize = 12;

/// ... and at most this many characters (Markdown marks not counted): about
/// fourteen rendered lines of a 700-pixel card panel.
pub const DETAIL_MAX_CHARS: usize = 1400;

/// "70 kg (2026-11-01)", with the original unit when converted
/// ("69.9 kg = 154 [lb_av]" reads "69.9 kg (154 lb, 2026-11-01)"). Never the
/// resource id.
pub fn reading(r: &Reading, canonical_unit: &str) -> String {
    let original = if same_unit(&r.original_unit, canonical_unit) {
        String::new()
    } else {
        format!(
            "{} {}, ",
            measured(r.original_value),
            md(&crate::facts::units::plain(&r.original_unit))
        )
    };
    format!(
        "{} {canonical_unit} ({original}{})",
        value(r, canonical_unit),
        date(r.date)
    )
}

/// A reading's value in the canonical unit: as recorded when recorded in it
/// (at most one decimal; else to one decimal: 65.318 kg → 65.3 kg); a
/// converted one is a derived figure (154 lb → 69.9 kg). Calculations use
/// the recorded value.
pub fn value(r: &Reading, canonical_unit: &str) -> String {
    if same_unit(&r.original_unit, canonical_unit) {
        measured(r.value)
    } else {
        fig(r.value)
    }
}

/// Whether a unit as sent is the canonical one ("KG" is kg).
fn same_unit(sent: &str, canonical: &str) -> bool {
    use crate::facts::units::unit;
    sent == canonical || unit(sent).is_some_and(|u| unit(canonical) == Some(u))
}

/// The weight line of a card, with what is doubtful about the weight.
pub fn weight_line(w: &WeightUsed) -> String {
    let mut s = format!("- Weight used: {}", reading(&w.reading, "kg"));
    if let Some(days) = w.stale_days {
        s.push_str(&format!(
            "; **{days} days old** (limit {}): re-weigh before relying on mg/kg figures",
            amount(w.max_age_days)
        ));
    } else if w.reading.date.is_none() {
        s.push_str("; **no date**: confirm it is current");
    }
    for i in &w.future {
        s.push_str(&format!(
            "; a weight dated {} ({}) is in the future and was not used",
            i.date,
            md(&ignored_value(i))
        ));
    }
    if let Some((prev, diff)) = &w.disagrees {
        s.push_str(&format!(
            "; **differs by {} %** from the previous {}: confirm it",
            fig(diff.round()),
            reading(prev, "kg"),
        ));
    }
    s
}

/// A summary within [`SUMMARY_MAX`]. Summaries are written to fit; this only
/// guards against record text (a long order name) pushing one over, cutting
/// at a word.
pub fn summary(s: String) -> String {
    crate::text::summary(s)
}

/// A card's words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text {
    /// Under 140 characters.
    pub summary: String,
    /// Markdown: the calculation, its inputs with dates, the sources.
    pub detail: String,
}

/// What has words: each kind of finding (its rule's `words.rs`), and the
/// registry's `What`, which hands each to its own.
pub trait Words {
    fn words(&self) -> Text;
}

/// A rule's two kinds of card keep their own words.
impl<A: Words, B: Words> Words for crate::clinical::Either<A, B> {
    fn words(&self) -> Text {
        match self {
            crate::clinical::Either::Left(a) => a.words(),
            crate::clinical::Either::Right(b) => b.words(),
        }
    }
}

/// The words of one finding, its notes included.
pub fn text<W: Words>(f: &Finding<W>) -> Text {
    let mut t = f.what.words();
    for n in &f.notes {
        t.detail.push_str(&note(n));
    }
    t
}

/// A quantity as sent: "> 60 mL/min/1.73 m²".
pub fn sent(s: &crate::facts::Sent) -> String {
    format!(
        "{}{} {}",
        s.comparator
            .map_or(String::new(), |c| format!("{} ", c.sign())),
        amount(s.value),
        crate::facts::units::plain(&s.unit)
    )
}

/// A medication as a card names it: its name as sent, followed by its
/// standing in brackets ("predniSONE 5 MG Oral Tablet (reported)").
pub fn named(n: &crate::facts::Named) -> String {
    use crate::facts::Standing;
    match n.standing {
        Some(Standing::OnHold) => format!("{} (on hold)", n.name),
        Some(Standing::Reported) => format!("{} (reported)", n.name),
        None => n.name.clone(),
    }
}

/// A data area as a card names it ("body weight", "diagnoses (Condition)").
pub fn area(a: crate::facts::DataArea) -> &'static str {
    use crate::facts::DataArea;
    match a {
        DataArea::Patient => "sex and age (Patient)",
        DataArea::Conditions => "diagnoses (Condition)",
        DataArea::Medications => "active medications (MedicationRequest)",
        DataArea::Weight => "body weight",
        DataArea::Height => "body height",
        DataArea::BloodPressure => "blood pressure",
        DataArea::RenalFunction => "renal function (eGFR, creatinine)",
        DataArea::Labs => "laboratory results",
        DataArea::PregnancyStatus => "pregnancy status",
    }
}

/// A result dated in the future: its value as sent, else its label.
pub fn ignored_value(i: &crate::facts::Ignored) -> String {
    i.value.as_ref().map_or_else(|| i.label.clone(), sent)
}

/// A preliminary result: "weight 70 kg (2026-11-20)".
fn preliminary(p: &crate::facts::Preliminary) -> String {
    match &p.value {
        Some(v) => format!("{} {} ({})", p.name, sent(v), date(p.date)),
        None => format!("{} ({})", p.name, date(p.date)),
    }
}

/// A record set aside while the facts were built, in words (plain text: the
/// caller escapes it for Markdown).
pub fn set_aside(n: &crate::facts::SetAside) -> String {
    use crate::facts::SetAside;
    let body = |weight: bool| if weight { "Weight" } else { "Height" };
    match n {
        SetAside::ImpossibleResult { label, date: d } => {
            format!("{label} ({}) has an impossible value; not used", date(*d))
        }
        SetAside::BoundBody {
            weight,
            comparator,
            value,
            unit,
            date: d,
        } => format!(
            "{} {} {} {} ({}) is a bound, not a measurement; not used",
            body(*weight),
            comparator.sign(),
            amount(*value),
            crate::facts::units::plain(unit),
            date(*d)
        ),
        SetAside::ImpossibleBody { weight, date: d } => format!(
            "{} {} has an impossible value; not used",
            body(*weight),
            date(*d)
        ),
        SetAside::DoseNotComputed { order, dose } => format!(
            "{order}: {} {}/{} ordered: no usable {}, so the dose is not computed",
            amount(dose.amount),
            dose.mass,
            if dose.per_kg { "kg" } else { "m²" },
            if dose.per_kg {
                "weight"
            } else {
                "height and weight for the body surface area"
            }
        ),
    }
}

/// A diagnosis named in plain words, for a record that has no label.
fn concept_noun(c: crate::terminology::Concept) -> &'static str {
    use crate::terminology::Concept::*;
    match c {
        Ssc | SscDiffuse | SscIld => "systemic sclerosis",
        SscMyopathy => "myopathy due to systemic sclerosis",
        Overlap | OverlapMctd | Mctd => "overlap syndrome",
        Dermatomyositis => "dermatomyositis",
        Polymyositis => "polymyositis",
        Imnm => "immune-mediated necrotising myopathy",
        MyositisNos => "myositis",
        Pregnancy => "pregnancy",
        Breastfeeding => "breastfeeding",
        Ckd | CkdSevere => "chronic kidney disease",
        LiverDisease => "chronic liver disease",
        Cirrhosis => "cirrhosis",
        Diabetes => "diabetes",
        _ => "a diagnosis",
    }
}

fn note(n: &Note) -> String {
    match n {
        Note::LocalPolicy(changed) => format!(
            "\n\n**Local policy** (figures changed from the defaults): {}.",
            changed
                .iter()
                .map(|c| format!(
                    "{} = {} {} (default {})",
                    c.key,
                    amount(c.value),
                    c.unit,
                    amount(c.default)
                ))
                .collect::<Vec<_>>()
                .join("; ")
        ),
        Note::Advice(orders) => format!(
            "\n\n**Not yet an order**: {} is a proposal or plan; checked as if it were ordered.",
            orders
                .iter()
                .map(|(name, intent)| format!("{} (intent: {})", md(name), md(intent)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Note::Preliminary(list) => format!(
            "\n\n**Preliminary** (may still change): {}.",
            list.iter()
                .map(|p| md(&preliminary(p)))
                .collect::<Vec<_>>()
                .join("; ")
        ),
        Note::Unread(list) => format!("\n\n**Not read**\n{}", unread::lines(list).join("\n")),
        Note::Diagnoses(list) => format!(
            "\n\n**Diagnoses**: {}.",
            list.iter()
                .map(|d| {
                    let how = match (d.from_text, d.provisional) {
                        (true, true) => "read from the problem text, provisional",
                        (true, false) => "read from the problem text",
                        _ => "provisional",
                    };
                    let name = if d.label.is_empty() || d.label == "(no display)" {
                        d.concept.map_or("a diagnosis", concept_noun).to_string()
                    } else {
                        md(&d.label)
                    };
                    format!("{name} ({how})")
                })
                .collect::<Vec<_>>()
                .join("; ")
        ),
        Note::DataLimits {
            missing,
            notes,
            age_unknown,
        } => {
            let mut gaps: Vec<String> = missing
                .iter()
                .map(|a| format!("- Not checked: {} could not be obtained", area(*a)))
                .collect();
            gaps.extend(notes.iter().map(|n| format!("- {}", md(&set_aside(n)))));
            if *age_unknown {
                gaps.push("- Age not on file: read as an adult".into());
            }
            format!("\n\n**Data limits**\n{}", gaps.join("\n"))
        }
    }
}

impl<W: Words> Finding<W> {
    /// The rendered summary.
    pub fn summary(&self) -> String {
        text(self).summary
    }
    /// The rendered detail.
    pub fn detail(&self) -> String {
        text(self).detail
    }
}

/// For the words' tests: a text a clinician can read as it stands (a summary
/// that fits uncut, a detail with `spare` lines left for the notes, no
/// resource ids, internal names or UCUM annotations).
#[cfg(test)]
pub(crate) fn assert_plain(t: &Text, spare: usize) {
    assert!(t.summary.chars().count() <= SUMMARY_MAX, "{}", t.summary);
    assert!(!t.summary.contains('…'), "{}", t.summary);
    let lines = t.detail.lines().filter(|l| !l.trim().is_empty()).count();
    assert!(lines + spare <= DETAIL_MAX_LINES, "{lines}: {}", t.detail);
    for bad in [
        "Observation/",
        "MedicationRequest/",
        "REFERENCE",
        "POLICY",
        "{",
        "[lb",
    ] {
        assert!(
            !t.summary.contains(bad) && !t.detail.contains(bad),
            "{bad}: {t:?}"
        );
    }
}

/// The guideline a card rests on, for its `source.label` (POLICY third
/// edition, "Sources"): the overlap guidance unless the rule rests on
/// another (CPIC for thiopurines, ACR for reproductive health, the drug's
/// label for absolute limits).
pub fn source_label(topic: &str) -> &'static str {
    match topic {
        "thiopurine-safety" | "aza-tpmt" => {
            "CPIC thiopurine guideline, 2018 update (Relling et al. 2019)"
        }
        "pregnancy-contraindicated"
        | "pregnancy-verify"
        | "pregnancy-planning"
        | "mtx-pregnancy-planning" => "ACR reproductive health guideline (Sammaritano et al. 2020)",
        "mmf-order" => "Mycophenolate label (absolute limits)",
        "cyc-order" => "Cyclophosphamide label",
        "rtx-order" => "Rituximab label and the overlap guidance",
        "ivig-absolute-limit" => "IVIG label (absolute limits)",
        _ => SOURCE_LABEL,
    }
}

/// A public page of the source itself, where there is one: (label, URL).
pub fn public_source(topic: &str) -> Option<(&'static str, &'static str)> {
    match topic {
        "thiopurine-safety" | "aza-tpmt" => Some((
            "CPIC guideline for thiopurines and TPMT/NUDT15",
            "https://cpicpgx.org/guidelines/guideline-for-thiopurines-and-tpmt/",
        )),
        _ => None,
    }
}

#[cfg(test)]
mod source_tests {
    use super::*;

    /// (topic, the guideline its card names)
    #[test]
    fn each_card_names_the_guideline_it_rests_on() {
        for (topic, says) in [
            ("thiopurine-safety", "CPIC"),
            ("aza-tpmt", "CPIC"),
            ("pregnancy-contraindicated", "Sammaritano et al. 2020"),
            ("mtx-pregnancy-planning", "Sammaritano et al. 2020"),
            ("mmf-order", "label"),
            ("src-risk-high-dose-gc", "overlap"),
            ("mtx-daily-frequency", "overlap"),
        ] {
            assert!(
                source_label(topic).contains(says),
                "{topic}: {}",
                source_label(topic)
            );
        }
        assert!(public_source("thiopurine-safety").is_some_and(|(_, u)| u.starts_with("https://")));
        assert_eq!(public_source("mtx-daily-frequency"), None);
    }
}

#[cfg(test)]
mod set_aside_tests {
    use super::*;
    use crate::facts::dose::NotComputed;
    use crate::facts::{Comparator, SetAside};
    use chrono::NaiveDate;

    /// Each record set aside, in words, as the data limits name it.
    #[test]
    fn each_record_set_aside_in_words() {
        let day = NaiveDate::from_ymd_opt(2026, 11, 20);
        for (n, want) in [
            (
                SetAside::ImpossibleResult {
                    label: "Creatinine".into(),
                    date: day,
                },
                "Creatinine (2026-11-20) has an impossible value; not used",
            ),
            (
                SetAside::BoundBody {
                    weight: true,
                    comparator: Comparator::Above,
                    value: 150.0,
                    unit: "kg".into(),
                    date: day,
                },
                "Weight > 150 kg (2026-11-20) is a bound, not a measurement; not used",
            ),
            (
                SetAside::ImpossibleBody {
                    weight: false,
                    date: None,
                },
                "Height date unknown has an impossible value; not used",
            ),
            (
                SetAside::DoseNotComputed {
                    order: "rituximab".into(),
                    dose: NotComputed {
                        amount: 375.0,
                        mass: "mg",
                        per_kg: false,
                    },
                },
                "rituximab: 375 mg/m² ordered: no usable height and weight for the body surface area, so the dose is not computed",
            ),
        ] {
            assert_eq!(set_aside(&n), want);
        }
    }
}

#[cfg(test)]
mod sent_tests {
    use super::*;
    use crate::facts::{Comparator, Ignored, Preliminary, Sent};
    use chrono::NaiveDate;

    /// Results as sent: a bound with its unit, a preliminary one with its
    /// date, a future one with no value named by its label.
    #[test]
    fn results_as_sent_in_words() {
        let egfr = Sent {
            comparator: Some(Comparator::Above),
            value: 60.0,
            unit: "mL/min/{1.73_m2}".into(),
        };
        assert_eq!(sent(&egfr), "> 60 mL/min/1.73 m²");
        let p = Preliminary {
            area: None,
            name: "eGFR".into(),
            value: Some(egfr),
            date: NaiveDate::from_ymd_opt(2026, 11, 23),
        };
        assert_eq!(preliminary(&p), "eGFR > 60 mL/min/1.73 m² (2026-11-23)");
        let p = Preliminary { value: None, ..p };
        assert_eq!(preliminary(&p), "eGFR (2026-11-23)");
        let i = Ignored {
            what: "weight",
            label: "Body weight".into(),
            value: None,
            date: NaiveDate::from_ymd_opt(2026, 12, 30).unwrap(),
        };
        assert_eq!(ignored_value(&i), "Body weight");
    }
}

#[cfg(test)]
mod named_tests {
    use super::named;
    use crate::facts::{Named, Standing};

    #[test]
    fn each_standing_named() {
        let n = |standing| Named {
            name: "predniSONE 5 MG Oral Tablet".into(),
            standing,
        };
        for (standing, want) in [
            (None, "predniSONE 5 MG Oral Tablet"),
            (
                Some(Standing::Reported),
                "predniSONE 5 MG Oral Tablet (reported)",
            ),
            (
                Some(Standing::OnHold),
                "predniSONE 5 MG Oral Tablet (on hold)",
            ),
        ] {
            assert_eq!(named(&n(standing)), want);
        }
    }
}
