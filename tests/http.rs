//! The service over real HTTP: discovery, the worked scenarios, the request
//! shapes real clients send, and every error.

mod common;

use common::*;
use serde_json::{json, Value};

const SIGN: &str = "ssc-myositis-order-sign";
const SELECT: &str = "ssc-myositis-order-select";

#[tokio::test]
async fn discovery_lists_the_services_from_hooks() {
    let s = start().await;
    let d: Value = s
        .client
        .get(format!("{}/cds-services", s.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    check_discovery(&d);
    let services = d["services"].as_array().unwrap();
    let by_id = |id: &str| {
        services
            .iter()
            .find(|x| x["id"] == id)
            .unwrap_or_else(|| panic!("{id}"))
            .clone()
    };
    assert_eq!(by_id(SIGN)["hook"], "order-sign");
    assert_eq!(by_id(SELECT)["hook"], "order-select");
    for svc in services {
        for k in ["id", "hook", "title", "description", "usageRequirements"] {
            assert!(svc[k].is_string(), "{k}");
        }
        let prefetch = svc["prefetch"].as_object().unwrap();
        for key in [
            "Patient",
            "Condition",
            "MedicationRequest",
            "MedicationStatement",
            "Weight",
            "Height",
            "BloodPressure",
            "Renal",
        ] {
            assert!(
                prefetch[key]
                    .as_str()
                    .unwrap()
                    .contains("{{context.patientId}}"),
                "{key}"
            );
        }
        // Blood pressure by the vital-signs category, newest first: a
        // search by code does not match a panel's components.
        let bp = prefetch["BloodPressure"].as_str().unwrap();
        assert!(
            bp.contains("category=vital-signs")
                && bp.contains("_sort=-date")
                && !bp.contains("code="),
            "{bp}"
        );
        // Orders on hold and reported medications, with their Medications.
        for (key, include) in [
            ("MedicationRequest", "_include=MedicationRequest:medication"),
            (
                "MedicationStatement",
                "_include=MedicationStatement:medication",
            ),
        ] {
            let t = prefetch[key].as_str().unwrap();
            assert!(t.contains(include) && t.contains("on-hold"), "{t}");
        }
    }
}

/// The seven worked cases of the clinical reference, as FHIR requests:
/// (fixture, cards that must fire, cards that must not).
#[tokio::test]
async fn worked_scenarios_end_to_end() {
    let s = start().await;
    for (file, expected, forbidden) in SCENARIOS {
        let (status, resp) = s.hook(SIGN, &fixture(file)).await;
        assert_eq!(status, 200, "{file}: {resp}");
        for (topic, indicator) in *expected {
            assert!(
                has(&resp, topic, indicator),
                "{file}: expected {topic} {indicator}, got {:?}",
                topics(&resp)
            );
        }
        for topic in *forbidden {
            assert!(!fires(&resp, topic), "{file}: {topic} must not fire");
        }
    }
}

#[tokio::test]
async fn scenario_figures_reach_the_cards() {
    let s = start().await;
    let (_, r) = s.hook(SIGN, &fixture("S1.json")).await;
    let card = |code: &str| {
        r["cards"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["source"]["topic"]["code"] == code)
            .unwrap()
            .clone()
    };
    assert_eq!(
        card("gc-dose-above-guidance")["summary"],
        "Prednisone 60 mg/day = 0.86 mg/kg; diabetes: guidance ≈0.5 mg/kg (35 mg)"
    );
    let update = &card("gc-dose-above-guidance")["suggestions"][0]["actions"][0];
    assert_eq!(update["type"], "update");
    assert_eq!(update["resource"]["id"], "S1-pred");
    // 35 mg as 7 tablets of prednisone 5 mg: the code an EHR applies alone
    // (coding[0]) is the product the whole-tablet instruction counts.
    assert_eq!(
        update["resource"]["medicationCodeableConcept"]["coding"][0]["code"],
        "312617"
    );
    let q = &update["resource"]["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"];
    assert_eq!(
        (q["value"].as_f64(), q["code"].as_str()),
        (Some(35.0), Some("mg"))
    );
    assert_eq!(
        update["resource"]["dosageInstruction"][0]["text"],
        "7 tablets (35 mg) by mouth once daily"
    );
    let bsa = card("mtx-dose-bsa")["detail"].as_str().unwrap().to_string();
    assert!(
        bsa.contains("**1.82 m²**")
            && bsa.contains("**27.5–35 mg/week**")
            && bsa.contains("**15.1 mg/m²/week**"),
        "{bsa}"
    );
    let src = card("src-risk-high-dose-gc");
    // One action per suggestion: BP monitoring, serum creatinine.
    let loinc: Vec<_> = src["suggestions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|sg| {
            let actions = sg["actions"].as_array().unwrap();
            assert_eq!(actions.len(), 1, "{sg}");
            actions[0]["resource"]["code"]["coding"][0]["code"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert_eq!(loinc, vec!["85354-9", "2160-0"]);
    assert_eq!(src["selectionBehavior"], "any");

    // S2: pounds and inches converted; nothing computed from 154 "kg".
    let (_, r) = s.hook(SIGN, &fixture("S2.json")).await;
    let text = r.to_string();
    assert!(
        text.contains("0.57 mg/kg") && text.contains("69.9 kg (154 lb"),
        "{text}"
    );
    assert!(!text.contains("0.26 mg/kg") && !text.contains("2.65 m"));
    // S2 steroid-sparing: MTX 15 mg/m² × 1.776 m² = 26.6 → 27.5 mg, started at the 25 mg/week
    // suggestion ceiling, SC weekly, with folic acid stated.
    let sparing = r["cards"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["source"]["topic"]["code"] == "steroid-sparing-day-one")
        .unwrap();
    let mtx = &sparing["suggestions"][0];
    assert_eq!(mtx["isRecommended"], true);
    assert_eq!(
        mtx["actions"][0]["resource"]["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"]
            ["value"],
        25.0
    );
    assert_eq!(
        mtx["actions"][0]["resource"]["dosageInstruction"][0]["timing"]["repeat"]["periodUnit"],
        "wk"
    );
    assert_eq!(
        mtx["actions"][0]["resource"]["dosageInstruction"][0]["route"]["coding"][0]["code"],
        "34206005"
    );
    // One action per suggestion: folic acid is stated here and suggested by
    // the methotrexate order's own check once the order comes back.
    assert_eq!(mtx["actions"].as_array().map(Vec::len), Some(1));
    assert!(sparing["detail"]
        .as_str()
        .unwrap()
        .contains("with folic acid 1 mg daily"));
    assert_eq!(sparing["selectionBehavior"], "at-most-one");
}

#[tokio::test]
async fn order_select_looks_only_at_selected_orders() {
    let s = start().await;
    let mut req = fixture("S1.json");
    req["hook"] = json!("order-select");
    req["context"]["selections"] = json!(["MedicationRequest/S1-mtx"]);
    let (status, r) = s.hook(SELECT, &req).await;
    assert_eq!(status, 200);
    assert!(fires(&r, "mtx-dose-bsa"));
    assert!(
        !fires(&r, "src-risk-high-dose-gc") && !fires(&r, "gc-dose-above-guidance"),
        "{:?}",
        topics(&r)
    );
    // Selecting the steroid: the drafted MTX still counts as drafted.
    req["context"]["selections"] = json!(["MedicationRequest/S1-pred"]);
    let (_, r) = s.hook(SELECT, &req).await;
    assert!(
        fires(&r, "src-risk-high-dose-gc") && !fires(&r, "steroid-sparing-day-one"),
        "{:?}",
        topics(&r)
    );
    assert!(!fires(&r, "mtx-dose-bsa"));
}

/// The sandbox's order: brand code 206997, "1 {pill}", no Bundle.type, with
/// prefetch added for an overlap patient: reads as prednisone 20 mg/day.
#[tokio::test]
async fn sandbox_shaped_order_reads_as_prednisone_20_mg() {
    let s = start().await;
    let mut req = fixture("sandbox/order-sign-prednisone.json");
    let pv = fixture("sandbox/patient-view-ssc-prefetch.json");
    req["prefetch"] = pv["prefetch"].clone();
    req["prefetch"]["Weight"] = json!({"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": {
        "resourceType": "Observation", "id": "w1", "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "29463-7"}]},
        "effectiveDateTime": "2026-11-01", "valueQuantity": {"value": 60, "unit": "kg", "system": "http://unitsofmeasure.org", "code": "kg"}}}]});
    let (status, r) = s.hook(SIGN, &req).await;
    assert_eq!(status, 200, "{r}");
    assert!(
        has(&r, "src-risk-high-dose-gc", "warning"),
        "{:?}",
        topics(&r)
    );
    // SSc: a steroid dose is never raised (0.33 mg/kg stays as ordered).
    assert!(!fires(&r, "gc-dose-below-guidance"));
    assert!(has(&r, "steroid-sparing-day-one", "warning"));
    let text = r.to_string();
    assert!(text.contains("20 mg/day"), "{text}");
    // Optional keys the request did not send are named on the cards.
    assert!(text.contains("Not checked: body height"), "{text}");
}

/// Every request of the shared examples: 200 with conformant cards, or 412
/// naming the required key when the request carries no diagnoses.
#[tokio::test]
async fn the_shared_example_requests() {
    let s = start().await;
    let view = "ssc-myositis-patient-view";
    for (file, service, want) in [
        ("sandbox/order-sign-prednisone.json", SIGN, 412),
        ("sandbox/order-select-prednisone.json", SELECT, 412),
        ("sandbox/patient-view-noprefetch.json", view, 412),
        ("sandbox/patient-view-partialprefetch.json", view, 412),
        ("sandbox/patient-view-nullprefetch.json", view, 200),
        ("sandbox/patient-view-ssc-prefetch.json", view, 200),
    ] {
        let (status, body) = s.hook(service, &fixture(file)).await;
        assert_eq!(status, want, "{file}: {body}");
        if status == 412 {
            let first = &body["issue"][0];
            assert_eq!(first["severity"], "error");
            assert_eq!(first["expression"][0], "prefetch.Condition");
        }
    }
}

#[tokio::test]
async fn out_of_scope_patients_get_no_cards() {
    let s = start().await;
    // Morphea only; inclusion body myositis only; no diagnosis at all.
    for conditions in [
        json!([{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "L94.0"}]),
        json!([{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "G72.41"}]),
        json!([]),
    ] {
        let mut req = fixture("S2.json");
        let entries: Vec<Value> = conditions
            .as_array()
            .unwrap()
            .iter()
            .map(|c| json!({"resource": {"resourceType": "Condition", "id": "x", "code": {"coding": [c]}}}))
            .collect();
        req["prefetch"]["Condition"] =
            json!({"resourceType": "Bundle", "type": "searchset", "entry": entries});
        if entries.is_empty() {
            req["prefetch"]["Condition"] = json!(null);
        }
        let (status, r) = s.hook(SIGN, &req).await;
        assert_eq!(
            (status, r.clone()),
            (200, json!({"cards": []})),
            "{conditions}"
        );
    }
}

#[tokio::test]
async fn tolerated_prefetch_shapes() {
    let s = start().await;
    let oo = json!({"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": "not-found"}]});
    let empty = json!({"resourceType": "Bundle", "type": "searchset"});
    // (key, value or absent, expected status, text expected in the cards)
    let cases: Vec<(&str, Option<Value>, u16, Option<&str>)> = vec![
        ("Height", None, 200, Some("Not checked: body height")),
        ("Height", Some(json!(null)), 200, None),
        ("Height", Some(empty.clone()), 200, None),
        (
            "Height",
            Some(oo.clone()),
            200,
            Some("Not checked: body height"),
        ),
        ("Condition", Some(oo.clone()), 412, None),
        ("Condition", None, 412, None),
        ("Condition", Some(json!(null)), 200, None),
        (
            "Labs",
            Some(json!({"resourceType": "Bundle", "entry": []})),
            200,
            None,
        ),
    ];
    for (key, value, status, text) in cases {
        let mut req = fixture("S2.json");
        let p = req["prefetch"].as_object_mut().unwrap();
        match &value {
            None => {
                p.remove(key);
            }
            Some(v) => {
                p.insert(key.to_string(), v.clone());
            }
        }
        let (got, body) = s.hook(SIGN, &req).await;
        assert_eq!(got, status, "{key} {value:?}: {body}");
        if let Some(t) = text {
            assert!(body.to_string().contains(t), "{key}: {body}");
        }
        if key == "Height" && value.as_ref().is_some_and(|v| v.is_null() || v == &empty) {
            // No height: the steroid-sparing card asks for it instead of computing MTX.
            assert!(fires(&body, "data-missing"));
        }
    }
}

/// A draft order for another patient is not evaluated, so no card or update names them.
#[tokio::test]
async fn drafts_for_another_patient_are_ignored() {
    let s = start().await;
    let mut req = fixture("S1.json");
    for e in req["context"]["draftOrders"]["entry"]
        .as_array_mut()
        .unwrap()
    {
        e["resource"]["subject"]["reference"] = json!("Patient/someone-else");
    }
    let (status, r) = s.hook(SIGN, &req).await;
    assert_eq!(status, 200);
    assert!(
        !fires(&r, "src-risk-high-dose-gc") && !fires(&r, "gc-dose-above-guidance"),
        "{:?}",
        topics(&r)
    );
    // An absolute reference to the right patient is the right patient.
    let mut req = fixture("S1.json");
    req["context"]["draftOrders"]["entry"][0]["resource"]["subject"]["reference"] =
        json!("https://ehr.example.org/fhir/Patient/S1");
    let (_, r) = s.hook(SIGN, &req).await;
    assert!(fires(&r, "src-risk-high-dose-gc"), "{:?}", topics(&r));
}

#[tokio::test]
async fn malformed_entries_are_skipped_not_fatal() {
    let s = start().await;
    let mut req = fixture("S2.json");
    let entries = req["context"]["draftOrders"]["entry"]
        .as_array_mut()
        .unwrap();
    entries.push(json!({"resource": {"resourceType": "MedicationRequest", "id": "bad", "dosageInstruction": "not an array"}}));
    entries.push(json!({"resource": {"resourceType": "MedicationRequest", "id": "no-med"}}));
    entries.push(json!({"fullUrl": "urn:uuid:1"}));
    req["prefetch"]["Condition"]["entry"]
        .as_array_mut()
        .unwrap()
        .push(json!({"resource": {"resourceType": "Condition", "code": 5}}));
    req["prefetch"]["Weight"]["entry"].as_array_mut().unwrap().push(json!({"resource": {"resourceType": "Observation", "code": {"coding": []}, "valueQuantity": {"value": "x"}}}));
    let (status, r) = s.hook(SIGN, &req).await;
    assert_eq!(status, 200, "{r}");
    assert!(
        has(&r, "src-risk-high-dose-gc", "warning"),
        "{:?}",
        topics(&r)
    );
}

#[tokio::test]
async fn errors_are_precise_4xx_with_operation_outcome() {
    let s = start_with_limit(64 * 1024).await;
    let good = fixture("S1.json");
    let mut no_patient = good.clone();
    no_patient["context"]
        .as_object_mut()
        .unwrap()
        .remove("patientId");
    let mut no_drafts = good.clone();
    no_drafts["context"]
        .as_object_mut()
        .unwrap()
        .remove("draftOrders");
    let mut no_instance = good.clone();
    no_instance.as_object_mut().unwrap().remove("hookInstance");
    let mut free_text_instance = good.clone();
    free_text_instance["hookInstance"] = json!("Jane Doe 1970-01-01");
    let mut wrong_type = good.clone();
    wrong_type["context"]["patientId"] = json!(42);
    let mut select_no_selections = good.clone();
    select_no_selections["hook"] = json!("order-select");

    let cases: Vec<(&str, &str, Vec<u8>, u16, &str)> = vec![
        (
            SIGN,
            "application/json",
            b"{\"hook\": ".to_vec(),
            400,
            "malformed JSON",
        ),
        (SIGN, "application/json", b"[1,2]".to_vec(), 400, "invalid"),
        (
            SIGN,
            "application/json",
            serde_json::to_vec(
                &json!({"hook": "patient-view", "hookInstance": "x", "context": {}}),
            )
            .unwrap(),
            400,
            "which handles",
        ),
        (
            SELECT,
            "application/json",
            serde_json::to_vec(&good).unwrap(),
            400,
            "hook",
        ),
        (
            SIGN,
            "application/json",
            serde_json::to_vec(&no_patient).unwrap(),
            400,
            "context.patientId",
        ),
        (
            SIGN,
            "application/json",
            serde_json::to_vec(&no_drafts).unwrap(),
            400,
            "context.draftOrders",
        ),
        (
            SIGN,
            "application/json",
            serde_json::to_vec(&no_instance).unwrap(),
            400,
            "hookInstance",
        ),
        (
            SIGN,
            "application/json",
            serde_json::to_vec(&free_text_instance).unwrap(),
            400,
            "must be a UUID",
        ),
        (
            SIGN,
            "application/json",
            serde_json::to_vec(&wrong_type).unwrap(),
            400,
            "context",
        ),
        (
            SELECT,
            "application/json",
            serde_json::to_vec(&select_no_selections).unwrap(),
            400,
            "context.selections",
        ),
        (
            "no-such-service",
            "application/json",
            serde_json::to_vec(&good).unwrap(),
            404,
            "unknown service",
        ),
        (
            SIGN,
            "text/plain",
            serde_json::to_vec(&good).unwrap(),
            415,
            "content type",
        ),
        (
            SIGN,
            "application/json",
            vec![b' '; 70 * 1024],
            413,
            "over 65536 bytes",
        ),
    ];
    for (service, ct, body, status, text) in cases {
        let (got, oo) = s.raw(service, ct, body).await;
        assert_eq!(got, status, "{service} {text}: {oo}");
        assert!(oo.to_string().contains(text), "{text}: {oo}");
    }
    // Nesting: 60 levels in an unknown member pass; 5,000 are refused before parsing.
    // Brackets inside strings do not count.
    for (levels, status) in [(60, 200), (5000, 400)] {
        let mut deep = serde_json::to_string(&good).unwrap();
        deep.pop();
        deep.push_str(&format!(
            r#","extension":{{"note":"[[[[[[[[","x":{}1{}}}}}"#,
            "[".repeat(levels),
            "]".repeat(levels)
        ));
        let (got, oo) = s.raw(SIGN, "application/json", deep.into_bytes()).await;
        assert_eq!(got, status, "{levels}: {oo}");
        if status == 400 {
            assert!(oo.to_string().contains("nested deeper than 64"), "{oo}");
        }
    }
    // Wrong method and unknown route.
    let r = s
        .client
        .get(format!("{}/cds-services/{SIGN}", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 405);
    check_operation_outcome(&r.json().await.unwrap());
    let r = s
        .client
        .get(format!("{}/nope", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 404);
    check_operation_outcome(&r.json().await.unwrap());
}

#[tokio::test]
async fn feedback_is_accepted_and_checked() {
    let s = start().await;
    let url = format!("{}/cds-services/{SIGN}/feedback", s.base);
    let ok = json!({"feedback": [{"card": "9368d37b-283f-44a0-93ea-547cebab93ec", "outcome": "overridden",
        "overrideReason": {"reason": {"code": "dose-appropriate", "system": "https://ssc-myositis-cds.example.org/fhir/CodeSystem/override-reason", "display": "Dose appropriate for this patient"}},
        "outcomeTimestamp": "2026-11-24T10:00:00Z"}]});
    check_feedback(&ok);
    let r = s.client.post(&url).json(&ok).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    for bad in [
        json!({"feedback": []}),
        json!({"feedback": [{"card": "x", "outcome": "maybe", "outcomeTimestamp": "t"}]}),
        json!({}),
    ] {
        let r = s.client.post(&url).json(&bad).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 400, "{bad}");
        check_operation_outcome(&r.json().await.unwrap());
    }
    // A feedback body is small: one far larger than any real one (here a
    // 300 KiB comment, under the hook body limit) is refused unread.
    let mut big = ok.clone();
    big["feedback"][0]["overrideReason"]["userComment"] = json!("x".repeat(300 * 1024));
    let r = s.client.post(&url).json(&big).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 413);
    check_operation_outcome(&r.json().await.unwrap());
    // Too many items: refused whole, nothing stored.
    let many = json!({"feedback": vec![ok["feedback"][0].clone(); 101]});
    let r = s.client.post(&url).json(&many).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 400);
    check_operation_outcome(&r.json().await.unwrap());
}

#[tokio::test]
async fn feedback_beyond_the_rate_limit_gets_429_with_retry_after() {
    let s = start_with_limits(ssc_myositis_cds::http::Limits {
        feedback_per_minute: 3,
        ..Default::default()
    })
    .await;
    let url = format!("{}/cds-services/{SIGN}/feedback", s.base);
    let item = |t: &str| {
        json!({"card": "9368d37b-283f-44a0-93ea-547cebab93ec", "outcome": "overridden",
               "overrideReason": {"userComment": "x"}, "outcomeTimestamp": t})
    };
    let body = json!({"feedback": [item("2026-11-24T10:00:00Z"), item("2026-11-24T10:00:01Z")]});
    let r = s.client.post(&url).json(&body).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    // One item left in the minute: two more do not fit, the call is refused whole.
    let r = s.client.post(&url).json(&body).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 429);
    let wait: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    let outcome: Value = r.json().await.unwrap();
    check_operation_outcome(&outcome);
    assert_eq!(outcome["issue"][0]["code"], "throttled");
    // The one left still fits.
    let one = json!({"feedback": [item("2026-11-24T10:00:02Z")]});
    let r = s.client.post(&url).json(&one).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
}

#[tokio::test]
async fn browser_preflight_and_cors_on_errors() {
    let s = start().await;
    for path in [
        "/cds-services",
        "/cds-services/ssc-myositis-order-sign",
        "/cds-services/ssc-myositis-order-sign/feedback",
    ] {
        let r = s.preflight(path, "https://sandbox.cds-hooks.org").await;
        assert!(r.status().is_success(), "{path}: {}", r.status());
        assert_eq!(r.headers()["access-control-allow-origin"], "*");
        let allowed = r.headers()["access-control-allow-headers"]
            .to_str()
            .unwrap()
            .to_ascii_lowercase();
        assert!(
            allowed.contains("authorization") && allowed.contains("content-type"),
            "{allowed}"
        );
    }
    let r = s
        .client
        .post(format!("{}/cds-services/nope", s.base))
        .header("origin", "https://sandbox.cds-hooks.org")
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 404);
    assert_eq!(r.headers()["access-control-allow-origin"], "*");
}

#[tokio::test]
async fn the_report_answers_no_other_origin() {
    // Hooks and discovery keep their CORS allowances; the report never has
    // any, preflight or not, so no web page can read it from a browser.
    let s = start().await;
    for path in ["/admin/report", "/admin/report.json"] {
        let r = s.preflight(path, "https://sandbox.cds-hooks.org").await;
        let cors: Vec<_> = r
            .headers()
            .keys()
            .filter(|k| k.as_str().starts_with("access-control-"))
            .collect();
        assert!(cors.is_empty(), "{path} preflight: {cors:?}");
        let r = s
            .client
            .get(format!("{}{path}", s.base))
            .header("origin", "https://sandbox.cds-hooks.org")
            .send()
            .await
            .unwrap();
        assert!(
            r.headers().get("access-control-allow-origin").is_none(),
            "{path}: {:?}",
            r.headers()
        );
    }
    let r = s
        .preflight("/cds-services", "https://sandbox.cds-hooks.org")
        .await;
    assert_eq!(r.headers()["access-control-allow-origin"], "*");
}

#[tokio::test]
async fn draft_orders_beyond_the_limit_are_refused_with_an_outcome() {
    let s = start_with_limit(8 * 1024 * 1024).await;
    let base = fixture("S1.json");
    let entry = base["context"]["draftOrders"]["entry"][0].clone();
    let with = |n: usize| {
        let mut req = base.clone();
        req["context"]["draftOrders"]["entry"] = Value::Array(vec![entry.clone(); n]);
        req
    };
    let limit = ssc_myositis_cds::http::Limits::default().max_draft_orders;
    // At the limit: answered with cards.
    let (status, _) = s.hook("ssc-myositis-order-sign", &with(limit)).await;
    assert_eq!(status, 200);
    // Beyond it, and far beyond it: 422, an OperationOutcome naming the field.
    for n in [limit + 1, 2_000] {
        let (status, body) = s.hook("ssc-myositis-order-sign", &with(n)).await;
        assert_eq!(status, 422, "{n} drafts");
        assert_eq!(body["resourceType"], "OperationOutcome");
        assert_eq!(body["issue"][0]["code"], "too-costly");
        assert_eq!(body["issue"][0]["expression"][0], "context.draftOrders");
        let text = body["issue"][0]["diagnostics"].as_str().unwrap();
        assert!(text.contains(&n.to_string()), "{text}");
    }
}

/// A raw HTTP request whose body never finishes: holds a request slot open.
async fn stalled_request(base: &str) -> tokio::net::TcpStream {
    use tokio::io::AsyncWriteExt;
    let addr = base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST /cds-services/{SIGN} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{{\"hook\":"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream
}

#[tokio::test]
async fn overload_and_slow_requests_get_503() {
    use ssc_myositis_cds::http::Limits;
    use tokio::io::AsyncReadExt;
    let s = start_with_limits(Limits {
        max_concurrent_requests: 1,
        request_timeout: std::time::Duration::from_millis(300),
        ..Limits::default()
    })
    .await;
    let mut slow = stalled_request(&s.base).await;
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    // The only slot is taken: the next request is refused at once.
    let (status, oo) = s.hook(SIGN, &fixture("S1.json")).await;
    assert_eq!(status, 503, "{oo}");
    assert!(oo.to_string().contains("busy"));
    // A busy process is still alive: the probes take no slot.
    let live = s
        .client
        .get(format!("{}/healthz", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(live.status().as_u16(), 200);
    // The stalled request is cut off by the timeout with a 503 of its own.
    let mut buf = vec![0u8; 4096];
    let n = tokio::time::timeout(std::time::Duration::from_secs(5), slow.read(&mut buf))
        .await
        .unwrap()
        .unwrap();
    let text = String::from_utf8_lossy(&buf[..n]);
    assert!(text.starts_with("HTTP/1.1 503"), "{text}");
    assert!(text.contains("took too long"), "{text}");
    // And the slot is free again.
    let (status, _) = s.hook(SIGN, &fixture("S1.json")).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn cors_origins_can_be_restricted() {
    use ssc_myositis_cds::engine::Engine;
    use ssc_myositis_cds::http::{AppState, AuthMode, Limits};
    let mut state = AppState::new(
        Engine::with_defaults().unwrap(),
        Limits::default(),
        AuthMode::Disabled,
    );
    state = state.with_cors_origins(vec!["https://ehr.example.org".parse().unwrap()]);
    let (s, _) = start_with(state).await;
    let ok = s
        .preflight(&format!("/cds-services/{SIGN}"), "https://ehr.example.org")
        .await;
    assert_eq!(
        ok.headers()["access-control-allow-origin"],
        "https://ehr.example.org"
    );
    assert!(ok
        .headers()
        .get("access-control-allow-credentials")
        .is_none());
    let other = s
        .preflight(
            &format!("/cds-services/{SIGN}"),
            "https://elsewhere.example.org",
        )
        .await;
    assert!(other.headers().get("access-control-allow-origin").is_none());
}

/// The sandbox's Rx View calls order-select as soon as it opens, with a
/// draft that has no drug and no dose yet: nothing is ordered, so nothing is
/// said (no "order could not be read"). Once a drug and dose are picked,
/// the same draft gets its cards.
#[tokio::test]
async fn an_order_form_with_nothing_picked_gets_no_card() {
    let s = start().await;
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/requests/real/sandbox-rx-view-empty.json"
    );
    let mut req: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let (status, resp) = s.hook(SELECT, &req).await;
    assert_eq!(status, 200);
    assert_eq!(resp["cards"], json!([]), "{resp}");
    // Picked as the sandbox writes it: prednisone 20 mg tablet, 3 a day.
    let draft = &mut req["context"]["draftOrders"]["entry"][0]["resource"];
    draft["medicationCodeableConcept"] = json!({"text": "predniSONE 20 MG Oral Tablet",
        "coding": [{"display": "predniSONE 20 MG Oral Tablet",
                    "system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "312615"}]});
    draft["dosageInstruction"] = json!([{"text": "1 tablet three times daily",
        "timing": {"repeat": {"frequency": 3, "period": 1, "periodUnit": "d"}},
        "doseAndRate": [{"doseQuantity": {"value": 1, "unit": "tablet"}}]}]);
    let (status, resp) = s.hook(SELECT, &req).await;
    assert_eq!(status, 200);
    let summaries = all_summaries(&resp);
    assert!(!summaries.is_empty(), "{resp}");
    assert!(!summaries.contains("could not be read"), "{summaries}");
}

fn all_summaries(resp: &Value) -> String {
    resp["cards"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["summary"].as_str().unwrap_or(""))
        .collect::<Vec<_>>()
        .join(" | ")
}
