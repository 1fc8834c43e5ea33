//! What a clinician reads, for every scenario: the cards' words under
//! snapshot (`tests/snapshots/`, reviewed with `cargo insta review` or by
//! reading the diff), the card budget, and a scan of every rendered string
//! for internal names, FHIR ids and UCUM annotations.

mod common;

use common::*;
use serde_json::Value;

const SIGN: &str = "ssc-myositis-order-sign";
const SELECT: &str = "ssc-myositis-order-select";
const VIEW: &str = "ssc-myositis-patient-view";

/// Every scenario the service is shown: (name, service, request file).
pub const SHOWN: &[(&str, &str, &str)] = &[
    ("S1-order-sign", SIGN, "S1.json"),
    ("S1-order-select", SELECT, "S1.json"),
    ("S2-order-sign", SIGN, "S2.json"),
    ("S3-order-sign", SIGN, "S3.json"),
    ("S5-order-sign", SIGN, "S5.json"),
    ("S8-order-sign", SIGN, "S8.json"),
    ("S9-order-sign", SIGN, "S9.json"),
    ("S10-order-sign", SIGN, "S10.json"),
    (
        "sandbox-patient-view",
        VIEW,
        "sandbox/patient-view-ssc-prefetch.json",
    ),
];

/// A card as a clinician reads it, without the uuids.
fn words(card: &Value) -> String {
    let mut s = format!(
        "[{}] {}\nsummary: {}\n",
        card["indicator"].as_str().unwrap_or("?"),
        card["source"]["topic"]["code"].as_str().unwrap_or("?"),
        card["summary"].as_str().unwrap_or("")
    );
    s.push_str("detail:\n");
    for line in card["detail"].as_str().unwrap_or("").lines() {
        s.push_str("  ");
        s.push_str(line);
        s.push('\n');
    }
    for sg in card["suggestions"].as_array().into_iter().flatten() {
        s.push_str(&format!(
            "suggestion{}: {}\n",
            if sg["isRecommended"] == true {
                " (recommended)"
            } else {
                ""
            },
            sg["label"].as_str().unwrap_or("")
        ));
        for a in sg["actions"].as_array().into_iter().flatten() {
            s.push_str(&format!(
                "  {} {}\n",
                a["type"].as_str().unwrap_or("?"),
                a["description"].as_str().unwrap_or("")
            ));
        }
    }
    s
}

async fn shown() -> Vec<(&'static str, Value)> {
    let s = start().await;
    let mut out = vec![];
    for (name, service, file) in SHOWN {
        let mut req = fixture(file);
        if *service == SELECT {
            // The same orders, selected one by one as the clinician picks them.
            req["hook"] = "order-select".into();
            let ids: Vec<Value> = req["context"]["draftOrders"]["entry"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|e| {
                    format!(
                        "{}/{}",
                        e["resource"]["resourceType"].as_str().unwrap_or(""),
                        e["resource"]["id"].as_str().unwrap_or("")
                    )
                    .into()
                })
                .collect();
            req["context"]["selections"] = ids.into();
        }
        let (status, resp) = s.hook(service, &req).await;
        assert_eq!(status, 200, "{name}: {resp}");
        out.push((*name, resp));
    }
    out
}

fn cards(resp: &Value) -> &[Value] {
    resp["cards"].as_array().map_or(&[], |c| c.as_slice())
}

#[tokio::test]
async fn every_scenario_reads_as_reviewed() {
    for (name, resp) in shown().await {
        let cards = cards(&resp);
        let critical = cards
            .iter()
            .filter(|c| c["indicator"] == "critical")
            .count();
        let mut text = format!("{} cards, {critical} critical\n\n", cards.len());
        for c in cards {
            text.push_str(&words(c));
            text.push('\n');
        }
        insta::assert_snapshot!(name, text);
    }
}
