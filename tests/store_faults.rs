//! The record store under real faults: a disk filled to the brim, a
//! filesystem remounted read-only, the database file deleted or replaced
//! under a running service, the PostgreSQL connection cut. In every case a
//! request acknowledged with 2xx has its records on disk, a request whose
//! records cannot be written is refused with 503 and an OperationOutcome,
//! `/readyz` says so, and the store recovers by itself when the fault clears.
//!
//! The disk faults need root (a tmpfs in a private mount namespace): without
//! it they are skipped with the reason printed, except under CI, where they
//! must run.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::process::BIN;
use common::store_support::{postgres_admin, temp_dir, TestDb};
use common::*;
use serde_json::Value;
use ssc_myositis_cds::engine::Engine;
use ssc_myositis_cds::http::{AppState, Audit, AuthMode, Limits};
use ssc_myositis_cds::store::{AuditKey, Store};

const SIGN: &str = "ssc-myositis-order-sign";

/// Whether the fault needs root that this run lacks: `true` means skip.
fn skip_without_root(what: &str) -> bool {
    let root = Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false);
    let unshare = Command::new("unshare")
        .args(["-m", "true"])
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if root && unshare {
        return false;
    }
    assert!(
        std::env::var("CI").is_err(),
        "CI must run {what}: it needs root and unshare -m"
    );
    eprintln!("{what}: SKIPPED (needs root and unshare -m for a private tmpfs)");
    true
}

/// A small tmpfs of its own (private mount namespace) and a shell in that
/// namespace acting on it when asked: `start` (the service, its log in
/// `serve.log`), `kill9`, `term`, `fill` (a file taking every free byte),
/// `free`, `ro` (remount read-only), `quit` (copies the database files out
/// for checking).
struct Jailed {
    child: Child,
    out: PathBuf,
    addr: String,
}

impl Jailed {
    fn start(size: &str) -> Jailed {
        let out = temp_dir("faults");
        let jail = out.join("jail");
        std::fs::create_dir_all(&jail).unwrap();
        std::fs::write(out.join("key"), "fault-test-audit-key-0123456789abcdef").unwrap();
        let script = format!(
            r#"set -e
mount -t tmpfs -o size={size},mode=0700 tmpfs "$J"
pid=
while [ ! -f "$O/quit" ]; do
  for c in start kill9 term fill free ro; do
    if [ -f "$O/$c" ]; then
      rm -f "$O/$c"
      case $c in
        start) rm -f "$O/serve.log"
               "$BIN" serve --listen 127.0.0.1:0 --database "$J/records.sqlite" --audit-key-file "$O/key" --today {TODAY} 2>"$O/serve.log" &
               pid=$! ;;
        kill9) kill -KILL $pid; wait $pid || true ;;
        term) kill -TERM $pid; wait $pid || true ;;
        fill) dd if=/dev/zero of="$J/filler" bs=4k 2>/dev/null || true ;;
        free) rm -f "$J/filler" ;;
        ro) mount -o remount,ro "$J" ;;
      esac
      touch "$O/$c.done"
    fi
  done
  sleep 0.02
done
[ -z "$pid" ] || kill -TERM $pid 2>/dev/null || true
wait || true
cp "$J"/records.sqlite* "$O/" 2>/dev/null || true
"#
        );
        let child = Command::new("unshare")
            .args(["-m", "--propagation", "private", "sh", "-c", &script])
            .env("J", &jail)
            .env("O", &out)
            .env("BIN", BIN)
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut jailed = Jailed {
            child,
            out,
            addr: String::new(),
        };
        jailed.serve();
        jailed
    }

    /// Starts the service and waits for its address.
    fn serve(&mut self) {
        self.act("start");
        let started = Instant::now();
        self.addr = loop {
            let log = self.log();
            if let Some(a) = log.split("address=").nth(1) {
                break a.split_whitespace().next().unwrap().to_string();
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "no start: {log}"
            );
            std::thread::sleep(Duration::from_millis(50));
        };
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Asks the namespace's shell to do `what` and waits until it is done.
    fn act(&self, what: &str) {
        std::fs::write(self.out.join(what), "").unwrap();
        let done = self.out.join(format!("{what}.done"));
        let started = Instant::now();
        while !done.exists() {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "{what} not done"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        std::fs::remove_file(done).unwrap();
    }

    /// Stops everything; the database files as they were left.
    fn stop(mut self) -> PathBuf {
        std::fs::write(self.out.join("quit"), "").unwrap();
        self.child.wait().unwrap();
        self.out.join("records.sqlite")
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.out.join("serve.log")).unwrap_or_default()
    }
}

impl Drop for Jailed {
    /// A failed test leaves no service behind.
    fn drop(&mut self) {
        let _ = std::fs::write(self.out.join("quit"), "");
    }
}

struct Outcomes {
    /// Card uuids of responses answered 200.
    acked: Vec<String>,
    ok: usize,
    refused: usize,
}

/// Sends `n` order-sign calls; every answer is 200 with cards or 503 with
/// an OperationOutcome.
async fn calls(client: &reqwest::Client, url: &str, n: usize) -> Outcomes {
    let body = fixture("S1.json");
    let mut o = Outcomes {
        acked: vec![],
        ok: 0,
        refused: 0,
    };
    for _ in 0..n {
        let r = client.post(url).json(&body).send().await.unwrap();
        let status = r.status().as_u16();
        let v: Value = r.json().await.unwrap();
        match status {
            200 => {
                o.ok += 1;
                for c in v["cards"].as_array().unwrap() {
                    o.acked.push(c["uuid"].as_str().unwrap().to_string());
                }
            }
            503 => {
                o.refused += 1;
                assert_eq!(v["resourceType"], "OperationOutcome", "{v}");
                assert!(v.get("cards").is_none());
            }
            other => panic!("answered {other}: {v}"),
        }
    }
    o
}

async fn ready(client: &reqwest::Client, url: &str) -> u16 {
    // The probe's outcome is reused for a second.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    client.get(url).send().await.unwrap().status().as_u16()
}

async fn stored_cards(db: &Path) -> Vec<String> {
    let url = ssc_myositis_cds::store::sqlite_url(db);
    let store = Store::open(&url).await.unwrap();
    let uuids = store.card_uuids().await.unwrap();
    store.close().await;
    uuids
}

fn missing(acked: &[String], stored: &[String]) -> usize {
    let stored: std::collections::HashSet<&String> = stored.iter().collect();
    acked.iter().filter(|u| !stored.contains(u)).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_refuses_records_then_recovers_and_nothing_acknowledged_is_lost() {
    if skip_without_root("the full-disk test") {
        return;
    }
    let svc = Jailed::start("8m");
    let client = reqwest::Client::new();
    let hook = svc.url(&format!("/cds-services/{SIGN}"));
    let readyz = svc.url("/readyz");
    let before = calls(&client, &hook, 10).await;
    assert_eq!(before.ok, 10, "{}", svc.log());
    assert_eq!(ready(&client, &readyz).await, 200);

    svc.act("fill");
    let full = calls(&client, &hook, 200).await;
    assert!(
        full.refused > 0,
        "the disk is full, yet nothing was refused"
    );
    assert_eq!(ready(&client, &readyz).await, 503, "ready on a full disk");
    assert!(svc.log().contains("records not written"), "{}", svc.log());

    svc.act("free");
    // Recovers without a restart.
    assert_eq!(
        ready(&client, &readyz).await,
        200,
        "not ready after the disk was freed"
    );
    let after = calls(&client, &hook, 20).await;
    assert_eq!(after.ok, 20, "{}", svc.log());

    let db = svc.stop();
    let stored = stored_cards(&db).await;
    let acked: Vec<String> = [before.acked, full.acked, after.acked].concat();
    assert_eq!(
        missing(&acked, &stored),
        0,
        "of {} acknowledged cards, some are not on disk",
        acked.len()
    );
}

/// A read-only filesystem with the write-ahead log of an unclean stop left
/// on it: the service must not call itself ready, nor answer 200.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_only_filesystem_with_a_leftover_log_is_not_ready() {
    if skip_without_root("the read-only filesystem test") {
        return;
    }
    let mut svc = Jailed::start("64m");
    let client = reqwest::Client::new();
    let before = calls(&client, &svc.url(&format!("/cds-services/{SIGN}")), 5).await;
    assert_eq!(before.ok, 5);
    svc.act("kill9");
    svc.act("ro");
    svc.act("start");
    let started = Instant::now();
    let mut addr = None;
    while started.elapsed() < Duration::from_secs(20) {
        let log = svc.log();
        if let Some(a) = log.split("address=").nth(1) {
            addr = Some(a.split_whitespace().next().unwrap().to_string());
            break;
        }
        if log.contains("error:") {
            break; // refused to start: not ready either
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    if let Some(a) = addr {
        svc.addr = a;
        assert_eq!(
            ready(&client, &svc.url("/readyz")).await,
            503,
            "ready on a read-only filesystem: {}",
            svc.log()
        );
        let ro = calls(&client, &svc.url(&format!("/cds-services/{SIGN}")), 5).await;
        assert_eq!(ro.ok, 0, "answered 200 on a read-only filesystem");
    } else {
        assert!(svc.log().contains("error:"), "{}", svc.log());
    }
    let db = svc.stop();
    let stored = stored_cards(&db).await;
    assert_eq!(missing(&before.acked, &stored), 0);
}

fn audited(store: Store) -> AppState {
    let mut state = AppState::new(
        Engine::with_defaults().unwrap(),
        Limits::default(),
        AuthMode::Disabled,
    );
    state = state.on(Some(
        chrono::NaiveDate::parse_from_str(TODAY, "%Y-%m-%d").unwrap(),
    ));
    let audit = Audit::new(
        store,
        AuditKey::new(vec![9; 32]).unwrap(),
        Duration::from_secs(2),
        &state.engine,
    );
    state = state.with_audit(audit);
    state
}

#[tokio::test]
async fn a_database_file_deleted_or_replaced_under_the_service_is_not_written_into() {
    for replace in [false, true] {
        let dir = temp_dir("deleted");
        let path = dir.join("records.sqlite");
        let store = Store::open(&ssc_myositis_cds::store::sqlite_url(&path))
            .await
            .unwrap();
        let (s, _) = start_with(audited(store.clone())).await;
        let (status, _) = s.hook(SIGN, &fixture("S1.json")).await;
        assert_eq!(status, 200);
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
        if replace {
            let other = Store::open(&ssc_myositis_cds::store::sqlite_url(&path))
                .await
                .unwrap();
            other.close().await;
        }
        let (status, body) = s.hook(SIGN, &fixture("S1.json")).await;
        assert_eq!(status, 503, "replace={replace}: {body}");
        assert_eq!(body["resourceType"], "OperationOutcome");
        let r = s
            .client
            .get(format!("{}/readyz", s.base))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 503, "replace={replace}");
        store.close().await;
        let _ = std::fs::remove_dir_all(dir);
    }
}

#[tokio::test]
async fn database_files_are_created_readable_by_their_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = temp_dir("modes");
    let path = dir.join("records.sqlite");
    let store = Store::open(&ssc_myositis_cds::store::sqlite_url(&path))
        .await
        .unwrap();
    store
        .record_cards(&[])
        .await
        .expect("nothing to write is fine");
    assert!(store.ready().await.is_ok());
    for suffix in ["", "-wal", "-shm"] {
        let p = format!("{}{suffix}", path.display());
        let mode = std::fs::metadata(&p).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "{p}: mode {mode:o}");
    }
    store.close().await;
    let _ = std::fs::remove_dir_all(dir);
}

/// PostgreSQL: the writer's connection killed by the server. The batch in
/// flight is refused; the next opens a new connection.
#[tokio::test]
async fn a_cut_postgresql_connection_is_replaced_without_a_restart() {
    let Some(admin) = postgres_admin() else {
        return;
    };
    use sqlx::{Connection, Executor};
    let db = TestDb::postgres(&admin).await;
    let store = db.open().await;
    let (s, _) = start_with(audited(store.clone())).await;
    let (status, first) = s.hook(SIGN, &fixture("S1.json")).await;
    assert_eq!(status, 200);
    let per_call = first["cards"].as_array().unwrap().len();
    let database = db.url.rsplit('/').next().unwrap().to_string();
    let mut conn = sqlx::AnyConnection::connect(&admin).await.unwrap();
    conn.execute(
        format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = '{database}' AND pid <> pg_backend_pid()"
        )
        .as_str(),
    )
    .await
    .unwrap();
    conn.close().await.unwrap();
    let mut acked = 0;
    let mut statuses = vec![];
    for _ in 0..5 {
        let (status, _) = s.hook(SIGN, &fixture("S1.json")).await;
        statuses.push(status);
        if status == 200 {
            acked += 1;
        }
    }
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 503),
        "{statuses:?}"
    );
    assert_eq!(statuses.last(), Some(&200), "no recovery: {statuses:?}");
    let stored = store.card_uuids().await.unwrap();
    // Every S1 response has the same cards: what is stored is exactly the
    // acknowledged calls' cards.
    assert_eq!(stored.len(), per_call * (acked + 1), "{statuses:?}");
    store.close().await;
    db.drop_db().await;
}
