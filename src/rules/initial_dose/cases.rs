//! Worked cases of the decision: facts in, findings out.

use super::*;
use crate::rules::test_support::*;
use crate::facts::Sex;
use crate::terminology::medication::Drug;
use crate::clinical::products::DoseProduct;

fn run(f: &Facts) -> Outcome<Found> {
    evaluate(f, &Policy::default())
}

#[test]
fn dose_table() {
    // (extra diagnosis, weight kg, prednisone mg/day, expected (topic, indicator, target mg))
    let pm = Concept::Polymyositis;
    type Case = (Option<Concept>, f64, f64, Option<(Topic, Indicator, f64)>);
    let cases: &[Case] = &[
        // S1: 60 mg, 70 kg, diabetes: 0.86 mg/kg; target 0.5 × 70 = 35 mg.
        (
            Some(Concept::Diabetes),
            70.0,
            60.0,
            Some((TOPIC_ABOVE, Indicator::Warning, 35.0)),
        ),
        // S2: 40 mg, 69.85 kg, osteoporosis: 0.57 mg/kg; 34.9 → 35 mg.
        (
            Some(Concept::Osteoporosis),
            69.853,
            40.0,
            Some((TOPIC_ABOVE, Indicator::Warning, 35.0)),
        ),
        // The rounded target itself does not fire (35 mg = 0.501 mg/kg).
        (Some(Concept::Osteoporosis), 69.853, 35.0, None),
        (Some(Concept::Glaucoma), 80.0, 40.0, None),
        // S8: 60 mg, 70 kg, no comorbidity: 0.86 within 0.5–1.
        (None, 70.0, 60.0, None),
        // Boundaries at 1.0 mg/kg (70 kg → 70 mg) and 0.5 (→ 35 mg).
        (None, 70.0, 70.0, None),
        (
            None,
            70.0,
            75.0,
            Some((TOPIC_ABOVE, Indicator::Warning, 70.0)),
        ),
        (None, 70.0, 35.0, None),
        (None, 70.0, 30.0, Some((TOPIC_BELOW, Indicator::Info, 35.0))),
        // 1 mg/kg × 62 kg = 62 → rounded ceiling 60: 62.5 mg is above.
        (
            None,
            62.0,
            62.5,
            Some((TOPIC_ABOVE, Indicator::Warning, 60.0)),
        ),
    ];
    for (extra, kg, mg, want) in cases {
        let mut dx = vec![pm];
        dx.extend(extra);
        let mut f = with_body(patient(&dx), Sex::Male, *kg, Some(170.0));
        f.orders.push(prednisone(*mg));
        let out = run(&f);
        let got = out.findings.first().map(|f| {
            let target = match &f.suggestions[0].actions[0] {
                Action::UpdateDraftDose { dose_mg, .. } => *dose_mg,
                other => panic!("{other:?}"),
            };
            assert!(f.summary().chars().count() < 140);
            // Above guidance pulls the order down, below it up.
            let pull = f.pull.as_ref().unwrap();
            assert_eq!(pull.order, "MedicationRequest/pred");
            assert_eq!(
                pull.direction,
                if f.topic == TOPIC_ABOVE {
                    Direction::Lower
                } else {
                    Direction::Raise
                }
            );
            (f.topic, f.indicator, target)
        });
        assert_eq!(got, *want, "{extra:?} {kg} {mg}");
    }
}

#[test]
fn s1_summary_shows_the_figures() {
    let mut f = with_body(
        patient(&[Concept::Polymyositis, Concept::Diabetes]),
        Sex::Male,
        70.0,
        Some(170.0),
    );
    f.orders.push(prednisone(60.0));
    let card = &run(&f).findings[0];
    assert_eq!(
        card.summary(),
        "Prednisone 60 mg/day = 0.86 mg/kg; diabetes: guidance ≈0.5 mg/kg (35 mg)"
    );
    assert!(card
        .detail()
        .contains("60 mg/day ÷ 70 kg = **0.86 mg/kg/day**"));
    // The weight with its date, never its resource id.
    assert!(!card.detail().contains("Observation/"));
    {
        let found = &card.what;
            assert_eq!(found.side, Side::Above);
            assert_eq!(found.comorbid, vec![Comorbidity::Diabetes]);
            assert!((found.mg_per_kg - 60.0 / 70.0).abs() < 1e-12);
            assert_eq!(
                (found.floor_mg, found.ceiling_mg, found.target_mg),
                (35.0, 35.0, 35.0)
            );
    }
    // 35 mg as 7 prednisone 5 mg tablets (the draft's 20 mg tablet would be 1.75).
    match &card.suggestions[0].actions[0] {
        Action::UpdateDraftDose {
            product,
            dose_mg,
            change,
            ..
        } => {
            assert_eq!(*dose_mg, 35.0);
            assert_eq!(product.coding(), ("312617", "Prednisone 5 MG Oral Tablet"));
            assert!(matches!(product, DoseProduct::Tablets { units: 7, .. }));
            assert_eq!(*change, crate::clinical::Change::Corticosteroid(Gc::Prednisone));
        }
        other => panic!("{other:?}"),
    }
}

proptest::proptest! {
    /// Every dose change this rule suggests: a whole number of tablets
    /// whose strength times their number is the suggested mg exactly,
    /// or the ingredient with the suggested mg.
    #[test]
    fn suggested_doses_are_whole_units(
        kg in 30.0f64..250.0,
        mg in proptest::sample::select(vec![2.5, 5.0, 10.0, 15.0, 20.0, 25.0, 30.0, 40.0, 50.0, 60.0, 70.0, 75.0, 80.0]),
        comorbid in proptest::bool::ANY,
        round in proptest::sample::select(vec![5.0, 2.5, 1.0, 10.0]),
    ) {
        let mut dx = vec![Concept::Polymyositis];
        if comorbid {
            dx.push(Concept::Diabetes);
        }
        let mut policy = Policy::default();
        policy.gc_round_mg = round;
        let mut f = with_body(patient(&dx), Sex::Female, kg, None);
        f.orders.push(prednisone(mg));
        for card in evaluate(&f, &policy).findings {
            for s in &card.suggestions {
                for a in &s.actions {
                    let Action::UpdateDraftDose { dose_mg, product, .. } = a else { continue };
                    match product {
                        DoseProduct::Tablets { tablet, units } => {
                            proptest::prop_assert!(*units >= 1);
                            proptest::prop_assert_eq!(f64::from(*units) * tablet.strength_mg, *dose_mg);
                        }
                        DoseProduct::Ingredient { mg, .. } => proptest::prop_assert_eq!(*mg, *dose_mg),
                    }
                    proptest::prop_assert_eq!(product.mg(), *dose_mg);
                }
            }
        }
    }
}

#[test]
fn several_drafts_one_card_and_nothing_prefilled() {
    // Two prednisone drafts of 30 mg for a 70 kg diabetic: one card on
    // the 60 mg sum; changing one draft to 35 mg would leave the other on
    // top (65 mg), so no change is prefilled.
    let mut f = with_body(
        patient(&[Concept::Dermatomyositis, Concept::Diabetes]),
        Sex::Male,
        70.0,
        None,
    );
    let a = med(
        Drug::Glucocorticoid(Gc::Prednisone),
        30.0,
        Schedule::DAILY,
        Route::Oral,
        "a",
    );
    let mut b = a.clone();
    b.id = Some("b".into());
    b.reference = "MedicationRequest/b".into();
    f.orders = vec![a, b];
    let out = run(&f);
    assert_eq!(out.findings.len(), 1);
    let card = &out.findings[0];
    assert_eq!(card.topic, TOPIC_ABOVE);
    assert!(card.suggestions.is_empty(), "{:?}", card.suggestions);
    {
        let found = &card.what;
        assert_eq!(found.pred_eq_mg, 60.0)
    }
}

#[test]
fn missing_stale_and_not_initial() {
    // No weight: skipped, weight needed.
    let mut f = patient(&[Concept::Dermatomyositis]);
    f.orders.push(prednisone(60.0));
    let out = run(&f);
    assert!(out.findings.is_empty());
    assert_eq!(out.needs[0].figure, Figure::Weight);

    // A weight 91 days old is named; 90 days is not.
    for (age, stale) in [(91, true), (90, false)] {
        let mut f = with_body(
            patient(&[Concept::Dermatomyositis]),
            Sex::Female,
            70.0,
            None,
        );
        f.weights[0].date = Some(days_ago(age));
        f.orders.push(prednisone(75.0));
        let card = &run(&f).findings[0];
        assert_eq!(card.detail().contains("days old"), stale, "{age}");
        assert_eq!(card.summary().contains("d old"), stale, "{age}");
    }

    // Already on a systemic steroid: not an initial dose.
    let mut f = with_body(
        patient(&[Concept::Dermatomyositis]),
        Sex::Female,
        70.0,
        None,
    );
    f.orders.push(prednisone(100.0));
    let mut active = prednisone(20.0);
    active.reference = "MedicationRequest/active".into();
    f.active_meds.push(active);
    assert!(run(&f).findings.is_empty());

    // SSc without myositis: not this rule.
    let mut f = with_body(patient(&[Concept::Ssc]), Sex::Female, 70.0, None);
    f.orders.push(prednisone(100.0));
    assert!(run(&f).findings.is_empty());
}

#[test]
fn ceiling_and_never_raising_in_ssc() {
    // (diagnoses, weight kg, prednisone mg/day, expected (topic code, target mg))
    type Case = (&'static [Concept], f64, f64, Option<(&'static str, f64)>);
    let cases: &[Case] = &[
        // Below guidance in myositis: raise to 0.5 mg/kg (60 mg at 120 kg).
        (
            &[Concept::Polymyositis],
            120.0,
            20.0,
            Some(("gc-dose-below-guidance", 60.0)),
        ),
        // 0.5 mg/kg of 200 kg is 100 mg: suggested at the 80 mg ceiling.
        (
            &[Concept::Polymyositis],
            200.0,
            20.0,
            Some(("gc-dose-below-guidance", 80.0)),
        ),
        // Already at the ceiling: nothing to raise.
        (&[Concept::Polymyositis], 200.0, 80.0, None),
        // SSc (with myopathy, or overlap): never raised.
        (&[Concept::SscMyopathy], 120.0, 20.0, None),
        (&[Concept::Ssc, Concept::Polymyositis], 120.0, 20.0, None),
        // Above 1 mg/kg and above the ceiling: the ceiling card, not this one.
        (&[Concept::Polymyositis], 60.0, 100.0, None),
        // Above 1 mg/kg, under the ceiling: lowered to 1 mg/kg.
        (
            &[Concept::Polymyositis],
            60.0,
            75.0,
            Some(("gc-dose-above-guidance", 60.0)),
        ),
    ];
    for (dx, kg, mg, want) in cases {
        let mut f = with_body(patient(dx), Sex::Female, *kg, None);
        f.orders.push(prednisone(*mg));
        let out = run(&f);
        let got = out.findings.first().map(|c| {
            let target = c.suggestions.first().and_then(|s| match &s.actions[0] {
                Action::UpdateDraftDose { dose_mg, .. } => Some(*dose_mg),
                _ => None,
            });
            (c.topic.code, target.unwrap_or(f64::NAN))
        });
        assert_eq!(got, *want, "{dx:?} {kg} {mg}");
        if let Some((_, target)) = got {
            assert!(target <= Policy::default().gc_suggest_max_mg_per_day);
        }
    }
}
