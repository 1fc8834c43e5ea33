//! Words for the `suspected_renal_crisis` rule.

use crate::words::{amount, date, fig, md, summary, Text, Words};
use crate::rules::suspected_renal_crisis::{
    BpCriterion, BpHow, Creatinine, CreatinineValue, Found,
};

impl Words for Found {
    fn words(&self) -> Text {
        let f = self;
        let (s, head) = match (&f.creatinine, &f.bp) {
            (Creatinine::Rise { rise_pct, .. }, Some(_)) => (
                format!(
                    "Possible renal crisis: creatinine +{}% and raised BP: urgent review, ACE inhibitor",
                    fig(rise_pct.round())
                ),
                "**Possible scleroderma renal crisis.** Both criteria are met: urgent same-day review.",
            ),
            (Creatinine::Rise { rise_pct, .. }, None) => (
                format!(
                    "Possible renal crisis: creatinine +{}% on a corticosteroid: same-day review",
                    fig(rise_pct.round())
                ),
                "**Possible scleroderma renal crisis** (creatinine criterion; renal crisis can be \
                 normotensive): same-day review.",
            ),
            _ => (
                "Possible renal crisis: raised blood pressure on a corticosteroid: same-day review".into(),
                "**Possible scleroderma renal crisis** (blood-pressure criterion): same-day review.",
            ),
        };
        let creatinine = match &f.creatinine {
            Creatinine::Rise {
                latest,
                baseline,
                rise_pct,
            } => format!(
                "- Creatinine {} vs baseline {}: **+{} %** (≥ {} % within {} days)",
                creat(latest),
                creat(baseline),
                fig(rise_pct.round()),
                fig(f.rise_limit_pct),
                fig(f.window_days)
            ),
            Creatinine::NoRise => format!(
                "- Creatinine: no rise of {} % within {} days on file",
                fig(f.rise_limit_pct),
                fig(f.window_days)
            ),
            Creatinine::NoneOnFile => "- Creatinine: none on file: check it today".into(),
        };
        let mut bp = match &f.bp {
            Some(b) => bp_line(b),
            None => "- Blood pressure: no current reading meets the criterion: check it today".into(),
        };
        if let Some((mg, threshold)) = f.gc {
            bp.push_str(&format!(
                "\n- Corticosteroid: prednisone-equivalent **{} mg/day** (≥ {} mg/day raises the risk): \
                 lowest effective dose, never escalate",
                fig(mg),
                fig(threshold)
            ));
        }
        let detail = format!(
            "{head}\n\n{creatinine}\n{bp}\n\n**Do:** check blood pressure and creatinine today; if either \
             criterion is confirmed, start an ACE inhibitor (short-acting captopril first line, titrated to BP); \
             do not escalate corticosteroids; check blood count and smear (haemolysis, platelets) and urine \
             protein; involve nephrology.\n\n\
             Sources: guidance (monitoring); Kowal-Bielecka et al. 2017 (EULAR); Denton et al. 2016 (UKSSG); \
             Penn et al. 2007."
        );
        Text {
            summary: summary(s),
            detail,
        }
    }
}

/// "1.5 mg/dL (2026-11-20)", or "133 umol/L = 1.5 mg/dL (2026-11-20)".
fn creat(c: &CreatinineValue) -> String {
    let unit = crate::facts::units::plain(&c.unit);
    if matches!(c.unit.trim(), "mg/dL" | "mg/dl") {
        format!("{} mg/dL ({})", amount(c.value), date(c.date))
    } else {
        format!(
            "{} {} = {} mg/dL ({})",
            amount(c.value),
            md(&unit),
            fig(c.mg_dl),
            date(c.date)
        )
    }
}

fn bp_line(b: &BpCriterion) -> String {
    let shown = format!(
        "{}/{} mmHg ({})",
        b.systolic.map_or("?".into(), amount),
        b.diastolic.map_or("?".into(), amount),
        b.date
    );
    match b.how {
        BpHow::AtOrAbove {
            systolic,
            diastolic,
            severe,
        } => format!(
            "- Blood pressure {shown} ≥ {}/{}{}",
            amount(systolic),
            amount(diastolic),
            if severe {
                " (severe: counts without a creatinine on file)"
            } else {
                ""
            }
        ),
        BpHow::SystolicRise { rise, baseline } => format!(
            "- Blood pressure {shown}: systolic +{} over the baseline median {}",
            fig(rise),
            fig(baseline)
        ),
        BpHow::DiastolicRise { rise, baseline } => format!(
            "- Blood pressure {shown}: diastolic +{} over the baseline median {}",
            fig(rise),
            fig(baseline)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::words::{DETAIL_MAX_LINES, SUMMARY_MAX};
    use chrono::NaiveDate;

    fn d(day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, day).unwrap()
    }
    fn mg(v: f64, day: u32) -> CreatinineValue {
        CreatinineValue {
            mg_dl: v,
            value: v,
            unit: "mg/dL".into(),
            date: Some(d(day)),
        }
    }
    fn bp(how: BpHow) -> Option<BpCriterion> {
        Some(BpCriterion {
            systolic: Some(150.0),
            diastolic: Some(85.0),
            date: d(20),
            how,
        })
    }
    fn check(t: &Text) {
        assert!(t.summary.chars().count() <= SUMMARY_MAX, "{}", t.summary);
        assert!(!t.summary.contains('…'));
        let n = t.detail.lines().filter(|l| !l.trim().is_empty()).count();
        assert!(n <= DETAIL_MAX_LINES, "{}", t.detail);
        assert!(!t.detail.contains("Observation/"), "{}", t.detail);
    }
    fn found(creatinine: Creatinine, bp: Option<BpCriterion>) -> Found {
        Found {
            creatinine,
            bp,
            rise_limit_pct: 30.0,
            window_days: 90.0,
            gc: Some((60.0, 15.0)),
        }
    }
    const ABOVE: BpHow = BpHow::AtOrAbove {
        systolic: 140.0,
        diastolic: 90.0,
        severe: false,
    };

    #[test]
    fn both_criteria() {
        let t = found(
            Creatinine::Rise {
                latest: mg(1.5, 20),
                baseline: mg(1.0, 1),
                rise_pct: 50.0,
            },
            bp(ABOVE),
        ).words();
        check(&t);
        assert!(
            t.summary.contains("creatinine +50% and raised BP"),
            "{}",
            t.summary
        );
        assert!(t.detail.contains("Both criteria are met"));
        assert!(t.detail.contains(
            "Creatinine 1.5 mg/dL (2026-11-20) vs baseline 1 mg/dL (2026-11-01): **+50 %**"
        ));
        assert!(t.detail.contains("150/85 mmHg (2026-11-20) ≥ 140/90"));
    }

    #[test]
    fn creatinine_alone_in_micromoles() {
        let mut latest = mg(133.0 / 88.4, 20);
        latest.value = 133.0;
        latest.unit = "umol/L".into();
        let mut baseline = mg(1.0, 1);
        baseline.value = 88.4;
        baseline.unit = "umol/L".into();
        let t = found(
            Creatinine::Rise {
                latest,
                baseline,
                rise_pct: 50.45,
            },
            None,
        ).words();
        check(&t);
        assert!(
            t.summary.contains("+50% on a corticosteroid"),
            "{}",
            t.summary
        );
        assert!(t.detail.contains("133 umol/L = 1.5 mg/dL"), "{}", t.detail);
        assert!(t.detail.contains("no current reading meets the criterion"));
    }

    #[test]
    fn blood_pressure_alone() {
        for (c, how, said) in [
            (Creatinine::NoRise, ABOVE, "no rise of 30 % within 90 days"),
            (
                Creatinine::NoneOnFile,
                BpHow::AtOrAbove {
                    systolic: 160.0,
                    diastolic: 100.0,
                    severe: true,
                },
                "≥ 160/100 (severe",
            ),
            (
                Creatinine::NoRise,
                BpHow::SystolicRise {
                    rise: 30.0,
                    baseline: 120.0,
                },
                "systolic +30 over the baseline median 120",
            ),
        ] {
            let t = found(c, bp(how)).words();
            check(&t);
            assert!(t.summary.contains("raised blood pressure"), "{}", t.summary);
            assert!(t.detail.contains(said), "{said}: {}", t.detail);
        }
    }
}
