//! Connection hygiene against idle and slow clients: headers that never
//! finish, connections on which nothing moves, bodies that stall, and a
//! slowloris crowd larger than the process's file limit, under which a
//! legitimate caller still gets through.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use ssc_myositis_cds::engine::Engine;
use ssc_myositis_cds::http::{serve_listener, AppState, AuthMode, Limits};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Longest any step may take before the test calls it a hang.
const GUARD: Duration = Duration::from_secs(20);

async fn serve(limits: Limits) -> String {
    let state = Arc::new(AppState::new(
        Engine::with_defaults().unwrap(),
        limits,
        AuthMode::Disabled,
    ));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    tokio::spawn(serve_listener(state, listener, std::future::pending()));
    addr
}

/// Reads until the server closes the connection; what it sent.
async fn until_closed(stream: &mut TcpStream) -> String {
    let mut out = Vec::new();
    tokio::time::timeout(GUARD, stream.read_to_end(&mut out))
        .await
        .expect("the server kept the connection open")
        .ok();
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test]
async fn headers_that_never_finish_are_cut_off() {
    let addr = serve(Limits {
        header_read_timeout: Duration::from_millis(300),
        ..Limits::default()
    })
    .await;
    let mut s = TcpStream::connect(&addr).await.unwrap();
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: a")
        .await
        .unwrap();
    let got = until_closed(&mut s).await;
    assert!(!got.contains("200 OK"), "{got}");
}

#[tokio::test]
async fn a_connection_on_which_nothing_moves_is_closed() {
    let addr = serve(Limits {
        header_read_timeout: Duration::from_secs(600),
        idle_timeout: Duration::from_millis(300),
        ..Limits::default()
    })
    .await;
    // Silent from the start.
    let mut s = TcpStream::connect(&addr).await.unwrap();
    assert_eq!(until_closed(&mut s).await, "");
    // Silent after a request was served on it (kept alive).
    let mut s = TcpStream::connect(&addr).await.unwrap();
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let got = until_closed(&mut s).await;
    assert!(got.starts_with("HTTP/1.1 200"), "{got}");
}

#[tokio::test]
async fn a_stalled_body_is_refused() {
    let addr = serve(Limits {
        body_read_timeout: Duration::from_millis(300),
        request_timeout: Duration::from_secs(600),
        ..Limits::default()
    })
    .await;
    let mut s = TcpStream::connect(&addr).await.unwrap();
    s.write_all(
        b"POST /cds-services/ssc-myositis-order-sign HTTP/1.1\r\nHost: x\r\n\
          Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"hook\": ",
    )
    .await
    .unwrap();
    let mut buf = vec![0u8; 4096];
    let n = tokio::time::timeout(GUARD, s.read(&mut buf))
        .await
        .expect("the stalled body was waited on")
        .unwrap();
    let got = String::from_utf8_lossy(&buf[..n]);
    assert!(got.starts_with("HTTP/1.1 400"), "{got}");
    assert!(got.contains("OperationOutcome"), "{got}");
}

/// The idle timeout applies between requests, not to one under way: a body
/// that stalls longer than it is answered by the body-read timeout.
#[tokio::test]
async fn a_request_under_way_outlives_the_idle_timeout() {
    let addr = serve(Limits {
        idle_timeout: Duration::from_millis(200),
        body_read_timeout: Duration::from_millis(1500),
        ..Limits::default()
    })
    .await;
    let mut s = TcpStream::connect(&addr).await.unwrap();
    s.write_all(
        b"POST /cds-services/ssc-myositis-order-sign HTTP/1.1\r\nHost: x\r\n\
          Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"hook\": ",
    )
    .await
    .unwrap();
    let got = until_closed(&mut s).await;
    assert!(got.starts_with("HTTP/1.1 400"), "{got:?}");
}

/// At the connection cap, connections with no request under way are closed
/// after a short grace, whatever their own timeouts, so a caller queued
/// behind a crowd of slow ones gets in.
#[tokio::test]
async fn at_the_cap_slow_connections_make_way() {
    let addr = serve(Limits {
        max_connections: 10,
        header_read_timeout: Duration::from_secs(600),
        idle_timeout: Duration::from_secs(600),
        ..Limits::default()
    })
    .await;
    let mut crowd = Vec::new();
    for _ in 0..10 {
        let mut s = TcpStream::connect(&addr).await.unwrap();
        s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: a")
            .await
            .unwrap();
        crowd.push(s);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let client = reqwest::Client::builder().timeout(GUARD).build().unwrap();
    let r = client
        .get(format!("http://{addr}/healthz"))
        .send()
        .await
        .expect("a caller behind the crowd got in");
    assert_eq!(r.status().as_u16(), 200);
    // The first of the crowd was closed to make way.
    assert_eq!(until_closed(&mut crowd[0]).await, "");
}

/// The release scenario, scaled to a test: the binary under a 256-file limit,
/// 400 connections sending their headers a byte at a time. Before the
/// connection cap and header-read timeout the file descriptors ran out and
/// nobody else got in; now a legitimate call is answered and the log says
/// the cap was reached.
#[tokio::test]
async fn a_slowloris_crowd_beyond_the_file_limit_leaves_the_service_reachable() {
    let _ = rlimit::increase_nofile_limit(4096);
    let mut child = Command::new("sh")
        .args([
            "-c",
            "ulimit -n 256 && exec \"$0\" \"$@\"",
            env!("CARGO_BIN_EXE_ssc-myositis-cds"),
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--header-read-timeout-ms",
            "1000",
        ])
        .env("RUST_LOG", "info")
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (addr_tx, addr_rx) = std::sync::mpsc::channel();
    let log = Arc::new(std::sync::Mutex::new(String::new()));
    let log_w = log.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(a) = line.split("address=").nth(1) {
                let _ = addr_tx.send(a.split_whitespace().next().unwrap_or("").to_string());
            }
            log_w.lock().unwrap().push_str(&line);
            log_w.lock().unwrap().push('\n');
        }
    });
    let addr = match addr_rx.recv_timeout(Duration::from_secs(60)) {
        Ok(a) => a,
        Err(_) => {
            child.kill().unwrap();
            panic!("no listening line: {}", log.lock().unwrap());
        }
    };

    let mut crowd = tokio::task::JoinSet::new();
    for _ in 0..400 {
        let addr = addr.clone();
        crowd.spawn(async move {
            let Ok(mut s) = TcpStream::connect(&addr).await else {
                return;
            };
            if s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
                .await
                .is_err()
            {
                return;
            }
            loop {
                tokio::time::sleep(Duration::from_millis(200)).await;
                if s.write_all(b"a").await.is_err() {
                    return;
                }
            }
        });
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let client = reqwest::Client::builder().timeout(GUARD).build().unwrap();
    let got = client.get(format!("http://{addr}/healthz")).send().await;
    crowd.abort_all();
    child.kill().unwrap();
    let _ = child.wait();
    let log = log.lock().unwrap().clone();
    let resp = got.unwrap_or_else(|e| panic!("unreachable under the crowd: {e}\n{log}"));
    assert_eq!(resp.status().as_u16(), 200);
    assert!(log.contains("connection limit reached"), "{log}");
    assert!(log.contains("open_file_limit=256"), "{log}");
}
