//! The configuration file: the annotated example holds every key with its
//! default, `config check` accepts it and names a misspelled key or a bad
//! value, and a running service takes its settings from the file and from
//! SSC_CDS_<SECTION>__<KEY> variables, with flags on top.

mod common;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Command;

use common::process::{Service, BIN};
use ssc_myositis_cds::config::{Config, KEYS};

fn example() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("config/ssc-myositis-cds.example.toml")
}

/// `section.key` of every setting line of the example, commented out or not
/// (`[trust]` and `[policy]` count as one key each).
fn example_keys(text: &str) -> BTreeSet<String> {
    let mut section = String::new();
    let mut keys = BTreeSet::new();
    for line in text.lines() {
        let l = line.trim_start_matches('#').trim();
        if let Some(name) = l.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
            section = name.trim_matches(|c| c == '[' || c == ']').to_string();
            if ["trust", "policy"].contains(&section.as_str()) {
                keys.insert(section.clone());
            }
            continue;
        }
        let Some((key, _)) = l.split_once(" = ") else {
            continue;
        };
        let key = key.trim();
        if key.chars().all(|c| c.is_ascii_lowercase() || c == '_')
            && !section.starts_with("trust")
            && section != "policy"
        {
            keys.insert(format!("{section}.{key}"));
        }
    }
    keys
}

#[test]
fn the_example_lists_every_key_with_its_default() {
    let text = std::fs::read_to_string(example()).unwrap();
    let listed = example_keys(&text);
    let known: BTreeSet<String> = KEYS.iter().map(|k| k.to_string()).collect();
    assert_eq!(
        listed, known,
        "keys of the example (left) and of the service (right) differ"
    );
    // The values set in the example are the defaults.
    let none = serde_json::json!({});
    let loaded = Config::load(Some(&example()), Vec::new(), &none).unwrap();
    assert_eq!(loaded, Config::default());
}

fn check(file: &std::path::Path, env: &[(&str, &str)]) -> (i32, String) {
    let mut cmd = Command::new(BIN);
    cmd.args(["config", "check"]).arg(file);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn config_check_accepts_the_example_and_names_what_is_wrong() {
    let (code, err) = check(&example(), &[]);
    assert_eq!(code, 0, "{err}");

    let dir = common::store_support::temp_dir("config");
    let file = dir.join("c.toml");
    let text = std::fs::read_to_string(example()).unwrap();
    std::fs::write(&file, text.replace("deadline_ms = 400", "dedline_ms = 400")).unwrap();
    let (code, err) = check(&file, &[]);
    assert_eq!(code, 2);
    assert!(
        err.contains("fhir.dedline_ms") && err.contains("c.toml"),
        "{err}"
    );

    std::fs::write(&file, text.replace("max_pages = 5", "max_pages = \"five\"")).unwrap();
    let (code, err) = check(&file, &[]);
    assert_eq!(code, 2);
    assert!(err.contains("fhir.max_pages"), "{err}");

    std::fs::write(&file, text.replace("max_pages = 5", "max_pages = 0")).unwrap();
    let (code, err) = check(&file, &[]);
    assert_eq!(code, 2);
    assert!(err.contains("fhir.max_pages must be positive"), "{err}");

    // An environment override is checked too, and named.
    let (code, err) = check(&example(), &[("SSC_CDS_LIMITS__MAX_CONECTIONS", "9")]);
    assert_eq!(code, 2);
    assert!(
        err.contains("max_conections") && err.contains("SSC_CDS_LIMITS__MAX_CONECTIONS"),
        "{err}"
    );

    // Inline trust and policy are read by their own formats.
    std::fs::write(
        &file,
        format!("{text}\n[trust]\npublic_base_url = \"https://cds.example.org\"\n[[trust.issuer]]\niss = \"https://ehr.example.org\"\njwks_file = \"missing-jwks.json\"\n"),
    )
    .unwrap();
    let (code, err) = check(&file, &[]);
    assert_eq!(code, 2);
    assert!(err.contains("missing-jwks.json"), "{err}");
    std::fs::write(
        &file,
        format!("{text}\n[policy]\nsrc_threshold_mg_per_dy = 12\n"),
    )
    .unwrap();
    let (code, err) = check(&file, &[]);
    assert_eq!(code, 2);
    assert!(err.contains("src_threshold_mg_per_dy"), "{err}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn serve_takes_file_then_environment_then_flags() {
    let dir = common::store_support::temp_dir("config-serve");
    let file = dir.join("c.toml");
    std::fs::write(
        &file,
        format!(
            "[server]\nlisten = \"127.0.0.1:0\"\ntoday = \"{}\"\n[limits]\nmax_body_bytes = 100\n[database]\nurl = \"{}\"\n",
            common::TODAY,
            dir.join("records.sqlite").display()
        ),
    )
    .unwrap();
    let body = serde_json::to_vec(&common::fixture("S1.json")).unwrap();
    let post = |svc: &Service| {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            reqwest::Client::new()
                .post(svc.url("/cds-services/ssc-myositis-order-sign"))
                .header("content-type", "application/json")
                .body(body.clone())
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        })
    };
    let path = file.to_str().unwrap();
    // The file's 100-byte limit refuses the request.
    let svc = Service::start(&["--config", path], &[]);
    assert_eq!(post(&svc), 413);
    assert!(
        dir.join("records.sqlite").exists(),
        "database from the file"
    );
    drop(svc);
    // The environment raises it.
    let svc = Service::start(
        &["--config", path],
        &[("SSC_CDS_LIMITS__MAX_BODY_BYTES", "1048576")],
    );
    assert_eq!(post(&svc), 200);
    drop(svc);
    // A flag lowers it again.
    let svc = Service::start(
        &["--config", path, "--max-body-bytes", "200"],
        &[("SSC_CDS_LIMITS__MAX_BODY_BYTES", "1048576")],
    );
    assert_eq!(post(&svc), 413);
    drop(svc);
    let _ = std::fs::remove_dir_all(dir);
}
