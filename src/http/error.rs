//! Errors as HTTP responses: a precise 4xx status and a FHIR OperationOutcome
//! body naming what is wrong. Bodies never echo tokens.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::engine::EvalError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("unknown service {0:?}")]
    UnknownService(String),
    #[error("no route {0}")]
    NotFound(String),
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("request body over {limit} bytes")]
    TooLarge { limit: usize },
    #[error("content type must be application/json")]
    UnsupportedMediaType,
    #[error("could not read the request body")]
    BodyUnreadable,
    #[error("invalid feedback: {0}")]
    Feedback(String),
    #[error("authentication failed")]
    Unauthorized,
    #[error("this token's issuer may not read the report: the trust file names the issuers that may (admin = true)")]
    Forbidden,
    #[error("the service is busy; retry shortly")]
    Overloaded,
    #[error("the request took too long")]
    Timeout,
    #[error("JSON nested deeper than {limit} levels")]
    TooDeep { limit: usize },
    /// Some feedback items were refused (the others were stored).
    #[error("{} feedback item(s) refused, {stored} accepted", problems.len())]
    FeedbackItems {
        problems: Vec<crate::store::feedback::Problem>,
        stored: usize,
    },
    #[error("too much feedback from this client; retry in {} s", retry_after.as_secs())]
    RateLimited { retry_after: std::time::Duration },
    #[error("{count} draft orders in one call; at most {limit} are checked at once")]
    TooManyDraftOrders { count: usize, limit: usize },
    #[error("the record store is unavailable; retry shortly")]
    StoreUnavailable,
    #[error("no record store is configured")]
    NoStore,
    #[error("invalid query: {0}")]
    BadQuery(String),
    #[error(transparent)]
    Eval(#[from] EvalError),
}

/// One OperationOutcome issue.
pub struct Issue {
    pub severity: &'static str,
    pub code: &'static str,
    pub diagnostics: String,
    pub expression: Option<String>,
}

pub fn operation_outcome(issues: &[Issue]) -> serde_json::Value {
    json!({
        "resourceType": "OperationOutcome",
        "issue": issues.iter().map(|i| {
            let mut v = json!({ "severity": i.severity, "code": i.code, "diagnostics": i.diagnostics });
            if let Some(e) = &i.expression {
                v["expression"] = json!([e]);
            }
            v
        }).collect::<Vec<_>>()
    })
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::UnknownService(_) | ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::BodyUnreadable
            | ApiError::Feedback(_)
            | ApiError::FeedbackItems { .. }
            | ApiError::BadQuery(_)
            | ApiError::TooDeep { .. } => StatusCode::BAD_REQUEST,
            ApiError::TooManyDraftOrders { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::StoreUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::NoStore => StatusCode::NOT_FOUND,
            ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden => StatusCode::FORBIDDEN,
            ApiError::Overloaded | ApiError::Timeout => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Eval(EvalError::DataUnavailable { .. }) => StatusCode::PRECONDITION_FAILED,
            ApiError::Eval(_) => StatusCode::BAD_REQUEST,
        }
    }

    fn issues(&self) -> Vec<Issue> {
        let one = |code, diagnostics: String, expression: Option<String>| {
            vec![Issue {
                severity: "error",
                code,
                diagnostics,
                expression,
            }]
        };
        match self {
            ApiError::UnknownService(_) | ApiError::NotFound(_) => one("not-found", self.to_string(), None),
            ApiError::MethodNotAllowed => one("not-supported", self.to_string(), None),
            ApiError::TooLarge { .. } => one("too-costly", self.to_string(), None),
            ApiError::UnsupportedMediaType => one("not-supported", self.to_string(), None),
            ApiError::BodyUnreadable => one("structure", self.to_string(), None),
            ApiError::Feedback(_) => one("invalid", self.to_string(), None),
            ApiError::Unauthorized => one("login", self.to_string(), None),
            ApiError::Forbidden => one("forbidden", self.to_string(), None),
            ApiError::Overloaded | ApiError::Timeout => one("transient", self.to_string(), None),
            ApiError::TooDeep { .. } => one("too-costly", self.to_string(), None),
            ApiError::FeedbackItems { problems, stored } => problems
                .iter()
                .map(|p| Issue {
                    severity: "error",
                    code: "invalid",
                    diagnostics: format!("{}: {}", p.path, p.message),
                    expression: Some(p.path.clone()),
                })
                .chain(std::iter::once(Issue {
                    severity: "information",
                    code: "informational",
                    diagnostics: format!("{stored} other item(s) accepted and stored"),
                    expression: None,
                }))
                .collect(),
            ApiError::TooManyDraftOrders { .. } => one(
                "too-costly",
                self.to_string(),
                Some("context.draftOrders".into()),
            ),
            ApiError::RateLimited { .. } => one("throttled", self.to_string(), None),
            ApiError::StoreUnavailable => one("transient", self.to_string(), None),
            ApiError::NoStore => one("not-found", self.to_string(), None),
            ApiError::BadQuery(_) => one("invalid", self.to_string(), None),
            ApiError::Eval(EvalError::MalformedJson(m)) => one("structure", format!("malformed JSON: {m}"), None),
            ApiError::Eval(EvalError::Invalid { path, message }) => {
                one("invalid", format!("{path}: {message}"), Some(path.clone()))
            }
            ApiError::Eval(e @ EvalError::WrongHook { .. }) => one("invalid", e.to_string(), Some("hook".into())),
            ApiError::Eval(EvalError::DataUnavailable { missing }) => missing
                .iter()
                .map(|m| Issue {
                    severity: if m.required { "error" } else { "warning" },
                    code: "incomplete",
                    diagnostics: format!(
                        "prefetch key {:?} ({}): {}. {}",
                        m.key,
                        m.template,
                        m.reason,
                        if m.required {
                            "Required to decide whether the guidance applies: send it in prefetch (null when there \
                             is no data), or a fhirServer with fhirAuthorization that this service may query."
                        } else {
                            "Optional."
                        }
                    ),
                    expression: Some(format!("prefetch.{}", m.key)),
                })
                .collect(),
        }
    }
}

impl ApiError {
    /// The OperationOutcome body.
    pub fn outcome(&self) -> serde_json::Value {
        operation_outcome(&self.issues())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = self.outcome();
        let mut resp = (
            self.status(),
            [(header::CONTENT_TYPE, "application/fhir+json")],
            body.to_string(),
        )
            .into_response();
        if matches!(self, ApiError::Unauthorized) {
            resp.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer"),
            );
        }
        if let ApiError::RateLimited { retry_after } = &self {
            let secs = retry_after.as_secs().max(1).to_string();
            if let Ok(v) = header::HeaderValue::from_str(&secs) {
                resp.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        if matches!(
            self,
            ApiError::Overloaded | ApiError::Timeout | ApiError::StoreUnavailable
        ) {
            resp.headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from_static("1"));
        }
        resp
    }
}
