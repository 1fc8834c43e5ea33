//! The doses of an order of several dosage instructions (a taper, a
//! scheduled dose with an as-needed one beside it): the highest daily dose
//! of any step for limits and risk, and the dose that counts for today's
//! glucocorticoid exposure.

use super::*;

/// One dosage instruction of an order, read.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// `sequence`: instructions of one sequence apply together, a later
    /// sequence follows.
    pub sequence: Option<f64>,
    /// `timing.repeat.boundsPeriod`, when stated.
    pub start: Option<NaiveDate>,
    pub end: Option<NaiveDate>,
    pub as_needed: bool,
    /// The dose, when it could be read.
    pub dose: Option<Dose>,
}

/// The dose that counts for today's glucocorticoid exposure, where it may
/// differ from the dose for limits.
#[derive(Debug, Clone, PartialEq)]
pub enum ExposureDose {
    /// The dose for limits (an order of one step, given on a schedule).
    Limit,
    /// The first step of a multi-step order (a taper), or the scheduled
    /// instructions when as-needed ones sit beside them; `None` when its
    /// dose could not be read.
    Step(Option<Dose>),
    /// Given only when needed: not counted for today's exposure.
    AsNeeded,
}

/// The doses of one order.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderDoses {
    /// For limits and risk: the highest daily dose of any step (instructions
    /// of one sequence given together added up), a range at its high end,
    /// as-needed doses at their maximum.
    pub limit: Option<Dose>,
    pub exposure: ExposureDose,
}

/// The dose with the highest daily dose (one of unknown frequency only when
/// none is known), of `doses` and of those given together.
fn highest(steps: &[&Step]) -> Option<Dose> {
    let read: Vec<(Option<f64>, Dose)> = steps
        .iter()
        .filter_map(|s| Some((s.sequence, s.dose.clone()?)))
        .collect();
    // Given together: of one sequence and one start (bounds) only.
    let mut starts: Vec<Option<NaiveDate>> = steps.iter().map(|s| s.start).collect();
    starts.sort();
    starts.dedup();
    let combined: Vec<Dose> = starts
        .into_iter()
        .flat_map(|start| {
            let group: Vec<(Option<f64>, Dose)> = steps
                .iter()
                .filter(|s| s.start == start)
                .filter_map(|s| Some((s.sequence, s.dose.clone()?)))
                .collect();
            together(&group)
        })
        .collect();
    let mut best: Option<Dose> = None;
    for dose in read.iter().map(|(_, d)| d.clone()).chain(combined) {
        let better = match (
            &best,
            dose.per_day_mg(),
            best.as_ref().and_then(|b| b.per_day_mg()),
        ) {
            (None, _, _) => true,
            (Some(_), Some(new), Some(old)) => new > old,
            (Some(_), Some(_), None) => true,
            _ => false,
        };
        if better {
            best = Some(dose);
        }
    }
    best
}

/// Whether instructions without a `sequence` are steps that follow one
/// another in the order listed: several, none with a sequence, each with its
/// own duration (`boundsDuration`: "60 mg daily for 7 days", then "40 mg
/// daily for 7 days") and none set to a time of day (a morning and a night
/// dose are given together).
pub fn steps_in_list_order(dosages: &[Dosage]) -> bool {
    dosages.len() > 1
        && dosages.iter().all(|d| {
            let repeat = d.timing.as_ref().and_then(|t| t.repeat.as_ref());
            d.sequence.is_none()
                && repeat.is_some_and(|r| {
                    r.bounds_duration.is_some()
                        && r.bounds_period.is_none()
                        && r.when.is_empty()
                        && r.time_of_day.is_empty()
                })
        })
}

/// The doses of an order of several instructions (POLICY third edition,
/// "Medications as EHRs send them"): the highest step for limits; for
/// today's exposure, the step whose bounds hold today, else the first by
/// sequence (else by start), as-needed instructions left out.
pub fn of_order(steps: &[Step], today: NaiveDate) -> OrderDoses {
    let all: Vec<&Step> = steps.iter().collect();
    let limit = highest(&all);
    let scheduled: Vec<&Step> = steps.iter().filter(|s| !s.as_needed).collect();
    if scheduled.is_empty() {
        let exposure = if steps.is_empty() {
            ExposureDose::Limit
        } else {
            ExposureDose::AsNeeded
        };
        return OrderDoses { limit, exposure };
    }
    let distinct = |key: &dyn Fn(&Step) -> Option<i64>| {
        let mut keys: Vec<Option<i64>> = scheduled.iter().map(|s| key(s)).collect();
        keys.sort();
        keys.dedup();
        keys.len() > 1
    };
    let seq = |s: &Step| s.sequence.map(|q| q as i64);
    let start = |s: &Step| s.start.map(|d| d.num_days_from_ce() as i64);
    let by_sequence = distinct(&seq);
    let by_start = distinct(&start);
    if !by_sequence && !by_start && scheduled.len() == steps.len() {
        return OrderDoses {
            limit,
            exposure: ExposureDose::Limit,
        };
    }
    let holds_today =
        |s: &Step| s.start.is_some_and(|b| b <= today) && s.end.is_none_or(|e| today <= e);
    let group: Vec<&Step> = if by_start && scheduled.iter().any(|s| holds_today(s)) {
        scheduled.into_iter().filter(|s| holds_today(s)).collect()
    } else if by_sequence {
        // Instructions without a sequence come after those with one.
        let key = |s: &Step| seq(s).unwrap_or(i64::MAX);
        let first = scheduled.iter().map(|s| key(s)).min();
        scheduled
            .into_iter()
            .filter(|s| Some(key(s)) == first)
            .collect()
    } else if by_start {
        let key = |s: &Step| start(s).unwrap_or(i64::MAX);
        let first = scheduled.iter().map(|s| key(s)).min();
        scheduled
            .into_iter()
            .filter(|s| Some(key(s)) == first)
            .collect()
    } else {
        scheduled
    };
    OrderDoses {
        limit,
        exposure: ExposureDose::Step(highest(&group)),
    }
}
