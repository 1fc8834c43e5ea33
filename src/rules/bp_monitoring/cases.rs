//! Worked cases of the decision: facts in, findings out.

use super::*;
use crate::rules::{renal_crisis_risk, test_support::*};
use crate::terminology::Concept;

#[test]
fn exactly_one_of_bp_or_renal_crisis_card() {
    // (ordered prednisone mg/day, BP card, SRC card)
    for (mg, bp, src) in [
        (5.0, true, false),
        (14.9, true, false),
        (15.0, false, true),
        (60.0, false, true),
    ] {
        let mut f = patient(&[Concept::Ssc]);
        f.orders.push(prednisone(mg));
        let p = Policy::default();
        assert_eq!(!evaluate(&f, &p).findings.is_empty(), bp, "{mg}");
        assert_eq!(
            !renal_crisis_risk::evaluate(&f, &p).findings.is_empty(),
            src,
            "{mg}"
        );
    }
}

#[test]
fn card_texts_take_their_figures_from_the_policy() {
    let policy = Policy::from_toml(
        "src_threshold_mg_per_day = 25\nsrc_bp_systolic = 130\nsrc_bp_diastolic = 85\n\
         src_suspected_sbp_rise = 20\nsrc_recent_onset_years = 5\n",
    )
    .unwrap();
    // Unknown dose: the BP card names the local threshold.
    let mut f = patient(&[Concept::Ssc]);
    let mut m = prednisone(20.0);
    m.dose = None;
    f.orders.push(m);
    let card = &evaluate(&f, &policy).findings[0];
    assert!(card.summary().contains("≥25 mg/day"), "{}", card.summary());
    assert_eq!(card.suggestions.len(), 2);
    assert!(card.suggestions.iter().all(|s| s.actions.len() == 1));
    // The monitoring order carries the local thresholds.
    let test = match &card.suggestions[0].actions[0] {
        crate::clinical::Action::CreateService(order) => order.test,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        test,
        crate::clinical::Test::BpMonitoring {
            systolic: 130.0,
            diastolic: 85.0,
            rise: 20.0
        }
    );
    // The renal crisis card lists the local risk-factor figures.
    let mut f = patient(&[Concept::Ssc]);
    f.orders.push(prednisone(30.0));
    // A current, normal BP: the threshold is what was looked for.
    f.blood_pressures.push(crate::facts::BloodPressure {
        systolic: Some(120.0),
        diastolic: Some(80.0),
        date: Some(f.today),
        source: "Observation/bp".into(),
    });
    let card = &renal_crisis_risk::evaluate(&f, &policy).findings[0];
    assert!(
        card.detail().contains("onset < 5 years") && card.detail().contains("last BP ≥ 130/85"),
        "{}",
        card.detail()
    );
}

#[test]
fn unknown_dose_is_said_not_guessed() {
    let mut f = patient(&[Concept::Ssc]);
    let mut m = prednisone(20.0);
    m.dose = None;
    f.orders.push(m);
    let out = evaluate(&f, &Policy::default());
    assert_eq!(out.findings.len(), 1);
    assert_eq!(
        out.findings[0].what,
        Found {
            total_mg: None,
            threshold_mg: 15.0,
            exposure: gc_lines(&Exposure::of(&f, &Policy::default())),
            both_continue_mg: None,
        }
    );
    assert!(out.findings[0].detail().contains("could not be computed"));
}

#[test]
fn silent_without_ssc_or_without_order() {
    let mut f = patient(&[Concept::Polymyositis]);
    f.orders.push(prednisone(5.0));
    assert!(evaluate(&f, &Policy::default()).findings.is_empty());
    let f = patient(&[Concept::Ssc]);
    assert!(evaluate(&f, &Policy::default()).findings.is_empty());
}
