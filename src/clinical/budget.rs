//! # The card budget
//!
//! POLICY second edition ("Budget"): "The budget never hides a warning or a
//! critical. Info and data-quality notes fold into the card that used the
//! figure [...]. For the typical first steroid order of an overlap patient,
//! at most 3 cards and at most one `critical`." ("Severity means
//! something"): critical only for the listed findings.
//!
//! The budget is a check, not a filter: the rules fold their notes; this says
//! when the result is over budget, so the renderer logs it and the tests over
//! every scenario fail on it. Nothing is hidden to meet it.

use super::{Finding, Indicator};

/// Cards an order hook may show when some of them are only `info`.
pub const MAX_CARDS: usize = 3;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Breach {
    /// More than [`MAX_CARDS`] cards while some are only `info` (they should
    /// have been folded into a card that used the same figures).
    TooManyCards { cards: usize, info: usize },
    /// Two critical cards that are not independent: the same finding twice,
    /// or two criticals pulling the same order.
    DependentCriticals { topics: Vec<&'static str> },
}

/// What breaks the budget in a set of findings (empty when within it).
pub fn check<W>(findings: &[Finding<W>]) -> Vec<Breach> {
    let mut out = vec![];
    let info = findings
        .iter()
        .filter(|f| f.indicator == Indicator::Info)
        .count();
    if findings.len() > MAX_CARDS && info > 0 {
        out.push(Breach::TooManyCards {
            cards: findings.len(),
            info,
        });
    }
    let critical: Vec<&Finding<W>> = findings
        .iter()
        .filter(|f| f.indicator == Indicator::Critical)
        .collect();
    for (i, a) in critical.iter().enumerate() {
        for b in &critical[i + 1..] {
            let same_order = matches!((&a.pull, &b.pull), (Some(x), Some(y)) if x.order == y.order);
            if a.topic == b.topic || same_order {
                out.push(Breach::DependentCriticals {
                    topics: vec![a.topic.code, b.topic.code],
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clinical::Direction;

    fn f(code: &'static str, indicator: Indicator, order: Option<&str>) -> Finding<()> {
        Finding::bare(code, indicator, order.map(|o| (o, Direction::Lower)))
    }

    #[test]
    fn the_budget() {
        use Indicator::*;
        // (findings, breaches expected)
        let cases: Vec<(Vec<Finding<()>>, usize)> = vec![
            // Three cards: within.
            (
                vec![
                    f("a", Warning, None),
                    f("b", Warning, None),
                    f("c", Info, None),
                ],
                0,
            ),
            // Four with an info: the info should have been folded.
            (
                vec![
                    f("a", Warning, None),
                    f("b", Warning, None),
                    f("c", Warning, None),
                    f("d", Info, None),
                ],
                1,
            ),
            // Four warnings: the budget never hides a warning.
            (
                vec![
                    f("a", Warning, None),
                    f("b", Warning, None),
                    f("c", Warning, None),
                    f("d", Warning, None),
                ],
                0,
            ),
            // Two independent criticals (different orders): within.
            (
                vec![f("a", Critical, Some("o1")), f("b", Critical, Some("o2"))],
                0,
            ),
            // Two criticals on one order, or one finding twice: a breach.
            (
                vec![f("a", Critical, Some("o1")), f("b", Critical, Some("o1"))],
                1,
            ),
            (vec![f("a", Critical, None), f("a", Critical, None)], 1),
        ];
        for (findings, want) in cases {
            let codes: Vec<&str> = findings.iter().map(|x| x.topic.code).collect();
            assert_eq!(check(&findings).len(), want, "{codes:?}");
        }
    }
}
