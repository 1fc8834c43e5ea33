//! The constraints our StructureDefinitions state, applied to a resource: the
//! differential's `min`, `max`, `fixed[x]`, `pattern[x]` and `type` (for choice
//! elements). Paths walk objects and arrays; `[x]` matches the choice element
//! whichever type it has.

use serde_json::Value;

#[derive(Debug)]
struct Element {
    path: Vec<String>,
    min: Option<u64>,
    max: Option<String>,
    fixed: Option<Value>,
    pattern: Option<Value>,
    types: Vec<String>,
}

#[derive(Debug)]
pub struct Profile {
    pub url: String,
    pub resource_type: String,
    elements: Vec<Element>,
}

impl Profile {
    pub fn from_json(v: &Value) -> Result<Profile, String> {
        if v.get("resourceType").and_then(Value::as_str) != Some("StructureDefinition") {
            return Err("not a StructureDefinition".into());
        }
        let url = v
            .get("url")
            .and_then(Value::as_str)
            .ok_or("no url")?
            .to_string();
        let resource_type = v
            .get("type")
            .and_then(Value::as_str)
            .ok_or("no type")?
            .to_string();
        let mut elements = vec![];
        for e in v
            .pointer("/differential/element")
            .and_then(Value::as_array)
            .ok_or("no differential")?
        {
            let path: Vec<String> = e
                .get("path")
                .and_then(Value::as_str)
                .ok_or("element without path")?
                .split('.')
                .map(str::to_string)
                .collect();
            let obj = e.as_object().ok_or("element not an object")?;
            let pick = |prefix: &str| {
                obj.iter()
                    .find(|(k, _)| k.starts_with(prefix))
                    .map(|(_, v)| v.clone())
            };
            elements.push(Element {
                path,
                min: e.get("min").and_then(Value::as_u64),
                max: e.get("max").and_then(Value::as_str).map(str::to_string),
                fixed: pick("fixed"),
                pattern: pick("pattern"),
                types: e
                    .get("type")
                    .and_then(Value::as_array)
                    .map(|t| {
                        t.iter()
                            .filter_map(|x| {
                                x.get("code").and_then(Value::as_str).map(str::to_string)
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
            });
        }
        Ok(Profile {
            url,
            resource_type,
            elements,
        })
    }

    pub fn check(&self, resource: &Value) -> Vec<String> {
        let mut errors = vec![];
        for e in &self.elements {
            if e.path.len() < 2 {
                continue;
            }
            let parents = walk(resource, &e.path[1..e.path.len() - 1]);
            let last = &e.path[e.path.len() - 1];
            for parent in parents {
                let values = children(parent, last, &e.types);
                let path = e.path.join(".");
                if let Some(min) = e.min {
                    if (values.len() as u64) < min {
                        errors.push(format!("{path}: {} present, min {min}", values.len()));
                    }
                }
                if let Some(max) = e
                    .max
                    .as_deref()
                    .filter(|m| *m != "*")
                    .and_then(|m| m.parse::<usize>().ok())
                {
                    if values.len() > max {
                        errors.push(format!("{path}: {} present, max {max}", values.len()));
                    }
                }
                for v in &values {
                    if let Some(f) = &e.fixed {
                        if *v != f {
                            errors.push(format!("{path}: {v} is not the fixed {f}"));
                        }
                    }
                    if let Some(p) = &e.pattern {
                        if !contains(v, p) {
                            errors.push(format!("{path}: {v} does not match the pattern {p}"));
                        }
                    }
                }
                if last.ends_with("[x]") && !e.types.is_empty() {
                    let stem = last.trim_end_matches("[x]");
                    if let Some(obj) = parent.as_object() {
                        for k in obj
                            .keys()
                            .filter(|k| k.starts_with(stem) && k.len() > stem.len())
                        {
                            if !e
                                .types
                                .iter()
                                .any(|t| k[stem.len()..].eq_ignore_ascii_case(t))
                            {
                                errors.push(format!(
                                    "{path}: type {} not allowed ({:?})",
                                    &k[stem.len()..],
                                    e.types
                                ));
                            }
                        }
                    }
                }
            }
        }
        errors
    }
}

/// The nodes at `path` below `v` (arrays flattened).
fn walk<'a>(v: &'a Value, path: &[String]) -> Vec<&'a Value> {
    let mut nodes = vec![v];
    for step in path {
        let mut next = vec![];
        for n in nodes {
            for child in children(n, step, &[]) {
                match child {
                    Value::Array(a) => next.extend(a.iter()),
                    other => next.push(other),
                }
            }
        }
        nodes = next;
    }
    nodes
}

/// The values of element `name` in `v` (an array element counts each item).
fn children<'a>(v: &'a Value, name: &str, _types: &[String]) -> Vec<&'a Value> {
    let Some(obj) = v.as_object() else {
        return vec![];
    };
    let found: Vec<&Value> = if let Some(stem) = name.strip_suffix("[x]") {
        obj.iter()
            .filter(|(k, _)| {
                k.starts_with(stem)
                    && k.len() > stem.len()
                    && k[stem.len()..].starts_with(|c: char| c.is_ascii_uppercase())
            })
            .map(|(_, v)| v)
            .collect()
    } else {
        obj.get(name).into_iter().collect()
    };
    found
        .into_iter()
        .flat_map(|x| match x {
            Value::Array(a) => a.iter().collect::<Vec<_>>(),
            other => vec![other],
        })
        .collect()
}

/// `v` contains everything `pattern` has (FHIR pattern semantics, for JSON).
fn contains(v: &Value, pattern: &Value) -> bool {
    match (v, pattern) {
        (Value::Object(a), Value::Object(b)) => b
            .iter()
            .all(|(k, pv)| a.get(k).is_some_and(|av| contains(av, pv))),
        (Value::Array(a), Value::Array(b)) => {
            b.iter().all(|pv| a.iter().any(|av| contains(av, pv)))
        }
        (a, b) => a == b,
    }
}
