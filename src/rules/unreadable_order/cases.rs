//! Worked cases of the decision: facts in, findings out.

use super::*;
use crate::rules::test_support::*;
use crate::terminology::Concept;

#[test]
fn unreadable_table() {
    let malformed = crate::facts::UnreadableOrder::Malformed {
        resource_type: "MedicationOrder".into(),
        error: "data",
    };
    // (setting, unreadable drafts, fires)
    for (setting, drafts, fires) in [
        (Setting::OrderEntry, vec![malformed.clone()], true),
        (Setting::OrderEntry, vec![], false),
        (Setting::ChartView, vec![malformed.clone()], false),
    ] {
        let mut f = patient(&[Concept::Ssc]);
        f.setting = setting;
        f.unreadable_orders = drafts.clone();
        let out = evaluate(&f, &Policy::default());
        assert_eq!(!out.findings.is_empty(), fires, "{setting:?} {drafts:?}");
        if fires {
            assert_eq!(out.findings[0].indicator, Indicator::Warning);
            assert_eq!(
                out.findings[0].what,
                Found {
                    orders: f.unreadable_orders.clone()
                }
            );
            assert!(out.findings[0]
                .summary()
                .starts_with("1 medication order could not be read"));
        }
    }
}
