//! Words for the `bp_monitoring` rule.

use crate::rules::renal_crisis_risk::words::{both_continue_line, gc_line};
use crate::words::{fig, summary, Text, Words};
use crate::rules::bp_monitoring::Found;

impl Words for Found {
    fn words(&self) -> Text {
        let f = self;
        let s = match f.total_mg {
            Some(total) => summary(format!(
                "SSc on corticosteroid (prednisone-eq {} mg/day): monitor blood pressure and creatinine",
                fig(total)
            )),
            None => summary(format!(
                "SSc on corticosteroid, dose not computable: monitor BP; renal crisis risk if ≥{} mg/day",
                fig(f.threshold_mg)
            )),
        };
        let mut lines: Vec<String> = f.exposure.iter().map(gc_line).collect();
        if let Some(both) = f.both_continue_mg {
            lines.push(both_continue_line(both));
        }
        if f.total_mg.is_none() {
            lines.push(format!(
                "- The daily dose could not be computed from the order (no mg dose): at or above {} mg/day \
                 prednisone-equivalent the renal crisis risk card applies.",
                fig(f.threshold_mg)
            ));
        }
        let detail = format!(
            "**Blood-pressure monitoring.** Systemic corticosteroids in SSc call for BP and renal function \
             monitoring (scleroderma renal crisis).\n\n{}\n\n\
             Sources: guidance (monitoring requirements); Kowal-Bielecka et al. 2017 (EULAR: BP and renal \
             function in SSc on corticosteroids).",
            lines.join("\n")
        );
        Text { summary: s, detail }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::renal_crisis_risk::GcLine;
    use crate::facts::{Route, Schedule};
    use crate::terminology::medication::Gc;
    use crate::words::{DETAIL_MAX_LINES, SUMMARY_MAX};

    fn methylpred(mg: Option<f64>) -> GcLine {
        GcLine {
            ordered: true,
            name: "methylprednisolone 4 MG Oral Tablet".into(),
            gc: Gc::Methylprednisolone,
            route: Route::Oral,
            derivation: mg.map(|m| crate::facts::Derivation::Units {
                count: m / 4.0,
                unit: "tablet".into(),
                mg_each: 4.0,
            }),
            schedule: mg.map(|_| Schedule::DAILY),
            several_instructions: false,
            per_day_mg: mg,
            factor: 1.25,
            pred_eq: mg.map(|m| m * 1.25),
            pred_eq_at_least: mg.map(|m| m * 1.25),
        }
    }

    fn check(t: &Text) {
        assert!(t.summary.chars().count() <= SUMMARY_MAX, "{}", t.summary);
        let lines = t.detail.lines().filter(|l| !l.trim().is_empty()).count();
        assert!(lines <= DETAIL_MAX_LINES, "{}", t.detail);
        assert!(!t.detail.contains("MedicationRequest/"), "{}", t.detail);
    }

    #[test]
    fn known_dose_below_the_threshold() {
        // Methylprednisolone 8 mg × 1.25 = 10 mg prednisone-equivalent.
        let t = Found {
            total_mg: Some(10.0),
            threshold_mg: 15.0,
            exposure: vec![methylpred(Some(8.0))],
            both_continue_mg: None,
        }.words();
        check(&t);
        assert!(
            t.summary.contains("prednisone-eq 10 mg/day"),
            "{}",
            t.summary
        );
        assert!(
            t.detail
                .contains("8 mg/day × 1.25 = **10 mg/day prednisone-equivalent**"),
            "{}",
            t.detail
        );
    }

    #[test]
    fn unknown_dose_names_the_threshold() {
        let t = Found {
            total_mg: None,
            threshold_mg: 15.0,
            exposure: vec![methylpred(None)],
            both_continue_mg: Some(20.0),
        }.words();
        check(&t);
        assert!(t.summary.contains("≥15 mg/day"), "{}", t.summary);
        assert!(t.detail.contains("dose could not be computed"));
        assert!(t.detail.contains("**20 mg/day prednisone-equivalent**"));
    }
}
