//! FHIR resources → [`Facts`]: every resource checked against the context's
//! patient (one naming another patient is dropped), duplicates counted once,
//! observations dated in the future left out and named, impossible values
//! dropped; then weights and heights assessed, renal function read and
//! replacement orders matched.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;

use super::{
    dose, fmt_num, frequency, orders, plausibility, route, units, BloodPressure, DataArea,
    DataLimits, Diagnosis, Dose, Facts, Frequency, Ignored, Intent, Lab, Med, Reading, RecordKind,
    Route, Setting, Sex, SourceKind, Trust, Unclassified, UnreadReason,
};
use crate::fhir::{self, CodeableConcept, Resource};
use crate::terminology::medication;
use crate::terminology::{Concept, Terminology};

const UNNAMED: &str = "(unnamed medication)";

fn text_date(d: Option<NaiveDate>) -> String {
    d.map_or_else(|| "date unknown".into(), |d| d.to_string())
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

/// Why a resource was not used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Dropped {
    /// Its subject or patient names another patient than the context's.
    OtherPatient,
    /// The same type and id arrived already (another prefetch key or page).
    Duplicate,
}

impl Dropped {
    pub fn describe(self) -> &'static str {
        match self {
            Dropped::OtherPatient => "other patient",
            Dropped::Duplicate => "duplicate",
        }
    }
}

/// Whether a reference ("Patient/x", or a URL ending so) names this patient.
pub fn names_patient(reference: &str, patient_id: &str) -> bool {
    // "Patient/{id}", alone or after a "/", read without building either.
    reference
        .trim()
        .strip_suffix(patient_id)
        .and_then(|r| r.strip_suffix("Patient/"))
        .is_some_and(|before| before.is_empty() || before.ends_with('/'))
}

/// Blood pressure readings outside this range are not measurements.
const BP_SANE_MMHG: (f64, f64) = (20.0, 400.0);
/// Laboratory values at or above this are not results (e.g. 1e308).
const LAB_ABSURD: f64 = 1.0e9;

/// Collects resources and builds [`Facts`].
pub struct FactsBuilder<'t> {
    t: &'t Terminology,
    facts: Facts,
    medications: HashMap<String, CodeableConcept>,
    active: Vec<(fhir::MedicationRequest, SourceKind)>,
    drafts: Vec<(fhir::MedicationRequest, bool)>,
    bp_parts: Vec<(Concept, f64, Option<NaiveDate>, String)>,
    seen: HashSet<(&'static str, String)>,
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
            seen: HashSet::new(),
        }
    }

    /// The plausibility and currency limits (from the policy).
    pub fn limits(mut self, limits: DataLimits) -> Self {
        self.facts.limits = limits;
        self
    }

    fn foreign(&self, subject: Option<&str>) -> bool {
        match (subject, self.facts.patient_id.as_deref()) {
            (Some(s), Some(p)) => !names_patient(s, p),
            _ => false,
        }
    }

    /// A draft entry that looks like a medication order but could not be read.
    pub fn unreadable_order(&mut self, what: &str) {
        self.facts.unreadable_orders.push(what.to_string());
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

    /// A draft order; `triggering` when the hook asks about it. A draft for
    /// another patient is never evaluated.
    pub fn draft(&mut self, mr: fhir::MedicationRequest, triggering: bool) -> Result<(), Dropped> {
        let subject = mr.subject.as_ref().or(mr.patient.as_ref());
        if self.foreign(subject.and_then(|r| r.reference.as_deref())) {
            return Err(Dropped::OtherPatient);
        }
        self.drafts.push((mr, triggering));
        Ok(())
    }

    /// A drafted ServiceRequest (draft orders): what it orders satisfies a
    /// suggestion to order the same. One for another patient, or not a
    /// draft, is not used.
    pub fn drafted_service(&mut self, sr: fhir::ServiceRequest) -> Result<(), Dropped> {
        if self.foreign(sr.subject.as_ref().and_then(|r| r.reference.as_deref())) {
            return Err(Dropped::OtherPatient);
        }
        if sr.status.as_deref().is_some_and(|s| s != "draft") {
            return Ok(());
        }
        if let Some(code) = &sr.code {
            for c in concepts_of(self.t, code) {
                if !self.facts.drafted_services.contains(&c) {
                    self.facts.drafted_services.push(c);
                }
            }
        }
        Ok(())
    }

    /// A resource from the patient record (prefetch or FHIR server). A
    /// resource naming another patient, or one already read, is not used.
    pub fn add(&mut self, r: Resource) -> Result<(), Dropped> {
        let other_patient = match &r {
            Resource::Patient(p) => match (p.id.as_deref(), self.facts.patient_id.as_deref()) {
                (Some(id), Some(own)) => id != own,
                _ => false,
            },
            r => self.foreign(r.subject()),
        };
        if other_patient {
            return Err(Dropped::OtherPatient);
        }
        if let Some((kind, id)) = r.key() {
            if !self.seen.insert((kind, id.to_string())) {
                return Err(Dropped::Duplicate);
            }
        }
        match r {
            Resource::Patient(p) => {
                self.facts.sex = match p.gender.as_deref() {
                    Some("female") => Some(Sex::Female),
                    Some("male") => Some(Sex::Male),
                    _ => None,
                };
                let today = self.facts.today;
                self.facts.birth_date = p
                    .birth_date
                    .as_deref()
                    .and_then(fhir::date)
                    .filter(|b| *b <= today && today.years_since(*b).is_some_and(|y| y <= 130));
            }
            Resource::Condition(c) => self.condition(*c),
            Resource::Observation(o) => self.observation(*o),
            Resource::MedicationRequest(m) => {
                // On hold: it may resume (duplicates, interactions).
                if m.status
                    .as_deref()
                    .is_none_or(|s| matches!(s, "active" | "on-hold"))
                {
                    self.active.push((*m, SourceKind::Order));
                }
            }
            Resource::MedicationStatement(m) => {
                // Taken as reported; stopped, completed, cancelled, not-taken,
                // entered-in-error and unknown do not count.
                if m.status
                    .as_deref()
                    .is_none_or(|s| matches!(s, "active" | "intended" | "on-hold"))
                {
                    self.active.push((m.as_request(), SourceKind::Reported));
                }
            }
            Resource::Medication(m) => {
                if let (Some(id), Some(code)) = (m.id, m.code) {
                    self.medications.insert(format!("Medication/{id}"), code);
                }
            }
            Resource::ServiceRequest(_)
            | Resource::Bundle(_)
            | Resource::OperationOutcome(_)
            | Resource::Other(_) => {}
        }
        Ok(())
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
        let mut q = o
            .value_quantity
            .as_ref()
            .and_then(|q| Some((q.value?, q.unit_code().unwrap_or("").to_string())));
        let label = code.label().unwrap_or("(no display)").to_string();
        if let Some(d) = date {
            let ahead = (d - self.facts.today).num_days() as f64;
            if ahead > self.facts.limits.future_tolerance_days {
                let what = [
                    (Concept::BodyWeight, "weight"),
                    (Concept::BodyHeight, "height"),
                    (Concept::Egfr, "eGFR"),
                    (Concept::Creatinine, "creatinine"),
                    (Concept::BpPanel, "blood pressure"),
                    (Concept::BpSystolic, "blood pressure"),
                    (Concept::BpDiastolic, "blood pressure"),
                ]
                .iter()
                .find(|(c, _)| concepts.contains(c))
                .map_or("laboratory result", |(_, w)| *w);
                let value = q
                    .as_ref()
                    .map_or_else(|| label.clone(), |(v, u)| format!("{} {}", fmt_num(*v), u));
                self.facts.ignored_future.push(Ignored {
                    what,
                    value,
                    date: d,
                });
                return;
            }
        }
        let weight_or_height =
            concepts.contains(&Concept::BodyWeight) || concepts.contains(&Concept::BodyHeight);
        if !weight_or_height
            && q.as_ref()
                .is_some_and(|(v, _)| *v < 0.0 || *v >= LAB_ABSURD)
        {
            self.facts.notes.push(format!(
                "{} ({}) has an impossible value; not used",
                label,
                text_date(date)
            ));
            q = None;
        }
        if concepts.contains(&Concept::BodyWeight) || concepts.contains(&Concept::BodyHeight) {
            let weight = concepts.contains(&Concept::BodyWeight);
            let Some((v, unit)) = q else { return };
            let converted = if weight {
                units::to_kg(v, &unit)
            } else {
                units::to_cm(v, &unit)
            };
            match converted {
                Some(value) if !value.is_finite() => self.facts.notes.push(format!(
                    "{} {} has an impossible value; not used",
                    if weight { "Weight" } else { "Height" },
                    source
                )),
                Some(value) => {
                    let r = Reading {
                        value,
                        original_value: v,
                        original_unit: unit,
                        date,
                        source,
                        trust: Trust::Plausible,
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
                    .and_then(|q| units::to_mmhg(q.value?, q.unit_code().unwrap_or("mm[Hg]")))
                    .filter(|v| (BP_SANE_MMHG.0..=BP_SANE_MMHG.1).contains(v));
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
                    .filter(|v| (BP_SANE_MMHG.0..=BP_SANE_MMHG.1).contains(v))
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
        let own_code = code
            .coding
            .iter()
            .filter_map(|c| {
                Some((
                    crate::terminology::canonical_system(c.system.as_deref().unwrap_or(""))
                        .to_string(),
                    c.code.clone()?,
                ))
            })
            .collect();
        self.facts.labs.push(Lab {
            concepts,
            label,
            quantity: q,
            result_text,
            codes,
            code: own_code,
            upper_limit: o
                .reference_range
                .iter()
                .find_map(|r| r.high.as_ref()?.value),
            date,
            source,
        });
    }

    /// The medication of an order or statement: its coded concept; else the
    /// Medication it references (contained, in the record or in the draft
    /// orders); else the reference's display. `Err` says why none could be had.
    fn medication_of(&self, m: &fhir::MedicationRequest) -> Result<CodeableConcept, UnreadReason> {
        if let Some(cc) = &m.medication_codeable_concept {
            return Ok(cc.clone());
        }
        let Some(reference) = &m.medication_reference else {
            return Err(UnreadReason::UnknownCode);
        };
        let resolved = reference.reference.as_deref().and_then(|r| {
            if let Some(local) = r.strip_prefix('#') {
                m.contained
                    .iter()
                    .find_map(|raw| match fhir::parse_resource(raw) {
                        Ok(Resource::Medication(med)) if med.id.as_deref() == Some(local) => {
                            med.code
                        }
                        _ => None,
                    })
            } else {
                // "Medication/m1", relative or at the end of an absolute URL.
                let key = r.rfind("Medication/").map_or(r, |i| &r[i..]);
                self.medications.get(key).cloned()
            }
        });
        match (resolved, reference.display.as_deref().map(str::trim)) {
            (Some(cc), _) => Ok(cc),
            (None, Some(display)) if !display.is_empty() => Ok(CodeableConcept {
                coding: vec![],
                text: Some(display.to_string()),
            }),
            _ => Err(UnreadReason::UnresolvedReference),
        }
    }

    /// Why an active medication could not be identified at all, when it
    /// could not: not one of ours by code or name, and no RxNorm code (an
    /// RxNorm code not in our lists is a drug the rules do not concern).
    fn unidentified(
        &self,
        m: &fhir::MedicationRequest,
        med: &Med,
        resolved: &Result<CodeableConcept, UnreadReason>,
    ) -> Option<Unclassified> {
        if med.identified.is_some() {
            return None;
        }
        let (reason, label) = match resolved {
            Err(reason) => (*reason, None),
            Ok(cc) => {
                let rxnorm = cc.coding.iter().any(|c| {
                    c.code.as_deref().is_some_and(|c| !c.trim().is_empty())
                        && c.system
                            .as_deref()
                            .map(crate::terminology::canonical_system)
                            == Some(crate::terminology::RXNORM)
                });
                if rxnorm {
                    return None;
                }
                let by_display = m.medication_codeable_concept.is_none()
                    && cc.coding.is_empty()
                    && m.medication_reference.is_some();
                let reason = if by_display {
                    UnreadReason::UnresolvedReference
                } else {
                    UnreadReason::UnknownCode
                };
                (reason, cc.label().map(str::to_string))
            }
        };
        Some(Unclassified {
            kind: RecordKind::Medication,
            reason,
            area: None,
            label,
        })
    }

    fn med(&self, m: &fhir::MedicationRequest, index: usize) -> Med {
        self.med_of(m, index, SourceKind::Order).0
    }

    fn med_of(
        &self,
        m: &fhir::MedicationRequest,
        index: usize,
        source_kind: SourceKind,
    ) -> (Med, Option<Unclassified>) {
        let id = m.id.clone();
        let kind_name = match source_kind {
            SourceKind::Order => "MedicationRequest",
            SourceKind::Reported => "MedicationStatement",
        };
        let reference = match &id {
            Some(id) => format!("{kind_name}/{id}"),
            None => format!("draft order {}", index + 1),
        };
        let resolved = self.medication_of(m);
        let cc = resolved.clone().unwrap_or_default();
        let identified = medication::identify(self.t, &codings(&cc), cc.text.as_deref());
        let name = cc
            .label()
            .map(str::to_string)
            .or_else(|| identified.as_ref().map(|i| i.name.clone()))
            .unwrap_or_else(|| UNNAMED.into());
        let strength = identified.as_ref().and_then(|i| i.strength);
        let form = identified.as_ref().map(|i| i.form);
        let mut route = Route::Unknown;
        let mut best: Option<Dose> = None;
        let mut read: Vec<(Option<f64>, Dose)> = vec![];
        for (i, d) in m.dosage_instruction.iter().enumerate() {
            let r = route::route_of(self.t, d.route.as_ref(), form);
            if i == 0 || (route == Route::Unknown && r != Route::Unknown) {
                route = r;
            }
            if let Some(dose) = dose::dose(d, strength) {
                read.push((d.sequence, dose));
            }
        }
        // Instructions of the same sequence (or none) apply together: 10 mg in
        // the morning and 5 mg at night are 15 mg a day.
        let candidates = read
            .iter()
            .map(|(_, d)| d.clone())
            .chain(dose::together(&read));
        for dose in candidates {
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
        if m.dosage_instruction.is_empty() {
            route = route::route_of(self.t, None, form);
        }
        let readings: Vec<Frequency> = m
            .dosage_instruction
            .iter()
            .map(frequency::of_dosage)
            .collect();
        let frequency = readings
            .iter()
            .filter(|f| f.is_known())
            .max_by(|a, b| {
                let key =
                    |f: &Frequency| (f.days_per_week.unwrap_or(0.0), f.per_week.unwrap_or(0.0));
                key(a)
                    .partial_cmp(&key(b))
                    .unwrap_or(std::cmp::Ordering::Equal)
            })
            .cloned()
            .or_else(|| readings.first().cloned())
            .unwrap_or_else(|| Frequency::unknown(Some("no dosage instruction".into())));
        let med = Med {
            reference,
            id,
            name,
            identified,
            route,
            dose: best,
            frequency,
            instructions: m.dosage_instruction.len(),
            authored: m
                .authored_on
                .as_deref()
                .or(m.date_written.as_deref())
                .and_then(fhir::date),
            status: m.status.clone(),
            intent: Intent::of(m.intent.as_deref()),
            prior_prescription: m
                .prior_prescription
                .as_ref()
                .and_then(|r| r.reference.clone()),
            replaces: vec![],
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
            source_kind,
            on_hold: source_kind == SourceKind::Order && m.status.as_deref() == Some("on-hold"),
        };
        let unread = self.unidentified(m, &med, &resolved);
        (med, unread)
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
        let mut active_meds: Vec<Med> = vec![];
        let mut unread = vec![];
        for (i, (m, kind)) in active.iter().enumerate() {
            let (med, u) = self.med_of(m, i, *kind);
            active_meds.push(med);
            unread.extend(u);
        }
        let mut orders = vec![];
        let mut other = vec![];
        for (i, (m, triggering)) in drafts.iter().enumerate() {
            let med = self.med(m, i);
            if med.identified.is_none() && med.name == UNNAMED {
                self.facts.unreadable_orders.push(format!(
                    "draft order {} of {}: no medication could be read (no code, no name)",
                    i + 1,
                    drafts.len()
                ));
            }
            if *triggering {
                orders.push(med)
            } else {
                other.push(med)
            }
        }
        let mut f = self.facts;
        f.active_meds = active_meds;
        // Named only for a patient the service speaks about.
        if crate::clinical::predicates::PatientScope::in_scope(&f) {
            f.unclassified.extend(unread);
        }
        f.orders = orders;
        f.other_drafts = other;
        let newest_first = |a: &Option<NaiveDate>, b: &Option<NaiveDate>| b.cmp(a);
        f.weights.sort_by(|a, b| newest_first(&a.date, &b.date));
        f.heights.sort_by(|a, b| newest_first(&a.date, &b.date));
        f.blood_pressures
            .sort_by(|a, b| newest_first(&a.date, &b.date));
        f.labs.sort_by(|a, b| newest_first(&a.date, &b.date));
        plausibility::assess(&mut f.weights, &mut f.heights, &f.limits);
        orders::read_replacements(&mut f.orders, &f.active_meds);
        orders::read_replacements(&mut f.other_drafts, &f.active_meds);
        f
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// A reference names the patient exactly when it is "Patient/{id}"
        /// or ends in "/Patient/{id}" (surrounding blanks ignored).
        #[test]
        fn names_patient_as_written(
            prefix in "(|https://fhir\\.example\\.org/r4/|x|/|Patient/)",
            kind in "(Patient|Group|patient|)",
            id in "[a-z0-9/.-]{0,6}",
            own in "[a-z0-9/.-]{0,6}",
            pad in "( |)",
        ) {
            let reference = format!("{pad}{prefix}{kind}/{id}{pad}");
            let own_ref = format!("Patient/{own}");
            let expected = reference.trim() == own_ref || reference.trim().ends_with(&format!("/{own_ref}"));
            proptest::prop_assert_eq!(names_patient(&reference, &own), expected, "{} {}", reference, own);
            let plain = format!("{prefix}Patient/{own}");
            let names = names_patient(&plain, &own);
            proptest::prop_assert!(names || !(prefix.is_empty() || prefix.ends_with('/')));
        }
    }
    use crate::terminology::medication::Drug;

    fn raw(s: &str) -> Box<serde_json::value::RawValue> {
        serde_json::value::RawValue::from_string(s.to_string()).unwrap()
    }

    fn draft(t: &Terminology, json: &str, medication: Option<&str>) -> Facts {
        let mut b = FactsBuilder::new(t, chrono::NaiveDate::from_ymd_opt(2026, 11, 24).unwrap());
        if let Some(m) = medication {
            b.add(fhir::parse_resource(&raw(m)).unwrap()).unwrap();
        }
        match fhir::parse_resource(&raw(json)).unwrap() {
            Resource::MedicationRequest(mr) => b.draft(*mr, true).unwrap(),
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
            let _ = b.add(fhir::parse_resource(&raw(r)).unwrap());
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
            assert_eq!(f.has(Concept::Ssc), active, "{clinical} {verification}");
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

    fn builder(t: &Terminology) -> FactsBuilder<'_> {
        FactsBuilder::new(t, chrono::NaiveDate::from_ymd_opt(2026, 11, 24).unwrap())
            .patient_id(Some("p1"))
    }

    #[test]
    fn patient_scope_and_duplicates_table() {
        let t = Terminology::embedded().unwrap();
        let weight = |id: &str, subject: Option<&str>| {
            let subject = subject.map_or(String::new(), |s| {
                format!(r#","subject":{{"reference":"{s}"}}"#)
            });
            format!(
                r#"{{"resourceType":"Observation","id":"{id}","status":"final"{subject},"code":{{"coding":[{{"system":"http://loinc.org","code":"29463-7"}}]}},"effectiveDateTime":"2026-11-20","valueQuantity":{{"value":70,"unit":"kg"}}}}"#
            )
        };
        let cond = |subject: &str, key: &str| {
            format!(
                r#"{{"resourceType":"Condition","id":"c1","{key}":{{"reference":"{subject}"}},"code":{{"coding":[{{"system":"http://hl7.org/fhir/sid/icd-10-cm","code":"M34.0"}}]}}}}"#
            )
        };
        // (resource, outcome)
        let cases: Vec<(String, Result<(), Dropped>)> = vec![
            (weight("w1", Some("Patient/p1")), Ok(())),
            (
                weight("w2", Some("https://ehr.example.org/fhir/Patient/p1")),
                Ok(()),
            ),
            // No subject: prefetch queries are patient-scoped.
            (weight("w3", None), Ok(())),
            (weight("w4", Some("Patient/p2")), Err(Dropped::OtherPatient)),
            (
                weight("w5", Some("Patient/p11")),
                Err(Dropped::OtherPatient),
            ),
            (
                weight("w6", Some("https://ehr.example.org/fhir/Patient/p2")),
                Err(Dropped::OtherPatient),
            ),
            (cond("Patient/p2", "subject"), Err(Dropped::OtherPatient)),
            // DSTU2 Condition.patient.
            (cond("Patient/p2", "patient"), Err(Dropped::OtherPatient)),
            (
                r#"{"resourceType":"Patient","id":"p2","gender":"male"}"#.into(),
                Err(Dropped::OtherPatient),
            ),
            (
                r#"{"resourceType":"Patient","id":"p1","gender":"female"}"#.into(),
                Ok(()),
            ),
            // The same type and id again (another key or page): once.
            (weight("w1", Some("Patient/p1")), Err(Dropped::Duplicate)),
            (
                r#"{"resourceType":"Patient","id":"p1","gender":"female"}"#.into(),
                Err(Dropped::Duplicate),
            ),
        ];
        let mut b = builder(&t);
        for (json, want) in &cases {
            assert_eq!(
                &b.add(fhir::parse_resource(&raw(json)).unwrap()),
                want,
                "{json}"
            );
        }
        let f = b.build();
        assert_eq!(f.weights.len(), 3);
        assert_eq!(f.sex, Some(Sex::Female));
        assert!(f.diagnoses.is_empty());
    }

    #[test]
    fn future_dates_and_impossible_values_table() {
        let t = Terminology::embedded().unwrap();
        let obs = |code: &str, v: &str, unit: &str, date: &str| {
            format!(
                r#"{{"resourceType":"Observation","status":"final","code":{{"coding":[{{"system":"http://loinc.org","code":"{code}"}}]}},"effectiveDateTime":"{date}","valueQuantity":{{"value":{v},"unit":"{unit}"}}}}"#
            )
        };
        // (observation, weights kept, labs kept, ignored as future)
        let cases = [
            (obs("29463-7", "70", "kg", "2026-11-20"), 1, 0, 0),
            // Tomorrow is within the one-day tolerance (time zones); later is not.
            (obs("29463-7", "70", "kg", "2026-11-25"), 1, 0, 0),
            (obs("29463-7", "95", "kg", "2026-11-26"), 0, 0, 1),
            (obs("29463-7", "95", "kg", "2099-01-01"), 0, 0, 1),
            (
                obs("98979-8", "20", "mL/min/{1.73_m2}", "2099-01-01"),
                0,
                0,
                1,
            ),
            (obs("2160-0", "-1", "mg/dL", "2026-11-20"), 0, 1, 0),
            (obs("2160-0", "1e308", "mg/dL", "2026-11-20"), 0, 1, 0),
        ];
        for (json, weights, labs, future) in cases {
            let mut b = builder(&t);
            b.add(fhir::parse_resource(&raw(&json)).unwrap()).unwrap();
            let f = b.build();
            assert_eq!(f.weights.len(), weights, "{json}");
            assert_eq!(f.labs.len(), labs, "{json}");
            assert_eq!(f.ignored_future.len(), future, "{json}");
            // An impossible lab value is kept as a result without its quantity.
            assert!(f.labs.iter().all(|l| l.quantity.is_none()), "{json}");
        }
    }

    #[test]
    fn older_shapes_read_into_the_same_facts() {
        let t = Terminology::embedded().unwrap();
        let med = r#""medicationCodeableConcept":{"coding":[{"system":"http://www.nlm.nih.gov/research/umls/rxnorm","code":"1946772"}]}"#;
        let timing = r#""timing":{"repeat":{"frequency":1,"period":1,"periodUnit":"wk"}}"#;
        let route = r#""route":{"coding":[{"system":"http://snomed.info/sct","code":"34206005"}]}"#;
        let dose = r#"{"value":0.6,"unit":"mL"}"#;
        // (draft, intent advice)
        let cases = [
            // R4.
            (
                format!(
                    r#"{{"resourceType":"MedicationRequest","id":"a","intent":"order","subject":{{"reference":"Patient/p1"}},{med},"dosageInstruction":[{{{timing},{route},"doseAndRate":[{{"doseQuantity":{dose}}}]}}]}}"#
                ),
                false,
            ),
            // STU3: dose on the dosage.
            (
                format!(
                    r#"{{"resourceType":"MedicationRequest","id":"b","intent":"proposal","subject":{{"reference":"Patient/p1"}},{med},"dosageInstruction":[{{{timing},{route},"doseQuantity":{dose}}}]}}"#
                ),
                true,
            ),
            // DSTU2 MedicationOrder: patient, dateWritten, dose on the dosage, no intent.
            (
                format!(
                    r#"{{"resourceType":"MedicationOrder","id":"c","patient":{{"reference":"Patient/p1"}},"dateWritten":"2026-11-24",{med},"dosageInstruction":[{{{timing},{route},"doseQuantity":{dose}}}]}}"#
                ),
                false,
            ),
        ];
        for (json, advice) in cases {
            let mut b = builder(&t);
            match fhir::parse_resource(&raw(&json)).unwrap() {
                Resource::MedicationRequest(mr) => b.draft(*mr, true).unwrap(),
                other => panic!("{other:?}"),
            }
            let f = b.build();
            let o = &f.orders[0];
            assert_eq!(o.drug(), Some(Drug::Methotrexate), "{json}");
            assert_eq!(o.route, Route::Subcutaneous, "{json}");
            assert_eq!(
                o.dose.as_ref().and_then(|d| d.per_week_mg()),
                Some(15.0),
                "{json}"
            );
            assert_eq!(o.frequency.more_than_weekly(), Some(false), "{json}");
            assert_eq!(o.intent.is_advice(), advice, "{json}");
        }
        // A draft for another patient is refused.
        let json = format!(
            r#"{{"resourceType":"MedicationOrder","id":"d","patient":{{"reference":"Patient/p2"}},{med}}}"#
        );
        let mut b = builder(&t);
        match fhir::parse_resource(&raw(&json)).unwrap() {
            Resource::MedicationRequest(mr) => {
                assert_eq!(b.draft(*mr, true), Err(Dropped::OtherPatient))
            }
            other => panic!("{other:?}"),
        }
        // A draft without any medication is named as unreadable.
        let mut b = builder(&t);
        match fhir::parse_resource(&raw(
            r#"{"resourceType":"MedicationRequest","id":"e","dosageInstruction":[]}"#,
        ))
        .unwrap()
        {
            Resource::MedicationRequest(mr) => b.draft(*mr, true).unwrap(),
            other => panic!("{other:?}"),
        }
        assert_eq!(b.build().unreadable_orders.len(), 1);
    }

    const SSC: &str = r#"{"resourceType":"Condition","id":"ssc","code":{"coding":[{"system":"http://hl7.org/fhir/sid/icd-10-cm","code":"M34.0"}]}}"#;
    const PRED_5: &str = r#"{"coding":[{"system":"http://www.nlm.nih.gov/research/umls/rxnorm","code":"312617","display":"predniSONE 5 MG Oral Tablet"}]}"#;
    const DAILY_2_TABS: &str = r#""dosageInstruction":[{"timing":{"repeat":{"frequency":1,"period":1,"periodUnit":"d"}},"doseAndRate":[{"doseQuantity":{"value":2,"unit":"tablet"}}]}]"#;

    #[test]
    fn medication_statement_status_table() {
        let t = Terminology::embedded().unwrap();
        // (status, counts as taken)
        for (status, counts) in [
            ("active", true),
            ("intended", true),
            ("on-hold", true),
            ("stopped", false),
            ("completed", false),
            ("cancelled", false),
            ("entered-in-error", false),
            ("not-taken", false),
            ("unknown", false),
        ] {
            let ms = format!(
                r#"{{"resourceType":"MedicationStatement","id":"s1","status":"{status}","medicationCodeableConcept":{PRED_5},"dosage":[{{"timing":{{"repeat":{{"frequency":1,"period":1,"periodUnit":"d"}}}},"doseAndRate":[{{"doseQuantity":{{"value":2,"unit":"tablet"}}}}]}}]}}"#
            );
            let f = facts_of(&t, &[SSC, &ms]);
            assert_eq!(f.active_meds.len(), usize::from(counts), "{status}");
            if let Some(m) = f.active_meds.first() {
                assert_eq!(m.source_kind, SourceKind::Reported, "{status}");
                assert!(!m.on_hold && m.taken_now(), "{status}");
                assert_eq!(m.reference, "MedicationStatement/s1");
                assert_eq!(m.dose.as_ref().and_then(|d| d.per_day_mg()), Some(10.0));
            }
        }
    }

    #[test]
    fn medication_request_status_table() {
        let t = Terminology::embedded().unwrap();
        // (status, counts at all, on hold)
        for (status, counts, on_hold) in [
            ("active", true, false),
            ("on-hold", true, true),
            ("completed", false, false),
            ("stopped", false, false),
            ("cancelled", false, false),
            ("entered-in-error", false, false),
            ("draft", false, false),
        ] {
            let mr = format!(
                r#"{{"resourceType":"MedicationRequest","id":"r1","status":"{status}","medicationCodeableConcept":{PRED_5},{DAILY_2_TABS}}}"#
            );
            let f = facts_of(&t, &[SSC, &mr]);
            assert_eq!(f.active_meds.len(), usize::from(counts), "{status}");
            if let Some(m) = f.active_meds.first() {
                assert_eq!(m.source_kind, SourceKind::Order, "{status}");
                assert_eq!(m.on_hold, on_hold, "{status}");
                assert_eq!(m.taken_now(), !on_hold, "{status}");
            }
        }
    }

    /// Each way the drug of an active order can be sent: (order, Medication
    /// elsewhere in the record, drug, mg/day, unclassified reason).
    #[test]
    fn which_drug_table() {
        let t = Terminology::embedded().unwrap();
        let med = r#"{"resourceType":"Medication","id":"m1","code":{"coding":[{"system":"http://www.nlm.nih.gov/research/umls/rxnorm","code":"312617","display":"predniSONE 5 MG Oral Tablet"}]}}"#;
        let order = |medication: &str| {
            format!(
                r#"{{"resourceType":"MedicationRequest","id":"r1","status":"active",{medication},{DAILY_2_TABS}}}"#
            )
        };
        let pred = Some(Drug::Glucocorticoid(
            crate::terminology::medication::Gc::Prednisone,
        ));
        type Case<'a> = (
            String,
            Option<&'a str>,
            Option<Drug>,
            Option<f64>,
            Option<UnreadReason>,
        );
        let cases: Vec<Case<'_>> = vec![
            (
                order(&format!(r#""medicationCodeableConcept":{PRED_5}"#)),
                None,
                pred,
                Some(10.0),
                None,
            ),
            (
                order(r#""medicationReference":{"reference":"Medication/m1"}"#),
                Some(med),
                pred,
                Some(10.0),
                None,
            ),
            (
                order(&format!(
                    r##""contained":[{med}],"medicationReference":{{"reference":"#m1"}}"##
                )),
                None,
                pred,
                Some(10.0),
                None,
            ),
            // Not included, but the reference names the drug.
            (
                order(
                    r#""medicationReference":{"reference":"Medication/zz","display":"predniSONE 5 MG Oral Tablet"}"#,
                ),
                None,
                pred,
                Some(10.0),
                None,
            ),
            // A brand, by display.
            (
                order(
                    r#""medicationReference":{"reference":"Medication/zz","display":"Rayos 5 MG Delayed Release Oral Tablet"}"#,
                ),
                None,
                pred,
                Some(10.0),
                None,
            ),
            // Not included, no display: named as an unresolved reference.
            (
                order(r#""medicationReference":{"reference":"Medication/zz"}"#),
                None,
                None,
                None,
                Some(UnreadReason::UnresolvedReference),
            ),
            // A display the service cannot place.
            (
                order(
                    r#""medicationReference":{"reference":"Medication/zz","display":"Compounded capsule 7"}"#,
                ),
                None,
                None,
                None,
                Some(UnreadReason::UnresolvedReference),
            ),
            // A local code only.
            (
                order(
                    r#""medicationCodeableConcept":{"coding":[{"system":"urn:oid:1.2.840.114350.1.13.0.1.7.2.698288","code":"12345","display":"ZZ STUDY DRUG"}]}"#,
                ),
                None,
                None,
                None,
                Some(UnreadReason::UnknownCode),
            ),
            // Identified and irrelevant: amlodipine by RxNorm code.
            (
                order(
                    r#""medicationCodeableConcept":{"coding":[{"system":"http://www.nlm.nih.gov/research/umls/rxnorm","code":"197361","display":"amlodipine 5 MG Oral Tablet"}]}"#,
                ),
                None,
                None,
                None,
                None,
            ),
        ];
        for (json, medication, drug, per_day, reason) in cases {
            let mut resources = vec![SSC, json.as_str()];
            resources.extend(medication);
            let f = facts_of(&t, &resources);
            let m = &f.active_meds[0];
            assert_eq!(m.drug(), drug, "{json}");
            assert_eq!(
                m.dose.as_ref().and_then(|d| d.per_day_mg()),
                per_day,
                "{json}"
            );
            assert_eq!(f.unclassified.first().map(|u| u.reason), reason, "{json}");
            assert!(f
                .unclassified
                .iter()
                .all(|u| u.kind == RecordKind::Medication));
            // Out of scope: nothing is said.
            let mut without = resources.clone();
            without.remove(0);
            assert!(facts_of(&t, &without).unclassified.is_empty(), "{json}");
        }
        // The label is the text as sent, never an id.
        let f = facts_of(
            &t,
            &[
                SSC,
                &order(
                    r#""medicationCodeableConcept":{"coding":[{"system":"urn:oid:1.2.3","code":"9"}],"text":"ZZ STUDY DRUG"}"#,
                ),
            ],
        );
        assert_eq!(f.unclassified[0].label.as_deref(), Some("ZZ STUDY DRUG"));
        let f = facts_of(
            &t,
            &[
                SSC,
                &order(r#""medicationReference":{"reference":"Medication/zz"}"#),
            ],
        );
        assert_eq!(f.unclassified[0].label, None);
    }

    #[test]
    fn a_panel_components_make_one_reading() {
        let t = Terminology::embedded().unwrap();
        for panel in ["55284-4", "85354-9"] {
            let obs = format!(
                r#"{{"resourceType":"Observation","id":"bp","status":"final","category":[{{"coding":[{{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"vital-signs"}}]}}],
                   "code":{{"coding":[{{"system":"http://loinc.org","code":"{panel}"}}]}},"effectiveDateTime":"2026-11-24T09:00:00Z",
                   "component":[{{"code":{{"coding":[{{"system":"http://loinc.org","code":"8480-6"}}]}},"valueQuantity":{{"value":175,"unit":"mmHg","system":"http://unitsofmeasure.org","code":"mm[Hg]"}}}},
                                {{"code":{{"coding":[{{"system":"http://loinc.org","code":"8462-4"}}]}},"valueQuantity":{{"value":111,"unit":"mmHg","system":"http://unitsofmeasure.org","code":"mm[Hg]"}}}}]}}"#
            );
            let f = facts_of(&t, &[&obs]);
            let bp = f.latest_bp().unwrap();
            assert_eq!(
                (bp.systolic, bp.diastolic),
                (Some(175.0), Some(111.0)),
                "{panel}"
            );
        }
    }
}
