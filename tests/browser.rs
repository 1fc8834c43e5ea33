//! The HTML acceptance report in a real headless browser (Debian's
//! `chromium`, or `SSC_CDS_CHROMIUM`): the page the browser builds has one
//! plot per rule with a point per day for acceptance and override rate, and
//! the tables carry the store's numbers. Skipped, saying so, when no browser
//! is installed; under CI a missing browser fails the test.

mod common;

use std::path::PathBuf;
use std::time::Duration;

use common::store_support::{temp_dir, TestDb};
use common::*;
use serde_json::json;
use ssc_myositis_cds::engine::Engine;
use ssc_myositis_cds::http::{AppState, Audit, AuthMode, Limits};
use ssc_myositis_cds::store::feedback::Outcome;
use ssc_myositis_cds::store::{AuditCard, AuditKey, FeedbackRecord};

fn chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("SSC_CDS_CHROMIUM") {
        return Some(p.into());
    }
    let paths = std::env::var_os("PATH")?;
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .flat_map(|n| std::env::split_paths(&paths).map(move |p| p.join(n)))
        .find(|p| p.is_file())
}

const DAY: i64 = 86_400_000;

fn past_card(uuid: &str, rule: &str, days_ago: i64) -> AuditCard {
    AuditCard {
        card_uuid: uuid.into(),
        service_id: "ssc-myositis-order-sign".into(),
        hook: "order-sign".into(),
        hook_instance: format!("hi-{uuid}"),
        rule_system: "https://ssc-myositis-cds.example.org/fhir/CodeSystem/rule".into(),
        rule_code: rule.into(),
        rule_display: rule.into(),
        indicator: "warning".into(),
        summary: "s".into(),
        suggestion_uuids: vec![],
        suggestion_keys: vec![],
        policy_version: "p".into(),
        service_version: "v".into(),
        patient_hmac: "0".repeat(64),
        issued_at_ms: chrono::Utc::now().timestamp_millis() - days_ago * DAY,
        issuer: String::new(),
        tenant: String::new(),
        drafts_key: String::new(),
        status: ssc_myositis_cds::store::CardStatus::Shown,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_report_page_renders_its_plots_in_a_headless_browser() {
    let Some(browser) = chromium() else {
        assert!(
            std::env::var("CI").is_err(),
            "CI must check the report page in a browser: install chromium"
        );
        eprintln!("chromium not installed: browser check of /admin/report SKIPPED");
        return;
    };
    let db = TestDb::sqlite();
    let store = db.open().await;
    let engine = Engine::with_defaults().unwrap();
    let key = AuditKey::new(vec![7; 32]).unwrap();
    let mut state = AppState::new(engine, Limits::default(), AuthMode::Disabled);
    let audit = Audit::new(store.clone(), key, Duration::from_secs(2), &state.engine);
    state = state.with_audit(audit);
    let (s, _) = start_with(state).await;

    // Today: real hooks and feedback. Earlier days: records as they would be.
    let (_, resp) = s.hook("ssc-myositis-order-sign", &fixture("S1.json")).await;
    let gc = resp["cards"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["source"]["topic"]["code"] == "gc-dose-above-guidance")
        .unwrap();
    let r = s
        .client
        .post(format!("{}/cds-services/ssc-myositis-order-sign/feedback", s.base))
        .json(&json!({"feedback": [{"card": gc["uuid"], "outcome": "overridden",
            "outcomeTimestamp": "2026-11-24T10:00:00Z", "overrideReason": {"reason": gc["overrideReasons"][0]}}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // A suggestion taken on another card of the same call.
    let taken = resp["cards"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| {
            c["suggestions"].as_array().is_some_and(|s| !s.is_empty()) && c["uuid"] != gc["uuid"]
        })
        .expect("a card with a suggestion");
    let r = s
        .client
        .post(format!(
            "{}/cds-services/ssc-myositis-order-sign/feedback",
            s.base
        ))
        .json(
            &json!({"feedback": [{"card": taken["uuid"], "outcome": "accepted",
            "outcomeTimestamp": "2026-11-24T10:00:00Z",
            "acceptedSuggestions": [{"id": taken["suggestions"][0]["uuid"]}]}]}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // The same order again: the overridden card is held back.
    let (_, again) = s.hook("ssc-myositis-order-sign", &fixture("S1.json")).await;
    assert!(
        again["cards"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["source"]["topic"]["code"] != "gc-dose-above-guidance"),
        "{again}"
    );
    let earlier: Vec<AuditCard> = (1..=3)
        .flat_map(|d| {
            (0..2).map(move |i| past_card(&format!("past-{d}-{i}"), "gc-dose-above-guidance", d))
        })
        .collect();
    store.record_cards(&earlier).await.unwrap();
    let accepted: Vec<FeedbackRecord> = ["past-1-0", "past-2-0", "past-2-1"]
        .iter()
        .map(|c| FeedbackRecord {
            service_id: "ssc-myositis-order-sign".into(),
            card_uuid: c.to_string(),
            outcome: Outcome::Accepted,
            outcome_at_ms: 1,
            accepted_suggestions: vec!["s".into()],
            reason: None,
            category: None,
            user_comment: None,
            received_at_ms: chrono::Utc::now().timestamp_millis(),
            issuer: String::new(),
            tenant: String::new(),
        })
        .collect();
    store.record_feedback(&accepted, false).await.unwrap();
    let report = store.report(0, None).await.unwrap();

    let profile = temp_dir("chromium");
    let url = format!("{}/admin/report", s.base);
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(browser)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--no-first-run",
                &format!("--user-data-dir={}", profile.display()),
                "--dump-dom",
                &url,
            ])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let dom = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        dom.contains("<svg"),
        "no DOM from the browser: {}",
        String::from_utf8_lossy(&out.stderr)
    );

    // One plot per rule; for the dose rule, four days.
    let rules: std::collections::BTreeSet<&str> =
        report.daily.iter().map(|p| p.rule.as_str()).collect();
    assert_eq!(dom.matches("class=\"rule-plot\"").count(), rules.len());
    let plot = dom
        .split("<svg class=\"rule-plot\" data-rule=\"gc-dose-above-guidance\"")
        .nth(1)
        .and_then(|rest| rest.split("</svg>").next())
        .expect("the dose rule's plot");
    // The browser re-serialises what it parsed: elements closed explicitly.
    assert_eq!(plot.matches("<polyline").count(), 2, "{plot}");
    assert_eq!(plot.matches("</circle>").count(), 8, "{plot}");
    let points = plot
        .split("class=\"acceptance\" points=\"")
        .nth(1)
        .and_then(|p| p.split('"').next())
        .unwrap();
    assert_eq!(points.split(' ').count(), 4, "{points}");
    // Two days ago both cards were accepted (top of the plot), three days ago none.
    let two_days_ago = (chrono::Utc::now() - chrono::Duration::days(2)).date_naive();
    assert!(
        plot.contains(&format!("data-day=\"{two_days_ago}\" data-rate=\"1\"")),
        "{plot}"
    );
    // The tables carry the store's numbers.
    let sign = &report.services[0];
    let row = format!(
        "<td>{}</td><td>{}</td><td>{}</td>",
        sign.counts.shown, sign.counts.accepted, sign.counts.overridden
    );
    assert!(dom.contains(&row), "{row} not in the page");
    // Held back: the services row and the dose rule's row.
    assert_eq!(sign.counts.suppressed, 1);
    let held = format!(
        "<td>{}</td><td>{}</td><td>{}</td><td>{}</td>",
        sign.counts.shown, sign.counts.accepted, sign.counts.overridden, sign.counts.suppressed
    );
    assert!(dom.contains(&held), "{held} not in the page");
    let gc_rule = report
        .rules
        .iter()
        .find(|r| r.rule == "gc-dose-above-guidance")
        .unwrap();
    assert_eq!(gc_rule.counts.suppressed, 1);
    let gc_row = format!(
        "<td>{}</td><td>{}</td><td>{}</td><td>{}</td>",
        gc_rule.counts.shown,
        gc_rule.counts.accepted,
        gc_rule.counts.overridden,
        gc_rule.counts.suppressed
    );
    assert!(
        dom.split("data-rule=\"gc-dose-above-guidance\" data-noisy")
            .nth(1)
            .and_then(|rest| rest.split("</tr>").next())
            .is_some_and(|tr| tr.contains(&gc_row)),
        "{gc_row} not in the dose rule's row"
    );
    // Suggestions: per kind and one by one, the JSON's figures; the one
    // taken counted accepted.
    assert!(!report.suggestion_kinds.is_empty());
    for k in &report.suggestion_kinds {
        let tr = format!(
            "<tr data-kind=\"{0}\" data-service=\"{1}\"><td>{0}</td><td class=\"text\">{1}</td><td>{2}</td><td>{3}</td>",
            k.kind, k.service, k.offered, k.accepted
        );
        assert!(dom.contains(&tr), "{tr} not in the page");
    }
    for x in &report.suggestions {
        let tr = format!(
            "<tr data-suggestion=\"{0}\" data-rule=\"{1}\"><td>{5}</td><td class=\"text\">{1}</td><td class=\"text\">{2}</td><td>{3}</td><td>{4}</td>",
            x.suggestion,
            x.rule,
            x.service,
            x.offered,
            x.accepted,
            if x.suggestion.is_empty() {
                "(not one of the card’s)"
            } else {
                &x.suggestion
            }
        );
        assert!(dom.contains(&tr), "{tr} not in the page");
    }
    let taken_rule = taken["source"]["topic"]["code"].as_str().unwrap();
    assert_eq!(
        report
            .suggestions
            .iter()
            .filter(|x| x.rule == taken_rule)
            .map(|x| x.accepted)
            .sum::<i64>(),
        1
    );
    // Week by week: one small plot per rule, one bar per week it has, each
    // bar's rate the JSON's; the noisy flag and the interval per rule row.
    let weekly_rules: std::collections::BTreeSet<&str> =
        report.weekly.iter().map(|p| p.rule.as_str()).collect();
    assert_eq!(
        dom.matches("class=\"week-plot\"").count(),
        weekly_rules.len()
    );
    for p in &report.weekly {
        let bar = format!(
            "data-week=\"{}\" data-rate=\"{}\" data-shown=\"{}\"",
            p.week, p.override_rate, p.shown
        );
        assert!(dom.contains(&bar), "{bar} not in the page");
    }
    for r in &report.rules {
        let tr = format!("<tr data-rule=\"{}\" data-noisy=\"{}\">", r.rule, r.noisy);
        assert!(dom.contains(&tr), "{tr} not in the page");
    }
    assert!(!dom.contains("<script"));
    store.close().await;
    db.drop_db().await;
}
