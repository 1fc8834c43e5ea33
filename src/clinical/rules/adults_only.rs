//! # The guidance is for adults (`adults-only`)
//!
//! POLICY second edition ("Adults only"): "Under 18 years: one info card says
//! the guidance is for adults; no dose advice and no suggestions;
//! age-independent safety checks still run (weekly MTX, teratogens, thiopurine
//! results, xanthine-oxidase inhibitors, TMP-SMX, absolute limits). Unknown
//! age: treated as adult, with 'age not on file' in the detail."
//!
//! This file holds the card and the list of findings that stand for a child;
//! `clinical::evaluate` applies it to the other rules' findings.

/// What this rule found (free text until typed).
pub type Found = crate::clinical::Words;

use crate::clinical::{Finding, Indicator, OverrideReason, Policy, Selection, Topic};
use crate::clinical::{What, Words};
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
pub fn finding(age: u32, policy: &Policy) -> Finding {
    Finding {
        topic: TOPIC,
        indicator: Indicator::Info,
        what: What::AdultsOnly(Words {
            summary: format!(
                "Age {age}: this guidance is for adults; no dose advice given, safety checks still run"
            ),
            detail: format!(
                "**The guidance is for adults** (from {} years). Juvenile dermatomyositis and paediatric \
                 systemic sclerosis are dosed differently, so no dose checks or suggestions are made. \
                 Checks that do not depend on age still run: weekly methotrexate, teratogens in pregnancy, \
                 thiopurine results and xanthine-oxidase inhibitors, trimethoprim-sulfamethoxazole with \
                 methotrexate, and absolute dose limits.\n\nSources: guidance (adult overlap); Bellutti \
                 Enders et al. 2017 (juvenile dermatomyositis).",
                crate::clinical::text::num(policy.adult_age_years)
            ),
        }),
        notes: vec![],
        pull: None,
        suggestions: vec![],
        selection: Selection::AtMostOne,
        override_reasons: vec![OverrideReason::DiagnosisNotConfirmed],
    }
}
