//! Dose of one dosage instruction (REFERENCE.md 2.3):
//! `dose_mg = doseQuantity` when in mg (or g, mcg); otherwise
//! `doseQuantity × strength` (tablets or devices × mg per unit, mL × mg/mL);
//! `per week = dose_mg × administrations per week` (see `frequency`).
//! A dose with no mg value, or no schedule, stays unknown: never guessed.

use std::sync::LazyLock;

use regex::Regex;

use super::frequency::{self, Frequency};
use crate::fhir::{Dosage, Quantity};
use crate::terminology::medication::Strength;

/// How often: `frequency` administrations every `period_days`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Schedule {
    pub frequency: f64,
    pub period_days: f64,
}

impl Schedule {
    pub const DAILY: Schedule = Schedule {
        frequency: 1.0,
        period_days: 1.0,
    };
    pub const WEEKLY: Schedule = Schedule {
        frequency: 1.0,
        period_days: 7.0,
    };
    pub fn per_day(self) -> f64 {
        self.frequency / self.period_days
    }
    /// Plain words for a card ("once daily", "twice daily", "once weekly", ...).
    pub fn describe(self) -> String {
        let times = match self.frequency {
            1.0 => "once".to_string(),
            2.0 => "twice".to_string(),
            f => format!("{} times", fmt_num(f)),
        };
        match self.period_days {
            1.0 => format!("{times} daily"),
            7.0 => format!("{times} weekly"),
            p if p < 1.0 => format!("{times} every {} h", fmt_num(p * 24.0)),
            p => format!("{times} every {} days", fmt_num(p)),
        }
    }
}

/// The dose of one dosage instruction.
#[derive(Debug, Clone, PartialEq)]
pub struct Dose {
    /// mg per administration.
    pub mg: f64,
    /// How often (see `frequency`).
    pub frequency: Frequency,
    /// How the mg figure was obtained, for the card ("1 tablet × 20 mg").
    pub derivation: String,
}

/// Rounds to 0.001 mg, so that 1.1 mL × 25 mg/mL is 27.5 mg and not
/// 27.500000000000004 (which would cross a "> 27.5" threshold).
pub fn round_mg(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

impl Dose {
    /// The schedule, when the frequency is known.
    pub fn schedule(&self) -> Option<Schedule> {
        self.frequency.schedule
    }
    /// mg a day on the days it is given (see [`Frequency::per_day`]).
    pub fn per_day_mg(&self) -> Option<f64> {
        self.frequency.per_day().map(|d| round_mg(self.mg * d))
    }
    pub fn per_week_mg(&self) -> Option<f64> {
        self.frequency.per_week.map(|w| round_mg(self.mg * w))
    }
    /// For risk rules: the daily dose, and a dose of unknown frequency as at
    /// least that amount per day (POLICY, "Dose frequency").
    pub fn per_day_mg_at_least(&self) -> f64 {
        self.per_day_mg().unwrap_or(self.mg)
    }
}

/// Formats a number without trailing zeros (60, 27.5, 0.86): `{:.2}` with the
/// zeros trimmed, in integer arithmetic when the rounding is unambiguous.
pub fn fmt_num(v: f64) -> String {
    match hundredths(v) {
        Some((neg, n)) => {
            let mut s = String::with_capacity(12);
            push_fixed2(&mut s, neg, n, true);
            s
        }
        None => {
            let s = format!("{:.2}", v);
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        }
    }
}

/// `v` rounded to hundredths as (sign, |v| × 100), when that rounding
/// cannot differ from the exact decimal rounding `{:.2}` does: finite, below
/// 10^10 (the product's error is then under 10^-5) and not within 10^-3 of a
/// tie. `None` otherwise, for the standard formatter to decide.
pub fn hundredths(v: f64) -> Option<(bool, u64)> {
    let x = (v * 100.0).abs();
    if !x.is_finite() || x >= 1e12 {
        return None;
    }
    let n = x.round();
    if (x - n).abs() > 0.499 {
        return None;
    }
    Some((v.is_sign_negative(), n as u64))
}

/// Writes a number of hundredths as a decimal: `n` = 2750 → "27.50", or
/// "27.5" when `trim`.
pub fn push_fixed2(out: &mut String, neg: bool, n: u64, trim: bool) {
    use std::fmt::Write;
    if neg {
        out.push('-');
    }
    let (int, frac) = (n / 100, n % 100);
    let _ = write!(out, "{int}");
    match (trim, frac) {
        (true, 0) => {}
        (true, f) if f % 10 == 0 => {
            out.push('.');
            out.push((b'0' + (f / 10) as u8) as char);
        }
        (_, f) => {
            out.push('.');
            out.push((b'0' + (f / 10) as u8) as char);
            out.push((b'0' + (f % 10) as u8) as char);
        }
    }
}

fn is_count_unit(unit: &str) -> bool {
    let u = unit
        .trim()
        .trim_matches(|c| c == '{' || c == '}')
        .to_ascii_lowercase();
    matches!(
        u.as_str(),
        "pill"
            | "pills"
            | "tbl"
            | "tab"
            | "tabs"
            | "tablet"
            | "tablets"
            | "cap"
            | "caps"
            | "capsule"
            | "capsules"
            | "each"
            | "ea"
            | "1"
            | "unit"
            | "vial"
            | "vials"
            | "syringe"
            | "syringes"
            | "device"
            | "injection"
            | "pen"
            | "dose"
    )
}

fn mg_of(q: &Quantity, strength: Option<Strength>) -> Option<(f64, String)> {
    let v = q.value?;
    let unit = q.unit_code().unwrap_or("").trim();
    let shown = if unit.is_empty() { "(no unit)" } else { unit };
    match unit {
        "mg" | "MG" | "milligram" | "milligrams" => Some((v, format!("{} mg", fmt_num(v)))),
        "g" | "G" | "gram" | "grams" => Some((v * 1000.0, format!("{} g", fmt_num(v)))),
        "ug" | "mcg" | "µg" => Some((v / 1000.0, format!("{} mcg", fmt_num(v)))),
        "mL" | "ml" | "ML" => {
            let c = strength?.mg_per_ml()?;
            Some((v * c, format!("{} mL × {} mg/mL", fmt_num(v), fmt_num(c))))
        }
        u if is_count_unit(u) => {
            let per = strength?.mg_per_unit()?;
            // "3 tablets × 20 mg", never the UCUM annotation ("{tbl}").
            let mut shown = super::units::plain(shown);
            if v != 1.0 && !shown.ends_with('s') {
                shown.push('s');
            }
            Some((
                v * per,
                format!("{} {} × {} mg", fmt_num(v), shown, fmt_num(per)),
            ))
        }
        _ => None,
    }
}

/// Builds this module's matchers now.
pub(crate) fn warm() {
    LazyLock::force(&TEXT_MG);
    LazyLock::force(&TEXT_UNITS);
}

static TEXT_MG: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)(\d+(?:\.\d+)?)\s*mg\b").expect("static regex"));

static TEXT_UNITS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)\b\d+(?:\.\d+)?\s*(?:x\s*)?(?:tabs?|tablets?|caps?|capsules?|pills?|vials?|ml)\b",
    )
    .expect("static regex")
});

/// The largest mg per administration believed; above it the dose is
/// unreadable (a value such as 1e308 never reaches a card).
pub const MAX_MG: f64 = 1.0e7;

/// Doses given together: the instructions of one sequence (or of none), when
/// there are several, each daily or more often with a known daily dose, read
/// as one daily total. Returns one dose per such group.
pub fn together(read: &[(Option<f64>, Dose)]) -> Vec<Dose> {
    let mut keys: Vec<Option<i64>> = read.iter().map(|(s, _)| s.map(|s| s as i64)).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter_map(|key| {
            let group: Vec<&Dose> = read
                .iter()
                .filter(|(s, _)| s.map(|s| s as i64) == key)
                .map(|(_, d)| d)
                .collect();
            if group.len() < 2
                || !group
                    .iter()
                    .all(|d| d.schedule().is_some_and(|s| s.period_days <= 1.0))
            {
                return None;
            }
            let total: f64 = group.iter().map(|d| d.per_day_mg()).sum::<Option<f64>>()?;
            let parts: Vec<String> = group
                .iter()
                .map(|d| {
                    format!(
                        "{} {}",
                        d.derivation,
                        d.schedule().map_or(String::new(), |s| s.describe())
                    )
                })
                .collect();
            Some(Dose {
                mg: round_mg(total),
                frequency: Frequency::of(Schedule::DAILY, frequency::Certainty::Coded),
                derivation: format!("{} = {} mg a day", parts.join(" + "), fmt_num(total)),
            })
        })
        .collect()
}

/// The dose of one dosage instruction, given the product strength.
pub fn dose(d: &Dosage, strength: Option<Strength>) -> Option<Dose> {
    let structured = d
        .dose_and_rate
        .iter()
        .map(|dr| (dr.dose_quantity.as_ref(), dr.dose_range.as_ref()))
        // STU3 and DSTU2 keep the dose on the dosage itself.
        .chain([(d.dose_quantity.as_ref(), d.dose_range.as_ref())])
        .find_map(|(q, range)| {
            q.or(range.and_then(|r| r.high.as_ref()))
                .and_then(|q| mg_of(q, strength))
        });
    let (mg, derivation) = match structured {
        Some(x) => x,
        None => {
            // From the sig only when it names one mg figure and no count of
            // units ("5 mg tablets: take 12" is not 5 mg).
            let text = d.text.as_deref()?;
            let mut values: Vec<f64> = TEXT_MG
                .captures_iter(text)
                .filter_map(|c| c[1].parse().ok())
                .collect();
            values.dedup();
            if values.len() != 1 || TEXT_UNITS.is_match(text) {
                return None;
            }
            let v = values[0];
            (v, format!("{} mg from the dosage text", fmt_num(v)))
        }
    };
    (mg.is_finite() && mg > 0.0 && mg < MAX_MG).then(|| Dose {
        mg: round_mg(mg),
        frequency: frequency::of_dosage(d),
        derivation,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dosage(json: &str) -> Dosage {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn dose_table() {
        let pill20 = Some(Strength::PerUnit(20.0));
        let mtx_vial = Some(Strength::PerMl(25.0));
        let daily = r#""timing":{"repeat":{"frequency":1,"period":1,"periodUnit":"d"}}"#;
        let weekly = r#""timing":{"repeat":{"frequency":1,"period":1,"periodUnit":"wk"}}"#;
        // (dosage, strength, mg per administration, mg per day)
        type Case = (String, Option<Strength>, Option<f64>, Option<f64>);
        let cases: Vec<Case> = vec![
            // The sandbox: "1 {pill}" of a 20 mg tablet = 20 mg/day.
            (format!(r#"{{{daily},"doseAndRate":[{{"doseQuantity":{{"value":1,"code":"{{pill}}"}}}}]}}"#), pill20, Some(20.0), Some(20.0)),
            // S1: 3 tablets of 20 mg once daily = 60 mg/day.
            (format!(r#"{{{daily},"doseAndRate":[{{"doseQuantity":{{"value":3,"unit":"tablet"}}}}]}}"#), pill20, Some(60.0), Some(60.0)),
            // S1: MTX 1.1 mL of 25 mg/mL weekly = 27.5 mg/week.
            (format!(r#"{{{weekly},"doseAndRate":[{{"doseQuantity":{{"value":1.1,"unit":"mL"}}}}]}}"#), mtx_vial, Some(27.5), Some(3.929)),
            // mg given directly; strength irrelevant.
            (format!(r#"{{{daily},"doseAndRate":[{{"doseQuantity":{{"value":40,"unit":"mg"}}}}]}}"#), None, Some(40.0), Some(40.0)),
            // 1 g IV methylprednisolone.
            (format!(r#"{{{daily},"doseAndRate":[{{"doseQuantity":{{"value":1,"unit":"g"}}}}]}}"#), None, Some(1000.0), Some(1000.0)),
            // 30 mg twice daily = 60 mg/day.
            (r#"{"timing":{"repeat":{"frequency":2,"period":1,"periodUnit":"d"}},"doseAndRate":[{"doseQuantity":{"value":30,"unit":"mg"}}]}"#.into(), None, Some(30.0), Some(60.0)),
            // Tablets without a known strength: unknown.
            (format!(r#"{{{daily},"doseAndRate":[{{"doseQuantity":{{"value":2,"unit":"tablet"}}}}]}}"#), None, None, None),
            // Text only.
            (r#"{"text":"60 mg PO once daily"}"#.into(), None, Some(60.0), Some(60.0)),
            // A count of tablets, or two mg figures: not read from the text.
            (r#"{"text":"5 mg tablets: take 12 tablets once daily"}"#.into(), None, None, None),
            (r#"{"text":"20 mg daily for 2 weeks then 10 mg daily"}"#.into(), None, None, None),
            // Timing code BID.
            (r#"{"timing":{"code":{"coding":[{"code":"BID"}]}},"doseAndRate":[{"doseQuantity":{"value":500,"unit":"mg"}}]}"#.into(), None, Some(500.0), Some(1000.0)),
            // STU3/DSTU2: the dose on the dosage itself.
            (format!(r#"{{{daily},"doseQuantity":{{"value":15,"unit":"mg"}}}}"#), None, Some(15.0), Some(15.0)),
            // Absurd or negative doses are not read.
            (format!(r#"{{{daily},"doseAndRate":[{{"doseQuantity":{{"value":1e308,"unit":"mg"}}}}]}}"#), None, None, None),
            (format!(r#"{{{daily},"doseAndRate":[{{"doseQuantity":{{"value":-5,"unit":"mg"}}}}]}}"#), None, None, None),
            // No schedule: mg known, per day unknown.
            (r#"{"doseAndRate":[{"doseQuantity":{"value":20,"unit":"mg"}}]}"#.into(), None, Some(20.0), None),
        ];
        for (json, strength, mg, per_day) in cases {
            let d = dose(&dosage(&json), strength);
            if let Some(d) = &d {
                assert!(d.mg.is_finite() && d.mg > 0.0, "{json}");
            }
            assert_eq!(d.as_ref().map(|d| d.mg), mg, "{json}");
            let got = d.and_then(|d| d.per_day_mg());
            match (got, per_day) {
                (Some(g), Some(w)) => assert!((g - w).abs() < 1e-9, "{json}: {g}"),
                (g, w) => assert_eq!(g, w, "{json}"),
            }
        }
    }

    #[test]
    fn split_doses_given_together_add_up() {
        let d = |json: &str| dose(&dosage(json), None).unwrap();
        let morning = d(
            r#"{"timing":{"repeat":{"frequency":1,"period":1,"periodUnit":"d","when":["MORN"]}},"doseAndRate":[{"doseQuantity":{"value":10,"unit":"mg"}}]}"#,
        );
        let night = d(
            r#"{"timing":{"repeat":{"frequency":1,"period":1,"periodUnit":"d","when":["NIGHT"]}},"doseAndRate":[{"doseQuantity":{"value":5,"unit":"mg"}}]}"#,
        );
        // (sequences, combined mg a day)
        let cases = [
            (None, None, Some(15.0)),
            (Some(1.0), Some(1.0), Some(15.0)),
            // A taper: sequence 1 then 2, not added.
            (Some(1.0), Some(2.0), None),
        ];
        for (a, b, want) in cases {
            let got = together(&[(a, morning.clone()), (b, night.clone())]);
            assert_eq!(
                got.first().and_then(|d| d.per_day_mg()),
                want,
                "{a:?} {b:?}"
            );
        }
        // A weekly dose is never added as a daily one.
        let weekly = d(
            r#"{"timing":{"repeat":{"frequency":1,"period":1,"periodUnit":"wk"}},"doseAndRate":[{"doseQuantity":{"value":10,"unit":"mg"}}]}"#,
        );
        assert!(together(&[(None, weekly), (None, night)]).is_empty());
    }

    #[test]
    fn schedules_describe_themselves() {
        assert_eq!(Schedule::DAILY.describe(), "once daily");
        assert_eq!(Schedule::WEEKLY.describe(), "once weekly");
        let bid = Schedule {
            frequency: 2.0,
            period_days: 1.0,
        };
        assert_eq!(bid.describe(), "twice daily");
        let s = frequency::of_dosage(&dosage(r#"{"text":"25 mg SC once weekly"}"#));
        assert_eq!(s.schedule, Some(Schedule::WEEKLY));
    }
}
