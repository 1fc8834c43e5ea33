//! Words for the `taper` rule.

use crate::words::{amount, date, fig, md, summary, Text, Words};
use crate::rules::taper::{Active, Found};
use crate::terminology::medication::Gc;

fn is_prednisone(gc: Gc) -> bool {
    matches!(gc, Gc::Prednisone | Gc::Prednisolone)
}

/// "predniSONE 20 MG Oral Tablet (since 2026-10-01): 20 mg/day", or for
/// another glucocorticoid its own mg with the prednisone-equivalent.
fn active_line(a: &Active) -> String {
    let dose = match (a.mg_per_day, a.pred_eq_mg) {
        (Some(own), Some(eq)) if !is_prednisone(a.gc) => format!(
            "{} {} mg/day (prednisone {} mg)",
            a.gc.name(),
            amount(own),
            fig(eq)
        ),
        (_, Some(eq)) => format!("{} mg/day", amount(eq)),
        _ => "dose not readable".into(),
    };
    format!(
        "- Active: {} (since {}): {dose}",
        md(&crate::words::named(&a.name)),
        date(a.since)
    )
}

impl Words for Found {
    fn words(&self) -> Text {
        let f = self;
        let drug = if f.active.iter().all(|a| is_prednisone(a.gc)) {
            "prednisone"
        } else {
            "prednisone-equivalent"
        };
        let s = format!(
            "On {drug} {} mg/day for {} weeks; new order {} mg/day does not lower it: taper toward ≤ {} mg/day",
            fig(f.active_mg),
            amount(f.weeks),
            fig(f.new_mg),
            fig(f.target_mg)
        );
        let lines: Vec<String> = f.active.iter().map(active_line).collect();
        let d = format!(
            "**Taper due.** The guidance tapers after 2–4 weeks, aggressively, to the lowest effective dose, ideally \
             ≤ {} mg/day prednisone-equivalent, to limit renal crisis risk while keeping the myositis controlled.\n\n{}\n\
             - After the new order(s): {} mg/day prednisone-equivalent (does not lower the dose)\n\nSources: guidance \
             (systematic corticosteroid tapering); timing: service policy.",
            fig(f.target_mg),
            lines.join("\n"),
            fig(f.new_mg)
        );
        Text {
            summary: summary(s),
            detail: d,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::words::{DETAIL_MAX_LINES, SUMMARY_MAX};

    #[test]
    fn words_with_figures() {
        let f = Found {
            active: vec![
                Active {
                    name: "predniSONE 20 MG Oral Tablet".into(),
                    gc: Gc::Prednisone,
                    since: chrono::NaiveDate::from_ymd_opt(2026, 10, 1),
                    mg_per_day: Some(20.0),
                    pred_eq_mg: Some(20.0),
                },
                Active {
                    name: "dexamethasone 0.75 MG Oral Tablet".into(),
                    gc: Gc::Dexamethasone,
                    since: None,
                    mg_per_day: Some(0.75),
                    pred_eq_mg: Some(5.0),
                },
            ],
            active_mg: 25.0,
            weeks: 8.0,
            new_mg: 26.666666,
            target_mg: 10.0,
        };
        let t = f.words();
        assert_eq!(
            t.summary,
            "On prednisone-equivalent 25 mg/day for 8 weeks; new order 26.7 mg/day does not lower it: taper toward ≤ 10 mg/day"
        );
        assert!(t.summary.chars().count() <= SUMMARY_MAX);
        assert!(t
            .detail
            .contains("- Active: predniSONE 20 MG Oral Tablet (since 2026-10-01): 20 mg/day"));
        assert!(t
            .detail
            .contains("(since date unknown): dexamethasone 0.75 mg/day (prednisone 5 mg)"));
        let lines = t.detail.lines().filter(|l| !l.trim().is_empty()).count();
        assert!(lines <= DETAIL_MAX_LINES - 3, "{}", t.detail);
        assert!(!t.detail.contains("MedicationRequest/"));
    }
}
