//! The OpenAPI 3.1 description of every endpoint, generated (utoipa) from the
//! request and response types the handlers use; served at `/openapi.json`
//! and committed as `openapi.json` (a test keeps the two equal).
//!
//! The functions below carry the path descriptions only; the handlers are
//! in [`super`], [`super::ops`] and [`super::admin`].
#![allow(dead_code)]

use std::collections::BTreeMap;

use axum::http::header;
use axum::response::IntoResponse;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};

use crate::cds::{Feedback, HookRequest, HookResponse};

/// The body of every error: a FHIR OperationOutcome.
#[derive(ToSchema)]
#[schema(as = OperationOutcome)]
pub struct OperationOutcomeDoc {
    /// Always `OperationOutcome`.
    #[schema(rename = "resourceType")]
    pub resource_type: String,
    pub issue: Vec<IssueDoc>,
}

#[derive(ToSchema)]
#[schema(as = OperationOutcomeIssue)]
pub struct IssueDoc {
    pub severity: String,
    pub code: String,
    pub diagnostics: String,
}

/// The CDS Hooks discovery document.
#[derive(ToSchema)]
#[schema(as = Discovery)]
pub struct DiscoveryDoc {
    /// One CDS Hooks service definition each (id, hook, title, description, prefetch).
    #[schema(value_type = Vec<Object>)]
    pub services: Vec<serde_json::Value>,
}

/// Readiness and its checks.
#[derive(ToSchema)]
#[schema(as = Readiness)]
pub struct ReadinessDoc {
    /// `ready` or `not ready`.
    pub status: String,
    /// valuesets, services, policy, database: `ok`, `missing`, `unavailable`
    /// or (database) `not configured`.
    pub checks: BTreeMap<String, String>,
}

const CDS: &str = "CDS Hooks";
const OPS: &str = "Operations";
const REPORT: &str = "Report";
const GUIDANCE: &str = "Guidance";

#[utoipa::path(get, path = "/cds-services", tag = CDS,
    responses(
        (status = 200, description = "The services offered", body = DiscoveryDoc),
        (status = 401, description = "Missing or refused token", body = OperationOutcomeDoc, content_type = "application/fhir+json"),
        (status = 503, description = "Overloaded or token replay store unavailable", body = OperationOutcomeDoc, content_type = "application/fhir+json"),
    ),
    security(("cds_client_jwt" = [])))]
fn discovery() {}

#[utoipa::path(post, path = "/cds-services/{id}", tag = CDS,
    params(("id" = String, Path, description = "Service id from discovery")),
    request_body(content = HookRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "Cards (possibly none)", body = HookResponse),
        (status = 400, description = "Malformed or invalid request", body = OperationOutcomeDoc, content_type = "application/fhir+json"),
        (status = 401, description = "Missing or refused token", body = OperationOutcomeDoc, content_type = "application/fhir+json"),
        (status = 404, description = "Unknown service", body = OperationOutcomeDoc, content_type = "application/fhir+json"),
        (status = 412, description = "Required prefetch missing and not obtainable from the FHIR server", body = OperationOutcomeDoc, content_type = "application/fhir+json"),
        (status = 413, description = "Body too large", body = OperationOutcomeDoc, content_type = "application/fhir+json"),
        (status = 415, description = "Not JSON", body = OperationOutcomeDoc, content_type = "application/fhir+json"),
        (status = 422, description = "More draft orders than one call may carry (limits.max_draft_orders)", body = OperationOutcomeDoc, content_type = "application/fhir+json"),
        (status = 503, description = "Overloaded, timed out, or the record store unavailable", body = OperationOutcomeDoc, content_type = "application/fhir+json"),
    ),
    security(("cds_client_jwt" = [])))]
fn invoke() {}

#[utoipa::path(post, path = "/cds-services/{id}/feedback", tag = CDS,
    params(("id" = String, Path, description = "Service id from discovery")),
    request_body(content = Feedback, content_type = "application/json"),
    responses(
        (status = 200, description = "Feedback recorded"),
        (status = 400, description = "Invalid feedback (the valid items are recorded)", body = OperationOutcomeDoc, content_type = "application/fhir+json"),
        (status = 401, description = "Missing or refused token", body = OperationOutcomeDoc, content_type = "application/fhir+json"),
        (status = 404, description = "Unknown service", body = OperationOutcomeDoc, content_type = "application/fhir+json"),
        (status = 413, description = "Body too large", body = OperationOutcomeDoc, content_type = "application/fhir+json"),
        (status = 429, description = "Too much feedback from this issuer (limits.feedback_per_minute); see Retry-After", body = OperationOutcomeDoc, content_type = "application/fhir+json"),
        (status = 415, description = "Not JSON", body = OperationOutcomeDoc, content_type = "application/fhir+json"),
        (status = 503, description = "Overloaded or the record store unavailable", body = OperationOutcomeDoc, content_type = "application/fhir+json"),
    ),
    security(("cds_client_jwt" = [])))]
fn feedback() {}

#[utoipa::path(get, path = "/admin/report.json", tag = REPORT,
    params(("since" = Option<String>, Query, description = "Only cards issued from this day on (YYYY-MM-DD, UTC)")),
    responses(
        (status = 200, description = "Acceptance and override rates per service and rule", body = Object),
        (status = 400, description = "Bad query", body = OperationOutcomeDoc, content_type = "application/fhir+json"),
        (status = 401, description = "Missing or refused token", body = OperationOutcomeDoc, content_type = "application/fhir+json"),
        (status = 403, description = "The token's issuer is not marked admin in the trust file", body = OperationOutcomeDoc, content_type = "application/fhir+json"),
        (status = 404, description = "No record store configured", body = OperationOutcomeDoc, content_type = "application/fhir+json"),
        (status = 503, description = "Record store unavailable", body = OperationOutcomeDoc, content_type = "application/fhir+json"),
    ),
    security(("cds_client_jwt" = [])))]
fn report_json() {}

#[utoipa::path(get, path = "/admin/report", tag = REPORT,
    params(("since" = Option<String>, Query, description = "Only cards issued from this day on (YYYY-MM-DD, UTC)")),
    responses(
        (status = 200, description = "The report as a page", body = String, content_type = "text/html"),
        (status = 400, description = "Bad query", body = OperationOutcomeDoc, content_type = "application/fhir+json"),
        (status = 401, description = "Missing or refused token", body = OperationOutcomeDoc, content_type = "application/fhir+json"),
        (status = 403, description = "The token's issuer is not marked admin in the trust file", body = OperationOutcomeDoc, content_type = "application/fhir+json"),
        (status = 404, description = "No record store configured", body = OperationOutcomeDoc, content_type = "application/fhir+json"),
        (status = 503, description = "Record store unavailable", body = OperationOutcomeDoc, content_type = "application/fhir+json"),
    ),
    security(("cds_client_jwt" = [])))]
fn report_html() {}

#[utoipa::path(get, path = "/guidance", tag = GUIDANCE,
    responses((status = 200, description = "The list of guidance pages", body = String, content_type = "text/html")))]
fn guidance_index() {}

#[utoipa::path(get, path = "/guidance/{rule}", tag = GUIDANCE,
    params(("rule" = String, Path, description = "The rule's page, as cards link to it in source.url and links")),
    responses(
        (status = 200, description = "What the rule checks, its calculation, sources and the figures in force", body = String, content_type = "text/html"),
        (status = 404, description = "No such rule", body = OperationOutcomeDoc, content_type = "application/fhir+json"),
    ))]
fn guidance_page() {}

#[utoipa::path(get, path = "/healthz", tag = OPS,
    responses((status = 200, description = "The process answers", body = String, content_type = "text/plain")))]
fn healthz() {}

#[utoipa::path(get, path = "/readyz", tag = OPS,
    responses(
        (status = 200, description = "Ready to serve", body = ReadinessDoc),
        (status = 503, description = "Not ready (the failing check says why)", body = ReadinessDoc),
    ))]
fn readyz() {}

#[utoipa::path(get, path = "/metrics", tag = OPS,
    responses((status = 200, description = "Prometheus text exposition format", body = String, content_type = "text/plain")))]
fn metrics() {}

#[utoipa::path(get, path = "/openapi.json", tag = OPS,
    responses((status = 200, description = "This document", body = Object)))]
fn openapi() {}

struct Security;

/// The `id` path parameter takes the ids of the compiled-in services.
struct ServiceIds;

impl Modify for ServiceIds {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        let ids: Vec<String> = crate::services::Services::embedded()
            .map(|s| s.services.iter().map(|s| s.id.clone()).collect())
            .unwrap_or_default();
        for item in doc.paths.paths.values_mut() {
            for op in [&mut item.get, &mut item.post].into_iter().flatten() {
                for p in op.parameters.iter_mut().flatten() {
                    if p.name == "id" {
                        p.schema = Some(
                            ObjectBuilder::new()
                                .schema_type(Type::String)
                                .enum_values(Some(ids.clone()))
                                .into(),
                        );
                    }
                    if p.name == "rule" {
                        p.schema = Some(
                            ObjectBuilder::new()
                                .schema_type(Type::String)
                                .enum_values(Some(crate::guidance::pages().iter().map(|p| p.slug)))
                                .into(),
                        );
                    }
                }
            }
        }
    }
}

impl Modify for Security {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        let mut bearer = Http::new(HttpAuthScheme::Bearer);
        bearer.bearer_format = Some("JWT".into());
        bearer.description = Some(
            "A CDS Hooks client JWT signed by a trusted issuer (absent when authentication is off)"
                .into(),
        );
        components.add_security_scheme("cds_client_jwt", SecurityScheme::Http(bearer));
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "ssc-myositis-cds",
        description = "CDS Hooks 2.0 service for corticosteroid and methotrexate orders in systemic sclerosis / myositis overlap",
        license(name = "Apache-2.0"),
    ),
    paths(discovery, invoke, feedback, report_json, report_html, guidance_index, guidance_page, healthz, readyz, metrics, openapi),
    modifiers(&Security, &ServiceIds),
    tags(
        (name = "CDS Hooks", description = "Discovery, hook calls and feedback"),
        (name = "Report", description = "Acceptance and override rates"),
        (name = "Guidance", description = "The page of each rule that cards link to; no token needed, no patient data"),
        (name = "Operations", description = "Health, readiness, metrics, this document; no token needed"),
    )
)]
struct ApiDoc;

/// The OpenAPI document, pretty-printed with a final newline (the form
/// committed as `openapi.json`).
pub fn document() -> String {
    let mut doc = ApiDoc::openapi();
    doc.info.version = env!("CARGO_PKG_VERSION").to_string();
    let mut text = doc.to_pretty_json().expect("the document serialises");
    text.push('\n');
    text
}

/// `GET /openapi.json`.
pub async fn serve_document() -> axum::response::Response {
    ([(header::CONTENT_TYPE, "application/json")], document()).into_response()
}
