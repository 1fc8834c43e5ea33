//! Validates what ssc-myositis-cds emits, with fhirbolt's R4 model in strict
//! mode plus the checks fhirbolt does not make.
//!
//! `ssc-myositis-cds-validator EMITTED_DIR FHIR_PROFILES_DIR`
//!
//! - every `*.json` under EMITTED_DIR is `{"patientId": "...", "resource": {...}}`,
//!   written by the test suite for each action resource of each response;
//! - every ValueSet in FHIR_PROFILES_DIR/valuesets and every StructureDefinition
//!   in FHIR_PROFILES_DIR/profiles.
//!
//! Strict parsing refuses unknown elements and wrong types; serialising the
//! parsed resource back refuses missing required elements. Then: codes from the
//! right systems (RxNorm, LOINC, SNOMED CT, UCUM), the subject is the patient of
//! the request, status and intent values, and the constraints our profiles
//! state. Exits 1 on any failure, and when there is nothing to validate.

mod checks;
mod profile;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

fn json_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for p in paths {
        if p.is_dir() {
            json_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "json") {
            out.push(p);
        }
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 3 {
        eprintln!("usage: {} EMITTED_DIR FHIR_PROFILES_DIR", args[0]);
        return ExitCode::from(2);
    }
    let (emitted, profiles_dir) = (Path::new(&args[1]), Path::new(&args[2]));
    let mut failures: Vec<String> = vec![];

    let mut profile_files = vec![];
    json_files(&profiles_dir.join("profiles"), &mut profile_files);
    let mut profiles = vec![];
    for f in &profile_files {
        let text = std::fs::read_to_string(f).unwrap_or_default();
        for e in checks::strict_r4(&text) {
            failures.push(format!("{}: {e}", f.display()));
        }
        match serde_json::from_str::<serde_json::Value>(&text)
            .map_err(|e| e.to_string())
            .and_then(|v| profile::Profile::from_json(&v))
        {
            Ok(p) => profiles.push(p),
            Err(e) => failures.push(format!("{}: {e}", f.display())),
        }
    }

    let mut valuesets = vec![];
    json_files(&profiles_dir.join("valuesets"), &mut valuesets);
    for f in &valuesets {
        let text = std::fs::read_to_string(f).unwrap_or_default();
        for e in checks::strict_r4(&text)
            .into_iter()
            .chain(checks::valueset(&text))
        {
            failures.push(format!("{}: {e}", f.display()));
        }
    }

    let mut files = vec![];
    json_files(emitted, &mut files);
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap_or_default();
        for e in checks::emitted(&text, &profiles) {
            failures.push(format!("{}: {e}", f.display()));
        }
    }

    println!(
        "validated {} emitted resources, {} ValueSets, {} profiles with fhirbolt (R4, strict)",
        files.len(),
        valuesets.len(),
        profiles.len()
    );
    if files.is_empty() || valuesets.is_empty() || profiles.is_empty() {
        eprintln!(
            "nothing to validate: run the test suite first (it writes the emitted resources)"
        );
        return ExitCode::from(1);
    }
    if failures.is_empty() {
        println!("all valid");
        ExitCode::SUCCESS
    } else {
        for f in &failures {
            eprintln!("INVALID {f}");
        }
        eprintln!("{} problems", failures.len());
        ExitCode::from(1)
    }
}
