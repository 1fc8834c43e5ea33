//! # Pregnancy, breastfeeding and planning (`pregnancy-contraindicated`, `pregnancy-verify`, `pregnancy-planning`)
//!
//! ACR 2020 reproductive health guideline (Sammaritano et al. 2020) and BSR
//! 2023 (Russell et al. 2023): methotrexate, mycophenolate and
//! cyclophosphamide are contraindicated in pregnancy and breastfeeding;
//! azathioprine, IVIG and prednisone remain options. Methotrexate is stopped
//! 1-3 months and mycophenolate 6 weeks before conception; cyclophosphamide
//! is stopped at least 12 weeks before conception, also by men (ACR 2020),
//! whereas paternal methotrexate is not contraindicated.
//!
//! Service policy (second edition), on orders of MTX, MMF or cyclophosphamide,
//! from the reproductive state (`clinical::reproductive`):
//! - pregnant or breastfeeding: **critical**;
//! - possibly pregnant (an old or undated pregnancy condition): **warning**,
//!   verify and update the problem list;
//! - planning, female or sex unknown: **warning** (methotrexate's is the
//!   methotrexate order check's card); male planning conception:
//!   cyclophosphamide **warning** only.

pub mod words;

use crate::clinical::Outcome;
use crate::clinical::reproductive::{self, Evidence, Reproductive};
use crate::clinical::{Finding, Indicator, OverrideReason, Policy, Selection, Topic};
use crate::facts::{Facts, Sex};
use crate::terminology::medication::Drug;

/// What this rule found: an order of a teratogen in a reproductive state
/// that forbids it or asks to stop it in time.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    /// The drug ordered (methotrexate, mycophenolate or cyclophosphamide).
    pub drug: Drug,
    /// The order's name as ordered (record text).
    pub order: String,
    /// The state and its evidence.
    pub state: State,
}

/// The reproductive state the finding is about.
#[derive(Debug, Clone, PartialEq)]
pub enum State {
    /// Pregnant: contraindicated.
    Pregnant(Evidence),
    /// Breastfeeding within `months`: contraindicated.
    Breastfeeding { evidence: Evidence, months: f64 },
    /// A pregnancy on record that can be neither confirmed nor ruled out.
    PossiblyPregnant(Evidence),
    /// Planning pregnancy (or, for a man, conception): stop the drug at least
    /// `stop_weeks` before.
    Planning {
        male: bool,
        evidence: Evidence,
        stop_weeks: f64,
    },
}

pub const TOPIC: Topic = Topic {
    code: "pregnancy-contraindicated",
    display: "Drug contraindicated in pregnancy or breastfeeding",
};
pub const TOPIC_VERIFY: Topic = Topic {
    code: "pregnancy-verify",
    display: "Pregnancy on record cannot be confirmed or ruled out",
};
pub const TOPIC_PLANNING: Topic = Topic {
    code: "pregnancy-planning",
    display: "Drug to stop before conception",
};

/// The card topics this rule can produce.
pub const TOPICS: &[Topic] = &[TOPIC, TOPIC_VERIFY, TOPIC_PLANNING];

pub const SETTINGS: &[&str] = &[
    "pregnancy_condition_days",
    "hcg_positive_days",
    "hcg_positive_iu_per_l",
    "breastfeeding_months",
];

/// The evidence of a state in which MTX, MMF and cyclophosphamide must not be
/// suggested (pregnant, breastfeeding, possibly pregnant), if any.
pub fn evidence(facts: &Facts, policy: &Policy) -> Option<Evidence> {
    match reproductive::state(facts, policy) {
        Reproductive::Pregnant(e) => Some(e),
        Reproductive::Breastfeeding(e) => Some(e),
        Reproductive::PossiblyPregnant(e) => Some(e),
        _ => None,
    }
}

pub fn evaluate(facts: &Facts, policy: &Policy) -> Outcome<Found> {
    let mut out = Outcome::default();
    let state = reproductive::state(facts, policy);
    if state == Reproductive::None {
        return out;
    }
    for m in &facts.orders {
        let Some(drug @ (Drug::Methotrexate | Drug::Mycophenolate | Drug::Cyclophosphamide)) =
            m.drug()
        else {
            continue;
        };
        let (topic, indicator, state) = match &state {
            Reproductive::Pregnant(e) => (TOPIC, Indicator::Critical, State::Pregnant(e.clone())),
            Reproductive::Breastfeeding(e) => (
                TOPIC,
                Indicator::Critical,
                State::Breastfeeding {
                    evidence: e.clone(),
                    months: policy.breastfeeding_months,
                },
            ),
            Reproductive::PossiblyPregnant(e) => (
                TOPIC_VERIFY,
                Indicator::Warning,
                State::PossiblyPregnant(e.clone()),
            ),
            Reproductive::Planning { sex, evidence } => {
                let male = *sex == Some(Sex::Male);
                if (male && drug != Drug::Cyclophosphamide) || (!male && drug == Drug::Methotrexate)
                {
                    // Paternal MTX is not contraindicated; maternal MTX planning is on the MTX card.
                    continue;
                }
                let stop_weeks = match drug {
                    Drug::Cyclophosphamide => 12.0,
                    _ => 6.0,
                };
                (
                    TOPIC_PLANNING,
                    Indicator::Warning,
                    State::Planning {
                        male,
                        evidence: evidence.clone(),
                        stop_weeks,
                    },
                )
            }
            Reproductive::None => continue,
        };
        out.findings.push(Finding {
            topic,
            indicator,
            what: Found {
                drug,
                order: m.name.clone(),
                state,
            },
            notes: vec![],
            pull: None,
            suggestions: if indicator == Indicator::Critical {
                crate::clinical::remove_draft(m).into_iter().collect()
            } else {
                vec![]
            },
            selection: Selection::AtMostOne,
            override_reasons: vec![
                OverrideReason::DiagnosisNotConfirmed,
                OverrideReason::BenefitOutweighsRisk,
            ],
        });
    }
    out
}

impl crate::clinical::Reads for Found {
    const AREAS: &'static [crate::facts::DataArea] = &[];
}

#[cfg(test)]
mod cases;
