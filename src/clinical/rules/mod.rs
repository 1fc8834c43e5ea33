//! The rules: one file per rule, each a pure function of the patient facts and
//! the policy, with its source quoted at the top and its worked cases beside it.
//! [`Rule`] lists them; `clinical::evaluate` runs them all.

pub mod adults_only;
pub mod antibody_panel;
pub mod aza_order_check;
pub mod bp_monitoring;
pub mod cyc_order_check;
pub mod drug_check;
pub mod gc_ceiling;
pub mod initial_dose;
pub mod intensify;
pub mod iv_methylprednisolone;
pub mod ivig_order_check;
pub mod missing_data;
pub mod mmf_order_check;
pub mod monitoring;
pub mod mtx_continuation;
pub mod mtx_order_check;
pub mod mtx_watch;
pub mod pregnancy;
pub mod renal_crisis_risk;
pub mod route_needed;
pub mod rtx_order_check;
pub mod steroid_sparing;
pub mod suspected_renal_crisis;
pub mod taper;
pub mod thiopurine;
pub mod unreadable_order;

#[cfg(test)]
pub(crate) mod test_support;

use super::{Action, Finding, OverrideReason, Policy, ServiceProposal, Suggestion, Topic};
use crate::facts::Facts;

/// Builds the rules' text matchers, so that no request pays for them.
pub fn warm() {
    antibody_panel::warm();
    aza_order_check::warm();
    mmf_order_check::warm();
    renal_crisis_risk::warm();
    thiopurine::warm();
}

/// Every rule of the service, one module each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    RenalCrisisRisk,
    SuspectedRenalCrisis,
    BpMonitoring,
    InitialDose,
    IvMethylprednisolone,
    SteroidSparing,
    MtxOrderCheck,
    Pregnancy,
    Taper,
    Intensify,
    AzaOrderCheck,
    IvigOrderCheck,
    AntibodyPanel,
    MtxContinuation,
    Monitoring,
    RouteNeeded,
    UnreadableOrder,
    GcCeiling,
    Thiopurine,
    MmfOrderCheck,
    RtxOrderCheck,
    CycOrderCheck,
    MtxWatch,
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
    pub const ALL: [Rule; 23] = [
        Rule::RenalCrisisRisk,
        Rule::SuspectedRenalCrisis,
        Rule::BpMonitoring,
        Rule::InitialDose,
        Rule::IvMethylprednisolone,
        Rule::SteroidSparing,
        Rule::MtxOrderCheck,
        Rule::Pregnancy,
        Rule::Taper,
        Rule::Intensify,
        Rule::AzaOrderCheck,
        Rule::IvigOrderCheck,
        Rule::AntibodyPanel,
        Rule::MtxContinuation,
        Rule::Monitoring,
        Rule::RouteNeeded,
        Rule::UnreadableOrder,
        Rule::GcCeiling,
        Rule::Thiopurine,
        Rule::MmfOrderCheck,
        Rule::RtxOrderCheck,
        Rule::CycOrderCheck,
        Rule::MtxWatch,
    ];

    pub fn evaluate(self, facts: &Facts, policy: &Policy) -> Outcome {
        match self {
            Rule::RenalCrisisRisk => renal_crisis_risk::evaluate(facts, policy),
            Rule::SuspectedRenalCrisis => suspected_renal_crisis::evaluate(facts, policy),
            Rule::BpMonitoring => bp_monitoring::evaluate(facts, policy),
            Rule::InitialDose => initial_dose::evaluate(facts, policy),
            Rule::IvMethylprednisolone => iv_methylprednisolone::evaluate(facts, policy),
            Rule::SteroidSparing => steroid_sparing::evaluate(facts, policy),
            Rule::MtxOrderCheck => mtx_order_check::evaluate(facts, policy),
            Rule::Pregnancy => pregnancy::evaluate(facts, policy),
            Rule::Taper => taper::evaluate(facts, policy),
            Rule::Intensify => intensify::evaluate(facts, policy),
            Rule::AzaOrderCheck => aza_order_check::evaluate(facts, policy),
            Rule::IvigOrderCheck => ivig_order_check::evaluate(facts, policy),
            Rule::AntibodyPanel => antibody_panel::evaluate(facts, policy),
            Rule::MtxContinuation => mtx_continuation::evaluate(facts, policy),
            Rule::Monitoring => monitoring::evaluate(facts, policy),
            Rule::RouteNeeded => route_needed::evaluate(facts, policy),
            Rule::UnreadableOrder => unreadable_order::evaluate(facts, policy),
            Rule::GcCeiling => gc_ceiling::evaluate(facts, policy),
            Rule::Thiopurine => thiopurine::evaluate(facts, policy),
            Rule::MmfOrderCheck => mmf_order_check::evaluate(facts, policy),
            Rule::RtxOrderCheck => rtx_order_check::evaluate(facts, policy),
            Rule::CycOrderCheck => cyc_order_check::evaluate(facts, policy),
            Rule::MtxWatch => mtx_watch::evaluate(facts, policy),
        }
    }

    /// The card topics the rule can produce.
    pub fn topics(self) -> &'static [Topic] {
        match self {
            Rule::RenalCrisisRisk => &[renal_crisis_risk::TOPIC],
            Rule::SuspectedRenalCrisis => &[suspected_renal_crisis::TOPIC],
            Rule::BpMonitoring => &[bp_monitoring::TOPIC],
            Rule::InitialDose => &[initial_dose::TOPIC_ABOVE, initial_dose::TOPIC_BELOW],
            Rule::IvMethylprednisolone => &[
                iv_methylprednisolone::TOPIC_DOSE,
                iv_methylprednisolone::TOPIC_INDICATION,
            ],
            Rule::SteroidSparing => &[steroid_sparing::TOPIC],
            Rule::MtxOrderCheck => &[
                mtx_order_check::DAILY,
                mtx_order_check::FREQUENCY_UNKNOWN,
                mtx_order_check::DOSE_SLIP,
                mtx_order_check::PRETREATMENT,
                mtx_order_check::RENAL_AVOID,
                mtx_order_check::RENAL_REDUCE,
                mtx_order_check::ABOVE_MAX,
                mtx_order_check::LIVER,
                mtx_order_check::ALCOHOL,
                mtx_order_check::ILD,
                mtx_order_check::PLANNING,
                mtx_order_check::TMP_SMX,
                mtx_order_check::DUPLICATE,
                mtx_order_check::DOSE,
                mtx_order_check::FOLIC,
            ],
            Rule::Pregnancy => &[
                pregnancy::TOPIC,
                pregnancy::TOPIC_VERIFY,
                pregnancy::TOPIC_PLANNING,
            ],
            Rule::Taper => &[taper::TOPIC],
            Rule::Intensify => &[intensify::TOPIC],
            Rule::AzaOrderCheck => &[aza_order_check::TOPIC_DOSE, aza_order_check::TOPIC_TPMT],
            Rule::IvigOrderCheck => &[ivig_order_check::TOPIC, ivig_order_check::TOPIC_LIMIT],
            Rule::AntibodyPanel => &[antibody_panel::TOPIC],
            Rule::MtxContinuation => &[mtx_continuation::TOPIC],
            Rule::Monitoring => &[monitoring::TOPIC],
            Rule::RouteNeeded => &[route_needed::TOPIC],
            Rule::UnreadableOrder => &[unreadable_order::TOPIC],
            Rule::GcCeiling => &[gc_ceiling::TOPIC],
            Rule::Thiopurine => &[thiopurine::TOPIC],
            Rule::MmfOrderCheck => &[mmf_order_check::TOPIC],
            Rule::RtxOrderCheck => &[rtx_order_check::TOPIC],
            Rule::CycOrderCheck => &[cyc_order_check::TOPIC],
            Rule::MtxWatch => &[mtx_watch::TOPIC],
        }
    }

    /// The policy settings the rule's figures come from.
    pub fn settings(self) -> &'static [&'static str] {
        match self {
            Rule::RenalCrisisRisk => renal_crisis_risk::SETTINGS,
            Rule::SuspectedRenalCrisis => suspected_renal_crisis::SETTINGS,
            Rule::BpMonitoring => bp_monitoring::SETTINGS,
            Rule::InitialDose => initial_dose::SETTINGS,
            Rule::IvMethylprednisolone => iv_methylprednisolone::SETTINGS,
            Rule::SteroidSparing => steroid_sparing::SETTINGS,
            Rule::MtxOrderCheck => mtx_order_check::SETTINGS,
            Rule::Pregnancy => pregnancy::SETTINGS,
            Rule::Taper => taper::SETTINGS,
            Rule::Intensify => intensify::SETTINGS,
            Rule::AzaOrderCheck => aza_order_check::SETTINGS,
            Rule::IvigOrderCheck => ivig_order_check::SETTINGS,
            Rule::AntibodyPanel => antibody_panel::SETTINGS,
            Rule::MtxContinuation => mtx_continuation::SETTINGS,
            Rule::Monitoring => monitoring::SETTINGS,
            Rule::RouteNeeded => route_needed::SETTINGS,
            Rule::UnreadableOrder => unreadable_order::SETTINGS,
            Rule::GcCeiling => gc_ceiling::SETTINGS,
            Rule::Thiopurine => thiopurine::SETTINGS,
            Rule::MmfOrderCheck => mmf_order_check::SETTINGS,
            Rule::RtxOrderCheck => rtx_order_check::SETTINGS,
            Rule::CycOrderCheck => cyc_order_check::SETTINGS,
            Rule::MtxWatch => mtx_watch::SETTINGS,
        }
    }
}

/// BP monitoring and serum creatinine, offered by the renal crisis rules
/// (POLICY.md): two independent suggestions of one order each (the card's
/// selection is `any`).
pub fn bp_and_creatinine(policy: &Policy) -> Vec<Suggestion> {
    vec![
        Suggestion {
            label: "Order blood-pressure monitoring".into(),
            recommended: false,
            actions: vec![Action::CreateService {
                description: "Blood-pressure monitoring (home and every visit)".into(),
                order: ServiceProposal {
                    loinc: "85354-9",
                    display: "Blood pressure panel with all children optional",
                    text: "Blood-pressure monitoring for scleroderma renal crisis".into(),
                    note: Some(format!(
                        "SSc patient on corticosteroids: check BP at every visit and at home; \
                         report SBP >= {} or DBP >= {} mmHg, or a rise of {} mmHg or more.",
                        crate::clinical::text::num(policy.src_bp_systolic),
                        crate::clinical::text::num(policy.src_bp_diastolic),
                        crate::clinical::text::num(policy.src_suspected_sbp_rise)
                    )),
                },
            }],
        },
        Suggestion {
            label: "Order serum creatinine".into(),
            recommended: false,
            actions: vec![Action::CreateService {
                description: "Serum creatinine".into(),
                order: ServiceProposal {
                    loinc: "2160-0",
                    display: "Creatinine [Mass/volume] in Serum or Plasma",
                    text: "Serum creatinine (scleroderma renal crisis surveillance)".into(),
                    note: None,
                },
            }],
        },
    ]
}

/// Whether every action of a suggestion orders a service already drafted
/// (the same concept: a BP reading or panel, a creatinine).
pub fn already_drafted(s: &Suggestion, facts: &crate::facts::Facts) -> bool {
    use crate::terminology::Concept;
    let drafted = |loinc: &str| {
        let wanted: &[Concept] = match loinc {
            "85354-9" | "55284-4" | "8480-6" | "8462-4" => {
                &[Concept::BpPanel, Concept::BpSystolic, Concept::BpDiastolic]
            }
            "2160-0" => &[Concept::Creatinine],
            _ => &[],
        };
        wanted.iter().any(|c| facts.drafted_services.contains(c))
    };
    !s.actions.is_empty()
        && s.actions.iter().all(|a| match a {
            super::Action::CreateService { order, .. } => drafted(order.loinc),
            _ => false,
        })
}

pub const MONITORING_OVERRIDES: [OverrideReason; 3] = [
    OverrideReason::MonitoringInPlace,
    OverrideReason::DiagnosisNotConfirmed,
    OverrideReason::PatientDeclined,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topic_codes_are_unique() {
        let mut codes: Vec<&str> = Rule::ALL
            .iter()
            .flat_map(|r| r.topics())
            .map(|t| t.code)
            .collect();
        codes.push(missing_data::TOPIC.code);
        codes.push(adults_only::TOPIC.code);
        codes.push(missing_data::TOPIC_DOUBTFUL.code);
        let n = codes.len();
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), n);
    }

    #[test]
    fn every_policy_setting_belongs_to_a_rule() {
        for s in crate::clinical::policy::SETTINGS {
            assert!(
                Rule::ALL.iter().any(|r| r.settings().contains(&s.key))
                    || crate::clinical::policy::DATA_SETTINGS.contains(&s.key)
                    || adults_only::SETTINGS.contains(&s.key),
                "{} is used by no rule",
                s.key
            );
        }
        for r in Rule::ALL {
            for key in r.settings() {
                assert!(
                    Policy::default().get(key).is_some(),
                    "{r:?} names unknown setting {key}"
                );
            }
        }
    }
}
