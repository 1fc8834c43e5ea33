//! # Which finding silences which
//!
//! POLICY second edition ("No contradictions"): "Two cards never pull one
//! dose in opposite directions: severity first, then the lower dose wins;
//! the hidden finding is logged." ("Budget"): "The budget never hides a
//! warning or a critical."
//!
//! The table, in one place: for two findings that pull the same order's
//! dose in opposite directions ([`Pull`]),
//!
//! | the other finding          | this finding             | kept  |
//! |----------------------------|--------------------------|-------|
//! | higher severity, any pull  | lower severity           | other |
//! | same severity, Lower       | same severity, Raise     | other |
//!
//! A finding silenced is removed from the cards and returned, so the caller
//! logs it (by topic code). Findings without a pull, or pulling the same way,
//! never silence each other. A "raise" finding can only be an `info` or a
//! `warning` (a rule never asks critically for a higher dose), so a warning
//! or critical that asks to lower is never hidden.

use super::{Direction, Finding};

/// A finding hidden because another pulled the same order the other way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Silenced {
    /// The hidden finding's topic code.
    pub hidden: &'static str,
    /// The topic code of the finding kept.
    pub by: &'static str,
}

/// Whether `a` silences `b` (both pull the same order, opposite ways).
fn silences<W>(a: &Finding<W>, b: &Finding<W>) -> bool {
    let (Some(pa), Some(pb)) = (&a.pull, &b.pull) else {
        return false;
    };
    if pa.order != pb.order || pa.direction == pb.direction {
        return false;
    }
    a.indicator > b.indicator || (a.indicator == b.indicator && pa.direction == Direction::Lower)
}

/// Removes the findings another one contradicts; returns what was hidden.
pub fn resolve<W>(findings: &mut Vec<Finding<W>>) -> Vec<Silenced> {
    let mut hidden = vec![];
    let mut keep = vec![true; findings.len()];
    for (i, b) in findings.iter().enumerate() {
        if let Some(a) = findings
            .iter()
            .enumerate()
            .find(|(j, a)| *j != i && silences(a, b))
            .map(|(_, a)| a)
        {
            keep[i] = false;
            hidden.push(Silenced {
                hidden: b.topic.code,
                by: a.topic.code,
            });
        }
    }
    let mut k = keep.into_iter();
    findings.retain(|_| k.next().unwrap_or(true));
    hidden
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clinical::Indicator;

    fn finding(
        code: &'static str,
        indicator: Indicator,
        pull: Option<(&str, Direction)>,
    ) -> Finding<()> {
        Finding::bare(code, indicator, pull)
    }

    #[test]
    fn the_table() {
        use Direction::*;
        use Indicator::*;
        // (first, second, hidden topic codes)
        type F = (&'static str, Indicator, Option<(&'static str, Direction)>);
        let cases: [(F, F, &[&str]); 6] = [
            // Severity first: a critical "lower" hides a warning "raise".
            (
                ("lower", Critical, Some(("o", Lower))),
                ("raise", Warning, Some(("o", Raise))),
                &["raise"],
            ),
            // ...and a warning "raise" hides an info "lower".
            (
                ("lower", Info, Some(("o", Lower))),
                ("raise", Warning, Some(("o", Raise))),
                &["lower"],
            ),
            // Same severity: the lower dose wins.
            (
                ("raise", Warning, Some(("o", Raise))),
                ("lower", Warning, Some(("o", Lower))),
                &["raise"],
            ),
            // Different orders, or the same direction: both stand.
            (
                ("a", Warning, Some(("o", Raise))),
                ("b", Warning, Some(("p", Lower))),
                &[],
            ),
            (
                ("a", Warning, Some(("o", Lower))),
                ("b", Critical, Some(("o", Lower))),
                &[],
            ),
            // No pull: never silenced.
            (
                ("a", Warning, None),
                ("b", Critical, Some(("o", Lower))),
                &[],
            ),
        ];
        for (a, b, want) in cases {
            let mut fs = vec![finding(a.0, a.1, a.2), finding(b.0, b.1, b.2)];
            let hidden = resolve(&mut fs);
            let got: Vec<&str> = hidden.iter().map(|s| s.hidden).collect();
            assert_eq!(got, want, "{a:?} {b:?}");
            assert_eq!(fs.len(), 2 - want.len());
            assert!(fs.iter().all(|f| !want.contains(&f.topic.code)));
        }
    }
}
