//! The monitoring orders the renal crisis rules offer (blood pressure and
//! serum creatinine), and whether a draft already orders them.

use crate::clinical::{Action, OverrideReason, Policy, ServiceProposal, Suggestion, Test};
use crate::facts::Facts;

/// BP monitoring and serum creatinine, offered by the renal crisis rules
/// (POLICY.md): two independent suggestions of one order each (the card's
/// selection is `any`).
pub fn bp_and_creatinine(policy: &Policy) -> Vec<Suggestion> {
    vec![
        Suggestion {
            recommended: false,
            actions: vec![Action::CreateService(ServiceProposal {
                test: Test::BpMonitoring {
                    systolic: policy.src_bp_systolic,
                    diastolic: policy.src_bp_diastolic,
                    rise: policy.src_suspected_sbp_rise,
                },
                loinc: "85354-9",
                display: "Blood pressure panel with all children optional",
            })],
        },
        Suggestion {
            recommended: false,
            actions: vec![Action::CreateService(ServiceProposal {
                test: Test::Creatinine,
                loinc: "2160-0",
                display: "Creatinine [Mass/volume] in Serum or Plasma",
            })],
        },
    ]
}

/// Whether every action of a suggestion orders a service already drafted
/// (the same concept: a BP reading or panel, a creatinine).
pub fn already_drafted(s: &Suggestion, facts: &Facts) -> bool {
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
            Action::CreateService(order) => drafted(order.loinc),
            _ => false,
        })
}

pub const MONITORING_OVERRIDES: [OverrideReason; 3] = [
    OverrideReason::MonitoringInPlace,
    OverrideReason::DiagnosisNotConfirmed,
    OverrideReason::PatientDeclined,
];
