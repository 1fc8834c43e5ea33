//! Three replicas on one PostgreSQL behind haproxy, all on loopback: hooks
//! and feedback through the balancer, a token replayed on another replica is
//! refused, one replica is killed with SIGKILL mid-load, and afterwards
//! nothing acknowledged is missing and the report counts agree.
//!
//! Run by `tests/replicas.sh` (which installs haproxy when absent); ignored
//! in a plain `cargo test`.

mod common;

use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::process::Service;
use common::store_support::{postgres_admin, temp_dir, TestDb};
use common::*;
use serde_json::{json, Value};
use ssc_myositis_cds::store::feedback::Outcome;

const SIGN: &str = "ssc-myositis-order-sign";

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Haproxy(Child);

impl Drop for Haproxy {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[derive(Default)]
struct Acknowledged {
    cards: Vec<String>,
    feedback: Vec<String>,
    errors: usize,
}

async fn load(
    lb: String,
    client: Arc<jwt::Client>,
    acked: Arc<Mutex<Acknowledged>>,
    stop: Arc<AtomicBool>,
) {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let body = fixture("S1.json");
    let hook = format!("{lb}/cds-services/{SIGN}");
    let feedback = format!("{hook}/feedback");
    while !stop.load(Ordering::Relaxed) {
        let r = http
            .post(&hook)
            .bearer_auth(client.token(&hook))
            .json(&body)
            .send()
            .await;
        let v: Value = match r {
            Ok(r) if r.status() == 200 => r.json().await.unwrap(),
            _ => {
                acked.lock().unwrap().errors += 1;
                continue;
            }
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
        match http
            .post(&feedback)
            .bearer_auth(client.token(&feedback))
            .json(&fb)
            .send()
            .await
        {
            Ok(r) if r.status() == 200 => acked.lock().unwrap().feedback.push(uuids[0].clone()),
            _ => acked.lock().unwrap().errors += 1,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "multi-process: run by tests/replicas.sh"]
async fn three_replicas_behind_haproxy_lose_nothing_acknowledged() {
    let haproxy = which("haproxy").expect("haproxy not installed (tests/replicas.sh installs it)");
    let admin = postgres_admin().expect("the replica test needs SSC_CDS_TEST_POSTGRES");
    let db = TestDb::postgres(&admin).await;
    let dir = temp_dir("replicas");
    let key = dir.join("audit.key");
    std::fs::write(&key, "replica-test-audit-key-0123456789abcdef").unwrap();
    // The load overrides the first card of every call; what is under test
    // is that nothing acknowledged is lost, so overrides are not remembered
    // here, every call shows its cards and the report counts each
    // (`tests/records.rs` tests holding back and re-sends across replicas).
    let policy = dir.join("policy.toml");
    std::fs::write(
        &policy,
        "override_hold_days = 0\nresend_window_minutes = 0\n",
    )
    .unwrap();
    let lb_port = free_port();
    let lb = format!("http://127.0.0.1:{lb_port}");
    let client = Arc::new(jwt::Client::new("https://ehr.example.org"));
    let auth = dir.join("auth.toml");
    std::fs::write(&auth, client.admin_config(&lb)).unwrap();

    let ports: Vec<u16> = (0..3).map(|_| free_port()).collect();
    let mut replicas: Vec<Service> = ports
        .iter()
        .map(|p| {
            let listen = format!("127.0.0.1:{p}");
            Service::start(
                &[
                    "--listen",
                    &listen,
                    "--database",
                    &db.url,
                    "--audit-key-file",
                    key.to_str().unwrap(),
                    "--auth-config",
                    auth.to_str().unwrap(),
                    "--today",
                    TODAY,
                    "--policy",
                    policy.to_str().unwrap(),
                ],
                &[],
            )
        })
        .collect();
    let servers: String = ports
        .iter()
        .enumerate()
        .map(|(i, p)| format!("    server r{i} 127.0.0.1:{p} check\n"))
        .collect();
    let cfg = dir.join("haproxy.cfg");
    std::fs::write(
        &cfg,
        format!(
            "global\n    maxconn 256\n\
             defaults\n    mode http\n    timeout connect 2s\n    timeout client 15s\n    timeout server 15s\n    retries 3\n    option redispatch\n\
             frontend cds\n    bind 127.0.0.1:{lb_port}\n    default_backend replicas\n\
             backend replicas\n    balance roundrobin\n    option httpchk GET /healthz\n    default-server inter 200ms fall 1 rise 2\n{servers}"
        ),
    )
    .unwrap();
    let _lb = Haproxy(
        Command::new(haproxy)
            .args(["-db", "-f", cfg.to_str().unwrap()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let http = reqwest::Client::new();
    let started = Instant::now();
    loop {
        let r = http.get(format!("{lb}/healthz")).send().await;
        if r.is_ok_and(|r| r.status() == 200) {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "haproxy did not come up"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // A token used on one replica is refused on the others.
    let hook = format!("{lb}/cds-services/{SIGN}");
    let token = client.token(&hook);
    let direct = |i: usize, t: &str| {
        http.post(replicas[i].url(&format!("/cds-services/{SIGN}")))
            .bearer_auth(t)
            .json(&fixture("S1.json"))
            .send()
    };
    let first = direct(0, &token).await.unwrap();
    assert_eq!(first.status(), 200);
    // Cards one S1 call returns (the direct call, and each call in flight).
    let per_call = first.json::<Value>().await.unwrap()["cards"]
        .as_array()
        .unwrap()
        .len();
    assert!(per_call > 0);
    assert_eq!(
        direct(1, &token).await.unwrap().status(),
        401,
        "replayed on replica 1"
    );
    assert_eq!(
        direct(2, &token).await.unwrap().status(),
        401,
        "replayed on replica 2"
    );

    // Load through haproxy; replica 1 is killed mid-way.
    let acked = Arc::new(Mutex::new(Acknowledged::default()));
    let stop = Arc::new(AtomicBool::new(false));
    let tasks: Vec<_> = (0..4)
        .map(|_| {
            tokio::spawn(load(
                lb.clone(),
                client.clone(),
                acked.clone(),
                stop.clone(),
            ))
        })
        .collect();
    let wait_for = |n: usize| {
        let acked = acked.clone();
        async move {
            let t = Instant::now();
            while acked.lock().unwrap().feedback.len() < n && t.elapsed() < Duration::from_secs(60)
            {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    };
    wait_for(40).await;
    replicas[1].kill();
    let at_kill = acked.lock().unwrap().feedback.len();
    wait_for(at_kill + 40).await;
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        t.await.unwrap();
    }
    let acked = std::mem::take(&mut *acked.lock().unwrap());
    assert!(
        acked.feedback.len() >= at_kill + 40,
        "the two replicas left did not carry the load: {} after the kill at {at_kill}",
        acked.feedback.len()
    );

    // Nothing acknowledged is missing.
    let store = db.open().await;
    let stored: std::collections::HashSet<String> =
        store.card_uuids().await.unwrap().into_iter().collect();
    let lost: Vec<&String> = acked
        .cards
        .iter()
        .filter(|c| !stored.contains(*c))
        .collect();
    assert!(lost.is_empty(), "{} acknowledged cards lost", lost.len());
    for card in &acked.feedback {
        assert!(
            store
                .feedback_for(card)
                .await
                .unwrap()
                .iter()
                .any(|f| f.outcome == Outcome::Overridden),
            "acknowledged feedback for {card} lost"
        );
    }

    // The report, through the balancer, agrees with what was acknowledged:
    // at least every acknowledged card, at most those plus the calls in
    // flight at the kill (4 clients x the cards of one call), and the direct call.
    let url = format!("{lb}/admin/report.json");
    let report: Value = http
        .get(&url)
        .bearer_auth(client.token(&url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        report,
        serde_json::to_value(store.report(0, None).await.unwrap()).unwrap()
    );
    let svc = &report["services"][0];
    let shown = svc["shown"].as_u64().unwrap() as usize;
    let acked_cards = acked.cards.len() + per_call; // + the direct call on replica 0
    assert!(
        shown >= acked_cards && shown <= acked_cards + 4 * per_call,
        "shown {shown}, acknowledged {acked_cards}"
    );
    assert_eq!(shown, stored.len());
    let overridden = svc["overridden"].as_u64().unwrap() as usize;
    assert!(
        overridden >= acked.feedback.len() && overridden <= acked.feedback.len() + 4,
        "overridden {overridden}, acknowledged {}",
        acked.feedback.len()
    );
    eprintln!(
        "replicas: {} cards and {} feedback items acknowledged ({} refused or failed around the kill); report: shown {shown}, overridden {overridden}",
        acked.cards.len(),
        acked.feedback.len(),
        acked.errors
    );
    drop(replicas);
    store.close().await;
    db.drop_db().await;
    let _ = std::fs::remove_dir_all(dir);
}

fn which(name: &str) -> Option<std::path::PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join(name))
            .find(|p| p.is_file())
    })
}
