//! Lenient FHIR R4 input types: only the elements the rules read, every one
//! optional, unknown members ignored, decimals accepted as numbers or numeric
//! strings. Untrusted input is parsed one resource at a time
//! ([`parse_resource`]), so a malformed entry is skipped and reported instead
//! of failing the request.
//!
//! The types borrow from the text they are read from (`'a`): a string is
//! copied only when it holds an escape, and the request's prefetch is read
//! where it lies in the request body (of a request, only the draft orders are
//! copied, kept as sent for `update` suggestions).

mod bundle;

use std::borrow::Cow;

use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;

pub use bundle::{flatten, visit};

/// A string of a resource, borrowed from the text it was read from; owned
/// only when the JSON string holds an escape (which reading must undo).
#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Text<'a>(Cow<'a, str>);

impl<'a> Text<'a> {
    /// The string, kept beyond the text it was read from.
    pub fn into_owned(self) -> String {
        self.0.into_owned()
    }
}

impl std::ops::Deref for Text<'_> {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Text<'_> {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl std::borrow::Borrow<str> for Text<'_> {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Text<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&*self.0, f)
    }
}

impl std::fmt::Display for Text<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'a> From<&'a str> for Text<'a> {
    fn from(s: &'a str) -> Self {
        Text(Cow::Borrowed(s))
    }
}

impl From<String> for Text<'_> {
    fn from(s: String) -> Self {
        Text(Cow::Owned(s))
    }
}

impl From<Text<'_>> for String {
    fn from(t: Text<'_>) -> String {
        t.into_owned()
    }
}

impl PartialEq<str> for Text<'_> {
    fn eq(&self, other: &str) -> bool {
        *self.0 == *other
    }
}

impl PartialEq<&str> for Text<'_> {
    fn eq(&self, other: &&str) -> bool {
        *self.0 == **other
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Borrowed(s)))
            }
            fn visit_str<E>(self, s: &str) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Owned(s.to_owned())))
            }
            fn visit_string<E>(self, s: String) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Owned(s)))
            }
            fn visit_borrowed_bytes<E: serde::de::Error>(
                self,
                b: &'de [u8],
            ) -> Result<Text<'de>, E> {
                std::str::from_utf8(b)
                    .map(|s| Text(Cow::Borrowed(s)))
                    .map_err(|_| E::invalid_value(serde::de::Unexpected::Bytes(b), &self))
            }
            fn visit_bytes<E: serde::de::Error>(self, b: &[u8]) -> Result<Text<'de>, E> {
                std::str::from_utf8(b)
                    .map(|s| Text(Cow::Owned(s.to_owned())))
                    .map_err(|_| E::invalid_value(serde::de::Unexpected::Bytes(b), &self))
            }
            fn visit_byte_buf<E: serde::de::Error>(self, b: Vec<u8>) -> Result<Text<'de>, E> {
                String::from_utf8(b)
                    .map(|s| Text(Cow::Owned(s)))
                    .map_err(|e| {
                        E::invalid_value(serde::de::Unexpected::Bytes(e.as_bytes()), &self)
                    })
            }
        }
        d.deserialize_str(V)
    }
}

/// A FHIR decimal: a JSON number, or a string holding one.
fn decimal<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Num {
        N(f64),
        S(String),
    }
    Ok(match Option::<Num>::deserialize(d)? {
        Some(Num::N(n)) if n.is_finite() => Some(n),
        Some(Num::S(s)) => s.trim().parse::<f64>().ok().filter(|n| n.is_finite()),
        _ => None,
    })
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(bound(deserialize = "'de: 'a"))]
pub struct Coding<'a> {
    pub system: Option<Text<'a>>,
    pub code: Option<Text<'a>>,
    pub display: Option<Text<'a>>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(bound(deserialize = "'de: 'a"))]
pub struct CodeableConcept<'a> {
    #[serde(default)]
    pub coding: Vec<Coding<'a>>,
    pub text: Option<Text<'a>>,
}

impl CodeableConcept<'_> {
    /// The first human-readable name: text, else a coding's display.
    pub fn label(&self) -> Option<&str> {
        self.text
            .as_deref()
            .or_else(|| self.coding.iter().find_map(|c| c.display.as_deref()))
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(bound(deserialize = "'de: 'a"))]
pub struct Quantity<'a> {
    #[serde(default, deserialize_with = "decimal")]
    pub value: Option<f64>,
    /// `<`, `<=`, `>=`, `>` (or `ad`): how the value is to be read.
    pub comparator: Option<Text<'a>>,
    pub unit: Option<Text<'a>>,
    pub system: Option<Text<'a>>,
    pub code: Option<Text<'a>>,
}

impl Quantity<'_> {
    /// The unit: the UCUM code when present, else the human unit.
    pub fn unit_code(&self) -> Option<&str> {
        self.code.as_deref().or(self.unit.as_deref())
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(bound(deserialize = "'de: 'a"))]
pub struct Range<'a> {
    pub low: Option<Quantity<'a>>,
    pub high: Option<Quantity<'a>>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(bound(deserialize = "'de: 'a"))]
pub struct Reference<'a> {
    pub reference: Option<Text<'a>>,
    /// What the reference names, as text: the drug, when a Medication
    /// reference cannot be resolved.
    pub display: Option<Text<'a>>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(bound(deserialize = "'de: 'a"))]
pub struct Period<'a> {
    pub start: Option<Text<'a>>,
    pub end: Option<Text<'a>>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
#[serde(bound(deserialize = "'de: 'a"))]
pub struct Patient<'a> {
    pub id: Option<Text<'a>>,
    pub gender: Option<Text<'a>>,
    pub birth_date: Option<Text<'a>>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
#[serde(bound(deserialize = "'de: 'a"))]
pub struct Condition<'a> {
    pub id: Option<Text<'a>>,
    pub subject: Option<Reference<'a>>,
    /// DSTU2 `Condition.patient`.
    pub patient: Option<Reference<'a>>,
    pub clinical_status: Option<CodeableConcept<'a>>,
    pub verification_status: Option<CodeableConcept<'a>>,
    pub code: Option<CodeableConcept<'a>>,
    pub onset_date_time: Option<Text<'a>>,
    pub onset_period: Option<Period<'a>>,
    pub recorded_date: Option<Text<'a>>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
#[serde(bound(deserialize = "'de: 'a"))]
pub struct ObservationComponent<'a> {
    pub code: Option<CodeableConcept<'a>>,
    pub value_quantity: Option<Quantity<'a>>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
#[serde(bound(deserialize = "'de: 'a"))]
pub struct ReferenceRange<'a> {
    pub low: Option<Quantity<'a>>,
    pub high: Option<Quantity<'a>>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
#[serde(bound(deserialize = "'de: 'a"))]
pub struct Observation<'a> {
    pub id: Option<Text<'a>>,
    pub subject: Option<Reference<'a>>,
    pub status: Option<Text<'a>>,
    pub code: Option<CodeableConcept<'a>>,
    pub effective_date_time: Option<Text<'a>>,
    pub effective_instant: Option<Text<'a>>,
    pub effective_period: Option<Period<'a>>,
    pub issued: Option<Text<'a>>,
    pub value_quantity: Option<Quantity<'a>>,
    pub value_codeable_concept: Option<CodeableConcept<'a>>,
    pub value_string: Option<Text<'a>>,
    pub value_boolean: Option<bool>,
    #[serde(default)]
    pub component: Vec<ObservationComponent<'a>>,
    #[serde(default)]
    pub reference_range: Vec<ReferenceRange<'a>>,
    #[serde(default)]
    pub interpretation: Vec<CodeableConcept<'a>>,
}

impl Observation<'_> {
    /// When it was observed: effective[x], else issued.
    pub fn when(&self) -> Option<&str> {
        self.effective_date_time
            .as_deref()
            .or(self.effective_instant.as_deref())
            .or(self
                .effective_period
                .as_ref()
                .and_then(|p| p.end.as_deref().or(p.start.as_deref())))
            .or(self.issued.as_deref())
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
#[serde(bound(deserialize = "'de: 'a"))]
pub struct Repeat<'a> {
    #[serde(default, deserialize_with = "decimal")]
    pub frequency: Option<f64>,
    #[serde(default, deserialize_with = "decimal")]
    pub frequency_max: Option<f64>,
    #[serde(default, deserialize_with = "decimal")]
    pub period: Option<f64>,
    #[serde(default, deserialize_with = "decimal")]
    pub period_max: Option<f64>,
    pub period_unit: Option<Text<'a>>,
    #[serde(default, deserialize_with = "decimal")]
    pub count: Option<f64>,
    #[serde(default, deserialize_with = "decimal")]
    pub count_max: Option<f64>,
    pub bounds_duration: Option<Quantity<'a>>,
    pub bounds_period: Option<Period<'a>>,
    #[serde(default)]
    pub day_of_week: Vec<Text<'a>>,
    #[serde(default)]
    pub time_of_day: Vec<Text<'a>>,
    #[serde(default)]
    pub when: Vec<Text<'a>>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(bound(deserialize = "'de: 'a"))]
pub struct Timing<'a> {
    #[serde(default)]
    pub event: Vec<Text<'a>>,
    pub repeat: Option<Repeat<'a>>,
    pub code: Option<CodeableConcept<'a>>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
#[serde(bound(deserialize = "'de: 'a"))]
pub struct DoseAndRate<'a> {
    pub dose_quantity: Option<Quantity<'a>>,
    pub dose_range: Option<Range<'a>>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
#[serde(bound(deserialize = "'de: 'a"))]
pub struct Dosage<'a> {
    /// Instructions of the same sequence apply together; a later one follows.
    #[serde(default, deserialize_with = "decimal")]
    pub sequence: Option<f64>,
    pub text: Option<Text<'a>>,
    pub timing: Option<Timing<'a>>,
    pub route: Option<CodeableConcept<'a>>,
    #[serde(default)]
    pub dose_and_rate: Vec<DoseAndRate<'a>>,
    /// STU3 and DSTU2: the dose sits on the dosage itself.
    pub dose_quantity: Option<Quantity<'a>>,
    /// STU3 and DSTU2.
    pub dose_range: Option<Range<'a>>,
    /// Given when needed (R4 `asNeededBoolean`).
    pub as_needed_boolean: Option<bool>,
    /// Given when needed, for a reason (R4 `asNeededCodeableConcept`).
    pub as_needed_codeable_concept: Option<CodeableConcept<'a>>,
    /// The most that may be given in a period ("at most 40 mg a day").
    pub max_dose_per_period: Option<Ratio<'a>>,
}

impl Dosage<'_> {
    /// Whether the dose is given only when needed.
    pub fn as_needed(&self) -> bool {
        self.as_needed_boolean == Some(true) || self.as_needed_codeable_concept.is_some()
    }
}

/// A ratio of two quantities (`maxDosePerPeriod`: mg per day).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(bound(deserialize = "'de: 'a"))]
pub struct Ratio<'a> {
    pub numerator: Option<Quantity<'a>>,
    pub denominator: Option<Quantity<'a>>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
#[serde(bound(deserialize = "'de: 'a"))]
pub struct MedicationRequest<'a> {
    pub id: Option<Text<'a>>,
    pub subject: Option<Reference<'a>>,
    /// DSTU2 `MedicationOrder.patient`.
    pub patient: Option<Reference<'a>>,
    pub status: Option<Text<'a>>,
    pub intent: Option<Text<'a>>,
    pub prior_prescription: Option<Reference<'a>>,
    /// DSTU2 `MedicationOrder.dateWritten`.
    pub date_written: Option<Text<'a>>,
    pub medication_codeable_concept: Option<CodeableConcept<'a>>,
    pub medication_reference: Option<Reference<'a>>,
    #[serde(default)]
    pub contained: Vec<&'a RawValue>,
    pub authored_on: Option<Text<'a>>,
    #[serde(default)]
    pub dosage_instruction: Vec<Dosage<'a>>,
}

/// A medication the patient takes as reported (another prescriber, the
/// patient): read like an active order when its status says it is taken.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
#[serde(bound(deserialize = "'de: 'a"))]
pub struct MedicationStatement<'a> {
    pub id: Option<Text<'a>>,
    pub subject: Option<Reference<'a>>,
    pub status: Option<Text<'a>>,
    pub medication_codeable_concept: Option<CodeableConcept<'a>>,
    pub medication_reference: Option<Reference<'a>>,
    #[serde(default)]
    pub contained: Vec<&'a RawValue>,
    pub effective_date_time: Option<Text<'a>>,
    pub effective_period: Option<Period<'a>>,
    pub date_asserted: Option<Text<'a>>,
    #[serde(default)]
    pub dosage: Vec<Dosage<'a>>,
}

impl<'a> MedicationStatement<'a> {
    /// The statement as an order-shaped record, so one reading serves both.
    pub fn as_request(self) -> MedicationRequest<'a> {
        MedicationRequest {
            authored_on: self
                .effective_date_time
                .or(self.effective_period.and_then(|p| p.start))
                .or(self.date_asserted),
            id: self.id,
            subject: self.subject,
            status: self.status,
            medication_codeable_concept: self.medication_codeable_concept,
            medication_reference: self.medication_reference,
            contained: self.contained,
            dosage_instruction: self.dosage,
            ..MedicationRequest::default()
        }
    }
}

/// A drafted service (a test, monitoring): its code is what it orders.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(bound(deserialize = "'de: 'a"))]
pub struct ServiceRequest<'a> {
    pub id: Option<Text<'a>>,
    pub subject: Option<Reference<'a>>,
    pub status: Option<Text<'a>>,
    pub code: Option<CodeableConcept<'a>>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(bound(deserialize = "'de: 'a"))]
pub struct Medication<'a> {
    pub id: Option<Text<'a>>,
    pub code: Option<CodeableConcept<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
#[serde(bound(deserialize = "'de: 'a"))]
pub struct BundleEntry<'a> {
    pub resource: Option<&'a RawValue>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(bound(deserialize = "'de: 'a"))]
pub struct Bundle<'a> {
    #[serde(default)]
    pub entry: Vec<BundleEntry<'a>>,
}

#[derive(Debug, Default, Deserialize)]
pub struct OperationOutcome {}

/// One parsed resource of a type the rules read.
#[derive(Debug)]
pub enum Resource<'a> {
    Patient(Patient<'a>),
    Condition(Box<Condition<'a>>),
    Observation(Box<Observation<'a>>),
    MedicationRequest(Box<MedicationRequest<'a>>),
    MedicationStatement(Box<MedicationStatement<'a>>),
    ServiceRequest(Box<ServiceRequest<'a>>),
    Medication(Medication<'a>),
    Bundle(Bundle<'a>),
    OperationOutcome(OperationOutcome),
    /// A resource type the rules do not read.
    Other(Text<'a>),
}

impl<'a> Resource<'a> {
    /// The FHIR type name, for the log and for de-duplication.
    pub fn type_name(&self) -> &str {
        match self {
            Resource::Patient(_) => "Patient",
            Resource::Condition(_) => "Condition",
            Resource::Observation(_) => "Observation",
            Resource::MedicationRequest(_) => "MedicationRequest",
            Resource::MedicationStatement(_) => "MedicationStatement",
            Resource::ServiceRequest(_) => "ServiceRequest",
            Resource::Medication(_) => "Medication",
            Resource::Bundle(_) => "Bundle",
            Resource::OperationOutcome(_) => "OperationOutcome",
            Resource::Other(t) => t,
        }
    }

    /// The type and id that identify it, for the resources that have an id
    /// the rules read (the id as read: borrowed from the resource's text).
    pub fn key(&self) -> Option<(&'static str, &Text<'a>)> {
        Some(match self {
            Resource::Patient(p) => ("Patient", p.id.as_ref()?),
            Resource::Condition(c) => ("Condition", c.id.as_ref()?),
            Resource::Observation(o) => ("Observation", o.id.as_ref()?),
            Resource::MedicationRequest(m) => ("MedicationRequest", m.id.as_ref()?),
            Resource::MedicationStatement(m) => ("MedicationStatement", m.id.as_ref()?),
            Resource::ServiceRequest(m) => ("ServiceRequest", m.id.as_ref()?),
            Resource::Medication(m) => ("Medication", m.id.as_ref()?),
            _ => return None,
        })
    }

    pub fn id(&self) -> Option<&str> {
        self.key().map(|(_, id)| &**id)
    }

    /// The patient the resource is about, as a reference ("Patient/x" or a URL
    /// ending so): `subject`, else the DSTU2 `patient`.
    pub fn subject(&self) -> Option<&str> {
        let r = match self {
            Resource::Condition(c) => c.subject.as_ref().or(c.patient.as_ref()),
            Resource::Observation(o) => o.subject.as_ref(),
            Resource::MedicationRequest(m) => m.subject.as_ref().or(m.patient.as_ref()),
            Resource::MedicationStatement(m) => m.subject.as_ref(),
            Resource::ServiceRequest(m) => m.subject.as_ref(),
            _ => None,
        };
        r.and_then(|r| r.reference.as_deref())
    }
}

/// Why a resource was skipped. Carries no content of the resource, so it can
/// be logged: the type, and serde's error category and column.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{resource_type} skipped: {category} error at column {column}")]
pub struct Skipped {
    pub resource_type: String,
    pub category: &'static str,
    pub column: usize,
}

pub(crate) fn skipped(resource_type: &str, e: &serde_json::Error) -> Skipped {
    use serde_json::error::Category;
    Skipped {
        resource_type: resource_type.to_string(),
        category: match e.classify() {
            Category::Io => "io",
            Category::Syntax => "syntax",
            Category::Data => "data",
            Category::Eof => "eof",
        },
        column: e.column(),
    }
}

/// The `resourceType` of a resource whose first member it is (as servers
/// write it), read without scanning the rest: `None` when it is not first or
/// holds an escape, for a full read to decide.
fn leading_resource_type(text: &str) -> Option<&str> {
    let rest = text.trim_start().strip_prefix('{')?.trim_start();
    let rest = rest.strip_prefix("\"resourceType\"")?.trim_start();
    let rest = rest.strip_prefix(':')?.trim_start().strip_prefix('"')?;
    let end = rest.find(['"', '\\'])?;
    (rest.as_bytes()[end] == b'"').then(|| &rest[..end])
}

/// A resource's `resourceType`: read from its start when it comes first,
/// else by reading the resource (`Ok(None)` when absent).
pub fn resource_type(text: &str) -> Result<Option<std::borrow::Cow<'_, str>>, serde_json::Error> {
    if let Some(t) = leading_resource_type(text) {
        return Ok(Some(t.into()));
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Head<'a> {
        #[serde(borrow)]
        resource_type: Option<Cow<'a, str>>,
    }
    let head: Head = serde_json::from_str(text)?;
    Ok(head.resource_type)
}

/// Parses one resource, leniently: a wrong element type skips this resource only.
pub fn parse_resource(raw: &RawValue) -> Result<Resource<'_>, Skipped> {
    let text = raw.get();
    let rt = resource_type(text)
        .map_err(|e| skipped("(unknown)", &e))?
        .unwrap_or_default();
    macro_rules! parse {
        ($variant:ident) => {
            serde_json::from_str(text)
                .map(Resource::$variant)
                .map_err(|e| skipped(&rt, &e))
        };
    }
    match &*rt {
        "Patient" => parse!(Patient),
        "Condition" => serde_json::from_str(text)
            .map(|c| Resource::Condition(Box::new(c)))
            .map_err(|e| skipped(&rt, &e)),
        "Observation" => serde_json::from_str(text)
            .map(|o| Resource::Observation(Box::new(o)))
            .map_err(|e| skipped(&rt, &e)),
        // A DSTU2 MedicationOrder reads into the same type (patient, dateWritten,
        // dose on the dosage).
        "MedicationRequest" | "MedicationOrder" => serde_json::from_str(text)
            .map(|m| Resource::MedicationRequest(Box::new(m)))
            .map_err(|e| skipped(&rt, &e)),
        "MedicationStatement" => serde_json::from_str(text)
            .map(|m| Resource::MedicationStatement(Box::new(m)))
            .map_err(|e| skipped(&rt, &e)),
        "ServiceRequest" => serde_json::from_str(text)
            .map(|m| Resource::ServiceRequest(Box::new(m)))
            .map_err(|e| skipped(&rt, &e)),
        "Medication" => parse!(Medication),
        "Bundle" => parse!(Bundle),
        "OperationOutcome" => Ok(Resource::OperationOutcome(OperationOutcome {})),
        "" => Err(Skipped {
            resource_type: "(none)".into(),
            category: "data",
            column: 0,
        }),
        other => Ok(Resource::Other(other.to_string().into())),
    }
}

/// Reads the date part of a FHIR date or dateTime ("2026", "2026-11",
/// "2026-11-24", "2026-11-24T10:00:00Z"); partial dates become the first day.
pub fn date(s: &str) -> Option<chrono::NaiveDate> {
    let s = s.trim();
    let part = s.get(..10).unwrap_or(s);
    let mut it = part.split('-');
    let y: i32 = it.next()?.parse().ok()?;
    let m: u32 = it.next().map_or(Some(1), |m| m.parse().ok())?;
    let d: u32 = it.next().map_or(Some(1), |d| d.parse().ok())?;
    chrono::NaiveDate::from_ymd_opt(y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(s: &str) -> Box<RawValue> {
        RawValue::from_string(s.to_string()).unwrap()
    }

    #[test]
    fn one_bad_entry_is_skipped_not_fatal() {
        let bundle = raw(r#"{"resourceType":"Bundle","entry":[
            {"resource":{"resourceType":"Observation","id":"ok","valueQuantity":{"value":"70.5","unit":"kg"}}},
            {"resource":{"resourceType":"Observation","id":"bad","valueQuantity":{"value":{"x":1}}}},
            {"resource":{"resourceType":"Condition","code":{"coding":[]}}},
            {"fullUrl":"urn:no-resource"},
            {"resource":{"resourceType":"Encounter","id":"e1","unknownR5Element":[1,2]}}
        ]}"#);
        let (res, skipped) = flatten(&bundle);
        assert_eq!(res.len(), 3);
        assert_eq!(skipped.len(), 1);
        assert_eq!(skipped[0].resource_type, "Observation");
        match &res[0] {
            Resource::Observation(o) => {
                assert_eq!(o.value_quantity.as_ref().unwrap().value, Some(70.5))
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(&res[2], Resource::Other(t) if t == "Encounter"));
    }

    /// Every entry shape the one-pass reading may stop at, with ones it reads.
    const ENTRIES: &[&str] = &[
        r#"{"resource":{"resourceType":"Observation","id":"o","valueQuantity":{"value":"70.5","unit":"kg"}}}"#,
        r#"{"fullUrl":"x","resource":{"resourceType":"Condition","id":"c","code":{"text":"SSc"}},"search":{"mode":"match"}}"#,
        r#"{"resource":{"resourceType":"Observation","id":"bad","valueQuantity":{"value":{"x":1}}}}"#,
        r#"{"resource":{"id":"late","resourceType":"Patient","gender":"female"}}"#,
        r#"{"resource":{"resourceType":"Medic\u0061tionRequest","id":"esc","status":"active"}}"#,
        r#"{"resource":{"resourceType":"MedicationOrder","id":"m","dateWritten":"2026-01-02"}}"#,
        r#"{"resource":{"resourceType":"Encounter","id":"e","x":[1,{"y":[]}]}}"#,
        r#"{"resource":{"resourceType":"OperationOutcome","issue":[]}}"#,
        r#"{"resource":{"resourceType":"Bundle","entry":[]}}"#,
        r#"{"resource":{"resourceType":"Bundle","entry":7}}"#,
        r#"{"resource":{"resourceType":""}}"#,
        r#"{"resource":{"gender":"male"}}"#,
        r#"{"resource":null}"#,
        r#"{"resource":5}"#,
        r#"{"resource":{"resourceType":"Patient","id":"p"},"resource":{}}"#,
        r#"{"resource":{"resourceType":"Condition","id":"c2","code":{},"code":{}}}"#,
        r#"{"search":{}}"#,
        r#"null"#,
        r#"[]"#,
        r#"{"resource":{"resourceType":"Medication","id":"med","code":{"coding":[{"code":"1"}]}}}"#,
        r#"{"resource":{"resourceType":"MedicationStatement","id":"ms","status":"active","medicationReference":{"reference":"Medication/med","display":"Prednisone 5 MG"}}}"#,
        r#"{"resource":{"resourceType":"MedicationStatement","id":"bad","dosage":7}}"#,
        r#"{"resource":{"resourceType":"ServiceRequest","id":"sr","status":"draft","code":{"coding":[{"system":"http://loinc.org","code":"2160-0"}]}}}"#,
    ];

    fn read(text: &str, one_pass: bool) -> Vec<String> {
        let raw = raw(text);
        let mut out = Vec::new();
        let mut skips = Vec::new();
        if one_pass {
            visit(
                &raw,
                |r| out.push(format!("{r:?}")),
                |s| skips.push(format!("{s:?}")),
            );
        } else {
            bundle::careful(
                raw.get(),
                0,
                &mut |r| out.push(format!("{r:?}")),
                &mut |s| skips.push(format!("{s:?}")),
            );
        }
        out.extend(skips.into_iter().map(|s| format!("skipped {s}")));
        out
    }

    proptest::proptest! {
        /// The one-pass reading gives what reading each entry on its own
        /// gives, whatever entries it stops at.
        #[test]
        fn one_pass_reads_as_each_entry_alone(picks in proptest::collection::vec(0..ENTRIES.len(), 0..12)) {
            let entries: Vec<&str> = picks.iter().map(|&i| ENTRIES[i]).collect();
            let text = format!(r#"{{"resourceType":"Bundle","type":"searchset","entry":[{}],"total":1}}"#, entries.join(","));
            proptest::prop_assert_eq!(read(&text, true), read(&text, false));
        }
    }

    #[test]
    fn bundle_level_faults_skip_the_bundle_once() {
        for text in [
            r#"{"resourceType":"Bundle","entry":{}}"#,
            r#"{"resourceType":"Bundle","entry":null}"#,
        ] {
            assert_eq!(read(text, true), read(text, false), "{text}");
            assert_eq!(read(text, true).len(), 1, "{text}");
        }
        let dup = r#"{"resourceType":"Bundle","entry":[],"entry":[]}"#;
        assert_eq!(read(dup, true), read(dup, false));
    }

    proptest::proptest! {
        /// A decimal reads the same from a JSON number and from a string
        /// holding it; a value of another JSON type is an error.
        #[test]
        fn decimals_as_numbers_or_strings(v in proptest::num::f64::NORMAL | proptest::num::f64::ZERO, i in proptest::num::i64::ANY) {
            let q = |text: String| serde_json::from_str::<Quantity>(&text).map(|q| q.value);
            // A JSON number reads as serde_json reads an f64 (its fast path
            // may be an ulp off for long literals); a string as Rust parses it.
            let n = v.to_string();
            let as_json: f64 = serde_json::from_str(&n).unwrap();
            proptest::prop_assert_eq!(q(format!(r#"{{"value":{n}}}"#)).unwrap(), Some(as_json));
            proptest::prop_assert_eq!(q(format!(r#"{{"value":" {n} "}}"#)).unwrap(), Some(v));
            proptest::prop_assert_eq!(q(format!(r#"{{"value":{i}}}"#)).unwrap(), Some(i as f64));
            proptest::prop_assert_eq!(q(r#"{"value":null}"#.into()).unwrap(), None);
            proptest::prop_assert_eq!(q(r#"{"value":"n/a"}"#.into()).unwrap(), None);
            for other in ["true", "[1]", r#"{"v":1}"#] {
                let text = format!(r#"{{"value":{other}}}"#);
                proptest::prop_assert!(q(text).is_err());
            }
        }
    }

    proptest::proptest! {
        /// Any string reads back as it was written; it is borrowed from the
        /// text (pointing into it) unless written with an escape, and only
        /// then owned.
        #[test]
        fn strings_are_borrowed_unless_escaped(v in proptest::prelude::any::<String>()) {
            let text = format!(r#"{{"code":{}}}"#, serde_json::to_string(&v).unwrap());
            let c: Coding = serde_json::from_str(&text).unwrap();
            let code = c.code.unwrap();
            proptest::prop_assert_eq!(&*code, v.as_str());
            let escaped = text.contains('\\');
            proptest::prop_assert_eq!(matches!(code.0, Cow::Owned(_)), escaped);
            if !escaped {
                proptest::prop_assert!(text.as_bytes().as_ptr_range().contains(&code.as_ptr()) || v.is_empty());
            }
        }
    }

    #[test]
    fn a_resource_borrows_from_its_text() {
        let r = raw(
            r#"{"resourceType":"Observation","id":"o1","code":{"text":"Body weight"},"valueQuantity":{"value":70,"unit":"k\u0067"}}"#,
        );
        let Ok(Resource::Observation(o)) = parse_resource(&r) else {
            panic!("not read")
        };
        let inside = |t: &Text| r.get().as_bytes().as_ptr_range().contains(&t.as_ptr());
        assert!(inside(o.id.as_ref().unwrap()));
        assert!(inside(o.code.as_ref().unwrap().text.as_ref().unwrap()));
        // Escaped: unescaped into a string of its own.
        let unit = o.value_quantity.as_ref().unwrap().unit.as_ref().unwrap();
        assert_eq!(&**unit, "kg");
        assert!(!inside(unit));
    }

    #[test]
    fn a_bundle_borrows_from_its_text_read_in_one_pass_or_entry_by_entry() {
        // The second entry's resourceType is not first: the one pass stops
        // there and the rest are read entry by entry.
        let text = r#"{"resourceType":"Bundle","entry":[
            {"resource":{"resourceType":"Condition","id":"c1","code":{"text":"Systemic sclerosis"}}},
            {"resource":{"id":"c2","resourceType":"Condition","code":{"text":"Myositis"}}},
            {"resource":{"resourceType":"Condition","id":"c3","code":{"text":"Interstitial lung disease"}}}
        ]}"#;
        let bundle = raw(text);
        let inside = |t: &str| bundle.get().as_bytes().as_ptr_range().contains(&t.as_ptr());
        let mut ids = vec![];
        visit(
            &bundle,
            |r| {
                let Resource::Condition(c) = r else {
                    panic!("{r:?}")
                };
                let id = c.id.unwrap();
                let label = c.code.unwrap().text.unwrap();
                assert!(matches!(id.0, Cow::Borrowed(_)) && inside(&id), "{id}");
                assert!(matches!(label.0, Cow::Borrowed(_)) && inside(&label));
                ids.push(id.into_owned());
            },
            |s| panic!("{s:?}"),
        );
        assert_eq!(ids, ["c1", "c2", "c3"]);
    }

    #[test]
    fn skip_reason_carries_no_content() {
        let r = raw(r#"{"resourceType":"Patient","gender":{"secret":"Ada Lovelace"}}"#);
        let err = parse_resource(&r).unwrap_err();
        assert!(!err.to_string().contains("Ada"), "{err}");
    }

    #[test]
    fn fhir_dates() {
        use chrono::NaiveDate as D;
        assert_eq!(date("2026-11-24"), D::from_ymd_opt(2026, 11, 24));
        assert_eq!(
            date("2026-11-24T23:10:00+02:00"),
            D::from_ymd_opt(2026, 11, 24)
        );
        assert_eq!(date("2026-11"), D::from_ymd_opt(2026, 11, 1));
        assert_eq!(date("1970"), D::from_ymd_opt(1970, 1, 1));
        assert_eq!(date("1970-13-45"), None);
        assert_eq!(date("banana"), None);
    }
}
