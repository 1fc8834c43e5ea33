//! Words for the `route_needed` rule.

use crate::words::{md, summary, Text, Words};
use crate::rules::route_needed::Found;

impl Words for Found {
    fn words(&self) -> Text {
        let f = self;
        Text {
            summary: summary(format!(
                "Route needed for {}: IM/IV/oral counts toward renal crisis and dose checks, local does not",
                f.gc.name()
            )),
            detail: format!(
                "**Route not stated.** {}: the dose form does not say whether it is systemic (IM, IV, oral) or local \
                 (intra-articular, topical). The renal crisis and weight-based dose checks were not run for it. Add the \
                 route to the order.\n\nSources: service policy (systemic routes only).",
                md(&f.order_name)
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::terminology::medication::Gc;
    use crate::words::{DETAIL_MAX_LINES, SUMMARY_MAX};

    #[test]
    fn words() {
        let t = Found {
            gc: Gc::Triamcinolone,
            order_name: "Kenalog-40 [triamcinolone]".into(),
        }.words();
        assert_eq!(
            t.summary,
            "Route needed for triamcinolone: IM/IV/oral counts toward renal crisis and dose checks, local does not"
        );
        assert!(t.summary.chars().count() <= SUMMARY_MAX);
        assert!(t
            .detail
            .starts_with(r"**Route not stated.** Kenalog-40 \[triamcinolone\]: "));
        assert!(t.detail.lines().filter(|l| !l.trim().is_empty()).count() <= DETAIL_MAX_LINES - 3);
    }
}
