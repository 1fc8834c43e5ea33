//! A real FHIR R4 server on loopback (sekmet-fhir, from PyPI, with bearer
//! auth) for the tests that need one: `.ci/run` installs it into
//! `target/fhir-venv` and sets SSC_CDS_REQUIRE_FHIR_SERVER=1, where a missing
//! server fails the test instead of skipping it.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running server, stopped when dropped.
pub struct FhirServer {
    pub base: String,
    pub port: u16,
    /// Its data directory, removed with it.
    pub dir: PathBuf,
    child: Child,
}

impl Drop for FhirServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn sekmet() -> Option<PathBuf> {
    let from_env = std::env::var_os("SSC_CDS_SEKMET").map(PathBuf::from);
    let venv = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/fhir-venv/bin/sekmet");
    from_env.into_iter().chain([venv]).find(|p| p.exists())
}

/// Starts a server accepting `token` in a fresh directory named after
/// `name`, and waits for its metadata; `None` (saying so) when none is
/// installed and none is required.
pub async fn start(name: &str, token: &str) -> Option<FhirServer> {
    let Some(bin) = sekmet() else {
        assert!(
            std::env::var("SSC_CDS_REQUIRE_FHIR_SERVER").is_err(),
            "the FHIR server is required here: install it (see .ci/run)"
        );
        eprintln!("skipped: no FHIR server installed (.ci/run installs sekmet-fhir into target/fhir-venv)");
        return None;
    };
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = std::env::temp_dir().join(format!("{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let base = format!("http://127.0.0.1:{port}/fhir");
    std::fs::write(
        dir.join("settings.yaml"),
        format!(
            "base_url: {base}\nhost: 127.0.0.1\nport: {port}\ndata_dir: data\nserver_auth:\n  types: [bearer]\n  tokens: [{token}]\nvalidation:\n  inbound: warn\nsimulator:\n  enabled: false\n"
        ),
    )
    .unwrap();
    let server = FhirServer {
        base: base.clone(),
        port,
        dir: dir.clone(),
        child: Command::new(&bin)
            .args(["serve", "--config", "settings.yaml"])
            .current_dir(&dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the FHIR server"),
    };
    let http = reqwest::Client::new();
    let started = Instant::now();
    loop {
        if let Ok(r) = http.get(format!("{base}/metadata")).send().await {
            if r.status().is_success() {
                break;
            }
        }
        assert!(
            started.elapsed() < Duration::from_secs(90),
            "the FHIR server did not start"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    Some(server)
}

impl FhirServer {
    /// Our service, with no prefetch of its own, allowed to fetch from this
    /// server only (generous deadlines: the server is a Python process
    /// sharing two cores with the tests).
    pub async fn service(&self) -> super::Server {
        use ssc_myositis_cds::engine::Engine;
        use ssc_myositis_cds::http::{AppState, AuthMode, Limits};
        use ssc_myositis_cds::prefetch::{FetchSettings, Fetcher};
        let mut state = AppState::new(
            Engine::with_defaults().unwrap(),
            Limits::default(),
            AuthMode::Disabled,
        );
        state.fetcher = Fetcher::new(FetchSettings {
            allowed_servers: vec![self.base.clone()],
            request_timeout: Duration::from_secs(10),
            deadline: Duration::from_secs(20),
            ..FetchSettings::default()
        })
        .unwrap();
        super::start_with(state).await.0
    }
}
