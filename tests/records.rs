//! Through HTTP: every card returned is audited before the response, the
//! feedback endpoint stores what the specification allows and refuses the
//! rest item by item, the admin report matches the store, and the JWT replay
//! store is shared by replicas. On SQLite and, when configured, PostgreSQL.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::store_support::TestDb;
use common::*;
use serde_json::{json, Value};
use ssc_myositis_cds::auth::{AuthConfig, AuthError, Verifier};
use ssc_myositis_cds::engine::Engine;
use ssc_myositis_cds::http::{AppState, Audit, AuthMode, Limits};
use ssc_myositis_cds::store::{AuditKey, Store};

const SIGN: &str = "ssc-myositis-order-sign";

fn key() -> AuditKey {
    AuditKey::new(b"test-audit-key-0123456789abcdef-0123".to_vec()).unwrap()
}

fn audited_state(store: Store) -> AppState {
    let engine = Engine::with_defaults().unwrap();
    let audit = Audit::new(store, key(), Duration::from_secs(2), &engine);
    let mut state = AppState::new(engine, Limits::default(), AuthMode::Disabled);
    state = state.with_audit(audit);
    state
}

async fn post(s: &Server, path: &str, body: &Value) -> (u16, Value) {
    let r = s
        .client
        .post(format!("{}{path}", s.base))
        .json(body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

fn all_text(v: &Value) -> String {
    serde_json::to_string(v).unwrap()
}

#[tokio::test]
async fn every_card_returned_is_audited_without_the_patient_id() {
    for db in TestDb::all().await {
        let store = db.open().await;
        let (s, _) = start_with(audited_state(store.clone())).await;
        let mut audited = 0;
        for (file, _, _) in SCENARIOS {
            let req = fixture(file);
            let (status, resp) = s
                .hook(service_for(req["hook"].as_str().unwrap()), &req)
                .await;
            assert_eq!(status, 200, "{file}");
            let patient = req["context"]["patientId"].as_str().unwrap();
            for c in resp["cards"].as_array().unwrap() {
                let uuid = c["uuid"].as_str().unwrap();
                let a = store
                    .card(uuid)
                    .await
                    .unwrap()
                    .unwrap_or_else(|| panic!("{}: {file}: card {uuid} not audited", db.name));
                assert_eq!(a.rule_code, c["source"]["topic"]["code"], "{file}");
                assert_eq!(a.rule_system, c["source"]["topic"]["system"]);
                assert_eq!(a.indicator, c["indicator"]);
                assert_eq!(a.summary, c["summary"]);
                assert_eq!(a.hook, req["hook"]);
                assert_eq!(a.hook_instance, req["hookInstance"]);
                let suggestions: Vec<&str> = c["suggestions"]
                    .as_array()
                    .map(|v| v.iter().map(|s| s["uuid"].as_str().unwrap()).collect())
                    .unwrap_or_default();
                assert_eq!(a.suggestion_uuids, suggestions);
                assert_eq!(a.patient_hmac, key().patient_hash(patient));
                assert_eq!(a.service_version, env!("CARGO_PKG_VERSION"));
                assert_eq!(a.policy_version.len(), 12);
                let record = serde_json::to_string(&a).unwrap();
                assert!(!record.contains(patient), "{file}: patient id in the audit");
                audited += 1;
            }
        }
        assert!(audited >= 10, "only {audited} cards");
        assert_eq!(
            store.card_uuids().await.unwrap().len(),
            audited,
            "{}",
            db.name
        );
        store.close().await;
        db.drop_db().await;
    }
}

#[tokio::test]
async fn without_a_working_store_no_card_leaves_unrecorded() {
    let db = TestDb::sqlite();
    let store = db.open().await;
    let (s, _) = start_with(audited_state(store.clone())).await;
    store.close().await;
    let req = fixture("S1.json");
    let (status, body) = s.hook(SIGN, &req).await;
    assert_eq!(status, 503);
    assert!(!all_text(&body).contains("cards"));
    let (status, _) = post(
        &s,
        &format!("/cds-services/{SIGN}/feedback"),
        &json!({"feedback": [{"card": "c", "outcome": "overridden", "outcomeTimestamp": "2026-11-24T10:00:00Z"}]}),
    )
    .await;
    assert_eq!(status, 503);
    db.drop_db().await;
}

#[tokio::test]
async fn feedback_is_stored_once_unknown_cards_counted_and_bad_items_refused_alone() {
    for db in TestDb::all().await {
        let store = db.open().await;
        let (s, _) = start_with(audited_state(store.clone())).await;
        let (_, resp) = s.hook(SIGN, &fixture("S1.json")).await;
        let cards = resp["cards"].as_array().unwrap();
        let gc = cards
            .iter()
            .find(|c| c["source"]["topic"]["code"] == "gc-dose-above-guidance")
            .expect("S1 has the dose card");
        let gc_uuid = gc["uuid"].as_str().unwrap();
        let reason = gc["overrideReasons"][0].clone();
        let other = cards
            .iter()
            .find(|c| c["suggestions"].is_array() && c["uuid"] != gc["uuid"])
            .unwrap();
        let url = format!("/cds-services/{SIGN}/feedback");
        let good = json!({"feedback": [
            {"card": gc_uuid, "outcome": "overridden", "outcomeTimestamp": "2026-11-24T10:00:00Z",
             "overrideReason": {"reason": reason, "userComment": "agreed with the rheumatologist"}},
            {"card": other["uuid"], "outcome": "accepted", "outcomeTimestamp": "2026-11-24T10:01:00+01:00",
             "acceptedSuggestions": [{"id": other["suggestions"][0]["uuid"]}]},
            {"card": "4d1c4d0e-0000-4000-8000-000000000000", "outcome": "overridden", "outcomeTimestamp": "2026-11-24T10:02:00Z"}
        ]});
        check_feedback(&good);
        for _ in 0..2 {
            let (status, body) = post(&s, &url, &good).await;
            assert_eq!(status, 200, "{}: {body}", db.name);
        }
        let stored = store.feedback_for(gc_uuid).await.unwrap();
        assert_eq!(stored.len(), 1, "{}: stored twice", db.name);
        assert_eq!(stored[0].reason.as_ref().unwrap().code, reason["code"]);
        assert_eq!(
            stored[0].user_comment.as_deref(),
            Some("agreed with the rheumatologist")
        );
        assert!(stored[0].category.is_some());

        // One bad item among good ones: the good ones are kept, the bad one named.
        let mixed = json!({"feedback": [
            {"card": gc_uuid, "outcome": "accepted", "outcomeTimestamp": "yesterday",
             "acceptedSuggestions": [{"id": "x"}]},
            {"card": gc_uuid, "outcome": "accepted", "outcomeTimestamp": "2026-11-24T11:00:00Z",
             "acceptedSuggestions": [{"id": "x"}], "overrideReason": {"userComment": "?"}},
            {"card": gc_uuid, "outcome": "overridden", "outcomeTimestamp": "2026-11-24T12:00:00Z",
             "overrideReason": {"userComment": "second thoughts"}}
        ]});
        let (status, oo) = post(&s, &url, &mixed).await;
        assert_eq!(status, 400);
        check_operation_outcome(&oo);
        let exprs: Vec<&str> = oo["issue"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|i| i["expression"][0].as_str())
            .collect();
        assert_eq!(
            exprs,
            ["feedback[0].outcomeTimestamp", "feedback[1].overrideReason"]
        );
        assert_eq!(
            store.feedback_for(gc_uuid).await.unwrap().len(),
            2,
            "{}",
            db.name
        );

        // The admin report is the store's report.
        let r = s
            .client
            .get(format!("{}/admin/report.json", s.base))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 200);
        let json: Value = r.json().await.unwrap();
        let expected = serde_json::to_value(store.report(0, None).await.unwrap()).unwrap();
        assert_eq!(json, expected);
        assert_eq!(json["unmatched_feedback"], 1);
        let svc = &json["services"][0];
        assert_eq!(svc["shown"], cards.len());
        assert_eq!(svc["accepted"], 1);
        assert_eq!(svc["overridden"], 1);
        let bad = s
            .client
            .get(format!("{}/admin/report.json?since=last-week", s.base))
            .send()
            .await
            .unwrap();
        assert_eq!(bad.status().as_u16(), 400);
        check_operation_outcome(&bad.json().await.unwrap());
        let twice = s
            .client
            .get(format!(
                "{}/admin/report.json?since=2026-11-01&since=2026-11-02",
                s.base
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(twice.status().as_u16(), 400);
        check_operation_outcome(&twice.json().await.unwrap());
        let since: Value = s
            .client
            .get(format!("{}/admin/report.json?since=2999-01-01", s.base))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(since["since"], "2999-01-01");
        assert_eq!(since["rules"], json!([]));
        store.close().await;
        db.drop_db().await;
    }
}

/// The report is for the issuers the trust file marks admin, not for every
/// EHR trusted to call the hooks.
#[tokio::test]
async fn only_an_admin_issuer_reads_the_report() {
    let db = TestDb::sqlite();
    let base = "https://cds.example.org";
    let dir = store_support::temp_dir("admin");
    let path = dir.join("auth.toml");
    for (admin, expected) in [(false, 403), (true, 200)] {
        let client = jwt::Client::new("https://ehr.example.org");
        let text = if admin {
            client.admin_config(base)
        } else {
            client.config(base)
        };
        let v = Verifier::new(AuthConfig::from_toml(&text, &path).unwrap()).unwrap();
        let mut state = audited_state(db.open().await);
        state.auth = AuthMode::Required(Arc::new(v));
        state = state.with_public_base_url(Some(base.into()));
        let s = start_with(state).await.0;
        for page in ["/admin/report.json", "/admin/report"] {
            let r = s
                .client
                .get(format!("{}{page}", s.base))
                .bearer_auth(client.token(&format!("{base}{page}")))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status().as_u16(), expected, "admin {admin}: {page}");
            if expected == 403 {
                let outcome: Value = r.json().await.unwrap();
                assert_eq!(outcome["issue"][0]["code"], "forbidden");
            }
        }
    }
}

/// Two verifiers on one store stand for two replicas: a token used on one is
/// refused on the other, and after a restart.
#[tokio::test]
async fn a_token_is_refused_when_replayed_on_another_replica() {
    for db in TestDb::all().await {
        let client = jwt::Client::new("https://ehr.example.org");
        let base = "https://cds.example.org";
        let dir = store_support::temp_dir("auth");
        let path = dir.join("auth.toml");
        let text = client.config(base);
        std::fs::write(&path, &text).unwrap();
        let store = db.open().await;
        let mut servers = vec![];
        for _ in 0..2 {
            let v = Verifier::new(AuthConfig::from_toml(&text, &path).unwrap())
                .unwrap()
                .with_replay_store(Arc::new(store.clone()));
            let mut state = audited_state(store.clone());
            state.auth = AuthMode::Required(Arc::new(v));
            state = state.with_public_base_url(Some(base.into()));
            servers.push(start_with(state).await.0);
        }
        let aud = format!("{base}/cds-services/{SIGN}");
        let call = |s: &Server, token: String| {
            let req = s
                .client
                .post(format!("{}/cds-services/{SIGN}", s.base))
                .bearer_auth(token)
                .json(&fixture("S1.json"));
            async move { req.send().await.unwrap().status().as_u16() }
        };
        let t = client.token(&aud);
        assert_eq!(call(&servers[0], t.clone()).await, 200, "{}", db.name);
        assert_eq!(
            call(&servers[1], t.clone()).await,
            401,
            "{}: replay on replica",
            db.name
        );
        assert_eq!(call(&servers[0], t.clone()).await, 401);
        assert_eq!(call(&servers[1], client.token(&aud)).await, 200);
        // A restart (new store handle on the same database) still knows it.
        store.close().await;
        // With the database gone the replay check cannot be made: 503, not 401.
        let r = servers[0]
            .client
            .post(format!("{}/cds-services/{SIGN}", servers[0].base))
            .bearer_auth(client.token(&aud))
            .json(&fixture("S1.json"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 503, "{}", db.name);
        assert!(r.headers().contains_key("retry-after"));
        let reopened = db.open().await;
        let v = Verifier::new(AuthConfig::from_toml(&text, &path).unwrap())
            .unwrap()
            .with_replay_store(Arc::new(reopened.clone()));
        let now = chrono::Utc::now().timestamp();
        assert_eq!(
            v.verify(Some(&format!("Bearer {t}")), &aud, now)
                .await
                .unwrap_err(),
            AuthError::Replayed
        );
        reopened.close().await;
        db.drop_db().await;
        let _ = std::fs::remove_dir_all(dir);
    }
}

/// Tenancy: a card remembers the issuer it was shown to and takes feedback
/// from that issuer only; an admin bound to a tenant reads that tenant's
/// figures; a name typed into an override reason stays out of the report.
#[tokio::test]
async fn feedback_and_report_stay_within_their_issuer_and_tenant() {
    for db in TestDb::all().await {
        let base = "https://cds.example.org";
        let dir = store_support::temp_dir("tenancy");
        let path = dir.join("auth.toml");
        let a = jwt::Client::new("https://ehr-a.example.org");
        let b = jwt::Client::new("https://ehr-b.example.org");
        let text = format!(
            "public_base_url = \"{base}\"\n{}tenants = [\"t-a\"]\nadmin = true\n{}tenants = [\"t-b\"]\nadmin = true\n",
            a.issuer_table(),
            b.issuer_table()
        );
        let v = Verifier::new(AuthConfig::from_toml(&text, &path).unwrap()).unwrap();
        let store = db.open().await;
        let mut state = audited_state(store.clone());
        state.auth = AuthMode::Required(Arc::new(v));
        state = state.with_public_base_url(Some(base.into()));
        let s = start_with(state).await.0;
        let call = |c: &jwt::Client, tenant: &str, path: &str, body: &Value| {
            let req = s
                .client
                .post(format!("{}{path}", s.base))
                .bearer_auth(c.token_with(&format!("{base}{path}"), json!({ "tenant": tenant })))
                .json(body);
            async move {
                let r = req.send().await.unwrap();
                let status = r.status().as_u16();
                (status, r.json::<Value>().await.unwrap_or(Value::Null))
            }
        };
        let hook = format!("/cds-services/{SIGN}");
        let fb_path = format!("{hook}/feedback");
        let (st, resp_a) = call(&a, "t-a", &hook, &fixture("S1.json")).await;
        assert_eq!(st, 200, "{}", db.name);
        let (st, resp_b) = call(&b, "t-b", &hook, &fixture("S2.json")).await;
        assert_eq!(st, 200, "{}", db.name);
        let cards = |r: &Value| r["cards"].as_array().unwrap().len() as i64;
        let (shown_a, shown_b) = (cards(&resp_a), cards(&resp_b));
        assert!(shown_a > 0 && shown_b > 0);
        let card_a = resp_a["cards"][0]["uuid"].as_str().unwrap().to_string();
        let override_of = |card: &str, display: &str| {
            json!({"feedback": [{"card": card, "outcome": "overridden",
                "outcomeTimestamp": "2026-12-05T10:00:00Z",
                "overrideReason": {"reason": {
                    "system": "https://ssc-myositis-cds.example.org/fhir/CodeSystem/override-reason",
                    "code": "dose-appropriate", "display": display}}}]})
        };
        // Issuer B cannot judge A's card: refused, nothing stored.
        let (st, outcome) = call(&b, "t-b", &fb_path, &override_of(&card_a, "B says")).await;
        assert_eq!(st, 400, "{}: {outcome}", db.name);
        assert_eq!(outcome["issue"][0]["expression"][0], "feedback[0].card");
        assert!(
            store.feedback_for(&card_a).await.unwrap().is_empty(),
            "{}",
            db.name
        );
        // A can; the name it typed is kept with the item, not in the report.
        let (st, _) = call(
            &a,
            "t-a",
            &fb_path,
            &override_of(&card_a, "Seen by Dr Jane Roe"),
        )
        .await;
        assert_eq!(st, 200, "{}", db.name);
        assert_eq!(store.feedback_for(&card_a).await.unwrap().len(), 1);
        // Each tenant-bound admin reads its own tenant's figures.
        for (c, tenant, shown, overridden) in [(&a, "t-a", shown_a, 1), (&b, "t-b", shown_b, 0)] {
            for page in ["/admin/report.json", "/admin/report"] {
                let r = s
                    .client
                    .get(format!("{}{page}", s.base))
                    .bearer_auth(
                        c.token_with(&format!("{base}{page}"), json!({ "tenant": tenant })),
                    )
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status().as_u16(), 200, "{}: {tenant} {page}", db.name);
                let text = r.text().await.unwrap();
                assert!(
                    !text.contains("Jane Roe"),
                    "{}: free text in the report",
                    db.name
                );
                if page.ends_with(".json") {
                    let report: Value = serde_json::from_str(&text).unwrap();
                    let counts = &report["services"][0];
                    assert_eq!(counts["shown"], shown, "{}: {tenant}", db.name);
                    assert_eq!(counts["overridden"], overridden, "{}: {tenant}", db.name);
                    if overridden > 0 {
                        let reasons = all_text(&report["rules"]);
                        assert!(
                            reasons.contains("Dose appropriate for this patient"),
                            "{reasons}"
                        );
                    }
                }
            }
        }
        // The command line, unbound, sees every tenant; or one when asked.
        let all = store.report(0, None).await.unwrap();
        assert_eq!(
            all.services[0].counts.shown,
            shown_a + shown_b,
            "{}",
            db.name
        );
        let only_b = store.report(0, Some("t-b")).await.unwrap();
        assert_eq!(only_b.services[0].counts.shown, shown_b, "{}", db.name);
        store.close().await;
        db.drop_db().await;
    }
}

/// A feedback body over its limit is refused from its length, before it is
/// read: 413 with the feedback limit (not the hook calls' larger one), and
/// nothing stored.
#[tokio::test]
async fn an_oversized_feedback_body_is_refused_before_it_is_read() {
    let db = TestDb::sqlite();
    let store = db.open().await;
    let (s, _) = start_with(audited_state(store.clone())).await;
    let item = json!({"card": "c", "outcome": "overridden",
        "outcomeTimestamp": "2026-12-05T10:00:00Z", "overrideReason": {"userComment": "x"}});
    let body = serde_json::to_vec(&json!({"feedback": vec![item; 40_000]})).unwrap();
    assert!(body.len() > 2_000_000);
    let r = s
        .client
        .post(format!("{}/cds-services/{SIGN}/feedback", s.base))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 413);
    let outcome: Value = r.json().await.unwrap();
    assert!(all_text(&outcome).contains("262144"), "{outcome}");
    assert!(store.feedback_for("c").await.unwrap().is_empty());
    store.close().await;
    db.drop_db().await;
}

/// Remembering what the clinician said (POLICY third edition): an
/// overridden card is held back on the next call for the same patient and
/// draft orders, audited as suppressed and counted; it returns, saying so,
/// when the order changes; a critical card is never held back.
#[tokio::test]
async fn an_overridden_card_is_held_back_until_something_changes() {
    for db in TestDb::all().await {
        let store = db.open().await;
        let (s, _) = start_with(audited_state(store.clone())).await;
        let hook = format!("/cds-services/{SIGN}");
        let fb = format!("{hook}/feedback");
        let now = chrono::Utc::now();
        let today = now.date_naive().to_string();
        let override_of = |card: &str| {
            json!({"feedback": [{"card": card, "outcome": "overridden",
                "outcomeTimestamp": now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                "overrideReason": {"userComment": "seen"}}]})
        };
        let topics = |r: &Value| -> Vec<String> {
            r["cards"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["source"]["topic"]["code"].as_str().unwrap().to_string())
                .collect()
        };
        let card_of = |r: &Value, topic: &str| -> Value {
            r["cards"]
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c["source"]["topic"]["code"] == topic)
                .cloned()
                .unwrap_or(Value::Null)
        };
        const DOSE: &str = "gc-dose-above-guidance";
        // 1. The first call shows the dose card; the clinician overrides it.
        let s1 = fixture("S1.json");
        let (st, first) = post(&s, &hook, &s1).await;
        assert_eq!(st, 200, "{}", db.name);
        assert_eq!(topics(&first).len(), 3, "{}", db.name);
        let overridden = card_of(&first, DOSE)["uuid"].as_str().unwrap().to_string();
        let (st, _) = post(&s, &fb, &override_of(&overridden)).await;
        assert_eq!(st, 200, "{}", db.name);
        // 2. The same patient and orders: held back, the others shown.
        let (st, second) = post(&s, &hook, &s1).await;
        assert_eq!(st, 200, "{}", db.name);
        let t = topics(&second);
        assert_eq!(t.len(), 2, "{}: {t:?}", db.name);
        assert!(!t.contains(&DOSE.to_string()), "{}: {t:?}", db.name);
        // Another replica, with its own connections to the same database,
        // holds it back too.
        let (replica, _) = start_with(audited_state(db.open().await)).await;
        let (st, other) = post(&replica, &hook, &s1).await;
        assert_eq!(st, 200, "{}", db.name);
        assert_eq!(topics(&other), t, "{}", db.name);
        // Audited as suppressed and counted, not as shown.
        let report = store.report(0, None).await.unwrap();
        let rule = report.rules.iter().find(|r| r.rule == DOSE).unwrap();
        assert_eq!(
            (
                rule.counts.shown,
                rule.counts.overridden,
                rule.counts.suppressed
            ),
            (1, 1, 2),
            "{}",
            db.name
        );
        // The cards sent again unchanged, minutes apart, for the same orders
        // (as an EHR re-sends order-select at each edit): counted once.
        for r in report.rules.iter().filter(|r| r.rule != DOSE) {
            assert_eq!(r.counts.shown, 1, "{}: {}", db.name, r.rule);
        }
        assert_eq!(report.rules.len(), 3, "{}", db.name);
        // 3. The order changes (40 mg instead of 60): the card returns and
        // says it was overridden before and why it is back.
        let mut changed = s1.clone();
        let pred = &mut changed["context"]["draftOrders"]["entry"][0]["resource"];
        assert_eq!(pred["id"], "S1-pred");
        pred["dosageInstruction"][0]["text"] = json!("2 tablets (40 mg) by mouth once daily");
        pred["dosageInstruction"][0]["doseAndRate"] =
            json!([{"doseQuantity": {"value": 2, "unit": "tablet"}}]);
        let (st, third) = post(&s, &hook, &changed).await;
        assert_eq!(st, 200, "{}", db.name);
        let back = card_of(&third, DOSE);
        // Both changed: the orders, and the dose's figures with them.
        let first_dose = card_of(&first, DOSE)["summary"]
            .as_str()
            .unwrap()
            .to_string();
        let line = back["detail"]
            .as_str()
            .unwrap()
            .rsplit("\n\n")
            .next()
            .unwrap();
        assert!(
            line.starts_with(&format!(
                "*Overridden for this patient on {today}; shown again because the draft orders \
                 changed, and its figures with them (then: "
            )) && line.ends_with(").*")
                && line.contains("0.86 mg/kg")
                && first_dose.contains("0.86 mg/kg"),
            "{}: {back}",
            db.name
        );
        // 4. A critical card overridden is shown again, saying why.
        let s10 = fixture("S10.json");
        let (st, crit) = post(&s, &hook, &s10).await;
        assert_eq!(st, 200, "{}", db.name);
        assert_eq!(crit["cards"][0]["indicator"], "critical", "{}", db.name);
        let uuid = crit["cards"][0]["uuid"].as_str().unwrap().to_string();
        let (st, _) = post(&s, &fb, &override_of(&uuid)).await;
        assert_eq!(st, 200, "{}", db.name);
        let (st, again) = post(&s, &hook, &s10).await;
        assert_eq!(st, 200, "{}", db.name);
        assert_eq!(again["cards"][0]["indicator"], "critical", "{}", db.name);
        assert!(
            again["cards"][0]["detail"]
                .as_str()
                .unwrap()
                .ends_with("shown again because critical cards are never held back.*"),
            "{}: {again}",
            db.name
        );
    }
}
