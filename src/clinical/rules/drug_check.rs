//! The shape the second-edition order checks share: every concern about one
//! order goes into one card (severity of the worst concern, its summary, all
//! the concerns in the detail), so a clinician reads one card per drug; and
//! the weight-independent absolute limits that catch unit slips.
//!
//! Service policy (second edition): "weight-independent absolute limits that
//! catch unit slips even without a weight: above → warning, ≥ 2× → critical".

/// What this rule found (free text until typed).
pub type Found = crate::clinical::Words;

use crate::clinical::text::{self, md, num};
use crate::clinical::{Finding, Indicator, OverrideReason, Policy, Selection, Topic};
use crate::clinical::{What, Words};
use crate::facts::Med;

/// One finding about an order, before it is folded into the order's card.
#[derive(Debug, Clone, PartialEq)]
pub struct Concern {
    pub indicator: Indicator,
    /// A summary, should this be the worst concern of the card.
    pub summary: String,
    /// One Markdown line for the detail.
    pub line: String,
}

impl Concern {
    pub fn new(indicator: Indicator, summary: String, line: String) -> Self {
        Concern {
            indicator,
            summary,
            line,
        }
    }
}

/// An amount against an absolute limit: above → warning, at or above
/// `dose_slip_factor` × the limit → critical ("check the unit/dose").
/// `what` names the drug and the basis ("azathioprine per day").
pub fn absolute_limit(
    what: &str,
    amount: f64,
    limit: f64,
    unit: &str,
    policy: &Policy,
) -> Option<Concern> {
    if amount <= limit + 1e-9 {
        return None;
    }
    let slip = amount >= policy.dose_slip_factor * limit - 1e-9;
    let (indicator, summary) = if slip {
        (
            Indicator::Critical,
            format!(
                "{what}: {} {unit} is ≥ {}× the {} {unit} limit: check the unit and dose",
                num(amount),
                num(policy.dose_slip_factor),
                num(limit)
            ),
        )
    } else {
        (
            Indicator::Warning,
            format!(
                "{what}: {} {unit} is above the {} {unit} limit",
                num(amount),
                num(limit)
            ),
        )
    };
    let line = format!(
        "{what}: **{} {unit}**; absolute limit {} {unit}{} (a limit that needs no weight, to catch unit slips).",
        num(amount),
        num(limit),
        if slip {
            format!(
                ", and at least {}× it: a dose in grams or µg where mg are meant?",
                num(policy.dose_slip_factor)
            )
        } else {
            String::new()
        }
    );
    Some(Concern::new(indicator, summary, line))
}

/// Folds the concerns about one order into one card; `None` without concerns.
pub fn card(
    topic: Topic,
    m: &Med,
    title: &str,
    mut concerns: Vec<Concern>,
    sources: &str,
    overrides: Vec<OverrideReason>,
) -> Option<Finding> {
    // The worst concern first; stable, so equal concerns keep their order.
    concerns.sort_by_key(|c| std::cmp::Reverse(c.indicator));
    let worst = concerns.first()?;
    let lines: Vec<String> = concerns.iter().map(|c| format!("- {}", c.line)).collect();
    Some(Finding {
        topic,
        indicator: worst.indicator,
        what: What::DrugCheck(Words {
            summary: text::summary(worst.summary.clone()),
            detail: format!(
                "**{title}.** {} ({}).\n\n{}\n\n{sources}",
                md(&m.name),
                md(&m.reference),
                lines.join("\n")
            ),
        }),
        notes: vec![],
        pull: None,
        suggestions: vec![],
        selection: Selection::AtMostOne,
        override_reasons: overrides,
    })
}

/// The amount per day a risk rule may assume: the daily dose, or the dose of
/// one administration when the frequency is unknown (at least that per day).
pub fn per_day_at_least(m: &Med) -> Option<(f64, bool)> {
    let d = m.dose.as_ref()?;
    Some((d.per_day_mg_at_least(), d.frequency.is_known()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clinical::rules::test_support::*;
    use crate::facts::{Route, Schedule};
    use crate::terminology::medication::Drug;
    use proptest::prelude::*;

    #[test]
    fn absolute_limit_table() {
        let p = Policy::default();
        for (amount, want) in [
            (300.0, None),
            (300.5, Some(Indicator::Warning)),
            (599.0, Some(Indicator::Warning)),
            (600.0, Some(Indicator::Critical)),
            (30000.0, Some(Indicator::Critical)),
        ] {
            let c = absolute_limit("Azathioprine per day", amount, 300.0, "mg", &p);
            assert_eq!(c.as_ref().map(|c| c.indicator), want, "{amount}");
        }
    }

    #[test]
    fn one_card_per_order_with_the_worst_concern_on_top() {
        let m = med(
            Drug::Mycophenolate,
            500.0,
            Schedule::DAILY,
            Route::Oral,
            "m",
        );
        assert!(card(
            crate::clinical::rules::pregnancy::TOPIC,
            &m,
            "T",
            vec![],
            "S",
            vec![]
        )
        .is_none());
        let f = card(
            crate::clinical::rules::pregnancy::TOPIC,
            &m,
            "Title",
            vec![
                Concern::new(Indicator::Info, "info".into(), "line info".into()),
                Concern::new(Indicator::Critical, "crit".into(), "line crit".into()),
                Concern::new(Indicator::Warning, "warn".into(), "line warn".into()),
            ],
            "Sources: x.",
            vec![],
        )
        .unwrap();
        assert_eq!(f.indicator, Indicator::Critical);
        assert_eq!(f.summary(), "crit");
        let (c, w, i) = (
            f.detail().find("line crit").unwrap(),
            f.detail().find("line warn").unwrap(),
            f.detail().find("line info").unwrap(),
        );
        assert!(c < w && w < i, "{}", f.detail());
    }

    #[test]
    fn unknown_frequency_counts_as_at_least_one_dose_a_day() {
        let mut m = med(Drug::Azathioprine, 150.0, Schedule::DAILY, Route::Oral, "a");
        m.dose.as_mut().unwrap().frequency = crate::facts::Frequency::of(
            Schedule {
                frequency: 2.0,
                period_days: 1.0,
            },
            crate::facts::Certainty::Coded,
        );
        assert_eq!(per_day_at_least(&m), Some((300.0, true)));
        m.dose.as_mut().unwrap().frequency = crate::facts::Frequency::unknown(None);
        assert_eq!(per_day_at_least(&m), Some((150.0, false)));
        m.dose = None;
        assert_eq!(per_day_at_least(&m), None);
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, rng_seed: proptest::test_runner::RngSeed::Fixed(11), ..ProptestConfig::default() })]

        /// Never silent above the limit; critical exactly from twice the limit.
        #[test]
        fn absolute_limit_severity_is_monotonic(limit in 1.0f64..10000.0, ratio in 0.0f64..5.0) {
            let p = Policy::default();
            let amount = limit * ratio;
            let c = absolute_limit("x", amount, limit, "mg", &p);
            let want = if amount <= limit + 1e-9 {
                None
            } else if amount >= 2.0 * limit - 1e-9 {
                Some(Indicator::Critical)
            } else {
                Some(Indicator::Warning)
            };
            prop_assert_eq!(c.map(|c| c.indicator), want);
        }
    }
}
