//! Worked cases of the decision: facts in, findings out.

use super::*;
use crate::rules::test_support::*;
use crate::facts::{Route, Schedule};
use crate::terminology::Concept;

fn order(drug: Drug) -> crate::facts::Med {
    med(drug, 10.0, Schedule::WEEKLY, Route::Oral, "o")
}

#[test]
fn drugs_by_state_table() {
    use Drug::*;
    // (state concept, sex, drug, expected (topic, indicator) or none)
    let crit = Some((TOPIC.code, Indicator::Critical));
    let verify = Some((TOPIC_VERIFY.code, Indicator::Warning));
    let plan = Some((TOPIC_PLANNING.code, Indicator::Warning));
    type Case = (
        Concept,
        Option<i64>,
        Option<Sex>,
        Drug,
        Option<(&'static str, Indicator)>,
    );
    let cases: Vec<Case> = vec![
        (Concept::Pregnancy, None, None, Methotrexate, crit),
        (Concept::Pregnancy, None, None, Mycophenolate, crit),
        (Concept::Pregnancy, None, None, Cyclophosphamide, crit),
        (
            Concept::Pregnancy,
            None,
            Some(Sex::Male),
            Cyclophosphamide,
            crit,
        ),
        (Concept::Pregnancy, None, None, Azathioprine, None),
        (Concept::Pregnancy, None, None, Ivig, None),
        (Concept::Breastfeeding, Some(60), None, Methotrexate, crit),
        (Concept::Breastfeeding, Some(60), None, Mycophenolate, crit),
        (Concept::Breastfeeding, Some(400), None, Mycophenolate, None),
        (Concept::Pregnancy, Some(320), None, Mycophenolate, verify),
        (Concept::Pregnancy, Some(320), None, Methotrexate, verify),
        (
            Concept::PregnancyPlanning,
            None,
            Some(Sex::Female),
            Mycophenolate,
            plan,
        ),
        (
            Concept::PregnancyPlanning,
            None,
            None,
            Cyclophosphamide,
            plan,
        ),
        (
            Concept::PregnancyPlanning,
            None,
            Some(Sex::Female),
            Methotrexate,
            None,
        ),
        (
            Concept::PregnancyPlanning,
            None,
            Some(Sex::Male),
            Cyclophosphamide,
            plan,
        ),
        (
            Concept::PregnancyPlanning,
            None,
            Some(Sex::Male),
            Methotrexate,
            None,
        ),
        (
            Concept::PregnancyPlanning,
            None,
            Some(Sex::Male),
            Mycophenolate,
            None,
        ),
    ];
    for (c, onset, sex, drug, want) in cases {
        let mut f = patient(&[Concept::Dermatomyositis, c]);
        f.diagnoses[1].onset = onset.map(days_ago);
        f.sex = sex;
        f.orders.push(order(drug));
        let out = evaluate(&f, &Policy::default());
        let got = out.findings.first().map(|x| (x.topic.code, x.indicator));
        assert_eq!(got, want, "{c:?} {onset:?} {sex:?} {drug:?}");
        assert!(out.findings.len() <= 1);
    }
}

#[test]
fn evidence_is_given_for_the_states_that_exclude_suggestions() {
    let p = Policy::default();
    let mut f = patient(&[Concept::Pregnancy]);
    f.diagnoses[0].onset = Some(days_ago(10));
    assert!(evidence(&f, &p).is_some());
    let f = patient(&[Concept::PregnancyPlanning]);
    assert!(evidence(&f, &p).is_none());
    let f = patient(&[Concept::Breastfeeding]);
    assert!(evidence(&f, &p).is_some());
}
