//! Worked cases of the decision: facts in, findings out.

use super::*;
use crate::rules::test_support::*;
use crate::facts::{Route, Schedule};
use crate::terminology::Concept;

#[test]
fn dose_and_renal_table() {
    // (mg per dose, eGFR, expected)
    let cases = [
        (750.0, Some(60.0), None),
        (1500.0, None, None),
        (1600.0, None, Some(Indicator::Warning)),
        (3000.0, None, Some(Indicator::Critical)),
        (750.0, Some(29.0), Some(Indicator::Warning)),
        (750.0, Some(30.0), None),
    ];
    for (mg, egfr, want) in cases {
        let mut f = patient(&[Concept::SscIld]);
        f.labs = crate::clinical::pretreatment::tests::all_clear();
        if let Some(e) = egfr {
            f.labs.push(lab(Concept::Egfr, e, "mL/min/{1.73_m2}"));
        }
        f.orders.push(med(
            Drug::Cyclophosphamide,
            mg,
            Schedule::DAILY,
            Route::Intravenous,
            "cyc",
        ));
        let out = evaluate(&f, &Policy::default());
        assert_eq!(
            out.findings.first().map(|c| c.indicator),
            want,
            "{mg} {egfr:?}"
        );
        // Above the limit or for renal function: lower the dose.
        assert_eq!(
            out.findings
                .first()
                .and_then(|c| c.pull.as_ref())
                .map(|p| p.direction),
            want.map(|_| crate::clinical::Direction::Lower),
            "{mg} {egfr:?}"
        );
    }
}
