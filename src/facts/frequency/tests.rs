use super::*;

fn dosage(json: &str) -> Dosage<'_> {
    serde_json::from_str(json).unwrap()
}

/// Sigs as written in real orders: (text, administrations per week, days
/// with an administration per week). `None`: no frequency may be read.
const SIGS: &[(&str, Option<f64>, Option<f64>)] = &[
    ("60 mg PO once daily", Some(7.0), Some(7.0)),
    (
        "Take 3 tablets (60 mg) by mouth daily",
        Some(7.0),
        Some(7.0),
    ),
    ("take 1 tablet by mouth twice daily", Some(14.0), Some(7.0)),
    ("1 tab po bid", Some(14.0), Some(7.0)),
    ("1 tab p.o. b.i.d.", Some(14.0), Some(7.0)),
    ("500 mg BD", Some(14.0), Some(7.0)),
    ("1 g tid", Some(21.0), Some(7.0)),
    ("10 mg three times a day", Some(21.0), Some(7.0)),
    ("2 tabs QID", Some(28.0), Some(7.0)),
    ("4 times daily with meals", Some(28.0), Some(7.0)),
    ("Take 20 mg every 12 hours", Some(14.0), Some(7.0)),
    ("q12h", Some(14.0), Some(7.0)),
    ("one tablet every 8 hours", Some(21.0), Some(7.0)),
    ("5 mg q4-6h as needed", Some(42.0), Some(7.0)),
    // "2 x 10 mg" is a count of tablets taken at once (20 mg), not a
    // frequency: the frequency comes from the rest of the sig.
    ("2 x 10 mg", None, None),
    ("Take 2 x 10 mg tablets", None, None),
    ("2 x 10 mg daily", Some(7.0), Some(7.0)),
    ("Take 6 x 2.5 mg tablets once weekly", Some(1.0), Some(1.0)),
    ("10 mg every morning and evening", Some(14.0), Some(7.0)),
    ("2x daily", Some(14.0), Some(7.0)),
    ("2x/day", Some(14.0), Some(7.0)),
    ("1-0-1", Some(14.0), Some(7.0)),
    ("1-0-0", Some(7.0), Some(7.0)),
    ("15 mg once a week", Some(1.0), Some(1.0)),
    (
        "Inject 25 mg subcutaneously once weekly",
        Some(1.0),
        Some(1.0),
    ),
    ("7.5 mg weekly on Mondays", Some(1.0), Some(1.0)),
    ("take 6 tablets (15 mg) every Monday", Some(1.0), Some(1.0)),
    ("2.5 mg every Monday and Thursday", Some(2.0), Some(2.0)),
    ("Take 8 tablets by mouth every 7 days", Some(1.0), Some(1.0)),
    ("0.6 mL SC qweek", Some(1.0), Some(1.0)),
    ("20 mg q1wk", Some(1.0), Some(1.0)),
    ("20 mg/week", Some(1.0), Some(1.0)),
    ("twice weekly", Some(2.0), Some(2.0)),
    ("3 times a week", Some(3.0), Some(3.0)),
    ("7 days a week", Some(7.0), Some(7.0)),
    ("every other day", Some(3.5), Some(3.5)),
    ("10 mg QOD", Some(3.5), Some(3.5)),
    ("40 mg on alternate days", Some(3.5), Some(3.5)),
    ("every other week", Some(0.5), Some(0.5)),
    ("1000 mg IV every 2 weeks", Some(0.5), Some(0.5)),
    ("at bedtime", Some(7.0), Some(7.0)),
    ("5 mg every morning", Some(7.0), Some(7.0)),
    ("2 mg/kg/day", Some(7.0), Some(7.0)),
    (
        "20 mg daily for 2 weeks then 10 mg daily",
        Some(7.0),
        Some(7.0),
    ),
    ("5 mg daily x 5 days", Some(7.0), Some(7.0)),
    ("monthly", Some(7.0 / 30.0), Some(7.0 / 30.0)),
    // Numbers and words that are not frequencies.
    ("25 mg/mL multidose vial", None, None),
    ("Take 3 tablets", None, None),
    ("Inject 1.1 mL", None, None),
    ("use as directed", None, None),
    ("for 2 weeks", None, None),
    ("2.5 mg tablets, 10 tablets per pack", None, None),
    ("avoid sun exposure", None, None),
    ("test dose 2026-11-24", None, None),
    ("as needed", None, None),
    // Ambiguous or conflicting: never guessed.
    ("biweekly", None, None),
    ("15 mg weekly; 5 mg daily", None, None),
];

#[test]
fn real_world_sigs() {
    assert!(SIGS.len() >= 40);
    for (text, per_week, days) in SIGS {
        let f = of_dosage(&dosage(&format!(
            r#"{{"text":{}}}"#,
            serde_json::to_string(text).unwrap()
        )));
        let close = |a: Option<f64>, b: Option<f64>| match (a, b) {
            (Some(a), Some(b)) => (a - b).abs() < 1e-6,
            (a, b) => a == b,
        };
        assert!(
            close(f.per_week, *per_week),
            "{text}: per week {:?}",
            f.per_week
        );
        assert!(
            close(f.days_per_week, *days),
            "{text}: days {:?}",
            f.days_per_week
        );
        let want = if per_week.is_some() {
            Certainty::Text
        } else {
            Certainty::Unknown
        };
        assert_eq!(f.certainty, want, "{text}");
    }
}

#[test]
fn structured_timing_table() {
    // (timing JSON, per week, days per week)
    let cases: &[(&str, Option<f64>, Option<f64>)] = &[
        (
            r#"{"repeat":{"frequency":1,"period":1,"periodUnit":"d"}}"#,
            Some(7.0),
            Some(7.0),
        ),
        (
            r#"{"repeat":{"frequency":1,"period":1,"periodUnit":"wk"}}"#,
            Some(1.0),
            Some(1.0),
        ),
        // Daily methotrexate written as 7 a week.
        (
            r#"{"repeat":{"frequency":7,"period":1,"periodUnit":"wk"}}"#,
            Some(7.0),
            Some(7.0),
        ),
        (
            r#"{"repeat":{"frequency":2,"period":1,"periodUnit":"wk"}}"#,
            Some(2.0),
            Some(2.0),
        ),
        (
            r#"{"repeat":{"frequency":1,"frequencyMax":3,"period":1,"periodUnit":"d"}}"#,
            Some(21.0),
            Some(7.0),
        ),
        (
            r#"{"repeat":{"frequency":1,"period":8,"periodUnit":"h"}}"#,
            Some(21.0),
            Some(7.0),
        ),
        (
            r#"{"repeat":{"frequency":1,"period":2,"periodUnit":"d"}}"#,
            Some(3.5),
            Some(3.5),
        ),
        (
            r#"{"repeat":{"frequency":1,"period":1,"periodUnit":"mo"}}"#,
            Some(7.0 / 30.0),
            Some(7.0 / 30.0),
        ),
        (
            r#"{"repeat":{"period":1,"periodUnit":"wk","dayOfWeek":["mon"]}}"#,
            Some(1.0),
            Some(1.0),
        ),
        (
            r#"{"repeat":{"frequency":1,"period":1,"periodUnit":"d","dayOfWeek":["mon","thu"]}}"#,
            Some(2.0),
            Some(2.0),
        ),
        (
            r#"{"repeat":{"timeOfDay":["08:00:00","20:00:00"]}}"#,
            Some(14.0),
            Some(7.0),
        ),
        (
            r#"{"repeat":{"when":["MORN","EVE"]}}"#,
            Some(14.0),
            Some(7.0),
        ),
        (
            r#"{"repeat":{"frequency":1,"period":1,"periodUnit":"d","timeOfDay":["08:00:00","20:00:00"]}}"#,
            Some(14.0),
            Some(7.0),
        ),
        // A three-day IV course: 3 administration days.
        (
            r#"{"repeat":{"frequency":1,"period":1,"periodUnit":"d","count":3}}"#,
            Some(3.0),
            Some(3.0),
        ),
        (
            r#"{"repeat":{"frequency":1,"period":1,"periodUnit":"d","boundsDuration":{"value":2,"unit":"d"}}}"#,
            Some(2.0),
            Some(2.0),
        ),
        (
            r#"{"repeat":{"frequency":1,"period":1,"periodUnit":"wk","count":1}}"#,
            Some(1.0),
            Some(1.0),
        ),
        (
            r#"{"code":{"coding":[{"code":"BID"}]}}"#,
            Some(14.0),
            Some(7.0),
        ),
        (
            r#"{"code":{"coding":[{"code":"Q6H"}]}}"#,
            Some(28.0),
            Some(7.0),
        ),
        (
            r#"{"code":{"coding":[{"code":"QOD"}]}}"#,
            Some(3.5),
            Some(3.5),
        ),
        (
            r#"{"code":{"coding":[{"code":"WK"}]}}"#,
            Some(1.0),
            Some(1.0),
        ),
        (r#"{"code":{"text":"once weekly"}}"#, Some(1.0), Some(1.0)),
        // A weekly code with the time of day: weekly.
        (
            r#"{"code":{"coding":[{"code":"WK"}]},"repeat":{"timeOfDay":["08:00:00"]}}"#,
            Some(1.0),
            Some(1.0),
        ),
        // Twice daily with one time of day named: still twice daily.
        (
            r#"{"code":{"coding":[{"code":"BID"}]},"repeat":{"timeOfDay":["08:00:00"]}}"#,
            Some(14.0),
            Some(7.0),
        ),
        (
            r#"{"event":["2026-11-24T08:00:00Z","2026-11-24T20:00:00Z","2026-11-25T08:00:00Z"]}"#,
            Some(3.0),
            Some(2.0),
        ),
        // Unreadable: no period unit, zero or absurd frequency.
        (
            r#"{"repeat":{"frequency":1,"period":1,"periodUnit":"fortnight"}}"#,
            None,
            None,
        ),
        (
            r#"{"repeat":{"frequency":0,"period":1,"periodUnit":"d"}}"#,
            None,
            None,
        ),
        (
            r#"{"repeat":{"frequency":1e300,"period":1,"periodUnit":"d"}}"#,
            None,
            None,
        ),
        (r#"{"repeat":{"count":3}}"#, None, None),
    ];
    for (timing, per_week, days) in cases {
        let f = of_dosage(&dosage(&format!(r#"{{"timing":{timing}}}"#)));
        let close = |a: Option<f64>, b: Option<f64>| match (a, b) {
            (Some(a), Some(b)) => (a - b).abs() < 1e-6,
            (a, b) => a == b,
        };
        assert!(
            close(f.per_week, *per_week),
            "{timing}: per week {:?}",
            f.per_week
        );
        assert!(
            close(f.days_per_week, *days),
            "{timing}: days {:?}",
            f.days_per_week
        );
    }
}

#[test]
fn a_short_course_keeps_its_daily_rate() {
    // Three daily pulses: 3 administrations in the week, but 1 a day.
    let f = of_dosage(&dosage(
        r#"{"timing":{"repeat":{"frequency":1,"period":1,"periodUnit":"d","count":3}}}"#,
    ));
    assert_eq!(f.per_week, Some(3.0));
    assert_eq!(f.per_day(), Some(1.0));
    let f = of_dosage(&dosage(
        r#"{"timing":{"repeat":{"frequency":2,"period":1,"periodUnit":"d","boundsDuration":{"value":5,"unit":"d"}}}}"#,
    ));
    assert_eq!(f.per_day(), Some(2.0));
    // Weekly stays weekly.
    let f = of_dosage(&dosage(
        r#"{"timing":{"repeat":{"frequency":1,"period":1,"periodUnit":"wk"}}}"#,
    ));
    assert!((f.per_day().unwrap() - 1.0 / 7.0).abs() < 1e-9);
}

#[test]
fn coded_timing_wins_over_text() {
    let f = of_dosage(&dosage(
        r#"{"text":"once daily","timing":{"repeat":{"frequency":1,"period":1,"periodUnit":"wk"}}}"#,
    ));
    assert_eq!(f.per_week, Some(1.0));
    assert_eq!(f.certainty, Certainty::Coded);
    assert_eq!(of_dosage(&dosage(r#"{}"#)).certainty, Certainty::Unknown);
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { rng_seed: proptest::test_runner::RngSeed::Fixed(0x5eed_f4e9), failure_persistence: None, ..ProptestConfig::default() })]

        /// Any text: a reading is finite and positive, and days never exceed 7
        /// nor the administrations.
        #[test]
        fn any_text_reads_sanely(text in ".{0,60}") {
            let f = of_dosage(&Dosage { text: Some(text.into()), ..Dosage::default() });
            if let Some(w) = f.per_week {
                prop_assert!(w.is_finite() && w > 0.0);
                let d = f.days_per_week.unwrap();
                prop_assert!(d > 0.0 && d <= 7.0 + 1e-9 && d <= w + 1e-9);
            } else {
                prop_assert!(f.days_per_week.is_none());
            }
        }

        /// Any structured repeat: the same invariants, and more administrations
        /// a period never read as fewer a week.
        #[test]
        fn any_repeat_reads_sanely(freq in 0.0f64..100.0, period in 0.0f64..60.0, unit in prop::sample::select(vec!["s","min","h","d","wk","mo","a","x"])) {
            let json = format!(r#"{{"timing":{{"repeat":{{"frequency":{freq},"period":{period},"periodUnit":"{unit}"}}}}}}"#);
            let f = of_dosage(&dosage(&json));
            if let Some(w) = f.per_week {
                prop_assert!(w.is_finite() && w > 0.0);
                prop_assert!(f.days_per_week.unwrap() <= 7.0 + 1e-9);
                let more = of_dosage(&dosage(&json.replace(&format!(r#""frequency":{freq}"#), &format!(r#""frequency":{}"#, freq * 2.0))));
                if let Some(w2) = more.per_week { prop_assert!(w2 >= w); }
            }
        }
    }
}
