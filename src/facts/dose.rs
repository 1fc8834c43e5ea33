//! Dose of one dosage instruction (REFERENCE.md 2.3):
//! `dose_mg = doseQuantity` when in mg (or g, mcg); otherwise
//! `doseQuantity × strength` (tablets or devices × mg per unit, mL × mg/mL);
//! `per week = dose_mg × administrations per week` (see `frequency`).
//! A dose with no mg value, or no schedule, stays unknown: never guessed.

mod steps;

use std::sync::LazyLock;

use chrono::{Datelike, NaiveDate};
use regex::Regex;

pub use super::frequency::Schedule;
use super::frequency::{self, Frequency};
use crate::fhir::{Dosage, Quantity};
use crate::terminology::medication::Strength;
pub use steps::{of_order, steps_in_list_order, ExposureDose, OrderDoses, Step};

/// The dose of one dosage instruction.
#[derive(Debug, Clone, PartialEq)]
pub struct Dose {
    /// mg per administration.
    pub mg: f64,
    /// How often (see `frequency`).
    pub frequency: Frequency,
    /// How the mg figure was obtained, for the card to show.
    pub derivation: Derivation,
}

/// How an mg figure was obtained from the order, kept as values for the
/// card to show (its words are the card's, not the facts').
#[derive(Debug, Clone, PartialEq)]
pub enum Derivation {
    /// A quantity in a unit of mass as ordered (40 mg, 1 g, 500 mcg).
    Mass { value: f64, unit: &'static str },
    /// mL × the product's mg per mL.
    Volume { ml: f64, mg_per_ml: f64 },
    /// A count of units (its unit as sent, in plain words) × mg each.
    Units {
        count: f64,
        unit: String,
        mg_each: f64,
    },
    /// A dose per kg or per m² × the weight or area used = `mg`.
    PerBody {
        amount: f64,
        mass: &'static str,
        basis: Basis,
        mg: f64,
    },
    /// A range, counted at its high end.
    Range {
        low: Box<Derivation>,
        high: Box<Derivation>,
    },
    /// A range with only its high end, counted there.
    UpTo(Box<Derivation>),
    /// "N × M mg" in the sig text: `count` × `each` = `total` mg.
    Times { count: f64, each: f64, total: f64 },
    /// Read from the dosage text.
    FromText(Box<Derivation>),
    /// As needed, read at its stated maximum: `max` once in `period_days`.
    AsNeededAtMost {
        max: Box<Derivation>,
        period_days: f64,
    },
    /// As needed with no maximum: counted at its most frequent.
    AsNeeded(Box<Derivation>),
    /// Doses given together in a day, added up to `mg_a_day`.
    Together {
        parts: Vec<(Derivation, Option<Schedule>)>,
        mg_a_day: f64,
    },
}

impl Derivation {
    /// A dose given in mg.
    pub fn mg(value: f64) -> Self {
        Derivation::Mass { value, unit: "mg" }
    }
}

/// What a per-kg or per-m² dose was computed with.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Basis {
    /// The weight used, and the date it was measured.
    Weight { kg: f64, date: Option<NaiveDate> },
    /// The body surface area (Mosteller) of the height and weight used.
    Area {
        m2: f64,
        height_cm: f64,
        weight_kg: f64,
    },
}

impl Basis {
    /// kg or m².
    pub fn value(self) -> f64 {
        match self {
            Basis::Weight { kg, .. } => kg,
            Basis::Area { m2, .. } => m2,
        }
    }
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

/// What a per-weight or per-area dose ("1 mg/kg", "375 mg/m²") is computed
/// from: the usable weight (a [`Basis::Weight`]) and body surface area (a
/// [`Basis::Area`]).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Body {
    pub weight: Option<Basis>,
    pub area: Option<Basis>,
}

/// A dose per kg (or per m²) ordered with no usable weight (or body-surface
/// area): `amount` `mass`/kg, never computed from a guess.
#[derive(Debug, Clone, PartialEq)]
pub struct NotComputed {
    pub amount: f64,
    /// "mg", "g", "mcg" as ordered.
    pub mass: &'static str,
    pub per_kg: bool,
}

/// The reading of one dose quantity.
#[derive(Debug, Clone, PartialEq)]
enum Mg {
    /// mg, and how the figure was obtained.
    Read(f64, Derivation),
    /// A dose per kg or per m² with no usable weight or area.
    NeedsBody(NotComputed),
    Unreadable,
}

/// Rounds a derived figure to 3 significant figures (the cards show no more).
pub fn sig3(v: f64) -> f64 {
    if v == 0.0 || !v.is_finite() {
        return v;
    }
    let scale = 10f64.powi(v.abs().log10().floor() as i32 - 2);
    (v / scale).round() * scale
}

/// mg in one unit of mass, and its name on the card ("mg", "g", "mcg");
/// `None` for any other unit.
fn mass(unit: &str) -> Option<(f64, &'static str)> {
    Some(match unit.trim() {
        "mg" | "MG" | "milligram" | "milligrams" => (1.0, "mg"),
        "g" | "G" | "gram" | "grams" => (1000.0, "g"),
        "ug" | "mcg" | "µg" | "microgram" | "micrograms" => (0.001, "mcg"),
        _ => return None,
    })
}

/// A per-body unit ("mg/kg", "g/kg", "mg/m2", "mg/m²"): mg per unit, the
/// mass's name and whether per kg (else per m²).
fn per_body(unit: &str) -> Option<(f64, &'static str, bool)> {
    let (m, per) = unit.split_once('/')?;
    let (factor, name) = mass(m)?;
    let per = per
        .trim()
        .trim_matches(|c| c == '{' || c == '}' || c == '[' || c == ']');
    match per {
        "kg" | "Kg" | "KG" => Some((factor, name, true)),
        "m2" | "m²" | "m^2" | "M2" => Some((factor, name, false)),
        _ => None,
    }
}

/// A dose per kg or per m², computed with the weight or area used.
fn of_body(v: f64, unit: &str, body: &Body) -> Option<Mg> {
    let (factor, mass, per_kg) = per_body(unit)?;
    let basis = if per_kg { body.weight } else { body.area };
    Some(match basis {
        Some(basis) => {
            let mg = sig3(v * factor * basis.value());
            Mg::Read(
                mg,
                Derivation::PerBody {
                    amount: v,
                    mass,
                    basis,
                    mg,
                },
            )
        }
        None => Mg::NeedsBody(NotComputed {
            amount: v,
            mass,
            per_kg,
        }),
    })
}

fn mg_of(q: &Quantity, strength: Option<Strength>, body: &Body) -> Mg {
    let Some(v) = q.value else {
        return Mg::Unreadable;
    };
    let unit = q.unit_code().unwrap_or("").trim();
    let shown = if unit.is_empty() { "(no unit)" } else { unit };
    if let Some((f, name)) = mass(unit) {
        return Mg::Read(
            v * f,
            Derivation::Mass {
                value: v,
                unit: name,
            },
        );
    }
    if let Some(m) = of_body(v, unit, body) {
        return m;
    }
    let read = match unit {
        "mL" | "ml" | "ML" => strength.and_then(|s| s.mg_per_ml()).map(|c| {
            (
                v * c,
                Derivation::Volume {
                    ml: v,
                    mg_per_ml: c,
                },
            )
        }),
        u if is_count_unit(u) => strength.and_then(|s| s.mg_per_unit()).map(|per| {
            (
                v * per,
                // The unit in words, never the UCUM annotation ("{tbl}").
                Derivation::Units {
                    count: v,
                    unit: super::units::plain(shown),
                    mg_each: per,
                },
            )
        }),
        _ => None,
    };
    read.map_or(Mg::Unreadable, |(mg, d)| Mg::Read(mg, d))
}

/// Builds this module's matchers now.
pub(crate) fn warm() {
    LazyLock::force(&TEXT_MG);
    LazyLock::force(&TEXT_UNITS);
    LazyLock::force(&TEXT_TIMES);
    LazyLock::force(&TEXT_PER_BODY);
}

static TEXT_MG: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)(\d+(?:\.\d+)?)\s*mg\b").expect("static regex"));

static TEXT_UNITS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)\b\d+(?:\.\d+)?\s*(?:x\s*)?(?:tabs?|tablets?|caps?|capsules?|pills?|vials?|ml)\b",
    )
    .expect("static regex")
});

/// "2 x 10 mg", "2 × 10 mg tablets": a count of units of a strength, taken
/// together.
static TEXT_TIMES: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(\d+)\s*[x×]\s*(\d+(?:\.\d+)?)\s*mg\b").expect("static regex")
});

/// "1 mg/kg", "375 mg/m2": a dose per body weight or area.
static TEXT_PER_BODY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(\d+(?:\.\d+)?)\s*(mg|g|mcg)\s*/\s*(kg|m2|m²)\b").expect("static regex")
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
            let parts = group
                .iter()
                .map(|d| (d.derivation.clone(), d.schedule()))
                .collect();
            Some(Dose {
                mg: round_mg(total),
                frequency: Frequency::of(Schedule::DAILY, frequency::Certainty::Coded),
                derivation: Derivation::Together {
                    parts,
                    mg_a_day: total,
                },
            })
        })
        .collect()
}

/// The dose of one dosage instruction, given the product strength (a dose
/// per kg or m² is not read: see [`read`]).
pub fn dose(d: &Dosage, strength: Option<Strength>) -> Option<Dose> {
    read(d, strength, &Body::default()).ok()
}

/// The mg figure of the structured dose: of the doseAndRate entries (and
/// the STU3 dose on the dosage), never summed, the first in a unit of mass
/// wins (Epic sends the "ordered" and the "calculated" dose side by side);
/// else the first that reads. A range counts at its high end, and is shown.
fn structured(d: &Dosage, strength: Option<Strength>, body: &Body) -> Mg {
    let entries = d
        .dose_and_rate
        .iter()
        .map(|dr| (dr.dose_quantity.as_ref(), dr.dose_range.as_ref()))
        // STU3 and DSTU2 keep the dose on the dosage itself.
        .chain([(d.dose_quantity.as_ref(), d.dose_range.as_ref())]);
    let mut readings: Vec<(bool, Mg)> = vec![];
    for (q, range) in entries {
        let (q, low) = match (q, range) {
            (Some(q), _) => (q, None),
            (None, Some(r)) => match r.high.as_ref() {
                Some(h) => (h, r.low.as_ref()),
                None => continue,
            },
            (None, None) => continue,
        };
        let in_mass = q.unit_code().and_then(mass).is_some();
        let m = match (
            mg_of(q, strength, body),
            low.map(|l| mg_of(l, strength, body)),
        ) {
            (Mg::Read(high, how), Some(Mg::Read(low, low_how))) if low <= high => Mg::Read(
                high,
                Derivation::Range {
                    low: Box::new(low_how),
                    high: Box::new(how),
                },
            ),
            (Mg::Read(high, how), _) if low.is_some() => {
                Mg::Read(high, Derivation::UpTo(Box::new(how)))
            }
            (m, _) => m,
        };
        readings.push((in_mass, m));
    }
    let first = |mass_only: bool| {
        readings
            .iter()
            .find(|(in_mass, m)| (*in_mass || !mass_only) && matches!(m, Mg::Read(..)))
            .map(|(_, m)| m.clone())
    };
    first(true)
        .or_else(|| first(false))
        .or_else(|| {
            readings
                .iter()
                .find(|(_, m)| matches!(m, Mg::NeedsBody(_)))
                .map(|(_, m)| m.clone())
        })
        .unwrap_or(Mg::Unreadable)
}

/// The mg figure of the sig text, when it names one: "60 mg", "2 x 10 mg"
/// (20 mg), "1 mg/kg" (with the weight). A count of units without a
/// strength ("5 mg tablets: take 12") or two different figures: not read.
fn from_text(text: &str, body: &Body) -> Mg {
    let per_body: Vec<_> = TEXT_PER_BODY.captures_iter(text).collect();
    if let [c] = per_body.as_slice() {
        let (Ok(v), unit) = (
            c[1].parse::<f64>(),
            format!("{}/{}", c[2].to_lowercase(), &c[3]),
        ) else {
            return Mg::Unreadable;
        };
        return match of_body(v, &unit, body) {
            Some(Mg::Read(mg, how)) => Mg::Read(mg, Derivation::FromText(Box::new(how))),
            Some(m) => m,
            None => Mg::Unreadable,
        };
    }
    if per_body.len() > 1 {
        return Mg::Unreadable;
    }
    // "2 x 10 mg": the product, when every other mg figure agrees with it.
    let times: Vec<_> = TEXT_TIMES.captures_iter(text).collect();
    if let [c] = times.as_slice() {
        let whole = c.get(0).expect("whole match").range();
        let (Ok(k), Ok(each)) = (c[1].parse::<f64>(), c[2].parse::<f64>()) else {
            return Mg::Unreadable;
        };
        let total = round_mg(k * each);
        let others_agree = TEXT_MG
            .captures_iter(text)
            .filter(|o| {
                let r = o.get(0).expect("whole match").range();
                r.end <= whole.start || r.start >= whole.end
            })
            .all(|o| o[1].parse::<f64>().is_ok_and(|v| (v - total).abs() < 1e-9));
        return if others_agree && k >= 1.0 {
            Mg::Read(
                total,
                Derivation::FromText(Box::new(Derivation::Times {
                    count: k,
                    each,
                    total,
                })),
            )
        } else {
            Mg::Unreadable
        };
    }
    if times.len() > 1 {
        return Mg::Unreadable;
    }
    let mut values: Vec<f64> = TEXT_MG
        .captures_iter(text)
        .filter_map(|c| c[1].parse().ok())
        .collect();
    values.dedup();
    if values.len() != 1 || TEXT_UNITS.is_match(text) {
        return Mg::Unreadable;
    }
    let v = values[0];
    Mg::Read(v, Derivation::FromText(Box::new(Derivation::mg(v))))
}

/// Days in a `maxDosePerPeriod` denominator.
fn period_days(q: &Quantity) -> Option<f64> {
    let v = q.value.unwrap_or(1.0);
    let days = match q.unit_code()?.trim() {
        "d" | "day" | "days" => v,
        "h" | "hour" | "hours" => v / 24.0,
        "wk" | "week" | "weeks" => v * 7.0,
        "mo" | "month" | "months" => v * 30.0,
        _ => return None,
    };
    (days.is_finite() && days > 0.0).then_some(days)
}

/// The dose of one dosage instruction, a dose per kg or m² computed with
/// `body`. An as-needed dose is read at its maximum: `maxDosePerPeriod`
/// when given (that many mg once in the period), else the dose at its most
/// frequent. `Err` says, when worth saying, why no dose could be read.
pub fn read(
    d: &Dosage,
    strength: Option<Strength>,
    body: &Body,
) -> Result<Dose, Option<NotComputed>> {
    let found = match structured(d, strength, body) {
        Mg::Unreadable => match d.text.as_deref() {
            Some(text) => from_text(text, body),
            None => Mg::Unreadable,
        },
        m => m,
    };
    let (mut mg, mut derivation) = match found {
        Mg::Read(mg, how) => (mg, how),
        Mg::NeedsBody(say) => return Err(Some(say)),
        Mg::Unreadable => return Err(None),
    };
    let mut frequency = frequency::of_dosage(d);
    if d.as_needed() {
        let max = d.max_dose_per_period.as_ref().and_then(|r| {
            let days = period_days(r.denominator.as_ref()?)?;
            match mg_of(r.numerator.as_ref()?, strength, body) {
                Mg::Read(mg, how) => Some((mg, how, days)),
                _ => None,
            }
        });
        match max {
            Some((max_mg, how, days)) => {
                let per = Schedule {
                    frequency: 1.0,
                    period_days: days,
                };
                derivation = Derivation::AsNeededAtMost {
                    max: Box::new(how),
                    period_days: days,
                };
                mg = max_mg;
                frequency = Frequency::of(per, frequency::Certainty::Coded);
            }
            None => derivation = Derivation::AsNeeded(Box::new(derivation)),
        }
    }
    (mg.is_finite() && mg > 0.0 && mg < MAX_MG)
        .then(|| Dose {
            mg: round_mg(mg),
            frequency,
            derivation,
        })
        .ok_or(None)
}

/// Dosages shared by the tests of their reading (here) and of their words
/// (`words::dose`).
#[cfg(test)]
pub(crate) mod fixtures {
    use super::{Basis, Body, NaiveDate, Strength};

    /// A daily dose range as sent: (low, high, strength). The first four
    /// keep both ends; then a high end alone, a low end above the high end,
    /// a low end alone.
    pub const RANGES: [(&str, &str, Option<Strength>); 7] = [
        (
            r#""low":{"value":10,"unit":"mg"},"#,
            r#""high":{"value":20,"unit":"mg"}"#,
            None,
        ),
        (
            r#""low":{"value":40,"unit":"mg"},"#,
            r#""high":{"value":80,"unit":"mg"}"#,
            None,
        ),
        (
            r#""low":{"value":1,"unit":"tablet"},"#,
            r#""high":{"value":2,"unit":"tablet"}"#,
            Some(Strength::PerUnit(5.0)),
        ),
        (
            r#""low":{"value":500,"unit":"mcg"},"#,
            r#""high":{"value":1,"unit":"mg"}"#,
            None,
        ),
        ("", r#""high":{"value":30,"unit":"mg"}"#, None),
        (
            r#""low":{"value":40,"unit":"mg"},"#,
            r#""high":{"value":30,"unit":"mg"}"#,
            None,
        ),
        (r#""low":{"value":10,"unit":"mg"}"#, "", None),
    ];

    /// The dosage of one of [`RANGES`], once daily.
    pub fn range(low: &str, high: &str) -> String {
        format!(
            r#"{{"timing":{{"repeat":{{"frequency":1,"period":1,"periodUnit":"d"}}}},"doseAndRate":[{{"doseRange":{{{low}{high}}}}}]}}"#
        )
    }

    /// 10 mg in the morning and 5 mg at night, each once daily.
    pub fn morning_and_night() -> (super::Dose, super::Dose) {
        let d = |when: &str, mg: u32| {
            let json = format!(
                r#"{{"timing":{{"repeat":{{"frequency":1,"period":1,"periodUnit":"d","when":["{when}"]}}}},"doseAndRate":[{{"doseQuantity":{{"value":{mg},"unit":"mg"}}}}]}}"#
            );
            super::dose(&serde_json::from_str(&json).unwrap(), None).unwrap()
        };
        (d("MORN", 10), d("NIGHT", 5))
    }

    /// 70 kg (measured on `date`), 170 cm, 1.82 m².
    pub fn kg70(date: Option<NaiveDate>) -> Body {
        Body {
            weight: Some(Basis::Weight { kg: 70.0, date }),
            area: Some(Basis::Area {
                m2: 1.82,
                height_cm: 170.0,
                weight_kg: 70.0,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dosage(json: &str) -> Dosage<'_> {
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
        let (morning, night) = fixtures::morning_and_night();
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
    fn a_sig_reads_its_schedule() {
        let s = frequency::of_dosage(&dosage(r#"{"text":"25 mg SC once weekly"}"#));
        assert_eq!(s.schedule, Some(Schedule::WEEKLY));
    }

    fn kg70() -> Body {
        fixtures::kg70(None)
    }

    fn per_day(r: &Result<Dose, Option<NotComputed>>) -> Option<f64> {
        r.as_ref().ok().and_then(|d| d.per_day_mg())
    }

    #[test]
    fn several_dose_entries_are_never_summed_the_mg_one_wins() {
        let daily = r#""timing":{"repeat":{"frequency":1,"period":1,"periodUnit":"d"}}"#;
        // (doseAndRate entries, strength, mg)
        let cases = [
            // Epic: "ordered" 1 tablet and "calculated" 20 mg: 20, not 40.
            (
                r#"{"doseQuantity":{"value":1,"code":"{tbl}"}},{"doseQuantity":{"value":20,"unit":"mg"}}"#,
                Some(Strength::PerUnit(20.0)),
                Some(20.0),
            ),
            // The mg entry wins even when the count disagrees with it.
            (
                r#"{"doseQuantity":{"value":3,"code":"{tbl}"}},{"doseQuantity":{"value":20,"unit":"mg"}}"#,
                Some(Strength::PerUnit(5.0)),
                Some(20.0),
            ),
            // No strength for the tablets: the mg entry.
            (
                r#"{"doseQuantity":{"value":2,"unit":"tablet"}},{"doseQuantity":{"value":40,"unit":"mg"}}"#,
                None,
                Some(40.0),
            ),
            // mL and mg: the mg one (1.1 mL × 25 mg/mL would also be 27.5).
            (
                r#"{"doseQuantity":{"value":1.2,"unit":"mL"}},{"doseQuantity":{"value":27.5,"unit":"mg"}}"#,
                Some(Strength::PerMl(25.0)),
                Some(27.5),
            ),
            // Only counts: the first that reads.
            (
                r#"{"doseQuantity":{"value":2,"unit":"tablet"}},{"doseQuantity":{"value":1,"unit":"each"}}"#,
                Some(Strength::PerUnit(5.0)),
                Some(10.0),
            ),
        ];
        for (entries, strength, want) in cases {
            let json = format!(r#"{{{daily},"doseAndRate":[{entries}]}}"#);
            let got = read(&dosage(&json), strength, &Body::default()).ok();
            assert_eq!(got.map(|d| d.mg), want, "{json}");
        }
    }

    #[test]
    fn a_dose_range_counts_at_its_high_end_and_is_shown() {
        // (mg per day, both ends kept for the card), one per range.
        let want = [
            (Some(20.0), true),
            (Some(80.0), true),
            // 1–2 tablets of 5 mg: 10 mg.
            (Some(10.0), true),
            (Some(1.0), true),
            // Only a high end.
            (Some(30.0), false),
            // A low end above the high end: the high end alone.
            (Some(30.0), false),
            // No high end: not guessed from the low one.
            (None, false),
        ];
        assert_eq!(want.len(), fixtures::RANGES.len());
        for ((low, high, strength), (want, range_kept)) in fixtures::RANGES.iter().zip(want) {
            let json = fixtures::range(low, high);
            let got = read(&dosage(&json), *strength, &Body::default());
            assert_eq!(per_day(&got), want, "{json}");
            if let Ok(d) = got {
                assert_eq!(
                    matches!(d.derivation, Derivation::Range { .. }),
                    range_kept,
                    "{json}"
                );
            }
        }
    }

    #[test]
    fn doses_per_kg_or_m2_use_the_weight_or_area_and_keep_it() {
        let q = |v: f64, unit: &str| {
            format!(
                r#"{{"timing":{{"repeat":{{"frequency":1,"period":1,"periodUnit":"d"}}}},"doseAndRate":[{{"doseQuantity":{{"value":{v},"code":"{unit}"}}}}]}}"#
            )
        };
        let w = |kg: f64| Body {
            weight: Some(Basis::Weight { kg, date: None }),
            area: None,
        };
        // (dosage, body, mg, computed with kg (else m²))
        let cases: Vec<(String, Body, Option<f64>, bool)> = vec![
            // 1 mg/kg × 70 kg = 70 mg.
            (q(1.0, "mg/kg"), kg70(), Some(70.0), true),
            // 0.75 mg/kg × 63.5 kg = 47.625 → 47.6 (3 significant figures).
            (q(0.75, "mg/kg"), w(63.5), Some(47.6), true),
            // IVIG 2 g/kg × 60 kg = 120 g.
            (q(2.0, "g/kg"), w(60.0), Some(120_000.0), true),
            // Cyclophosphamide 500 mg/m² × 1.82 m² = 910 mg.
            (q(500.0, "mg/m2"), kg70(), Some(910.0), false),
            // 375 mg/m² × 1.82 = 682.5 → 683.
            (q(375.0, "mg/m²"), kg70(), Some(683.0), false),
            // From the sig: 1 mg/kg, never "1 mg".
            (
                r#"{"text":"1 mg/kg by mouth once daily"}"#.into(),
                kg70(),
                Some(70.0),
                true,
            ),
        ];
        for (json, body, want, per_kg) in cases {
            let got = read(&dosage(&json), None, &body);
            assert_eq!(got.as_ref().ok().map(|d| d.mg), want, "{json}");
            let basis = match got.unwrap().derivation {
                Derivation::PerBody { basis, .. } => basis,
                Derivation::FromText(d) => match *d {
                    Derivation::PerBody { basis, .. } => basis,
                    other => panic!("{json}: {other:?}"),
                },
                other => panic!("{json}: {other:?}"),
            };
            let want_basis = if per_kg { body.weight } else { body.area };
            assert_eq!(Some(basis), want_basis, "{json}");
        }
        // No usable weight or area: unknown, and said; never a guessed dose.
        let per = |amount: f64, per_kg: bool| NotComputed {
            amount,
            mass: "mg",
            per_kg,
        };
        for (json, said) in [
            (q(1.0, "mg/kg"), per(1.0, true)),
            (r#"{"text":"1 mg/kg daily"}"#.into(), per(1.0, true)),
            (q(500.0, "mg/m2"), per(500.0, false)),
        ] {
            assert_eq!(
                read(&dosage(&json), None, &Body::default()),
                Err(Some(said))
            );
            assert_eq!(dose(&dosage(&json), None), None);
        }
    }

    #[test]
    fn as_needed_doses_count_at_their_maximum_for_limits_only() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
        // (dosage, mg a day for limits)
        let cases = [
            // 10 mg every 6 h as needed, at most 30 mg a day: 30.
            (
                r#"{"asNeededBoolean":true,"timing":{"repeat":{"frequency":1,"period":6,"periodUnit":"h"}},"doseAndRate":[{"doseQuantity":{"value":10,"unit":"mg"}}],"maxDosePerPeriod":{"numerator":{"value":30,"unit":"mg"},"denominator":{"value":1,"unit":"d"}}}"#,
                Some(30.0),
            ),
            // No maximum: at its most frequent, 10 mg × 4 = 40.
            (
                r#"{"asNeededBoolean":true,"timing":{"repeat":{"frequency":1,"period":6,"periodUnit":"h"}},"doseAndRate":[{"doseQuantity":{"value":10,"unit":"mg"}}]}"#,
                Some(40.0),
            ),
            // For a reason; at most 2 tablets of 20 mg a day = 40.
            (
                r#"{"asNeededCodeableConcept":{"text":"flare"},"doseAndRate":[{"doseQuantity":{"value":20,"unit":"mg"}}],"maxDosePerPeriod":{"numerator":{"value":2,"unit":"tablet"},"denominator":{"value":1,"unit":"d"}}}"#,
                Some(40.0),
            ),
            // At most 70 mg a week: 10 mg a day.
            (
                r#"{"asNeededBoolean":true,"doseAndRate":[{"doseQuantity":{"value":10,"unit":"mg"}}],"maxDosePerPeriod":{"numerator":{"value":70,"unit":"mg"},"denominator":{"value":1,"unit":"wk"}}}"#,
                Some(10.0),
            ),
            // "as needed: false" is a scheduled dose.
            (
                r#"{"asNeededBoolean":false,"timing":{"repeat":{"frequency":1,"period":1,"periodUnit":"d"}},"doseAndRate":[{"doseQuantity":{"value":5,"unit":"mg"}}]}"#,
                Some(5.0),
            ),
        ];
        for (json, want) in cases {
            let d = dosage(json);
            let got = read(&d, Some(Strength::PerUnit(20.0)), &Body::default());
            assert_eq!(per_day(&got), want, "{json}");
            let order = of_order(
                &[Step {
                    sequence: None,
                    start: None,
                    end: None,
                    as_needed: d.as_needed(),
                    dose: got.ok(),
                }],
                today,
            );
            let want_exposure = if d.as_needed() {
                ExposureDose::AsNeeded
            } else {
                ExposureDose::Limit
            };
            assert_eq!(order.exposure, want_exposure, "{json}");
        }
    }

    fn daily_mg(mg: f64) -> Dose {
        Dose {
            mg,
            frequency: Frequency::of(Schedule::DAILY, frequency::Certainty::Coded),
            derivation: Derivation::mg(mg),
        }
    }

    fn step(sequence: Option<f64>, mg: f64) -> Step {
        Step {
            sequence,
            start: None,
            end: None,
            as_needed: false,
            dose: Some(daily_mg(mg)),
        }
    }

    fn exposure_mg(o: &OrderDoses) -> Option<f64> {
        match &o.exposure {
            ExposureDose::Limit => o.limit.as_ref().and_then(|d| d.per_day_mg()),
            ExposureDose::Step(d) => d.as_ref().and_then(|d| d.per_day_mg()),
            ExposureDose::AsNeeded => None,
        }
    }

    #[test]
    fn a_taper_counts_its_first_step_today_and_its_highest_for_limits() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
        let date = |d: u32| NaiveDate::from_ymd_opt(2026, 11, d);
        let bounded = |mg: f64, start: u32, end: u32| Step {
            start: date(start),
            end: date(end),
            ..step(None, mg)
        };
        // (steps, today's exposure mg/day, limit mg/day)
        let cases: Vec<(Vec<Step>, Option<f64>, Option<f64>)> = vec![
            // Taper 60 → 40 → 20 by sequence: 60 today, 60 the limit.
            (
                vec![
                    step(Some(1.0), 60.0),
                    step(Some(2.0), 40.0),
                    step(Some(3.0), 20.0),
                ],
                Some(60.0),
                Some(60.0),
            ),
            // Sent in another order: the same.
            (
                vec![
                    step(Some(3.0), 20.0),
                    step(Some(1.0), 60.0),
                    step(Some(2.0), 40.0),
                ],
                Some(60.0),
                Some(60.0),
            ),
            // Escalation 20 → 40 → 60: 20 today, 60 the limit.
            (
                vec![
                    step(Some(1.0), 20.0),
                    step(Some(2.0), 40.0),
                    step(Some(3.0), 60.0),
                ],
                Some(20.0),
                Some(60.0),
            ),
            // Two instructions of sequence 1 (10 + 5 a day), then 5: 15 today.
            (
                vec![
                    step(Some(1.0), 10.0),
                    step(Some(1.0), 5.0),
                    step(Some(2.0), 5.0),
                ],
                Some(15.0),
                Some(15.0),
            ),
            // Timing bounds: the step holding today (40 from 2026-11-22).
            (
                vec![
                    bounded(60.0, 15, 21),
                    bounded(40.0, 22, 28),
                    bounded(20.0, 29, 30),
                ],
                Some(40.0),
                Some(60.0),
            ),
            // Bounds not yet begun: the earliest.
            (
                vec![bounded(20.0, 27, 28), bounded(30.0, 25, 26)],
                Some(30.0),
                Some(30.0),
            ),
            // One step: the same dose for both.
            (vec![step(None, 20.0)], Some(20.0), Some(20.0)),
            // First step unreadable: today's exposure unknown, never the next step.
            (
                vec![
                    Step {
                        dose: None,
                        ..step(Some(1.0), 0.0)
                    },
                    step(Some(2.0), 40.0),
                ],
                None,
                Some(40.0),
            ),
            // A scheduled 10 mg and an as-needed 20 mg a day: 10 today; both may
            // be taken on one day, so 30 is the limit.
            (
                vec![
                    step(None, 10.0),
                    Step {
                        as_needed: true,
                        ..step(None, 20.0)
                    },
                ],
                Some(10.0),
                Some(30.0),
            ),
        ];
        for (steps, exposure, limit) in cases {
            let o = of_order(&steps, today);
            assert_eq!(exposure_mg(&o), exposure, "{steps:?}");
            assert_eq!(
                o.limit.as_ref().and_then(|d| d.per_day_mg()),
                limit,
                "{steps:?}"
            );
        }
    }

    #[test]
    fn steps_listed_with_durations_follow_one_another() {
        let d = |extra: &str| {
            format!(
                r#"{{{extra}"timing":{{"repeat":{{"frequency":1,"period":1,"periodUnit":"d","boundsDuration":{{"value":7,"code":"d"}}}}}}}}"#
            )
        };
        let when = r#"{"timing":{"repeat":{"frequency":1,"period":1,"periodUnit":"d","when":["MORN"],"boundsDuration":{"value":30,"code":"d"}}}}"#;
        let plain = r#"{"timing":{"repeat":{"frequency":1,"period":1,"periodUnit":"d"}}}"#;
        // (instructions, read as consecutive steps)
        let cases: Vec<(Vec<String>, bool)> = vec![
            // 60 mg for 7 days, then 40 mg for 7 days.
            (vec![d(""), d("")], true),
            // With sequences: the sequences decide.
            (vec![d(r#""sequence":1,"#), d(r#""sequence":2,"#)], false),
            // A morning dose beside another: given together.
            (vec![when.into(), d("")], false),
            // No durations: given together.
            (vec![plain.into(), plain.into()], false),
            // One instruction: nothing follows.
            (vec![d("")], false),
        ];
        for (instructions, want) in cases {
            let dosages: Vec<Dosage> = instructions.iter().map(|j| dosage(j)).collect();
            assert_eq!(steps_in_list_order(&dosages), want, "{instructions:?}");
        }
    }

    #[test]
    fn the_sig_reads_a_count_times_a_strength_as_one_dose() {
        // (sig, mg per administration, administrations a week)
        let cases = [
            ("2 x 10 mg", Some(20.0), None),
            ("Take 2 x 10 mg tablets", Some(20.0), None),
            ("Take 2 x 10 mg tablets once daily", Some(20.0), Some(7.0)),
            ("2 × 10 mg by mouth daily", Some(20.0), Some(7.0)),
            ("Take 6 x 2.5 mg tablets once weekly", Some(15.0), Some(1.0)),
            // The total stated beside it agrees: read.
            ("2 x 10 mg (20 mg) daily", Some(20.0), Some(7.0)),
            // A total that disagrees: not read.
            ("2 x 10 mg (30 mg) daily", None, None),
            // A duration is not a count: "x 5 days".
            ("5 mg daily x 5 days", Some(5.0), Some(7.0)),
        ];
        for (sig, mg, per_week) in cases {
            let d = dose(&dosage(&format!(r#"{{"text":"{sig}"}}"#)), None);
            assert_eq!(d.as_ref().map(|d| d.mg), mg, "{sig}");
            if mg.is_some() {
                assert_eq!(d.and_then(|d| d.frequency.per_week), per_week, "{sig}");
            }
        }
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            /// Any count of units of a strength, or of a mass unit, reads as
            /// count × strength mg; "N x M mg" in a sig as N × M.
            #[test]
            fn units_times_counts(
                halves in 1u32..40,
                strength in prop::sample::select(vec![1.0, 2.5, 5.0, 10.0, 20.0, 50.0, 500.0]),
                unit in prop::sample::select(vec!["tablet", "tablets", "{tbl}", "{pill}", "tab", "capsule", "each", "mg", "g", "mcg"]),
                k in 1u32..10,
            ) {
                let count = f64::from(halves) / 2.0;
                let json = format!(r#"{{"doseAndRate":[{{"doseQuantity":{{"value":{count},"code":"{unit}"}}}}]}}"#);
                let got = dose(&dosage(&json), Some(Strength::PerUnit(strength))).map(|d| d.mg);
                let want = match unit {
                    "mg" => count,
                    "g" => count * 1000.0,
                    "mcg" => count / 1000.0,
                    _ => count * strength,
                };
                prop_assert_eq!(got, Some(round_mg(want)));
                let sig = format!(r#"{{"text":"Take {k} x {} mg tablets once daily"}}"#, crate::text::amount(strength));
                let d = dose(&dosage(&sig), None);
                prop_assert_eq!(d.as_ref().map(|d| d.mg), Some(round_mg(f64::from(k) * strength)));
                prop_assert_eq!(d.and_then(|d| d.frequency.per_week), Some(7.0));
            }

            /// A range counts at its high end, never below its low end.
            #[test]
            fn range_high_end_at_least_low_end(low in 0.5f64..500.0, extra in 0.0f64..500.0) {
                let high = low + extra;
                let json = format!(r#"{{"doseAndRate":[{{"doseRange":{{"low":{{"value":{low},"unit":"mg"}},"high":{{"value":{high},"unit":"mg"}}}}}}]}}"#);
                let d = dose(&dosage(&json), None).expect("a range in mg reads");
                prop_assert_eq!(d.mg, round_mg(high));
                prop_assert!(d.mg >= round_mg(low));
            }

            /// A multi-step order: today's exposure never exceeds the limit
            /// dose, and the order its steps are sent in changes nothing.
            #[test]
            fn multi_step_exposure_within_limit_and_order_free(
                doses in prop::collection::vec(1u32..200, 1..6),
                shuffle in prop::collection::vec(0usize..100, 6),
            ) {
                let today = NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
                let steps: Vec<Step> = doses
                    .iter()
                    .enumerate()
                    .map(|(i, mg)| step(Some(i as f64 + 1.0), f64::from(*mg)))
                    .collect();
                let mut permuted = steps.clone();
                for (i, j) in shuffle.iter().enumerate().take(permuted.len()) {
                    let n = permuted.len();
                    permuted.swap(i % n, j % n);
                }
                let a = of_order(&steps, today);
                let b = of_order(&permuted, today);
                let limit = a.limit.as_ref().and_then(|d| d.per_day_mg());
                let exposure = exposure_mg(&a);
                prop_assert!(exposure.unwrap() <= limit.unwrap() + 1e-9);
                prop_assert_eq!(exposure, Some(f64::from(doses[0])));
                prop_assert_eq!(exposure_mg(&b), exposure);
                prop_assert_eq!(b.limit.as_ref().and_then(|d| d.per_day_mg()), limit);
            }
        }
    }
}
