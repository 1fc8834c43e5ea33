//! Worked cases of the decision: facts in, findings out.

use super::*;
use crate::clinical::Unchecked;

#[test]
fn one_card_for_all_missing_figures() {
    let facts = Facts::new(crate::rules::test_support::today());
    assert!(finding(&[], &facts).is_none());
    let needs = [
        Need {
            figure: Figure::Height,
            why: Unchecked::MtxMgPerM2 { within_cap: None },
        },
        Need {
            figure: Figure::Height,
            why: Unchecked::AzaDose,
        },
        Need {
            figure: Figure::Height,
            why: Unchecked::AzaDose,
        },
        Need {
            figure: Figure::Weight,
            why: Unchecked::IvMethylprednisoloneMgPerKg,
        },
    ];
    let f = finding(&needs, &facts).unwrap();
    assert_eq!(
        f.summary(),
        "No weight or height on file: dose checks that need it were skipped; record a body weight"
    );
    // One line per figure, each saying what was not checked.
    assert_eq!(f.detail().matches("- No ").count(), 2);
    assert!(f
        .detail()
        .contains("- No height: methotrexate mg/m² (BSA) not checked; azathioprine dose (ideal body weight) not computed\n"));
    let m = &f.what;
    assert_eq!(m.figures, vec![Figure::Weight, Figure::Height]);
    assert!(m.doubts.is_empty());
}

#[test]
fn a_doubtful_figure_is_named_and_to_be_verified() {
    use crate::facts::Sex;
    use crate::rules::test_support::{patient, with_body};
    // (weight kg, height cm, figure needed, summary starts with, indicator)
    let cases = [
        (
            700.0,
            Some(170.0),
            Figure::Weight,
            "Verify weight 700 kg",
            Indicator::Warning,
        ),
        (
            0.07,
            Some(170.0),
            Figure::Weight,
            "Verify weight 0.07 kg",
            Indicator::Warning,
        ),
        (
            70.0,
            Some(1.0),
            Figure::Height,
            "Verify height 1 cm",
            Indicator::Warning,
        ),
        (
            70.0,
            Some(300.0),
            Figure::Height,
            "Verify height 300 cm",
            Indicator::Warning,
        ),
        (
            70.0,
            None,
            Figure::Height,
            "No height on file",
            Indicator::Info,
        ),
    ];
    for (kg, cm, figure, summary, indicator) in cases {
        let f = with_body(patient(&[]), Sex::Female, kg, cm);
        let needs = [Need {
            figure,
            why: Unchecked::AzaDose,
        }];
        let card = finding(&needs, &f).unwrap();
        assert!(
            card.summary().starts_with(summary),
            "{kg} {cm:?}: {}",
            card.summary()
        );
        assert_eq!(card.indicator, indicator, "{kg} {cm:?}");
        assert!(card.summary().chars().count() < 140);
    }
}
