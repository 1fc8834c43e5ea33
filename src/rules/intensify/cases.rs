//! Worked cases of the decision: facts in, findings out.

use super::*;
use crate::rules::test_support::*;
use crate::facts::Sex;

fn on_steroid(weeks: i64, ck: Option<(f64, f64)>) -> Facts {
    let mut f = with_body(
        patient(&[Concept::Polymyositis]),
        Sex::Female,
        60.0,
        Some(165.0),
    );
    let mut a = prednisone(20.0);
    a.reference = "MedicationRequest/active".into();
    a.authored = Some(days_ago(weeks * 7));
    f.active_meds.push(a);
    if let Some((v, uln)) = ck {
        let mut l = lab(Concept::Ck, v, "U/L");
        l.upper_limit = Some(uln);
        f.labs.push(l);
    }
    f
}

#[test]
fn trigger_table() {
    // (weeks, CK (value, ULN), new order mg/day, fires)
    let cases = [
        (12, Some((900.0, 200.0)), None, true),
        (11, Some((900.0, 200.0)), None, false),
        (12, Some((150.0, 200.0)), None, false),
        (12, None, Some(40.0), true),  // escalation
        (12, None, Some(20.0), false), // same dose
        (20, None, None, false),
    ];
    for (weeks, ck, new, fires) in cases {
        let mut f = on_steroid(weeks, ck);
        if let Some(n) = new {
            // A re-order replaces the active prednisone (as the facts layer reads it).
            let mut o = prednisone(n);
            o.replaces = vec!["MedicationRequest/active".into()];
            f.orders.push(o);
        }
        assert_eq!(
            evaluate(&f, &Policy::default()).findings.len(),
            usize::from(fires),
            "{weeks} {ck:?} {new:?}"
        );
    }
}

#[test]
fn ivig_course_on_dosing_weight() {
    // Female 165 cm: IBW 45.5 + 2.3 × (64.96 − 60) = 56.9 kg < 60 kg actual → 56.9–113.9 g.
    let f = on_steroid(13, Some((900.0, 200.0)));
    let card = &evaluate(&f, &Policy::default()).findings[0];
    let found = &card.what;
    let Ivig::Course {
        weight,
        low_g,
        high_g,
        ..
    } = &*found.ivig
    else {
        panic!("{:?}", found.ivig)
    };
    assert!((weight.dosing - 56.9).abs() < 0.05, "{}", weight.dosing);
    assert!((low_g - 56.9).abs() < 0.05 && (high_g - 113.9).abs() < 0.1);
    assert!(
        card.detail().contains("**56.9–114 g per course**"),
        "{}",
        card.detail()
    );
    assert!(card.detail().contains("26 weeks"));
}

#[test]
fn no_teratogen_offered_in_pregnancy_or_planning() {
    // (extra diagnosis, MMF and cyclophosphamide offered)
    for (extra, offered) in [
        (None, true),
        (Some(Concept::Pregnancy), false),
        (Some(Concept::PregnancyPlanning), false),
    ] {
        let mut f = on_steroid(13, Some((900.0, 200.0)));
        if let Some(c) = extra {
            f.diagnoses.push(dx(c, 7));
        }
        let card = &evaluate(&f, &Policy::default()).findings[0];
        assert_eq!(
            card.detail().contains("e.g. 500 mg twice daily"),
            offered,
            "{extra:?}"
        );
        assert_eq!(
            card.detail().contains("reserved for severe"),
            offered,
            "{extra:?}"
        );
    }
}
