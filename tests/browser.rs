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
