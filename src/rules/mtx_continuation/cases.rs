//! Worked cases of the decision: facts in, findings out.

use super::*;
use crate::rules::test_support::*;
use crate::facts::Route;
use crate::terminology::Concept;

#[test]
fn stop_and_taper_table() {
    // (new weekly mg, status, fires)
    let cases = [
        (15.0, "draft", true),
        (20.0, "draft", false),
        (25.0, "draft", false),
        (20.0, "stopped", true),
        (20.0, "cancelled", true),
    ];
    for (mg, status, fires) in cases {
        let mut f = patient(&[Concept::Dermatomyositis]);
        let mut a = mtx(20.0, Route::Subcutaneous);
        a.reference = "MedicationRequest/active".into();
        a.authored = Some(days_ago(400));
        f.active_meds.push(a);
        let mut o = mtx(mg, Route::Subcutaneous);
        o.status = Some(status.into());
        f.orders.push(o);
        let out = evaluate(&f, &Policy::default());
        assert_eq!(out.findings.len(), usize::from(fires), "{mg} {status}");
        if fires {
            assert!(
                out.findings[0].detail().contains("(13 months)"),
                "{}",
                out.findings[0].detail()
            );
        }
    }
}
