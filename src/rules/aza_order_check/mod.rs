//! # Azathioprine order check (`aza-dose`, `aza-tpmt`)
//!
//! Guidance: "Azathioprine at 2 mg/kg ideal body weight".
//! Service policy: an azathioprine order → warning when the daily dose is
//! above 2 mg/kg dosing weight (ideal body weight, or actual if lower) rounded
//! to the nearest 25 mg; info when no TPMT/NUDT15 result is on file (CPIC,
//! Relling et al. 2019; 2024 update), with an order for the test. The card
//! shows the ideal body weight method used.
//!
//! Second edition ("Budget"): these concerns fold into the one card per
//! azathioprine order that the thiopurine rule builds ([`super::thiopurine`]);
//! its topic is the worst concern's (`aza-dose`, `aza-tpmt` or
//! `thiopurine-safety`). This rule asks for the figures it lacks.

pub mod words;

use std::convert::Infallible;
use std::sync::LazyLock;

use regex::Regex;

use crate::clinical::{Need, Outcome, Unchecked};
use crate::clinical::body::{dosing_weight_of, round_to};
use crate::clinical::{Action, Indicator, Policy, ServiceProposal, Suggestion, Topic};
use crate::facts::{DataArea, Facts, Med};
use crate::terminology::medication::Drug;
use crate::terminology::Concept;

pub const TOPIC_DOSE: Topic = Topic {
    code: "aza-dose",
    display: "Azathioprine dose above the mg/kg dosing-weight limit",
};
pub const TOPIC_TPMT: Topic = Topic {
    code: "aza-tpmt",
    display: "TPMT/NUDT15 before azathioprine",
};

/// The card topics this rule can produce.
pub const TOPICS: &[Topic] = &[TOPIC_DOSE, TOPIC_TPMT];

pub const SETTINGS: &[&str] = &["aza_mg_per_kg", "aza_round_mg", "aza_max_mg_per_day"];

static TPMT_TEXT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)\b(tpmt|nudt15|thiopurine)").expect("static regex"));

/// What this rule finds about an azathioprine order.
#[derive(Debug, Clone, PartialEq)]
pub enum Found {
    /// The daily dose is above mg/kg × dosing weight, rounded.
    AboveMgPerKg {
        /// Azathioprine ordered, mg/day.
        per_day: f64,
        /// Dosing weight, kg.
        dosing_kg: f64,
        /// The guidance's mg/kg.
        mg_per_kg: f64,
        /// The step the limit is rounded to, mg.
        round_mg: f64,
        /// mg/kg × dosing weight, rounded: mg/day.
        limit: f64,
    },
    /// No TPMT or NUDT15 result on file.
    TpmtNotOnFile {
        /// Intermediate metaboliser: start at `low_pct`–`high_pct` % of the dose.
        low_pct: f64,
        high_pct: f64,
        /// Both genes intermediate: `both_low_pct`–`both_high_pct` %.
        both_low_pct: f64,
        both_high_pct: f64,
    },
}

/// The concerns about one azathioprine order: the mg/kg dose (below the
/// absolute limit, where the thiopurine concern speaks) and a missing
/// TPMT/NUDT15 result.
pub fn concerns(facts: &Facts, policy: &Policy, m: &Med) -> Vec<(Indicator, Found)> {
    let mut out = Vec::new();
    let per_day = m.dose.as_ref().and_then(|d| d.per_day_mg());
    if let (Ok(dw), Some(per_day)) = (dosing_weight_of(facts), per_day) {
        let limit = round_to(policy.aza_mg_per_kg * dw.dosing, policy.aza_round_mg);
        // Above the absolute limit the thiopurine concern speaks for the dose.
        if per_day > limit + 1e-9 && per_day <= policy.aza_max_mg_per_day + 1e-9 {
            out.push((
                Indicator::Warning,
                Found::AboveMgPerKg {
                    per_day,
                    dosing_kg: dw.dosing,
                    mg_per_kg: policy.aza_mg_per_kg,
                    round_mg: policy.aza_round_mg,
                    limit,
                },
            ));
        }
    }
    if tpmt_missing(facts) {
        out.push((
            Indicator::Info,
            Found::TpmtNotOnFile {
                low_pct: policy.aza_intermediate_pct_low,
                high_pct: policy.aza_intermediate_pct_high,
                both_low_pct: policy.aza_both_intermediate_pct_low,
                both_high_pct: policy.aza_both_intermediate_pct_high,
            },
        ));
    }
    out
}

/// No TPMT/NUDT15 result on file (and the labs could be read).
fn tpmt_missing(facts: &Facts) -> bool {
    let on_file = facts
        .labs
        .iter()
        .any(|l| l.concepts.contains(&Concept::Tpmt) || TPMT_TEXT.is_match(&l.label));
    !on_file && !facts.missing.contains(&DataArea::Labs)
}

/// The order for the test, offered with [`Found::TpmtNotOnFile`].
pub fn tpmt_suggestion() -> Suggestion {
    Suggestion {
        recommended: true,
        actions: vec![Action::CreateService(ServiceProposal {
            test: crate::clinical::Test::TpmtNudt15,
            loinc: "93193-1",
            display: "TPMT gene and NUDT15 gene targeted mutation analysis",
        })],
    }
}

/// Builds this rule's text matchers (at start-up, not on a first request).
pub(super) fn warm() {
    LazyLock::force(&TPMT_TEXT);
}

/// The figures this check lacks; its concerns go into the thiopurine card,
/// so it makes no card of its own.
pub fn evaluate(facts: &Facts, _policy: &Policy) -> Outcome<Infallible> {
    let mut out = Outcome::default();
    let orders = facts.orders.iter().filter(|m| m.is(Drug::Azathioprine));
    if let Err(figure) = dosing_weight_of(facts) {
        out.needs.extend(orders.map(|_| Need {
            figure,
            why: Unchecked::AzaMgPerKg,
        }));
    }
    out
}

#[cfg(test)]
mod cases;
