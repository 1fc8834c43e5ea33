//! Doses as EHRs send them, end to end through `evaluate`: each request in
//! `tests/requests/real/` gives the dose it states, shown as it was read.

use std::process::Command;

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_ssc-myositis-cds");

fn cards(file: &str) -> Vec<(String, String, String)> {
    let out = Command::new(BIN)
        .args([
            "evaluate",
            &format!("tests/requests/real/{file}.json"),
            "--today",
            "2026-11-24",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{file}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    r["cards"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let s = |k: &str| c[k].as_str().unwrap_or_default().to_string();
            (s("indicator"), s("summary"), s("detail"))
        })
        .collect()
}

#[test]
fn doses_as_ehrs_send_them_table() {
    // (request, a card summary containing, its detail containing)
    let cases = [
        // "Take 2 x 10 mg tablets once daily": 20 mg, not 10.
        (
            "dose-2x10mg-sig",
            "prednisone-eq 20 mg/day ≥ 15",
            "2 × 10 mg = 20 mg",
        ),
        // doseRange 40–80 mg: the high end, the range shown.
        (
            "dose-range-40-80",
            "Prednisone 80 mg/day = 1.14 mg/kg",
            "40–80 mg \\(high end counted\\)",
        ),
        // 1 mg/kg with 70 kg on file: 70 mg, the weight shown.
        (
            "dose-1mg-per-kg",
            "Prednisone 70 mg/day = 1 mg/kg",
            "1 mg/kg × 70 kg",
        ),
        // Taper 60 → 40 → 20: today 60, the limit 60.
        (
            "dose-taper-60-40-20",
            "Prednisone 60 mg/day = 0.86 mg/kg",
            "60 mg",
        ),
        // The same taper without sequences, each step "for 7 days": steps in
        // the order listed, never added up as 120 mg/day.
        (
            "dose-taper-no-sequence",
            "Prednisone 60 mg/day = 0.86 mg/kg",
            "60 mg",
        ),
        // As needed, at most 40 mg a day: 40 for the risk rule.
        (
            "dose-prn-max-per-day",
            "prednisone-eq 40 mg/day ≥ 15",
            "as needed, at most 40 mg a day",
        ),
        // Methotrexate 6 x 2.5 mg tablets once weekly: 15 mg weekly, read
        // (a usual adult dose: the card is about the oral route).
        (
            "dose-mtx-6x2.5mg-sig",
            "Methotrexate oral",
            "= **15 mg/week**",
        ),
    ];
    for (file, summary, detail) in cases {
        let got = cards(file);
        assert!(
            got.iter()
                .any(|(_, s, d)| s.contains(summary) && d.contains(detail)),
            "{file}: {got:#?}"
        );
    }
    assert!(cards("dose-taper-no-sequence")
        .iter()
        .all(|(_, s, _)| !s.contains("120 mg/day")));
    // The methotrexate frequency is read: no "could not be read" card.
    assert!(cards("dose-mtx-6x2.5mg-sig")
        .iter()
        .all(|(_, s, _)| !s.contains("could not be read")));
}
