//! Worked cases of the decision: facts in, findings out.

use super::*;
use crate::rules::test_support::*;
use crate::facts::Schedule;
use crate::terminology::Concept;

#[test]
fn route_table() {
    // S9: intra-articular (local) stays silent; the same product without a route asks for one.
    for (route, fires) in [
        (Route::Local, false),
        (Route::Ambiguous, true),
        (Route::Unknown, true),
        (Route::Intramuscular, false),
    ] {
        let mut f = patient(&[Concept::Ssc]);
        f.orders.push(med(
            Drug::Glucocorticoid(Gc::Triamcinolone),
            40.0,
            Schedule::DAILY,
            route,
            "t",
        ));
        let out = evaluate(&f, &Policy::default());
        assert_eq!(!out.findings.is_empty(), fires, "{route:?}");
        if let Some(c) = out.findings.first() {
            assert_eq!(
                c.what,
                Found {
                    gc: Gc::Triamcinolone,
                    order_name: f.orders[0].name.clone()
                }
            );
            assert!(c.summary().starts_with("Route needed for triamcinolone"));
            assert!(!c.detail().contains("MedicationRequest/"));
        }
    }
}
