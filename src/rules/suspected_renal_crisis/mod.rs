//! # Suspected scleroderma renal crisis (`src-suspected`)
//!
//! Guidance: "Blood pressure monitoring for scleroderma renal crisis (critical
//! in overlap patients on corticosteroids)."
//!
//! POLICY second edition ("Renal crisis"): "Suspected renal crisis (critical)
//! = in SSc, a BP criterion (current SBP ≥ 140 or DBP ≥ 90, or SBP rise ≥ 30
//! / DBP rise ≥ 20 over baseline) **and** a creatinine criterion (rise ≥ 30 %
//! over baseline within 90 days). Either alone, on a glucocorticoid: warning,
//! 'possible renal crisis: same-day review' (BP ≥ 160/100 counts as the BP
//! criterion with no creatinine on file)." "Current BP = within 7 days;
//! baseline = median of readings 30–365 days earlier." REFERENCE 1.3 (EULAR
//! 2017, UKSSG 2016; normotensive renal crisis exists, hence either alone).
//!
//! Creatinine baseline: the lowest value in the window before the newest
//! reading (the newest must itself fall within the window of today); µmol/L
//! is converted (88.4 µmol/L = 1 mg/dL).

pub mod words;

use chrono::NaiveDate;

use crate::clinical::Outcome;
use crate::clinical::steroids::systemic_gc;
use crate::clinical::PatientScope;
use crate::clinical::{Finding, Indicator, OverrideReason, Policy, Selection, Topic};
use crate::facts::{units, BloodPressure, Facts};
use crate::terminology::Concept;

/// What this rule found: the creatinine and blood-pressure criteria, one or
/// both met (both: critical).
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    /// The creatinine criterion.
    pub creatinine: Creatinine,
    /// The blood-pressure criterion, when met.
    pub bp: Option<BpCriterion>,
    /// The creatinine rise that counts, % (`src_suspected_creatinine_rise_pct`).
    pub rise_limit_pct: f64,
    /// Within this many days (`src_suspected_window_days`).
    pub window_days: f64,
    /// The glucocorticoid taken today, prednisone-equivalent mg/day, when at
    /// or above the renal crisis risk threshold (this card absorbs the risk
    /// card), with the threshold.
    pub gc: Option<(f64, f64)>,
}

impl Found {
    /// Both criteria are met.
    pub fn both(&self) -> bool {
        matches!(self.creatinine, Creatinine::Rise { .. }) && self.bp.is_some()
    }
}

/// The creatinine criterion.
#[derive(Debug, Clone, PartialEq)]
pub enum Creatinine {
    /// A rise over the baseline at or above the policy's percentage.
    Rise {
        /// The newest reading.
        latest: CreatinineValue,
        /// The lowest earlier reading within the window.
        baseline: CreatinineValue,
        /// (latest − baseline) / baseline × 100.
        rise_pct: f64,
    },
    /// Readings on file, no such rise.
    NoRise,
    /// No creatinine on file.
    NoneOnFile,
}

/// One creatinine reading.
#[derive(Debug, Clone, PartialEq)]
pub struct CreatinineValue {
    /// In mg/dL (µmol/L ÷ 88.4).
    pub mg_dl: f64,
    /// As recorded.
    pub value: f64,
    /// The recorded unit (UCUM).
    pub unit: String,
    /// When measured.
    pub date: Option<NaiveDate>,
}

/// The blood-pressure criterion met by the current reading.
#[derive(Debug, Clone, PartialEq)]
pub struct BpCriterion {
    /// Systolic, mmHg.
    pub systolic: Option<f64>,
    /// Diastolic, mmHg.
    pub diastolic: Option<f64>,
    /// When measured (within the policy's current days).
    pub date: NaiveDate,
    /// Which criterion.
    pub how: BpHow,
}

/// How a blood pressure met the criterion.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum BpHow {
    /// At or above the figures (systolic/diastolic).
    AtOrAbove {
        systolic: f64,
        diastolic: f64,
        /// The severe figures, used when no creatinine is on file.
        severe: bool,
    },
    /// Systolic rise over the baseline median.
    SystolicRise { rise: f64, baseline: f64 },
    /// Diastolic rise over the baseline median.
    DiastolicRise { rise: f64, baseline: f64 },
}

pub const TOPIC: Topic = Topic {
    code: "src-suspected",
    display: "Possible scleroderma renal crisis",
};

/// The card topics this rule can produce.
pub const TOPICS: &[Topic] = &[TOPIC];

pub const SETTINGS: &[&str] = &[
    "src_bp_systolic",
    "src_bp_diastolic",
    "src_suspected_sbp_rise",
    "src_suspected_dbp_rise",
    "src_suspected_creatinine_rise_pct",
    "src_suspected_window_days",
    "src_bp_current_days",
    "src_bp_baseline_min_days",
    "src_bp_baseline_max_days",
    "src_severe_bp_systolic",
    "src_severe_bp_diastolic",
];

fn median(mut v: Vec<f64>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let m = v.len() / 2;
    Some(if v.len().is_multiple_of(2) {
        (v[m - 1] + v[m]) / 2.0
    } else {
        v[m]
    })
}

fn value(l: &crate::facts::Lab, mg_dl: f64) -> CreatinineValue {
    let (v, u) = l.quantity.clone().unwrap_or((mg_dl, "mg/dL".into()));
    CreatinineValue {
        mg_dl,
        value: v,
        unit: u,
        date: l.date,
    }
}

/// The creatinine criterion: whether any creatinine is on file, and the rise.
fn creatinine(facts: &Facts, policy: &Policy) -> Creatinine {
    let window = policy.src_suspected_window_days as i64;
    let creat: Vec<_> = facts
        .labs
        .iter()
        .filter(|l| l.concepts.contains(&Concept::Creatinine))
        .filter_map(|l| {
            let (v, u) = l.quantity.as_ref()?;
            Some((l.date?, units::to_mg_per_dl(*v, u)?, l))
        })
        .collect();
    let Some(&(latest_date, latest, latest_lab)) = creat.first() else {
        return Creatinine::NoneOnFile;
    };
    if (facts.today - latest_date).num_days() > window {
        return Creatinine::NoRise;
    }
    let base = creat[1..]
        .iter()
        .filter(|(d, _, _)| *d < latest_date && (latest_date - *d).num_days() <= window)
        .min_by(|a, b| a.1.total_cmp(&b.1));
    match base {
        Some(&(_, baseline, base_lab)) => {
            let rise_pct = (latest - baseline) / baseline * 100.0;
            if rise_pct >= policy.src_suspected_creatinine_rise_pct {
                Creatinine::Rise {
                    latest: value(latest_lab, latest),
                    baseline: value(base_lab, baseline),
                    rise_pct,
                }
            } else {
                Creatinine::NoRise
            }
        }
        None => Creatinine::NoRise,
    }
}

/// The BP criterion, when met by the current reading.
fn bp_criterion(facts: &Facts, policy: &Policy, creatinine_on_file: bool) -> Option<BpCriterion> {
    let bp = facts.latest_bp()?;
    let d0 = bp.date?;
    if (facts.today - d0).num_days() as f64 > policy.src_bp_current_days {
        return None;
    }
    // Without any creatinine on file, only a severe BP counts on its own.
    let (sys, dia) = if creatinine_on_file {
        (policy.src_bp_systolic, policy.src_bp_diastolic)
    } else {
        (
            policy.src_severe_bp_systolic,
            policy.src_severe_bp_diastolic,
        )
    };
    let met = |how| BpCriterion {
        systolic: bp.systolic,
        diastolic: bp.diastolic,
        date: d0,
        how,
    };
    if bp.systolic.is_some_and(|s| s >= sys) || bp.diastolic.is_some_and(|d| d >= dia) {
        return Some(met(BpHow::AtOrAbove {
            systolic: sys,
            diastolic: dia,
            severe: !creatinine_on_file,
        }));
    }
    let baseline: Vec<&BloodPressure> = facts
        .blood_pressures
        .iter()
        .filter(|b| {
            b.date.is_some_and(|d| {
                let age = (d0 - d).num_days() as f64;
                age >= policy.src_bp_baseline_min_days && age <= policy.src_bp_baseline_max_days
            })
        })
        .collect();
    let s_base = median(baseline.iter().filter_map(|b| b.systolic).collect());
    let d_base = median(baseline.iter().filter_map(|b| b.diastolic).collect());
    if let (Some(s), Some(b)) = (bp.systolic, s_base) {
        if s - b >= policy.src_suspected_sbp_rise {
            return Some(met(BpHow::SystolicRise {
                rise: s - b,
                baseline: b,
            }));
        }
    }
    if let (Some(d), Some(b)) = (bp.diastolic, d_base) {
        if d - b >= policy.src_suspected_dbp_rise {
            return Some(met(BpHow::DiastolicRise {
                rise: d - b,
                baseline: b,
            }));
        }
    }
    None
}

pub fn evaluate(facts: &Facts, policy: &Policy) -> Outcome<Found> {
    let mut out = Outcome::default();
    if !facts.has_ssc() {
        return out;
    }
    let creatinine = creatinine(facts, policy);
    let rise = matches!(creatinine, Creatinine::Rise { .. });
    let bp = bp_criterion(facts, policy, creatinine != Creatinine::NoneOnFile);
    let on_gc = facts
        .active_meds
        .iter()
        .chain(&facts.orders)
        // An order on hold is not taken today.
        .any(|m| m.taken_now() && systemic_gc(m).is_some());
    let critical = rise && bp.is_some();
    if !critical && !(on_gc && (rise || bp.is_some())) {
        return out;
    }
    out.findings.push(Finding {
        topic: TOPIC,
        indicator: if critical {
            Indicator::Critical
        } else {
            Indicator::Warning
        },
        what: Found {
            creatinine,
            bp,
            rise_limit_pct: policy.src_suspected_creatinine_rise_pct,
            window_days: policy.src_suspected_window_days,
            gc: {
                let total = crate::clinical::steroids::Exposure::of(facts, policy).total_after();
                (total >= policy.src_threshold_mg_per_day)
                    .then_some((total, policy.src_threshold_mg_per_day))
            },
        },
        notes: vec![],
        pull: None,
        // Blood pressure and creatinine today: the two checks the card asks for.
        suggestions: super::monitoring_orders::bp_and_creatinine(policy),
        selection: Selection::Any,
        override_reasons: vec![
            OverrideReason::DiagnosisNotConfirmed,
            OverrideReason::MonitoringInPlace,
        ],
    });
    out
}

impl crate::clinical::Reads for Found {
    const AREAS: &'static [crate::facts::DataArea] = &[crate::facts::DataArea::RenalFunction, crate::facts::DataArea::BloodPressure];
}

#[cfg(test)]
mod cases;
