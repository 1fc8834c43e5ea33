//! The clinical core: pure functions from [`Facts`] and [`Policy`] to
//! [`Finding`]s. Nothing here knows of HTTP, JSON or FHIR wire formats; the
//! `cards` module renders findings for CDS Hooks.

pub mod body;
pub mod policy;
pub mod predicates;
pub mod pretreatment;
pub mod reproductive;
pub mod rules;
pub mod steroids;
pub mod text;

use crate::facts::{Facts, Schedule};
pub use policy::Policy;
pub use predicates::{LabResult, PatientScope};
pub use rules::{Need, Rule};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Indicator {
    Info,
    Warning,
    Critical,
}

/// A stable code per kind of finding (rendered as `source.topic`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Topic {
    pub code: &'static str,
    pub display: &'static str,
}

/// Why a clinician may decline a card (rendered as `overrideReasons`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OverrideReason {
    DoseAppropriate,
    RecordedElsewhere,
    DiagnosisNotConfirmed,
    PatientDeclined,
    MonitoringInPlace,
    BenefitOutweighsRisk,
}

impl OverrideReason {
    pub fn code(self) -> &'static str {
        match self {
            OverrideReason::DoseAppropriate => "dose-appropriate",
            OverrideReason::RecordedElsewhere => "therapy-recorded-elsewhere",
            OverrideReason::DiagnosisNotConfirmed => "diagnosis-not-confirmed",
            OverrideReason::PatientDeclined => "patient-declined",
            OverrideReason::MonitoringInPlace => "monitoring-in-place",
            OverrideReason::BenefitOutweighsRisk => "benefit-outweighs-risk",
        }
    }
    pub fn display(self) -> &'static str {
        match self {
            OverrideReason::DoseAppropriate => "Dose appropriate for this patient",
            OverrideReason::RecordedElsewhere => "Therapy recorded elsewhere",
            OverrideReason::DiagnosisNotConfirmed => "Diagnosis not confirmed",
            OverrideReason::PatientDeclined => "Patient declined",
            OverrideReason::MonitoringInPlace => "Monitoring already in place",
            OverrideReason::BenefitOutweighsRisk => "Benefit outweighs risk for this patient",
        }
    }
}

/// Route of a proposed medication.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProposedRoute {
    Oral,
    Sublingual,
    Subcutaneous,
}

/// A medication the clinician can order with one click.
#[derive(Debug, Clone, PartialEq)]
pub struct MedicationProposal {
    /// RxNorm code and name; `None` where no verified code exists (then text only).
    pub rxnorm: Option<(&'static str, &'static str)>,
    pub text: String,
    pub dose_mg: f64,
    pub schedule: Schedule,
    pub route: ProposedRoute,
    /// Patient instruction, e.g. "27.5 mg subcutaneously once weekly".
    pub instruction: String,
}

/// A monitoring order or lab test (LOINC).
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceProposal {
    pub loinc: &'static str,
    pub display: &'static str,
    pub text: String,
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    CreateMedication {
        description: String,
        order: MedicationProposal,
    },
    CreateService {
        description: String,
        order: ServiceProposal,
    },
    /// Change the dose of a draft order to `dose_mg` with `schedule`; the
    /// route fills in a draft that has none.
    UpdateDraftDose {
        description: String,
        order_id: String,
        dose_mg: f64,
        schedule: Schedule,
        route: ProposedRoute,
        instruction: String,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Suggestion {
    pub label: String,
    pub recommended: bool,
    pub actions: Vec<Action>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Selection {
    AtMostOne,
    Any,
}

/// One finding: becomes one card.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub topic: Topic,
    pub indicator: Indicator,
    /// Under 140 characters.
    pub summary: String,
    /// Markdown: the calculation, its inputs with dates, the sources.
    pub detail: String,
    pub suggestions: Vec<Suggestion>,
    pub selection: Selection,
    pub override_reasons: Vec<OverrideReason>,
}

/// Runs every rule. Patients with neither SSc nor myositis get nothing.
/// Critical findings come first.
pub fn evaluate(facts: &Facts, policy: &Policy) -> Vec<Finding> {
    if !facts.in_scope() {
        return vec![];
    }
    let mut findings = Vec::new();
    let mut needs = Vec::new();
    for rule in Rule::ALL {
        let mut out = rule.evaluate(facts, policy);
        let local: Vec<String> = rule
            .settings()
            .iter()
            .filter(|k| policy.changed().contains(k))
            .filter_map(|k| {
                let s = policy::SETTINGS.iter().find(|s| s.key == *k)?;
                Some(format!(
                    "{} = {} {} (default {})",
                    s.key,
                    text::num(policy.get(k)?),
                    s.unit,
                    text::num(s.default)
                ))
            })
            .collect();
        if !local.is_empty() {
            for f in &mut out.findings {
                f.detail.push_str(&format!(
                    "\n\n**Local policy** (figures changed from the defaults): {}.",
                    local.join("; ")
                ));
            }
        }
        findings.extend(out.findings);
        needs.extend(out.needs);
    }
    if let Some(age) = rules::adults_only::minor_age(facts, policy) {
        // A child: only the age-independent safety findings stand, without suggestions.
        findings.retain(|f| rules::adults_only::AGE_INDEPENDENT.contains(&f.topic.code));
        for f in &mut findings {
            f.suggestions.clear();
        }
        findings.push(rules::adults_only::finding(age, policy));
    } else if let Some(f) = rules::missing_data::finding(&needs, facts) {
        findings.push(f);
    }
    // POLICY second edition ("Budget"): the antibody-panel reminder appears on
    // patient-view; on order hooks only when no other card fires.
    if facts.setting == crate::facts::Setting::OrderEntry
        && findings
            .iter()
            .any(|f| f.topic != rules::antibody_panel::TOPIC)
    {
        findings.retain(|f| f.topic != rules::antibody_panel::TOPIC);
    }
    // Advice (proposal, plan, option) is evaluated as an order; the detail says so.
    let advice: Vec<String> = facts
        .orders
        .iter()
        .filter_map(|m| match &m.intent {
            crate::facts::Intent::Advice(code) => {
                Some(format!("{} (intent: {code})", text::md(&m.name)))
            }
            crate::facts::Intent::Order => None,
        })
        .collect();
    if !advice.is_empty() {
        for f in &mut findings {
            f.detail.push_str(&format!(
                "\n\n**Not yet an order**: {} is a proposal or plan; checked as if it were ordered.",
                advice.join(", ")
            ));
        }
    }
    let mut gaps: Vec<String> = facts
        .missing
        .iter()
        .map(|a| format!("- Not checked: {} could not be obtained", a.describe()))
        .collect();
    gaps.extend(facts.notes.iter().map(|n| format!("- {}", text::md(n))));
    if facts.birth_date.is_none() && !facts.missing.contains(&crate::facts::DataArea::Patient) {
        gaps.push("- Age not on file: read as an adult".into());
    }
    if !gaps.is_empty() {
        for f in &mut findings {
            f.detail
                .push_str(&format!("\n\n**Data limits**\n{}", gaps.join("\n")));
        }
    }
    findings.sort_by_key(|f| std::cmp::Reverse(f.indicator));
    findings
}
