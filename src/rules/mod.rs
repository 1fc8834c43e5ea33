//! The rules: one folder per rule, each holding its decision (`mod.rs`: a
//! pure function of the patient facts and the policy, its source quoted at
//! the top), its words (`words.rs`), its guidance page (`guidance.md`) and its
//! worked cases (`cases.rs`). [`rules!`] below declares them all in one
//! place; `clinical::evaluate` runs them.

#[cfg(test)]
pub(crate) mod test_support;

use crate::clinical::{
    Action, Finding, OverrideReason, Policy, ServiceProposal, Suggestion, Topic,
};
use crate::facts::Facts;

/// Builds the rules' text matchers, so that no request pays for them.
pub fn warm() {
    antibody_panel::warm();
    aza_order_check::warm();
    mmf_order_check::warm();
    renal_crisis_risk::warm();
    thiopurine::warm();
}

/// One declaration per rule: its variant, its folder (module) and the slug
/// of its guidance page. It generates the module declarations, [`Rule`],
/// [`Rule::ALL`] and every dispatch; a rule's folder holds its decision
/// (`mod.rs`: `evaluate`, `TOPICS`, `SETTINGS`), its words (`words.rs`) and
/// its guidance page (`guidance.md`).
macro_rules! rules {
    ($($variant:ident => $module:ident, $slug:literal;)*) => {
        $(pub mod $module;)*

        /// Every rule of the service, one folder each.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Rule {
            $($variant,)*
        }

        const COUNT: usize = [$(stringify!($variant)),*].len();

        impl Rule {
            pub const ALL: [Rule; COUNT] = [$(Rule::$variant,)*];

            pub fn evaluate(self, facts: &Facts, policy: &Policy) -> Outcome {
                match self {
                    $(Rule::$variant => $module::evaluate(facts, policy),)*
                }
            }

            /// The card topics the rule can produce.
            pub fn topics(self) -> &'static [Topic] {
                match self {
                    $(Rule::$variant => $module::TOPICS,)*
                }
            }

            /// The policy settings the rule's figures come from.
            pub fn settings(self) -> &'static [&'static str] {
                match self {
                    $(Rule::$variant => $module::SETTINGS,)*
                }
            }

            /// The last segment of its guidance page's URL.
            pub fn slug(self) -> &'static str {
                match self {
                    $(Rule::$variant => $slug,)*
                }
            }

            /// Its guidance page's words (Markdown, `# title` first).
            pub fn guidance(self) -> &'static str {
                match self {
                    $(Rule::$variant => include_str!(concat!(stringify!($module), "/guidance.md")),)*
                }
            }
        }
    };
}

rules! {
    RenalCrisisRisk => renal_crisis_risk, "renal-crisis-risk";
    SuspectedRenalCrisis => suspected_renal_crisis, "suspected-renal-crisis";
    BpMonitoring => bp_monitoring, "bp-monitoring";
    InitialDose => initial_dose, "initial-dose";
    IvMethylprednisolone => iv_methylprednisolone, "iv-methylprednisolone";
    SteroidSparing => steroid_sparing, "steroid-sparing";
    MtxOrderCheck => mtx_order_check, "mtx-order-check";
    Pregnancy => pregnancy, "pregnancy";
    Taper => taper, "taper";
    Intensify => intensify, "intensify";
    AzaOrderCheck => aza_order_check, "aza-order-check";
    IvigOrderCheck => ivig_order_check, "ivig-order-check";
    AntibodyPanel => antibody_panel, "antibody-panel";
    MtxContinuation => mtx_continuation, "mtx-continuation";
    Monitoring => monitoring, "monitoring";
    RouteNeeded => route_needed, "route-needed";
    UnreadableOrder => unreadable_order, "unreadable-order";
    GcCeiling => gc_ceiling, "gc-ceiling";
    Thiopurine => thiopurine, "thiopurine";
    MmfOrderCheck => mmf_order_check, "mmf-order-check";
    RtxOrderCheck => rtx_order_check, "rtx-order-check";
    CycOrderCheck => cyc_order_check, "cyc-order-check";
    MtxWatch => mtx_watch, "mtx-watch";
}

/// The findings made outside the rules (figures a rule needed, age), with
/// their folders beside the rules'.
pub mod adults_only;
/// The dose and safety check the order-check rules share (its words beside it).
pub mod drug_check;
pub mod missing_data;

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
            Action::CreateService { order, .. } => drafted(order.loinc),
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
