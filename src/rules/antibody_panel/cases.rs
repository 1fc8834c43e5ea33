//! Worked cases of the decision: facts in, findings out.

use super::*;
use crate::rules::test_support::*;

#[test]
fn panel_table() {
    let overlap = [Concept::Ssc, Concept::Polymyositis];
    // (diagnoses, setting, lab on file (label), labs missing, fires)
    type Case<'a> = (&'a [Concept], Setting, Option<&'a str>, bool, bool);
    let cases: Vec<Case> = vec![
        (&overlap, Setting::ChartView, None, false, true),
        (
            &overlap,
            Setting::ChartView,
            Some("Anti-PM-Scl 100 IgG"),
            false,
            false,
        ),
        (
            &overlap,
            Setting::ChartView,
            Some("SS-A (Ro) antibody"),
            false,
            false,
        ),
        (
            &overlap,
            Setting::ChartView,
            Some("Creatine kinase"),
            false,
            true,
        ),
        (&overlap, Setting::ChartView, None, true, false),
        (&[Concept::Ssc], Setting::ChartView, None, false, false),
        (
            &[Concept::Polymyositis],
            Setting::ChartView,
            None,
            false,
            false,
        ),
    ];
    for (dx, setting, on_file, labs_missing, fires) in cases {
        let mut f = patient(dx);
        f.setting = setting;
        if let Some(label) = on_file {
            let mut l = lab(Concept::Ana, 1.0, "");
            l.concepts.clear();
            l.label = label.into();
            f.labs.push(l);
        }
        if labs_missing {
            f.missing.insert(DataArea::Labs);
        }
        let out = evaluate(&f, &Policy::default());
        assert_eq!(
            out.findings.len(),
            usize::from(fires),
            "{dx:?} {on_file:?} {labs_missing}"
        );
        if fires {
            let card = &out.findings[0];
            assert_eq!(card.what, Found);
            assert_eq!(card.selection, Selection::Any);
            let codes: Vec<&str> = card
                .suggestions
                .iter()
                .map(|s| match s.actions.as_slice() {
                    [Action::CreateService(order)] => order.loinc,
                    other => panic!("{other:?}"),
                })
                .collect();
            assert_eq!(
                codes,
                ["105554-0", "29374-6", "17792-3", "17791-5", "11090-8"]
            );
        }
    }
    // On order entry: only with an initial steroid order.
    let mut f = patient(&overlap);
    assert!(evaluate(&f, &Policy::default()).findings.is_empty());
    f.orders.push(prednisone(40.0));
    assert_eq!(evaluate(&f, &Policy::default()).findings.len(), 1);
    let mut a = prednisone(20.0);
    a.reference = "MedicationRequest/active".into();
    f.active_meds.push(a);
    assert!(evaluate(&f, &Policy::default()).findings.is_empty());
}
