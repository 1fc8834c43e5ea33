//! Text from the request that reaches a card is stripped of control and
//! bidirectional-override characters: an order named with a right-to-left
//! override, NUL, BEL or an isolate gets cards that carry none of them.

mod common;

use common::*;
use serde_json::{json, Value};
use ssc_myositis_cds::text::is_unsafe_char;

/// Every string under `v` (keys and values).
fn strings(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => out.push(s.clone()),
        Value::Array(a) => a.iter().for_each(|x| strings(x, out)),
        Value::Object(o) => o.iter().for_each(|(k, x)| {
            out.push(k.clone());
            strings(x, out)
        }),
        _ => {}
    }
}

#[tokio::test]
async fn bidi_overrides_and_control_characters_never_reach_a_card() {
    let s = start().await;
    let hostile = "predni\u{202E}ENOS\u{0} 20 MG\u{7} Oral\u{2067} Tablet\u{2069}\u{200F}\u{1B}";
    let escaped = serde_json::to_string(hostile).unwrap();
    let escaped = &escaped[1..escaped.len() - 1];
    let text = fixture("S1.json")
        .to_string()
        .replace("predniSONE 20 MG Oral Tablet", escaped);
    let body: Value = serde_json::from_str(&text).unwrap();
    assert!(
        body.to_string().contains('\u{202E}'),
        "the request carries the override"
    );
    let r = s
        .client
        .post(format!("{}/cds-services/ssc-myositis-order-sign", s.base))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let resp: Value = r.json().await.unwrap();
    check_response(&resp, Some("S1"));
    let cards = resp["cards"].as_array().unwrap();
    // The order's name does reach the cards, cleaned.
    let shown: Vec<String> = cards
        .iter()
        .map(|c| {
            json!([
                c["summary"],
                c["detail"],
                c["source"],
                c["suggestions"]
                    .as_array()
                    .map(|s| s.iter().map(|x| x["label"].clone()).collect::<Vec<_>>())
            ])
        })
        .flat_map(|v| {
            let mut out = vec![];
            strings(&v, &mut out);
            out
        })
        .collect();
    assert!(
        shown
            .iter()
            .any(|t| t.contains("predniENOS 20 MG Oral Tablet")),
        "the order's name is shown, cleaned: {shown:#?}"
    );
    for t in &shown {
        assert!(
            !t.chars().any(is_unsafe_char),
            "unsafe character in card text {t:?}"
        );
    }
}

/// "Local policy" on a card means the site changed a figure: with the
/// defaults, no card of any worked scenario says it.
#[tokio::test]
async fn local_policy_is_named_only_when_a_figure_was_changed() {
    let s = start().await;
    for (file, _, _) in SCENARIOS {
        let req = fixture(file);
        let (status, resp) = s
            .hook(service_for(req["hook"].as_str().unwrap()), &req)
            .await;
        assert_eq!(status, 200, "{file}");
        let mut all = vec![];
        strings(&resp, &mut all);
        for t in all {
            assert!(!t.to_lowercase().contains("local policy"), "{file}: {t}");
        }
    }
}
