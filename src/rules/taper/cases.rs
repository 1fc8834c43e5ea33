//! Worked cases of the decision: facts in, findings out.

use super::*;
use crate::rules::test_support::*;
use crate::terminology::Concept;

#[test]
fn taper_table() {
    // (active mg/day, weeks on it, new order mg/day, fires)
    let cases = [
        (20.0, 5, 20.0, true),
        (20.0, 4, 25.0, true),
        (20.0, 3, 20.0, false), // not yet 4 weeks
        (20.0, 5, 15.0, false), // lowers it
        (14.0, 8, 14.0, false), // below 15 mg/day
        (15.0, 8, 15.0, true),
    ];
    for (active, weeks, new, fires) in cases {
        let mut f = patient(&[Concept::Dermatomyositis]);
        let mut a = prednisone(active);
        a.reference = "MedicationRequest/active".into();
        a.authored = Some(days_ago(weeks * 7));
        f.active_meds.push(a);
        // A re-order of the same drug and route replaces the active one
        // (as the facts layer reads it).
        let mut o = prednisone(new);
        o.replaces = vec!["MedicationRequest/active".into()];
        f.orders.push(o);
        let out = evaluate(&f, &Policy::default());
        assert_eq!(
            out.findings.len(),
            usize::from(fires),
            "{active} {weeks} {new}"
        );
        if let Some(c) = out.findings.first() {
            let found = &c.what;
            assert_eq!(
                (found.active_mg, found.new_mg, found.weeks, found.target_mg),
                (active, new, weeks as f64, 10.0)
            );
            assert_eq!(
                c.pull,
                Some(Pull {
                    order: "MedicationRequest/pred".into(),
                    direction: Direction::Lower
                })
            );
            assert_eq!(
                c.summary(),
                format!(
                    "On prednisone {} mg/day for {weeks} weeks; new order {} mg/day does not lower it: taper toward ≤ 10 mg/day",
                    active, new
                )
            );
        }
    }
}
