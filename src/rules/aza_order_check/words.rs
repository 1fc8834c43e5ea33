//! Words for the azathioprine order check: the mg/kg dose and the missing
//! TPMT/NUDT15 result. They are concerns of the one azathioprine card
//! (`drug_check`), which states the dosing weight they used.

use crate::words::{amount, fig, summary, Text};
use crate::rules::aza_order_check::Found;

pub fn render(f: &Found) -> Text {
    Text {
        summary: summary(summary_of(f)),
        detail: format!("- {}\n\nSources: {}.", line(f), source(f)),
    }
}

/// The summary, should this be the card's worst concern.
pub fn summary_of(f: &Found) -> String {
    match f {
        Found::AboveMgPerKg {
            per_day,
            dosing_kg,
            mg_per_kg,
            limit,
            ..
        } => format!(
            "Azathioprine {} mg/day = {} mg/kg dosing weight: above {} mg/kg ({} mg); lower the dose",
            amount(*per_day),
            fig(per_day / dosing_kg),
            amount(*mg_per_kg),
            amount(*limit)
        ),
        Found::TpmtNotOnFile { .. } => {
            "No TPMT/NUDT15 result on file: check thiopurine metabolism before azathioprine".into()
        }
    }
}

/// The detail line (without the list marker).
pub fn line(f: &Found) -> String {
    match f {
        Found::AboveMgPerKg {
            per_day,
            dosing_kg,
            mg_per_kg,
            round_mg,
            limit,
        } => format!(
            "**Azathioprine {} mg/day = {} mg/kg** dosing weight; guidance {} mg/kg × {} kg = {} mg, rounded to the nearest {} mg: **{} mg/day**.",
            amount(*per_day),
            fig(per_day / dosing_kg),
            amount(*mg_per_kg),
            fig(*dosing_kg),
            fig(mg_per_kg * dosing_kg),
            amount(*round_mg),
            amount(*limit)
        ),
        Found::TpmtNotOnFile {
            low_pct,
            high_pct,
            both_low_pct,
            both_high_pct,
        } => format!(
            "**No TPMT or NUDT15 result** on file: intermediate metabolisers start at {}–{} % of the dose \
             ({}–{} % when both genes are), poor metabolisers use a non-thiopurine agent; order the test.",
            amount(*low_pct),
            amount(*high_pct),
            amount(*both_low_pct),
            amount(*both_high_pct)
        ),
    }
}

/// Where the concern comes from.
pub fn source(f: &Found) -> &'static str {
    match f {
        Found::AboveMgPerKg { .. } => "guidance (azathioprine 2 mg/kg ideal body weight)",
        Found::TpmtNotOnFile { .. } => "CPIC (Relling et al. 2019; 2024 update)",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_finding_reads_with_its_figures() {
        let above = Found::AboveMgPerKg {
            per_day: 150.0,
            dosing_kg: 56.93,
            mg_per_kg: 2.0,
            round_mg: 25.0,
            limit: 125.0,
        };
        let t = render(&above);
        assert_eq!(
            t.summary,
            "Azathioprine 150 mg/day = 2.63 mg/kg dosing weight: above 2 mg/kg (125 mg); lower the dose"
        );
        assert!(
            t.detail.contains(
                "2 mg/kg × 56.9 kg = 114 mg, rounded to the nearest 25 mg: **125 mg/day**"
            ),
            "{}",
            t.detail
        );
        let tpmt = Found::TpmtNotOnFile {
            low_pct: 30.0,
            high_pct: 80.0,
            both_low_pct: 20.0,
            both_high_pct: 50.0,
        };
        let t = render(&tpmt);
        assert!(
            t.detail.contains("30–80 %") && t.detail.contains("(20–50 %"),
            "{}",
            t.detail
        );
        for t in [render(&above), render(&tpmt)] {
            assert!(t.summary.chars().count() <= crate::words::SUMMARY_MAX);
            assert!(!t.detail.contains("MedicationRequest/"));
            assert!(
                t.detail.lines().filter(|l| !l.is_empty()).count()
                    <= crate::words::DETAIL_MAX_LINES
            );
        }
    }
}
