//! # The guidance is for adults (`adults-only`)
//!
//! POLICY second edition ("Adults only"): "Under 18 years: one info card says
//! the guidance is for adults; no dose advice and no suggestions;
//! age-independent safety checks still run (weekly MTX, teratogens, thiopurine
//! results, xanthine-oxidase inhibitors, TMP-SMX, absolute limits). Unknown
//! age: treated as adult, with 'age not on file' in the detail."
//!
//! This file holds the card and the list of findings that stand for a child;
//! `rules::evaluate` applies it to the other rules' findings.

pub mod words;

/// A child: the patient's age and the adult age in force.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    pub age: u32,
    pub adult_age: f64,
}

use crate::clinical::{Finding, Indicator, OverrideReason, Policy, Selection, Topic};
use crate::facts::Facts;

pub const TOPIC: Topic = Topic {
    code: "adults-only",
    display: "The guidance is for adults",
};

pub const SETTINGS: &[&str] = &["adult_age_years"];

/// Findings that do not depend on age: they stand for a child too (without
/// suggestions).
pub const AGE_INDEPENDENT: &[&str] = &[
    "mtx-daily-frequency",
    "mtx-frequency-unknown",
    "mtx-dose-slip",
    "mtx-contraindicated-renal",
    "mtx-active-watch",
    "mtx-tmp-smx",
    "mtx-pregnancy-planning",
    "mtx-pretreatment",
    "pregnancy-contraindicated",
    "pregnancy-verify",
    "pregnancy-planning",
    "thiopurine-safety",
    "mmf-order",
    "rtx-order",
    "cyc-order",
    "ivig-absolute-limit",
    "gc-dose-ceiling",
    "order-unreadable",
];

/// The patient's age when it puts them under the adult age.
pub fn minor_age(facts: &Facts, policy: &Policy) -> Option<u32> {
    facts
        .age_years()
        .filter(|a| f64::from(*a) < policy.adult_age_years)
}

/// The one card for a child.
pub fn finding(age: u32, policy: &Policy) -> Finding<Found> {
    Finding {
        topic: TOPIC,
        indicator: Indicator::Info,
        what: Found {
            age,
            adult_age: policy.adult_age_years,
        },
        notes: vec![],
        pull: None,
        suggestions: vec![],
        selection: Selection::AtMostOne,
        override_reasons: vec![OverrideReason::DiagnosisNotConfirmed],
    }
}

impl crate::clinical::Reads for Found {
    const AREAS: &'static [crate::facts::DataArea] = &[];
}
