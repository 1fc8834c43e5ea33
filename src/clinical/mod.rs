//! The clinical core: pure functions from [`Facts`] and [`Policy`] to
//! [`Finding`]s. Nothing here knows of HTTP, JSON or FHIR wire formats; the
//! `cards` module renders findings for CDS Hooks.

pub mod body;
pub mod budget;
pub mod conflicts;
pub mod policy;
pub mod predicates;
pub mod pretreatment;
pub mod products;
pub mod reproductive;
pub mod steroids;
pub mod text;

use crate::facts::{Facts, Schedule};
pub use crate::rules::{self, Need, Rule};
pub use policy::Policy;
pub use predicates::{LabResult, PatientScope};

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
    pub const ALL: [OverrideReason; 6] = [
        OverrideReason::DoseAppropriate,
        OverrideReason::RecordedElsewhere,
        OverrideReason::DiagnosisNotConfirmed,
        OverrideReason::PatientDeclined,
        OverrideReason::MonitoringInPlace,
        OverrideReason::BenefitOutweighsRisk,
    ];

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
    /// Change the dose of a draft order to `dose_mg` with `schedule`, as
    /// `product` (whole tablets of a product, or the ingredient in mg); the
    /// route fills in a draft that has none.
    UpdateDraftDose {
        description: String,
        order_id: String,
        dose_mg: f64,
        /// What the changed order is for: its medication code and the dose
        /// quantity follow from it.
        product: products::DoseProduct,
        schedule: Schedule,
        route: ProposedRoute,
        instruction: String,
    },
    /// Remove a draft order (its id in the request).
    DeleteDraft {
        description: String,
        order_id: String,
    },
}

/// "Remove the order": the one action every critical card about a draft
/// carries (POLICY third edition, "Critical cards carry an action"); `None`
/// for an order that is not a draft of this request (it has no id).
pub fn remove_draft(m: &crate::facts::Med) -> Option<Suggestion> {
    let id = m.id.clone()?;
    let name = crate::words::medication::named(m);
    Some(Suggestion {
        label: format!(
            "Remove this {} order",
            m.drug().map_or("draft", |d| d.name())
        ),
        recommended: false,
        actions: vec![Action::DeleteDraft {
            description: format!("Remove the draft order: {name}"),
            order_id: id,
        }],
    })
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

/// One finding: becomes one card. What it says is typed ([`What`]: the
/// figures and the inputs with their dates); the `words` module alone turns
/// it into a summary and a detail.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub topic: Topic,
    pub indicator: Indicator,
    pub what: What,
    /// What `evaluate` adds to every finding: changed policy figures, advice
    /// read as orders, data limits.
    pub notes: Vec<Note>,
    /// Which way the finding pulls an order's dose, for the contradiction
    /// table (`conflicts`).
    pub pull: Option<Pull>,
    pub suggestions: Vec<Suggestion>,
    pub selection: Selection,
    pub override_reasons: Vec<OverrideReason>,
}

#[cfg(test)]
impl Finding {
    /// A finding with no words of interest, for the tables of `budget` and
    /// `conflicts`.
    pub(crate) fn bare(
        code: &'static str,
        indicator: Indicator,
        pull: Option<(&str, Direction)>,
    ) -> Finding {
        Finding {
            topic: Topic {
                code,
                display: code,
            },
            indicator,
            what: What::AdultsOnly(rules::adults_only::Found {
                age: 0,
                adult_age: 18.0,
            }),
            notes: vec![],
            pull: pull.map(|(o, d)| Pull {
                order: o.into(),
                direction: d,
            }),
            suggestions: vec![],
            selection: Selection::AtMostOne,
            override_reasons: vec![],
        }
    }
}

/// What a finding says, one variant per rule, each with the rule's own typed
/// finding.
#[derive(Debug, Clone, PartialEq)]
pub enum What {
    AdultsOnly(rules::adults_only::Found),
    AntibodyPanel(rules::antibody_panel::Found),
    BpMonitoring(rules::bp_monitoring::Found),
    DrugCheck(rules::drug_check::Found),
    GcCeiling(rules::gc_ceiling::Found),
    InitialDose(rules::initial_dose::Found),
    Intensify(rules::intensify::Found),
    IvMethylprednisolone(rules::iv_methylprednisolone::Found),
    IvigOrderCheck(rules::ivig_order_check::Found),
    MissingData(rules::missing_data::Found),
    Monitoring(rules::monitoring::Found),
    MtxContinuation(rules::mtx_continuation::Found),
    MtxOrderCheck(rules::mtx_order_check::Found),
    Pregnancy(rules::pregnancy::Found),
    RenalCrisisRisk(rules::renal_crisis_risk::Found),
    RouteNeeded(rules::route_needed::Found),
    SteroidSparing(rules::steroid_sparing::Found),
    SuspectedRenalCrisis(rules::suspected_renal_crisis::Found),
    Taper(rules::taper::Found),
    UnreadableOrder(rules::unreadable_order::Found),
}

impl What {
    /// The data areas this card's finding reads, for naming what could not
    /// be read (POLICY third edition, "Never silent").
    pub fn reads(&self, area: crate::facts::DataArea) -> bool {
        use crate::facts::DataArea as A;
        let weight = matches!(
            self,
            What::InitialDose(_)
                | What::IvMethylprednisolone(_)
                | What::SteroidSparing(_)
                | What::IvigOrderCheck(_)
                | What::Intensify(_)
                | What::MtxOrderCheck(_)
                | What::MissingData(_)
        );
        match area {
            A::Weight | A::Height => weight,
            A::RenalFunction => matches!(
                self,
                What::MtxOrderCheck(_)
                    | What::SteroidSparing(_)
                    | What::DrugCheck(_)
                    | What::MtxContinuation(_)
                    | What::SuspectedRenalCrisis(_)
                    | What::MissingData(_)
            ),
            A::BloodPressure => matches!(
                self,
                What::RenalCrisisRisk(_)
                    | What::SuspectedRenalCrisis(_)
                    | What::BpMonitoring(_)
                    | What::Monitoring(_)
            ),
            _ => false,
        }
    }
}

/// Folds each item into the cards that read its area; one with no area, or
/// whose area no card reads, into the first card. Returns the items per card.
fn by_area<T: Clone>(
    findings: &[Finding],
    items: &[T],
    area: impl Fn(&T) -> Option<crate::facts::DataArea>,
) -> Vec<Vec<T>> {
    let mut per_card: Vec<Vec<T>> = vec![vec![]; findings.len()];
    if findings.is_empty() {
        return per_card;
    }
    for item in items {
        let mut placed = false;
        if let Some(a) = area(item) {
            for (i, f) in findings.iter().enumerate() {
                if f.what.reads(a) {
                    per_card[i].push(item.clone());
                    placed = true;
                }
            }
        }
        if !placed {
            per_card[0].push(item.clone());
        }
    }
    per_card
}

/// Names what was received but not read, and the preliminary results used,
/// on the cards that would have used them (POLICY third edition).
fn fold_unread(findings: &mut [Finding], facts: &Facts) {
    let unread = by_area(findings, &facts.unclassified, |u| u.area);
    let preliminary = by_area(findings, &facts.preliminary, |p| p.area);
    for ((f, unread), preliminary) in findings.iter_mut().zip(unread).zip(preliminary) {
        if !preliminary.is_empty() {
            f.notes.push(Note::Preliminary(
                preliminary.into_iter().map(|p| p.text).collect(),
            ));
        }
        if !unread.is_empty() {
            f.notes.push(Note::Unread(unread));
        }
    }
}

/// A policy figure changed from its default.
#[derive(Debug, Clone, PartialEq)]
pub struct ChangedSetting {
    pub key: &'static str,
    pub value: f64,
    pub unit: &'static str,
    pub default: f64,
}

/// What `evaluate` folds into every card.
#[derive(Debug, Clone, PartialEq)]
pub enum Note {
    /// The rule's figures changed by local policy.
    LocalPolicy(Vec<ChangedSetting>),
    /// Orders that are advice (proposal, plan, option): (name, intent).
    Advice(Vec<(String, String)>),
    /// Records received for the patient but not read (unknown code, unit or
    /// reference), named on the card that would have used them.
    Unread(Vec<crate::facts::Unclassified>),
    /// Preliminary results the card's figures may rest on ("weight 70 kg
    /// (2026-11-20)"), named on the cards that read their area.
    Preliminary(Vec<String>),
    /// Diagnoses counted on weaker grounds than a confirmed code: read from
    /// the problem text, or provisional. On the patient's first card only.
    Diagnoses(Vec<WeakDiagnosis>),
    /// Data that could not be obtained or was set aside.
    DataLimits {
        missing: Vec<crate::facts::DataArea>,
        notes: Vec<String>,
        age_unknown: bool,
    },
}

/// A diagnosis counted on weaker grounds than a confirmed code.
#[derive(Debug, Clone, PartialEq)]
pub struct WeakDiagnosis {
    /// As recorded ("(no display)" when the record has none).
    pub label: String,
    /// Its first concept, to name it when the record has no label.
    pub concept: Option<crate::terminology::Concept>,
    /// Read from the problem text.
    pub from_text: bool,
    /// Unconfirmed, provisional or differential.
    pub provisional: bool,
}

/// The direction a finding pulls the dose of one order.
#[derive(Debug, Clone, PartialEq)]
pub struct Pull {
    /// The order (its reference in the request).
    pub order: String,
    pub direction: Direction,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Lower,
    Raise,
}

/// Runs every rule. Patients with neither SSc nor myositis get nothing.
/// Critical findings come first.
pub fn evaluate(facts: &Facts, policy: &Policy) -> Vec<Finding> {
    evaluate_all(facts, policy).findings
}

/// The findings, and those silenced by a contradicting finding (for the log).
#[derive(Debug, Default)]
pub struct Evaluation {
    pub findings: Vec<Finding>,
    pub silenced: Vec<conflicts::Silenced>,
}

/// [`evaluate`], with what the contradiction table hid.
pub fn evaluate_all(facts: &Facts, policy: &Policy) -> Evaluation {
    if !facts.in_scope() {
        return Evaluation::default();
    }
    let mut findings = Vec::new();
    let mut needs = Vec::new();
    for rule in Rule::ALL {
        let mut out = rule.evaluate(facts, policy);
        let local: Vec<ChangedSetting> = rule
            .settings()
            .iter()
            .filter(|k| policy.changed().contains(k))
            .filter_map(|k| {
                let s = policy::SETTINGS.iter().find(|s| s.key == *k)?;
                Some(ChangedSetting {
                    key: s.key,
                    value: policy.get(k)?,
                    unit: s.unit,
                    default: s.default,
                })
            })
            .collect();
        if !local.is_empty() {
            for f in &mut out.findings {
                f.notes.push(Note::LocalPolicy(local.clone()));
            }
        }
        findings.extend(out.findings);
        needs.extend(out.needs);
    }
    // POLICY third edition ("Critical cards carry an action"): suspected
    // renal crisis is one card. It absorbs the renal crisis risk card (its
    // own detail states the glucocorticoid exposure) and no card beside it
    // pushes a steroid-sparing start: the decision is a same-day review.
    if findings.iter().any(|f| {
        f.topic == rules::suspected_renal_crisis::TOPIC && f.indicator == Indicator::Critical
    }) {
        findings.retain(|f| {
            f.topic != rules::renal_crisis_risk::TOPIC && f.topic != rules::steroid_sparing::TOPIC
        });
    }
    // POLICY third edition ("One concern, one place"): the hepatitis B line
    // appears on one card. An immunosuppressant's card carries it (its
    // order needs it first); the glucocorticoid risk card then drops its own.
    let hbv_elsewhere = findings.iter().any(|f| match &f.what {
        What::MtxOrderCheck(x) => {
            x.inputs
                .before_first_dose
                .iter()
                .any(|l| l.contains("hepatitis B") || l.contains("HBV"))
                || matches!(
                    &x.concern,
                    rules::mtx_order_check::Concern::Pretreatment { .. }
                )
        }
        What::DrugCheck(x) => x.concerns.iter().any(|c| {
            matches!(
                &c.kind,
                rules::drug_check::Kind::Pretreatment {
                    kind: pretreatment::LineKind::HbvPositive
                        | pretreatment::LineKind::HbvNotOnFile,
                    ..
                }
            )
        }),
        _ => false,
    });
    if hbv_elsewhere {
        for f in &mut findings {
            if let What::RenalCrisisRisk(x) = &mut f.what {
                x.hbv.clear();
            }
        }
    }
    // POLICY third edition ("Drafted items satisfy reminders"): a suggestion
    // to order what is already drafted is not made again.
    if !facts.drafted_services.is_empty() {
        for f in &mut findings {
            f.suggestions.retain(|s| !rules::already_drafted(s, facts));
        }
    }
    if let Some(age) = rules::adults_only::minor_age(facts, policy) {
        // A child: only the age-independent safety findings stand, without
        // suggestions. The filter applies to each concern: a drug card keeps
        // its safety concerns (a positive hepatitis B, a poor metaboliser) and
        // loses its dose advice; an azathioprine card left with safety
        // concerns only speaks under the thiopurine-safety topic.
        for f in &mut findings {
            if let What::DrugCheck(found) = &mut f.what {
                found
                    .concerns
                    .retain(|c| c.kind.age_independent(c.indicator));
                if let Some(worst) = found.concerns.iter().map(|c| c.indicator).max() {
                    f.indicator = worst;
                    if found.card == rules::drug_check::Card::Azathioprine {
                        f.topic = rules::thiopurine::TOPIC;
                    }
                }
            }
        }
        findings.retain(|f| {
            rules::adults_only::AGE_INDEPENDENT.contains(&f.topic.code)
                && !matches!(&f.what, What::DrugCheck(x) if x.concerns.is_empty())
        });
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
    let advice: Vec<(String, String)> = facts
        .orders
        .iter()
        .filter_map(|m| match &m.intent {
            crate::facts::Intent::Advice(code) => Some((m.name.clone(), code.clone())),
            crate::facts::Intent::Order => None,
        })
        .collect();
    if !advice.is_empty() {
        for f in &mut findings {
            f.notes.push(Note::Advice(advice.clone()));
        }
    }
    let age_unknown =
        facts.birth_date.is_none() && !facts.missing.contains(&crate::facts::DataArea::Patient);
    if !facts.missing.is_empty() || !facts.notes.is_empty() || age_unknown {
        let limits = Note::DataLimits {
            missing: facts.missing.iter().copied().collect(),
            notes: facts.notes.clone(),
            age_unknown,
        };
        for f in &mut findings {
            f.notes.push(limits.clone());
        }
    }
    let silenced = conflicts::resolve(&mut findings);
    findings.sort_by_key(|f| std::cmp::Reverse(f.indicator));
    fold_unread(&mut findings, facts);
    let weak: Vec<WeakDiagnosis> = facts
        .diagnoses
        .iter()
        .filter(|d| d.from_text || d.provisional)
        .map(|d| WeakDiagnosis {
            label: d.label.clone(),
            concept: d.concepts.first().copied(),
            from_text: d.from_text,
            provisional: d.provisional,
        })
        .fold(Vec::new(), |mut v, d| {
            if !v.contains(&d) {
                v.push(d);
            }
            v
        });
    if let (Some(first), false) = (findings.first_mut(), weak.is_empty()) {
        first.notes.push(Note::Diagnoses(weak));
    }
    Evaluation { findings, silenced }
}
