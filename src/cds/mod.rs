//! CDS Hooks 2.0 wire types: the request as clients really send it (lenient:
//! unknown members ignored, prefetch values kept raw until read one by one)
//! and the response, discovery and feedback documents.
//!
//! Responses never carry `null`, empty strings or empty arrays: optional
//! members are skipped when empty (CDS Hooks 2.0: "JSON elements SHALL NOT be
//! null ... SHALL NOT be empty").

pub mod resources;

use std::collections::HashMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::Value;

/// `fhirAuthorization` (its members are snake_case in CDS Hooks). The token is
/// never printed: `Debug` redacts it.
#[derive(Deserialize, Clone, utoipa::ToSchema)]
pub struct FhirAuthorization {
    pub access_token: Option<String>,
    pub token_type: Option<String>,
    pub scope: Option<String>,
    pub subject: Option<String>,
}

impl fmt::Debug for FhirAuthorization {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FhirAuthorization")
            .field(
                "access_token",
                &self.access_token.as_ref().map(|_| "[redacted]"),
            )
            .field("token_type", &self.token_type)
            .field("scope", &self.scope)
            .finish()
    }
}

/// The top level of a hook request.
#[derive(Deserialize, Debug, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct HookRequest<'a> {
    pub hook: String,
    /// A UUID for this hook call (CDS Hooks 2.0); anything else gets 400.
    pub hook_instance: String,
    pub fhir_server: Option<String>,
    pub fhir_authorization: Option<FhirAuthorization>,
    // Read from the request body where it lies, not copied.
    #[serde(borrow)]
    #[schema(value_type = Object)]
    pub context: &'a RawValue,
    /// Absent key: not sent. `null` value: the client has no data for it.
    // Each value read from the request body where it lies, not copied.
    #[serde(borrow)]
    #[schema(value_type = Option<HashMap<String, Object>>)]
    pub prefetch: Option<HashMap<String, Option<&'a RawValue>>>,
}

/// The context members the hooks we serve define.
#[derive(Deserialize, Debug)]
#[serde(rename_all = "camelCase")]
pub struct HookContext<'a> {
    pub user_id: Option<String>,
    pub patient_id: Option<String>,
    pub encounter_id: Option<String>,
    #[serde(borrow)]
    pub draft_orders: Option<&'a RawValue>,
    pub selections: Option<Vec<String>>,
}

#[derive(Serialize, Debug, Clone, PartialEq, utoipa::ToSchema)]
pub struct Coding {
    pub system: String,
    pub code: String,
    pub display: String,
}

#[derive(Serialize, Debug, Clone, utoipa::ToSchema)]
pub struct Source {
    pub label: String,
    /// The service's own page for the rule that made the card (absolute).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    pub topic: Coding,
}

/// A card's link (CDS Hooks 2.0 Link): we only send `absolute` links.
#[derive(Serialize, Debug, Clone, utoipa::ToSchema)]
pub struct Link {
    pub label: String,
    pub url: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
}

#[derive(Serialize, Debug, Clone, utoipa::ToSchema)]
pub struct Action {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub description: String,
    /// The resource to create, or the whole updated one (`create`, `update`).
    #[schema(value_type = Object)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource: Option<resources::Suggested>,
    /// The draft to remove, a relative reference (`delete`; CDS Hooks 2.0).
    #[serde(rename = "resourceId", skip_serializing_if = "Option::is_none")]
    pub resource_id: Option<String>,
}

#[derive(Serialize, Debug, Clone, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Suggestion {
    pub label: String,
    pub uuid: String,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub is_recommended: bool,
    pub actions: Vec<Action>,
    /// What it offers, whatever its dose (`clinical::Suggestion::key`): not
    /// sent; the audit keeps it so that the report counts acceptance per
    /// suggestion and per kind.
    #[serde(skip)]
    pub key: String,
}

#[derive(Serialize, Debug, Clone, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Card {
    pub uuid: String,
    pub summary: String,
    pub detail: String,
    pub indicator: &'static str,
    pub source: Source,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub suggestions: Vec<Suggestion>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub selection_behavior: Option<&'static str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub override_reasons: Vec<Coding>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<Link>,
}

#[derive(Serialize, Debug, Clone, utoipa::ToSchema)]
pub struct HookResponse {
    pub cards: Vec<Card>,
}

/// One entry of a feedback request (CDS Hooks 2.0 "Feedback").
#[derive(Deserialize, Debug, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FeedbackEntry {
    pub card: String,
    pub outcome: String,
    #[serde(default)]
    #[schema(value_type = Vec<Object>)]
    pub accepted_suggestions: Vec<Value>,
    #[schema(value_type = Option<Object>)]
    pub override_reason: Option<Value>,
    pub outcome_timestamp: String,
}

#[derive(Deserialize, Debug, utoipa::ToSchema)]
pub struct Feedback {
    pub feedback: Vec<FeedbackEntry>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_access_token_is_never_in_debug_output() {
        let a: FhirAuthorization =
            serde_json::from_str(r#"{"access_token":"SECRET-TOKEN","token_type":"Bearer"}"#)
                .unwrap();
        assert!(!format!("{a:?}").contains("SECRET"));
    }

    #[test]
    fn null_absent_and_present_prefetch_keys_are_told_apart() {
        let r: HookRequest = serde_json::from_str(
            r#"{"hook":"order-sign","hookInstance":"x","context":{},"prefetch":{"A":null,"B":{"resourceType":"Patient"}},"extension":{"x":1}}"#,
        )
        .unwrap();
        let p = r.prefetch.unwrap();
        assert!(p["A"].is_none());
        assert!(p["B"].is_some());
        assert!(!p.contains_key("C"));
    }
}
