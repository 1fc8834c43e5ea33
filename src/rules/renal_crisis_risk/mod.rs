//! # Scleroderma renal crisis risk (`src-risk-high-dose-gc`)
//!
//! Guidance: "High-dose corticosteroids carry significant risk of precipitating
//! scleroderma renal crisis in systemic sclerosis patients. This is the most
//! important pitfall to avoid in scleroderma-myositis overlap. [...] they must
//! be used cautiously and tapered aggressively once clinical improvement
//! occurs." — "Taper to the lowest effective dose, ideally ≤10 mg/day
//! equivalent prednisone." — "Blood pressure monitoring for scleroderma renal
//! crisis (critical in overlap patients on corticosteroids)."
//!
//! POLICY.md: SSc and a new systemic glucocorticoid order reaching ≥ 15 mg/day
//! prednisone-equivalent (the order alone, or with active glucocorticoids).
//! POLICY second edition ("Severity means something"): "Renal crisis *risk*
//! from a steroid ≥ 15 mg/day is a `warning`; risk factors change its text,
//! not its severity" (diffuse SSc code, SSc onset < 4 years, anti-RNA
//! polymerase III positive, prior renal crisis, last BP ≥ 140/90). The total
//! is the one reading of the orders ("Replacing, not adding"): an order of the
//! same glucocorticoid and route as an active one replaces it; a dose of
//! unknown frequency counts as at least its amount a day; when only the sum of
//! a replacement and what it replaces would cross the threshold, the card
//! (here, else the BP-monitoring card) names that total in one line. Suggests BP monitoring (LOINC 85354-9) and serum creatinine
//! (2160-0); advises tapering to ≤ 10 mg/day. Never suppressed by an active ACE
//! inhibitor (REFERENCE.md 1.2).
//!
//! Threshold: Steen & Medsger, Arthritis Rheum 1998;41:1613 — prednisone
//! ≥ 15 mg/day in 36 % of 110 SRC cases vs 12 % of controls (OR 4.37).

pub mod words;

use chrono::NaiveDate;

use crate::clinical::pretreatment::Line;
use crate::clinical::{Direction, LabResult, PatientScope, Pull};
use std::sync::LazyLock;

use regex::Regex;

use crate::clinical::{Outcome};
use super::monitoring_orders::{bp_and_creatinine, MONITORING_OVERRIDES};
use crate::clinical::steroids::Exposure;
use crate::clinical::{Finding, Indicator, Policy, Selection, Topic};
use crate::facts::{Facts, Route, Schedule};
use crate::terminology::medication::{Drug, Gc};
use crate::terminology::Concept;

/// What this rule found: the glucocorticoid total at or above the threshold,
/// how it was read, and the renal crisis risk factors on file.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    /// Prednisone-equivalent mg/day of the draft orders (unknown frequency
    /// read as at least daily).
    pub new_mg: f64,
    /// Prednisone-equivalent mg/day of active glucocorticoids that continue
    /// (0 when none).
    pub continuing_mg: f64,
    /// The total: new + continuing.
    pub total_mg: f64,
    /// The risk threshold (policy `src_threshold_mg_per_day`).
    pub threshold_mg: f64,
    /// The taper target (policy `taper_target_mg_per_day`).
    pub taper_target_mg: f64,
    /// Each glucocorticoid counted, orders first.
    pub exposure: Vec<GcLine>,
    /// The total if an order and the active one it replaces both continued,
    /// when only that sum reaches the threshold.
    pub both_continue_mg: Option<f64>,
    /// The risk factors present (empty: none recorded).
    pub factors: Vec<RiskFactor>,
    /// The figures the risk factors are read against, for "none recorded".
    pub limits: FactorLimits,
    /// Hepatitis B lines at or above the policy dose (empty below it).
    pub hbv: Vec<Line>,
    /// An ACE inhibitor is active (it does not suppress the warning).
    pub ace_inhibitor: bool,
    /// Advise the taper: not when the exposure is an IV methylprednisolone
    /// pulse alone (a course of days, not a daily dose to taper; it still
    /// counts for the risk).
    pub taper: bool,
}

/// The policy figures the risk factors are read against.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FactorLimits {
    /// SSc onset within this many years (`src_recent_onset_years`).
    pub recent_onset_years: f64,
    /// Last systolic at or above (`src_bp_systolic`).
    pub systolic: f64,
    /// Last diastolic at or above (`src_bp_diastolic`).
    pub diastolic: f64,
    /// Whether a blood pressure is on file, and current: "none recorded"
    /// must not read as a normal BP when none was measured.
    pub last_bp: LastBp,
}

/// The blood pressure on file for the risk factor.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum LastBp {
    /// None on file.
    None,
    /// The newest is older than `src_bp_current_days` (or undated).
    NotCurrent(Option<NaiveDate>),
    /// The newest is current.
    Current,
}

/// The blood pressure on file, and whether it is current.
pub fn last_bp(facts: &Facts, policy: &Policy) -> LastBp {
    match facts.latest_bp() {
        None => LastBp::None,
        Some(bp) => match bp.date {
            Some(d) if ((facts.today - d).num_days() as f64) <= policy.src_bp_current_days => {
                LastBp::Current
            }
            d => LastBp::NotCurrent(d),
        },
    }
}

/// One renal crisis risk factor, with its evidence.
#[derive(Debug, Clone, PartialEq)]
pub enum RiskFactor {
    /// Diffuse cutaneous SSc on the problem list.
    Diffuse,
    /// SSc onset within the policy's years.
    RecentOnset {
        /// The earliest SSc onset on file.
        onset: NaiveDate,
        /// Years since then.
        years: f64,
        /// The policy's limit in years.
        limit_years: f64,
    },
    /// Anti-RNA polymerase III positive.
    Rnap3 {
        /// The result's date.
        date: Option<NaiveDate>,
    },
    /// A prior scleroderma renal crisis on the problem list.
    PriorCrisis {
        /// Its onset, when recorded.
        onset: Option<NaiveDate>,
    },
    /// The last blood pressure at or above the policy's figures.
    HighBp {
        /// Systolic, mmHg.
        systolic: Option<f64>,
        /// Diastolic, mmHg.
        diastolic: Option<f64>,
        /// When measured.
        date: Option<NaiveDate>,
    },
}

/// One glucocorticoid order or active medication, as counted.
#[derive(Debug, Clone, PartialEq)]
pub struct GcLine {
    /// A draft order (else an active medication).
    pub ordered: bool,
    /// The name as ordered (record text).
    pub name: crate::facts::Named,
    /// The glucocorticoid.
    pub gc: Gc,
    /// The route.
    pub route: Route,
    /// How the mg figure was read from the order ("3 tablets × 20 mg"), when
    /// it could be.
    pub derivation: Option<crate::facts::Derivation>,
    /// How often, when known.
    pub schedule: Option<Schedule>,
    /// The order has several dosage instructions (the highest was used).
    pub several_instructions: bool,
    /// mg/day of the drug itself, when the frequency is known.
    pub per_day_mg: Option<f64>,
    /// Prednisone-equivalent factor (mg prednisone per mg of the drug).
    pub factor: f64,
    /// Prednisone-equivalent mg/day, when the frequency is known.
    pub pred_eq: Option<f64>,
    /// Prednisone-equivalent with an unknown frequency read as daily.
    pub pred_eq_at_least: Option<f64>,
}

pub const TOPIC: Topic = Topic {
    code: "src-risk-high-dose-gc",
    display: "Scleroderma renal crisis risk with high-dose corticosteroid",
};

/// The card topics this rule can produce.
pub const TOPICS: &[Topic] = &[TOPIC];

pub const SETTINGS: &[&str] = &[
    "src_threshold_mg_per_day",
    "hbv_gc_mg_per_day",
    "taper_target_mg_per_day",
    "src_recent_onset_years",
    "src_bp_systolic",
    "src_bp_diastolic",
    "src_suspected_sbp_rise",
    "betamethasone_equivalent_mg",
];

static RNAP3: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)rna\s*pol(ymerase)?\s*(iii|3)|\brnap\b").expect("static regex")
});

/// The SRC risk factors present, each with its evidence.
pub fn risk_factors(facts: &Facts, policy: &Policy) -> Vec<RiskFactor> {
    let mut out = vec![];
    if facts
        .diagnoses
        .iter()
        .any(|d| d.active && d.concepts.contains(&Concept::SscDiffuse))
    {
        out.push(RiskFactor::Diffuse);
    }
    let ssc = [
        Concept::Ssc,
        Concept::SscIld,
        Concept::SscMyopathy,
        Concept::SscDiffuse,
        Concept::Overlap,
    ];
    let onset = facts
        .diagnoses
        .iter()
        .filter(|d| d.concepts.iter().any(|c| ssc.contains(c)))
        .filter_map(|d| d.onset)
        .min();
    if let Some(onset) = onset {
        let years = (facts.today - onset).num_days() as f64 / 365.25;
        if years < policy.src_recent_onset_years {
            out.push(RiskFactor::RecentOnset {
                onset,
                years,
                limit_years: policy.src_recent_onset_years,
            });
        }
    }
    if let Some(l) = facts
        .labs
        .iter()
        .find(|l| RNAP3.is_match(&l.label) && l.is_positive())
    {
        out.push(RiskFactor::Rnap3 { date: l.date });
    }
    if let Some(d) = facts
        .diagnoses
        .iter()
        .find(|d| d.concepts.contains(&Concept::RenalCrisis))
    {
        out.push(RiskFactor::PriorCrisis { onset: d.onset });
    }
    if let Some(bp) = facts.latest_bp() {
        let high_s = bp.systolic.is_some_and(|s| s >= policy.src_bp_systolic);
        let high_d = bp.diastolic.is_some_and(|d| d >= policy.src_bp_diastolic);
        if high_s || high_d {
            out.push(RiskFactor::HighBp {
                systolic: bp.systolic,
                diastolic: bp.diastolic,
                date: bp.date,
            });
        }
    }
    out
}

/// When an order replaces an active glucocorticoid, the total if both
/// continued, when that total reaches the threshold (no severity of its own).
pub fn both_continue(exp: &Exposure<'_>, policy: &Policy) -> Option<f64> {
    let both = exp.total_if_both_continue();
    (exp.replaces_any() && both >= policy.src_threshold_mg_per_day && both > exp.total_after())
        .then_some(both)
}

/// The glucocorticoids counted (orders, then active ones), shared with the
/// BP monitoring card.
pub fn gc_lines(exp: &Exposure<'_>) -> Vec<GcLine> {
    exp.orders
        .iter()
        .map(|u| (true, u))
        .chain(exp.active.iter().map(|u| (false, u)))
        .map(|(ordered, u)| GcLine {
            ordered,
            name: u.med.named(),
            gc: u.gc,
            route: u.med.route,
            derivation: u.med.dose.as_ref().map(|d| d.derivation.clone()),
            schedule: u.med.dose.as_ref().and_then(|d| d.schedule()),
            several_instructions: u.med.instructions > 1,
            per_day_mg: u.per_day_mg,
            factor: u.factor,
            pred_eq: u.pred_eq,
            pred_eq_at_least: u.pred_eq_at_least,
        })
        .collect()
}

/// Builds this rule's text matchers (at start-up, not on a first request).
pub(super) fn warm() {
    LazyLock::force(&RNAP3);
}

pub fn evaluate(facts: &Facts, policy: &Policy) -> Outcome<Found> {
    let mut out = Outcome::default();
    if !facts.has_ssc() {
        return out;
    }
    let exp = Exposure::of(facts, policy);
    if exp.orders.iter().all(|u| u.pred_eq_at_least.is_none()) {
        return out;
    }
    // "new" counts every draft (also those not selected), "active" what continues.
    let order_total = exp.drafts_total();
    let total = exp.total_after();
    let continuing = total - order_total;
    if total < policy.src_threshold_mg_per_day {
        return out;
    }
    // An IV methylprednisolone pulse is a course of days, not a daily dose
    // to taper (POLICY third edition): no taper advice when it is all there is.
    let ivmp = |u: &crate::clinical::steroids::GcUse<'_>| {
        u.med.drug() == Some(Drug::Glucocorticoid(Gc::Methylprednisolone))
            && matches!(u.med.route, Route::Intravenous)
    };
    let taper = !exp
        .orders
        .iter()
        .chain(&exp.active)
        .chain(&exp.other_drafts)
        .all(ivmp);
    // "Taper to ≤ 10 mg/day": the order with the highest dose is the one to lower.
    let pull = exp
        .orders
        .iter()
        .filter_map(|u| Some((u.pred_eq_at_least?, u)))
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, u)| Pull {
            order: u.med.reference.clone(),
            direction: Direction::Lower,
        });
    let found = Found {
        new_mg: order_total,
        continuing_mg: continuing,
        total_mg: total,
        threshold_mg: policy.src_threshold_mg_per_day,
        taper_target_mg: policy.taper_target_mg_per_day,
        exposure: gc_lines(&exp),
        both_continue_mg: both_continue(&exp, policy),
        factors: risk_factors(facts, policy),
        limits: FactorLimits {
            recent_onset_years: policy.src_recent_onset_years,
            systolic: policy.src_bp_systolic,
            diastolic: policy.src_bp_diastolic,
            last_bp: last_bp(facts, policy),
        },
        hbv: crate::clinical::pretreatment::glucocorticoid_hbv(facts, policy, total),
        ace_inhibitor: facts.active_meds.iter().any(|m| m.is(Drug::AceInhibitor)),
        taper,
    };
    out.findings.push(Finding {
        topic: TOPIC,
        // POLICY "Severity means something": risk is a warning; risk factors
        // change the text, not the severity.
        indicator: Indicator::Warning,
        what: found,
        notes: vec![],
        pull: pull.filter(|_| taper),
        suggestions: bp_and_creatinine(policy),
        selection: Selection::Any,
        override_reasons: MONITORING_OVERRIDES.to_vec(),
    });
    out
}

impl crate::clinical::Reads for Found {
    const AREAS: &'static [crate::facts::DataArea] = &[crate::facts::DataArea::BloodPressure];
}

#[cfg(test)]
mod cases;
