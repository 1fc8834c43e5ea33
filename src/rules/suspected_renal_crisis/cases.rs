//! Worked cases of the decision: facts in, findings out.

use super::*;
use crate::rules::test_support::*;
use crate::facts::BloodPressure;

fn creat(value: f64, age: i64) -> crate::facts::Lab {
    let mut l = lab(Concept::Creatinine, value, "mg/dL");
    l.date = Some(days_ago(age));
    l
}
fn bp(s: f64, d: f64, age: i64) -> BloodPressure {
    BloodPressure {
        systolic: Some(s),
        diastolic: Some(d),
        date: Some(days_ago(age)),
        source: format!("Observation/bp{age}"),
    }
}

#[test]
fn either_criterion_alone_on_a_glucocorticoid_table() {
    // (creatinine (newest, baseline), BP newest, BP 60 days earlier, on a steroid, expected)
    type Case = (
        Option<(f64, f64)>,
        (f64, f64),
        Option<(f64, f64)>,
        bool,
        Option<Indicator>,
    );
    let cases: &[Case] = &[
        // Creatinine doubling with normal BP, on a steroid: warning.
        (
            Some((2.0, 1.0)),
            (120.0, 80.0),
            None,
            true,
            Some(Indicator::Warning),
        ),
        // The same without a steroid: nothing.
        (Some((2.0, 1.0)), (120.0, 80.0), None, false, None),
        // BP 150/85 alone, creatinine on file and stable: warning on a steroid.
        (
            Some((1.0, 1.0)),
            (150.0, 85.0),
            None,
            true,
            Some(Indicator::Warning),
        ),
        // No creatinine on file: 150/85 is not enough; 160/100 is.
        (None, (150.0, 85.0), None, true, None),
        (None, (160.0, 85.0), None, true, Some(Indicator::Warning)),
        // Diastolic rise of 20 over the baseline median: BP criterion.
        (
            Some((1.3, 1.0)),
            (130.0, 88.0),
            Some((125.0, 68.0)),
            false,
            Some(Indicator::Critical),
        ),
        (
            Some((1.3, 1.0)),
            (130.0, 88.0),
            Some((125.0, 69.0)),
            false,
            None,
        ),
        // Both: critical, steroid or not.
        (
            Some((1.3, 1.0)),
            (150.0, 80.0),
            None,
            false,
            Some(Indicator::Critical),
        ),
    ];
    for (cr, (s, d), earlier, on_gc, want) in cases {
        let mut f = patient(&[Concept::Ssc]);
        if let Some((newest, base)) = cr {
            f.labs = vec![creat(*newest, 2), creat(*base, 40)];
        }
        f.blood_pressures.push(bp(*s, *d, 1));
        if let Some((s0, d0)) = earlier {
            f.blood_pressures.push(bp(*s0, *d0, 60));
        }
        if *on_gc {
            f.active_meds.push(prednisone(10.0));
        }
        let got = evaluate(&f, &Policy::default())
            .findings
            .first()
            .map(|c| c.indicator);
        assert_eq!(got, *want, "{cr:?} {s}/{d} {earlier:?} {on_gc}");
    }
}

#[test]
fn trigger_table() {
    // (creatinine newest, baseline, BP newest, BP earlier, fires)
    let cases = [
        (1.3, 1.0, (150.0, 80.0), None, true),   // +30 %, SBP 150
        (1.29, 1.0, (150.0, 80.0), None, false), // +29 %
        (1.3, 1.0, (130.0, 90.0), None, true),   // DBP 90
        (1.3, 1.0, (139.0, 89.0), None, false),  // BP below, no rise known
        (1.3, 1.0, (139.0, 89.0), Some((109.0, 70.0)), true), // SBP +30 over the median 30–365 d earlier
        (1.3, 1.0, (139.0, 89.0), Some((110.0, 70.0)), false), // SBP +29
        (2.0, 1.0, (180.0, 100.0), None, true),
    ];
    for (newest, base, (s, d), earlier, fires) in cases {
        let mut f = patient(&[Concept::Ssc]);
        f.labs = vec![creat(newest, 2), creat(base, 40)];
        f.blood_pressures.push(bp(s, d, 1));
        if let Some((s0, d0)) = earlier {
            f.blood_pressures.push(bp(s0, d0, 31));
        }
        let out = evaluate(&f, &Policy::default());
        assert_eq!(
            out.findings.len(),
            usize::from(fires),
            "{newest} {base} {s}/{d} {earlier:?}"
        );
        if fires {
            assert_eq!(out.findings[0].indicator, Indicator::Critical);
            let found = &out.findings[0].what;
            assert!(found.both());
            let Creatinine::Rise { rise_pct, .. } = found.creatinine else {
                panic!("{found:?}")
            };
            assert!((rise_pct - (newest - base) / base * 100.0).abs() < 1e-9);
            assert!(out.findings[0].summary().chars().count() < 140);
        }
    }
}

#[test]
fn windows_units_and_scope() {
    // Baseline outside 90 days: no comparison.
    let mut f = patient(&[Concept::Ssc]);
    f.labs = vec![creat(2.0, 2), creat(1.0, 100)];
    f.blood_pressures.push(bp(160.0, 95.0, 1));
    assert!(evaluate(&f, &Policy::default()).findings.is_empty());
    // µmol/L: 133 vs 88.4 (1.5 vs 1.0 mg/dL).
    let mut f = patient(&[Concept::Ssc]);
    let mut a = lab(Concept::Creatinine, 133.0, "umol/L");
    a.date = Some(days_ago(1));
    let mut b = lab(Concept::Creatinine, 88.4, "umol/L");
    b.date = Some(days_ago(20));
    f.labs = vec![a, b];
    f.blood_pressures.push(bp(160.0, 95.0, 1));
    let out = evaluate(&f, &Policy::default());
    assert_eq!(out.findings.len(), 1);
    let found = &out.findings[0].what;
    let Creatinine::Rise {
        latest, baseline, ..
    } = &found.creatinine
    else {
        panic!("{found:?}")
    };
    assert!((latest.mg_dl - 133.0 / 88.4).abs() < 1e-9 && baseline.mg_dl == 1.0);
    assert_eq!((latest.value, latest.unit.as_str()), (133.0, "umol/L"));
    assert!(out.findings[0].detail().contains("133 umol/L = 1.5 mg/dL"));
    // Myositis without SSc: not this rule.
    let mut f = patient(&[Concept::Dermatomyositis]);
    f.labs = vec![creat(2.0, 2), creat(1.0, 20)];
    f.blood_pressures.push(bp(160.0, 95.0, 1));
    assert!(evaluate(&f, &Policy::default()).findings.is_empty());
}
