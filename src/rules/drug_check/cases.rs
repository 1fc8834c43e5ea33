//! Worked cases of the decision: facts in, findings out.

use super::*;
use crate::clinical::pretreatment::{HbvTest, LineKind, Said};
use crate::facts::{Route, Schedule};
use crate::rules::test_support::*;
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
        let c = absolute_limit(Substance::Azathioprine, Per::Day, amount, 300.0, &p);
        assert_eq!(c.as_ref().map(|c| c.indicator), want, "{amount}");
        if let Some(Concern {
            kind: Kind::AboveLimit(l),
            ..
        }) = &c
        {
            assert_eq!(
                (l.amount, l.limit, l.slip),
                (amount, 300.0, amount >= 600.0)
            );
        }
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
    let topic = crate::rules::pregnancy::TOPIC;
    assert!(card(topic, &m, Card::Mycophenolate, vec![], None, vec![]).is_none());
    let hbv = |i| {
        Concern::new(
            i,
            Kind::Pretreatment(Line::new(
                LineKind::HbvNotOnFile,
                Drug::Mycophenolate,
                Said::HbvNotOnFile {
                    missing: vec![HbvTest::SurfaceAntigen],
                },
            )),
        )
    };
    let above = |amount| {
        absolute_limit(
            Substance::MycophenolateMofetil,
            Per::Day,
            amount,
            3000.0,
            &Policy::default(),
        )
        .unwrap()
    };
    let f = card(
        topic,
        &m,
        Card::Mycophenolate,
        vec![hbv(Indicator::Info), above(6000.0), above(3500.0)],
        None,
        vec![],
    )
    .unwrap();
    assert_eq!(f.indicator, Indicator::Critical);
    let found = &f.what;
    let order: Vec<Indicator> = found.concerns.iter().map(|c| c.indicator).collect();
    assert_eq!(
        order,
        [Indicator::Critical, Indicator::Warning, Indicator::Info]
    );
    assert!(f
        .summary()
        .starts_with("Mycophenolate mofetil 6000 mg/day is ≥ 2×"));
    // Above a limit the card pulls the order's dose down.
    assert_eq!(
        f.pull,
        Some(Pull {
            order: m.reference.clone(),
            direction: Direction::Lower
        })
    );
    // Reminders alone pull nothing.
    let f = card(
        topic,
        &m,
        Card::Mycophenolate,
        vec![hbv(Indicator::Info)],
        None,
        vec![],
    )
    .unwrap();
    assert_eq!((f.indicator, f.pull), (Indicator::Info, None));
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
        let c = absolute_limit(Substance::Rituximab, Per::Dose, amount, limit, &p);
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
