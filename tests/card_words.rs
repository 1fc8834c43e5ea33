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

/// Every string a clinician reads on a card.
fn clinician_text(card: &Value) -> Vec<String> {
    let mut out = vec![
        card["summary"].as_str().unwrap_or("").to_string(),
        card["detail"].as_str().unwrap_or("").to_string(),
        card["source"]["label"].as_str().unwrap_or("").to_string(),
    ];
    for sg in card["suggestions"].as_array().into_iter().flatten() {
        out.push(sg["label"].as_str().unwrap_or("").to_string());
        for a in sg["actions"].as_array().into_iter().flatten() {
            out.push(a["description"].as_str().unwrap_or("").to_string());
        }
    }
    for r in card["overrideReasons"].as_array().into_iter().flatten() {
        out.push(r["display"].as_str().unwrap_or("").to_string());
    }
    out
}

#[tokio::test]
async fn no_internal_names_fhir_ids_ucum_annotations_or_false_precision() {
    let forbidden = [
        // Internal file names.
        (
            r"\b[A-Za-z_]+\.md\b|REFERENCE\b|POLICY\b",
            "an internal file name",
        ),
        // FHIR ids.
        (
            r"\b(Observation|MedicationRequest|MedicationStatement|MedicationOrder|Condition|Patient|Encounter|ServiceRequest|Practitioner)/[A-Za-z0-9\-.]+",
            "a FHIR id",
        ),
        // UCUM annotations and bracketed units, escaped or not.
        (
            r"\\?\{[A-Za-z_0-9.]+\\?\}|\[(lb_av|in_i|oz_av|iU)\]|mm\\?\[Hg",
            "a UCUM code",
        ),
        // False precision: three decimals, or four significant figures with decimals.
        (
            r"\b\d+\.\d{3,}\b|\b\d{3,}\.\d+\b|\b[1-9]\d\.\d{2}\b",
            "false precision",
        ),
    ];
    let checks: Vec<(regex::Regex, &str)> = forbidden
        .iter()
        .map(|(r, why)| (regex::Regex::new(r).unwrap(), *why))
        .collect();
    for (name, resp) in shown().await {
        for card in cards(&resp) {
            for text in clinician_text(card) {
                for (re, why) in &checks {
                    assert!(
                        !re.is_match(&text),
                        "{name}: {why} ({:?}) in {text:?}",
                        re.find(&text).map(|m| m.as_str())
                    );
                }
            }
        }
    }
}

#[tokio::test]
async fn summaries_and_details_fit_a_card_panel() {
    use ssc_myositis_cds::words::{DETAIL_MAX_CHARS, DETAIL_MAX_LINES, SUMMARY_MAX};
    for (name, resp) in shown().await {
        for card in cards(&resp) {
            let summary = card["summary"].as_str().unwrap();
            assert!(
                summary.chars().count() <= SUMMARY_MAX,
                "{name}: summary too long: {summary}"
            );
            assert!(
                !summary.ends_with('…'),
                "{name}: summary cut, its advice lost: {summary}"
            );
            let detail = card["detail"].as_str().unwrap_or("");
            let lines = detail.lines().filter(|l| !l.trim().is_empty()).count();
            assert!(
                lines <= DETAIL_MAX_LINES,
                "{name}: {} has {lines} lines of detail (budget {DETAIL_MAX_LINES}):\n{detail}",
                card["source"]["topic"]["code"]
            );
            let visible = detail.chars().filter(|c| !matches!(c, '*' | '\\')).count();
            assert!(
                visible <= DETAIL_MAX_CHARS,
                "{name}: {} has {visible} characters of detail (budget {DETAIL_MAX_CHARS}):\n{detail}",
                card["source"]["topic"]["code"]
            );
        }
    }
}

#[tokio::test]
async fn every_scenario_keeps_the_card_budget() {
    for (name, resp) in shown().await {
        let cards = cards(&resp);
        let count = |i: &str| cards.iter().filter(|c| c["indicator"] == i).count();
        // The budget never hides a warning or a critical, but info cards beyond
        // three should have been folded into the card that used the figure.
        assert!(
            cards.len() <= 3 || count("info") == 0,
            "{name}: {} cards, {} of them info",
            cards.len(),
            count("info")
        );
        // A typical first steroid order of an overlap patient: at most 3 cards,
        // at most one critical.
        if name.starts_with("S1-") || name.starts_with("S2-") {
            assert!(cards.len() <= 3, "{name}: {} cards", cards.len());
            assert!(
                count("critical") <= 1,
                "{name}: {} critical",
                count("critical")
            );
        }
        // No two cards of one topic.
        let mut topics: Vec<&str> = cards
            .iter()
            .map(|c| c["source"]["topic"]["code"].as_str().unwrap())
            .collect();
        topics.sort();
        let n = topics.len();
        topics.dedup();
        assert_eq!(topics.len(), n, "{name}: a topic twice");
    }
}
