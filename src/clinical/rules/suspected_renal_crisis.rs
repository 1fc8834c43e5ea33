//! # Suspected scleroderma renal crisis (`src-suspected`)
//!
//! Guidance: "Blood pressure monitoring for scleroderma renal crisis (critical
//! in overlap patients on corticosteroids)."
//!
//! POLICY.md: SSc and (last SBP ≥ 140 or DBP ≥ 90 or an SBP rise ≥ 30 mmHg
//! over baseline) and a creatinine rise ≥ 30 % over baseline within 90 days →
//! critical: urgent review; ACE inhibitor (captopril) first line; avoid
//! escalating glucocorticoids. REFERENCE.md 1.3 (EULAR 2017, UKSSG 2016).
//!
//! Baselines: the lowest value in the window before the newest reading (the
//! newest creatinine must itself fall within the window of today). Creatinine
//! in µmol/L is converted (88.4 µmol/L = 1 mg/dL).

use super::Outcome;
use crate::clinical::text::{self, md, num};
use crate::clinical::PatientScope;
use crate::clinical::{Finding, Indicator, OverrideReason, Policy, Selection, Topic};
use crate::facts::{units, Facts};
use crate::terminology::Concept;

pub const TOPIC: Topic = Topic {
    code: "src-suspected",
    display: "Possible scleroderma renal crisis",
};

pub const SETTINGS: &[&str] = &[
    "src_bp_systolic",
    "src_bp_diastolic",
    "src_suspected_sbp_rise",
    "src_suspected_creatinine_rise_pct",
    "src_suspected_window_days",
];

pub fn evaluate(facts: &Facts, policy: &Policy) -> Outcome {
    let mut out = Outcome::default();
    if !facts.has_ssc() {
        return out;
    }
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
        return out;
    };
    if (facts.today - latest_date).num_days() > window {
        return out;
    }
    let Some(&(base_date, baseline, base_lab)) = creat[1..]
        .iter()
        .filter(|(d, _, _)| *d < latest_date && (latest_date - *d).num_days() <= window)
        .min_by(|a, b| a.1.total_cmp(&b.1))
    else {
        return out;
    };
    let rise_pct = (latest - baseline) / baseline * 100.0;
    if rise_pct < policy.src_suspected_creatinine_rise_pct {
        return out;
    }
    let Some(bp) = facts.latest_bp() else {
        return out;
    };
    let high = bp.systolic.is_some_and(|s| s >= policy.src_bp_systolic)
        || bp.diastolic.is_some_and(|d| d >= policy.src_bp_diastolic);
    let sbp_base = facts
        .blood_pressures
        .iter()
        .skip(1)
        .filter(|b| match (b.date, bp.date) {
            (Some(d), Some(l)) => d < l && (l - d).num_days() <= window,
            _ => false,
        })
        .filter_map(|b| b.systolic.map(|s| (s, b)))
        .min_by(|a, b| a.0.total_cmp(&b.0));
    let sbp_rise = match (bp.systolic, sbp_base) {
        (Some(s), Some((base, _))) => Some(s - base),
        _ => None,
    };
    let rising = sbp_rise.is_some_and(|r| r >= policy.src_suspected_sbp_rise);
    if !high && !rising {
        return out;
    }
    let bp_text = format!(
        "{}/{} mmHg",
        bp.systolic.map_or("?".into(), num),
        bp.diastolic.map_or("?".into(), num)
    );
    let mut detail = format!(
        "**Possible scleroderma renal crisis.** Urgent same-day review.\n\n\
         - Creatinine {} mg/dL ({}, {}) vs baseline {} mg/dL ({}, {}): **+{:.0} %** (≥ {} %)\n\
         - Blood pressure {bp_text} ({}, {})",
        num(latest),
        md(&latest_lab.source),
        latest_date,
        num(baseline),
        md(&base_lab.source),
        base_date,
        rise_pct,
        num(policy.src_suspected_creatinine_rise_pct),
        md(&bp.source),
        text::date(bp.date),
    );
    if let (Some(r), Some((base, b))) = (sbp_rise, sbp_base) {
        detail.push_str(&format!(
            "; systolic {}{} mmHg over baseline {} ({}, {})",
            if r >= 0.0 { "+" } else { "" },
            num(r),
            num(base),
            md(&b.source),
            text::date(b.date)
        ));
    }
    detail.push_str(
        "\n\n**Do:** start an ACE inhibitor now (short-acting captopril first line, titrated to BP); do not escalate \
         corticosteroids; check blood count and smear (haemolysis, platelets), urine protein and creatinine daily; \
         involve nephrology.\n\nSources: guidance (monitoring); REFERENCE.md 1.3 (EULAR 2017; UKSSG 2016; Penn 2007); \
         trigger figures: POLICY.md.",
    );
    out.findings.push(Finding {
        topic: TOPIC,
        indicator: Indicator::Critical,
        summary: text::summary(format!(
            "Possible renal crisis: creatinine +{:.0}% ({}→{} mg/dL), BP {bp_text}: urgent review, ACE inhibitor",
            rise_pct,
            num(baseline),
            num(latest)
        )),
        detail,
        suggestions: vec![],
        selection: Selection::AtMostOne,
        override_reasons: vec![OverrideReason::DiagnosisNotConfirmed, OverrideReason::MonitoringInPlace],
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
    fn trigger_table() {
        // (creatinine newest, baseline, BP newest, BP earlier, fires)
        let cases = [
            (1.3, 1.0, (150.0, 80.0), None, true),   // +30 %, SBP 150
            (1.29, 1.0, (150.0, 80.0), None, false), // +29 %
            (1.3, 1.0, (130.0, 90.0), None, true),   // DBP 90
            (1.3, 1.0, (139.0, 89.0), None, false),  // BP below, no rise known
            (1.3, 1.0, (139.0, 89.0), Some((109.0, 70.0)), true), // SBP +30
            (1.3, 1.0, (139.0, 89.0), Some((110.0, 70.0)), false), // SBP +29
            (2.0, 1.0, (180.0, 100.0), None, true),
        ];
        for (newest, base, (s, d), earlier, fires) in cases {
            let mut f = patient(&[Concept::Ssc]);
            f.labs = vec![creat(newest, 2), creat(base, 40)];
            f.blood_pressures.push(bp(s, d, 1));
            if let Some((s0, d0)) = earlier {
                f.blood_pressures.push(bp(s0, d0, 30));
            }
            let out = evaluate(&f, &Policy::default());
            assert_eq!(
                out.findings.len(),
                usize::from(fires),
                "{newest} {base} {s}/{d} {earlier:?}"
            );
            if fires {
                assert_eq!(out.findings[0].indicator, Indicator::Critical);
                assert!(out.findings[0].summary.chars().count() < 140);
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
