//! Write, kill -9, restart: every card and feedback item the service
//! acknowledged (HTTP 200) is in the database afterwards. On SQLite and, when
//! configured, PostgreSQL.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::process::{Service, BIN};
use common::store_support::{temp_dir, TestDb};
use common::*;
use serde_json::{json, Value};
use ssc_myositis_cds::store::feedback::Outcome;

const SIGN: &str = "ssc-myositis-order-sign";

#[derive(Default)]
struct Acknowledged {
    cards: Vec<String>,
    /// Cards whose "overridden" feedback got 200.
    feedback: Vec<String>,
}

async fn load(base: String, acked: Arc<Mutex<Acknowledged>>, stop: Arc<AtomicBool>) {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let body = fixture("S1.json");
    while !stop.load(Ordering::Relaxed) {
        let Ok(r) = client
            .post(format!("{base}/cds-services/{SIGN}"))
            .json(&body)
            .send()
            .await
        else {
            break;
        };
        if r.status() != 200 {
            break;
        }
        let Ok(v) = r.json::<Value>().await else {
            break;
        };
        let uuids: Vec<String> = v["cards"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["uuid"].as_str().unwrap().to_string())
            .collect();
        acked.lock().unwrap().cards.extend(uuids.iter().cloned());
        let fb = json!({"feedback": [{"card": uuids[0], "outcome": "overridden",
            "outcomeTimestamp": "2026-11-24T10:00:00Z", "overrideReason": {"userComment": "not now"}}]});
        let Ok(r) = client
            .post(format!("{base}/cds-services/{SIGN}/feedback"))
            .json(&fb)
            .send()
            .await
        else {
            break;
        };
        if r.status() == 200 {
            acked.lock().unwrap().feedback.push(uuids[0].clone());
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_acknowledged_is_lost_to_a_sigkill() {
    for db in TestDb::all().await {
        let dir = temp_dir("crash");
        let key = dir.join("audit.key");
        std::fs::write(&key, "crash-test-audit-key-0123456789abcdef").unwrap();
        // The load overrides the first card of every call; what is under
        // test is durability, so overrides are not remembered here, every
        // call shows its cards and the report counts each.
        let policy = dir.join("policy.toml");
        std::fs::write(
            &policy,
            "override_hold_days = 0\nresend_window_minutes = 0\n",
        )
        .unwrap();
        let database = if db.name == "sqlite" {
            dir.join("records.sqlite").display().to_string()
        } else {
            db.url.clone()
        };
        let args = [
            "--listen",
            "127.0.0.1:0",
            "--database",
            &database,
            "--audit-key-file",
            key.to_str().unwrap(),
            "--today",
            TODAY,
            "--policy",
            policy.to_str().unwrap(),
        ];
        let mut svc = Service::start(&args, &[]);
        let acked = Arc::new(Mutex::new(Acknowledged::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let tasks: Vec<_> = (0..4)
            .map(|_| tokio::spawn(load(svc.url(""), acked.clone(), stop.clone())))
            .collect();
        // Kill mid-load, once enough has been acknowledged (or after 20 s).
        let started = Instant::now();
        while acked.lock().unwrap().feedback.len() < 30
            && started.elapsed() < Duration::from_secs(20)
        {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        svc.kill();
        stop.store(true, Ordering::Relaxed);
        for t in tasks {
            t.await.unwrap();
        }
        let acked = std::mem::take(&mut *acked.lock().unwrap());
        assert!(
            acked.feedback.len() >= 10,
            "{}: too little load: {}",
            db.name,
            acked.feedback.len()
        );

        // Restart on the same database: everything acknowledged is there.
        let svc = Service::start(&args, &[]);
        let store =
            ssc_myositis_cds::store::Store::open(&ssc_myositis_cds::store::database_url(&database))
                .await
                .unwrap();
        let stored: std::collections::HashSet<String> =
            store.card_uuids().await.unwrap().into_iter().collect();
        let lost: Vec<&String> = acked
            .cards
            .iter()
            .filter(|c| !stored.contains(*c))
            .collect();
        assert!(
            lost.is_empty(),
            "{}: {} acknowledged cards lost: {lost:?}",
            db.name,
            lost.len()
        );
        for card in &acked.feedback {
            let f = store.feedback_for(card).await.unwrap();
            assert!(
                f.iter().any(|f| f.outcome == Outcome::Overridden),
                "{}: acknowledged feedback for {card} lost",
                db.name
            );
        }
        // The restarted service serves and counts on from there.
        let r = reqwest::Client::new()
            .post(svc.url(&format!("/cds-services/{SIGN}")))
            .json(&fixture("S1.json"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let after: Value = r.json().await.unwrap();
        let new_cards = after["cards"].as_array().unwrap().len();
        assert!(new_cards > 0);
        let out = std::process::Command::new(BIN)
            .args(["report", "--format", "json", "--database", &database])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let report: Value = serde_json::from_slice(&out.stdout).unwrap();
        let shown = report["services"][0]["shown"].as_u64().unwrap() as usize;
        assert!(
            shown >= acked.cards.len() + new_cards,
            "{}: {shown} < {} + {new_cards}",
            db.name,
            acked.cards.len()
        );
        assert!(
            report["services"][0]["overridden"].as_u64().unwrap() as usize >= acked.feedback.len()
        );
        eprintln!(
            "{}: {} cards and {} feedback items acknowledged before SIGKILL, all present",
            db.name,
            acked.cards.len(),
            acked.feedback.len()
        );
        drop(svc);
        store.close().await;
        db.drop_db().await;
        let _ = std::fs::remove_dir_all(dir);
    }
}
