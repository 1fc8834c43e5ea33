//! Lenient FHIR R4 input types: only the elements the rules read, every one
//! optional, unknown members ignored, decimals accepted as numbers or numeric
//! strings. Untrusted input is parsed one resource at a time
//! ([`parse_resource`]), so a malformed entry is skipped and reported instead
//! of failing the request.

use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;

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
pub struct Coding {
    pub system: Option<String>,
    pub code: Option<String>,
    pub display: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct CodeableConcept {
    #[serde(default)]
    pub coding: Vec<Coding>,
    pub text: Option<String>,
}

impl CodeableConcept {
    /// The first human-readable name: text, else a coding's display.
    pub fn label(&self) -> Option<&str> {
        self.text
            .as_deref()
            .or_else(|| self.coding.iter().find_map(|c| c.display.as_deref()))
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Quantity {
    #[serde(default, deserialize_with = "decimal")]
    pub value: Option<f64>,
    pub unit: Option<String>,
    pub system: Option<String>,
    pub code: Option<String>,
}

impl Quantity {
    /// The unit: the UCUM code when present, else the human unit.
    pub fn unit_code(&self) -> Option<&str> {
        self.code.as_deref().or(self.unit.as_deref())
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Range {
    pub low: Option<Quantity>,
    pub high: Option<Quantity>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Reference {
    pub reference: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Period {
    pub start: Option<String>,
    pub end: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Patient {
    pub id: Option<String>,
    pub gender: Option<String>,
    pub birth_date: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Condition {
    pub id: Option<String>,
    pub subject: Option<Reference>,
    /// DSTU2 `Condition.patient`.
    pub patient: Option<Reference>,
    pub clinical_status: Option<CodeableConcept>,
    pub verification_status: Option<CodeableConcept>,
    pub code: Option<CodeableConcept>,
    pub onset_date_time: Option<String>,
    pub onset_period: Option<Period>,
    pub recorded_date: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ObservationComponent {
    pub code: Option<CodeableConcept>,
    pub value_quantity: Option<Quantity>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReferenceRange {
    pub low: Option<Quantity>,
    pub high: Option<Quantity>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Observation {
    pub id: Option<String>,
    pub subject: Option<Reference>,
    pub status: Option<String>,
    pub code: Option<CodeableConcept>,
    pub effective_date_time: Option<String>,
    pub effective_instant: Option<String>,
    pub effective_period: Option<Period>,
    pub issued: Option<String>,
    pub value_quantity: Option<Quantity>,
    pub value_codeable_concept: Option<CodeableConcept>,
    pub value_string: Option<String>,
    #[serde(default)]
    pub component: Vec<ObservationComponent>,
    #[serde(default)]
    pub reference_range: Vec<ReferenceRange>,
    #[serde(default)]
    pub interpretation: Vec<CodeableConcept>,
}

impl Observation {
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
pub struct Repeat {
    #[serde(default, deserialize_with = "decimal")]
    pub frequency: Option<f64>,
    #[serde(default, deserialize_with = "decimal")]
    pub frequency_max: Option<f64>,
    #[serde(default, deserialize_with = "decimal")]
    pub period: Option<f64>,
    #[serde(default, deserialize_with = "decimal")]
    pub period_max: Option<f64>,
    pub period_unit: Option<String>,
    #[serde(default, deserialize_with = "decimal")]
    pub count: Option<f64>,
    #[serde(default, deserialize_with = "decimal")]
    pub count_max: Option<f64>,
    pub bounds_duration: Option<Quantity>,
    pub bounds_period: Option<Period>,
    #[serde(default)]
    pub day_of_week: Vec<String>,
    #[serde(default)]
    pub time_of_day: Vec<String>,
    #[serde(default)]
    pub when: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Timing {
    #[serde(default)]
    pub event: Vec<String>,
    pub repeat: Option<Repeat>,
    pub code: Option<CodeableConcept>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DoseAndRate {
    pub dose_quantity: Option<Quantity>,
    pub dose_range: Option<Range>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Dosage {
    /// Instructions of the same sequence apply together; a later one follows.
    #[serde(default, deserialize_with = "decimal")]
    pub sequence: Option<f64>,
    pub text: Option<String>,
    pub timing: Option<Timing>,
    pub route: Option<CodeableConcept>,
    #[serde(default)]
    pub dose_and_rate: Vec<DoseAndRate>,
    /// STU3 and DSTU2: the dose sits on the dosage itself.
    pub dose_quantity: Option<Quantity>,
    /// STU3 and DSTU2.
    pub dose_range: Option<Range>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MedicationRequest {
    pub id: Option<String>,
    pub subject: Option<Reference>,
    /// DSTU2 `MedicationOrder.patient`.
    pub patient: Option<Reference>,
    pub status: Option<String>,
    pub intent: Option<String>,
    pub prior_prescription: Option<Reference>,
    /// DSTU2 `MedicationOrder.dateWritten`.
    pub date_written: Option<String>,
    pub medication_codeable_concept: Option<CodeableConcept>,
    pub medication_reference: Option<Reference>,
    #[serde(default)]
    pub contained: Vec<Box<RawValue>>,
    pub authored_on: Option<String>,
    #[serde(default)]
    pub dosage_instruction: Vec<Dosage>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Medication {
    pub id: Option<String>,
    pub code: Option<CodeableConcept>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BundleEntry {
    pub resource: Option<Box<RawValue>>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Bundle {
    #[serde(default)]
    pub entry: Vec<BundleEntry>,
}

#[derive(Debug, Default, Deserialize)]
pub struct OperationOutcome {}

/// One parsed resource of a type the rules read.
#[derive(Debug)]
pub enum Resource {
    Patient(Patient),
    Condition(Box<Condition>),
    Observation(Box<Observation>),
    MedicationRequest(Box<MedicationRequest>),
    Medication(Medication),
    Bundle(Bundle),
    OperationOutcome(OperationOutcome),
    /// A resource type the rules do not read.
    Other(String),
}

impl Resource {
    /// The FHIR type name, for the log and for de-duplication.
    pub fn type_name(&self) -> &str {
        match self {
            Resource::Patient(_) => "Patient",
            Resource::Condition(_) => "Condition",
            Resource::Observation(_) => "Observation",
            Resource::MedicationRequest(_) => "MedicationRequest",
            Resource::Medication(_) => "Medication",
            Resource::Bundle(_) => "Bundle",
            Resource::OperationOutcome(_) => "OperationOutcome",
            Resource::Other(t) => t,
        }
    }

    pub fn id(&self) -> Option<&str> {
        match self {
            Resource::Patient(p) => p.id.as_deref(),
            Resource::Condition(c) => c.id.as_deref(),
            Resource::Observation(o) => o.id.as_deref(),
            Resource::MedicationRequest(m) => m.id.as_deref(),
            Resource::Medication(m) => m.id.as_deref(),
            _ => None,
        }
    }

    /// The patient the resource is about, as a reference ("Patient/x" or a URL
    /// ending so): `subject`, else the DSTU2 `patient`.
    pub fn subject(&self) -> Option<&str> {
        let r = match self {
            Resource::Condition(c) => c.subject.as_ref().or(c.patient.as_ref()),
            Resource::Observation(o) => o.subject.as_ref(),
            Resource::MedicationRequest(m) => m.subject.as_ref().or(m.patient.as_ref()),
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

fn skipped(resource_type: &str, e: &serde_json::Error) -> Skipped {
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
    struct Head {
        resource_type: Option<String>,
    }
    let head: Head = serde_json::from_str(text)?;
    Ok(head.resource_type.map(Into::into))
}

/// Parses one resource, leniently: a wrong element type skips this resource only.
pub fn parse_resource(raw: &RawValue) -> Result<Resource, Skipped> {
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
        "Medication" => parse!(Medication),
        "Bundle" => parse!(Bundle),
        "OperationOutcome" => Ok(Resource::OperationOutcome(OperationOutcome {})),
        "" => Err(Skipped {
            resource_type: "(none)".into(),
            category: "data",
            column: 0,
        }),
        other => Ok(Resource::Other(other.to_string())),
    }
}

/// A Bundle's entries, borrowed from its text: no copy of the resources.
#[derive(Deserialize)]
struct BundleRef<'a> {
    #[serde(default, borrow)]
    entry: Vec<BundleEntryRef<'a>>,
}

#[derive(Deserialize)]
struct BundleEntryRef<'a> {
    #[serde(borrow)]
    resource: Option<&'a RawValue>,
}

/// Parses a resource that may be a Bundle, flattening the Bundle's entries
/// (one level), each parsed on its own. Returns the resources and what was skipped.
pub fn flatten(raw: &RawValue) -> (Vec<Resource>, Vec<Skipped>) {
    let mut out = Vec::new();
    let mut skips = Vec::new();
    visit(raw, |r| out.push(r), |s| skips.push(s));
    (out, skips)
}

/// [`flatten`] one resource at a time: each is handed to `resource` (or its
/// skip reason to `skip`) as soon as it is parsed, in order, so a large
/// Bundle is never held parsed all at once.
pub fn visit(raw: &RawValue, mut resource: impl FnMut(Resource), mut skip: impl FnMut(Skipped)) {
    let bundle = match resource_type(raw.get()) {
        Ok(Some(t)) if t == "Bundle" => Some(
            serde_json::from_str::<BundleRef<'_>>(raw.get()).map_err(|e| skipped("Bundle", &e)),
        ),
        _ => None,
    };
    match bundle.map_or_else(|| parse_resource(raw).map(Err), |b| b.map(Ok)) {
        Ok(Ok(b)) => {
            for entry in b.entry {
                let Some(r) = entry.resource else { continue };
                match parse_resource(r) {
                    Ok(Resource::Bundle(_)) => skip(Skipped {
                        resource_type: "Bundle".into(),
                        category: "nested bundle",
                        column: 0,
                    }),
                    Ok(res) => resource(res),
                    Err(s) => skip(s),
                }
            }
        }
        // Only a Bundle reaches the arm above.
        Ok(Err(Resource::Bundle(_))) => {}
        Ok(Err(res)) => resource(res),
        Err(s) => skip(s),
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
