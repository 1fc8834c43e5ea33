//! Words for the `monitoring` rule.

use crate::words::{fig, summary, Text, Words};
use crate::rules::monitoring::Found;

fn last(days: Option<i64>) -> String {
    days.map_or("none on file".into(), |d| format!("last {d} days ago"))
}

impl Words for Found {
    fn words(&self) -> Text {
        let f = self;
        let mut short = vec![];
        let mut lines = vec![];
        if let Some(ck) = &f.ck {
            short.push(format!("CK ({})", last(ck.days)));
            lines.push(format!(
                "- Creatine kinase: {} (every {} days)",
                last(ck.days),
                fig(ck.every_days)
            ));
        }
        if let Some(bp) = &f.bp {
            short.push(format!(
                "blood pressure ({}) on prednisone-eq {} mg/day",
                last(bp.days),
                fig(bp.on_mg)
            ));
            lines.push(format!(
                "- Blood pressure: {} while on prednisone-equivalent {} mg/day (every {} days; renal crisis)",
                last(bp.days),
                fig(bp.on_mg),
                fig(bp.every_days)
            ));
        }
        Text {
            summary: summary(format!("Monitoring due: {}", short.join("; "))),
            detail: format!(
                "**Monitoring due.**\n\n{}\n\nAlso assess at each visit: muscle strength (e.g. MMT-8), function and \
                 activities of daily living, and MRI (T2-weighted, fat-suppressed) when inflammation is in doubt.\n\n\
                 Sources: guidance (monitoring requirements); intervals: service policy.",
                lines.join("\n")
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::monitoring::{BpDue, CkDue};
    use crate::words::{DETAIL_MAX_LINES, SUMMARY_MAX};

    #[test]
    fn each_item_and_both() {
        let ck = CkDue {
            days: Some(120),
            every_days: 90.0,
        };
        let bp = BpDue {
            days: None,
            on_mg: 26.667,
            every_days: 14.0,
        };
        for (f, said) in [
            (
                Found {
                    ck: Some(ck),
                    bp: None,
                },
                "Monitoring due: CK (last 120 days ago)",
            ),
            (
                Found {
                    ck: None,
                    bp: Some(bp),
                },
                "Monitoring due: blood pressure (none on file) on prednisone-eq 26.7 mg/day",
            ),
            (
                Found {
                    ck: Some(CkDue { days: None, ..ck }),
                    bp: Some(bp),
                },
                "Monitoring due: CK (none on file); blood pressure (none on file) on prednisone-eq 26.7 mg/day",
            ),
        ] {
            let t = f.words();
            assert_eq!(t.summary, said);
            assert!(t.summary.chars().count() <= SUMMARY_MAX);
            let n = t.detail.lines().filter(|l| !l.trim().is_empty()).count();
            assert!(n <= DETAIL_MAX_LINES, "{}", t.detail);
            if f.bp.is_some() {
                assert!(t.detail.contains("prednisone-equivalent 26.7 mg/day (every 14 days"));
            }
            if f.ck.is_some_and(|c| c.days.is_some()) {
                assert!(t.detail.contains("last 120 days ago (every 90 days)"));
            }
        }
    }
}
