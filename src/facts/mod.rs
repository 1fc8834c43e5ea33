//! Patient facts: the FHIR resources of a request, read into plain Rust types
//! the clinical rules can use without knowing anything of FHIR or JSON.
//!
//! This file is the model. The reading lives beside it, one job per file:
//! - `build`: FHIR resources → facts (patient scope, duplicates, dates);
//! - `route`: route of administration from the route ValueSets;
//! - `frequency`: administrations per week from a FHIR `Timing` or a sig;
//! - `dose`: mg per administration and per day/week;
//! - `plausibility`: weight, height and BMI that doses may be computed from;
//! - `renal`: current renal function and where it comes from;
//! - `orders`: order intent, and which active order a new one replaces;
//! - `units`: unit conversions.
//!
//! What counts clinically (SSc, myositis, a positive result) is decided in
//! the clinical module, not here.

mod build;
pub mod dose;
pub mod frequency;
pub mod limits;
pub mod orders;
pub mod plausibility;
mod problem_text;
pub mod renal;
pub mod route;
pub mod units;

use std::collections::BTreeSet;

use chrono::NaiveDate;

use crate::terminology::medication::{Drug, Identified};
use crate::terminology::Concept;
pub use build::{names_patient, Dropped, FactsBuilder};
pub use dose::{Derivation, Dose, ExposureDose, Schedule};
pub use frequency::{Certainty, Frequency, Note as FrequencyNote};
pub use limits::DataLimits;
pub use orders::Intent;
pub use plausibility::Trust;
pub use renal::{RenalFunction, RenalSource};
pub use route::Route;

/// Builds the matchers the facts use (dose and frequency phrases) now, at
/// start-up, so the first request is not slower than the rest.
pub fn warm() {
    dose::warm();
    frequency::warm();
    problem_text::warm();
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sex {
    Female,
    Male,
}

/// Areas of patient data, one per prefetch key of the services.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DataArea {
    Patient,
    Conditions,
    Medications,
    Weight,
    Height,
    BloodPressure,
    RenalFunction,
    Labs,
    PregnancyStatus,
}

/// How a medication stands when it is not simply an active order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// An order on hold.
    OnHold,
    /// Reported by the patient or another clinician, not ordered here.
    Reported,
}

/// A medication's name as sent, with its standing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Named {
    pub name: String,
    pub standing: Option<Standing>,
}

/// A name with no standing (an active order).
impl From<&str> for Named {
    fn from(name: &str) -> Self {
        Named {
            name: name.into(),
            standing: None,
        }
    }
}

/// A draft medication order that could not be read, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UnreadableOrder {
    /// Draft `index` (from 1) of `of`: neither a code nor a name.
    NoMedication { index: usize, of: usize },
    /// A draft of `resource_type` that did not parse; `error` is the kind
    /// of error ("data", "syntax").
    Malformed {
        resource_type: String,
        error: &'static str,
    },
}

/// A measured figure converted to the canonical unit (kg, cm).
#[derive(Debug, Clone, PartialEq)]
pub struct Reading {
    pub value: f64,
    pub original_value: f64,
    pub original_unit: String,
    pub date: Option<NaiveDate>,
    /// "Observation/id".
    pub source: String,
    /// Whether doses may be computed from it (see `plausibility`).
    pub trust: Trust,
}

#[derive(Debug, Clone, PartialEq)]
pub struct BloodPressure {
    pub systolic: Option<f64>,
    pub diastolic: Option<f64>,
    pub date: Option<NaiveDate>,
    pub source: String,
}

/// How a result's value is to be read (FHIR `Quantity.comparator`): "> 60"
/// is at least 60, "< 15" below 15. A value with one never feeds a dose
/// calculation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparator {
    Below,
    AtMost,
    AtLeast,
    Above,
}

/// A record set aside while the facts were built, named on every card
/// (its data limits).
#[derive(Debug, Clone, PartialEq)]
pub enum SetAside {
    /// A result with an impossible value (negative or absurd): its label as
    /// recorded and its date.
    ImpossibleResult {
        label: String,
        date: Option<NaiveDate>,
    },
    /// A weight (or height) sent as a bound ("> 150 kg"), not a measurement.
    BoundBody {
        weight: bool,
        comparator: Comparator,
        value: f64,
        unit: String,
        date: Option<NaiveDate>,
    },
    /// A weight (or height) whose value is impossible once converted.
    ImpossibleBody {
        weight: bool,
        date: Option<NaiveDate>,
    },
    /// A dose per kg or m² with no usable weight or area: the order's name
    /// and what was ordered.
    DoseNotComputed {
        order: String,
        dose: dose::NotComputed,
    },
}

impl Comparator {
    /// From FHIR's code (`ad`, "as determined", is no bound: `None`).
    pub fn from_fhir(code: &str) -> Option<Comparator> {
        match code.trim() {
            "<" => Some(Comparator::Below),
            "<=" => Some(Comparator::AtMost),
            ">=" => Some(Comparator::AtLeast),
            ">" => Some(Comparator::Above),
            _ => None,
        }
    }
    /// As a clinician writes it: "<", "≤", "≥", ">".
    pub fn sign(self) -> &'static str {
        match self {
            Comparator::Below => "<",
            Comparator::AtMost => "≤",
            Comparator::AtLeast => "≥",
            Comparator::Above => ">",
        }
    }
    /// Whether the value is an upper bound (the true figure is at most it).
    pub fn is_upper_bound(self) -> bool {
        matches!(self, Comparator::Below | Comparator::AtMost)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Lab {
    pub concepts: Vec<Concept>,
    /// Code display or text, for text matching and for the card.
    pub label: String,
    pub quantity: Option<(f64, String)>,
    /// The quantity's comparator ("> 60"), when it has one.
    pub comparator: Option<Comparator>,
    /// Coded or string result ("Positive", "Detected"...), lower-case; the
    /// interpretation's when there is no value.
    pub result_text: Option<String>,
    /// The interpretation ("Low", "Poor metabolizer"...), lower-case, when
    /// sent beside a value.
    pub interpretation: Option<String>,
    /// (system, code) of the coded result.
    pub codes: Vec<(String, String)>,
    /// (system, code) of the observation's own code.
    pub code: Vec<(String, String)>,
    pub upper_limit: Option<f64>,
    pub date: Option<NaiveDate>,
    pub source: String,
}

impl Lab {
    /// Whether the observation carries this code (any system).
    pub fn has_code(&self, code: &str) -> bool {
        self.code.iter().any(|(_, c)| c == code)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Diagnosis {
    pub concepts: Vec<Concept>,
    pub label: String,
    pub active: bool,
    pub onset: Option<NaiveDate>,
    pub source: String,
    /// Read from the problem text (`code.text` or a coding's display): no
    /// code of the record is one we know. Cards say so.
    pub from_text: bool,
    /// verificationStatus unconfirmed, provisional or differential: counted
    /// (safety first) and named "provisional" on the cards.
    pub provisional: bool,
}

/// A medication order or an active medication.
#[derive(Debug, Clone, PartialEq)]
pub struct Med {
    /// "MedicationRequest/id" (or "draft order N" when the draft has no id).
    pub reference: String,
    pub id: Option<String>,
    /// Name as ordered (display or text), for the card.
    pub name: String,
    pub identified: Option<Identified>,
    pub route: Route,
    /// The dose for limits and risk rules: of the instruction (or the
    /// instructions given together) with the highest daily dose; a range at
    /// its high end; an as-needed dose at its maximum.
    pub dose: Option<Dose>,
    /// The dose for today's glucocorticoid exposure, where it differs from
    /// `dose` (a taper's first step; as-needed: not counted).
    pub exposure: ExposureDose,
    /// How often, read whether or not a dose could be: of the instruction
    /// with the most administration days (unknown when none says).
    pub frequency: Frequency,
    pub instructions: usize,
    pub authored: Option<NaiveDate>,
    /// MedicationRequest.status as sent ("active", "draft", "stopped"...).
    pub status: Option<String>,
    /// Order, or advice (proposal, plan, option).
    pub intent: Intent,
    /// The active order this one replaces (`priorPrescription`), as sent.
    pub prior_prescription: Option<String>,
    /// References of the active medications this order replaces (see `orders`).
    pub replaces: Vec<String>,
    /// Total administrations ordered (`timing.repeat.count`), when stated.
    pub count: Option<f64>,
    /// Course length in days (`timing.repeat.boundsDuration`), when stated.
    pub course_days: Option<f64>,
    /// Where the record came from: an order, or a reported medication.
    pub source_kind: SourceKind,
    /// An order on hold: it may resume, so it counts for duplicates and
    /// interactions, not for today's steroid exposure.
    pub on_hold: bool,
}

/// The kind of record a medication was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SourceKind {
    /// A MedicationRequest (or DSTU2 MedicationOrder).
    #[default]
    Order,
    /// A MedicationStatement: taken as reported (patient, another prescriber).
    Reported,
}

impl Med {
    /// How it stands, when not simply active (POLICY third edition,
    /// "Medications as EHRs send them").
    pub fn standing(&self) -> Option<Standing> {
        if self.on_hold {
            Some(Standing::OnHold)
        } else if self.source_kind == SourceKind::Reported {
            Some(Standing::Reported)
        } else {
            None
        }
    }

    /// The name as sent, with its standing: how a card names the
    /// medication it used.
    pub fn named(&self) -> Named {
        Named {
            name: self.name.clone(),
            standing: self.standing(),
        }
    }

    /// Whether it counts for today's steroid exposure (an order on hold does not).
    pub fn taken_now(&self) -> bool {
        !self.on_hold
    }
    pub fn drug(&self) -> Option<Drug> {
        self.identified.as_ref().map(|i| i.drug)
    }
    pub fn is(&self, drug: Drug) -> bool {
        self.drug() == Some(drug)
    }
    /// The dose for today's exposure (`None`: unknown, or as needed).
    pub fn exposure_dose(&self) -> Option<&Dose> {
        match &self.exposure {
            ExposureDose::Limit => self.dose.as_ref(),
            ExposureDose::Step(d) => d.as_ref(),
            ExposureDose::AsNeeded => None,
        }
    }
}

/// What the clinician is doing when the hook fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Setting {
    /// order-select / order-sign: the orders are in `Facts::orders`.
    OrderEntry,
    /// patient-view: no orders.
    ChartView,
}

/// What kind of record could not be classified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RecordKind {
    /// A diagnosis (Condition).
    Condition,
    /// An active medication (MedicationRequest or MedicationStatement).
    Medication,
    /// A result (Observation).
    Result,
}

/// Why a record could not be classified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum UnreadReason {
    /// Its code is in a system, or is a code, the service does not know.
    UnknownCode,
    /// It points to a resource the request did not include and the server
    /// did not supply (a Medication reference, say).
    UnresolvedReference,
    /// Its unit is not one the service can convert.
    UnknownUnit,
}

/// A record the service received for a patient in scope but could not
/// classify. It is never dropped without a word: the card that would have
/// used it names it (the words module says how).
#[derive(Debug, Clone, PartialEq)]
pub struct Unclassified {
    pub kind: RecordKind,
    pub reason: UnreadReason,
    /// The data area it would have fed, when known (a result with an
    /// unknown unit whose code says it is a weight: `Weight`).
    pub area: Option<DataArea>,
    /// The record's own label (display or text) as sent, for the card;
    /// escaped when rendered. Never an id.
    pub label: Option<String>,
    /// A result with a unit the service cannot read: its value, its unit as
    /// sent (empty: none) and its date, for the card to name.
    pub value: Option<(f64, String, Option<NaiveDate>)>,
}

/// A preliminary result that was used: named on the cards that read its area.
#[derive(Debug, Clone, PartialEq)]
pub struct Preliminary {
    /// The data area it feeds (`None`: a result no area names).
    pub area: Option<DataArea>,
    /// What it is ("weight", "eGFR", or the result's label as recorded).
    pub name: String,
    /// Its value as sent, when it has one.
    pub value: Option<Sent>,
    pub date: Option<NaiveDate>,
}

/// A quantity as sent: its bound, value and unit.
#[derive(Debug, Clone, PartialEq)]
pub struct Sent {
    pub comparator: Option<Comparator>,
    pub value: f64,
    pub unit: String,
}

/// A figure left out because it cannot be true yet (dated in the future).
#[derive(Debug, Clone, PartialEq)]
pub struct Ignored {
    /// What it would have been used as ("weight", "eGFR", "creatinine", ...).
    pub what: &'static str,
    /// The result's label as recorded, named when it has no value.
    pub label: String,
    /// Its value as sent, when it has one.
    pub value: Option<Sent>,
    pub date: NaiveDate,
}

#[derive(Debug, Clone)]
pub struct Facts {
    pub today: NaiveDate,
    pub setting: Setting,
    pub patient_id: Option<String>,
    pub sex: Option<Sex>,
    /// The birth date; for a partial one (year, or year and month), the
    /// latest day it allows: the youngest possible age decides "adult".
    pub birth_date: Option<NaiveDate>,
    /// For a partial birth date, the earliest day it allows (the oldest
    /// possible age); the same as `birth_date` when the date is complete.
    pub birth_date_earliest: Option<NaiveDate>,
    /// Most recent first, each with its trust.
    pub weights: Vec<Reading>,
    /// Most recent first, each with its trust.
    pub heights: Vec<Reading>,
    pub diagnoses: Vec<Diagnosis>,
    pub active_meds: Vec<Med>,
    /// The orders the hook asks about (order-select: the selected ones).
    pub orders: Vec<Med>,
    /// Draft orders not selected (order-select only).
    pub other_drafts: Vec<Med>,
    /// Draft entries that look like medication orders but could not be read.
    pub unreadable_orders: Vec<UnreadableOrder>,
    /// What drafted ServiceRequests order (monitoring, tests), as concepts.
    pub drafted_services: Vec<crate::terminology::Concept>,
    /// Most recent first.
    pub blood_pressures: Vec<BloodPressure>,
    /// Most recent first.
    pub labs: Vec<Lab>,
    /// Observations dated in the future, left out.
    pub ignored_future: Vec<Ignored>,
    /// Records received but not classified (see [`Unclassified`]).
    pub unclassified: Vec<Unclassified>,
    /// Preliminary results used (see [`Preliminary`]).
    pub preliminary: Vec<Preliminary>,
    /// Data the request could not supply.
    pub missing: BTreeSet<DataArea>,
    /// Figures present but unusable (unknown unit...), said on the cards.
    pub notes: Vec<SetAside>,
    /// The plausibility limits the facts were read with.
    pub limits: DataLimits,
}

impl Facts {
    pub fn new(today: NaiveDate) -> Self {
        Facts {
            today,
            setting: Setting::OrderEntry,
            patient_id: None,
            sex: None,
            birth_date: None,
            birth_date_earliest: None,
            weights: vec![],
            heights: vec![],
            diagnoses: vec![],
            active_meds: vec![],
            orders: vec![],
            other_drafts: vec![],
            unreadable_orders: vec![],
            drafted_services: vec![],
            blood_pressures: vec![],
            labs: vec![],
            ignored_future: vec![],
            unclassified: vec![],
            preliminary: vec![],
            missing: BTreeSet::new(),
            notes: vec![],
            limits: DataLimits::default(),
        }
    }

    /// An active diagnosis of this concept.
    pub fn has(&self, c: Concept) -> bool {
        self.diagnoses
            .iter()
            .any(|d| d.active && d.concepts.contains(&c))
    }
    /// A diagnosis of this concept, active or not (history).
    pub fn ever(&self, c: Concept) -> bool {
        self.diagnoses.iter().any(|d| d.concepts.contains(&c))
    }
    /// The newest weight, when doses may be computed from it: `None` when
    /// there is none, or when it is implausible or unconfirmed (then
    /// [`Facts::doubtful_weight`] has it).
    pub fn weight(&self) -> Option<&Reading> {
        self.weights.first().filter(|r| r.trust.is_usable())
    }
    /// The newest height, when doses may be computed from it.
    pub fn height(&self) -> Option<&Reading> {
        self.heights.first().filter(|r| r.trust.is_usable())
    }
    /// The newest weight when it is implausible or unconfirmed.
    pub fn doubtful_weight(&self) -> Option<&Reading> {
        self.weights.first().filter(|r| !r.trust.is_usable())
    }
    /// The newest height when it is implausible or unconfirmed.
    pub fn doubtful_height(&self) -> Option<&Reading> {
        self.heights.first().filter(|r| !r.trust.is_usable())
    }
    /// Age in whole years today, when the birth date is known; for a partial
    /// birth date, the youngest possible age (it decides "adult").
    pub fn age_years(&self) -> Option<u32> {
        let b = self.birth_date?;
        self.today.years_since(b)
    }
    /// The age CKD-EPI uses: for a partial birth date, the oldest possible
    /// age (the lower eGFR, the safe side), and only when even the youngest
    /// possible age is an adult's; else the youngest (the equation then
    /// declines a child).
    pub fn age_for_egfr(&self) -> Option<u32> {
        let youngest = self.age_years()?;
        if youngest < 18 {
            return Some(youngest);
        }
        let oldest = self
            .birth_date_earliest
            .and_then(|b| self.today.years_since(b));
        Some(oldest.unwrap_or(youngest).max(youngest))
    }
    pub fn latest_lab(&self, c: Concept) -> Option<&Lab> {
        self.labs.iter().find(|l| l.concepts.contains(&c))
    }
    /// Current renal function and its source (see `renal`).
    pub fn renal(&self) -> RenalFunction {
        let mut r = renal::assess(&renal::RenalInputs {
            today: self.today,
            labs: &self.labs,
            diagnoses: &self.diagnoses,
            age: self.age_for_egfr(),
            sex: self.sex,
            limits: &self.limits,
        });
        r.ignored_future = self
            .ignored_future
            .iter()
            .filter(|i| i.what == "eGFR" || i.what == "creatinine")
            .cloned()
            .collect();
        r
    }
    pub fn latest_bp(&self) -> Option<&BloodPressure> {
        self.blood_pressures.first()
    }
    /// Future-dated figures that would have served as `what`.
    pub fn ignored(&self, what: &str) -> impl Iterator<Item = &Ignored> {
        let what = what.to_string();
        self.ignored_future.iter().filter(move |i| i.what == what)
    }
    /// Active medications and all draft orders.
    pub fn all_meds(&self) -> impl Iterator<Item = &Med> {
        self.active_meds
            .iter()
            .chain(&self.orders)
            .chain(&self.other_drafts)
    }
}
