//! An in-process FHIR server stub with fault injection, recording what reached
//! it (path and query, Authorization header).
#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{json, Value};

/// What the stub does for a resource type.
#[derive(Clone, Debug)]
pub enum Fault {
    Slow(Duration),
    Status(u16),
    InvalidJson,
    Huge(usize),
    /// One entry per page, with `next` links.
    Paged,
    /// A `next` link pointing elsewhere.
    NextTo(String),
    /// 302 to elsewhere.
    RedirectTo(String),
}

#[derive(Default)]
pub struct StubState {
    pub resources: Mutex<Vec<Value>>,
    pub faults: Mutex<HashMap<String, Fault>>,
    /// Per-request latency, for the benchmark.
    pub latency: Mutex<Option<Duration>>,
    /// (path?query, Authorization header)
    pub seen: Mutex<Vec<(String, Option<String>)>>,
    pub base: Mutex<String>,
}

pub struct Stub {
    pub base: String,
    pub state: Arc<StubState>,
}

impl Stub {
    pub async fn start() -> Stub {
        let state = Arc::new(StubState::default());
        let app = axum::Router::new()
            .route("/fhir/{rtype}", get(search))
            .route("/fhir/{rtype}/{id}", get(read))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}/fhir", listener.local_addr().unwrap());
        *state.base.lock().unwrap() = base.clone();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Stub { base, state }
    }
    pub fn load(&self, resources: impl IntoIterator<Item = Value>) {
        self.state.resources.lock().unwrap().extend(resources);
    }
    pub fn fault(&self, rtype: &str, f: Fault) {
        self.state
            .faults
            .lock()
            .unwrap()
            .insert(rtype.to_string(), f);
    }
    pub fn seen(&self) -> Vec<(String, Option<String>)> {
        self.state.seen.lock().unwrap().clone()
    }
}

fn record(state: &StubState, path: String, headers: &HeaderMap) {
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    state.seen.lock().unwrap().push((path, auth));
}

fn params(query: &Option<String>) -> Vec<(String, String)> {
    query
        .as_deref()
        .unwrap_or("")
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| {
            (
                k.to_string(),
                percent_encoding::percent_decode_str(v)
                    .decode_utf8_lossy()
                    .into_owned(),
            )
        })
        .collect()
}

fn codes(r: &Value) -> Vec<String> {
    r.pointer("/code/coding")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|c| {
            format!(
                "{}|{}",
                c["system"].as_str().unwrap_or(""),
                c["code"].as_str().unwrap_or("")
            )
        })
        .collect()
}

async fn apply_fault(state: &StubState, rtype: &str) -> Option<Response> {
    let latency = *state.latency.lock().unwrap();
    if let Some(l) = latency {
        tokio::time::sleep(l).await;
    }
    let fault = state.faults.lock().unwrap().get(rtype).cloned();
    match fault {
        Some(Fault::Slow(d)) => {
            tokio::time::sleep(d).await;
            None
        }
        Some(Fault::Status(s)) => Some(
            (
                StatusCode::from_u16(s).unwrap(),
                "{\"resourceType\":\"OperationOutcome\"}",
            )
                .into_response(),
        ),
        Some(Fault::InvalidJson) => Some(
            (
                StatusCode::OK,
                "{\"resourceType\": \"Bundle\", \"entry\": [",
            )
                .into_response(),
        ),
        Some(Fault::Huge(n)) => Some(
            (
                StatusCode::OK,
                format!(
                    "{{\"resourceType\":\"Bundle\",\"x\":\"{}\"}}",
                    "x".repeat(n)
                ),
            )
                .into_response(),
        ),
        Some(Fault::RedirectTo(url)) => {
            Some((StatusCode::FOUND, [("location", url)]).into_response())
        }
        _ => None,
    }
}

async fn search(
    State(state): State<Arc<StubState>>,
    Path(rtype): Path<String>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> Response {
    record(
        &state,
        format!("/{rtype}?{}", q.clone().unwrap_or_default()),
        &headers,
    );
    if let Some(r) = apply_fault(&state, &rtype).await {
        return r;
    }
    let p = params(&q);
    let wanted: Vec<String> = p
        .iter()
        .filter(|(k, _)| k == "code")
        .flat_map(|(_, v)| v.split(',').map(str::to_string).collect::<Vec<_>>())
        .collect();
    let category = p
        .iter()
        .find(|(k, _)| k == "category")
        .map(|(_, v)| v.clone());
    let status = p
        .iter()
        .find(|(k, _)| k == "status")
        .map(|(_, v)| v.clone());
    let matches: Vec<Value> = state
        .resources
        .lock()
        .unwrap()
        .iter()
        .filter(|r| r["resourceType"] == rtype.as_str())
        .filter(|r| wanted.is_empty() || codes(r).iter().any(|c| wanted.contains(c)))
        .filter(|r| {
            category
                .as_ref()
                .is_none_or(|c| r.to_string().contains(&format!("\"code\":\"{c}\"")))
        })
        // A comma is "or" (FHIR token search).
        .filter(|r| {
            status
                .as_ref()
                .is_none_or(|s| s.split(',').any(|s| r["status"] == s))
        })
        .cloned()
        .collect();
    let base = state.base.lock().unwrap().clone();
    let fault = state.faults.lock().unwrap().get(&rtype).cloned();
    let offset: usize = p
        .iter()
        .find(|(k, _)| k == "_offset")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let (page, next) = match fault {
        Some(Fault::Paged) => {
            let page: Vec<Value> = matches.iter().skip(offset).take(1).cloned().collect();
            let next = (offset + 1 < matches.len()).then(|| {
                let mut kept: Vec<String> = p
                    .iter()
                    .filter(|(k, _)| k != "_offset")
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect();
                kept.push(format!("_offset={}", offset + 1));
                format!("{base}/{rtype}?{}", kept.join("&"))
            });
            (page, next)
        }
        Some(Fault::NextTo(url)) => (matches.clone(), Some(url)),
        _ => (matches, None),
    };
    let mut bundle = json!({"resourceType": "Bundle", "type": "searchset", "total": page.len(),
        "entry": page.iter().map(|r| json!({"resource": r})).collect::<Vec<_>>()});
    if let Some(n) = next {
        bundle["link"] = json!([{"relation": "next", "url": n}]);
    }
    (
        StatusCode::OK,
        [("content-type", "application/fhir+json")],
        bundle.to_string(),
    )
        .into_response()
}

async fn read(
    State(state): State<Arc<StubState>>,
    Path((rtype, id)): Path<(String, String)>,
    uri: axum::http::Uri,
    headers: HeaderMap,
) -> Response {
    // As sent (still percent-encoded).
    record(
        &state,
        uri.path().trim_start_matches("/fhir").to_string(),
        &headers,
    );
    if let Some(r) = apply_fault(&state, &rtype).await {
        return r;
    }
    let found = state
        .resources
        .lock()
        .unwrap()
        .iter()
        .find(|r| r["resourceType"] == rtype.as_str() && r["id"] == id.as_str())
        .cloned();
    match found {
        Some(r) => (
            StatusCode::OK,
            [("content-type", "application/fhir+json")],
            r.to_string(),
        )
            .into_response(),
        None => (
            StatusCode::NOT_FOUND,
            "{\"resourceType\":\"OperationOutcome\"}",
        )
            .into_response(),
    }
}

/// The resources of a request's prefetch (bundles flattened), for loading a stub.
pub fn prefetch_resources(req: &Value) -> Vec<Value> {
    let mut out = vec![];
    for v in req["prefetch"]
        .as_object()
        .into_iter()
        .flat_map(|o| o.values())
    {
        match v["resourceType"].as_str() {
            Some("Bundle") => out.extend(
                v["entry"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|e| e["resource"].clone()),
            ),
            Some(_) => out.push(v.clone()),
            None => {}
        }
    }
    out
}
