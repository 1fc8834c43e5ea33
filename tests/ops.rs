//! Operations: liveness and readiness, Prometheus metrics after real hook
//! calls, request ids, the `probe` subcommand, JSON logs and a graceful stop
//! of the real binary on SIGTERM.

mod common;

use std::io::{Read, Write};
use std::sync::Arc;
use std::time::Duration;

use common::process::{Service, BIN};
use common::*;
use serde_json::{json, Value};
use ssc_myositis_cds::auth::{AuthConfig, Verifier};
use ssc_myositis_cds::engine::Engine;
use ssc_myositis_cds::http::{AppState, Audit, AuthMode, Limits};
use ssc_myositis_cds::store::AuditKey;

/// The value of the sample of `name` whose labels include every one of
/// `labels` (`key="value"`); `None` when there is no such sample.
fn sample(text: &str, name: &str, labels: &[&str]) -> Option<f64> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter(|l| {
            l.strip_prefix(name)
                .is_some_and(|rest| rest.starts_with('{') || rest.starts_with(' '))
        })
        .filter(|l| labels.iter().all(|lab| l.contains(lab)))
        .map(|l| l.rsplit(' ').next().unwrap().parse::<f64>().unwrap())
        .reduce(|a, b| a + b)
}

#[tokio::test]
async fn health_and_readiness_need_no_token_and_check_the_database() {
    let client = jwt::Client::new("https://ehr.example.org");
    let cfg = AuthConfig::from_toml(
        &client.config("https://cds.example.org"),
        std::path::Path::new("/tmp/auth.toml"),
    )
    .unwrap();
    let mut state = AppState::new(
        Engine::with_defaults().unwrap(),
        Limits::default(),
        AuthMode::Required(Arc::new(Verifier::new(cfg).unwrap())),
    );
    let db = store_support::TestDb::sqlite();
    let store = db.open().await;
    let audit = Audit::new(
        store.clone(),
        AuditKey::new(vec![7; 32]).unwrap(),
        Duration::from_secs(2),
        &state.engine,
    );
    state = state.with_audit(audit);
    let (s, _) = start_with(state).await;
    let get = |p: &str| s.client.get(format!("{}{p}", s.base)).send();

    let r = get("/healthz").await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let r = get("/readyz").await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["status"], "ready", "{body}");
    for check in ["valuesets", "services", "policy", "database"] {
        assert_eq!(body["checks"][check], "ok", "{check}: {body}");
    }
    // The service itself still wants a token.
    let r = get("/cds-services").await.unwrap();
    assert_eq!(r.status().as_u16(), 401);

    // The database gone: not ready (503), though alive.
    store.close().await;
    let r = get("/readyz").await.unwrap();
    assert_eq!(r.status().as_u16(), 503);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["checks"]["database"], "unavailable", "{body}");
    assert_eq!(get("/healthz").await.unwrap().status().as_u16(), 200);
    db.drop_db().await;
}

#[tokio::test]
async fn metrics_count_hooks_cards_rejections_and_feedback() {
    let client = jwt::Client::new("https://ehr.example.org");
    let base = "https://cds.example.org";
    let cfg = AuthConfig::from_toml(&client.config(base), std::path::Path::new("/tmp/auth.toml"))
        .unwrap();
    let mut state = AppState::new(
        Engine::with_defaults().unwrap(),
        Limits::default(),
        AuthMode::Required(Arc::new(Verifier::new(cfg).unwrap())),
    );
    state = state.with_public_base_url(Some(base.into()));
    let (s, _) = start_with(state).await;
    let service = "ssc-myositis-order-sign";
    let aud = format!("{base}/cds-services/{service}");
    let url = format!("{}/cds-services/{service}", s.base);
    let mut card = Value::Null;
    for _ in 0..3 {
        let r = s
            .client
            .post(&url)
            .bearer_auth(client.token(&aud))
            .json(&fixture("S1.json"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 200);
        card = r.json::<Value>().await.unwrap()["cards"][0]["uuid"].clone();
    }
    // No token, then an expired-looking garbage token.
    let r = s.client.post(&url).json(&fixture("S1.json")).send().await;
    assert_eq!(r.unwrap().status().as_u16(), 401);
    let r = s
        .client
        .post(&url)
        .bearer_auth("not.a.jwt")
        .json(&fixture("S1.json"))
        .send()
        .await;
    assert_eq!(r.unwrap().status().as_u16(), 401);
    let fb_url = format!("{url}/feedback");
    let r = s
        .client
        .post(&fb_url)
        .bearer_auth(client.token(&format!("{aud}/feedback")))
        .json(&json!({"feedback": [{"card": card, "outcome": "overridden",
            "overrideReason": {"reason": {"code": "dose-appropriate",
                "system": "https://ssc-myositis-cds.example.org/fhir/CodeSystem/override-reason",
                "display": "Dose appropriate for this patient"}},
            "outcomeTimestamp": "2026-11-24T10:00:00Z"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);

    let r = s
        .client
        .get(format!("{}/metrics", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    let text = r.text().await.unwrap();
    let at_least = |name: &str, labels: &[&str], min: f64| {
        let v = sample(&text, name, labels).unwrap_or(0.0);
        assert!(v >= min, "{name}{labels:?} = {v}, want >= {min}\n{text}");
    };
    at_least(
        "http_requests_total",
        &["route=\"/cds-services/{id}\"", "status=\"200\""],
        3.0,
    );
    at_least(
        "http_requests_total",
        &["route=\"/cds-services/{id}\"", "status=\"401\""],
        2.0,
    );
    at_least(
        "cds_hook_duration_seconds_count",
        &["service=\"ssc-myositis-order-sign\""],
        3.0,
    );
    at_least(
        "cds_hook_duration_seconds_bucket",
        &["service=\"ssc-myositis-order-sign\"", "le=\"+Inf\""],
        3.0,
    );
    // S1 draws a warning for the dose above the guidance.
    at_least(
        "cds_cards_total",
        &["rule=\"gc-dose-above-guidance\"", "indicator=\"warning\""],
        3.0,
    );
    at_least(
        "cds_jwt_rejections_total",
        &["reason=\"missing-token\""],
        1.0,
    );
    at_least("cds_jwt_rejections_total", &["reason=\"malformed\""], 1.0);
    at_least("cds_feedback_items_total", &["outcome=\"overridden\""], 1.0);
    // No raw path, token or patient id among the labels.
    assert!(!text.contains("not.a.jwt") && !text.contains("Patient/"));
}

#[tokio::test]
async fn fhir_fallback_calls_are_counted_by_outcome() {
    let stub = common::fhir_stub::Stub::start().await;
    let body = fixture("S1.json");
    stub.load(common::fhir_stub::prefetch_resources(&body));
    let mut state = AppState::new(
        Engine::with_defaults().unwrap(),
        Limits::default(),
        AuthMode::Disabled,
    );
    state.fetcher =
        ssc_myositis_cds::prefetch::Fetcher::new(ssc_myositis_cds::prefetch::FetchSettings {
            allowed_servers: vec![stub.base.clone()],
            allow_open_servers: true,
            ..Default::default()
        })
        .unwrap();
    let (s, _) = start_with(state).await;
    let mut fetching = body.clone();
    fetching.as_object_mut().unwrap().remove("prefetch");
    fetching["fhirServer"] = json!(stub.base);
    fetching["fhirAuthorization"] = json!({"access_token": "t", "token_type": "Bearer",
        "expires_in": 300, "scope": "patient/*.read", "subject": "cds"});
    let (status, _) = s.hook("ssc-myositis-order-sign", &fetching).await;
    assert_eq!(status, 200);
    let text = s
        .client
        .get(format!("{}/metrics", s.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let ok = sample(
        &text,
        "cds_fhir_fallback_queries_total",
        &["outcome=\"ok\""],
    );
    assert!(ok.is_some_and(|v| v >= 1.0), "{text}");
    let timed = sample(&text, "cds_fhir_fallback_duration_seconds_count", &[]);
    assert!(timed.is_some_and(|v| v >= 1.0), "{text}");
    assert!(
        !text.contains(&stub.base),
        "a FHIR server URL in the metrics"
    );
}

#[tokio::test]
async fn request_ids_are_kept_when_plain_and_replaced_otherwise() {
    let s = start().await;
    let get = |id: &'static str| {
        s.client
            .get(format!("{}/healthz", s.base))
            .header("x-request-id", id)
            .send()
    };
    let r = get("ehr-7f3a.2").await.unwrap();
    assert_eq!(r.headers()["x-request-id"], "ehr-7f3a.2");
    let r = get("Smith, Jane 1931-07-04").await.unwrap();
    let id = r.headers()["x-request-id"].to_str().unwrap().to_string();
    assert!(
        !id.contains("Smith") && uuid::Uuid::parse_str(&id).is_ok(),
        "{id}"
    );
    let r = s
        .client
        .get(format!("{}/healthz", s.base))
        .send()
        .await
        .unwrap();
    let id = r.headers()["x-request-id"].to_str().unwrap();
    assert!(uuid::Uuid::parse_str(id).is_ok(), "{id}");
}

#[test]
fn probe_exits_0_on_2xx_and_1_otherwise() {
    let dir = store_support::temp_dir("probe");
    let db = dir.join("records.sqlite");
    let svc = Service::start(
        &[
            "--listen",
            "127.0.0.1:0",
            "--database",
            db.to_str().unwrap(),
        ],
        &[],
    );
    let probe = |url: &str| {
        std::process::Command::new(BIN)
            .args(["probe", url, "--timeout-ms", "2000"])
            .output()
            .unwrap()
            .status
            .code()
    };
    assert_eq!(probe(&svc.url("/readyz")), Some(0));
    assert_eq!(probe(&svc.url("/healthz")), Some(0));
    assert_eq!(probe(&svc.url("/no-such-page")), Some(1));
    drop(svc);
    // Nothing listens any more.
    assert_eq!(probe("http://127.0.0.1:9/readyz"), Some(1));
    let _ = std::fs::remove_dir_all(dir);
}

/// A GET over a fresh connection; the whole answer (head and body).
fn http_get(addr: &str, path: &str) -> String {
    let mut c = std::net::TcpStream::connect(addr).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        c,
        "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = String::new();
    c.read_to_string(&mut out).unwrap();
    out
}

/// Sends SIGTERM to `pid`.
fn sigterm(pid: u32) {
    let ok = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill -TERM {pid}");
}

#[test]
fn sigterm_finishes_requests_under_way_and_records_their_cards() {
    let dir = store_support::temp_dir("stop");
    let db = dir.join("records.sqlite");
    let mut svc = Service::start(
        &[
            "--listen",
            "127.0.0.1:0",
            "--database",
            db.to_str().unwrap(),
            "--today",
            TODAY,
        ],
        &[],
    );
    let body = serde_json::to_vec(&fixture("S1.json")).unwrap();
    // A request under way: headers and half of the body sent.
    let mut conn = std::net::TcpStream::connect(&svc.addr).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    write!(
        conn,
        "POST /cds-services/ssc-myositis-order-sign HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .unwrap();
    let half = body.len() / 2;
    conn.write_all(&body[..half]).unwrap();
    conn.flush().unwrap();

    // Two connections open: this one and the scrape's (the server may not
    // have accepted the first yet on a loaded machine: scrape until it has).
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let metrics = http_get(&svc.addr, "/metrics");
        let open = sample(&metrics, "cds_connections_open", &[]);
        if open.is_some_and(|n| n >= 2.0) {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{metrics}");
        std::thread::sleep(Duration::from_millis(50));
    }

    std::thread::sleep(Duration::from_millis(200));
    sigterm(svc.child.id());
    // New connections are refused once the listener is closed.
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        match std::net::TcpStream::connect(&svc.addr) {
            Err(_) => break,
            Ok(_) if std::time::Instant::now() > deadline => {
                panic!("still accepting connections after SIGTERM")
            }
            Ok(_) => std::thread::sleep(Duration::from_millis(50)),
        }
    }
    // The request under way completes.
    conn.write_all(&body[half..]).unwrap();
    let mut answer = String::new();
    let _ = conn.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("\"cards\""), "{answer}");
    drop(conn);

    let started = std::time::Instant::now();
    let status = loop {
        if let Some(s) = svc.child.try_wait().unwrap() {
            break s;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "no exit after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "exit status {status:?}");
    // The cards of the request finished during the stop are in the store.
    let json_start = answer.find("\r\n\r\n").unwrap() + 4;
    let sent: Value = serde_json::from_str(answer[json_start..].trim()).unwrap_or_else(|_| {
        // A chunked body: the JSON object between the chunk-size lines.
        let b = &answer[json_start..];
        serde_json::from_str(&b[b.find('{').unwrap()..=b.rfind('}').unwrap()]).unwrap()
    });
    let mut sent_uuids: Vec<String> = sent["cards"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["uuid"].as_str().unwrap().to_string())
        .collect();
    assert!(!sent_uuids.is_empty());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut stored = rt.block_on(async {
        let store = ssc_myositis_cds::store::Store::open(&ssc_myositis_cds::store::sqlite_url(&db))
            .await
            .unwrap();
        let u = store.card_uuids().await.unwrap();
        store.close().await;
        u
    });
    sent_uuids.sort();
    stored.sort();
    assert_eq!(stored, sent_uuids);
    let _ = std::fs::remove_dir_all(dir);
}
