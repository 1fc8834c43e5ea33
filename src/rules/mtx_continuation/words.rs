//! Words for the `mtx_continuation` rule.

use crate::words::{amount, md, Text, Words};
use crate::rules::mtx_continuation::Found;

impl Words for Found {
    fn words(&self) -> Text {
        let f = self;
        let change = match (f.stop, f.order_per_week_mg, f.active_per_week_mg) {
            (true, _, _) => "stop".to_string(),
            (false, Some(new), Some(old)) => {
                format!("taper ({} → {} mg/week)", amount(old), amount(new))
            }
            (false, _, _) => "taper".to_string(),
        };
        let summary = crate::words::summary(format!(
            "Methotrexate {change}: guidance continues it ≥{} months after remission before tapering",
            amount(f.continue_months)
        ));
        let since = f.since.map_or(String::new(), |(d, months)| {
            format!("; on methotrexate since {d} ({} months)", amount(months))
        });
        let detail = format!(
            "**Methotrexate continuation.** {} {} the active {}{since}.\n\nThe guidance continues \
             methotrexate for at least {} months after clinical remission before considering a \
             taper.\n\nSource: guidance (methotrexate).",
            md(&f.order_name),
            if f.stop { "stops" } else { "lowers" },
            md(&f.active_name),
            amount(f.continue_months)
        );
        Text { summary, detail }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::words::{DETAIL_MAX_LINES, SUMMARY_MAX};
    use chrono::NaiveDate;

    fn found(stop: bool) -> Found {
        Found {
            stop,
            order_name: "methotrexate 25 MG/ML Injectable Solution".into(),
            order_per_week_mg: Some(15.0),
            active_name: "methotrexate 25 MG/ML Prefilled Syringe".into(),
            active_per_week_mg: Some(20.0),
            since: Some((NaiveDate::from_ymd_opt(2025, 10, 20).unwrap(), 13.0)),
            continue_months: 12.0,
        }
    }

    #[test]
    fn stop_and_taper_words() {
        for (stop, want) in [
            (true, "Methotrexate stop:"),
            (false, "taper (20 → 15 mg/week)"),
        ] {
            let t = found(stop).words();
            assert!(t.summary.contains(want), "{}", t.summary);
            assert!(t.summary.contains("≥12 months after remission"));
            assert!(t.summary.chars().count() <= SUMMARY_MAX && !t.summary.contains('…'));
            assert!(
                t.detail.contains("since 2025-10-20 (13 months)"),
                "{}",
                t.detail
            );
            assert!(!t.detail.contains("MedicationRequest"));
            let lines = t.detail.lines().filter(|l| !l.trim().is_empty()).count();
            assert!(lines <= DETAIL_MAX_LINES);
        }
    }
}
