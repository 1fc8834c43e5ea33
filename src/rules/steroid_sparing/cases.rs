//! Worked cases of the decision: facts in, findings out.

use super::*;
use crate::clinical::Action;
use crate::facts::Schedule;
use crate::clinical::{Offered, Starting};
use crate::rules::test_support::*;
use crate::facts::{Route, Sex};

fn suggestion_doses(f: &Finding<Found>) -> Vec<(Offered, bool)> {
    f.suggestions
        .iter()
        .map(|s| (s.offered().expect("an action"), s.recommended))
        .collect()
}

#[test]
fn worked_doses() {
    // (sex, kg, cm) -> (MTX mg/week, AZA mg/day)
    // S1 body: BSA 1.818 → 15 × 1.818 = 27.27 → 27.5 mg, started at the 25 mg ceiling;
    //   IBW 65.9 → 131.9 → 125 mg.
    // S5 body: BSA 2.121 → 31.8 → 32.5 → 25 mg; IBW 75.0 → 150 mg.
    // Large: BSA 2.84 → 42.6 → 25 mg.
    // Short woman (58 in): BSA 1.43 → 21.4 → 22.5 mg; IBW 40.9 (extrapolated) → 81.8 → 75 mg.
    let cases = [
        (Sex::Male, 70.0, 170.0, 25.0, 125.0),
        (Sex::Male, 90.0, 180.0, 25.0, 150.0),
        (Sex::Male, 160.0, 182.0, 25.0, 150.0),
        (Sex::Female, 50.0, 147.32, 22.5, 75.0),
    ];
    for (sex, kg, cm, mtx, aza) in cases {
        let mut f = with_body(patient(&[Concept::Dermatomyositis]), sex, kg, Some(cm));
        f.orders.push(prednisone(60.0));
        let out = evaluate(&f, &Policy::default());
        let card = &out.findings[0];
        assert_eq!(card.indicator, Indicator::Warning);
        assert_eq!(
            suggestion_doses(card),
            vec![
                (Offered::Start(Starting::Methotrexate, mtx), true),
                (Offered::Start(Starting::Azathioprine, aza), false),
                (Offered::Start(Starting::Mycophenolate, 500.0), false),
            ],
            "{kg} {cm}"
        );
        // One action per suggestion; the agents are alternatives.
        assert!(card.suggestions.iter().all(|s| s.actions.len() == 1));
        assert_eq!(card.selection, Selection::AtMostOne);
        let found = &card.what;
        assert!(
            matches!(*found.mtx, Mtx::Offered { dose, .. } if dose == mtx),
            "{kg} {cm}"
        );
        assert!(
            matches!(*found.aza, Aza::Offered { dose, .. } if dose == aza),
            "{kg} {cm}"
        );
        assert_eq!(found.recommended, Some(Agent::Methotrexate));
        // Folic acid is stated with the methotrexate line.
        assert!(card.detail().contains("with folic acid 1 mg daily"));
    }
}

#[test]
fn choice_logic() {
    let setup = |extra: &[Concept]| {
        let mut dx = vec![Concept::Polymyositis];
        dx.extend(extra);
        let mut f = with_body(patient(&dx), Sex::Female, 60.0, Some(160.0));
        f.orders.push(prednisone(40.0));
        f
    };
    // ILD → azathioprine recommended.
    let card = &evaluate(&setup(&[Concept::Ild]), &Policy::default()).findings[0];
    assert!(card
        .suggestions
        .iter()
        .any(|s| matches!(s.offered(), Some(Offered::Start(Starting::Azathioprine, _)))
            && s.recommended));
    assert_eq!(card.suggestions.iter().filter(|s| s.recommended).count(), 1);
    // Pregnancy → no MTX, no MMF; azathioprine recommended.
    let card = &evaluate(&setup(&[Concept::Pregnancy]), &Policy::default()).findings[0];
    let offered: Vec<_> = card.suggestions.iter().filter_map(|s| s.offered()).collect();
    assert_eq!(offered, vec![Offered::Start(Starting::Azathioprine, 100.0)]);
    assert!(card.suggestions[0].recommended);
    // eGFR 29 → MTX not offered; 30 → offered.
    for (egfr, offered) in [(29.0, false), (30.0, true)] {
        let mut f = setup(&[]);
        f.labs.push(lab(Concept::Egfr, egfr, "mL/min/{1.73_m2}"));
        let card = &evaluate(&f, &Policy::default()).findings[0];
        assert_eq!(
            card.suggestions
                .iter()
                .any(|s| matches!(s.offered(), Some(Offered::Start(Starting::Methotrexate, _)))),
            offered,
            "{egfr}"
        );
    }
}

/// (drug, days since its order, silent?): rituximab within 6 months,
/// cyclophosphamide within 1 month, IVIG within 6 weeks is therapy in
/// place; older, a steroid-sparing start is suggested again.
#[test]
fn therapy_in_place_table() {
    for (drug, days_ago, silent) in [
        (Drug::Rituximab, 90, true),
        (Drug::Rituximab, 170, true),
        (Drug::Rituximab, 200, false),
        (Drug::Cyclophosphamide, 20, true),
        (Drug::Cyclophosphamide, 40, false),
        (Drug::Ivig, 35, true),
        (Drug::Ivig, 50, false),
    ] {
        let mut f = with_body(
            patient(&[Concept::Dermatomyositis]),
            Sex::Male,
            70.0,
            Some(170.0),
        );
        f.orders.push(prednisone(60.0));
        let mut m = med(drug, 1000.0, Schedule::DAILY, Route::Intravenous, "x");
        m.authored = Some(f.today - chrono::Duration::days(days_ago));
        f.active_meds.push(m);
        assert_eq!(
            evaluate(&f, &Policy::default()).findings.is_empty(),
            silent,
            "{drug:?} {days_ago}"
        );
    }
}

#[test]
fn silent_when_already_covered() {
    for existing in [Drug::Methotrexate, Drug::Azathioprine, Drug::Mycophenolate] {
        let mut f = with_body(
            patient(&[Concept::Dermatomyositis]),
            Sex::Male,
            70.0,
            Some(170.0),
        );
        f.orders.push(prednisone(60.0));
        f.active_meds
            .push(med(existing, 10.0, Schedule::WEEKLY, Route::Oral, "x"));
        assert!(
            evaluate(&f, &Policy::default()).findings.is_empty(),
            "{existing:?}"
        );
    }
    // Drafted in the same order set (S1).
    let mut f = with_body(
        patient(&[Concept::Dermatomyositis]),
        Sex::Male,
        70.0,
        Some(170.0),
    );
    f.orders.push(prednisone(60.0));
    f.orders.push(mtx(27.5, Route::Subcutaneous));
    assert!(evaluate(&f, &Policy::default()).findings.is_empty());
    // No steroid order, or SSc without myositis.
    let f = with_body(
        patient(&[Concept::Dermatomyositis]),
        Sex::Male,
        70.0,
        Some(170.0),
    );
    assert!(evaluate(&f, &Policy::default()).findings.is_empty());
    let mut f = with_body(patient(&[Concept::Ssc]), Sex::Male, 70.0, Some(170.0));
    f.orders.push(prednisone(60.0));
    assert!(evaluate(&f, &Policy::default()).findings.is_empty());
}

#[test]
fn missing_height_still_offers_mmf_and_says_why() {
    let mut f = with_body(patient(&[Concept::Dermatomyositis]), Sex::Male, 70.0, None);
    f.orders.push(prednisone(60.0));
    let out = evaluate(&f, &Policy::default());
    let card = &out.findings[0];
    assert_eq!(card.suggestions.len(), 1);
    assert!(card.suggestions[0].recommended);
    assert!(out.needs.iter().all(|n| n.figure == Figure::Height));
    assert!(card.detail().contains("dose not computed"));
}

#[test]
fn methotrexate_withheld_or_reduced_table() {
    // (diagnoses, eGFR (None: no renal result), extra, MTX offered at mg/week, detail says)
    type Case = (
        &'static [Concept],
        Option<f64>,
        &'static str,
        Option<f64>,
        &'static str,
    );
    let cases: &[Case] = &[
        (
            &[Concept::Polymyositis],
            Some(90.0),
            "",
            Some(25.0),
            "escalation up to 40",
        ),
        // Outside SSc, eGFR 30–59: half (15 × 1.633 = 24.5 → 12.2 → 12.5 mg).
        (
            &[Concept::Polymyositis],
            Some(45.0),
            "",
            Some(12.5),
            "halved",
        ),
        // In SSc, eGFR 30–59: not offered.
        (
            &[Concept::SscMyopathy],
            Some(45.0),
            "",
            None,
            "renal crisis can drop",
        ),
        (
            &[Concept::Polymyositis],
            Some(29.0),
            "",
            None,
            "not offered",
        ),
        (
            &[Concept::Polymyositis],
            None,
            "",
            Some(25.0),
            "**Before the first dose:** creatinine (renal function unknown",
        ),
        (
            &[Concept::Polymyositis, Concept::LiverDisease],
            Some(90.0),
            "",
            None,
            "liver disease",
        ),
        (
            &[Concept::Polymyositis, Concept::AlcoholUse],
            Some(90.0),
            "",
            None,
            "alcohol",
        ),
        (
            &[Concept::Polymyositis, Concept::Ild],
            Some(90.0),
            "",
            None,
            "interstitial lung disease",
        ),
        (
            &[Concept::Polymyositis, Concept::PregnancyPlanning],
            Some(90.0),
            "",
            None,
            "pregnancy planning",
        ),
        (
            &[Concept::Polymyositis],
            Some(90.0),
            "tmp-smx",
            None,
            "trimethoprim-sulfamethoxazole",
        ),
        (
            &[Concept::Polymyositis],
            Some(90.0),
            "unstable",
            None,
            "unstable",
        ),
    ];
    for (dx, egfr, extra, offered, says) in cases {
        let mut f = with_body(patient(dx), Sex::Female, 60.0, Some(160.0));
        if let Some(v) = egfr {
            f.labs.push(lab(Concept::Egfr, *v, "mL/min/{1.73_m2}"));
        }
        if *extra == "tmp-smx" {
            f.active_meds.push(med(
                Drug::TmpSmx,
                960.0,
                Schedule::DAILY,
                Route::Oral,
                "tmp",
            ));
        }
        if *extra == "unstable" {
            let mut old = lab(Concept::Creatinine, 0.7, "mg/dL");
            old.date = Some(days_ago(40));
            f.labs.push(lab(Concept::Creatinine, 1.1, "mg/dL"));
            f.labs.push(old);
        }
        f.orders.push(prednisone(40.0));
        let card = &evaluate(&f, &Policy::default()).findings[0];
        let mtx = card.suggestions.iter().find_map(|s| match &s.actions[0] {
            Action::CreateMedication(order) if order.starting == Starting::Methotrexate => {
                Some(order.dose_mg)
            }
            _ => None,
        });
        assert_eq!(mtx, *offered, "{dx:?} {egfr:?} {extra}");
        let found = &card.what;
        match &*found.mtx {
            Mtx::Offered { renal_unknown, .. } => {
                assert_eq!(*renal_unknown, egfr.is_none(), "{dx:?}")
            }
            Mtx::NotOffered(c) => assert!(!c.is_empty()),
            Mtx::NotComputed => panic!("{dx:?}"),
        }
        assert!(
            card.detail().contains(says),
            "{dx:?} {egfr:?} {extra}: {}",
            card.detail()
        );
    }
}

/// Hepatitis B known with the steroid at or above 20 mg/day: the card
/// says the steroid itself needs prophylaxis; below it, nothing.
#[test]
fn hepatitis_b_known_with_a_high_steroid_dose() {
    for (mg, said) in [(60.0, Some(60.0)), (20.0, Some(20.0)), (10.0, None)] {
        let mut f = with_body(
            patient(&[Concept::Dermatomyositis, Concept::HepatitisB]),
            Sex::Male,
            70.0,
            Some(170.0),
        );
        f.orders.push(prednisone(mg));
        let out = evaluate(&f, &Policy::default());
        let got = out.findings.first().map(|c| c.what.gc_hbv);
        assert_eq!(got, Some(said), "{mg}");
    }
}

#[test]
fn pneumocystis_line_with_a_high_steroid_dose() {
    for (mg, said) in [(40.0, true), (20.0, true), (15.0, false)] {
        let mut f = with_body(
            patient(&[Concept::Polymyositis]),
            Sex::Female,
            60.0,
            Some(160.0),
        );
        f.orders.push(prednisone(mg));
        let card = &evaluate(&f, &Policy::default()).findings[0];
        assert_eq!(
            card.detail().contains("Pneumocystis prophylaxis"),
            said,
            "{mg}"
        );
    }
}
