//! Logs never carry tokens, JWTs, fhirAuthorization, patient data or the
//! origins of the FHIR and JWKS servers: requests carrying a known token and
//! patient name go through (accepted, refused and malformed), keys come from a
//! JWKS URL, and the output of the service's own log filter, at its most
//! verbose, is searched for them.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use common::*;
use serde_json::json;
use ssc_myositis_cds::auth::{AuthConfig, Verifier};
use ssc_myositis_cds::engine::Engine;
use ssc_myositis_cds::http::{AppState, AuthMode, Limits};

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Capture {
    type Writer = Capture;
    fn make_writer(&'a self) -> Capture {
        self.clone()
    }
}

const PATIENT_NAME: &str = "Zanzibar-Quetzalcoatl";
const FHIR_TOKEN: &str = "fhir-access-token-SECRET-7731";
const BIRTH_DATE: &str = "1931-07-04";

#[tokio::test]
async fn neither_token_nor_patient_data_reach_the_log() {
    let capture = Capture::default();
    tracing_subscriber::fmt()
        .with_env_filter(ssc_myositis_cds::http::log_filter("trace"))
        .with_writer(capture.clone())
        .with_ansi(false)
        .init();

    use p384::elliptic_curve::sec1::ToEncodedPoint;
    use p384::pkcs8::EncodePrivateKey;
    let sk = p384::SecretKey::random(&mut rand::rngs::OsRng);
    let point = sk.public_key().to_encoded_point(false);
    let b64 = |b: &[u8]| URL_SAFE_NO_PAD.encode(b);
    let jwks = json!({"keys": [{"kty": "EC", "crv": "P-384", "kid": "k", "x": b64(point.x().unwrap()), "y": b64(point.y().unwrap())}]});
    // The keys come from a JWKS URL, so that its fetch is logged if anything is.
    let jwks_text = jwks.to_string();
    let jwks_app = axum::Router::new().route(
        "/jwks.json",
        axum::routing::get(move || {
            let t = jwks_text.clone();
            async move { t }
        }),
    );
    let jwks_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let jwks_origin = jwks_listener.local_addr().unwrap().to_string();
    tokio::spawn(async move { axum::serve(jwks_listener, jwks_app).await.unwrap() });
    let config = format!(
        "public_base_url = \"https://cds.example.org\"\n[[issuer]]\niss = \"https://ehr.example.org\"\njwks_url = \"http://{jwks_origin}/jwks.json\"\n"
    );
    let cfg = AuthConfig::from_toml(&config, std::path::Path::new("/tmp/a.toml")).unwrap();
    let state = AppState::new(
        Engine::with_defaults().unwrap(),
        Limits::default(),
        AuthMode::Required(Arc::new(Verifier::new(cfg).unwrap())),
    );
    let mut state = state;
    state = state.with_public_base_url(Some("https://cds.example.org".into()));
    let (s, _) = start_with(state).await;

    let enc = jsonwebtoken::EncodingKey::from_ec_der(sk.to_pkcs8_der().unwrap().as_bytes());
    let token = |jti: &str| {
        let now = chrono::Utc::now().timestamp();
        let h = b64(json!({"alg": "ES384", "kid": "k", "typ": "JWT"})
            .to_string()
            .as_bytes());
        let c = b64(json!({"iss": "https://ehr.example.org", "aud": "https://cds.example.org/cds-services/ssc-myositis-order-sign",
            "iat": now, "exp": now + 300, "jti": jti}).to_string().as_bytes());
        let msg = format!("{h}.{c}");
        let sig = jsonwebtoken::crypto::sign(msg.as_bytes(), &enc, jsonwebtoken::Algorithm::ES384)
            .unwrap();
        format!("{msg}.{sig}")
    };
    let mut body = fixture("S1.json");
    body["fhirServer"] = json!("https://ehr.example.org/fhir");
    body["fhirAuthorization"] = json!({"access_token": FHIR_TOKEN, "token_type": "Bearer", "expires_in": 300, "scope": "patient/*.read", "subject": "cds"});
    body["prefetch"]["Patient"]["name"] = json!([{"family": PATIENT_NAME, "given": ["Ada"]}]);
    body["prefetch"]["Patient"]["birthDate"] = json!(BIRTH_DATE);
    // A malformed entry carrying the name, to exercise the skipped-entry log.
    body["prefetch"]["Condition"]["entry"]
        .as_array_mut()
        .unwrap()
        .push(json!({"resource": {"resourceType": "Condition", "code": PATIENT_NAME}}));
    let url = format!("{}/cds-services/ssc-myositis-order-sign", s.base);

    let good = token("jti-1");
    let r = s
        .client
        .post(&url)
        .bearer_auth(&good)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    // Replayed (refused), and a wrong-hook body with the name in it (400).
    let r = s
        .client
        .post(&url)
        .bearer_auth(&good)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
    let mut wrong = body.clone();
    wrong["hook"] = json!(PATIENT_NAME);
    let r = s
        .client
        .post(&url)
        .bearer_auth(token("jti-2"))
        .json(&wrong)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    let r = s
        .client
        .post(&url)
        .bearer_auth(token("jti-3"))
        .body(format!("{{\"hook\": \"{PATIENT_NAME}"))
        .header("content-type", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);

    // The fallback path: the FHIR token is used against a FHIR server.
    let stub = common::fhir_stub::Stub::start().await;
    stub.load(common::fhir_stub::prefetch_resources(&body));
    let state = AppState::new(
        Engine::with_defaults().unwrap(),
        Limits::default(),
        AuthMode::Disabled,
    );
    let mut state = state;
    state.fetcher =
        ssc_myositis_cds::prefetch::Fetcher::new(ssc_myositis_cds::prefetch::FetchSettings {
            allowed_servers: vec![stub.base.clone()],
            ..Default::default()
        })
        .unwrap();
    // With the record store on: cards audited, feedback stored.
    let db = common::store_support::TestDb::sqlite();
    let store = db.open().await;
    let audit = ssc_myositis_cds::http::Audit::new(
        store.clone(),
        ssc_myositis_cds::store::AuditKey::new(vec![3; 32]).unwrap(),
        std::time::Duration::from_secs(2),
        &state.engine,
    );
    state = state.with_audit(audit);
    let (s2, _) = start_with(state).await;
    let mut fetching = body.clone();
    fetching.as_object_mut().unwrap().remove("prefetch");
    fetching["fhirServer"] = json!(stub.base);
    let r = s2
        .client
        .post(format!("{}/cds-services/ssc-myositis-order-sign", s2.base))
        .json(&fetching)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert!(
        stub.seen()
            .iter()
            .all(|(_, a)| a.as_deref() == Some(&format!("Bearer {FHIR_TOKEN}")[..])),
        "the token was used"
    );
    let card = r.json::<serde_json::Value>().await.unwrap()["cards"][0]["uuid"].clone();
    // Feedback whose comment names the patient, and a refused item quoting it.
    let r = s2
        .client
        .post(format!(
            "{}/cds-services/ssc-myositis-order-sign/feedback",
            s2.base
        ))
        .json(&json!({"feedback": [
            {"card": card, "outcome": "overridden", "outcomeTimestamp": "2026-11-24T10:00:00Z",
             "overrideReason": {"userComment": format!("{PATIENT_NAME} prefers to wait")}},
            {"card": card, "outcome": PATIENT_NAME, "outcomeTimestamp": "2026-11-24T10:00:00Z"}
        ]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    assert!(
        !r.text().await.unwrap().contains(PATIENT_NAME),
        "echoed in the OperationOutcome"
    );
    let audited = store
        .card(card.as_str().unwrap())
        .await
        .unwrap()
        .expect("audited");
    let record = serde_json::to_string(&audited).unwrap();
    for secret in [PATIENT_NAME, FHIR_TOKEN, "\"S1\"", stub.base.as_str()] {
        assert!(!record.contains(secret), "{secret} in the audit record");
    }
    store.close().await;
    db.drop_db().await;

    let log = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    assert!(
        log.contains("hook evaluated")
            && log.contains("authentication failed")
            && log.contains("resource skipped")
            && log.contains("FHIR server queried")
            && log.contains("feedback received"),
        "the log was captured:\n{log}"
    );
    // The hook line joins the advice to its feedback: hookInstance and card uuids.
    assert!(
        log.contains("hook_instance=")
            && log.contains(&format!("card_uuids={}", card.as_str().unwrap())[..36 + 11]),
        "hook line without hook_instance or card uuids:\n{log}"
    );
    let jwt_signature = good.rsplit('.').next().unwrap();
    let fhir_origin = stub
        .base
        .trim_start_matches("http://")
        .trim_end_matches("/fhir");
    let port = |origin: &str| format!(":{}", origin.rsplit(':').next().unwrap());
    for secret in [
        // The servers connected to: neither origin nor port.
        jwks_origin.as_str(),
        &port(&jwks_origin),
        fhir_origin,
        &port(fhir_origin),
        good.as_str(),
        jwt_signature,
        FHIR_TOKEN,
        PATIENT_NAME,
        BIRTH_DATE,
        "Ada",
        // Patient identifiers in query URLs.
        "patient=S1",
        "Patient/S1",
    ] {
        assert!(!log.contains(secret), "{secret:?} found in the log:\n{log}");
    }
}

/// The real binary, JSON logs at debug level: every line is a JSON object, the
/// hook line carries request id, hookInstance and card uuids, and no line
/// carries a token, a FHIR server URL or patient data.
#[test]
fn json_logs_at_debug_level_carry_ids_but_no_secrets() {
    use std::io::{Read as _, Write as _};
    let dir = common::store_support::temp_dir("jsonlog");
    let log_path = dir.join("stderr.log");
    let mut child = std::process::Command::new(common::process::BIN)
        .args(["--log-format", "json", "serve", "--listen", "127.0.0.1:0"])
        .arg("--database")
        .arg(dir.join("records.sqlite"))
        .env("RUST_LOG", "debug")
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(&log_path).unwrap())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    let addr = loop {
        let text = std::fs::read_to_string(&log_path).unwrap_or_default();
        let found = text.lines().find_map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).ok()?;
            v["fields"]["address"].as_str().map(str::to_string)
        });
        if let Some(a) = found {
            break a;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(60),
            "not listening:\n{text}"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let mut body = fixture("S1.json");
    body["fhirServer"] = json!("https://ehr-fhir.example.org/fhir/R4");
    body["fhirAuthorization"] = json!({"access_token": FHIR_TOKEN, "token_type": "Bearer", "expires_in": 300, "scope": "patient/*.read", "subject": "cds"});
    body["prefetch"]["Patient"]["name"] = json!([{"family": PATIENT_NAME, "given": ["Ada"]}]);
    body["prefetch"]["Patient"]["birthDate"] = json!(BIRTH_DATE);
    let body = serde_json::to_vec(&body).unwrap();
    let post = |request_id: &str, hook_instance_body: &[u8]| {
        let mut c = std::net::TcpStream::connect(&addr).unwrap();
        write!(
            c,
            "POST /cds-services/ssc-myositis-order-sign HTTP/1.1\r\nHost: x\r\nConnection: close\r\nx-request-id: {request_id}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            hook_instance_body.len()
        )
        .unwrap();
        c.write_all(hook_instance_body).unwrap();
        let mut out = String::new();
        c.read_to_string(&mut out).unwrap();
        out
    };
    let answer = post("req-plain-42", &body);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    // A request id and a hookInstance carrying the patient's name are not
    // logged: the hookInstance is no UUID, so the call is refused (400).
    let mut named: serde_json::Value = serde_json::from_slice(&body).unwrap();
    named["hookInstance"] = json!(format!("{PATIENT_NAME} {BIRTH_DATE}"));
    let answer = post(
        &format!("{PATIENT_NAME}/{BIRTH_DATE}"),
        &serde_json::to_vec(&named).unwrap(),
    );
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    let ok = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok);
    assert!(child.wait().unwrap().success());

    let log = std::fs::read_to_string(&log_path).unwrap();
    let lines: Vec<serde_json::Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let hooks: Vec<&serde_json::Value> = lines
        .iter()
        .filter(|v| v["fields"]["message"] == "hook evaluated")
        .collect();
    assert_eq!(hooks.len(), 1, "{log}");
    let first = hooks[0];
    assert_eq!(first["span"]["request_id"], "req-plain-42", "{first}");
    assert_eq!(first["fields"]["service"], "ssc-myositis-order-sign");
    assert_eq!(first["fields"]["status"], 200);
    assert!(first["fields"]["elapsed_us"].is_u64(), "{first}");
    assert!(first["fields"]["hook_instance"]
        .as_str()
        .is_some_and(|h| uuid::Uuid::parse_str(h).is_ok()));
    let uuids = first["fields"]["card_uuids"].as_str().unwrap();
    let n = first["fields"]["cards"].as_u64().unwrap();
    assert!(n > 0 && uuids.split(',').count() as u64 == n, "{first}");
    let refused: Vec<&serde_json::Value> = lines
        .iter()
        .filter(|v| v["fields"]["message"] == "hook refused")
        .collect();
    assert_eq!(refused.len(), 1, "{log}");
    assert_eq!(refused[0]["fields"]["hook_instance"], "-", "{}", refused[0]);
    assert_eq!(refused[0]["fields"]["status"], 400, "{}", refused[0]);
    for secret in [
        FHIR_TOKEN,
        PATIENT_NAME,
        BIRTH_DATE,
        "ehr-fhir.example.org",
        "Bearer",
    ] {
        assert!(!log.contains(secret), "{secret:?} found in the log:\n{log}");
    }
    let _ = std::fs::remove_dir_all(dir);
}
