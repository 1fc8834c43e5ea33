//! The conformance checker itself: each deliberate break must be reported, and
//! the service's own responses pass.

mod common;

use common::conformance::{discovery, feedback, response};
use serde_json::{json, Value};

fn good() -> Value {
    json!({"cards": [{
        "uuid": "9b5f0a1e-0a5e-4d36-9a9c-0f2c1f7c2a11",
        "summary": "Prednisone 60 mg/day = 0.86 mg/kg",
        "detail": "figures",
        "indicator": "warning",
        "source": {"label": "guidance", "topic": {"system": "https://x.example.org", "code": "t", "display": "T"}},
        "selectionBehavior": "at-most-one",
        "suggestions": [{"label": "Change", "uuid": "2c3e7a4f-8f4b-4b8e-9c0d-1e2f3a4b5c6d", "isRecommended": true,
            "actions": [{"type": "create", "description": "d", "resource": {"resourceType": "ServiceRequest", "status": "draft"}}]}],
        "overrideReasons": [{"system": "https://x.example.org", "code": "c", "display": "C"}]
    }]})
}

#[test]
fn a_conformant_response_passes() {
    assert_eq!(response(&good()), Vec::<String>::new());
    assert_eq!(response(&json!({"cards": []})), Vec::<String>::new());
}

/// A named way to break a response.
type Break = (&'static str, Box<dyn Fn(&mut Value)>);

#[test]
fn every_deliberate_break_is_reported() {
    let breaks: Vec<Break> = vec![
        (
            "no cards",
            Box::new(|r| {
                r.as_object_mut().unwrap().remove("cards");
            }),
        ),
        (
            "summary of 140 characters",
            Box::new(|r| r["cards"][0]["summary"] = json!("x".repeat(140))),
        ),
        (
            "no summary",
            Box::new(|r| {
                r["cards"][0].as_object_mut().unwrap().remove("summary");
            }),
        ),
        (
            "indicator hard-stop",
            Box::new(|r| r["cards"][0]["indicator"] = json!("hard-stop")),
        ),
        (
            "no source label",
            Box::new(|r| {
                r["cards"][0]["source"]
                    .as_object_mut()
                    .unwrap()
                    .remove("label");
            }),
        ),
        (
            "relative source url",
            Box::new(|r| r["cards"][0]["source"]["url"] = json!("/about")),
        ),
        (
            "relative icon",
            Box::new(|r| r["cards"][0]["source"]["icon"] = json!("icon.png")),
        ),
        (
            "no card uuid",
            Box::new(|r| {
                r["cards"][0].as_object_mut().unwrap().remove("uuid");
            }),
        ),
        (
            "card uuid not a uuid",
            Box::new(|r| r["cards"][0]["uuid"] = json!("card-1")),
        ),
        (
            "duplicate uuid",
            Box::new(|r| r["cards"][0]["suggestions"][0]["uuid"] = r["cards"][0]["uuid"].clone()),
        ),
        (
            "suggestions without selectionBehavior",
            Box::new(|r| {
                r["cards"][0]
                    .as_object_mut()
                    .unwrap()
                    .remove("selectionBehavior");
            }),
        ),
        (
            "selectionBehavior all",
            Box::new(|r| r["cards"][0]["selectionBehavior"] = json!("all")),
        ),
        (
            "two recommended with at-most-one",
            Box::new(|r| {
                let s = r["cards"][0]["suggestions"][0].clone();
                let mut s2 = s.clone();
                s2["uuid"] = json!("5f1e2d3c-4b5a-4968-8776-655443322110");
                r["cards"][0]["suggestions"] = json!([s, s2]);
            }),
        ),
        (
            "override reason without display",
            Box::new(|r| {
                r["cards"][0]["overrideReasons"][0]
                    .as_object_mut()
                    .unwrap()
                    .remove("display");
            }),
        ),
        (
            "override reason without system",
            Box::new(|r| {
                r["cards"][0]["overrideReasons"][0]
                    .as_object_mut()
                    .unwrap()
                    .remove("system");
            }),
        ),
        (
            "action without description",
            Box::new(|r| {
                r["cards"][0]["suggestions"][0]["actions"][0]
                    .as_object_mut()
                    .unwrap()
                    .remove("description");
            }),
        ),
        (
            "action type modify",
            Box::new(|r| r["cards"][0]["suggestions"][0]["actions"][0]["type"] = json!("modify")),
        ),
        (
            "create without resource",
            Box::new(|r| {
                r["cards"][0]["suggestions"][0]["actions"][0]
                    .as_object_mut()
                    .unwrap()
                    .remove("resource");
            }),
        ),
        (
            "delete with a resource",
            Box::new(|r| r["cards"][0]["suggestions"][0]["actions"][0]["type"] = json!("delete")),
        ),
        (
            "appContext on an absolute link",
            Box::new(
                |r| r["cards"][0]["links"] = json!([{"label": "l", "url": "https://e.example.org", "type": "absolute", "appContext": "x"}]),
            ),
        ),
        (
            "null member",
            Box::new(|r| r["cards"][0]["detail"] = Value::Null),
        ),
        (
            "empty string",
            Box::new(|r| r["cards"][0]["detail"] = json!("")),
        ),
        (
            "empty array",
            Box::new(|r| r["cards"][0]["overrideReasons"] = json!([])),
        ),
        (
            "empty object in a resource",
            Box::new(|r| {
                r["cards"][0]["suggestions"][0]["actions"][0]["resource"]["meta"] = json!({})
            }),
        ),
        (
            "unknown top-level member",
            Box::new(|r| r["warnings"] = json!(["x"])),
        ),
    ];
    for (name, f) in breaks {
        let mut r = good();
        f(&mut r);
        assert!(!response(&r).is_empty(), "{name} was not reported");
    }
}

#[test]
fn discovery_and_feedback_breaks_are_reported() {
    let d = json!({"services": [{"hook": "order-sign", "id": "a", "description": "d", "prefetch": {"p": "Patient/{{context.patientId}}"}}]});
    assert!(discovery(&d).is_empty());
    for bad in [
        json!({"services": [{"hook": "order-sign", "id": "a"}]}),
        json!({"services": [{"hook": "order-sign", "id": "a", "description": "d"}, {"hook": "order-sign", "id": "a", "description": "d"}]}),
        json!({"services": [{"hook": "order-sign", "id": "a", "description": "d", "prefetch": {"p": 1}}]}),
        json!({"services": []}),
    ] {
        assert!(!discovery(&bad).is_empty(), "{bad}");
    }
    let fb = json!({"feedback": [{"card": "9b5f0a1e-0a5e-4d36-9a9c-0f2c1f7c2a11", "outcome": "accepted", "acceptedSuggestions": [{"id": "2c3e7a4f-8f4b-4b8e-9c0d-1e2f3a4b5c6d"}], "outcomeTimestamp": "2026-11-24T10:00:00Z"}]});
    assert!(feedback(&fb).is_empty());
    for bad in [
        json!({"feedback": [{"card": "x", "outcome": "accepted", "outcomeTimestamp": "t"}]}),
        json!({"feedback": [{"card": "9b5f0a1e-0a5e-4d36-9a9c-0f2c1f7c2a11", "outcome": "maybe", "outcomeTimestamp": "t"}]}),
        json!({"feedback": [{"card": "9b5f0a1e-0a5e-4d36-9a9c-0f2c1f7c2a11", "outcome": "accepted", "outcomeTimestamp": "t", "overrideReason": {"userComment": "c"}}]}),
        json!({"feedback": [{"card": "9b5f0a1e-0a5e-4d36-9a9c-0f2c1f7c2a11", "outcome": "overridden"}]}),
    ] {
        assert!(!feedback(&bad).is_empty(), "{bad}");
    }
}
