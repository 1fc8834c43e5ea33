//! The words of a dose as the facts read it: how the mg figure was obtained
//! ("3 tablets × 20 mg", "1 mg/kg × 70 kg (2026-11-10) = 70 mg"), how often
//! it is given ("once weekly") and why a frequency is unknown. The facts keep
//! these as values (`facts::Derivation`, `Schedule`, `Frequency`); the cards
//! say them here.

use crate::facts::dose::{sig3, Basis, Derivation};
use crate::facts::{Frequency, FrequencyNote, Route, Schedule};
use crate::text::amount;

/// How the mg figure was obtained: "3 tablets × 20 mg", "1.1 mL × 25 mg/mL",
/// "10–20 mg (high end counted)", "60 mg from the dosage text".
pub fn derivation(d: &Derivation) -> String {
    match d {
        Derivation::Mass { value, unit } => format!("{} {unit}", amount(*value)),
        Derivation::Volume { ml, mg_per_ml } => {
            format!("{} mL × {} mg/mL", amount(*ml), amount(*mg_per_ml))
        }
        Derivation::Units {
            count,
            unit,
            mg_each,
        } => {
            let plural = *count != 1.0 && !unit.ends_with('s');
            format!(
                "{} {unit}{} × {} mg",
                amount(*count),
                if plural { "s" } else { "" },
                amount(*mg_each)
            )
        }
        Derivation::PerBody {
            amount: per,
            mass,
            basis,
            mg,
        } => {
            let unit = match basis {
                Basis::Weight { .. } => "kg",
                Basis::Area { .. } => "m²",
            };
            format!(
                "{} {mass}/{unit} × {} = {} mg",
                amount(*per),
                self::basis(basis),
                amount(*mg)
            )
        }
        Derivation::Range { low, high } => match (mg_only(low), mg_only(high)) {
            // "40–80 mg" when both ends are plain mg figures.
            (Some(l), Some(h)) => format!("{}–{} mg (high end counted)", amount(l), amount(h)),
            _ => format!(
                "{} to {} (high end counted)",
                derivation(low),
                derivation(high)
            ),
        },
        Derivation::UpTo(high) => format!("up to {} (high end counted)", derivation(high)),
        Derivation::Times { count, each, total } => format!(
            "{} × {} mg = {} mg",
            amount(*count),
            amount(*each),
            amount(*total)
        ),
        Derivation::FromText(read) => match **read {
            Derivation::PerBody { .. } => format!("{}, from the dosage text", derivation(read)),
            _ => format!("{} from the dosage text", derivation(read)),
        },
        Derivation::AsNeededAtMost { max, period_days } => format!(
            "as needed, at most {} {}",
            derivation(max),
            per_period(*period_days)
        ),
        Derivation::AsNeeded(read) => format!(
            "{} as needed, counted at its most frequent",
            derivation(read)
        ),
        Derivation::Together { parts, mg_a_day } => {
            let parts: Vec<String> = parts
                .iter()
                .map(|(d, s)| format!("{} {}", derivation(d), s.map_or(String::new(), schedule)))
                .collect();
            format!("{} = {} mg a day", parts.join(" + "), amount(*mg_a_day))
        }
    }
}

/// The figure of a plain mg quantity.
fn mg_only(d: &Derivation) -> Option<f64> {
    match d {
        Derivation::Mass { value, unit: "mg" } => Some(*value),
        _ => None,
    }
}

/// The weight or area a dose per kg or m² was computed with:
/// "70 kg (2026-11-10)", "1.82 m² (Mosteller, 170 cm and 70 kg)".
pub fn basis(b: &Basis) -> String {
    match *b {
        Basis::Weight { kg, date } => {
            let value = amount(sig3(kg));
            match date {
                Some(d) => format!("{value} kg ({d})"),
                None => format!("{value} kg"),
            }
        }
        Basis::Area {
            m2,
            height_cm,
            weight_kg,
        } => format!(
            "{} m² (Mosteller, {} cm and {} kg)",
            amount(m2),
            amount(sig3(height_cm)),
            amount(sig3(weight_kg))
        ),
    }
}

fn per_period(days: f64) -> String {
    match days {
        1.0 => "a day".into(),
        7.0 => "a week".into(),
        d if d < 1.0 => format!("every {} h", amount(d * 24.0)),
        d => format!("every {} days", amount(d)),
    }
}

/// "once daily", "twice daily", "once weekly", "3 times every 2 days".
pub fn schedule(s: Schedule) -> String {
    let times = match s.frequency {
        1.0 => "once".to_string(),
        2.0 => "twice".to_string(),
        f => format!("{} times", amount(f)),
    };
    match s.period_days {
        1.0 => format!("{times} daily"),
        7.0 => format!("{times} weekly"),
        p if p < 1.0 => format!("{times} every {} h", amount(p * 24.0)),
        p => format!("{times} every {} days", amount(p)),
    }
}

/// The schedule in words, else administrations a week, else "frequency
/// unknown".
pub fn frequency(f: &Frequency) -> String {
    match (&f.schedule, f.per_week) {
        (Some(s), _) => schedule(*s),
        (None, Some(w)) => format!("{} times a week", amount(w)),
        _ => "frequency unknown".into(),
    }
}

/// Why a frequency is unknown, or what limited it.
pub fn frequency_note(n: FrequencyNote) -> String {
    match n {
        FrequencyNote::NoDosage => "no dosage instruction".into(),
        FrequencyNote::NoFrequency => "no frequency in the order".into(),
        FrequencyNote::Conflicting => "the dosage text names more than one frequency".into(),
        FrequencyNote::Capped { count, uncapped } => format!(
            "{} administrations in all (read as at most {} a week, not {})",
            amount(count),
            amount(count),
            amount(uncapped)
        ),
    }
}

/// A route as a card names it ("oral", "IV", "route not stated").
pub fn route(r: Route) -> &'static str {
    match r {
        Route::Oral => "oral",
        Route::Sublingual => "sublingual",
        Route::Intravenous => "IV",
        Route::Intramuscular => "IM",
        Route::Subcutaneous => "SC",
        Route::OtherSystemic => "parenteral",
        Route::Local => "local",
        Route::Ambiguous => "route not stated",
        Route::Unknown => "route unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::dose::{read, Body};
    use crate::fhir::Dosage;
    use crate::terminology::medication::Strength;
    use chrono::NaiveDate;

    fn dosage(json: &str) -> Dosage<'_> {
        serde_json::from_str(json).unwrap()
    }

    fn shown(json: &str, strength: Option<Strength>, body: &Body) -> String {
        derivation(&read(&dosage(json), strength, body).unwrap().derivation)
    }

    #[test]
    fn schedules_and_frequencies_in_words() {
        let s = |frequency, period_days| Schedule {
            frequency,
            period_days,
        };
        for (sched, want) in [
            (Schedule::DAILY, "once daily"),
            (Schedule::WEEKLY, "once weekly"),
            (s(2.0, 1.0), "twice daily"),
            (s(3.0, 2.0), "3 times every 2 days"),
            (s(1.0, 0.25), "once every 6 h"),
        ] {
            assert_eq!(schedule(sched), want);
        }
        let mut f = Frequency::unknown(Some(FrequencyNote::NoFrequency));
        assert_eq!(frequency(&f), "frequency unknown");
        f.per_week = Some(3.0);
        assert_eq!(frequency(&f), "3 times a week");
        assert_eq!(
            frequency_note(FrequencyNote::Capped {
                count: 3.0,
                uncapped: 7.0
            }),
            "3 administrations in all (read as at most 3 a week, not 7)"
        );
    }

    #[test]
    fn a_capped_course_says_so() {
        let f = crate::facts::frequency::of_dosage(&dosage(
            r#"{"timing":{"repeat":{"frequency":1,"period":1,"periodUnit":"d","count":3}}}"#,
        ));
        assert_eq!(
            f.note.map(frequency_note).as_deref(),
            Some("3 administrations in all (read as at most 3 a week, not 7)")
        );
    }

    #[test]
    fn derivations_in_words() {
        let daily = r#""timing":{"repeat":{"frequency":1,"period":1,"periodUnit":"d"}}"#;
        let pill20 = Some(Strength::PerUnit(20.0));
        let none = Body::default();
        // (dosage, strength, shown)
        let cases: Vec<(String, Option<Strength>, &str)> = vec![
            (format!(r#"{{{daily},"doseAndRate":[{{"doseQuantity":{{"value":3,"unit":"tablet"}}}}]}}"#), pill20, "3 tablets × 20 mg"),
            (format!(r#"{{{daily},"doseAndRate":[{{"doseQuantity":{{"value":1,"code":"{{pill}}"}}}}]}}"#), pill20, "1 tablet × 20 mg"),
            (format!(r#"{{{daily},"doseAndRate":[{{"doseQuantity":{{"value":1.1,"unit":"mL"}}}}]}}"#), Some(Strength::PerMl(25.0)), "1.1 mL × 25 mg/mL"),
            (format!(r#"{{{daily},"doseAndRate":[{{"doseQuantity":{{"value":1,"unit":"g"}}}}]}}"#), None, "1 g"),
            (r#"{"text":"60 mg PO once daily"}"#.into(), None, "60 mg from the dosage text"),
            (r#"{"text":"Take 2 x 10 mg tablets once daily"}"#.into(), None, "2 × 10 mg = 20 mg from the dosage text"),
            (r#"{"asNeededBoolean":true,"timing":{"repeat":{"frequency":1,"period":6,"periodUnit":"h"}},"doseAndRate":[{"doseQuantity":{"value":10,"unit":"mg"}}],"maxDosePerPeriod":{"numerator":{"value":30,"unit":"mg"},"denominator":{"value":1,"unit":"d"}}}"#.into(), None, "as needed, at most 30 mg a day"),
            (r#"{"asNeededBoolean":true,"doseAndRate":[{"doseQuantity":{"value":10,"unit":"mg"}}],"maxDosePerPeriod":{"numerator":{"value":2,"unit":"tablet"},"denominator":{"value":6,"unit":"h"}}}"#.into(), pill20, "as needed, at most 2 tablets × 20 mg every 6 h"),
            (r#"{"asNeededBoolean":true,"timing":{"repeat":{"frequency":1,"period":6,"periodUnit":"h"}},"doseAndRate":[{"doseQuantity":{"value":10,"unit":"mg"}}]}"#.into(), None, "10 mg as needed, counted at its most frequent"),
        ];
        for (json, strength, want) in cases {
            assert_eq!(shown(&json, strength, &none), want, "{json}");
        }
    }

    #[test]
    fn a_dose_range_shows_both_ends() {
        use crate::facts::dose::fixtures::{range, RANGES};
        // One per range (the last, a low end alone, is not read).
        let want = [
            Some("10–20 mg (high end counted)"),
            Some("40–80 mg (high end counted)"),
            Some("1 tablet × 5 mg to 2 tablets × 5 mg (high end counted)"),
            Some("500 mcg to 1 mg (high end counted)"),
            // Only a high end: as a plain dose.
            Some("30 mg"),
            // A low end above the high end.
            Some("up to 30 mg (high end counted)"),
            None,
        ];
        assert_eq!(want.len(), RANGES.len());
        for ((low, high, strength), want) in RANGES.iter().zip(want) {
            let json = range(low, high);
            let got = read(&dosage(&json), *strength, &Body::default())
                .ok()
                .map(|d| derivation(&d.derivation));
            assert_eq!(got.as_deref(), want, "{json}");
        }
    }

    #[test]
    fn a_dose_per_kg_or_m2_shows_what_it_was_computed_with() {
        let q = |v: f64, unit: &str| {
            format!(
                r#"{{"timing":{{"repeat":{{"frequency":1,"period":1,"periodUnit":"d"}}}},"doseAndRate":[{{"doseQuantity":{{"value":{v},"code":"{unit}"}}}}]}}"#
            )
        };
        let day = NaiveDate::from_ymd_opt(2026, 11, 10);
        let kg70 = crate::facts::dose::fixtures::kg70(day);
        let w = |kg: f64| Body {
            weight: Some(Basis::Weight { kg, date: None }),
            area: None,
        };
        // (dosage, body, shown)
        let cases: Vec<(String, Body, &str)> = vec![
            (
                q(1.0, "mg/kg"),
                kg70,
                "1 mg/kg × 70 kg (2026-11-10) = 70 mg",
            ),
            (q(0.75, "mg/kg"), w(63.5), "0.75 mg/kg × 63.5 kg = 47.6 mg"),
            (q(2.0, "g/kg"), w(60.0), "2 g/kg × 60 kg = 120000 mg"),
            // The weight shown at three significant figures.
            (q(1.0, "mg/kg"), w(63.456), "1 mg/kg × 63.5 kg = 63.5 mg"),
            (
                q(500.0, "mg/m2"),
                kg70,
                "500 mg/m² × 1.82 m² (Mosteller, 170 cm and 70 kg) = 910 mg",
            ),
            (
                q(375.0, "mg/m²"),
                kg70,
                "375 mg/m² × 1.82 m² (Mosteller, 170 cm and 70 kg) = 683 mg",
            ),
            (
                r#"{"text":"1 mg/kg by mouth once daily"}"#.into(),
                kg70,
                "1 mg/kg × 70 kg (2026-11-10) = 70 mg, from the dosage text",
            ),
        ];
        for (json, body, want) in cases {
            assert_eq!(shown(&json, None, &body), want, "{json}");
        }
    }

    #[test]
    fn doses_given_together_are_shown_with_their_schedules() {
        let (morning, night) = crate::facts::dose::fixtures::morning_and_night();
        let both = crate::facts::dose::together(&[(None, morning), (None, night)]);
        assert_eq!(
            derivation(&both[0].derivation),
            "10 mg once daily + 5 mg once daily = 15 mg a day"
        );
    }
}
