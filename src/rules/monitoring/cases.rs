//! Worked cases of the decision: facts in, findings out.

use super::*;
use crate::rules::test_support::*;
use crate::facts::BloodPressure;

fn on(dose: f64) -> Facts {
    let mut f = patient(&[Concept::Ssc, Concept::Polymyositis]);
    f.setting = Setting::ChartView;
    let mut a = prednisone(dose);
    a.reference = "MedicationRequest/active".into();
    f.active_meds.push(a);
    f
}

#[test]
fn due_table() {
    // (dose, CK age days, BP age days, expected items)
    let cases = [
        (20.0, Some(30), Some(5), 0),
        (20.0, Some(91), Some(5), 1),
        (20.0, Some(90), Some(15), 1),
        (20.0, None, None, 2),
        (10.0, Some(30), None, 0), // below 15 mg/day: BP not due by this rule
    ];
    for (dose, ck, bp, n) in cases {
        let mut f = on(dose);
        if let Some(a) = ck {
            let mut l = lab(Concept::Ck, 150.0, "U/L");
            l.date = Some(days_ago(a));
            f.labs.push(l);
        }
        if let Some(a) = bp {
            f.blood_pressures.push(BloodPressure {
                systolic: Some(120.0),
                diastolic: Some(80.0),
                date: Some(days_ago(a)),
                source: "Observation/bp".into(),
            });
        }
        let out = evaluate(&f, &Policy::default());
        let got = out.findings.first().map_or(0, |c| {
            assert!(c.suggestions.iter().all(|s| s.actions.len() == 1));
            c.suggestions.len()
        });
        assert_eq!(got, n, "{dose} {ck:?} {bp:?}");
        if let Some(c) = out.findings.first() {
            let found = &c.what;
            let ck_due = ck.is_none_or(|a| a > 90);
            assert_eq!(found.ck.map(|c| c.days), ck_due.then_some(ck));
            assert_eq!(
                found.bp.is_some(),
                dose >= 15.0 && bp.is_none_or(|a| a > 14)
            );
        }
    }
    // Not on therapy, or on order entry: silent.
    let mut f = on(20.0);
    f.active_meds.clear();
    assert!(evaluate(&f, &Policy::default()).findings.is_empty());
    let mut f = on(20.0);
    f.setting = Setting::OrderEntry;
    assert!(evaluate(&f, &Policy::default()).findings.is_empty());
    // Labs not obtained: CK not claimed due.
    let mut f = on(5.0);
    f.missing.insert(DataArea::Labs);
    assert!(evaluate(&f, &Policy::default()).findings.is_empty());
}
