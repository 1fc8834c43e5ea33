//! Embeds the service definitions (`hooks/*.json`) and the ValueSets
//! (`fhir-profiles/valuesets/*.json`) into the binary, so the service runs with
//! no files beside it. Adding a file to either folder is enough to ship it.
use std::{env, fs, path::Path};

fn embed(dir: &str, name: &str, out: &mut String) {
    println!("cargo:rerun-if-changed={dir}");
    let root = Path::new(&env::var("CARGO_MANIFEST_DIR").unwrap()).join(dir);
    let mut files: Vec<_> = fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("cannot read {dir}: {e}"))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    out.push_str(&format!("pub static {name}: &[(&str, &str)] = &[\n"));
    for f in files {
        println!("cargo:rerun-if-changed={}", f.display());
        let file_name = f.file_name().unwrap().to_string_lossy().into_owned();
        out.push_str(&format!(
            "    ({file_name:?}, include_str!({:?})),\n",
            f.display().to_string()
        ));
    }
    out.push_str("];\n");
}

fn main() {
    let mut out = String::new();
    embed("hooks", "HOOKS", &mut out);
    embed("fhir-profiles/valuesets", "VALUESETS", &mut out);
    fs::write(
        Path::new(&env::var("OUT_DIR").unwrap()).join("embedded.rs"),
        out,
    )
    .unwrap();
}
