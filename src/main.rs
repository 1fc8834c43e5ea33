//! `ssc-myositis-cds serve | evaluate REQUEST.json | discovery | policy |
//! report | purge | config check FILE | probe URL` (see [`cli`]): parse, load
//! the configuration, build the [`App`] once, run the command; every error
//! reaches one place that prints it and picks the exit code.

use std::path::Path;
use std::process::ExitCode;

use clap::Parser;

use ssc_myositis_cds::app::{self, App, PendingFetcher, StartError};
use ssc_myositis_cds::cli::{Cli, Command, ConfigAction, Format};
use ssc_myositis_cds::config::{self, Config};
use ssc_myositis_cds::http;
use ssc_myositis_cds::store::report::day_start_ms;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            match &e {
                StartError::Refused { outcome, .. } => {
                    eprintln!("error: {e}");
                    println!("{outcome:#}");
                }
                StartError::Setup(_) => eprintln!("error: {e}"),
                StartError::Probe(_) => eprintln!("{e}"),
            }
            ExitCode::from(e.exit_code())
        }
    }
}

fn run(cli: Cli) -> Result<(), StartError> {
    let overrides = cli.overrides();
    let load = |file: Option<&Path>| {
        Config::load(file, std::env::vars(), &overrides).map_err(|e| e.to_string())
    };
    match &cli.command {
        Command::Probe { url, timeout_ms } => return probe(url, *timeout_ms),
        Command::Config {
            action: ConfigAction::Check { file },
        } => {
            let checked = load(Some(file))
                .and_then(|cfg| App::build(cfg, Some(file)).map_err(|e| e.to_string()))
                .and_then(|app| app.check().map(|()| app).map_err(|e| e.to_string()))
                .map_err(|e| StartError::Setup(format!("{}: {e}", file.display())))?;
            let cfg = &checked.config;
            let db = if cfg.database.url.starts_with("postgres") {
                "PostgreSQL"
            } else {
                "SQLite"
            };
            println!(
                "{}: ok (listen {}, database {db})",
                file.display(),
                cfg.server.listen
            );
            return Ok(());
        }
        _ => {}
    }
    let cfg = load(cli.config.as_deref())?;
    init_logs(cfg.server.log_format);
    // For `serve`, the FHIR client is built while the matchers are.
    let fetcher =
        matches!(cli.command, Command::Serve(_)).then(|| PendingFetcher::start(&cfg.fhir));
    let app = App::build(cfg, cli.config.as_deref())?;
    match cli.command {
        Command::Serve(_) => app.serve(fetcher.expect("started for serve")),
        Command::Evaluate {
            request,
            service,
            today,
        } => {
            let body = std::fs::read(&request)
                .map_err(|e| format!("cannot read {}: {e}", request.display()))?;
            let response = app.evaluate(&body, service.as_deref(), today)?;
            println!("{}", json(&response));
            Ok(())
        }
        Command::Discovery => {
            println!("{:#}", app.engine.services.discovery());
            Ok(())
        }
        Command::Policy => {
            print!("{}", app.engine.policy.to_toml());
            Ok(())
        }
        Command::Report {
            since,
            tenant,
            format,
        } => {
            let rt = app::runtime()?;
            let store = app.store(&rt)?;
            let since = since.map(day_start_ms).unwrap_or(0);
            let r = rt
                .block_on(store.report(since, tenant.as_deref()))
                .map_err(|e| e.to_string())?;
            match format {
                Format::Text => print!("{}", r.to_text()),
                Format::Json => println!("{}", json(&r)),
            }
            Ok(())
        }
        Command::Purge => {
            let rt = app::runtime()?;
            let store = app.store(&rt)?;
            let days = app.config.database.retention_days;
            let p = rt
                .block_on(store.purge(
                    app::retention_cutoff_ms(days),
                    chrono::Utc::now().timestamp(),
                ))
                .map_err(|e| e.to_string())?;
            println!(
                "purged {} card(s), {} feedback item(s), {} expired token id(s) (retention {days} days)",
                p.cards, p.feedback, p.replay_ids
            );
            Ok(())
        }
        Command::Probe { .. } | Command::Config { .. } => {
            unreachable!("answered before the configuration is loaded")
        }
    }
}

fn json(v: &impl serde::Serialize) -> String {
    serde_json::to_string_pretty(v).expect("our own types serialise")
}

fn init_logs(format: config::LogFormat) {
    let spec = std::env::var("RUST_LOG").unwrap_or_else(|_| "info".into());
    let logs = tracing_subscriber::fmt()
        .with_env_filter(http::log_filter(&spec))
        .with_writer(std::io::stderr);
    match format {
        config::LogFormat::Human => logs
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .init(),
        config::LogFormat::Json => logs
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .init(),
    }
}

/// `probe`: Ok when `url` answers 2xx within the timeout; else exit 1.
fn probe(url: &str, timeout_ms: u64) -> Result<(), StartError> {
    let rt = app::runtime()?;
    let status = rt
        .block_on(async {
            let client = reqwest::Client::builder()
                .timeout(std::time::Duration::from_millis(timeout_ms.max(1)))
                .build()
                .map_err(|e| e.to_string())?;
            let resp = client.get(url).send().await.map_err(|e| e.to_string())?;
            Ok::<_, String>(resp.status())
        })
        .map_err(StartError::Probe)?;
    if !status.is_success() {
        return Err(StartError::Probe(format!("HTTP {}", status.as_u16())));
    }
    println!("{}", status.as_u16());
    Ok(())
}
