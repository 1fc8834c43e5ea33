//! The binary: `discovery`, `evaluate` and `serve`.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_ssc-myositis-cds");

fn run(args: &[&str]) -> (i32, Value, String) {
    let out = Command::new(BIN)
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    let stdout: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (
        out.status.code().unwrap_or(-1),
        stdout,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn discovery_prints_the_services() {
    let (code, d, _) = run(&["discovery"]);
    assert_eq!(code, 0);
    common::check_discovery(&d);
    let ids: Vec<_> = d["services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_string())
        .collect();
    assert!(
        ids.contains(&"ssc-myositis-order-sign".to_string())
            && ids.contains(&"ssc-myositis-order-select".to_string())
    );
}

/// `evaluate` on each worked case: the expected cards, none of the forbidden ones.
#[test]
fn evaluate_gives_the_worked_cases_their_cards() {
    for (file, expected, forbidden) in common::SCENARIOS {
        let (code, r, err) = run(&[
            "evaluate",
            &format!("tests/requests/{file}"),
            "--today",
            common::TODAY,
        ]);
        assert_eq!(code, 0, "{file}: {err}");
        common::check_response(&r, Some(file.trim_end_matches(".json")));
        for (topic, indicator) in *expected {
            assert!(
                common::has(&r, topic, indicator),
                "{file}: {topic} {indicator}: {:?}",
                common::topics(&r)
            );
        }
        for topic in *forbidden {
            assert!(!common::fires(&r, topic), "{file}: {topic} must not fire");
        }
    }
}

#[test]
fn evaluate_uses_the_policy_file_and_refuses_a_bad_one() {
    let dir = std::env::temp_dir().join(format!("cli-policy-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let good = dir.join("good.toml");
    std::fs::write(&good, "src_threshold_mg_per_day = 70\n").unwrap();
    let (code, r, _) = run(&[
        "--policy",
        good.to_str().unwrap(),
        "evaluate",
        "tests/requests/S1.json",
        "--today",
        common::TODAY,
    ]);
    assert_eq!(code, 0);
    assert!(
        !common::fires(&r, "src-risk-high-dose-gc") && common::fires(&r, "bp-monitoring-gc"),
        "{:?}",
        common::topics(&r)
    );
    let bad = dir.join("bad.toml");
    std::fs::write(&bad, "gc_round = 5\n").unwrap();
    let (code, _, err) = run(&["--policy", bad.to_str().unwrap(), "discovery"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("\"gc_round\" is unknown") && err.contains("bad.toml"),
        "{err}"
    );
    let (code, _, _) = run(&["policy"]);
    assert_eq!(code, 0);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn evaluate_reports_refusals_with_an_operation_outcome() {
    let (code, oo, err) = run(&[
        "evaluate",
        "tests/requests/sandbox/order-sign-prednisone.json",
    ]);
    assert_eq!(code, 1);
    assert!(err.contains("HTTP 412"), "{err}");
    common::check_operation_outcome(&oo);
    let (code, _, err) = run(&["evaluate", "tests/requests/S1.json", "--service", "nope"]);
    assert_eq!(code, 2);
    assert!(err.contains("unknown service"), "{err}");
    let (code, _, err) = run(&["evaluate", "no-such-file.json"]);
    assert_eq!(code, 2);
    assert!(err.contains("cannot read"), "{err}");
}

#[test]
fn a_bad_valueset_directory_stops_start_up_with_the_file_named() {
    let dir = std::env::temp_dir().join(format!("cli-vs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("broken.json"), "{not json").unwrap();
    let (code, _, err) = run(&["--valuesets", dir.to_str().unwrap(), "discovery"]);
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(code, 2);
    assert!(err.contains("broken.json"), "{err}");
}

/// A SQLite file of its own for each served process.
fn temp_database() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("cli-db-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join("records.sqlite")
}

#[tokio::test]
async fn serve_answers_discovery() {
    let mut child = Command::new(BIN)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("RUST_LOG", "info")
        .env("SSC_CDS_DATABASE", temp_database())
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let addr = BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
            .find_map(|l| {
                l.split("address=")
                    .nth(1)
                    .map(|a| a.split_whitespace().next().unwrap_or("").to_string())
            });
        let _ = tx.send(addr);
    });
    let addr = match rx.recv_timeout(std::time::Duration::from_secs(60)) {
        Ok(Some(addr)) => addr,
        other => {
            child.kill().unwrap();
            panic!("no listening line: {other:?}");
        }
    };
    let d: Value = reqwest::get(format!("http://{addr}/cds-services"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    child.kill().unwrap();
    let _ = child.wait();
    let ids: Vec<_> = d["services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        ids,
        [
            "ssc-myositis-order-select",
            "ssc-myositis-order-sign",
            "ssc-myositis-patient-view"
        ]
    );
}

#[test]
fn without_trusted_issuers_only_loopback_may_serve() {
    // Any other address: refused at start-up with the way out named.
    let out = Command::new(BIN)
        .args(["serve", "--listen", "0.0.0.0:0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("refusing to listen on 0.0.0.0:0 without authentication")
            && err.contains("--auth-config"),
        "{err}"
    );
    // Loopback: serves, and says loudly that authentication is off.
    let mut child = Command::new(BIN)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("SSC_CDS_DATABASE", temp_database())
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let lines: Vec<String> = BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
            .take_while(|l| !l.contains("listening"))
            .collect();
        let _ = tx.send(lines.join("\n"));
    });
    let log = rx.recv_timeout(std::time::Duration::from_secs(60));
    child.kill().unwrap();
    let _ = child.wait();
    let log = log.expect("start-up log");
    assert!(log.contains("AUTHENTICATION DISABLED"), "{log}");
    // A broken auth config stops start-up with the file named.
    let dir = std::env::temp_dir().join(format!("cli-auth-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("auth.toml");
    std::fs::write(&bad, "[[issuer]]\niss = \"x\"\n").unwrap();
    let out = Command::new(BIN)
        .args(["serve", "--auth-config", bad.to_str().unwrap()])
        .output()
        .unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("auth.toml") && err.contains("no keys"),
        "{err}"
    );
}

#[tokio::test]
async fn report_and_purge_read_the_database() {
    use ssc_myositis_cds::store::{AuditCard, Store};
    let db = temp_database();
    let store = Store::open(&ssc_myositis_cds::store::sqlite_url(&db))
        .await
        .unwrap();
    let now = chrono::Utc::now().timestamp_millis();
    let card = |uuid: &str, days_ago: i64| AuditCard {
        card_uuid: uuid.into(),
        service_id: "ssc-myositis-order-sign".into(),
        hook: "order-sign".into(),
        hook_instance: "hi".into(),
        rule_system: "https://ssc-myositis-cds.example.org/fhir/CodeSystem/rule".into(),
        rule_code: "gc-dose-above-guidance".into(),
        rule_display: "dose".into(),
        indicator: "warning".into(),
        summary: "s".into(),
        suggestion_uuids: vec![],
        suggestion_keys: vec![],
        policy_version: "p".into(),
        service_version: "v".into(),
        patient_hmac: "0".repeat(64),
        issued_at_ms: now - days_ago * 86_400_000,
        issuer: String::new(),
        tenant: String::new(),
        drafts_key: String::new(),
        status: ssc_myositis_cds::store::CardStatus::Shown,
    };
    store
        .record_cards(&[card("old", 40), card("recent", 10), card("today", 0)])
        .await
        .unwrap();
    store.close().await;
    let db = db.to_str().unwrap();
    let json = |args: &[&str]| -> Value {
        let out = Command::new(BIN)
            .args(["report", "--format", "json", "--database", db])
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    };
    assert_eq!(json(&[])["services"][0]["shown"], 3);
    let since = (chrono::Utc::now() - chrono::Duration::days(20))
        .date_naive()
        .to_string();
    let r = json(&["--since", &since]);
    assert_eq!(r["since"], since);
    assert_eq!(r["services"][0]["shown"], 2);
    let text = Command::new(BIN)
        .args(["report", "--database", db])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("gc-dose-above-guidance"), "{text}");
    let out = Command::new(BIN)
        .args(["purge", "--retention-days", "30", "--database", db])
        .output()
        .unwrap();
    assert!(out.status.success());
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("purged 1 card(s)"), "{said}");
    assert_eq!(json(&[])["services"][0]["shown"], 2);
    let bad = Command::new(BIN)
        .args(["report", "--since", "last-week", "--database", db])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
}
