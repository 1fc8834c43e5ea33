//! The services this CDS service offers, defined by the JSON files in `hooks/`
//! (compiled in): one file per service, with its id, hook, title,
//! description, prefetch templates and usage requirements, served as they are
//! at `GET /cds-services`. Each prefetch key names an area of patient data.

use std::collections::HashSet;

use serde::Deserialize;
use serde_json::Value;

use crate::facts::DataArea;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hook {
    PatientView,
    OrderSelect,
    OrderSign,
}

impl Hook {
    pub fn parse(s: &str) -> Option<Hook> {
        match s {
            "patient-view" => Some(Hook::PatientView),
            "order-select" => Some(Hook::OrderSelect),
            "order-sign" => Some(Hook::OrderSign),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Hook::PatientView => "patient-view",
            Hook::OrderSelect => "order-select",
            Hook::OrderSign => "order-sign",
        }
    }
}

/// What each prefetch key holds; keys not listed here are refused at start-up.
pub fn area_of_key(key: &str) -> Option<DataArea> {
    Some(match key {
        "Patient" => DataArea::Patient,
        "Condition" => DataArea::Conditions,
        "MedicationRequest" => DataArea::Medications,
        "MedicationStatement" => DataArea::Medications,
        "Weight" => DataArea::Weight,
        "Height" => DataArea::Height,
        "BloodPressure" => DataArea::BloodPressure,
        "Renal" => DataArea::RenalFunction,
        "Labs" => DataArea::Labs,
        "PregnancyStatus" => DataArea::PregnancyStatus,
        _ => return None,
    })
}

/// Data without which no rule can decide anything: the diagnoses decide scope.
pub const REQUIRED: &[DataArea] = &[DataArea::Conditions];

#[derive(Debug, Clone)]
pub struct Service {
    pub id: String,
    pub hook: Hook,
    /// (key, template, area), in file order.
    pub prefetch: Vec<(String, String, DataArea)>,
    /// The definition as served in discovery.
    pub definition: Value,
}

#[derive(Debug, Clone)]
pub struct Services {
    pub services: Vec<Service>,
}

#[derive(Debug, thiserror::Error)]
#[error("service definition {file}: {reason}")]
pub struct ServiceError {
    pub file: String,
    pub reason: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Definition {
    id: String,
    hook: String,
    title: Option<String>,
    description: String,
    #[serde(default)]
    prefetch: serde_json::Map<String, Value>,
    /// Accepted (and served in discovery); nothing here reads it.
    #[serde(rename = "usageRequirements")]
    _usage_requirements: Option<String>,
}

impl Services {
    pub fn embedded() -> Result<Self, ServiceError> {
        Self::from_files(
            crate::terminology::EMBEDDED_HOOKS
                .iter()
                .map(|(n, t)| (n.to_string(), t.to_string())),
        )
    }

    pub fn from_files(
        files: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, ServiceError> {
        let mut services = vec![];
        let mut ids = HashSet::new();
        for (file, text) in files {
            let err = |reason: String| ServiceError {
                file: file.clone(),
                reason,
            };
            let definition: Value = serde_json::from_str(&text).map_err(|e| err(e.to_string()))?;
            let d: Definition =
                serde_json::from_value(definition.clone()).map_err(|e| err(e.to_string()))?;
            let hook = Hook::parse(&d.hook)
                .ok_or_else(|| err(format!("unsupported hook {:?}", d.hook)))?;
            if d.id.is_empty()
                || !d
                    .id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                return Err(err(format!("invalid id {:?}", d.id)));
            }
            if !ids.insert(d.id.clone()) {
                return Err(err(format!("duplicate id {:?}", d.id)));
            }
            if d.description.trim().is_empty()
                || d.title.as_deref().is_some_and(|t| t.trim().is_empty())
            {
                return Err(err("title and description must not be empty".into()));
            }
            let mut prefetch = vec![];
            for (key, template) in d.prefetch {
                let area = area_of_key(&key)
                    .ok_or_else(|| err(format!("unknown prefetch key {key:?}")))?;
                let template = template
                    .as_str()
                    .ok_or_else(|| err(format!("prefetch {key:?} is not a string")))?
                    .to_string();
                prefetch.push((key, template, area));
            }
            for required in REQUIRED {
                if !prefetch.iter().any(|(_, _, a)| a == required) {
                    return Err(err(format!(
                        "no prefetch key for {}",
                        crate::words::area(*required)
                    )));
                }
            }
            services.push(Service {
                id: d.id,
                hook,
                prefetch,
                definition,
            });
        }
        if services.is_empty() {
            return Err(ServiceError {
                file: "hooks/".into(),
                reason: "no service defined".into(),
            });
        }
        Ok(Services { services })
    }

    pub fn get(&self, id: &str) -> Option<&Service> {
        self.services.iter().find(|s| s.id == id)
    }

    pub fn for_hook(&self, hook: &str) -> Option<&Service> {
        self.services.iter().find(|s| s.hook.as_str() == hook)
    }

    /// The discovery document (`GET /cds-services`).
    pub fn discovery(&self) -> Value {
        serde_json::json!({ "services": self.services.iter().map(|s| &s.definition).collect::<Vec<_>>() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_services_load_with_distinct_ids() {
        let s = Services::embedded().unwrap();
        assert!(s
            .get("ssc-myositis-order-select")
            .is_some_and(|s| s.hook == Hook::OrderSelect));
        assert!(s
            .get("ssc-myositis-order-sign")
            .is_some_and(|s| s.hook == Hook::OrderSign));
    }

    #[test]
    fn bad_definitions_are_refused_with_the_file_named() {
        let one = |text: &str| {
            Services::from_files([("x.json".to_string(), text.to_string())])
                .unwrap_err()
                .to_string()
        };
        assert!(one(r#"{"id":"a","hook":"nope","description":"d","prefetch":{"Condition":"Condition?patient=1"}}"#).contains("unsupported hook"));
        assert!(
            one(r#"{"id":"a","hook":"order-sign","description":"d","prefetch":{"Foo":"x"}}"#)
                .contains("unknown prefetch key")
        );
        assert!(
            one(r#"{"id":"a","hook":"order-sign","description":"d"}"#).contains("no prefetch key")
        );
        assert!(
            one(r#"{"id":"a","hook":"order-sign","description":"d","extra":1}"#)
                .contains("unknown field")
        );
        assert!(one("{").contains("x.json"));
    }
}
