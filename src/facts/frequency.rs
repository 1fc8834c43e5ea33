//! How often a medication is given: administrations per week, days with an
//! administration in any 7 days, and how sure the reading is.
//!
//! POLICY (second edition, "Dose frequency"): "Administrations per week come
//! from every FHIR timing form (frequency/period/periodUnit, frequencyMax,
//! dayOfWeek, timeOfDay, boundsDuration/count, `timing.code` such as QD, BID,
//! TID, QID, QOD, Q4H–Q12H, WK), and only then from the sig text with a small
//! tested grammar [...]. Words that are not a frequency ("multidose vial")
//! are never read as one. When the frequency cannot be known the card says
//! so; it never guesses once daily."
//!
//! One function, [`of_dosage`], reads a dosage; every rule that needs a
//! frequency uses what it returns (through [`crate::facts::Dose`]). Ranges
//! (frequencyMax, "every 4–6 hours") are read at their most frequent: the
//! figure is used for safety limits.

use std::sync::LazyLock;

use regex::Regex;

use crate::fhir::{Dosage, Timing};

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
}

/// How the frequency was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Certainty {
    /// From structured timing (`repeat`, `code`, `event`).
    Coded,
    /// From the sig text.
    Text,
    /// Not known.
    Unknown,
}

/// How often: the reading of one dosage instruction.
#[derive(Debug, Clone, PartialEq)]
pub struct Frequency {
    /// `count` administrations every `period_days` (for words and per-day figures).
    pub schedule: Option<Schedule>,
    /// Administrations per week (the most frequent reading of a range).
    pub per_week: Option<f64>,
    /// Days with an administration in any 7 days (at most 7).
    pub days_per_week: Option<f64>,
    pub certainty: Certainty,
    /// Why it is unknown, or what limited it, for the card.
    pub note: Option<Note>,
}

/// Why a frequency is unknown, or what limited it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Note {
    /// The order has no dosage instruction.
    NoDosage,
    /// Neither the timing nor the sig text gives a frequency.
    NoFrequency,
    /// The sig text names more than one frequency.
    Conflicting,
    /// A set number of administrations (or a short course) caps the week:
    /// `count` in all, read as at most `count` a week instead of `uncapped`.
    Capped { count: f64, uncapped: f64 },
}

impl Frequency {
    pub fn unknown(note: Option<Note>) -> Self {
        Frequency {
            schedule: None,
            per_week: None,
            days_per_week: None,
            certainty: Certainty::Unknown,
            note,
        }
    }

    /// The reading of a known schedule.
    pub fn of(schedule: Schedule, certainty: Certainty) -> Self {
        let per_week = schedule.frequency * 7.0 / schedule.period_days;
        let days = if schedule.period_days < 1.0 {
            7.0
        } else {
            per_week.min(7.0)
        };
        Frequency {
            schedule: Some(schedule),
            per_week: Some(per_week),
            days_per_week: Some(days),
            certainty,
            note: None,
        }
    }

    pub fn is_known(&self) -> bool {
        self.per_week.is_some()
    }

    /// Administrations a day on the days the medication is given: the rate
    /// of the schedule, not diluted by a short course (3 doses of a daily
    /// pulse are 1 a day, not 3/7).
    pub fn per_day(&self) -> Option<f64> {
        match (&self.schedule, self.per_week) {
            (Some(s), Some(w)) if s.period_days <= 1.0 => Some(s.per_day().max(w / 7.0)),
            (_, w) => w.map(|w| w / 7.0),
        }
    }

    /// More than one administration day in 7 days (`None`: unknown).
    pub fn more_than_weekly(&self) -> Option<bool> {
        self.days_per_week.map(|d| d > 1.0 + 1e-9)
    }
}

/// Days in a FHIR `periodUnit`.
fn unit_days(unit: &str) -> Option<f64> {
    Some(match unit {
        "s" => 1.0 / 86_400.0,
        "min" => 1.0 / 1440.0,
        "h" => 1.0 / 24.0,
        "d" => 1.0,
        "wk" => 7.0,
        "mo" => 30.0,
        "a" => 365.0,
        _ => return None,
    })
}

fn sched(frequency: f64, period_days: f64) -> Schedule {
    Schedule {
        frequency,
        period_days,
    }
}

/// The most administrations a period may plausibly hold; above it the
/// timing is unreadable rather than believed.
const MAX_PER_DAY: f64 = 48.0;

fn valid(s: Schedule) -> Option<Schedule> {
    (s.frequency.is_finite()
        && s.period_days.is_finite()
        && s.frequency > 0.0
        && s.period_days > 0.0
        && s.frequency / s.period_days <= MAX_PER_DAY)
        .then_some(s)
}

/// Timing codes (HL7 GTSAbbreviation and common kin).
fn code_schedule(code: &str) -> Option<Schedule> {
    let c = code.trim().to_ascii_uppercase();
    let s = match c.as_str() {
        "QD" | "AM" | "PM" | "BED" | "QAM" | "QPM" | "QHS" | "HS" | "OD" | "DAILY" => {
            sched(1.0, 1.0)
        }
        "BID" | "BD" => sched(2.0, 1.0),
        "TID" | "TDS" => sched(3.0, 1.0),
        "QID" | "QDS" => sched(4.0, 1.0),
        "QOD" => sched(1.0, 2.0),
        "WK" | "QWK" | "QW" | "WEEKLY" => sched(1.0, 7.0),
        "MO" => sched(1.0, 30.0),
        _ => {
            // Q1H .. Q48H
            let n: f64 = c.strip_prefix('Q')?.strip_suffix('H')?.parse().ok()?;
            sched(24.0 / n, 1.0)
        }
    };
    valid(s)
}

fn weekday(s: &str) -> Option<usize> {
    let s = s.to_ascii_lowercase();
    ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
        .iter()
        .position(|d| s.starts_with(d))
}

/// Structured timing: `repeat`, else `code`, else `event`. `None` when none
/// of them states a frequency.
pub fn of_timing(t: &Timing) -> Option<Frequency> {
    let r = t.repeat.as_ref();
    let code_schedule = t.code.as_ref().and_then(|code| {
        code.coding
            .iter()
            .filter_map(|c| c.code.as_deref())
            .find_map(code_schedule)
    });
    let mut f = r.and_then(|r| {
        let days: std::collections::BTreeSet<usize> =
            r.day_of_week.iter().filter_map(|d| weekday(d)).collect();
        let per_day_slots = r.time_of_day.len().max(r.when.len()) as f64;
        let count = r.frequency_max.or(r.frequency);
        let period = r.period.zip(r.period_unit.as_deref().and_then(unit_days));
        let base = match (count, period) {
            (c, Some((p, unit))) => valid(sched(c.unwrap_or(1.0), p * unit)),
            // A code (WK, BID...) with times of day only: the code's frequency;
            // times of day add administrations only within a day.
            (None, None) if code_schedule.is_some() => code_schedule,
            (Some(c), None) if !days.is_empty() || per_day_slots > 0.0 => valid(sched(c, 1.0)),
            _ if per_day_slots > 0.0 => valid(sched(per_day_slots, 1.0)),
            _ if !days.is_empty() => valid(sched(1.0, 1.0)),
            _ => None,
        }?;
        // Several times of day: at least that many a day.
        let base = if per_day_slots > 0.0 && base.period_days <= 1.0 {
            let per_day = base.frequency / base.period_days;
            if per_day_slots > per_day {
                sched(per_day_slots, 1.0)
            } else {
                base
            }
        } else {
            base
        };
        let mut f = Frequency::of(base, Certainty::Coded);
        if !days.is_empty() {
            let n = days.len() as f64;
            let weeks = (base.period_days / 7.0).max(1.0);
            let on_days = n / weeks;
            let per_week = if base.period_days <= 1.0 {
                on_days * base.frequency / base.period_days
            } else {
                f.per_week.unwrap_or(0.0).max(on_days)
            };
            f.per_week = Some(per_week);
            f.days_per_week = Some(on_days.min(7.0));
            f.schedule = Some(sched(per_week, 7.0));
        }
        Some(f)
    });
    if f.is_none() {
        f = code_schedule
            .map(|s| Frequency::of(s, Certainty::Coded))
            .or_else(|| t.code.as_ref()?.text.as_deref().and_then(of_text));
    }
    if f.is_none() && !t.event.is_empty() {
        let mut dates: Vec<chrono::NaiveDate> = t
            .event
            .iter()
            .filter_map(|e| crate::fhir::date(e))
            .collect();
        dates.sort();
        if let Some(first) = dates.first().copied() {
            let week: Vec<_> = dates
                .iter()
                .filter(|d| (**d - first).num_days() < 7)
                .collect();
            let mut distinct = week.clone();
            distinct.dedup();
            f = Some(Frequency {
                schedule: Some(sched(week.len() as f64, 7.0)),
                per_week: Some(week.len() as f64),
                days_per_week: Some(distinct.len() as f64),
                certainty: Certainty::Coded,
                note: None,
            });
        }
    }
    // A course shorter than a week, or a set number of doses, caps the week.
    if let (Some(f), Some(r)) = (f.as_mut(), r) {
        let mut cap = f64::INFINITY;
        if let Some(c) = r.count_max.or(r.count).filter(|c| *c > 0.0) {
            cap = cap.min(c);
        }
        if let Some(d) = r.bounds_duration.as_ref().and_then(|q| {
            let v = q.value?;
            let unit = q.unit_code()?;
            let days = match unit {
                "d" | "day" | "days" => v,
                "wk" | "week" | "weeks" => v * 7.0,
                "h" => v / 24.0,
                "mo" => v * 30.0,
                _ => return None,
            };
            (days > 0.0).then_some(days)
        }) {
            if d < 7.0 {
                if let Some(w) = f.per_week {
                    cap = cap.min((w * d / 7.0).ceil());
                }
                if let Some(days) = f.days_per_week {
                    f.days_per_week = Some(days.min(d.ceil()));
                }
            }
        }
        if cap.is_finite() {
            if let Some(w) = f.per_week.filter(|w| *w > cap) {
                f.per_week = Some(cap);
                f.note = Some(Note::Capped {
                    count: cap,
                    uncapped: w,
                });
            }
            if let Some(d) = f.days_per_week.filter(|d| *d > cap) {
                let _ = d;
                f.days_per_week = Some(cap);
            }
        }
    }
    f
}

/// The frequency of a dosage: structured timing first, the sig text only
/// as a fallback.
pub fn of_dosage(d: &Dosage) -> Frequency {
    if let Some(f) = d.timing.as_ref().and_then(of_timing) {
        return f;
    }
    match d.text.as_deref() {
        Some(text) => of_text(text).unwrap_or_else(|| {
            Frequency::unknown(Some(if conflicting(text) {
                Note::Conflicting
            } else {
                Note::NoFrequency
            }))
        }),
        None => Frequency::unknown(Some(Note::NoFrequency)),
    }
}

// ---- The sig grammar -------------------------------------------------------

/// What one phrase of a sig says.
#[derive(Debug, Clone, Copy)]
enum Says {
    /// `count` administrations every `period_days`.
    Every(f64, f64),
    /// A phrase that rules out reading a frequency ("biweekly").
    Ambiguous,
    /// A duration or other phrase that is not a frequency.
    Nothing,
}

fn word_number(w: &str) -> Option<f64> {
    Some(match w {
        "once" | "one" | "a" => 1.0,
        "twice" | "two" => 2.0,
        "thrice" | "three" => 3.0,
        "four" => 4.0,
        "five" => 5.0,
        "six" => 6.0,
        "seven" => 7.0,
        n => n.replace(',', ".").parse().ok()?,
    })
}

/// What a matched phrase says.
type Reading = fn(&regex::Captures) -> Says;
type Phrase = (Regex, Reading);

const NUM: &str = r"(\d+(?:[.,]\d+)?|one|two|three|four|five|six|seven)";
const DAY: &str = r"(?:day|days|daily|d)";
const WEEK: &str = r"(?:week|weeks|weekly|wk|wks|w)";

fn n(c: &regex::Captures, i: usize) -> f64 {
    c.get(i)
        .and_then(|m| word_number(m.as_str()))
        .unwrap_or(f64::NAN)
}

/// Builds this module's matchers now.
pub(crate) fn warm() {
    LazyLock::force(&PHRASES);
    LazyLock::force(&WEEKDAYS);
}

/// The phrases, most specific first; each match hides its words from the
/// phrases after it.
static PHRASES: LazyLock<Vec<Phrase>> = LazyLock::new(|| {
    let re = |s: &str| Regex::new(s).expect("static regex");
    let p: Vec<(String, Reading)> = vec![
        // Durations and dose counts are not frequencies.
        (format!(r"\b(?:for|x|over)\s*(?:an?|{NUM})\s*(?:more\s+)?(?:days?|weeks?|wks?|months?|doses?)\b"), |_| Says::Nothing),
        (r"\b(?:bi-?weekly|bi-?monthly|semi-?weekly)\b".into(), |_| Says::Ambiguous),
        // "1-0-1": morning, noon, evening (and night).
        (r"(?:^|\s)([0-4])\s*-\s*([0-4])\s*-\s*([0-4])(?:\s*-\s*([0-4]))?(?:\s|$)".into(), |c| {
            let sum: f64 = (1..=4).map(|i| c.get(i).map_or(0.0, |m| m.as_str().parse().unwrap_or(0.0))).sum();
            if sum > 0.0 { Says::Every(sum, 1.0) } else { Says::Nothing }
        }),
        (r"\b(?:every|q)\s*(\d+(?:\.\d+)?)\s*(?:-\s*\d+\s*)?(?:h|hr|hrs|hours?)\b".into(), |c| Says::Every(24.0 / n(c, 1), 1.0)),
        (r"\b(?:every|q)\s*(\d+)\s*(?:d|days?)\b".into(), |c| Says::Every(1.0, n(c, 1))),
        (r"\b(?:every|q)\s*(\d+)\s*(?:w|wks?|weeks?)\b".into(), |c| Says::Every(1.0, 7.0 * n(c, 1))),
        (r"\b(?:every\s+other\s+day|every\s+second\s+day|alternate\s+days?|alternating\s+days|on\s+alternate\s+days|q\.?o\.?d\.?)(?:\W|$)".into(), |_| Says::Every(1.0, 2.0)),
        (r"\b(?:every\s+other\s+week|every\s+second\s+week|fortnightly)\b".into(), |_| Says::Every(1.0, 14.0)),
        // "7 days a week" is daily.
        (format!(r"\b{NUM}\s*days?\s*(?:a|per|each|every|/|in\s+a)\s*week\b"), |c| Says::Every(n(c, 1), 7.0)),
        (format!(r"\b(once|twice|thrice)\s*(?:a|per|each|every|/|in\s+a)?\s*{DAY}\b"), |c| Says::Every(n(c, 1), 1.0)),
        (format!(r"\b{NUM}\s*(?:x|times?)\s*(?:a|per|each|every|/|in\s+a)?\s*{DAY}\b"), |c| Says::Every(n(c, 1), 1.0)),
        (format!(r"\b(once|twice|thrice)\s*(?:a|per|each|every|/|in\s+a)?\s*{WEEK}\b"), |c| Says::Every(n(c, 1), 7.0)),
        (format!(r"\b{NUM}\s*(?:x|times?)\s*(?:a|per|each|every|/|in\s+a)?\s*{WEEK}\b"), |c| Says::Every(n(c, 1), 7.0)),
        (r"\b(?:every|each|in\s+the)?\s*mornings?\s+and\s+(?:evenings?|nights?|at\s+bedtime)\b".into(), |_| Says::Every(2.0, 1.0)),
        (r"\b(?:b\.?i\.?d\.?|bd)(?:\W|$)".into(), |_| Says::Every(2.0, 1.0)),
        (r"\b(?:t\.?i\.?d\.?|tds)(?:\W|$)".into(), |_| Says::Every(3.0, 1.0)),
        (r"\b(?:q\.?i\.?d\.?|qds)(?:\W|$)".into(), |_| Says::Every(4.0, 1.0)),
        (r"\b(?:q\.?d\.?|od|qday|qam|qpm|qhs|hs|nocte|mane|nightly|q24h)(?:\W|$)".into(), |_| Says::Every(1.0, 1.0)),
        (r"\b(?:qw|qwk|q\.?\s?wk|qweek|q1w|q1wk)\b".into(), |_| Says::Every(1.0, 7.0)),
        (r"\b(?:weekly|every\s+week|each\s+week|per\s+week|a\s+week|once\s+a\s+week)\b|/\s*(?:week|wk)\b".into(), |_| Says::Every(1.0, 7.0)),
        (r"\b(?:daily|every\s+day|each\s+day|per\s+day|a\s+day|every\s+(?:morning|evening|night)|each\s+(?:morning|evening)|in\s+the\s+(?:morning|evening)|at\s+(?:night|bedtime))\b|/\s*(?:day|d)\b".into(), |_| Says::Every(1.0, 1.0)),
        (r"\bmonthly\b|\bevery\s+month\b".into(), |_| Says::Every(1.0, 30.0)),
        // "2 x 10 mg" is a dose (two 10 mg tablets at once, see `dose`),
        // not a frequency: its words are hidden from the phrases after it.
        (r"\b\d+\s*x\s*\d+(?:[.,]\d+)?\s*(?:mg|g|mcg|ml)\b".into(), |_| Says::Nothing),
    ];
    p.into_iter().map(|(s, f)| (re(&s), f)).collect()
});

static WEEKDAYS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)s?\b")
        .expect("static regex")
});

/// Reads every phrase of a sig; `None` for the schedule when the sig says
/// nothing, or more than one thing, about frequency.
fn read_text(text: &str) -> (Option<Schedule>, bool) {
    let mut t = text.to_lowercase().replace('×', "x");
    let mut found: Vec<Schedule> = vec![];
    let mut ambiguous = false;
    for (re, says) in PHRASES.iter() {
        while let Some(c) = re.captures(&t) {
            let m = c.get(0).expect("whole match");
            match says(&c) {
                Says::Every(count, period) => match valid(sched(count, period)) {
                    Some(s) => found.push(s),
                    None => ambiguous = true,
                },
                Says::Ambiguous => ambiguous = true,
                Says::Nothing => {}
            }
            let blank = " ".repeat(m.as_str().len());
            t.replace_range(m.range(), &blank);
        }
    }
    // Named weekdays ("every Monday and Thursday"): that many days a week.
    let days: std::collections::BTreeSet<&str> =
        WEEKDAYS.find_iter(&t).map(|m| &m.as_str()[..3]).collect();
    if !days.is_empty() {
        found.push(sched(days.len() as f64, 7.0));
    }
    let rate = |s: &Schedule| s.frequency / s.period_days;
    let conflict = found
        .windows(2)
        .any(|w| (rate(&w[0]) - rate(&w[1])).abs() > 1e-9);
    if ambiguous || conflict {
        return (None, true);
    }
    (found.first().copied(), false)
}

fn conflicting(text: &str) -> bool {
    read_text(text).1
}

/// The frequency a sig states, read with the grammar above.
pub fn of_text(text: &str) -> Option<Frequency> {
    read_text(text).0.map(|s| Frequency::of(s, Certainty::Text))
}

#[cfg(test)]
mod tests;
