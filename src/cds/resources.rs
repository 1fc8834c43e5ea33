//! The FHIR R4 resources our suggestions carry, as typed values serialised
//! straight into the response: members in alphabetical order, no `null`, no
//! empty arrays. An `update` keeps the draft order's own members as the
//! client sent them (each its raw JSON) and replaces only those it changes.

use std::collections::BTreeMap;

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};
use serde_json::value::RawValue;

/// The resource of one suggestion's action.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum Suggested {
    MedicationRequest(Box<NewMedicationRequest>),
    ServiceRequest(Box<NewServiceRequest>),
    Updated(UpdatedDraft),
}

/// A FHIR decimal without a needless fraction (1, not 1.0).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Decimal(pub f64);

impl Serialize for Decimal {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.0.fract() == 0.0 && self.0.abs() < 1e15 {
            s.serialize_i64(self.0 as i64)
        } else {
            s.serialize_f64(self.0)
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Coding {
    pub code: &'static str,
    pub display: &'static str,
    pub system: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct CodeableConcept {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub coding: Vec<Coding>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Reference {
    pub reference: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Quantity {
    pub code: &'static str,
    pub system: &'static str,
    pub unit: &'static str,
    pub value: Decimal,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Repeat {
    pub frequency: u32,
    pub period: Decimal,
    pub period_unit: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct Timing {
    pub repeat: Repeat,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DoseAndRate {
    pub dose_quantity: Quantity,
}

/// A route: ours (SNOMED CT), or the draft order's own, kept as sent.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum Route {
    Coded(CodeableConcept),
    AsSent(Box<RawValue>),
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Dosage {
    pub dose_and_rate: [DoseAndRate; 1],
    pub route: Route,
    pub text: String,
    pub timing: Timing,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NewMedicationRequest {
    pub authored_on: String,
    pub dosage_instruction: [Dosage; 1],
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encounter: Option<Reference>,
    pub intent: &'static str,
    pub medication_codeable_concept: CodeableConcept,
    pub resource_type: &'static str,
    pub status: &'static str,
    pub subject: Reference,
}

#[derive(Debug, Clone, Serialize)]
pub struct Annotation {
    pub text: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NewServiceRequest {
    pub authored_on: String,
    pub code: CodeableConcept,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encounter: Option<Reference>,
    pub intent: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub note: Vec<Annotation>,
    pub resource_type: &'static str,
    pub status: &'static str,
    pub subject: Reference,
}

/// One member of an updated draft.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum Member {
    AsSent(Box<RawValue>),
    Text(&'static str),
    Subject(Reference),
    Medication(CodeableConcept),
    Dosage([Dosage; 1]),
}

/// A draft order with some members replaced, serialised in member order.
#[derive(Debug, Clone, Default)]
pub struct UpdatedDraft {
    pub members: BTreeMap<String, Member>,
}

impl Serialize for UpdatedDraft {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.members.len()))?;
        for (k, v) in &self.members {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}
