//! The report as plain text, for the terminal.

use std::fmt::Write as _;

use super::{pct, Report};

impl Report {
    /// Plain text for the terminal.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "Acceptance report: {}", self.window());
        let _ = writeln!(
            s,
            "\n{:<32} {:>6} {:>9} {:>11} {:>10} {:>11} {:>9} {:>10}",
            "service",
            "shown",
            "accepted",
            "overridden",
            "held back",
            "acceptance",
            "override",
            "unmatched"
        );
        for v in &self.services {
            let c = v.counts;
            let _ = writeln!(
                s,
                "{:<32} {:>6} {:>9} {:>11} {:>10} {:>11} {:>9} {:>10}",
                v.service,
                c.shown,
                c.accepted,
                c.overridden,
                c.suppressed,
                pct(c.acceptance_rate),
                pct(c.override_rate),
                v.unmatched_feedback
            );
        }
        let _ = writeln!(
            s,
            "\n{:<32} {:>6} {:>9} {:>11} {:>10} {:>11} {:>9}  service",
            "rule", "shown", "accepted", "overridden", "held back", "acceptance", "override"
        );
        for r in &self.rules {
            let c = r.counts;
            let _ = writeln!(
                s,
                "{:<32} {:>6} {:>9} {:>11} {:>10} {:>11} {:>9}  {}{}",
                r.rule,
                c.shown,
                c.accepted,
                c.overridden,
                c.suppressed,
                pct(c.acceptance_rate),
                pct(c.override_rate),
                r.service,
                if r.noisy { "  NOISY" } else { "" }
            );
            if let Some([lo, hi]) = r.override_rate_ci95 {
                let _ = writeln!(s, "    override rate 95% CI: {}-{}", pct(lo), pct(hi));
            }
            for reason in &r.top_override_reasons {
                let _ = writeln!(
                    s,
                    "    overridden: {} x{}{}",
                    reason.display,
                    reason.count,
                    reason
                        .category
                        .as_deref()
                        .map(|c| format!(" [{c}]"))
                        .unwrap_or_default()
                );
            }
        }
        if !self.suggestion_kinds.is_empty() {
            let rate = |r: Option<f64>| r.map_or_else(|| "-".into(), pct);
            let _ = writeln!(
                s,
                "\n{:<32} {:>8} {:>9} {:>11}  service",
                "suggestions by kind", "offered", "accepted", "acceptance"
            );
            for k in &self.suggestion_kinds {
                let _ = writeln!(
                    s,
                    "{:<32} {:>8} {:>9} {:>11}  {}",
                    k.kind,
                    k.offered,
                    k.accepted,
                    rate(k.acceptance_rate),
                    k.service
                );
            }
            let _ = writeln!(
                s,
                "\n{:<40} {:>8} {:>9} {:>11}  rule, service",
                "suggestion", "offered", "accepted", "acceptance"
            );
            for x in &self.suggestions {
                let _ = writeln!(
                    s,
                    "{:<40} {:>8} {:>9} {:>11}  {}, {}",
                    if x.suggestion.is_empty() {
                        "(not one of the card's)"
                    } else {
                        &x.suggestion
                    },
                    x.offered,
                    x.accepted,
                    rate(x.acceptance_rate),
                    x.rule,
                    x.service
                );
            }
        }
        let _ = writeln!(
            s,
            "\nfeedback for unknown cards: {}",
            self.unmatched_feedback
        );
        s
    }
}
