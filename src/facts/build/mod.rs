//! FHIR resources → [`Facts`]: every resource checked against the context's
//! patient (one naming another patient is dropped), duplicates counted once,
//! observations dated in the future left out and named, impossible values
//! dropped; then weights and heights assessed, renal function read and
//! replacement orders matched.

use std::collections::{HashMap, HashSet};

use chrono::{Datelike, NaiveDate};

use super::{
    dose, frequency, orders, plausibility, problem_text, route, units, BloodPressure, Comparator,
    DataArea, DataLimits, Diagnosis, Facts, Frequency, Ignored, Intent, Lab, Med, Reading,
    RecordKind, Route, Sent, SetAside, Setting, Sex, SourceKind, Trust, Unclassified, UnreadReason,
};
use crate::fhir::{self, CodeableConcept, Resource};
use crate::terminology::medication;
use crate::terminology::{Concept, Terminology};

mod condition;
mod medications;
mod observation;

const UNNAMED: &str = "(unnamed medication)";

/// The diagnoses that bring a patient in scope: in remission they still
/// count (SSc is lifelong; renal crisis risk persists).
const SCOPE_CONCEPTS: &[Concept] = &[
    Concept::Ssc,
    Concept::SscDiffuse,
    Concept::SscIld,
    Concept::SscMyopathy,
    Concept::Overlap,
    Concept::OverlapMctd,
    Concept::Mctd,
    Concept::Dermatomyositis,
    Concept::Polymyositis,
    Concept::Imnm,
    Concept::MyositisNos,
];

/// The weight and body surface area (Mosteller) a dose per kg or per m² is
/// computed with: the newest usable readings only, never a doubtful one.
fn body_of(f: &Facts) -> dose::Body {
    let weight = f.weight();
    let height = f.height();
    dose::Body {
        weight: weight.map(|w| dose::Basis::Weight {
            kg: w.value,
            date: w.date,
        }),
        area: weight.zip(height).map(|(w, h)| dose::Basis::Area {
            m2: dose::sig3((h.value * w.value / 3600.0).sqrt()),
            height_cm: h.value,
            weight_kg: w.value,
        }),
    }
}

/// The calendar date of a FHIR date or dateTime in the service's time zone.
/// A dateTime with an offset is an instant: `2026-11-23T23:30:00-05:00` is
/// 2026-11-24 04:30 UTC, so 2026-11-24 in a UTC calendar. A date alone, or a
/// time without an offset, is read as written.
pub(crate) fn local_date(s: &str, zone: chrono::FixedOffset) -> Option<NaiveDate> {
    let s = s.trim();
    if s.len() > 10 {
        if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
            return Some(t.with_timezone(&zone).date_naive());
        }
        // Seconds left out ("2026-11-23T23:30-05:00"): read them as zero.
        if let Ok(t) = chrono::DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M%:z") {
            return Some(t.with_timezone(&zone).date_naive());
        }
    }
    fhir::date(s)
}

/// The earliest and latest day a birth date allows: itself when complete;
/// for "1990-05" 1990-05-01 and 1990-05-31; for "1990" 1990-01-01 and
/// 1990-12-31.
pub(crate) fn birth_dates(s: &str) -> Option<(NaiveDate, NaiveDate)> {
    let s = s.trim();
    let part = s.get(..10).unwrap_or(s);
    let earliest = fhir::date(part)?;
    let latest = match part.split('-').count() {
        1 => NaiveDate::from_ymd_opt(earliest.year(), 12, 31)?,
        2 => earliest
            .checked_add_months(chrono::Months::new(1))?
            .pred_opt()?,
        _ => earliest,
    };
    Some((earliest, latest))
}

/// The instant of a dateTime with an offset, in Unix seconds; `None` for a
/// date alone or a time without an offset.
fn instant(s: &str) -> Option<i64> {
    let s = s.trim();
    chrono::DateTime::parse_from_rfc3339(s)
        .or_else(|_| chrono::DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M%:z"))
        .ok()
        .map(|t| t.timestamp())
}

/// The instants of the readings, in the order they were pushed.
#[derive(Debug, Default)]
struct Instants {
    weights: Vec<Option<i64>>,
    heights: Vec<Option<i64>>,
    blood_pressures: Vec<Option<i64>>,
    labs: Vec<Option<i64>>,
}

/// Sorts newest first by date, then by instant; items without a recorded
/// instant (paired blood pressure parts) sort as untimed.
fn newest_first<T>(
    items: &mut Vec<T>,
    at: Vec<Option<i64>>,
    date: impl Fn(&T) -> Option<NaiveDate>,
) {
    // The keys are sorted, not the items: a lab is a large value, and a
    // sort moves what it sorts (on a record of 10,000 labs, moving them was
    // 40 M instructions). The position breaks ties: the order is stable.
    type Key = std::cmp::Reverse<(Option<NaiveDate>, Option<i64>)>;
    let mut keys: Vec<(Key, usize)> = items
        .iter()
        .zip(at.into_iter().chain(std::iter::repeat(None)))
        .enumerate()
        .map(|(i, (item, t))| (std::cmp::Reverse((date(item), t)), i))
        .collect();
    keys.sort_unstable();
    let mut taken: Vec<Option<T>> = items.drain(..).map(Some).collect();
    items.extend(keys.into_iter().filter_map(|(_, i)| taken[i].take()));
}

fn codings<'c>(cc: &'c CodeableConcept<'_>) -> Vec<medication::CodingRef<'c>> {
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

/// Collects resources and builds [`Facts`]. `'t`: what it reads from (the
/// terminology, and the text the resources were read from, which it borrows).
pub struct FactsBuilder<'t> {
    t: &'t Terminology,
    facts: Facts,
    medications: HashMap<String, CodeableConcept<'t>>,
    active: Vec<(fhir::MedicationRequest<'t>, SourceKind)>,
    drafts: Vec<(fhir::MedicationRequest<'t>, bool)>,
    bp_parts: Vec<(Concept, f64, Option<NaiveDate>, String)>,
    /// Type and id of each resource read, borrowed from its text.
    seen: HashSet<(&'static str, fhir::Text<'t>)>,
    /// The instants (Unix seconds) of the weights, heights, blood pressures
    /// and labs as pushed, to order those of one day by time.
    at: Instants,
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
            at: Instants::default(),
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
    pub fn unreadable_order(&mut self, what: crate::facts::UnreadableOrder) {
        self.facts.unreadable_orders.push(what);
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
    pub fn draft(
        &mut self,
        mr: fhir::MedicationRequest<'t>,
        triggering: bool,
    ) -> Result<(), Dropped> {
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
    pub fn drafted_service(&mut self, sr: fhir::ServiceRequest<'_>) -> Result<(), Dropped> {
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
    pub fn add(&mut self, r: Resource<'t>) -> Result<(), Dropped> {
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
            if !self.seen.insert((kind, id.clone())) {
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
                // POLICY third edition: a partial birth date (year, or year
                // and month) is read at its latest day for "adult" (the
                // youngest possible age), and kept at its earliest for
                // CKD-EPI (see `Facts::age_for_egfr`).
                let today = self.facts.today;
                let plausible =
                    |b: &NaiveDate| *b <= today && today.years_since(*b).is_some_and(|y| y <= 130);
                let dates = p.birth_date.as_deref().and_then(birth_dates);
                self.facts.birth_date_earliest = dates.map(|(e, _)| e).filter(|e| plausible(e));
                // Born this year or month: the latest day may be after today.
                self.facts.birth_date = dates
                    .map(|(_, l)| l.min(today))
                    .filter(|l| plausible(l) && self.facts.birth_date_earliest.is_some());
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
        // Weights and heights first: a dose per kg or m² is computed with them.
        // Newest first: by date in the service's calendar, then, within a
        // day, by instant (a result with a time before one without).
        let at = std::mem::take(&mut self.at);
        newest_first(&mut self.facts.weights, at.weights, |r| r.date);
        newest_first(&mut self.facts.heights, at.heights, |r| r.date);
        let limits = self.facts.limits.clone();
        plausibility::assess(&mut self.facts.weights, &mut self.facts.heights, &limits);
        let body = body_of(&self.facts);
        let mut notes: Vec<SetAside> = vec![];
        let active = std::mem::take(&mut self.active);
        let drafts = std::mem::take(&mut self.drafts);
        let mut active_meds: Vec<Med> = vec![];
        let mut unread = vec![];
        for (i, (m, kind)) in active.iter().enumerate() {
            let (med, u) = self.med_of(m, i, *kind, &body, &mut notes);
            active_meds.push(med);
            unread.extend(u);
        }
        let mut orders = vec![];
        let mut other = vec![];
        for (i, (m, triggering)) in drafts.iter().enumerate() {
            // No drug and no dose yet: an order form opened before anything
            // was picked (the sandbox's Rx View does this). Nothing to check,
            // and nothing unreadable about it: said nothing of.
            if m.medication_codeable_concept.is_none()
                && m.medication_reference.is_none()
                && m.dosage_instruction.is_empty()
            {
                continue;
            }
            let med = self.med(m, i, &body, &mut notes);
            if med.identified.is_none() && med.name == UNNAMED {
                self.facts
                    .unreadable_orders
                    .push(crate::facts::UnreadableOrder::NoMedication {
                        index: i + 1,
                        of: drafts.len(),
                    });
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
        for n in notes {
            if !f.notes.contains(&n) {
                f.notes.push(n);
            }
        }
        newest_first(&mut f.blood_pressures, at.blood_pressures, |b| b.date);
        newest_first(&mut f.labs, at.labs, |l| l.date);
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
    use crate::facts::{DataArea, UnreadReason};
    use crate::terminology::medication::Drug;

    /// A resource's text that lives as long as the test: the builder
    /// borrows what it reads from it.
    fn raw(s: &str) -> &'static serde_json::value::RawValue {
        Box::leak(serde_json::value::RawValue::from_string(s.to_string()).unwrap())
    }

    fn draft(t: &Terminology, json: &str, medication: Option<&str>) -> Facts {
        let mut b = FactsBuilder::new(t, chrono::NaiveDate::from_ymd_opt(2026, 11, 24).unwrap());
        if let Some(m) = medication {
            b.add(fhir::parse_resource(raw(m)).unwrap()).unwrap();
        }
        match fhir::parse_resource(raw(json)).unwrap() {
            Resource::MedicationRequest(mr) => b.draft(*mr, true).unwrap(),
            other => panic!("{other:?}"),
        }
        b.build()
    }

    #[test]
    fn order_doses_for_exposure_and_for_limits() {
        let t = Terminology::embedded().unwrap();
        let weight = r#"{"resourceType":"Observation","id":"w","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"29463-7"}]},"effectiveDateTime":"2026-11-10","valueQuantity":{"value":70,"unit":"kg","system":"http://unitsofmeasure.org","code":"kg"}}"#;
        let pred = r#""medicationCodeableConcept":{"coding":[{"system":"http://www.nlm.nih.gov/research/umls/rxnorm","code":"312615"}]}"#;
        let daily = r#""timing":{"repeat":{"frequency":1,"period":1,"periodUnit":"d"}}"#;
        let mg =
            |v: u32| format!(r#""doseAndRate":[{{"doseQuantity":{{"value":{v},"unit":"mg"}}}}]"#);
        let step = |seq: u32, v: u32| format!(r#"{{"sequence":{seq},{daily},{}}}"#, mg(v));
        // (dosage instructions, weight on file, mg/day for limits, mg/day today)
        let cases: Vec<(String, bool, Option<f64>, Option<f64>)> = vec![
            // Taper 60 → 40 → 20: 60 both.
            (
                format!("{},{},{}", step(1, 60), step(2, 40), step(3, 20)),
                false,
                Some(60.0),
                Some(60.0),
            ),
            // Escalation 20 → 40 → 60: 20 today, 60 for limits.
            (
                format!("{},{},{}", step(1, 20), step(2, 40), step(3, 60)),
                false,
                Some(60.0),
                Some(20.0),
            ),
            // 1 mg/kg × 70 kg = 70 mg.
            (
                format!(
                    r#"{{{daily},"doseAndRate":[{{"doseQuantity":{{"value":1,"code":"mg/kg"}}}}]}}"#
                ),
                true,
                Some(70.0),
                Some(70.0),
            ),
            // 1 mg/kg with no weight: unknown.
            (
                format!(
                    r#"{{{daily},"doseAndRate":[{{"doseQuantity":{{"value":1,"code":"mg/kg"}}}}]}}"#
                ),
                false,
                None,
                None,
            ),
            // As needed, at most 40 mg a day: 40 for limits, nothing today.
            (
                format!(
                    r#"{{"asNeededBoolean":true,{},"maxDosePerPeriod":{{"numerator":{{"value":40,"unit":"mg"}},"denominator":{{"value":1,"unit":"d"}}}}}}"#,
                    mg(20)
                ),
                false,
                Some(40.0),
                None,
            ),
            // Range 40–80 mg: 80 both.
            (
                format!(
                    r#"{{{daily},"doseAndRate":[{{"doseRange":{{"low":{{"value":40,"unit":"mg"}},"high":{{"value":80,"unit":"mg"}}}}}}]}}"#
                ),
                false,
                Some(80.0),
                Some(80.0),
            ),
        ];
        for (instructions, with_weight, limit, today) in cases {
            let mr = format!(
                r#"{{"resourceType":"MedicationRequest","id":"o1",{pred},"dosageInstruction":[{instructions}]}}"#
            );
            let f = draft(&t, &mr, with_weight.then_some(weight));
            let m = &f.orders[0];
            assert_eq!(
                m.dose.as_ref().and_then(|d| d.per_day_mg()),
                limit,
                "{instructions}"
            );
            assert_eq!(
                m.exposure_dose().and_then(|d| d.per_day_mg()),
                today,
                "{instructions}"
            );
            if instructions.contains("mg/kg") && !with_weight {
                assert!(
                    f.notes.iter().any(|n| matches!(
                        n,
                        SetAside::DoseNotComputed {
                            dose: dose::NotComputed { per_kg: true, .. },
                            ..
                        }
                    )),
                    "{:?}",
                    f.notes
                );
            }
        }
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
            let _ = b.add(fhir::parse_resource(raw(r)).unwrap());
        }
        b.build()
    }

    /// A Condition with the given codings (system, code, display), text and
    /// statuses (None: the element is absent).
    fn coded_condition(
        codings: &[(&str, &str, &str)],
        text: Option<&str>,
        clinical: Option<&str>,
        verification: Option<&str>,
    ) -> String {
        let codings: Vec<serde_json::Value> = codings
            .iter()
            .map(|(s, c, d)| {
                let mut v = serde_json::json!({ "system": s, "code": c });
                if !d.is_empty() {
                    v["display"] = (*d).into();
                }
                v
            })
            .collect();
        let mut v = serde_json::json!({
            "resourceType": "Condition", "id": "c",
            "code": { "coding": codings },
        });
        if let Some(t) = text {
            v["code"]["text"] = t.into();
        }
        if let Some(c) = clinical {
            v["clinicalStatus"] = serde_json::json!({ "coding": [{ "code": c }] });
        }
        if let Some(c) = verification {
            v["verificationStatus"] = serde_json::json!({ "coding": [{ "code": c }] });
        }
        v.to_string()
    }

    #[test]
    fn condition_status_table() {
        let t = Terminology::embedded().unwrap();
        // (code, concept, clinical, verification, current, on record at all, provisional)
        type Row<'a> = (
            &'a str,
            Concept,
            Option<&'a str>,
            Option<&'a str>,
            bool,
            bool,
            bool,
        );
        let table: &[Row] = &[
            (
                "M34.0",
                Concept::Ssc,
                Some("active"),
                Some("confirmed"),
                true,
                true,
                false,
            ),
            (
                "M34.0",
                Concept::Ssc,
                Some("recurrence"),
                Some("confirmed"),
                true,
                true,
                false,
            ),
            (
                "M34.0",
                Concept::Ssc,
                Some("relapse"),
                Some("confirmed"),
                true,
                true,
                false,
            ),
            // Remission: SSc is lifelong, myositis stays in scope.
            (
                "M34.0",
                Concept::Ssc,
                Some("remission"),
                Some("confirmed"),
                true,
                true,
                false,
            ),
            (
                "M33.10",
                Concept::Dermatomyositis,
                Some("remission"),
                None,
                true,
                true,
                false,
            ),
            // Remission of anything else is not current.
            (
                "E11.9",
                Concept::Diabetes,
                Some("remission"),
                Some("confirmed"),
                false,
                true,
                false,
            ),
            (
                "M34.0",
                Concept::Ssc,
                Some("resolved"),
                Some("confirmed"),
                false,
                true,
                false,
            ),
            (
                "M34.0",
                Concept::Ssc,
                Some("inactive"),
                Some("confirmed"),
                false,
                true,
                false,
            ),
            (
                "M34.0",
                Concept::Ssc,
                Some("Inactive"),
                Some("confirmed"),
                false,
                true,
                false,
            ),
            // No clinicalStatus (encounter diagnoses, DSTU2): current.
            ("M34.0", Concept::Ssc, None, None, true, true, false),
            (
                "E11.9",
                Concept::Diabetes,
                None,
                Some("confirmed"),
                true,
                true,
                false,
            ),
            // Unconfirmed, provisional, differential: counted, and named so.
            (
                "M34.0",
                Concept::Ssc,
                Some("active"),
                Some("unconfirmed"),
                true,
                true,
                true,
            ),
            (
                "M34.0",
                Concept::Ssc,
                None,
                Some("provisional"),
                true,
                true,
                true,
            ),
            (
                "M33.20",
                Concept::Polymyositis,
                None,
                Some("differential"),
                true,
                true,
                true,
            ),
            (
                "M34.0",
                Concept::Ssc,
                Some("resolved"),
                Some("provisional"),
                false,
                true,
                true,
            ),
            // Refuted, entered in error: ignored.
            (
                "M34.0",
                Concept::Ssc,
                Some("active"),
                Some("refuted"),
                false,
                false,
                false,
            ),
            (
                "M34.0",
                Concept::Ssc,
                Some("active"),
                Some("entered-in-error"),
                false,
                false,
                false,
            ),
            (
                "M34.0",
                Concept::Ssc,
                None,
                Some("refuted"),
                false,
                false,
                false,
            ),
        ];
        for &(code, concept, clinical, verification, current, ever, provisional) in table {
            let json = coded_condition(
                &[("http://hl7.org/fhir/sid/icd-10-cm", code, "")],
                None,
                clinical,
                verification,
            );
            let f = facts_of(&t, &[&json]);
            let row = format!("{code} {clinical:?} {verification:?}");
            assert_eq!(f.has(concept), current, "{row}");
            assert_eq!(f.ever(concept), ever, "{row}");
            assert_eq!(
                f.diagnoses.iter().any(|d| d.provisional),
                provisional,
                "{row}"
            );
            assert!(f.diagnoses.iter().all(|d| !d.from_text), "{row}");
            assert!(f.unclassified.is_empty(), "{row}");
        }
    }

    #[test]
    fn systems_descendants_and_problem_text_table() {
        let t = Terminology::embedded().unwrap();
        const SCT: &str = "http://snomed.info/sct";
        const WHO: &str = "http://hl7.org/fhir/sid/icd-10";
        const LOCAL: &str = "urn:oid:1.2.840.114350.1.13.0.1.7.2.696871";
        const ICD9: &str = "http://hl7.org/fhir/sid/icd-9-cm";
        use Concept::*;
        // (codings, code.text, concepts, read from text, unclassified)
        type Codings<'a> = &'a [(&'a str, &'a str, &'a str)];
        type Row<'a> = (Codings<'a>, Option<&'a str>, &'a [Concept], bool, bool);
        let table: &[Row] = &[
            (
                &[(SCT, "72892002", "Normal pregnancy")],
                None,
                &[Pregnancy],
                false,
                false,
            ),
            (&[(SCT, "313436004", "")], None, &[Diabetes], false, false),
            (
                &[(SCT, "193252005", "")],
                None,
                &[Ssc, SscMyopathy],
                false,
                false,
            ),
            (&[(WHO, "M34.0", "")], None, &[Ssc], false, false),
            (&[(WHO, "M33.2", "")], None, &[Polymyositis], false, false),
            (
                &[("urn:oid:2.16.840.1.113883.6.3", "M33.1", "")],
                None,
                &[Dermatomyositis],
                false,
                false,
            ),
            (
                &[("urn:oid:2.16.840.1.113883.6.96", "89155008", "")],
                None,
                &[Ssc],
                false,
                false,
            ),
            (
                &[("urn:oid:2.16.840.1.113883.6.90", "m340", "")],
                None,
                &[Ssc],
                false,
                false,
            ),
            // A local code with a display naming SSc: read from the text.
            (
                &[(LOCAL, "12345", "Scleroderma")],
                None,
                &[Ssc],
                true,
                false,
            ),
            (
                &[(LOCAL, "12345", "")],
                Some("Systemic sclerosis"),
                &[Ssc],
                true,
                false,
            ),
            // Text only.
            (
                &[],
                Some("Dermatomyositis"),
                &[Dermatomyositis],
                true,
                false,
            ),
            (&[], Some("Pregnant"), &[Pregnancy], true, false),
            (&[], Some("Morphea"), &[], false, false),
            (&[], Some("Inclusion body myositis"), &[], false, false),
            // A code we know but not ours: its text is not read, nothing said.
            (&[(SCT, "195967001", "Asthma")], None, &[], false, false),
            (
                &[(SCT, "999999999", "Scleroderma")],
                None,
                &[Ssc],
                true,
                false,
            ),
            // Only systems we do not know, nothing readable: kept as unclassified.
            (
                &[(LOCAL, "12345", "Chronic widespread pain")],
                None,
                &[],
                false,
                true,
            ),
            (&[(ICD9, "710.1", "")], None, &[], false, true),
            (
                &[(LOCAL, "1", ""), (SCT, "195967001", "")],
                None,
                &[],
                false,
                false,
            ),
            (&[], Some("Essential hypertension"), &[], false, false),
        ];
        for (codings, text, want, from_text, unclassified) in table {
            let json = coded_condition(codings, *text, Some("active"), None);
            let f = facts_of(&t, &[&json]);
            let row = format!("{codings:?} {text:?}");
            let mut got: Vec<Concept> = f
                .diagnoses
                .iter()
                .flat_map(|d| d.concepts.clone())
                .collect();
            got.sort();
            let mut want = want.to_vec();
            want.sort();
            assert_eq!(got, want, "{row}");
            assert_eq!(f.diagnoses.iter().any(|d| d.from_text), *from_text, "{row}");
            assert_eq!(f.unclassified.len(), usize::from(*unclassified), "{row}");
            if *unclassified {
                let u = &f.unclassified[0];
                assert_eq!(
                    (u.kind, u.reason),
                    (RecordKind::Condition, UnreadReason::UnknownCode)
                );
            }
        }
    }

    /// Ways of coding the same diagnosis: the concept as listed, a listed
    /// descendant, the OID of its system, WHO ICD-10.
    pub(crate) const RECODINGS: &[&[(&str, &str)]] = &[
        &[
            ("http://hl7.org/fhir/sid/icd-10-cm", "M34.0"),
            ("http://hl7.org/fhir/sid/icd-10", "M34.0"),
            ("urn:oid:2.16.840.1.113883.6.90", "M340"),
            ("urn:oid:2.16.840.1.113883.6.3", "m34.0"),
            ("http://snomed.info/sct", "89155008"),
            ("urn:oid:2.16.840.1.113883.6.96", "89155008"),
            ("http://snomed.info/sct", "31848007"),
            ("http://snomed.info/sct", "444133002"),
        ],
        &[
            ("http://hl7.org/fhir/sid/icd-10-cm", "M33.20"),
            ("http://hl7.org/fhir/sid/icd-10", "M33.2"),
            ("urn:oid:2.16.840.1.113883.6.3", "M33.2"),
            ("http://snomed.info/sct", "31384009"),
            ("urn:oid:2.16.840.1.113883.6.96", "31384009"),
        ],
        &[
            ("http://hl7.org/fhir/sid/icd-10-cm", "M33.10"),
            ("http://hl7.org/fhir/sid/icd-10", "M33.1"),
            ("http://snomed.info/sct", "396230008"),
            ("urn:oid:2.16.840.1.113883.6.96", "396230008"),
        ],
        &[
            ("http://snomed.info/sct", "77386006"),
            ("http://snomed.info/sct", "72892002"),
            ("http://snomed.info/sct", "457811000124103"),
            ("urn:oid:2.16.840.1.113883.6.96", "72892002"),
            ("http://hl7.org/fhir/sid/icd-10-cm", "Z34.00"),
        ],
        &[
            ("http://snomed.info/sct", "44054006"),
            ("http://snomed.info/sct", "313436004"),
            ("urn:oid:2.16.840.1.113883.6.96", "313436004"),
            ("http://hl7.org/fhir/sid/icd-10-cm", "E11.9"),
            ("http://hl7.org/fhir/sid/icd-10", "E11.9"),
            ("urn:oid:2.16.840.1.113883.6.90", "E119"),
        ],
        &[
            ("http://snomed.info/sct", "193252005"),
            ("urn:oid:2.16.840.1.113883.6.96", "193252005"),
            ("http://hl7.org/fhir/sid/icd-10-cm", "M34.82"),
        ],
    ];

    const STATUSES: &[Option<&str>] = &[
        None,
        Some("active"),
        Some("remission"),
        Some("resolved"),
        Some("relapse"),
    ];
    const VERIFICATIONS: &[Option<&str>] = &[
        None,
        Some("confirmed"),
        Some("provisional"),
        Some("refuted"),
    ];

    static TERMINOLOGY: std::sync::LazyLock<Terminology> =
        std::sync::LazyLock::new(|| Terminology::embedded().unwrap());

    fn diagnosis_facts(f: &Facts) -> Vec<(Vec<Concept>, bool, bool, bool)> {
        f.diagnoses
            .iter()
            .map(|d| {
                let mut c = d.concepts.clone();
                c.sort();
                (c, d.active, d.provisional, d.from_text)
            })
            .collect()
    }

    proptest::proptest! {
        /// Newest first by date, then instant; ties keep their order: the
        /// same order as a stable sort of the items themselves.
        #[test]
        fn newest_first_is_a_stable_sort_by_date_then_instant(
            items in proptest::collection::vec(
                (proptest::option::of(0u32..6), proptest::option::of(0i64..4)), 0..40),
        ) {
            let day = |d: u32| NaiveDate::from_ymd_opt(2026, 1, 1 + d);
            let rows: Vec<(usize, Option<NaiveDate>)> = items
                .iter()
                .enumerate()
                .map(|(i, (d, _))| (i, d.and_then(day)))
                .collect();
            let at: Vec<Option<i64>> = items.iter().map(|(_, t)| *t).collect();
            // (position, date, instant), sorted stably as the items were.
            let mut want: Vec<(usize, Option<NaiveDate>, Option<i64>)> =
                rows.iter().zip(&at).map(|(r, t)| (r.0, r.1, *t)).collect();
            want.sort_by_key(|a| std::cmp::Reverse((a.1, a.2)));
            let mut got = rows.clone();
            newest_first(&mut got, at, |r| r.1);
            let want: Vec<(usize, Option<NaiveDate>)> = want.into_iter().map(|(i, d, _)| (i, d)).collect();
            proptest::prop_assert_eq!(got, want);
        }

        /// Re-coding a condition by a listed descendant, its OID system or
        /// WHO ICD-10 gives the same diagnosis facts, whatever its statuses.
        #[test]
        fn recoding_a_condition_gives_the_same_facts(
            class in 0..RECODINGS.len(),
            a in 0usize..8,
            b in 0usize..8,
            clinical in 0..STATUSES.len(),
            verification in 0..VERIFICATIONS.len(),
        ) {
            let t = &*TERMINOLOGY;
            let codes = RECODINGS[class];
            let (a, b) = (codes[a % codes.len()], codes[b % codes.len()]);
            let one = |(system, code): (&str, &str)| {
                diagnosis_facts(&facts_of(t, &[&coded_condition(
                    &[(system, code, "")], None, STATUSES[clinical], VERIFICATIONS[verification],
                )]))
            };
            proptest::prop_assert_eq!(one(a), one(b), "{:?} vs {:?}", a, b);
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
        assert!(f.notes.is_empty(), "{:?}", f.notes);
        let u = &f.unclassified[0];
        assert_eq!(
            (u.kind, u.reason, u.area),
            (
                crate::facts::RecordKind::Result,
                UnreadReason::UnknownUnit,
                Some(DataArea::Weight)
            )
        );
        assert_eq!(
            u.value,
            Some((11.0, "stone".into(), NaiveDate::from_ymd_opt(2026, 11, 20))),
            "{u:?}"
        );
    }

    fn obs_with(code: &str, status: &str, time: &str, quantity: &str) -> String {
        let status = if status.is_empty() {
            String::new()
        } else {
            format!(r#""status":"{status}","#)
        };
        format!(
            r#"{{"resourceType":"Observation","id":"o",{status}"code":{{"coding":[{{"system":"http://loinc.org","code":"{code}"}}]}},{time},"valueQuantity":{quantity}}}"#
        )
    }

    #[test]
    fn observation_status_table() {
        let t = Terminology::embedded().unwrap();
        // (status, used, named preliminary)
        for (status, used, preliminary) in [
            ("final", true, false),
            ("amended", true, false),
            ("corrected", true, false),
            ("preliminary", true, true),
            ("registered", false, false),
            ("cancelled", false, false),
            ("entered-in-error", false, false),
            ("unknown", false, false),
            // A feed that sends no status: read as final.
            ("", true, false),
        ] {
            let w = obs_with(
                "29463-7",
                status,
                r#""effectiveDateTime":"2026-11-20""#,
                r#"{"value":70,"unit":"kg"}"#,
            );
            let f = facts_of(&t, &[&w]);
            assert_eq!(f.weights.len(), usize::from(used), "{status}");
            assert_eq!(
                f.preliminary.iter().any(|p| p.name == "weight"
                    && p.value
                        == Some(Sent {
                            comparator: None,
                            value: 70.0,
                            unit: "kg".into(),
                        })
                    && p.date == NaiveDate::from_ymd_opt(2026, 11, 20)
                    && p.area == Some(DataArea::Weight)),
                preliminary,
                "{status}: {:?}",
                f.preliminary
            );
            let e = obs_with(
                "62238-1",
                status,
                r#""effectiveDateTime":"2026-11-20""#,
                r#"{"value":45,"unit":"mL/min/{1.73_m2}"}"#,
            );
            let f = facts_of(&t, &[&e]);
            assert_eq!(f.labs.len(), usize::from(used), "{status}");
        }
    }

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn observation_time_table() {
        let t = Terminology::embedded().unwrap();
        // (time element, service offset in minutes, date read)
        let cases = [
            (r#""effectiveDateTime":"2026-11-20""#, 0, day(2026, 11, 20)),
            // An offset is an instant: 23:30 at UTC-5 is 04:30 UTC the next day.
            (
                r#""effectiveDateTime":"2026-11-23T23:30:00-05:00""#,
                0,
                day(2026, 11, 24),
            ),
            // ... and still the 23rd in a UTC-5 calendar.
            (
                r#""effectiveDateTime":"2026-11-23T23:30:00-05:00""#,
                -300,
                day(2026, 11, 23),
            ),
            (
                r#""effectiveDateTime":"2026-11-24T01:00:00+02:00""#,
                0,
                day(2026, 11, 23),
            ),
            (
                r#""effectiveDateTime":"2026-11-23T23:30:00Z""#,
                60,
                day(2026, 11, 24),
            ),
            (
                r#""effectiveDateTime":"2026-11-23T23:30:00.250Z""#,
                0,
                day(2026, 11, 23),
            ),
            (
                r#""effectiveDateTime":"2026-11-23T23:30-05:00""#,
                0,
                day(2026, 11, 24),
            ),
            (
                r#""effectiveInstant":"2026-11-23T22:00:00-03:00""#,
                0,
                day(2026, 11, 24),
            ),
            (
                r#""effectivePeriod":{"start":"2026-11-01","end":"2026-11-03"}"#,
                0,
                day(2026, 11, 3),
            ),
            (
                r#""effectivePeriod":{"start":"2026-11-01"}"#,
                0,
                day(2026, 11, 1),
            ),
            (r#""issued":"2026-11-05T10:00:00Z""#, 0, day(2026, 11, 5)),
            // effective[x] before issued.
            (
                r#""effectiveDateTime":"2026-11-02","issued":"2026-11-05T10:00:00Z""#,
                0,
                day(2026, 11, 2),
            ),
        ];
        for (time, offset, want) in cases {
            let w = obs_with("29463-7", "final", time, r#"{"value":70,"unit":"kg"}"#);
            let limits = DataLimits {
                utc_offset_minutes: offset as f64,
                ..DataLimits::default()
            };
            let mut b = FactsBuilder::new(&t, day(2026, 11, 24)).limits(limits);
            b.add(fhir::parse_resource(raw(&w)).unwrap()).unwrap();
            let f = b.build();
            assert_eq!(f.weights[0].date, Some(want), "{time} at {offset}");
        }
    }

    #[test]
    fn readings_of_one_day_are_ordered_by_instant() {
        let t = Terminology::embedded().unwrap();
        let w = |id: &str, time: &str, v: f64| {
            format!(
                r#"{{"resourceType":"Observation","id":"{id}","status":"final","code":{{"coding":[{{"system":"http://loinc.org","code":"29463-7"}}]}},"effectiveDateTime":"{time}","valueQuantity":{{"value":{v},"unit":"kg"}}}}"#
            )
        };
        // (times and weights in the order sent, newest weight)
        let cases = [
            // 08:00 at UTC-5 (13:00 UTC) is after 10:00 UTC on the same day.
            (
                [
                    ("2026-11-20T08:00:00-05:00", 71.0),
                    ("2026-11-20T10:00:00Z", 70.0),
                ],
                71.0,
            ),
            (
                [
                    ("2026-11-20T10:00:00Z", 70.0),
                    ("2026-11-20T08:00:00-05:00", 71.0),
                ],
                71.0,
            ),
            // A later day wins whatever the time.
            (
                [
                    ("2026-11-21T00:10:00Z", 72.0),
                    ("2026-11-20T23:50:00Z", 70.0),
                ],
                72.0,
            ),
            // A timed reading is read as later than an untimed one of its day.
            ([("2026-11-20", 69.0), ("2026-11-20T07:00:00Z", 70.0)], 70.0),
        ];
        for (sent, newest) in cases {
            let a = w("a", sent[0].0, sent[0].1);
            let b = w("b", sent[1].0, sent[1].1);
            let f = facts_of(&t, &[&a, &b]);
            assert_eq!(f.weights[0].value, newest, "{sent:?}");
        }
    }

    #[test]
    fn comparator_table() {
        let t = Terminology::embedded().unwrap();
        use crate::facts::Comparator;
        // (eGFR quantity, comparator read, eGFR shown, below 60, below 15)
        let cases = [
            (
                r#"{"value":60,"comparator":">","unit":"mL/min/{1.73_m2}"}"#,
                Some(Comparator::Above),
                "> 60",
                false,
                false,
            ),
            (
                r#"{"value":60,"comparator":">=","unit":"mL/min/{1.73_m2}"}"#,
                Some(Comparator::AtLeast),
                "≥ 60",
                false,
                false,
            ),
            (
                r#"{"value":15,"comparator":"<","unit":"mL/min/{1.73_m2}"}"#,
                Some(Comparator::Below),
                "< 15",
                true,
                true,
            ),
            (
                r#"{"value":15,"comparator":"<=","unit":"mL/min/{1.73_m2}"}"#,
                Some(Comparator::AtMost),
                "≤ 15",
                true,
                false,
            ),
            (
                r#"{"value":60,"unit":"mL/min/{1.73_m2}"}"#,
                None,
                "60",
                false,
                false,
            ),
            (
                r#"{"value":60,"comparator":"ad","unit":"mL/min/{1.73_m2}"}"#,
                None,
                "60",
                false,
                false,
            ),
        ];
        for (q, comparator, shown, below_60, below_15) in cases {
            let e = obs_with("62238-1", "final", r#""effectiveDateTime":"2026-11-20""#, q);
            let f = facts_of(&t, &[&e]);
            assert_eq!(f.labs[0].comparator, comparator, "{q}");
            let r = f.renal();
            let value: f64 = shown
                .trim_start_matches(|c: char| !c.is_ascii_digit())
                .parse()
                .unwrap();
            assert_eq!(
                r.egfr.as_ref().map(|e| (e.comparator, e.value)),
                Some((comparator, value)),
                "{q}"
            );
            assert_eq!(r.is_below(60.0), below_60, "{q}");
            assert_eq!(r.is_below(15.0), below_15, "{q}");
        }
        // A weight with a comparator is a bound: never a dose's input.
        let w = obs_with(
            "29463-7",
            "final",
            r#""effectiveDateTime":"2026-11-20""#,
            r#"{"value":150,"comparator":">","unit":"kg"}"#,
        );
        let f = facts_of(&t, &[&w]);
        assert!(f.weights.is_empty());
        assert_eq!(
            f.notes[0],
            SetAside::BoundBody {
                weight: true,
                comparator: Comparator::Above,
                value: 150.0,
                unit: "kg".into(),
                date: NaiveDate::from_ymd_opt(2026, 11, 20),
            }
        );
        // A creatinine with a comparator computes no eGFR.
        let c = obs_with(
            "2160-0",
            "final",
            r#""effectiveDateTime":"2026-11-20""#,
            r#"{"value":0.5,"comparator":"<","unit":"mg/dL"}"#,
        );
        let p = r#"{"resourceType":"Patient","gender":"female","birthDate":"1980-01-01"}"#;
        let f = facts_of(&t, &[&c, p]);
        assert!(f.renal().egfr.is_none());
    }

    #[test]
    fn partial_birth_dates_table() {
        let t = Terminology::embedded().unwrap();
        // today 2026-11-24: (birthDate, age deciding "adult", age for CKD-EPI)
        let cases = [
            ("1990-05-10", Some(36), Some(36)),
            // Year only: born between 2008-01-01 (18) and 2008-12-31 (17): a minor.
            ("2008", Some(17), Some(17)),
            // Year and month: 2008-11 is 18 on every day of it up to the 24th,
            // 17 after: the youngest possible age decides.
            ("2008-11", Some(17), Some(17)),
            ("2008-10", Some(18), Some(18)),
            // An adult either way: CKD-EPI takes the oldest possible age (the lower eGFR).
            ("1990", Some(35), Some(36)),
            ("1990-11", Some(35), Some(36)),
            // Born this year: today at the latest.
            ("2026", Some(0), Some(0)),
            ("2030", None, None),
            ("nonsense", None, None),
        ];
        for (birth, adult_age, egfr_age) in cases {
            let p =
                format!(r#"{{"resourceType":"Patient","gender":"female","birthDate":"{birth}"}}"#);
            let f = facts_of(&t, &[&p]);
            assert_eq!(f.age_years(), adult_age, "{birth}");
            assert_eq!(f.age_for_egfr(), egfr_age, "{birth}");
        }
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
                &b.add(fhir::parse_resource(raw(json)).unwrap()),
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
            b.add(fhir::parse_resource(raw(&json)).unwrap()).unwrap();
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
            match fhir::parse_resource(raw(&json)).unwrap() {
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
        match fhir::parse_resource(raw(&json)).unwrap() {
            Resource::MedicationRequest(mr) => {
                assert_eq!(b.draft(*mr, true), Err(Dropped::OtherPatient))
            }
            other => panic!("{other:?}"),
        }
        // A draft with a dose but no medication is named as unreadable; one
        // with neither (an order form opened, nothing picked yet) is not an
        // order at all.
        for (json, unreadable, orders) in [
            (
                r#"{"resourceType":"MedicationRequest","id":"e","dosageInstruction":[{"text":"20 mg daily"}]}"#,
                1,
                1,
            ),
            (
                r#"{"resourceType":"MedicationRequest","id":"e","status":"draft","authoredOn":"2026-12-05","dosageInstruction":[]}"#,
                0,
                0,
            ),
        ] {
            let mut b = builder(&t);
            match fhir::parse_resource(raw(json)).unwrap() {
                Resource::MedicationRequest(mr) => b.draft(*mr, true).unwrap(),
                other => panic!("{other:?}"),
            }
            let f = b.build();
            assert_eq!(f.unreadable_orders.len(), unreadable, "{json}");
            assert_eq!(f.orders.len(), orders, "{json}");
        }
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
