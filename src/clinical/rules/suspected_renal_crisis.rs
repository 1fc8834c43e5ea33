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

/// What this rule found (free text until typed).
pub type Found = crate::clinical::Words;

use super::Outcome;
use crate::clinical::steroids::systemic_gc;
use crate::clinical::text::{self, md, num};
use crate::clinical::PatientScope;
use crate::clinical::{Finding, Indicator, OverrideReason, Policy, Selection, Topic};
use crate::clinical::{What, Words};
use crate::facts::{units, BloodPressure, Facts};
use crate::terminology::Concept;

pub const TOPIC: Topic = Topic {
    code: "src-suspected",
    display: "Possible scleroderma renal crisis",
};

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

/// The creatinine criterion: (newest, its lab, baseline, its lab, rise %).
struct CreatinineRise<'a> {
    latest: f64,
    latest_lab: &'a crate::facts::Lab,
    baseline: f64,
    base_lab: &'a crate::facts::Lab,
    rise_pct: f64,
}

fn creatinine<'a>(facts: &'a Facts, policy: &Policy) -> (bool, Option<CreatinineRise<'a>>) {
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
    let on_file = !creat.is_empty();
    let Some(&(latest_date, latest, latest_lab)) = creat.first() else {
        return (on_file, None);
    };
    if (facts.today - latest_date).num_days() > window {
        return (on_file, None);
    }
    let base = creat[1..]
        .iter()
        .filter(|(d, _, _)| *d < latest_date && (latest_date - *d).num_days() <= window)
        .min_by(|a, b| a.1.total_cmp(&b.1));
    let rise = base.and_then(|&(_, baseline, base_lab)| {
        let rise_pct = (latest - baseline) / baseline * 100.0;
        (rise_pct >= policy.src_suspected_creatinine_rise_pct).then_some(CreatinineRise {
            latest,
            latest_lab,
            baseline,
            base_lab,
            rise_pct,
        })
    });
    (on_file, rise)
}

/// The BP criterion, described, when met by the current reading.
fn bp_criterion<'a>(
    facts: &'a Facts,
    policy: &Policy,
    creatinine_on_file: bool,
) -> Option<(String, &'a BloodPressure)> {
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
    let shown = format!(
        "{}/{} mmHg ({}, {})",
        bp.systolic.map_or("?".into(), num),
        bp.diastolic.map_or("?".into(), num),
        md(&bp.source),
        d0
    );
    if bp.systolic.is_some_and(|s| s >= sys) || bp.diastolic.is_some_and(|d| d >= dia) {
        return Some((
            format!("blood pressure {shown} ≥ {}/{}", num(sys), num(dia)),
            bp,
        ));
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
            return Some((
                format!(
                    "blood pressure {shown}: systolic +{} over the baseline median {}",
                    num(s - b),
                    num(b)
                ),
                bp,
            ));
        }
    }
    if let (Some(d), Some(b)) = (bp.diastolic, d_base) {
        if d - b >= policy.src_suspected_dbp_rise {
            return Some((
                format!(
                    "blood pressure {shown}: diastolic +{} over the baseline median {}",
                    num(d - b),
                    num(b)
                ),
                bp,
            ));
        }
    }
    None
}

pub fn evaluate(facts: &Facts, policy: &Policy) -> Outcome {
    let mut out = Outcome::default();
    if !facts.has_ssc() {
        return out;
    }
    let (on_file, rise) = creatinine(facts, policy);
    let bp = bp_criterion(facts, policy, on_file);
    let on_gc = facts
        .active_meds
        .iter()
        .chain(&facts.orders)
        .any(|m| systemic_gc(m).is_some());
    let critical = rise.is_some() && bp.is_some();
    if !critical && !(on_gc && (rise.is_some() || bp.is_some())) {
        return out;
    }
    let mut lines = vec![];
    if let Some(r) = &rise {
        lines.push(format!(
            "- Creatinine {} mg/dL ({}, {}) vs baseline {} mg/dL ({}, {}): **+{:.0} %** (≥ {} %)",
            num(r.latest),
            md(&r.latest_lab.source),
            text::date(r.latest_lab.date),
            num(r.baseline),
            md(&r.base_lab.source),
            text::date(r.base_lab.date),
            r.rise_pct,
            num(policy.src_suspected_creatinine_rise_pct)
        ));
    } else {
        lines.push(format!(
            "- Creatinine: {}",
            if on_file {
                "no rise of 30 % within 90 days on file"
            } else {
                "none on file: check it today"
            }
        ));
    }
    match &bp {
        Some((text, _)) => lines.push(format!("- {}", text)),
        None => lines.push(
            "- Blood pressure: no current reading meets the criterion: check it today".into(),
        ),
    }
    let (indicator, summary, what) = if critical {
        (
            Indicator::Critical,
            format!(
                "Possible renal crisis: creatinine +{:.0}% and raised BP: urgent review, ACE inhibitor",
                rise.as_ref().map_or(0.0, |r| r.rise_pct)
            ),
            "**Possible scleroderma renal crisis.** Both criteria are met: urgent same-day review.",
        )
    } else if rise.is_some() {
        (
            Indicator::Warning,
            format!(
                "Possible renal crisis: creatinine +{:.0}% on a corticosteroid: same-day review",
                rise.as_ref().map_or(0.0, |r| r.rise_pct)
            ),
            "**Possible scleroderma renal crisis** (creatinine criterion; renal crisis can be normotensive): same-day review.",
        )
    } else {
        (
            Indicator::Warning,
            "Possible renal crisis: raised blood pressure on a corticosteroid: same-day review"
                .to_string(),
            "**Possible scleroderma renal crisis** (blood-pressure criterion): same-day review.",
        )
    };
    let detail = format!(
        "{what}\n\n{}\n\n**Do:** check blood pressure and creatinine today; if either criterion is confirmed, \
         start an ACE inhibitor (short-acting captopril first line, titrated to BP); do not escalate corticosteroids; \
         check blood count and smear (haemolysis, platelets) and urine protein; involve nephrology.\n\n\
         Sources: guidance (monitoring); Kowal-Bielecka et al. 2017 (EULAR); Denton et al. 2016 (UKSSG); Penn et al. 2007.",
        lines.join("\n")
    );
    out.findings.push(Finding {
        topic: TOPIC,
        indicator,
        what: What::SuspectedRenalCrisis(Words {
            summary: text::summary(summary),
            detail,
        }),
        notes: vec![],
        pull: None,
        suggestions: vec![],
        selection: Selection::AtMostOne,
        override_reasons: vec![
            OverrideReason::DiagnosisNotConfirmed,
            OverrideReason::MonitoringInPlace,
        ],
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clinical::rules::test_support::*;
    use crate::facts::BloodPressure;

    fn creat(value: f64, age: i64) -> crate::facts::Lab {
        let mut l = lab(Concept::Creatinine, value, "mg/dL");
        l.date = Some(days_ago(age));
        l
    }
    fn bp(s: f64, d: f64, age: i64) -> BloodPressure {
        BloodPressure {
            systolic: Some(s),
            diastolic: Some(d),
            date: Some(days_ago(age)),
            source: format!("Observation/bp{age}"),
        }
    }

    #[test]
    fn either_criterion_alone_on_a_glucocorticoid_table() {
        // (creatinine (newest, baseline), BP newest, BP 60 days earlier, on a steroid, expected)
        type Case = (
            Option<(f64, f64)>,
            (f64, f64),
            Option<(f64, f64)>,
            bool,
            Option<Indicator>,
        );
        let cases: &[Case] = &[
            // Creatinine doubling with normal BP, on a steroid: warning.
            (
                Some((2.0, 1.0)),
                (120.0, 80.0),
                None,
                true,
                Some(Indicator::Warning),
            ),
            // The same without a steroid: nothing.
            (Some((2.0, 1.0)), (120.0, 80.0), None, false, None),
            // BP 150/85 alone, creatinine on file and stable: warning on a steroid.
            (
                Some((1.0, 1.0)),
                (150.0, 85.0),
                None,
                true,
                Some(Indicator::Warning),
            ),
            // No creatinine on file: 150/85 is not enough; 160/100 is.
            (None, (150.0, 85.0), None, true, None),
            (None, (160.0, 85.0), None, true, Some(Indicator::Warning)),
            // Diastolic rise of 20 over the baseline median: BP criterion.
            (
                Some((1.3, 1.0)),
                (130.0, 88.0),
                Some((125.0, 68.0)),
                false,
                Some(Indicator::Critical),
            ),
            (
                Some((1.3, 1.0)),
                (130.0, 88.0),
                Some((125.0, 69.0)),
                false,
                None,
            ),
            // Both: critical, steroid or not.
            (
                Some((1.3, 1.0)),
                (150.0, 80.0),
                None,
                false,
                Some(Indicator::Critical),
            ),
        ];
        for (cr, (s, d), earlier, on_gc, want) in cases {
            let mut f = patient(&[Concept::Ssc]);
            if let Some((newest, base)) = cr {
                f.labs = vec![creat(*newest, 2), creat(*base, 40)];
            }
            f.blood_pressures.push(bp(*s, *d, 1));
            if let Some((s0, d0)) = earlier {
                f.blood_pressures.push(bp(*s0, *d0, 60));
            }
            if *on_gc {
                f.active_meds.push(prednisone(10.0));
            }
            let got = evaluate(&f, &Policy::default())
                .findings
                .first()
                .map(|c| c.indicator);
            assert_eq!(got, *want, "{cr:?} {s}/{d} {earlier:?} {on_gc}");
        }
    }

    #[test]
    fn trigger_table() {
        // (creatinine newest, baseline, BP newest, BP earlier, fires)
        let cases = [
            (1.3, 1.0, (150.0, 80.0), None, true),   // +30 %, SBP 150
            (1.29, 1.0, (150.0, 80.0), None, false), // +29 %
            (1.3, 1.0, (130.0, 90.0), None, true),   // DBP 90
            (1.3, 1.0, (139.0, 89.0), None, false),  // BP below, no rise known
            (1.3, 1.0, (139.0, 89.0), Some((109.0, 70.0)), true), // SBP +30 over the median 30–365 d earlier
            (1.3, 1.0, (139.0, 89.0), Some((110.0, 70.0)), false), // SBP +29
            (2.0, 1.0, (180.0, 100.0), None, true),
        ];
        for (newest, base, (s, d), earlier, fires) in cases {
            let mut f = patient(&[Concept::Ssc]);
            f.labs = vec![creat(newest, 2), creat(base, 40)];
            f.blood_pressures.push(bp(s, d, 1));
            if let Some((s0, d0)) = earlier {
                f.blood_pressures.push(bp(s0, d0, 31));
            }
            let out = evaluate(&f, &Policy::default());
            assert_eq!(
                out.findings.len(),
                usize::from(fires),
                "{newest} {base} {s}/{d} {earlier:?}"
            );
            if fires {
                assert_eq!(out.findings[0].indicator, Indicator::Critical);
                assert!(out.findings[0].summary().chars().count() < 140);
            }
        }
    }

    #[test]
    fn windows_units_and_scope() {
        // Baseline outside 90 days: no comparison.
        let mut f = patient(&[Concept::Ssc]);
        f.labs = vec![creat(2.0, 2), creat(1.0, 100)];
        f.blood_pressures.push(bp(160.0, 95.0, 1));
        assert!(evaluate(&f, &Policy::default()).findings.is_empty());
        // µmol/L: 133 vs 88.4 (1.5 vs 1.0 mg/dL).
        let mut f = patient(&[Concept::Ssc]);
        let mut a = lab(Concept::Creatinine, 133.0, "umol/L");
        a.date = Some(days_ago(1));
        let mut b = lab(Concept::Creatinine, 88.4, "umol/L");
        b.date = Some(days_ago(20));
        f.labs = vec![a, b];
        f.blood_pressures.push(bp(160.0, 95.0, 1));
        assert_eq!(evaluate(&f, &Policy::default()).findings.len(), 1);
        // Myositis without SSc: not this rule.
        let mut f = patient(&[Concept::Dermatomyositis]);
        f.labs = vec![creat(2.0, 2), creat(1.0, 20)];
        f.blood_pressures.push(bp(160.0, 95.0, 1));
        assert!(evaluate(&f, &Policy::default()).findings.is_empty());
    }
}
