//! Patient facts: the FHIR resources of a request, read into plain Rust types
//! the clinical rules can use without knowing anything of FHIR or JSON.
//!
//! Weight and height are converted to kg and cm (never guessed when the unit
//! is unknown); conditions carry the concepts of their codes; medications are
//! identified, routed and dosed; observations become blood pressures and labs.

pub mod dose;
pub mod units;

use std::collections::{BTreeSet, HashMap};

use chrono::NaiveDate;

use crate::fhir::{self, CodeableConcept, Resource};
use crate::terminology::medication::{self, DoseForm, Drug, Identified};
use crate::terminology::{Concept, Terminology, SNOMED};
pub use dose::{fmt_num, Dose, Schedule};

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

impl DataArea {
    pub fn describe(self) -> &'static str {
        match self {
            DataArea::Patient => "sex and age (Patient)",
            DataArea::Conditions => "diagnoses (Condition)",
            DataArea::Medications => "active medications (MedicationRequest)",
            DataArea::Weight => "body weight",
            DataArea::Height => "body height",
            DataArea::BloodPressure => "blood pressure",
            DataArea::RenalFunction => "renal function (eGFR, creatinine)",
            DataArea::Labs => "laboratory results",
            DataArea::PregnancyStatus => "pregnancy status",
        }
    }
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
}

#[derive(Debug, Clone, PartialEq)]
pub struct BloodPressure {
    pub systolic: Option<f64>,
    pub diastolic: Option<f64>,
    pub date: Option<NaiveDate>,
    pub source: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Lab {
    pub concepts: Vec<Concept>,
    /// Code display or text, for text matching and for the card.
    pub label: String,
    pub quantity: Option<(f64, String)>,
    /// Coded or string result ("Positive", "Detected"...), lower-case.
    pub result_text: Option<String>,
    pub codes: Vec<(String, String)>,
    pub upper_limit: Option<f64>,
    pub date: Option<NaiveDate>,
    pub source: String,
}

impl Lab {
    /// A qualitative or quantitative positive result.
    pub fn is_positive(&self) -> bool {
        if let Some(t) = &self.result_text {
            let neg = [
                "negative",
                "not detected",
                "absent",
                "non-reactive",
                "nonreactive",
            ];
            if neg.iter().any(|n| t.contains(n)) {
                return false;
            }
            if ["positive", "detected", "present", "reactive"]
                .iter()
                .any(|p| t.contains(p))
            {
                return true;
            }
        }
        if self
            .codes
            .iter()
            .any(|(s, c)| s == SNOMED && c == "10828004")
        {
            return true;
        }
        matches!((self.quantity.as_ref(), self.upper_limit), (Some((v, _)), Some(h)) if *v > h)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Diagnosis {
    pub concepts: Vec<Concept>,
    pub label: String,
    pub active: bool,
    pub onset: Option<NaiveDate>,
    pub source: String,
}

/// Route class for the glucocorticoid rules (REFERENCE.md 2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    Oral,
    Sublingual,
    Intravenous,
    Intramuscular,
    Subcutaneous,
    /// Parenteral, route not stated but the dose form is systemic.
    OtherSystemic,
    Local,
    /// Injectable suspension without a route: IM (systemic) or intra-articular.
    Ambiguous,
    Unknown,
}

impl Route {
    pub fn is_systemic(self) -> bool {
        matches!(
            self,
            Route::Oral
                | Route::Sublingual
                | Route::Intravenous
                | Route::Intramuscular
                | Route::Subcutaneous
                | Route::OtherSystemic
        )
    }
    pub fn describe(self) -> &'static str {
        match self {
            Route::Oral => "oral",
            Route::Sublingual => "sublingual",
            Route::Intravenous => "IV",
            Route::Intramuscular => "IM",
            Route::Subcutaneous => "SC",
            Route::OtherSystemic => "parenteral",
            Route::Local => "local",
            Route::Ambiguous => "route not stated",
            Route::Unknown => "route unknown",
        }
    }
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
    /// The dose of the instruction with the highest daily dose.
    pub dose: Option<Dose>,
    pub instructions: usize,
    pub authored: Option<NaiveDate>,
    /// MedicationRequest.status as sent ("active", "draft", "stopped"...).
    pub status: Option<String>,
    /// Total administrations ordered (`timing.repeat.count`), when stated.
    pub count: Option<f64>,
    /// Course length in days (`timing.repeat.boundsDuration`), when stated.
    pub course_days: Option<f64>,
}

impl Med {
    pub fn drug(&self) -> Option<Drug> {
        self.identified.as_ref().map(|i| i.drug)
    }
    pub fn is(&self, drug: Drug) -> bool {
        self.drug() == Some(drug)
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

#[derive(Debug, Clone)]
pub struct Facts {
    pub today: NaiveDate,
    pub setting: Setting,
    pub patient_id: Option<String>,
    pub sex: Option<Sex>,
    pub birth_date: Option<NaiveDate>,
    /// Most recent first.
    pub weights: Vec<Reading>,
    /// Most recent first.
    pub heights: Vec<Reading>,
    pub diagnoses: Vec<Diagnosis>,
    pub active_meds: Vec<Med>,
    /// The orders the hook asks about (order-select: the selected ones).
    pub orders: Vec<Med>,
    /// Draft orders not selected (order-select only).
    pub other_drafts: Vec<Med>,
    /// Most recent first.
    pub blood_pressures: Vec<BloodPressure>,
    /// Most recent first.
    pub labs: Vec<Lab>,
    /// Data the request could not supply.
    pub missing: BTreeSet<DataArea>,
    /// Figures present but unusable (unknown unit...), said on the cards.
    pub notes: Vec<String>,
}

impl Facts {
    pub fn new(today: NaiveDate) -> Self {
        Facts {
            today,
            setting: Setting::OrderEntry,
            patient_id: None,
            sex: None,
            birth_date: None,
            weights: vec![],
            heights: vec![],
            diagnoses: vec![],
            active_meds: vec![],
            orders: vec![],
            other_drafts: vec![],
            blood_pressures: vec![],
            labs: vec![],
            missing: BTreeSet::new(),
            notes: vec![],
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
    /// Systemic sclerosis (not localized scleroderma).
    pub fn has_ssc(&self) -> bool {
        [
            Concept::Ssc,
            Concept::SscIld,
            Concept::SscMyopathy,
            Concept::SscDiffuse,
            Concept::Overlap,
        ]
        .iter()
        .any(|c| self.has(*c))
    }
    /// Inflammatory myositis (inclusion body myositis alone does not count;
    /// unspecified myositis counts only with SSc).
    pub fn has_myositis(&self) -> bool {
        [
            Concept::Dermatomyositis,
            Concept::Polymyositis,
            Concept::Imnm,
            Concept::SscMyopathy,
            Concept::Overlap,
            Concept::OverlapMctd,
            Concept::Mctd,
        ]
        .iter()
        .any(|c| self.has(*c))
            || (self.has(Concept::MyositisNos) && self.has_ssc())
    }
    pub fn in_scope(&self) -> bool {
        self.has_ssc() || self.has_myositis()
    }
    pub fn weight(&self) -> Option<&Reading> {
        self.weights.first()
    }
    pub fn height(&self) -> Option<&Reading> {
        self.heights.first()
    }
    pub fn latest_lab(&self, c: Concept) -> Option<&Lab> {
        self.labs.iter().find(|l| l.concepts.contains(&c))
    }
    /// Most recent eGFR in mL/min/1.73 m2, with its lab.
    pub fn egfr(&self) -> Option<(f64, &Lab)> {
        self.labs.iter().find_map(|l| {
            if !l.concepts.contains(&Concept::Egfr) {
                return None;
            }
            let (v, u) = l.quantity.as_ref()?;
            units::to_egfr(*v, u).map(|v| (v, l))
        })
    }
    pub fn latest_bp(&self) -> Option<&BloodPressure> {
        self.blood_pressures.first()
    }
    /// Active medications and all draft orders.
    pub fn all_meds(&self) -> impl Iterator<Item = &Med> {
        self.active_meds
            .iter()
            .chain(&self.orders)
            .chain(&self.other_drafts)
    }
}

fn codings(cc: &CodeableConcept) -> Vec<medication::CodingRef<'_>> {
    cc.coding
        .iter()
        .map(|c| (c.system.as_deref(), c.code.as_deref(), c.display.as_deref()))
        .collect()
}

fn concepts_of(t: &Terminology, cc: &CodeableConcept) -> Vec<Concept> {
    let mut out = Vec::new();
    for c in &cc.coding {
        if let (Some(s), Some(code)) = (&c.system, &c.code) {
            for k in t.concepts(s, code) {
                if !out.contains(&k) {
                    out.push(k);
                }
            }
        }
    }
    out
}

fn route_of(t: &Terminology, route: Option<&CodeableConcept>, form: Option<DoseForm>) -> Route {
    if form == Some(DoseForm::Local) {
        return Route::Local;
    }
    if let Some(cc) = route {
        for c in &cc.coding {
            let (Some(s), Some(code)) = (c.system.as_deref(), c.code.as_deref()) else {
                continue;
            };
            if t.contains(Concept::RouteLocal, s, code) {
                return Route::Local;
            }
            if t.contains(Concept::RouteSystemic, s, code) {
                return match code {
                    "26643006" => Route::Oral,
                    "47625008" => Route::Intravenous,
                    "78421000" => Route::Intramuscular,
                    "34206005" => Route::Subcutaneous,
                    "37839007" => Route::Sublingual,
                    _ => Route::OtherSystemic,
                };
            }
        }
        let words: Vec<String> = cc
            .coding
            .iter()
            .flat_map(|c| [c.code.clone(), c.display.clone()])
            .chain([cc.text.clone()])
            .flatten()
            .map(|w| w.to_ascii_lowercase())
            .collect();
        for w in &words {
            let w = w.trim();
            let r = match w {
                "po" | "oral" | "by mouth" | "oral route" | "orally" => Some(Route::Oral),
                "iv" | "intravenous" | "intravenous route" => Some(Route::Intravenous),
                "im" | "intramuscular" | "intramuscular route" => Some(Route::Intramuscular),
                "sc" | "sq" | "subcut" | "subcutaneous" | "subcutaneous route" => {
                    Some(Route::Subcutaneous)
                }
                "sl" | "sublingual" => Some(Route::Sublingual),
                _ if [
                    "topical",
                    "inhal",
                    "nasal",
                    "ophthalmic",
                    "otic",
                    "intra-articular",
                    "intraarticular",
                    "intralesional",
                    "rectal",
                    "vaginal",
                    "transdermal",
                    "cutaneous",
                ]
                .iter()
                .any(|k| w.contains(k)) =>
                {
                    Some(Route::Local)
                }
                _ => None,
            };
            if let Some(r) = r {
                return r;
            }
        }
    }
    match form {
        Some(DoseForm::Oral) => Route::Oral,
        Some(DoseForm::Injection) => Route::OtherSystemic,
        Some(DoseForm::AmbiguousInjection) => Route::Ambiguous,
        _ => Route::Unknown,
    }
}

/// Collects resources and builds [`Facts`].
pub struct FactsBuilder<'t> {
    t: &'t Terminology,
    facts: Facts,
    medications: HashMap<String, CodeableConcept>,
    active: Vec<fhir::MedicationRequest>,
    drafts: Vec<(fhir::MedicationRequest, bool)>,
    bp_parts: Vec<(Concept, f64, Option<NaiveDate>, String)>,
}

impl<'t> FactsBuilder<'t> {
    pub fn new(t: &'t Terminology, today: NaiveDate) -> Self {
        FactsBuilder {
            t,
            facts: Facts::new(today),
            medications: HashMap::new(),
            active: vec![],
            drafts: vec![],
            bp_parts: vec![],
        }
    }

    pub fn setting(mut self, setting: Setting) -> Self {
        self.facts.setting = setting;
        self
    }

    pub fn patient_id(mut self, id: Option<&str>) -> Self {
        self.facts.patient_id = id.map(str::to_string);
        self
    }

    pub fn missing(&mut self, area: DataArea) {
        self.facts.missing.insert(area);
    }

    /// A draft order; `triggering` when the hook asks about it.
    pub fn draft(&mut self, mr: fhir::MedicationRequest, triggering: bool) {
        self.drafts.push((mr, triggering));
    }

    /// A resource from the patient record (prefetch or FHIR server).
    pub fn add(&mut self, r: Resource) {
        match r {
            Resource::Patient(p) => {
                self.facts.sex = match p.gender.as_deref() {
                    Some("female") => Some(Sex::Female),
                    Some("male") => Some(Sex::Male),
                    _ => None,
                };
                self.facts.birth_date = p.birth_date.as_deref().and_then(fhir::date);
            }
            Resource::Condition(c) => self.condition(c),
            Resource::Observation(o) => self.observation(*o),
            Resource::MedicationRequest(m) => {
                if m.status.as_deref().is_none_or(|s| s == "active") {
                    self.active.push(*m);
                }
            }
            Resource::Medication(m) => {
                if let (Some(id), Some(code)) = (m.id, m.code) {
                    self.medications.insert(format!("Medication/{id}"), code);
                }
            }
            Resource::Bundle(_) | Resource::OperationOutcome(_) | Resource::Other(_) => {}
        }
    }

    fn condition(&mut self, c: fhir::Condition) {
        let status = |cc: &Option<CodeableConcept>| {
            cc.as_ref()
                .and_then(|cc| cc.coding.iter().find_map(|c| c.code.clone()))
                .unwrap_or_default()
        };
        let verification = status(&c.verification_status);
        if verification == "refuted" || verification == "entered-in-error" {
            return;
        }
        let clinical = status(&c.clinical_status);
        let Some(code) = &c.code else { return };
        let concepts = concepts_of(self.t, code);
        if concepts.is_empty() {
            return;
        }
        self.facts.diagnoses.push(Diagnosis {
            concepts,
            label: code.label().unwrap_or("(no display)").to_string(),
            active: !matches!(clinical.as_str(), "inactive" | "resolved"),
            onset: c
                .onset_date_time
                .as_deref()
                .or(c.onset_period.as_ref().and_then(|p| p.start.as_deref()))
                .or(c.recorded_date.as_deref())
                .and_then(fhir::date),
            source: format!("Condition/{}", c.id.as_deref().unwrap_or("?")),
        });
    }

    fn observation(&mut self, o: fhir::Observation) {
        if matches!(o.status.as_deref(), Some("entered-in-error" | "cancelled")) {
            return;
        }
        let Some(code) = &o.code else { return };
        let concepts = concepts_of(self.t, code);
        let date = o.when().and_then(fhir::date);
        let source = format!("Observation/{}", o.id.as_deref().unwrap_or("?"));
        let q = o
            .value_quantity
            .as_ref()
            .and_then(|q| Some((q.value?, q.unit_code().unwrap_or("").to_string())));
        let label = code.label().unwrap_or("(no display)").to_string();
        if concepts.contains(&Concept::BodyWeight) || concepts.contains(&Concept::BodyHeight) {
            let weight = concepts.contains(&Concept::BodyWeight);
            let Some((v, unit)) = q else { return };
            let converted = if weight {
                units::to_kg(v, &unit)
            } else {
                units::to_cm(v, &unit)
            };
            match converted {
                Some(value) if value > 0.0 => {
                    let r = Reading {
                        value,
                        original_value: v,
                        original_unit: unit,
                        date,
                        source,
                    };
                    if weight {
                        self.facts.weights.push(r)
                    } else {
                        self.facts.heights.push(r)
                    }
                }
                _ => self.facts.notes.push(format!(
                    "{} {} has unit \"{}\", which cannot be converted; not used",
                    if weight { "Weight" } else { "Height" },
                    source,
                    unit
                )),
            }
            return;
        }
        if concepts.contains(&Concept::BpPanel) || !o.component.is_empty() {
            let mut bp = BloodPressure {
                systolic: None,
                diastolic: None,
                date,
                source: source.clone(),
            };
            for comp in &o.component {
                let Some(cc) = &comp.code else { continue };
                let cs = concepts_of(self.t, cc);
                let v = comp
                    .value_quantity
                    .as_ref()
                    .and_then(|q| units::to_mmhg(q.value?, q.unit_code().unwrap_or("mm[Hg]")));
                if cs.contains(&Concept::BpSystolic) {
                    bp.systolic = v;
                } else if cs.contains(&Concept::BpDiastolic) {
                    bp.diastolic = v;
                }
            }
            if bp.systolic.is_some() || bp.diastolic.is_some() {
                self.facts.blood_pressures.push(bp);
                return;
            }
        }
        for part in [Concept::BpSystolic, Concept::BpDiastolic] {
            if concepts.contains(&part) {
                if let Some(v) = q
                    .as_ref()
                    .and_then(|(v, u)| units::to_mmhg(*v, if u.is_empty() { "mm[Hg]" } else { u }))
                {
                    self.bp_parts.push((part, v, date, source));
                }
                return;
            }
        }
        let mut result_text = o.value_string.as_ref().map(|s| s.to_ascii_lowercase());
        let mut codes = Vec::new();
        if let Some(cc) = &o.value_codeable_concept {
            result_text = cc.label().map(str::to_ascii_lowercase).or(result_text);
            codes = cc
                .coding
                .iter()
                .filter_map(|c| {
                    Some((
                        crate::terminology::canonical_system(c.system.as_deref()?).to_string(),
                        c.code.clone()?,
                    ))
                })
                .collect();
        }
        if result_text.is_none() {
            result_text = o
                .interpretation
                .iter()
                .find_map(|i| i.label().map(str::to_ascii_lowercase));
        }
        self.facts.labs.push(Lab {
            concepts,
            label,
            quantity: q,
            result_text,
            codes,
            upper_limit: o
                .reference_range
                .iter()
                .find_map(|r| r.high.as_ref()?.value),
            date,
            source,
        });
    }

    fn med(&self, m: &fhir::MedicationRequest, index: usize) -> Med {
        let id = m.id.clone();
        let reference = match &id {
            Some(id) => format!("MedicationRequest/{id}"),
            None => format!("draft order {}", index + 1),
        };
        let mut cc = m.medication_codeable_concept.clone();
        if cc.is_none() {
            if let Some(r) = m
                .medication_reference
                .as_ref()
                .and_then(|r| r.reference.as_deref())
            {
                if let Some(local) = r.strip_prefix('#') {
                    cc = m
                        .contained
                        .iter()
                        .find_map(|raw| match fhir::parse_resource(raw) {
                            Ok(Resource::Medication(med)) if med.id.as_deref() == Some(local) => {
                                med.code
                            }
                            _ => None,
                        });
                } else {
                    // "Medication/m1", relative or at the end of an absolute URL.
                    let key = r.rfind("Medication/").map_or(r, |i| &r[i..]);
                    cc = self.medications.get(key).cloned();
                }
            }
        }
        let cc = cc.unwrap_or_default();
        let identified = medication::identify(self.t, &codings(&cc), cc.text.as_deref());
        let name = cc
            .label()
            .map(str::to_string)
            .or_else(|| identified.as_ref().map(|i| i.name.clone()))
            .unwrap_or_else(|| "(unnamed medication)".into());
        let strength = identified.as_ref().and_then(|i| i.strength);
        let form = identified.as_ref().map(|i| i.form);
        let mut route = Route::Unknown;
        let mut best: Option<Dose> = None;
        for (i, d) in m.dosage_instruction.iter().enumerate() {
            let r = route_of(self.t, d.route.as_ref(), form);
            if i == 0 || (route == Route::Unknown && r != Route::Unknown) {
                route = r;
            }
            if let Some(dose) = dose::dose(d, strength) {
                let better = match (
                    &best,
                    dose.per_day_mg(),
                    best.as_ref().and_then(|b| b.per_day_mg()),
                ) {
                    (None, _, _) => true,
                    (Some(_), Some(new), Some(old)) => new > old,
                    (Some(_), Some(_), None) => true,
                    _ => false,
                };
                if better {
                    best = Some(dose);
                }
            }
        }
        if m.dosage_instruction.is_empty() {
            route = route_of(self.t, None, form);
        }
        Med {
            reference,
            id,
            name,
            identified,
            route,
            dose: best,
            instructions: m.dosage_instruction.len(),
            authored: m.authored_on.as_deref().and_then(fhir::date),
            status: m.status.clone(),
            count: m
                .dosage_instruction
                .iter()
                .find_map(|d| d.timing.as_ref()?.repeat.as_ref()?.count),
            course_days: m.dosage_instruction.iter().find_map(|d| {
                let q = d
                    .timing
                    .as_ref()?
                    .repeat
                    .as_ref()?
                    .bounds_duration
                    .as_ref()?;
                let v = q.value?;
                match q.unit_code()? {
                    "d" | "day" | "days" => Some(v),
                    "wk" | "week" | "weeks" => Some(v * 7.0),
                    "h" => Some(v / 24.0),
                    _ => None,
                }
            }),
        }
    }

    pub fn build(mut self) -> Facts {
        // Standalone systolic/diastolic Observations: pair those of the same date.
        let parts = std::mem::take(&mut self.bp_parts);
        for (concept, v, date, source) in parts {
            let existing = self.facts.blood_pressures.iter_mut().find(|b| {
                b.date == date
                    && if concept == Concept::BpSystolic {
                        b.systolic.is_none()
                    } else {
                        b.diastolic.is_none()
                    }
            });
            match existing {
                Some(b) if concept == Concept::BpSystolic => b.systolic = Some(v),
                Some(b) => b.diastolic = Some(v),
                None => self.facts.blood_pressures.push(BloodPressure {
                    systolic: (concept == Concept::BpSystolic).then_some(v),
                    diastolic: (concept == Concept::BpDiastolic).then_some(v),
                    date,
                    source,
                }),
            }
        }
        let active = std::mem::take(&mut self.active);
        let drafts = std::mem::take(&mut self.drafts);
        let active_meds: Vec<Med> = active
            .iter()
            .enumerate()
            .map(|(i, m)| self.med(m, i))
            .collect();
        let mut orders = vec![];
        let mut other = vec![];
        for (i, (m, triggering)) in drafts.iter().enumerate() {
            let med = self.med(m, i);
            if *triggering {
                orders.push(med)
            } else {
                other.push(med)
            }
        }
        let mut f = self.facts;
        f.active_meds = active_meds;
        f.orders = orders;
        f.other_drafts = other;
        let newest_first = |a: &Option<NaiveDate>, b: &Option<NaiveDate>| b.cmp(a);
        f.weights.sort_by(|a, b| newest_first(&a.date, &b.date));
        f.heights.sort_by(|a, b| newest_first(&a.date, &b.date));
        f.blood_pressures
            .sort_by(|a, b| newest_first(&a.date, &b.date));
        f.labs.sort_by(|a, b| newest_first(&a.date, &b.date));
        f
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(s: &str) -> Box<serde_json::value::RawValue> {
        serde_json::value::RawValue::from_string(s.to_string()).unwrap()
    }

    fn draft(t: &Terminology, json: &str, medication: Option<&str>) -> Facts {
        let mut b = FactsBuilder::new(t, chrono::NaiveDate::from_ymd_opt(2026, 11, 24).unwrap());
        if let Some(m) = medication {
            b.add(fhir::parse_resource(&raw(m)).unwrap());
        }
        match fhir::parse_resource(&raw(json)).unwrap() {
            Resource::MedicationRequest(mr) => b.draft(*mr, true),
            other => panic!("{other:?}"),
        }
        b.build()
    }

    #[test]
    fn referenced_and_contained_medications_are_identified() {
        let t = Terminology::embedded().unwrap();
        let med = r#"{"resourceType":"Medication","id":"m1","code":{"coding":[{"system":"http://www.nlm.nih.gov/research/umls/rxnorm","code":"312615"}]}}"#;
        let dosage = r#""dosageInstruction":[{"timing":{"repeat":{"frequency":1,"period":1,"periodUnit":"d"}},"doseAndRate":[{"doseQuantity":{"value":2,"unit":"tablet"}}]}]"#;
        for reference in [
            "Medication/m1",
            "https://ehr.example.org/fhir/Medication/m1",
        ] {
            let mr = format!(
                r#"{{"resourceType":"MedicationRequest","id":"o1","medicationReference":{{"reference":"{reference}"}},{dosage}}}"#
            );
            let f = draft(&t, &mr, Some(med));
            let o = &f.orders[0];
            assert_eq!(
                o.drug(),
                Some(Drug::Glucocorticoid(
                    crate::terminology::medication::Gc::Prednisone
                )),
                "{reference}"
            );
            assert_eq!(
                o.dose.as_ref().and_then(|d| d.per_day_mg()),
                Some(40.0),
                "{reference}"
            );
        }
        // Unresolved reference: not identified, no dose guessed.
        let mr = format!(
            r#"{{"resourceType":"MedicationRequest","id":"o1","medicationReference":{{"reference":"Medication/zz"}},{dosage}}}"#
        );
        let f = draft(&t, &mr, Some(med));
        assert_eq!(f.orders[0].drug(), None);
        assert!(f.orders[0].dose.is_none());
        // Contained.
        let mr = format!(
            r##"{{"resourceType":"MedicationRequest","id":"o1","contained":[{m}],"medicationReference":{{"reference":"#m1"}},{dosage}}}"##,
            m = med
        );
        let f = draft(&t, &mr, None);
        assert_eq!(
            f.orders[0].dose.as_ref().and_then(|d| d.per_day_mg()),
            Some(40.0)
        );
    }

    fn facts_of(t: &Terminology, resources: &[&str]) -> Facts {
        let mut b = FactsBuilder::new(t, chrono::NaiveDate::from_ymd_opt(2026, 11, 24).unwrap());
        for r in resources {
            b.add(fhir::parse_resource(&raw(r)).unwrap());
        }
        b.build()
    }

    fn condition(code: &str, clinical: &str, verification: &str) -> String {
        format!(
            r#"{{"resourceType":"Condition","id":"c","code":{{"coding":[{{"system":"http://hl7.org/fhir/sid/icd-10-cm","code":"{code}"}}]}},
               "clinicalStatus":{{"coding":[{{"code":"{clinical}"}}]}},"verificationStatus":{{"coding":[{{"code":"{verification}"}}]}}}}"#
        )
    }

    #[test]
    fn condition_status_table() {
        let t = Terminology::embedded().unwrap();
        // (clinical, verification, counts as SSc now, on record at all)
        for (clinical, verification, active, ever) in [
            ("active", "confirmed", true, true),
            ("remission", "confirmed", true, true),
            ("resolved", "confirmed", false, true),
            ("inactive", "confirmed", false, true),
            ("active", "refuted", false, false),
            ("active", "entered-in-error", false, false),
        ] {
            let f = facts_of(&t, &[&condition("M34.0", clinical, verification)]);
            assert_eq!(f.has_ssc(), active, "{clinical} {verification}");
            assert_eq!(f.ever(Concept::Ssc), ever, "{clinical} {verification}");
        }
    }

    #[test]
    fn separate_systolic_and_diastolic_make_one_reading() {
        let t = Terminology::embedded().unwrap();
        let obs = |id: &str, code: &str, v: f64, date: &str| {
            format!(
                r#"{{"resourceType":"Observation","id":"{id}","status":"final","code":{{"coding":[{{"system":"http://loinc.org","code":"{code}"}}]}},
                   "effectiveDateTime":"{date}","valueQuantity":{{"value":{v},"unit":"mmHg","system":"http://unitsofmeasure.org","code":"mm[Hg]"}}}}"#
            )
        };
        let f = facts_of(
            &t,
            &[
                &obs("s1", "8480-6", 150.0, "2026-11-20"),
                &obs("d1", "8462-4", 95.0, "2026-11-20"),
                &obs("s0", "8480-6", 120.0, "2026-10-01"),
            ],
        );
        assert_eq!(f.blood_pressures.len(), 2);
        let bp = f.latest_bp().unwrap();
        assert_eq!((bp.systolic, bp.diastolic), (Some(150.0), Some(95.0)));
    }

    #[test]
    fn a_weight_in_an_unknown_unit_is_named_not_guessed() {
        let t = Terminology::embedded().unwrap();
        let w = r#"{"resourceType":"Observation","id":"w","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"29463-7"}]},
                    "effectiveDateTime":"2026-11-20","valueQuantity":{"value":11,"unit":"stone"}}"#;
        let f = facts_of(&t, &[w]);
        assert!(f.weight().is_none());
        assert!(f.notes[0].contains("\"stone\""), "{:?}", f.notes);
    }
}
