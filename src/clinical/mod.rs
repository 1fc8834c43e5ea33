//! The clinical vocabulary the rules share: a [`Finding`] and what it
//! carries (topics, severities, suggested actions, notes), the [`Policy`],
//! and the shared clinical reasoning (body size, steroid equivalence,
//! pre-treatment checks, reproductive state). Pure functions of the
//! [`crate::facts`]; nothing here knows of the rules, of HTTP, JSON or FHIR
//! wire formats, or of the words on a card.

pub mod body;
pub mod budget;
pub mod conflicts;
pub mod policy;
pub mod predicates;
pub mod pretreatment;
pub mod products;
pub mod reproductive;
pub mod steroids;

use crate::facts::{DataArea, Schedule};
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

/// A medication the clinician can order with one click. Its order text and
/// patient instruction are words of `starting`, the dose and the schedule.
#[derive(Debug, Clone, PartialEq)]
pub struct MedicationProposal {
    pub starting: Starting,
    /// RxNorm code and name; `None` where no verified code exists (then text only).
    pub rxnorm: Option<(&'static str, &'static str)>,
    pub dose_mg: f64,
    pub schedule: Schedule,
    pub route: ProposedRoute,
}

/// What a proposed medication order starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Starting {
    Methotrexate,
    Azathioprine,
    Mycophenolate,
    /// Folic acid beside methotrexate.
    FolicAcid,
}

/// A monitoring order or lab test (LOINC); its text and note are words of
/// `test`.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceProposal {
    pub test: Test,
    pub loinc: &'static str,
    pub display: &'static str,
}

/// The test or monitoring a service proposal orders.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Test {
    /// Creatine kinase, for myositis monitoring.
    CreatineKinase,
    /// A blood-pressure check now.
    BpCheck,
    /// Blood-pressure monitoring at home and every visit, reporting the
    /// policy's thresholds (mmHg).
    BpMonitoring {
        systolic: f64,
        diastolic: f64,
        rise: f64,
    },
    /// Serum creatinine, for renal crisis surveillance.
    Creatinine,
    /// TPMT and NUDT15 genotyping before azathioprine.
    TpmtNudt15,
    /// A myositis or SSc antibody, by its name (anti-Jo-1, ...).
    Antibody(&'static str),
}

/// What a change of a draft's dose is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// A corticosteroid draft to the dose once daily.
    Corticosteroid(crate::terminology::medication::Gc),
    /// A methotrexate draft to the dose once weekly, and why.
    WeeklyMethotrexate(WeeklyFix),
}

/// Why a methotrexate draft is changed to once weekly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WeeklyFix {
    /// A daily order: the same dose, weekly.
    SameDoseWeekly,
    /// A dose in grams read as milligrams.
    GramsAsMilligrams,
}

/// One action of a suggestion. Its description (and a suggestion's label,
/// the words of its first action) are the words module's.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    CreateMedication(MedicationProposal),
    CreateService(ServiceProposal),
    /// Change the dose of a draft order to `dose_mg` with `schedule`, as
    /// `product` (whole tablets of a product, or the ingredient in mg); the
    /// route fills in a draft that has none.
    UpdateDraftDose {
        change: Change,
        order_id: String,
        dose_mg: f64,
        /// What the changed order is for: its medication code and the dose
        /// quantity follow from it.
        product: products::DoseProduct,
        schedule: Schedule,
        route: ProposedRoute,
    },
    /// Remove a draft order (its id in the request), named as sent with its
    /// standing, and its drug when known.
    DeleteDraft {
        order_id: String,
        drug: Option<crate::terminology::medication::Drug>,
        name: crate::facts::Named,
    },
}

/// "Remove the order": the one action every critical card about a draft
/// carries (POLICY third edition, "Critical cards carry an action"); `None`
/// for an order that is not a draft of this request (it has no id).
pub fn remove_draft(m: &crate::facts::Med) -> Option<Suggestion> {
    let id = m.id.clone()?;
    Some(Suggestion {
        recommended: false,
        actions: vec![Action::DeleteDraft {
            order_id: id,
            drug: m.drug(),
            name: m.named(),
        }],
    })
}

/// One suggestion: its actions, taken together; its label is the words of
/// its first action.
#[derive(Debug, Clone, PartialEq)]
pub struct Suggestion {
    pub recommended: bool,
    pub actions: Vec<Action>,
}

/// What a suggestion offers, named the same on every card that offers it
/// whatever its dose: `kind/what` (`medication/methotrexate`,
/// `test/creatine-kinase`, `change/prednisone`, `removal/methotrexate`), by
/// its first action. The report counts acceptance by it, and by its kind.
impl Suggestion {
    pub fn key(&self) -> String {
        let Some(first) = self.actions.first() else {
            return String::new();
        };
        let (kind, what) = match first {
            Action::CreateMedication(p) => (
                "medication",
                match p.starting {
                    Starting::Methotrexate => "methotrexate",
                    Starting::Azathioprine => "azathioprine",
                    Starting::Mycophenolate => "mycophenolate",
                    Starting::FolicAcid => "folic-acid",
                },
            ),
            Action::CreateService(p) => (
                "test",
                match p.test {
                    Test::CreatineKinase => "creatine-kinase",
                    Test::BpCheck => "blood-pressure-check",
                    Test::BpMonitoring { .. } => "blood-pressure-monitoring",
                    Test::Creatinine => "creatinine",
                    Test::TpmtNudt15 => "tpmt-nudt15",
                    Test::Antibody(name) => name,
                },
            ),
            Action::UpdateDraftDose { change, .. } => (
                "change",
                match change {
                    Change::Corticosteroid(gc) => gc.name(),
                    Change::WeeklyMethotrexate(_) => "methotrexate",
                },
            ),
            Action::DeleteDraft { drug, .. } => ("removal", drug.map_or("draft", |d| d.name())),
        };
        format!("{kind}/{what}")
    }
}

/// What a suggestion offers, as one value: the kind of its first action and
/// its dose in mg where it has one (what the decision tests compare).
#[cfg(test)]
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Offered {
    Start(Starting, f64),
    Test(Test),
    Change(Change, f64),
    Remove(Option<crate::terminology::medication::Drug>),
}

#[cfg(test)]
impl Suggestion {
    pub fn offered(&self) -> Option<Offered> {
        Some(match self.actions.first()? {
            Action::CreateMedication(p) => Offered::Start(p.starting, p.dose_mg),
            Action::CreateService(p) => Offered::Test(p.test),
            Action::UpdateDraftDose {
                change, dose_mg, ..
            } => Offered::Change(*change, *dose_mg),
            Action::DeleteDraft { drug, .. } => Offered::Remove(*drug),
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Selection {
    AtMostOne,
    Any,
}

/// One finding: becomes one card. What it says is typed (`W`: a rule's own
/// finding with its figures and the inputs with their dates, or the
/// registry's `rules::What` holding any of them); the words alone turn it
/// into a summary and a detail.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding<W> {
    pub topic: Topic,
    pub indicator: Indicator,
    pub what: W,
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

impl<W> Finding<W> {
    /// The same finding, saying what it says as `V`.
    pub fn map<V>(self, f: impl FnOnce(W) -> V) -> Finding<V> {
        Finding {
            topic: self.topic,
            indicator: self.indicator,
            what: f(self.what),
            notes: self.notes,
            pull: self.pull,
            suggestions: self.suggestions,
            selection: self.selection,
            override_reasons: self.override_reasons,
        }
    }
}

#[cfg(test)]
impl Finding<()> {
    /// A finding with no words of interest, for the tables of `budget` and
    /// `conflicts`.
    pub(crate) fn bare(
        code: &'static str,
        indicator: Indicator,
        pull: Option<(&str, Direction)>,
    ) -> Finding<()> {
        Finding {
            topic: Topic {
                code,
                display: code,
            },
            indicator,
            what: (),
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

/// A finding of one of two kinds, for a rule that makes two kinds of card
/// (the IVIG check: its absolute limit on the order checks' shared card, its
/// g/kg dose on its own).
#[derive(Debug, Clone, PartialEq)]
pub enum Either<A, B> {
    Left(A),
    Right(B),
}

/// What a kind of finding reads: the data areas whose unread records its
/// card names (POLICY third edition, "Never silent").
pub trait Reads {
    /// The areas every finding of this kind reads.
    const AREAS: &'static [DataArea];

    fn reads(&self, area: DataArea) -> bool {
        Self::AREAS.contains(&area)
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
    Preliminary(Vec<crate::facts::Preliminary>),
    /// Diagnoses counted on weaker grounds than a confirmed code: read from
    /// the problem text, or provisional. On the patient's first card only.
    Diagnoses(Vec<WeakDiagnosis>),
    /// Data that could not be obtained or was set aside.
    DataLimits {
        missing: Vec<crate::facts::DataArea>,
        notes: Vec<crate::facts::SetAside>,
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

/// A figure a rule needed and did not have.
#[derive(Debug, Clone, PartialEq)]
pub struct Need {
    pub figure: Figure,
    /// What could not be checked without it.
    pub why: Unchecked,
}

/// What a rule could not check or compute for want of a figure.
#[derive(Debug, Clone, PartialEq)]
pub enum Unchecked {
    /// A glucocorticoid order's mg/kg dose (the order's name as sent).
    GcMgPerKg { order: String },
    /// IV methylprednisolone mg/kg.
    IvMethylprednisoloneMgPerKg,
    /// Methotrexate mg/m² of an order; `within_cap`: its weekly dose and the
    /// cap it is within, when it is.
    MtxMgPerM2 { within_cap: Option<(f64, f64)> },
    /// The methotrexate dose a steroid-sparing card would suggest (mg/m²).
    MtxDose,
    /// An azathioprine order's mg/kg of dosing weight.
    AzaMgPerKg,
    /// The azathioprine dose a steroid-sparing card would suggest.
    AzaDose,
    /// An IVIG order's g/kg of dosing weight.
    IvigGPerKg,
    /// The IVIG course an intensification card would suggest.
    IvigCourse,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Figure {
    Weight,
    Height,
    Sex,
}

/// What one rule found (`W`: its own kind of finding) and the figures it
/// lacked.
#[derive(Debug)]
pub struct Outcome<W> {
    pub findings: Vec<Finding<W>>,
    pub needs: Vec<Need>,
}

impl<W> Default for Outcome<W> {
    fn default() -> Self {
        Outcome {
            findings: Vec::new(),
            needs: Vec::new(),
        }
    }
}

impl<W> Outcome<W> {
    /// The same outcome, its findings saying what they say as `V`.
    pub fn map<V>(self, f: impl Fn(W) -> V) -> Outcome<V> {
        Outcome {
            findings: self.findings.into_iter().map(|x| x.map(&f)).collect(),
            needs: self.needs,
        }
    }
}
