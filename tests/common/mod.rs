//! Shared test support: a server on an ephemeral port, request fixtures, and
//! the CDS Hooks 2.0 conformance check applied to every response.
#![allow(dead_code)]

pub mod conformance;
pub mod fhir_server;
pub mod fhir_stub;
pub mod jwt;
pub mod process;
pub mod store_support;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use chrono::NaiveDate;
use serde_json::Value;

use ssc_myositis_cds::engine::Engine;
use ssc_myositis_cds::http::{router, AppState, AuthMode, Limits};

pub const TODAY: &str = "2026-11-24";

/// A worked case of the clinical reference as a FHIR request in
/// `tests/requests/`: (file, cards that must fire (topic, indicator), cards
/// that must not fire).
pub type Scenario = (
    &'static str,
    &'static [(&'static str, &'static str)],
    &'static [&'static str],
);

/// The seven worked cases (REFERENCE.md 6, scenarios.json).
pub const SCENARIOS: &[Scenario] = &[
    (
        "S1.json",
        &[
            ("gc-dose-above-guidance", "warning"),
            ("src-risk-high-dose-gc", "warning"),
            // Folic acid is a line of the dose card, not a card of its own.
            ("mtx-dose-bsa", "info"),
        ],
        &[
            "mtx-folic-acid",
            "mtx-contraindicated-renal",
            "pregnancy-contraindicated",
            "src-suspected",
            "steroid-sparing-day-one",
        ],
    ),
    (
        "S2.json",
        &[
            ("gc-dose-above-guidance", "warning"),
            ("src-risk-high-dose-gc", "warning"),
            ("steroid-sparing-day-one", "warning"),
        ],
        &[],
    ),
    (
        "S3.json",
        &[("data-missing", "info")],
        &["mtx-dose-bsa", "src-risk-high-dose-gc", "mtx-folic-acid"],
    ),
    (
        "S5.json",
        // One card for the order: the oral route joins the duplicate warning.
        &[("mtx-duplicate", "warning")],
        &["mtx-folic-acid", "mtx-dose-bsa"],
    ),
    (
        "S8.json",
        &[],
        &[
            "src-risk-high-dose-gc",
            "gc-dose-above-guidance",
            "bp-monitoring-gc",
        ],
    ),
    (
        "S9.json",
        &[],
        &[
            "src-risk-high-dose-gc",
            "bp-monitoring-gc",
            "gc-dose-above-guidance",
            "gc-route-needed",
        ],
    ),
    (
        "S10.json",
        &[("mtx-contraindicated-renal", "critical")],
        &["mtx-dose-bsa", "mtx-folic-acid"],
    ),
];

pub struct Server {
    pub base: String,
    pub client: reqwest::Client,
}

pub async fn start() -> Server {
    start_with_limit(1024 * 1024).await
}

pub async fn start_with_limit(max_body_bytes: usize) -> Server {
    start_with_limits(Limits {
        max_body_bytes,
        ..Limits::default()
    })
    .await
}

/// A server without authentication or store, with these limits.
pub async fn start_with_limits(limits: Limits) -> Server {
    start_with(AppState::new(
        Engine::with_defaults().expect("engine"),
        limits,
        AuthMode::Disabled,
    ))
    .await
    .0
}

/// Serves `state` (its date fixed to TODAY) on an ephemeral port.
pub async fn start_with(mut state: AppState) -> (Server, Arc<AppState>) {
    state = state.on(Some(NaiveDate::parse_from_str(TODAY, "%Y-%m-%d").unwrap()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    let _ = state.listen_base.set(format!("http://{addr}"));
    let state = Arc::new(state);
    let shared = state.clone();
    tokio::spawn(async move {
        axum::serve(listener, router(state)).await.unwrap();
    });
    (
        Server {
            base: format!("http://{addr}"),
            client: reqwest::Client::new(),
        },
        shared,
    )
}

pub fn fixture(name: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/requests")
        .join(name);
    serde_json::from_str(
        &std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
    )
    .unwrap()
}

impl Server {
    /// A browser's CORS preflight for a POST with Authorization and Content-Type.
    pub async fn preflight(&self, path: &str, origin: &str) -> reqwest::Response {
        self.client
            .request(reqwest::Method::OPTIONS, format!("{}{path}", self.base))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "authorization,content-type",
            )
            .send()
            .await
            .unwrap()
    }

    /// POSTs a hook request; checks conformance of any 200 body and the
    /// OperationOutcome of any error. Returns status and body.
    pub async fn hook(&self, service: &str, body: &Value) -> (u16, Value) {
        self.raw(
            service,
            "application/json",
            serde_json::to_vec(body).unwrap(),
        )
        .await
    }

    pub async fn raw(&self, service: &str, content_type: &str, body: Vec<u8>) -> (u16, Value) {
        let patient = serde_json::from_slice::<Value>(&body).ok().and_then(|b| {
            b.pointer("/context/patientId")
                .and_then(Value::as_str)
                .map(str::to_string)
        });
        let resp = self
            .client
            .post(format!("{}/cds-services/{service}", self.base))
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        let json: Value = resp.json().await.expect("JSON body");
        if status == 200 {
            check_response(&json, patient.as_deref());
        } else {
            check_operation_outcome(&json);
        }
        (status, json)
    }
}

/// Topic codes and indicators of the cards, in order.
pub fn topics(resp: &Value) -> Vec<(String, String)> {
    resp["cards"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["source"]["topic"]["code"].as_str().unwrap().to_string(),
                c["indicator"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

pub fn has(resp: &Value, topic: &str, indicator: &str) -> bool {
    topics(resp)
        .iter()
        .any(|(t, i)| t == topic && i == indicator)
}

pub fn fires(resp: &Value, topic: &str) -> bool {
    topics(resp).iter().any(|(t, _)| t == topic)
}

/// No null, no empty string, no empty array or object anywhere.
pub fn check_no_empty(v: &Value, path: &str) {
    let mut out = vec![];
    conformance::empties(v, path, &mut out);
    assert!(out.is_empty(), "{out:?}");
}

/// A conformant CDS Hooks response; its resources are written out for the
/// FHIR validator with the patient in context (when known).
pub fn check_response(resp: &Value, patient: Option<&str>) {
    let v = conformance::response(resp);
    assert!(v.is_empty(), "CDS Hooks conformance: {v:#?}\n{resp:#}");
    if let Some(p) = patient {
        conformance::emit_resources(resp, p);
    }
}

pub fn check_discovery(d: &Value) {
    let v = conformance::discovery(d);
    assert!(v.is_empty(), "discovery conformance: {v:#?}");
}

pub fn check_feedback(f: &Value) {
    let v = conformance::feedback(f);
    assert!(v.is_empty(), "feedback conformance: {v:#?}");
}

pub fn check_operation_outcome(v: &Value) {
    assert_eq!(v["resourceType"], "OperationOutcome", "{v}");
    let issues = v["issue"].as_array().expect("issues");
    assert!(!issues.is_empty());
    for i in issues {
        assert!(i["severity"].is_string() && i["code"].is_string() && i["diagnostics"].is_string());
    }
    check_no_empty(v, "$");
}

/// Builds CDS Hooks requests with FHIR R4 prefetch, for rule tests.
pub struct Req {
    pub hook: &'static str,
    pub patient: Value,
    pub conditions: Vec<Value>,
    pub active: Vec<Value>,
    pub orders: Vec<Value>,
    pub weights: Vec<Value>,
    pub heights: Vec<Value>,
    pub bps: Vec<Value>,
    pub renal: Vec<Value>,
    pub labs: Vec<Value>,
    n: usize,
}

pub const RXNORM: &str = "http://www.nlm.nih.gov/research/umls/rxnorm";
pub const ICD: &str = "http://hl7.org/fhir/sid/icd-10-cm";
pub const LOINC: &str = "http://loinc.org";

fn bundle(entries: &[Value]) -> Value {
    serde_json::json!({"resourceType": "Bundle", "type": "searchset",
        "entry": entries.iter().map(|r| serde_json::json!({"resource": r})).collect::<Vec<_>>()})
}

impl Req {
    pub fn new(hook: &'static str, sex: &str) -> Req {
        Req {
            hook,
            patient: serde_json::json!({"resourceType": "Patient", "id": "p1", "gender": sex, "birthDate": "1970-01-01"}),
            conditions: vec![],
            active: vec![],
            orders: vec![],
            weights: vec![],
            heights: vec![],
            bps: vec![],
            renal: vec![],
            labs: vec![],
            n: 0,
        }
    }
    fn id(&mut self, p: &str) -> String {
        self.n += 1;
        format!("{p}{}", self.n)
    }
    pub fn dx(mut self, icd: &str) -> Self {
        let id = self.id("c");
        self.conditions.push(serde_json::json!({"resourceType": "Condition", "id": id, "subject": {"reference": "Patient/p1"},
            "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "active"}]},
            "code": {"coding": [{"system": ICD, "code": icd}]}}));
        self
    }
    fn obs(&mut self, code: &str, value: f64, unit: &str, date: &str) -> Value {
        let id = self.id("o");
        serde_json::json!({"resourceType": "Observation", "id": id, "status": "final", "subject": {"reference": "Patient/p1"},
            "code": {"coding": [{"system": LOINC, "code": code}]}, "effectiveDateTime": date,
            "valueQuantity": {"value": value, "unit": unit, "system": "http://unitsofmeasure.org", "code": unit}})
    }
    pub fn body(mut self, kg: f64, cm: f64) -> Self {
        let w = self.obs("29463-7", kg, "kg", "2026-11-01");
        let h = self.obs("8302-2", cm, "cm", "2026-11-01");
        self.weights.push(w);
        self.heights.push(h);
        self
    }
    pub fn lab(mut self, code: &str, value: f64, unit: &str, date: &str) -> Self {
        let o = self.obs(code, value, unit, date);
        if ["2160-0", "98979-8"].contains(&code) {
            self.renal.push(o);
        } else {
            self.labs.push(o);
        }
        self
    }
    pub fn lab_with_uln(
        mut self,
        code: &str,
        value: f64,
        unit: &str,
        uln: f64,
        date: &str,
    ) -> Self {
        let mut o = self.obs(code, value, unit, date);
        o["referenceRange"] = serde_json::json!([{"high": {"value": uln, "unit": unit}}]);
        self.labs.push(o);
        self
    }
    pub fn bp(mut self, s: f64, d: f64, date: &str) -> Self {
        let id = self.id("bp");
        let comp = |code: &str, v: f64| serde_json::json!({"code": {"coding": [{"system": LOINC, "code": code}]}, "valueQuantity": {"value": v, "unit": "mmHg", "system": "http://unitsofmeasure.org", "code": "mm[Hg]"}});
        self.bps.push(
            serde_json::json!({"resourceType": "Observation", "id": id, "status": "final",
            "code": {"coding": [{"system": LOINC, "code": "85354-9"}]}, "effectiveDateTime": date,
            "component": [comp("8480-6", s), comp("8462-4", d)]}),
        );
        self
    }
    /// A MedicationRequest: RxNorm code (or None for text only), name, mg per dose, frequency per period unit, route code.
    /// One positional argument per element keeps the rule tables one line per order.
    #[allow(clippy::too_many_arguments)]
    pub fn med(
        code: Option<&str>,
        name: &str,
        mg: f64,
        freq: u32,
        unit: &str,
        route: &str,
        id: &str,
        status: &str,
        authored: &str,
    ) -> Value {
        let mut m = serde_json::json!({"text": name});
        if let Some(c) = code {
            m["coding"] = serde_json::json!([{"system": RXNORM, "code": c, "display": name}]);
        }
        serde_json::json!({"resourceType": "MedicationRequest", "id": id, "status": status, "intent": "order",
            "subject": {"reference": "Patient/p1"}, "authoredOn": authored, "medicationCodeableConcept": m,
            "dosageInstruction": [{"timing": {"repeat": {"frequency": freq, "period": 1, "periodUnit": unit}},
                "route": {"coding": [{"system": "http://snomed.info/sct", "code": route}]},
                "doseAndRate": [{"doseQuantity": {"value": mg, "unit": "mg", "system": "http://unitsofmeasure.org", "code": "mg"}}]}]})
        .as_object()
        .map(|o| {
            let mut v = Value::Object(o.clone());
            if route.is_empty() {
                v["dosageInstruction"][0].as_object_mut().unwrap().remove("route");
            }
            v
        })
        .unwrap()
    }
    pub fn order(mut self, m: Value) -> Self {
        self.orders.push(m);
        self
    }
    pub fn active(mut self, m: Value) -> Self {
        self.active.push(m);
        self
    }
    pub fn build(&self) -> Value {
        let mut context = serde_json::json!({"userId": "Practitioner/1", "patientId": "p1"});
        if self.hook != "patient-view" {
            context["draftOrders"] = serde_json::json!({"resourceType": "Bundle",
                "entry": self.orders.iter().map(|r| serde_json::json!({"resource": r})).collect::<Vec<_>>()});
        }
        serde_json::json!({"hook": self.hook, "hookInstance": "d1a2b3c4-0000-4000-8000-000000000001", "context": context,
            "prefetch": {"Patient": self.patient, "Condition": bundle(&self.conditions), "MedicationRequest": bundle(&self.active),
                "Weight": bundle(&self.weights), "Height": bundle(&self.heights), "BloodPressure": bundle(&self.bps),
                "Renal": bundle(&self.renal), "Labs": bundle(&self.labs), "PregnancyStatus": null}})
    }
}

pub fn service_for(hook: &str) -> &'static str {
    match hook {
        "order-sign" => "ssc-myositis-order-sign",
        "order-select" => "ssc-myositis-order-select",
        _ => "ssc-myositis-patient-view",
    }
}

impl Server {
    pub async fn cards(&self, req: &Req) -> Value {
        let (status, body) = self.hook(service_for(req.hook), &req.build()).await;
        assert_eq!(status, 200, "{body}");
        body
    }
}
