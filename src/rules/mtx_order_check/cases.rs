//! Worked cases of the decision: facts in, findings out.

use super::*;
use crate::rules::test_support::*;
use crate::clinical::{Offered, Starting};
use crate::facts::{Schedule, Sex};

fn topics(f: &Facts) -> Vec<(&'static str, Indicator)> {
    let out = evaluate(f, &Policy::default());
    for c in &out.findings {
        assert!(c.summary().chars().count() < 140, "{}", c.summary());
    }
    out.findings
        .iter()
        .map(|c| (c.topic.code, c.indicator))
        .collect()
}

fn base(dx: &[Concept]) -> Facts {
    with_body(patient(dx), Sex::Male, 70.0, Some(170.0))
}

fn found(f: &Finding<Found>) -> &Found {
    &f.what
}

#[test]
fn s1_in_range_above_adult_usual_and_no_folic_acid() {
    // BSA 1.818: 27.27–36.36 (achievable 27.5–35); 27.5 mg = 15.1 mg/m² in range; > 25.
    let mut f = base(&[Concept::Ssc, Concept::Polymyositis]);
    f.orders.push(mtx(27.5, Route::Subcutaneous));
    let out = evaluate(&f, &Policy::default());
    let got: Vec<_> = out
        .findings
        .iter()
        .map(|c| (c.topic.code, c.indicator))
        .collect();
    // Folic acid is folded into the dose card ("Budget"): one card.
    assert_eq!(got, vec![("mtx-dose-bsa", Indicator::Info)]);
    let dose = &out.findings[0];
    let x = found(dose);
    assert_eq!(
        x.concern,
        Concern::Dose(DoseNotes {
            range: None,
            renal_reduced: None,
            usual: (15.0, 25.0),
            above_usual_max: Some(25.0),
            oral: false
        })
    );
    assert_eq!(x.folic_acid_mg, Some(1.0));
    let b = x.inputs.bsa.as_ref().unwrap();
    assert!((b.m2 - 1.818).abs() < 0.0005, "{}", b.m2);
    assert!((b.low_mg - 27.27).abs() < 0.01 && (b.high_mg - 36.36).abs() < 0.01);
    assert_eq!((b.achievable_low, b.achievable_high), (27.5, 35.0));
    assert!((b.ordered_per_m2.unwrap() - 15.13).abs() < 0.01);
    assert_eq!(dose.pull, None);
    assert_eq!(dose.selection, Selection::Any);
    assert_eq!(dose.suggestions.len(), 1);
    assert_eq!(
        dose.suggestions[0].offered(),
        Some(Offered::Start(Starting::FolicAcid, 1.0))
    );
    assert!(
        dose.summary()
            .contains("above the usual adult maximum of 25")
            && dose.summary().contains("add folic acid 1 mg daily"),
        "{}",
        dose.summary()
    );
    assert!(
        dose.detail().contains("BSA (Mosteller) = **1.82 m²**"),
        "{}",
        dose.detail()
    );
    assert!(
        dose.detail().contains("**27.5–35 mg/week**"),
        "{}",
        dose.detail()
    );
    assert!(
        dose.detail().contains("**15.1 mg/m²/week**"),
        "{}",
        dose.detail()
    );
    assert!(dose.detail().contains("folic acid 1 mg daily"));
}

#[test]
fn folic_acid_stands_alone_only_when_nothing_else_fires() {
    // 25 mg SC: in range (start ceiling), no other note: folic acid alone.
    let mut f = base(&[Concept::Polymyositis]);
    f.orders.push(mtx(25.0, Route::Subcutaneous));
    let out = evaluate(&f, &Policy::default());
    let t: Vec<_> = out.findings.iter().map(|c| c.topic.code).collect();
    assert_eq!(t, vec!["mtx-folic-acid"]);
    assert_eq!(found(&out.findings[0]).concern, Concern::FolicAcid);
    assert_eq!(out.findings[0].suggestions.len(), 1);
    // A warning for the order: folic acid joins it (no dose card here).
    let mut f = base(&[Concept::Polymyositis, Concept::Ild]);
    f.orders.push(mtx(25.0, Route::Subcutaneous));
    let out = evaluate(&f, &Policy::default());
    let t: Vec<_> = out.findings.iter().map(|c| c.topic.code).collect();
    assert_eq!(t, vec!["mtx-ild"]);
    assert_eq!(found(&out.findings[0]).folic_acid_mg, Some(1.0));
    assert_eq!(out.findings[0].suggestions.len(), 1);
    assert!(out.findings[0].detail().contains("folic acid 1 mg daily"));
    // A warning and dose notes: one card, folic acid and the oral route
    // folded into the warning.
    let mut f = base(&[Concept::Polymyositis, Concept::Ild]);
    f.orders.push(mtx(25.0, Route::Oral));
    let out = evaluate(&f, &Policy::default());
    let folded: Vec<_> = out
        .findings
        .iter()
        .map(|c| {
            let x = found(c);
            (
                c.topic.code,
                x.folic_acid_mg.is_some(),
                x.dose_notes.as_ref().map(|n| n.oral),
            )
        })
        .collect();
    assert_eq!(folded, vec![("mtx-ild", true, Some(true))]);
    assert!(out.findings[0]
        .detail()
        .contains("subcutaneous is preferred"));
}

#[test]
fn renal_reduction_and_dose_never_pull_apart() {
    // (eGFR, weekly mg) → renal card, and whether the dose card says the
    // dose is already reduced. The reduction is relative to 25 mg/week:
    // at most 12.5 mg/week is already reduced (said, not warned); above
    // it, "reduce to ≤ 12.5". No card ever raises the dose.
    for (egfr, mg, warned, reduced_note) in [
        (45.0, 10.0, false, true),
        (45.0, 12.5, false, true),
        (45.0, 15.0, true, false),
        (59.0, 7.5, false, true),
        (30.0, 40.0, true, false),
    ] {
        let mut f = base(&[Concept::Polymyositis]);
        f.labs.push(lab(Concept::Egfr, egfr, "mL/min/{1.73_m2}"));
        f.orders.push(mtx(mg, Route::Subcutaneous));
        let out = evaluate(&f, &Policy::default());
        let pulls: Vec<_> = out
            .findings
            .iter()
            .filter_map(|c| c.pull.as_ref().map(|p| (c.topic.code, p.direction)))
            .collect();
        assert_eq!(
            pulls.contains(&("mtx-renal-caution", Direction::Lower)),
            warned,
            "{egfr} {mg}: {pulls:?}"
        );
        assert!(
            !pulls.iter().any(|(_, d)| *d == Direction::Raise),
            "{egfr} {mg}: {pulls:?}"
        );
        let note = out.findings.iter().any(
            |c| matches!(&found(c).concern, Concern::Dose(n) if n.renal_reduced == Some(12.5)),
        );
        assert_eq!(note, reduced_note, "{egfr} {mg}");
        for c in &out.findings {
            assert!(!c.summary().contains("below usual"), "{}", c.summary());
        }
        if warned {
            let c = out
                .findings
                .iter()
                .find(|c| c.topic.code == "mtx-renal-caution")
                .unwrap();
            assert!(
                c.summary().contains("reduce methotrexate to ≤12.5 mg/week"),
                "{}",
                c.summary()
            );
        }
    }
    // (weekly mg) → "below usual" without renal reduction: only under 15.
    for (mg, below) in [
        (10.0, true),
        (12.5, true),
        (15.0, false),
        (20.0, false),
        (25.0, false),
    ] {
        let mut f = base(&[Concept::Polymyositis]);
        f.orders.push(mtx(mg, Route::Subcutaneous));
        let out = evaluate(&f, &Policy::default());
        let dose = out.findings.iter().find(|c| c.topic == DOSE);
        assert_eq!(
            dose.and_then(|d| d.pull.as_ref()).map(|p| p.direction) == Some(Direction::Raise),
            below,
            "{mg}"
        );
        if below {
            let d = dose.unwrap();
            assert_eq!(d.pull.as_ref().unwrap().order, "MedicationRequest/mtx");
            assert!(
                d.summary().contains("below usual 15–25 mg/week"),
                "{}",
                d.summary()
            );
        }
    }
}

#[test]
fn pulls_of_the_dose_findings() {
    // (weekly mg, topic, direction)
    for (mg, topic, dir) in [
        (42.5, "mtx-above-max", Direction::Lower),
        (100.0, "mtx-dose-slip", Direction::Lower),
    ] {
        let mut f = base(&[Concept::Polymyositis]);
        f.orders.push(mtx(mg, Route::Subcutaneous));
        let out = evaluate(&f, &Policy::default());
        let c = out.findings.iter().find(|c| c.topic.code == topic).unwrap();
        assert_eq!(c.pull.as_ref().map(|p| p.direction), Some(dir), "{mg}");
    }
}

#[test]
fn s5_duplicate_and_low_dose() {
    let mut f = with_body(
        patient(&[Concept::OverlapMctd, Concept::Ssc]),
        Sex::Male,
        90.0,
        Some(180.0),
    );
    let mut active = mtx(20.0, Route::Subcutaneous);
    active.reference = "MedicationRequest/active-mtx".into();
    f.active_meds.push(active);
    f.active_meds
        .push(med(Drug::Folate, 1.0, Schedule::DAILY, Route::Oral, "fa"));
    f.orders.push(mtx(20.0, Route::Oral));
    let out = evaluate(&f, &Policy::default());
    let got: Vec<_> = out
        .findings
        .iter()
        .map(|c| (c.topic.code, c.indicator))
        .collect();
    // One card for the order: the duplicate warning, the oral route
    // folded into it; 20 mg/week is a usual adult dose, whatever mg/m²
    // it makes: no "below range" beside the duplicate warning.
    assert_eq!(got, vec![("mtx-duplicate", Indicator::Warning)]);
    assert!(
        out.findings[0].summary().contains("40 mg/week total"),
        "{}",
        out.findings[0].summary()
    );
    let detail = out.findings[0].detail();
    assert!(!detail.contains("below"), "{detail}");
    assert!(detail.contains("subcutaneous is preferred"), "{detail}");
}

#[test]
fn s10_renal_table() {
    // (eGFR, expected renal card); S10: 25 → critical, S10b: 45 → warning.
    for (egfr, want) in [
        (
            25.0,
            Some(("mtx-contraindicated-renal", Indicator::Critical)),
        ),
        (
            29.0,
            Some(("mtx-contraindicated-renal", Indicator::Critical)),
        ),
        (30.0, Some(("mtx-renal-caution", Indicator::Warning))),
        (45.0, Some(("mtx-renal-caution", Indicator::Warning))),
        (59.0, Some(("mtx-renal-caution", Indicator::Warning))),
        (60.0, None),
    ] {
        let mut f = base(&[Concept::SscMyopathy]);
        f.labs.push(lab(Concept::Egfr, egfr, "mL/min/{1.73_m2}"));
        f.orders.push(mtx(15.0, Route::Subcutaneous));
        let t = topics(&f);
        let renal = t.iter().find(|(c, _)| c.contains("renal")).copied();
        assert_eq!(renal, want, "{egfr}");
        if egfr < 30.0 {
            // Critical: no dose-tuning cards.
            assert!(
                !t.iter()
                    .any(|(c, _)| *c == "mtx-dose-bsa" || *c == "mtx-folic-acid"),
                "{t:?}"
            );
        }
    }
}

#[test]
fn critical_and_warning_items() {
    let mut f = base(&[Concept::Dermatomyositis]);
    f.orders.push(med(
        Drug::Methotrexate,
        15.0,
        Schedule::DAILY,
        Route::Oral,
        "m",
    ));
    assert!(topics(&f).contains(&("mtx-daily-frequency", Indicator::Critical)));

    // Pregnancy: its own rule fires; here the dose-tuning cards are left out.
    let mut f = base(&[Concept::Dermatomyositis, Concept::Pregnancy]);
    f.orders.push(mtx(15.0, Route::Oral));
    assert!(topics(&f).is_empty(), "{:?}", topics(&f));

    for (c, code) in [
        (Concept::LiverDisease, "mtx-liver"),
        (Concept::AlcoholUse, "mtx-alcohol"),
        (Concept::Ild, "mtx-ild"),
        (Concept::PregnancyPlanning, "mtx-pregnancy-planning"),
    ] {
        let mut f = base(&[Concept::Dermatomyositis, c]);
        f.sex = Some(Sex::Female);
        f.orders.push(mtx(15.0, Route::Subcutaneous));
        assert!(topics(&f).contains(&(code, Indicator::Warning)), "{c:?}");
    }
    // A man planning conception may take methotrexate (ACR 2020).
    let mut f = base(&[Concept::Dermatomyositis, Concept::PregnancyPlanning]);
    f.orders.push(mtx(15.0, Route::Subcutaneous));
    assert!(!topics(&f)
        .iter()
        .any(|(c, _)| *c == "mtx-pregnancy-planning"));

    let mut f = base(&[Concept::Dermatomyositis]);
    f.orders.push(mtx(15.0, Route::Subcutaneous));
    f.active_meds.push(med(
        Drug::TmpSmx,
        960.0,
        Schedule::DAILY,
        Route::Oral,
        "tmp",
    ));
    assert!(topics(&f).contains(&("mtx-tmp-smx", Indicator::Warning)));

    // 40 mg/week is the maximum; 42.5 is above it.
    for (mg, above) in [(40.0, false), (42.5, true)] {
        let mut f = base(&[Concept::Dermatomyositis]);
        f.orders.push(mtx(mg, Route::Subcutaneous));
        assert_eq!(
            topics(&f).contains(&("mtx-above-max", Indicator::Warning)),
            above,
            "{mg}"
        );
    }
    // 25 mg/week: not above the usual adult maximum; 27.5 is.
    for (mg, flagged) in [(25.0, false), (27.5, true)] {
        let mut f = base(&[Concept::Dermatomyositis]);
        f.active_meds
            .push(med(Drug::Folate, 1.0, Schedule::DAILY, Route::Oral, "fa"));
        f.orders.push(mtx(mg, Route::Subcutaneous));
        let out = evaluate(&f, &Policy::default());
        assert_eq!(
            out.findings
                .iter()
                .any(|c| c.summary().contains("usual adult maximum")),
            flagged,
            "{mg}"
        );
    }
}

#[test]
fn s3_missing_height_skips_bsa_and_asks() {
    let mut f = with_body(patient(&[Concept::SscMyopathy]), Sex::Male, 80.0, None);
    f.active_meds
        .push(med(Drug::Folate, 1.0, Schedule::DAILY, Route::Oral, "fa"));
    f.labs.push(lab(Concept::Egfr, 95.0, "mL/min/{1.73_m2}"));
    f.orders.push(mtx(25.0, Route::Subcutaneous));
    let out = evaluate(&f, &Policy::default());
    assert!(
        out.findings.is_empty(),
        "{:?}",
        out.findings
            .iter()
            .map(|f| f.topic.code)
            .collect::<Vec<_>>()
    );
    assert_eq!(out.needs.len(), 1);
    assert_eq!(out.needs[0].figure, Figure::Height);
    assert_eq!(
        out.needs[0].why,
        crate::clinical::Unchecked::MtxMgPerM2 {
            within_cap: Some((25.0, 40.0))
        }
    );
}

#[test]
fn slips_liver_and_the_start_ceiling_table() {
    // (extra diagnosis, mg per week, expected (topic, indicator) present, topic absent)
    type Case = (
        Option<Concept>,
        f64,
        Option<(&'static str, Indicator)>,
        Option<&'static str>,
    );
    let cases: &[Case] = &[
        (
            None,
            60.0,
            Some(("mtx-above-max", Indicator::Warning)),
            Some("mtx-dose-slip"),
        ),
        (
            None,
            80.0,
            Some(("mtx-dose-slip", Indicator::Critical)),
            Some("mtx-above-max"),
        ),
        (
            None,
            1000.0,
            Some(("mtx-dose-slip", Indicator::Critical)),
            None,
        ),
        (
            Some(Concept::Cirrhosis),
            15.0,
            Some(("mtx-liver", Indicator::Critical)),
            None,
        ),
        (None, 15.0, None, Some("mtx-liver")),
        // 15–25 mg/week is the usual adult dose whatever mg/m² it makes
        // (25 mg for BSA 1.818 is 13.8 mg/m²): no dose card; below 15, one.
        (None, 25.0, None, Some("mtx-dose-bsa")),
        (None, 22.5, None, Some("mtx-dose-bsa")),
        (None, 15.0, None, Some("mtx-dose-bsa")),
        (None, 12.5, Some(("mtx-dose-bsa", Indicator::Info)), None),
    ];
    for (extra, wk, present, absent) in cases {
        let mut dx = vec![Concept::Polymyositis];
        if let Some(c) = extra {
            dx.push(Concept::LiverDisease);
            dx.push(*c);
        }
        let mut f = base(&dx);
        f.active_meds
            .push(med(Drug::Folate, 1.0, Schedule::DAILY, Route::Oral, "fa"));
        f.orders.push(mtx(*wk, Route::Subcutaneous));
        let t = topics(&f);
        if let Some(p) = present {
            assert!(t.contains(p), "{extra:?} {wk}: {t:?}");
        }
        if let Some(a) = absent {
            assert!(!t.iter().any(|(c, _)| c == a), "{extra:?} {wk}: {t:?}");
        }
    }
}

/// Critical cards carry their fix: (weekly mg as ordered, schedule,
/// what the suggestions offer).
#[test]
fn critical_cards_carry_the_exact_fix_and_the_removal() {
    for (mg, schedule, labels) in [
        (
            15.0,
            Schedule::DAILY,
            vec![
                Offered::Change(Change::WeeklyMethotrexate(WeeklyFix::SameDoseWeekly), 15.0),
                Offered::Remove(Some(Drug::Methotrexate)),
            ],
        ),
        // 15 g weekly: grams where mg were meant.
        (
            15_000.0,
            Schedule::WEEKLY,
            vec![
                Offered::Change(Change::WeeklyMethotrexate(WeeklyFix::GramsAsMilligrams), 15.0),
                Offered::Remove(Some(Drug::Methotrexate)),
            ],
        ),
        // 100 mg weekly: a slip with no exact fix: removal only.
        (
            100.0,
            Schedule::WEEKLY,
            vec![Offered::Remove(Some(Drug::Methotrexate))],
        ),
    ] {
        let mut f = base(&[Concept::Polymyositis]);
        f.orders.push(med(
            Drug::Methotrexate,
            mg,
            schedule,
            Route::Subcutaneous,
            "mtx",
        ));
        let out = evaluate(&f, &Policy::default());
        let critical = out
            .findings
            .iter()
            .find(|c| c.indicator == Indicator::Critical)
            .unwrap_or_else(|| panic!("{mg}: no critical card"));
        let got: Vec<Offered> = critical
            .suggestions
            .iter()
            .filter_map(|s| s.offered())
            .collect();
        assert_eq!(got, labels, "{mg}");
        assert_eq!(critical.selection, Selection::AtMostOne);
    }
}

#[test]
fn one_critical_for_a_daily_order_and_unknown_frequency_read_as_once() {
    use crate::facts::Frequency;
    let criticals = |f: &Facts| {
        topics(f)
            .into_iter()
            .filter(|(_, i)| *i == Indicator::Critical)
            .map(|(c, _)| c)
            .collect::<Vec<_>>()
    };
    // Daily 15 mg: the daily card only (105 mg/week is its artefact).
    let mut f = base(&[Concept::Polymyositis]);
    f.orders.push(med(
        Drug::Methotrexate,
        15.0,
        Schedule::DAILY,
        Route::Oral,
        "m",
    ));
    assert_eq!(criticals(&f), vec!["mtx-daily-frequency"]);
    // Unknown frequency: 15 mg is no slip; 100 mg is.
    for (mg, slip) in [(15.0, false), (100.0, true)] {
        let mut f = base(&[Concept::Polymyositis]);
        let mut m = mtx(mg, Route::Subcutaneous);
        let d = m.dose.as_mut().unwrap();
        d.frequency = Frequency::unknown(None);
        m.frequency = Frequency::unknown(None);
        f.orders.push(m);
        assert_eq!(criticals(&f).contains(&"mtx-dose-slip"), slip, "{mg}");
        assert!(topics(&f).contains(&("mtx-frequency-unknown", Indicator::Warning)));
    }
}
