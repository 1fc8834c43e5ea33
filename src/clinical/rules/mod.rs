//! The rules: one file per rule, each a pure function of the patient facts and
//! the policy, with its source quoted at the top and its worked cases beside it.
//! [`Rule`] lists them; `clinical::evaluate` runs them all.

pub mod bp_monitoring;
pub mod initial_dose;
pub mod missing_data;
pub mod mtx_order_check;
pub mod renal_crisis_risk;
pub mod route_needed;
pub mod steroid_sparing;

#[cfg(test)]
pub(crate) mod test_support;

use super::{Action, Finding, OverrideReason, Policy, ServiceProposal, Suggestion};
use crate::facts::Facts;

/// Every rule of the service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    RenalCrisisRisk,
    BpMonitoring,
    InitialDose,
    SteroidSparing,
    MtxOrderCheck,
    RouteNeeded,
}

/// A figure a rule needed and did not have.
#[derive(Debug, Clone, PartialEq)]
pub struct Need {
    pub figure: Figure,
    /// What could not be checked without it.
    pub why: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Figure {
    Weight,
    Height,
    Sex,
}

#[derive(Debug, Default)]
pub struct Outcome {
    pub findings: Vec<Finding>,
    pub needs: Vec<Need>,
}

impl Rule {
    pub const ALL: [Rule; 6] = [
        Rule::RenalCrisisRisk,
        Rule::BpMonitoring,
        Rule::InitialDose,
        Rule::SteroidSparing,
        Rule::MtxOrderCheck,
        Rule::RouteNeeded,
    ];

    pub fn evaluate(self, facts: &Facts, policy: &Policy) -> Outcome {
        match self {
            Rule::RenalCrisisRisk => renal_crisis_risk::evaluate(facts, policy),
            Rule::BpMonitoring => bp_monitoring::evaluate(facts, policy),
            Rule::InitialDose => initial_dose::evaluate(facts, policy),
            Rule::SteroidSparing => steroid_sparing::evaluate(facts, policy),
            Rule::MtxOrderCheck => mtx_order_check::evaluate(facts, policy),
            Rule::RouteNeeded => route_needed::evaluate(facts, policy),
        }
    }
}

/// BP monitoring + serum creatinine, offered by the renal crisis rules (POLICY.md).
pub fn bp_and_creatinine() -> Suggestion {
    Suggestion {
        label: "Order blood-pressure monitoring and serum creatinine".into(),
        recommended: false,
        actions: vec![
            Action::CreateService {
                description: "Blood-pressure monitoring (home and every visit)".into(),
                order: ServiceProposal {
                    loinc: "85354-9",
                    display: "Blood pressure panel with all children optional",
                    text: "Blood-pressure monitoring for scleroderma renal crisis".into(),
                    note: Some(
                        "SSc patient on corticosteroids: check BP at every visit and at home; \
                         report SBP >= 140 or DBP >= 90 mmHg, or a rise of 30 mmHg or more."
                            .into(),
                    ),
                },
            },
            Action::CreateService {
                description: "Serum creatinine".into(),
                order: ServiceProposal {
                    loinc: "2160-0",
                    display: "Creatinine [Mass/volume] in Serum or Plasma",
                    text: "Serum creatinine (scleroderma renal crisis surveillance)".into(),
                    note: None,
                },
            },
        ],
    }
}

pub const MONITORING_OVERRIDES: [OverrideReason; 3] = [
    OverrideReason::MonitoringInPlace,
    OverrideReason::DiagnosisNotConfirmed,
    OverrideReason::PatientDeclined,
];
