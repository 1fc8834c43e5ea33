//! # Monitoring due (`monitoring-due`, patient-view)
//!
//! Guidance: "Regular assessments must include: muscle strength testing and
//! creatine kinase levels; functional capacity and activities of daily living;
//! MRI with T2-weighted and fat suppression sequences to assess muscle
//! inflammation; blood pressure monitoring for scleroderma renal crisis
//! (critical in overlap patients on corticosteroids)."
//!
//! POLICY.md: on patient-view, an SSc or myositis patient on therapy (an active
//! systemic glucocorticoid or steroid-sparing agent): CK not in 90 days; BP not
//! in 14 days while on ≥ 15 mg/day prednisone-equivalent (SSc) → info with
//! orders for what is due and a reminder of strength, function and MRI. The
//! card appears when something is due; when the labs or BP could not be
//! obtained that item is not claimed due.

pub mod words;

use crate::clinical::Outcome;
use crate::clinical::steroids::Exposure;
use crate::clinical::PatientScope;
use crate::clinical::{
    Action, Finding, Indicator, OverrideReason, Policy, Selection, ServiceProposal, Suggestion,
    Topic,
};
use crate::facts::{DataArea, Facts, Setting};
use crate::terminology::Concept;

/// What this rule found: what monitoring is due (at least one of the two).
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    /// Creatine kinase due.
    pub ck: Option<CkDue>,
    /// Blood pressure due (SSc on a renal-crisis-risk dose).
    pub bp: Option<BpDue>,
}

/// Creatine kinase not measured within the policy's interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CkDue {
    /// Days since the last CK; `None`: none on file.
    pub days: Option<i64>,
    /// The interval (`ck_max_age_days`).
    pub every_days: f64,
}

/// Blood pressure not measured within the policy's interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BpDue {
    /// Days since the last blood pressure; `None`: none on file.
    pub days: Option<i64>,
    /// The active prednisone-equivalent mg/day.
    pub on_mg: f64,
    /// The interval (`bp_max_age_days`).
    pub every_days: f64,
}

pub const TOPIC: Topic = Topic {
    code: "monitoring-due",
    display: "Monitoring due",
};

/// The card topics this rule can produce.
pub const TOPICS: &[Topic] = &[TOPIC];

pub const SETTINGS: &[&str] = &[
    "ck_max_age_days",
    "bp_max_age_days",
    "src_threshold_mg_per_day",
    "betamethasone_equivalent_mg",
];

pub fn evaluate(facts: &Facts, policy: &Policy) -> Outcome<Found> {
    let mut out = Outcome::default();
    if facts.setting != Setting::ChartView {
        return out;
    }
    let exp = Exposure::of(facts, policy);
    let sparing = facts
        .active_meds
        .iter()
        .any(|m| m.drug().is_some_and(|d| d.is_steroid_sparing()));
    if exp.active.is_empty() && !sparing {
        return out;
    }
    let age = |d: Option<chrono::NaiveDate>| d.map(|d| (facts.today - d).num_days());
    let mut found = Found { ck: None, bp: None };
    // One order per suggestion: each is an independent addition.
    let mut suggestions = vec![];
    if !facts.missing.contains(&DataArea::Labs) {
        let ck = facts.latest_lab(Concept::Ck);
        let days = ck.and_then(|l| age(l.date));
        if days.is_none_or(|d| d as f64 > policy.ck_max_age_days) {
            found.ck = Some(CkDue {
                days,
                every_days: policy.ck_max_age_days,
            });
            suggestions.push(Suggestion {
                recommended: true,
                actions: vec![Action::CreateService(ServiceProposal {
                    test: crate::clinical::Test::CreatineKinase,
                    loinc: "2157-6",
                    display: "Creatine kinase [Enzymatic activity/volume] in Serum or Plasma",
                })],
            });
        }
    }
    let active_dose = exp.active_total();
    if facts.has_ssc()
        && active_dose >= policy.src_threshold_mg_per_day
        && !facts.missing.contains(&DataArea::BloodPressure)
    {
        let days = facts.latest_bp().and_then(|b| age(b.date));
        if days.is_none_or(|d| d as f64 > policy.bp_max_age_days) {
            found.bp = Some(BpDue {
                days,
                on_mg: active_dose,
                every_days: policy.bp_max_age_days,
            });
            suggestions.push(Suggestion {
                recommended: true,
                actions: vec![Action::CreateService(ServiceProposal {
                    test: crate::clinical::Test::BpCheck,
                    loinc: "85354-9",
                    display: "Blood pressure panel with all children optional",
                })],
            });
        }
    }
    if suggestions.is_empty() {
        return out;
    }
    out.findings.push(Finding {
        topic: TOPIC,
        indicator: Indicator::Info,
        what: found,
        notes: vec![],
        pull: None,
        suggestions,
        selection: Selection::Any,
        override_reasons: vec![
            OverrideReason::MonitoringInPlace,
            OverrideReason::PatientDeclined,
        ],
    });
    out
}

impl crate::clinical::Reads for Found {
    const AREAS: &'static [crate::facts::DataArea] = &[crate::facts::DataArea::BloodPressure];
}

#[cfg(test)]
mod cases;
