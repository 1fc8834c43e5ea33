//! The checks: fhirbolt strict R4, and ours.

use fhirbolt::model::r4::Resource;
use fhirbolt::serde::{DeserializationConfig, DeserializationMode};
use serde_json::Value;

use crate::profile::Profile;

pub const RXNORM: &str = "http://www.nlm.nih.gov/research/umls/rxnorm";
pub const LOINC: &str = "http://loinc.org";
pub const SNOMED: &str = "http://snomed.info/sct";
pub const UCUM: &str = "http://unitsofmeasure.org";
pub const ICD10CM: &str = "http://hl7.org/fhir/sid/icd-10-cm";

/// Parses with fhirbolt's R4 model in strict mode, then serialises back
/// (which checks required elements). Parsed as `Resource`, not as a concrete
/// type (fhirbolt 0.4 mis-parses some typed resources).
pub fn strict_r4(text: &str) -> Vec<String> {
    // fhirbolt panics on empty arrays: refuse them first (FHIR forbids them anyway).
    if let Ok(v) = serde_json::from_str::<Value>(text) {
        if let Some(path) = first_empty(&v, "$") {
            return vec![format!("empty array or object at {path}")];
        }
    }
    let config = Some(DeserializationConfig {
        mode: DeserializationMode::Strict,
    });
    match fhirbolt::json::from_str::<Resource>(text, config) {
        Ok(r) => match fhirbolt::json::to_string(&r, None) {
            Ok(_) => vec![],
            Err(e) => vec![format!(
                "fhirbolt: cannot serialise (missing required element?): {e}"
            )],
        },
        Err(e) => vec![format!("fhirbolt strict R4: {e}")],
    }
}

fn first_empty(v: &Value, path: &str) -> Option<String> {
    match v {
        Value::Array(a) if a.is_empty() => Some(path.to_string()),
        Value::Object(o) if o.is_empty() => Some(path.to_string()),
        Value::String(s) if s.is_empty() => Some(path.to_string()),
        Value::Null => Some(path.to_string()),
        Value::Array(a) => a
            .iter()
            .enumerate()
            .find_map(|(i, x)| first_empty(x, &format!("{path}[{i}]"))),
        Value::Object(o) => o
            .iter()
            .find_map(|(k, x)| first_empty(x, &format!("{path}.{k}"))),
        _ => None,
    }
}

/// Codings under `v` (a CodeableConcept), as (system, code).
fn codings(v: &Value) -> Vec<(String, String)> {
    v.get("coding")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|c| {
                    (
                        c.get("system")
                            .and_then(Value::as_str)
                            .unwrap_or("")
                            .to_string(),
                        c.get("code")
                            .and_then(Value::as_str)
                            .unwrap_or("")
                            .to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn check_system(
    errors: &mut Vec<String>,
    what: &str,
    cc: Option<&Value>,
    system: &str,
    code_ok: fn(&str) -> bool,
) {
    let Some(cc) = cc else { return };
    for (s, c) in codings(cc) {
        if s != system {
            errors.push(format!("{what}: system {s:?}, expected {system}"));
        }
        if !code_ok(&c) {
            errors.push(format!("{what}: {c:?} is not a {system} code"));
        }
    }
}

fn digits(c: &str) -> bool {
    !c.is_empty() && c.chars().all(|ch| ch.is_ascii_digit())
}

/// LOINC codes: digits, a dash, one check digit.
fn loinc(c: &str) -> bool {
    matches!(c.split_once('-'), Some((a, b)) if digits(a) && b.len() == 1 && digits(b))
}

const UCUM_TIME: &[&str] = &["s", "min", "h", "d", "wk", "mo", "a"];
const UCUM_DOSE: &[&str] = &["mg", "g", "ug", "mL"];

/// Checks one emitted action resource (with the patient of its request).
pub fn emitted(text: &str, profiles: &[Profile]) -> Vec<String> {
    let v: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => return vec![format!("not JSON: {e}")],
    };
    let Some(resource) = v.get("resource") else {
        return vec!["no resource".into()];
    };
    let patient = v.get("patientId").and_then(Value::as_str).unwrap_or("");
    let mut errors = strict_r4(&resource.to_string());
    let rt = resource
        .get("resourceType")
        .and_then(Value::as_str)
        .unwrap_or("");
    let expected_subject = format!("Patient/{patient}");
    match resource
        .pointer("/subject/reference")
        .and_then(Value::as_str)
    {
        // Relative, or absolute on the EHR's server.
        Some(s) if s == expected_subject || s.ends_with(&format!("/{expected_subject}")) => {}
        other => errors.push(format!(
            "subject {other:?} is not the patient in context ({expected_subject})"
        )),
    }
    let status = resource.get("status").and_then(Value::as_str).unwrap_or("");
    let intent = resource.get("intent").and_then(Value::as_str).unwrap_or("");
    match rt {
        "MedicationRequest" => {
            if !["draft", "active"].contains(&status) {
                errors.push(format!("MedicationRequest.status {status:?}: a suggestion is draft (or the EHR's active order)"));
            }
            if intent != "order" {
                errors.push(format!(
                    "MedicationRequest.intent {intent:?}, expected order"
                ));
            }
            check_system(
                &mut errors,
                "medicationCodeableConcept",
                resource.get("medicationCodeableConcept"),
                RXNORM,
                digits,
            );
            for (i, d) in resource
                .get("dosageInstruction")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .enumerate()
            {
                check_system(
                    &mut errors,
                    &format!("dosageInstruction[{i}].route"),
                    d.get("route"),
                    SNOMED,
                    digits,
                );
                for q in d
                    .get("doseAndRate")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|x| x.get("doseQuantity"))
                {
                    if q.get("system").and_then(Value::as_str) != Some(UCUM) {
                        errors.push(format!(
                            "dosageInstruction[{i}] doseQuantity system is not UCUM"
                        ));
                    }
                    if !q
                        .get("code")
                        .and_then(Value::as_str)
                        .is_some_and(|c| UCUM_DOSE.contains(&c))
                    {
                        errors.push(format!(
                            "dosageInstruction[{i}] doseQuantity code is not a UCUM dose unit"
                        ));
                    }
                }
                if let Some(u) = d
                    .pointer("/timing/repeat/periodUnit")
                    .and_then(Value::as_str)
                {
                    if !UCUM_TIME.contains(&u) {
                        errors.push(format!(
                            "dosageInstruction[{i}] periodUnit {u:?} is not a UCUM time unit"
                        ));
                    }
                }
            }
        }
        "ServiceRequest" => {
            if status != "draft" {
                errors.push(format!("ServiceRequest.status {status:?}, expected draft"));
            }
            if intent != "order" {
                errors.push(format!("ServiceRequest.intent {intent:?}, expected order"));
            }
            check_system(
                &mut errors,
                "ServiceRequest.code",
                resource.get("code"),
                LOINC,
                loinc,
            );
        }
        other => errors.push(format!("unexpected resource type {other:?}")),
    }
    for p in profiles.iter().filter(|p| p.resource_type == rt) {
        errors.extend(
            p.check(resource)
                .into_iter()
                .map(|e| format!("profile {}: {e}", p.url)),
        );
    }
    if !profiles.iter().any(|p| p.resource_type == rt) {
        errors.push(format!("no profile for {rt}"));
    }
    errors
}

/// Our ValueSets: code formats per system, a version, a description naming the source.
pub fn valueset(text: &str) -> Vec<String> {
    let Ok(v) = serde_json::from_str::<Value>(text) else {
        return vec!["not JSON".into()];
    };
    let mut errors = vec![];
    if v.get("version").and_then(Value::as_str).is_none() {
        errors.push("ValueSet without version".into());
    }
    if !v
        .get("description")
        .and_then(Value::as_str)
        .is_some_and(|d| d.contains("REFERENCE.md"))
    {
        errors.push("ValueSet description does not name its source".into());
    }
    for inc in v
        .pointer("/compose/include")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let system = inc.get("system").and_then(Value::as_str).unwrap_or("");
        let ok: fn(&str) -> bool = match system {
            RXNORM | SNOMED => digits,
            LOINC => loinc,
            ICD10CM => {
                |c: &str| c.len() >= 3 && c.chars().next().is_some_and(|x| x.is_ascii_uppercase())
            }
            other => {
                errors.push(format!("unexpected code system {other:?}"));
                continue;
            }
        };
        for c in inc
            .get("concept")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let code = c.get("code").and_then(Value::as_str).unwrap_or("");
            if !ok(code) {
                errors.push(format!("{code:?} is not a {system} code"));
            }
        }
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn profiles() -> Vec<Profile> {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../profiles");
        let mut out = vec![];
        for e in std::fs::read_dir(dir).unwrap() {
            let v: Value =
                serde_json::from_str(&std::fs::read_to_string(e.unwrap().path()).unwrap()).unwrap();
            out.push(Profile::from_json(&v).unwrap());
        }
        out
    }

    fn good_med() -> Value {
        json!({"resourceType": "MedicationRequest", "status": "draft", "intent": "order",
            "medicationCodeableConcept": {"coding": [{"system": RXNORM, "code": "1946772", "display": "methotrexate 25 MG/ML Injectable Solution"}], "text": "methotrexate"},
            "subject": {"reference": "Patient/p1"}, "authoredOn": "2026-11-24",
            "dosageInstruction": [{"text": "27.5 mg SC weekly", "timing": {"repeat": {"frequency": 1, "period": 1, "periodUnit": "wk"}},
                "route": {"coding": [{"system": SNOMED, "code": "34206005", "display": "Subcutaneous route"}]},
                "doseAndRate": [{"doseQuantity": {"value": 27.5, "unit": "mg", "system": UCUM, "code": "mg"}}]}]})
    }

    fn check(resource: Value) -> Vec<String> {
        emitted(
            &json!({"patientId": "p1", "resource": resource}).to_string(),
            &profiles(),
        )
    }

    #[test]
    fn a_good_suggestion_passes() {
        assert_eq!(check(good_med()), Vec::<String>::new());
    }

    /// A named way to break a resource.
    type Break = (&'static str, Box<dyn Fn(&mut Value)>);

    /// Deliberate breaks: each must be reported.
    #[test]
    fn every_break_is_caught() {
        let breaks: Vec<Break> = vec![
            ("unknown element", Box::new(|r| r["dosage"] = json!("x"))),
            ("wrong type", Box::new(|r| r["authoredOn"] = json!(5))),
            (
                "missing intent",
                Box::new(|r| {
                    r.as_object_mut().unwrap().remove("intent");
                }),
            ),
            (
                "missing medication",
                Box::new(|r| {
                    r.as_object_mut()
                        .unwrap()
                        .remove("medicationCodeableConcept");
                }),
            ),
            (
                "bad status code",
                Box::new(|r| r["status"] = json!("proposed")),
            ),
            ("intent plan", Box::new(|r| r["intent"] = json!("plan"))),
            (
                "NDC instead of RxNorm",
                Box::new(|r| {
                    r["medicationCodeableConcept"]["coding"][0]["system"] =
                        json!("http://hl7.org/fhir/sid/ndc")
                }),
            ),
            (
                "route not SNOMED",
                Box::new(|r| {
                    r["dosageInstruction"][0]["route"]["coding"][0]["system"] =
                        json!("http://example.org")
                }),
            ),
            (
                "dose not UCUM",
                Box::new(|r| {
                    r["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"]["system"] =
                        json!("http://example.org")
                }),
            ),
            (
                "dose in tablets",
                Box::new(|r| {
                    r["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"]["code"] =
                        json!("{tbl}")
                }),
            ),
            (
                "another patient",
                Box::new(|r| r["subject"]["reference"] = json!("Patient/p2")),
            ),
            (
                "another patient, absolute (p12 ends like p1... but not /Patient/p1)",
                Box::new(|r| {
                    r["subject"]["reference"] = json!("https://ehr.example.org/fhir/Patient/p12")
                }),
            ),
            (
                "two dosage instructions (profile max 1)",
                Box::new(|r| {
                    let d = r["dosageInstruction"][0].clone();
                    r["dosageInstruction"].as_array_mut().unwrap().push(d);
                }),
            ),
            (
                "no timing (profile min 1)",
                Box::new(|r| {
                    r["dosageInstruction"][0]
                        .as_object_mut()
                        .unwrap()
                        .remove("timing");
                }),
            ),
            ("empty array", Box::new(|r| r["note"] = json!([]))),
            (
                "frequency not an integer",
                Box::new(|r| {
                    r["dosageInstruction"][0]["timing"]["repeat"]["frequency"] = json!(1.5)
                }),
            ),
        ];
        for (name, f) in breaks {
            let mut r = good_med();
            f(&mut r);
            assert!(!check(r).is_empty(), "{name} was not caught");
        }
    }

    #[test]
    fn service_requests_need_loinc_and_draft_order() {
        let good = json!({"resourceType": "ServiceRequest", "status": "draft", "intent": "order",
            "code": {"coding": [{"system": LOINC, "code": "2160-0", "display": "Creatinine"}], "text": "Serum creatinine"},
            "subject": {"reference": "Patient/p1"}});
        assert_eq!(check(good.clone()), Vec::<String>::new());
        let mut bad = good.clone();
        bad["code"]["coding"][0]["code"] = json!("2160");
        assert!(!check(bad).is_empty());
        let mut bad = good;
        bad["status"] = json!("active");
        assert!(!check(bad).is_empty());
    }

    #[test]
    fn valueset_checks() {
        let vs = |code: &str| {
            json!({"resourceType": "ValueSet", "status": "active", "version": "1", "description": "REFERENCE.md 5.5",
            "compose": {"include": [{"system": LOINC, "concept": [{"code": code}]}]}}).to_string()
        };
        assert!(valueset(&vs("29463-7")).is_empty());
        assert!(!valueset(&vs("29463")).is_empty());
    }
}
