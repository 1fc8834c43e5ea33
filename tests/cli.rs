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

#[test]
fn evaluate_prints_the_cds_response() {
    let (code, r, _) = run(&[
        "evaluate",
        "tests/requests/S10.json",
        "--today",
        common::TODAY,
    ]);
    assert_eq!(code, 0);
    common::check_response(&r, None);
    assert!(common::has(&r, "mtx-contraindicated-renal", "critical"));
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

#[tokio::test]
async fn serve_answers_discovery() {
    let mut child = Command::new(BIN)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("RUST_LOG", "info")
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
    assert_eq!(d["services"].as_array().unwrap().len(), 2);
}
