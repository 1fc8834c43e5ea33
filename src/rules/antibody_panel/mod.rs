//! # Myositis-associated antibody panel (`antibody-panel`)
//!
//! Guidance: "In patients with overlap features, measure myositis-associated
//! antibodies such as anti-PmScl, anti-U1-RNP, anti-La, anti-Ro, and anti-Sm to
//! clarify the diagnosis."
//!
//! POLICY.md: SSc and myositis, with no result on file for any of anti-PM/Scl,
//! U1-RNP, Ro, La or Sm, on an initial glucocorticoid order or on patient-view →
//! info with an order for each test (LOINC, REFERENCE.md 5.5), one suggestion
//! each: no verified LOINC code names the whole panel, and each coded test
//! can be signed and resulted on its own. Results are
//! recognised by LOINC code or, for local codes, by name. When the laboratory
//! results could not be obtained the rule stays silent rather than suggest a
//! panel that may already be on file.

pub mod words;

/// What this rule found: SSc-myositis overlap with none of the
/// myositis-associated antibodies on file (by LOINC code or name). The tests
/// are [`TESTS`]; nothing else varies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Found;

use crate::clinical::PatientScope;
use std::sync::LazyLock;

use regex::Regex;

use crate::clinical::Outcome;
use crate::clinical::steroids::Exposure;
use crate::clinical::{
    Action, Finding, Indicator, OverrideReason, Policy, Selection, ServiceProposal, Suggestion,
    Topic,
};
use crate::facts::{DataArea, Facts, Setting};
use crate::terminology::Concept;

pub const TOPIC: Topic = Topic {
    code: "antibody-panel",
    display: "Myositis-associated antibody panel",
};

/// The card topics this rule can produce.
pub const TOPICS: &[Topic] = &[TOPIC];

pub const SETTINGS: &[&str] = &[];

const CONCEPTS: [Concept; 6] = [
    Concept::AntiPmScl,
    Concept::AntiU1Rnp,
    Concept::AntiRoSsa,
    Concept::AntiRo52,
    Concept::AntiLaSsb,
    Concept::AntiSm,
];

/// Names of the antibodies as labs write them (valuesets.json autoantibody_display).
static NAMES: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)pm-?scl|u1-?rnp|\brnp\b|ribonucleoprotein|ss-?a\b|\bro(52|60)?\b|sjogren|ss-?b\b|\bla\b|smith|\bsm\b")
        .expect("static regex")
});

/// The tests ordered: (name, LOINC, display), V2+ codes where there are any.
pub const TESTS: [(&str, &str, &str); 5] = [
    (
        "anti-PM/Scl",
        "105554-0",
        "PM-SCL-100 Ab [Units/volume] in Serum",
    ),
    (
        "anti-U1-RNP",
        "29374-6",
        "Ribonucleoprotein extractable nuclear Ab [Units/volume] in Serum",
    ),
    (
        "anti-Ro (SS-A)",
        "17792-3",
        "Sjogrens syndrome-A extractable nuclear Ab [Units/volume] in Serum",
    ),
    (
        "anti-La (SS-B)",
        "17791-5",
        "Sjogrens syndrome-B extractable nuclear Ab [Units/volume] in Serum",
    ),
    (
        "anti-Sm",
        "11090-8",
        "Smith extractable nuclear Ab [Units/volume] in Serum",
    ),
];

/// Builds this rule's text matchers (at start-up, not on a first request).
pub(super) fn warm() {
    LazyLock::force(&NAMES);
}

pub fn evaluate(facts: &Facts, policy: &Policy) -> Outcome<Found> {
    let mut out = Outcome::default();
    if !(facts.has_ssc() && facts.has_myositis()) || facts.missing.contains(&DataArea::Labs) {
        return out;
    }
    let initial_order = {
        let exp = Exposure::of(facts, policy);
        !exp.orders.is_empty() && exp.active.is_empty()
    };
    if facts.setting == Setting::OrderEntry && !initial_order {
        return out;
    }
    if facts
        .labs
        .iter()
        .any(|l| l.concepts.iter().any(|c| CONCEPTS.contains(c)) || NAMES.is_match(&l.label))
    {
        return out;
    }
    out.findings.push(Finding {
        topic: TOPIC,
        indicator: Indicator::Info,
        what: Found,
        notes: vec![],
        pull: None,
        // One order per suggestion (independent additions).
        suggestions: TESTS
            .iter()
            .map(|(name, code, display)| Suggestion {
                recommended: true,
                actions: vec![Action::CreateService(ServiceProposal {
                    test: crate::clinical::Test::Antibody(name),
                    loinc: code,
                    display,
                })],
            })
            .collect(),
        selection: Selection::Any,
        override_reasons: vec![
            OverrideReason::RecordedElsewhere,
            OverrideReason::PatientDeclined,
        ],
    });
    out
}

impl crate::clinical::Reads for Found {
    const AREAS: &'static [crate::facts::DataArea] = &[];
}

#[cfg(test)]
mod cases;
