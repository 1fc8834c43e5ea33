//! # Intensify at 12 weeks (`intensify-refractory`)
//!
//! Guidance: "If inadequate response within the first 12 weeks, intensify
//! treatment: IVIG 1-2 g/kg ideal body weight over 2 consecutive days [...]
//! Mycophenolate mofetil [...] Rituximab: two 1000-mg doses given 2 weeks
//! apart for adults; can take up to 26 weeks to work [...] Cyclophosphamide:
//! reserved for severe interstitial lung disease or refractory disease;
//! infusions given every 4 weeks for 3-6 months."
//!
//! POLICY.md: myositis, on systemic glucocorticoids ≥ 12 weeks, and (CK above
//! the lab's upper limit, or a glucocorticoid escalation) → info with the
//! options; the IVIG course is computed on the dosing weight (ideal body
//! weight, or actual if lower).

pub mod words;

use chrono::NaiveDate;

use crate::clinical::{Need, Outcome, Unchecked};
use crate::clinical::body::{dosing_weight_of, DosingWeight};
use crate::clinical::reproductive::Reproductive;
use crate::clinical::steroids::Exposure;
use crate::clinical::PatientScope;
use crate::clinical::{Finding, Indicator, OverrideReason, Policy, Selection, Topic};
use crate::facts::{Facts, Sex};
use crate::terminology::Concept;

/// What this rule found: twelve weeks or more on glucocorticoids without
/// control, and the options with their figures.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    /// The first active glucocorticoid's date.
    pub since: NaiveDate,
    /// Whole weeks since then.
    pub weeks: f64,
    /// A CK above the lab's upper limit.
    pub ck: Option<CkHigh>,
    /// A glucocorticoid escalation: (new, active) prednisone-equivalent mg/day.
    pub escalation: Option<(f64, f64)>,
    /// The IVIG course, or why it was not computed.
    pub ivig: Box<Ivig>,
    /// Pregnancy, breastfeeding, possible pregnancy or (female) planning:
    /// mycophenolate and cyclophosphamide are not options.
    pub teratogens_excluded: Option<Box<Reproductive>>,
    /// Interstitial lung disease on record.
    pub ild: bool,
    /// The policy figures the words state.
    pub figures: Box<Figures>,
}

/// A CK result above its upper limit.
#[derive(Debug, Clone, PartialEq)]
pub struct CkHigh {
    pub value: f64,
    /// The unit as reported (record text).
    pub unit: String,
    pub upper_limit: f64,
    pub date: Option<NaiveDate>,
}

/// The IVIG course on the dosing weight.
#[derive(Debug, Clone, PartialEq)]
pub enum Ivig {
    Course {
        /// The dosing weight and how it was found.
        weight: DosingWeight,
        sex: Sex,
        height_cm: f64,
        /// Grams per course at the low and high g/kg.
        low_g: f64,
        high_g: f64,
    },
    /// Weight, height or sex missing.
    NotComputed,
}

/// Policy figures the words state.
#[derive(Debug, Clone, PartialEq)]
pub struct Figures {
    pub ivig_g_per_kg_low: f64,
    pub ivig_g_per_kg_high: f64,
    pub ivig_days: f64,
    pub mmf_start_mg: f64,
    pub rtx_dose_mg: f64,
    pub rtx_interval_weeks: f64,
    pub rtx_onset_weeks: f64,
    pub cyc_interval_weeks: f64,
    pub cyc_months_min: f64,
    pub cyc_months_max: f64,
}

pub const TOPIC: Topic = Topic {
    code: "intensify-refractory",
    display: "Intensification review for inadequate response",
};

/// The card topics this rule can produce.
pub const TOPICS: &[Topic] = &[TOPIC];

pub const SETTINGS: &[&str] = &[
    "intensify_after_weeks",
    "ivig_g_per_kg_low",
    "ivig_g_per_kg_high",
    "ivig_days",
    "mmf_start_mg",
    "rtx_dose_mg",
    "rtx_interval_weeks",
    "rtx_onset_weeks",
    "cyc_interval_weeks",
    "cyc_months_min",
    "cyc_months_max",
    "betamethasone_equivalent_mg",
];

pub fn evaluate(facts: &Facts, policy: &Policy) -> Outcome<Found> {
    let mut out = Outcome::default();
    if !facts.has_myositis() {
        return out;
    }
    let exp = Exposure::of(facts, policy);
    let Some(since) = exp.active.iter().filter_map(|u| u.med.authored).min() else {
        return out;
    };
    let weeks = (facts.today - since).num_days() as f64 / 7.0;
    if weeks < policy.intensify_after_weeks {
        return out;
    }
    let mut ck_high = None;
    if let Some(ck) = facts.latest_lab(Concept::Ck) {
        if let (Some((v, u)), Some(uln)) = (&ck.quantity, ck.upper_limit) {
            if *v > uln {
                ck_high = Some(CkHigh {
                    value: *v,
                    unit: u.clone(),
                    upper_limit: uln,
                    date: ck.date,
                });
            }
        }
    }
    let (new, active) = (exp.total_after(), exp.active_total());
    let escalation =
        (new > active && exp.orders.iter().any(|u| u.pred_eq.is_some())).then_some((new, active));
    if ck_high.is_none() && escalation.is_none() {
        return out;
    }
    let ivig = match (dosing_weight_of(facts), facts.sex.zip(facts.height())) {
        (Ok(dw), Some((sex, h))) => Ivig::Course {
            low_g: policy.ivig_g_per_kg_low * dw.dosing,
            high_g: policy.ivig_g_per_kg_high * dw.dosing,
            weight: dw,
            sex,
            height_cm: h.value,
        },
        (Err(figure), _) => {
            out.needs.push(Need {
                figure,
                why: Unchecked::IvigCourse,
            });
            Ivig::NotComputed
        }
        (Ok(_), None) => Ivig::NotComputed,
    };
    let ild = facts.has(Concept::Ild) || facts.has(Concept::SscIld);
    // No teratogen is offered in pregnancy, possible pregnancy, planning or
    // breastfeeding (POLICY second edition).
    let repro = crate::clinical::reproductive::state(facts, policy);
    let teratogens_excluded = repro.excludes_teratogens().then(|| Box::new(repro));
    out.findings.push(Finding {
        topic: TOPIC,
        indicator: Indicator::Info,
        what: Found {
            since,
            weeks: weeks.floor(),
            ck: ck_high,
            escalation,
            ivig: Box::new(ivig),
            teratogens_excluded,
            ild,
            figures: Box::new(Figures {
                ivig_g_per_kg_low: policy.ivig_g_per_kg_low,
                ivig_g_per_kg_high: policy.ivig_g_per_kg_high,
                ivig_days: policy.ivig_days,
                mmf_start_mg: policy.mmf_start_mg,
                rtx_dose_mg: policy.rtx_dose_mg,
                rtx_interval_weeks: policy.rtx_interval_weeks,
                rtx_onset_weeks: policy.rtx_onset_weeks,
                cyc_interval_weeks: policy.cyc_interval_weeks,
                cyc_months_min: policy.cyc_months_min,
                cyc_months_max: policy.cyc_months_max,
            }),
        },
        notes: vec![],
        pull: None,
        suggestions: vec![],
        selection: Selection::AtMostOne,
        override_reasons: vec![
            OverrideReason::DoseAppropriate,
            OverrideReason::RecordedElsewhere,
        ],
    });
    out
}

impl crate::clinical::Reads for Found {
    const AREAS: &'static [crate::facts::DataArea] = &[crate::facts::DataArea::Weight, crate::facts::DataArea::Height];
}

#[cfg(test)]
mod cases;
