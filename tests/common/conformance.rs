//! CDS Hooks 2.0 conformance, checked on every discovery document, hook
//! response and feedback body the suite produces. From the 2.0 specification
//! and the logical models and invariants of HL7/cds-hooks (cds-resp-1 to 7,
//! feedback): required members, `summary` under 140 characters, `indicator`
//! values, `source.label`, absolute `source.url`/`icon`, unique uuids,
//! `selectionBehavior` with suggestions, at most one `isRecommended` with
//! `at-most-one`, override reasons with system, code and display, `appContext`
//! only on smart links, actions with type and description, `resource` on
//! create/update and `resourceId` (no resource) on delete; and nowhere a null,
//! an empty string, an empty array or an empty object.
#![allow(dead_code)]

use std::collections::HashSet;

use serde_json::Value;

/// Every null, empty string, empty array or empty object, by path.
pub fn empties(v: &Value, path: &str, out: &mut Vec<String>) {
    match v {
        Value::Null => out.push(format!("{path}: null")),
        Value::String(s) if s.is_empty() => out.push(format!("{path}: empty string")),
        Value::Array(a) if a.is_empty() => out.push(format!("{path}: empty array")),
        Value::Object(o) if o.is_empty() => out.push(format!("{path}: empty object")),
        Value::Array(a) => a
            .iter()
            .enumerate()
            .for_each(|(i, x)| empties(x, &format!("{path}[{i}]"), out)),
        Value::Object(o) => o
            .iter()
            .for_each(|(k, x)| empties(x, &format!("{path}.{k}"), out)),
        _ => {}
    }
}

fn is_uuid(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() == 5
        && [8, 4, 4, 4, 12]
            .iter()
            .zip(&parts)
            .all(|(n, p)| p.len() == *n && p.chars().all(|c| c.is_ascii_hexdigit()))
}

fn is_absolute_url(s: &str) -> bool {
    (s.starts_with("https://") || s.starts_with("http://")) && s.len() > 8
}

fn string(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_string)
}

fn coding_violations(c: &Value, path: &str, out: &mut Vec<String>) {
    for k in ["system", "code", "display"] {
        if string(c, k).is_none() {
            out.push(format!("{path}: coding without {k}"));
        }
    }
}

/// A hook response (`{"cards": [...], "systemActions": [...]}`).
pub fn response(resp: &Value) -> Vec<String> {
    let mut out = vec![];
    let Some(cards) = resp.get("cards").and_then(Value::as_array) else {
        return vec!["$.cards: missing or not an array".into()];
    };
    if let Some(obj) = resp.as_object() {
        for k in obj
            .keys()
            .filter(|k| !["cards", "systemActions"].contains(&k.as_str()))
        {
            out.push(format!("$.{k}: not a response member"));
        }
    }
    // `cards` may be empty (its json-empty-behavior is "present"); nothing else may.
    if cards.is_empty() {
        if resp
            .get("systemActions")
            .is_some_and(|a| a.as_array().is_none_or(Vec::is_empty))
        {
            out.push("$.systemActions: empty".into());
        }
        return out;
    }
    empties(resp, "$", &mut out);
    let mut uuids = HashSet::new();
    for (i, c) in cards.iter().enumerate() {
        let p = format!("$.cards[{i}]");
        match string(c, "uuid") {
            Some(u) if is_uuid(&u) => {
                if !uuids.insert(u.clone()) {
                    out.push(format!("{p}.uuid: {u} not unique"));
                }
            }
            Some(u) => out.push(format!("{p}.uuid: {u:?} is not a uuid")),
            None => out.push(format!("{p}.uuid: missing (needed for feedback)")),
        }
        match string(c, "summary") {
            Some(s) if s.chars().count() < 140 => {}
            Some(s) => out.push(format!(
                "{p}.summary: {} characters (must be < 140)",
                s.chars().count()
            )),
            None => out.push(format!("{p}.summary: missing")),
        }
        if c.get("detail").is_some_and(|d| !d.is_string()) {
            out.push(format!("{p}.detail: not a string"));
        }
        if !matches!(
            string(c, "indicator").as_deref(),
            Some("info" | "warning" | "critical")
        ) {
            out.push(format!("{p}.indicator: must be info, warning or critical"));
        }
        match c.get("source") {
            Some(src) => {
                if string(src, "label").is_none() {
                    out.push(format!("{p}.source.label: missing"));
                }
                for k in ["url", "icon"] {
                    if let Some(u) = src.get(k) {
                        if !u.as_str().is_some_and(is_absolute_url) {
                            out.push(format!("{p}.source.{k}: not an absolute URL"));
                        }
                    }
                }
                if let Some(t) = src.get("topic") {
                    coding_violations(t, &format!("{p}.source.topic"), &mut out);
                }
            }
            None => out.push(format!("{p}.source: missing")),
        }
        let suggestions = c.get("suggestions").and_then(Value::as_array);
        let behavior = string(c, "selectionBehavior");
        match (&suggestions, behavior.as_deref()) {
            (Some(_), None) => out.push(format!(
                "{p}.selectionBehavior: required with suggestions (cds-resp-6)"
            )),
            (_, Some(b)) if b != "at-most-one" && b != "any" => {
                out.push(format!("{p}.selectionBehavior: {b:?}"))
            }
            _ => {}
        }
        if let Some(sugg) = suggestions {
            let recommended = sugg
                .iter()
                .filter(|s| s.get("isRecommended") == Some(&Value::Bool(true)))
                .count();
            if behavior.as_deref() == Some("at-most-one") && recommended > 1 {
                out.push(format!(
                    "{p}: {recommended} suggestions recommended with at-most-one (cds-resp-1)"
                ));
            }
            for (j, s) in sugg.iter().enumerate() {
                let sp = format!("{p}.suggestions[{j}]");
                if string(s, "label").is_none() {
                    out.push(format!("{sp}.label: missing"));
                }
                match string(s, "uuid") {
                    Some(u) if is_uuid(&u) && uuids.insert(u.clone()) => {}
                    Some(u) => out.push(format!("{sp}.uuid: {u:?} not a unique uuid")),
                    None => out.push(format!("{sp}.uuid: missing")),
                }
                if let Some(asb) = string(s, "actionSelectionBehavior") {
                    if !["all", "any", "at-most-one"].contains(&asb.as_str()) {
                        out.push(format!(
                            "{sp}.actionSelectionBehavior: {asb:?} (cds-resp-7)"
                        ));
                    }
                }
                for (k, a) in s
                    .get("actions")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .enumerate()
                {
                    action_violations(a, &format!("{sp}.actions[{k}]"), &mut out);
                }
            }
        }
        for (j, r) in c
            .get("overrideReasons")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            coding_violations(r, &format!("{p}.overrideReasons[{j}]"), &mut out);
        }
        for (j, l) in c
            .get("links")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            let lp = format!("{p}.links[{j}]");
            if string(l, "label").is_none()
                || !string(l, "url").is_some_and(|u| is_absolute_url(&u))
            {
                out.push(format!("{lp}: needs a label and an absolute url"));
            }
            match string(l, "type").as_deref() {
                Some("absolute") if l.get("appContext").is_some() => {
                    out.push(format!("{lp}.appContext: only on smart links (cds-resp-3)"))
                }
                Some("absolute" | "smart") => {}
                _ => out.push(format!("{lp}.type: must be absolute or smart")),
            }
        }
    }
    for (k, a) in resp
        .get("systemActions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        action_violations(a, &format!("$.systemActions[{k}]"), &mut out);
    }
    out
}

fn action_violations(a: &Value, p: &str, out: &mut Vec<String>) {
    if string(a, "description").is_none() {
        out.push(format!("{p}.description: missing (cds-resp-5)"));
    }
    match string(a, "type").as_deref() {
        Some("create" | "update") => {
            if !a
                .get("resource")
                .is_some_and(|r| r.get("resourceType").is_some_and(Value::is_string))
            {
                out.push(format!(
                    "{p}.resource: a FHIR resource is required for create/update"
                ));
            }
        }
        Some("delete") => {
            if string(a, "resourceId").is_none() || a.get("resource").is_some() {
                out.push(format!(
                    "{p}: delete takes resourceId and no resource (cds-resp-2)"
                ));
            }
        }
        other => out.push(format!(
            "{p}.type: {other:?} is not create, update or delete"
        )),
    }
}

/// The discovery document.
pub fn discovery(d: &Value) -> Vec<String> {
    let mut out = vec![];
    empties(d, "$", &mut out);
    let Some(services) = d.get("services").and_then(Value::as_array) else {
        return vec!["$.services: missing".into()];
    };
    let mut ids = HashSet::new();
    for (i, s) in services.iter().enumerate() {
        let p = format!("$.services[{i}]");
        for k in ["hook", "description", "id"] {
            if string(s, k).is_none() {
                out.push(format!("{p}.{k}: missing"));
            }
        }
        if let Some(id) = string(s, "id") {
            if !ids.insert(id.clone()) {
                out.push(format!("{p}.id: {id} not unique"));
            }
        }
        if let Some(pf) = s.get("prefetch") {
            match pf.as_object() {
                Some(m) => m
                    .iter()
                    .filter(|(_, v)| !v.is_string())
                    .for_each(|(k, _)| out.push(format!("{p}.prefetch.{k}: not a string"))),
                None => out.push(format!("{p}.prefetch: not an object")),
            }
        }
    }
    out
}

/// A feedback request body.
pub fn feedback(f: &Value) -> Vec<String> {
    let mut out = vec![];
    empties(f, "$", &mut out);
    for (i, e) in f
        .get("feedback")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let p = format!("$.feedback[{i}]");
        if !string(e, "card").is_some_and(|c| is_uuid(&c)) {
            out.push(format!("{p}.card: not a uuid"));
        }
        let outcome = string(e, "outcome");
        match outcome.as_deref() {
            Some("accepted") if e.get("overrideReason").is_some() => {
                out.push(format!("{p}: overrideReason on an accepted card"))
            }
            Some("overridden") if e.get("acceptedSuggestions").is_some() => {
                out.push(format!("{p}: acceptedSuggestions on an overridden card"))
            }
            Some("accepted" | "overridden") => {}
            _ => out.push(format!("{p}.outcome: must be accepted or overridden")),
        }
        if string(e, "outcomeTimestamp").is_none() {
            out.push(format!("{p}.outcomeTimestamp: missing"));
        }
        for (j, s) in e
            .get("acceptedSuggestions")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            if string(s, "id").is_none() {
                out.push(format!("{p}.acceptedSuggestions[{j}].id: missing"));
            }
        }
        if let Some(r) = e.get("overrideReason") {
            if let Some(c) = r.get("reason") {
                coding_violations(c, &format!("{p}.overrideReason.reason"), &mut out);
            }
        }
    }
    if f.get("feedback").and_then(Value::as_array).is_none() {
        out.push("$.feedback: missing".into());
    }
    out
}

/// Writes each action resource of a response, with the patient in context,
/// for the FHIR validator (fhir-profiles/validator).
pub fn emit_resources(resp: &Value, patient: &str) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("emitted-resources");
    std::fs::create_dir_all(&dir).unwrap();
    for card in resp["cards"].as_array().into_iter().flatten() {
        for s in card["suggestions"].as_array().into_iter().flatten() {
            for a in s["actions"].as_array().into_iter().flatten() {
                if let Some(r) = a.get("resource") {
                    let n = N.fetch_add(1, Ordering::Relaxed);
                    let name = format!(
                        "{}-{}-{n}.json",
                        env!("CARGO_CRATE_NAME"),
                        std::process::id()
                    );
                    let doc = serde_json::json!({"patientId": patient, "resource": r});
                    std::fs::write(dir.join(name), serde_json::to_string_pretty(&doc).unwrap())
                        .unwrap();
                }
            }
        }
    }
}
