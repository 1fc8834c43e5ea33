//! The listener: connections, their timeouts and cap, and shutdown.

use super::{ops, router, AppState, AuthMode, Limits};
use axum::Router;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;

/// The log filter for `spec` (`RUST_LOG` syntax), with the HTTP client and
/// TLS crates held at `warn` whatever the level: at debug they log the
/// origins of the FHIR and JWKS servers they connect to.
pub fn log_filter(spec: &str) -> tracing_subscriber::EnvFilter {
    let mut filter = tracing_subscriber::EnvFilter::try_new(spec)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    for quiet in QUIET_TARGETS {
        filter = filter.add_directive(format!("{quiet}=warn").parse().expect("valid directive"));
    }
    filter
}

/// Crates whose debug logs name the servers connected to.
const QUIET_TARGETS: &[&str] = &["reqwest", "hyper", "hyper_util", "rustls", "h2"];

/// Binds and serves until Ctrl-C / SIGTERM.
pub async fn serve(state: Arc<AppState>, listen: SocketAddr) -> std::io::Result<()> {
    let socket = if listen.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.bind(listen)?;
    serve_listener(state, socket.listen(LISTEN_BACKLOG)?, shutdown()).await
}

/// Connections the kernel queues for accepting (it caps this at
/// `net.core.somaxconn`). Deeper than the usual 1024, so that at the
/// connection cap a legitimate caller waits in the queue rather than having
/// its connection attempt dropped and retried seconds later.
const LISTEN_BACKLOG: u32 = 8192;

/// Serves on `listener` until `stop` completes, then lets open requests
/// finish (for at most [`Limits::shutdown_grace`]).
///
/// Each connection is HTTP/1.1 with a header-read timeout, an idle timeout
/// and a body-read timeout ([`Limits`]); at most `max_connections` are open at
/// once. At the cap no connection is accepted (new ones wait in the kernel's
/// backlog) until one closes, and the log says so (at most every 10 s).
pub async fn serve_listener(
    state: Arc<AppState>,
    listener: tokio::net::TcpListener,
    stop: impl std::future::Future<Output = ()> + Send,
) -> std::io::Result<()> {
    let addr = listener.local_addr()?;
    let _ = state.listen_base.set(crate::config::listen_base(addr));
    if let AuthMode::Required(verifier) = &state.auth {
        verifier.warm_up();
    }
    let limits = state.limits.clone();
    let max = limits
        .max_connections
        .clamp(1, Semaphore::MAX_PERMITS.min(u32::MAX as usize));
    tracing::info!(address = %addr, max_connections = max, "listening");
    let app = router(state);
    let slots = Arc::new(Semaphore::new(max));
    let (closing, closing_rx) = tokio::sync::watch::channel(false);
    // Set while connections are at (or near) the cap: waiting connections are shed.
    let (crowded, crowded_rx) = tokio::sync::watch::channel(false);
    tokio::pin!(stop);
    let mut cap_logged: Option<Instant> = None;
    let mut last_accept_error: Option<Instant> = None;
    loop {
        let permit = match slots.clone().try_acquire_owned() {
            Ok(p) => {
                if slots.available_permits() > max / 10 {
                    crowded.send_if_modified(|c| std::mem::replace(c, false));
                }
                p
            }
            Err(_) => {
                crowded.send_if_modified(|c| !std::mem::replace(c, true));
                // Once per 10 s at most: under attack the cap is hit per connection.
                if cap_logged.is_none_or(|t| t.elapsed() >= Duration::from_secs(10)) {
                    tracing::warn!(
                        max_connections = max,
                        "connection limit reached: new connections wait until one closes"
                    );
                    cap_logged = Some(Instant::now());
                }
                tokio::select! {
                    p = slots.clone().acquire_owned() => p.expect("semaphore never closed"),
                    () = &mut stop => break,
                }
            }
        };
        let stream = tokio::select! {
            r = listener.accept() => match r {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of file descriptors, or a connection reset before
                    // it was accepted: log (once a second at most) and go on.
                    if last_accept_error.is_none_or(|t| t.elapsed() > Duration::from_secs(1)) {
                        tracing::warn!(error = %e, "accept failed");
                        last_accept_error = Some(Instant::now());
                    }
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                }
            },
            () = &mut stop => break,
        };
        let _ = stream.set_nodelay(true);
        tokio::spawn(connection(
            stream,
            app.clone(),
            limits.clone(),
            permit,
            closing_rx.clone(),
            crowded_rx.clone(),
        ));
    }
    drop(listener);
    let _ = closing.send(true);
    let _ = tokio::time::timeout(limits.shutdown_grace, slots.acquire_many(max as u32)).await;
    Ok(())
}

/// How long a connection without a request under way may stay open while
/// connections are at the cap: long enough for any client that means to send
/// a request, short enough that a crowd of slow ones turns over.
const CROWDED_GRACE: Duration = Duration::from_secs(1);

/// Serves one connection until it ends, times out, idles or the server stops.
/// While connections are at the cap, one that has no request under way (still
/// sending headers, or kept alive) for [`CROWDED_GRACE`] is closed.
async fn connection(
    stream: tokio::net::TcpStream,
    app: Router,
    limits: Limits,
    _slot: tokio::sync::OwnedSemaphorePermit,
    mut closing: tokio::sync::watch::Receiver<bool>,
    mut crowded: tokio::sync::watch::Receiver<bool>,
) {
    let _open = ops::OpenConnection::new();
    let started = Instant::now();
    let since_start = move || started.elapsed().as_millis() as u64;
    let activity = Arc::new(AtomicU64::new(0));
    // Requests under way, and when the last one was answered (ms since start).
    let busy = Arc::new(AtomicU64::new(0));
    let answered = Arc::new(AtomicU64::new(0));
    let io = hyper_util::rt::TokioIo::new(Watched {
        inner: stream,
        started,
        activity: activity.clone(),
    });
    let (busy_in, busy_out, answered_out) = (busy.clone(), busy.clone(), answered.clone());
    let service = tower::ServiceBuilder::new()
        .layer(tower_http::timeout::RequestBodyTimeoutLayer::new(
            limits.body_read_timeout,
        ))
        .map_request(move |req| {
            busy_in.fetch_add(1, Ordering::Relaxed);
            req
        })
        .map_future(move |fut| {
            let (busy, answered) = (busy_out.clone(), answered_out.clone());
            async move {
                let r = fut.await;
                answered.store(since_start(), Ordering::Relaxed);
                busy.fetch_sub(1, Ordering::Relaxed);
                r
            }
        })
        .service(app);
    let service = hyper_util::service::TowerToHyperService::new(service);
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .keep_alive(true);
    let conn = http.serve_connection(io, service);
    tokio::pin!(conn);
    // When this connection may be closed, and why.
    let deadline = |crowded: bool| {
        if busy.load(Ordering::Relaxed) > 0 {
            // A request under way is bounded by the request and body
            // timeouts, not by this one: look again later.
            return (Instant::now() + limits.idle_timeout, "");
        }
        let last = Duration::from_millis(activity.load(Ordering::Relaxed));
        let idle = (
            started + last + limits.idle_timeout,
            "idle connection closed",
        );
        if crowded {
            let waiting = Duration::from_millis(answered.load(Ordering::Relaxed));
            let shed = (
                started + waiting + CROWDED_GRACE,
                "connection without a request closed at the connection limit",
            );
            return if shed.0 < idle.0 { shed } else { idle };
        }
        idle
    };
    loop {
        let (at, _) = deadline(*crowded.borrow());
        tokio::select! {
            _ = conn.as_mut() => return,
            _ = closing.changed() => {
                conn.as_mut().graceful_shutdown();
                let _ = tokio::time::timeout(limits.shutdown_grace, conn.as_mut()).await;
                return;
            }
            Ok(()) = crowded.changed() => {}
            () = tokio::time::sleep_until(tokio::time::Instant::from_std(at)) => {
                let (at, why) = deadline(*crowded.borrow());
                if Instant::now() >= at {
                    tracing::debug!("{why}");
                    return;
                }
            }
        }
    }
}

/// A TCP stream that notes when a byte last moved (ms since `started`).
struct Watched {
    inner: tokio::net::TcpStream,
    started: Instant,
    activity: Arc<AtomicU64>,
}

impl Watched {
    fn touch(&self) {
        let ms = self.started.elapsed().as_millis() as u64;
        self.activity.store(ms, Ordering::Relaxed);
    }
}

impl tokio::io::AsyncRead for Watched {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let r = std::pin::Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.touch();
        }
        r
    }
}

impl tokio::io::AsyncWrite for Watched {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        data: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        let r = std::pin::Pin::new(&mut self.inner).poll_write(cx, data);
        if matches!(r, std::task::Poll::Ready(Ok(n)) if n > 0) {
            self.touch();
        }
        r
    }
    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

async fn shutdown() {
    #[cfg(unix)]
    let terminate = async {
        let mut s = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        s.recv().await;
        Ok(())
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<std::io::Result<()>>();
    until_signalled(tokio::signal::ctrl_c(), terminate).await;
    tracing::info!("shutting down");
}

/// Resolves when either signal arrives. A signal that could not be
/// registered is logged and never arrives: it does not stop the server.
async fn until_signalled(
    interrupt: impl std::future::Future<Output = std::io::Result<()>>,
    terminate: impl std::future::Future<Output = std::io::Result<()>>,
) {
    async fn arrived(which: &str, wait: impl std::future::Future<Output = std::io::Result<()>>) {
        if let Err(e) = wait.await {
            tracing::error!(signal = which, error = %e, "cannot listen for the signal; stop the service another way");
            std::future::pending::<()>().await;
        }
    }
    tokio::select! {
        _ = arrived("interrupt", interrupt) => {}
        _ = arrived("terminate", terminate) => {}
    }
}

#[cfg(test)]
mod signal_tests {
    use super::until_signalled;
    use std::time::Duration;

    fn failed() -> std::io::Result<()> {
        Err(std::io::Error::other("no signal handling here"))
    }

    #[tokio::test]
    async fn a_signal_that_cannot_be_registered_does_not_stop_the_server() {
        let both_failed = until_signalled(async { failed() }, async { failed() });
        assert!(
            tokio::time::timeout(Duration::from_millis(50), both_failed)
                .await
                .is_err(),
            "the server stopped"
        );
        // The other signal still stops it.
        let one_arrives = until_signalled(async { failed() }, async { Ok(()) });
        assert!(tokio::time::timeout(Duration::from_millis(50), one_arrives)
            .await
            .is_ok());
    }
}
