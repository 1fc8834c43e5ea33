//! Words for the `renal_crisis_risk` rule, and the glucocorticoid lines it
//! shares with the BP monitoring card.

use crate::words::dose::{derivation, route, schedule};
use crate::words::{amount, date, fig, md, summary, Text, Words};
use crate::rules::renal_crisis_risk::{FactorLimits, Found, GcLine, LastBp, RiskFactor};
use crate::terminology::medication::Gc;

/// "new 40 + active 20 = 60 mg/day", or "60 mg/day".
fn figure(f: &Found) -> String {
    if f.continuing_mg > 0.0 {
        format!(
            "new {} + active {} = {} mg/day",
            fig(f.new_mg),
            fig(f.continuing_mg),
            fig(f.total_mg)
        )
    } else {
        format!("{} mg/day", fig(f.total_mg))
    }
}

impl Words for Found {
    fn words(&self) -> Text {
        let f = self;
        let taper = if f.taper {
            format!(", taper to ≤{} mg/day", fig(f.taper_target_mg))
        } else {
            " and creatinine during the pulse".into()
        };
        let s = summary(format!(
            "SSc: prednisone-eq {} ≥ {}: renal crisis risk{}; monitor BP{taper}",
            figure(f),
            fig(f.threshold_mg),
            if f.factors.is_empty() {
                ""
            } else {
                " (risk factors present)"
            },
        ));
        let mut lines: Vec<String> = f.exposure.iter().map(gc_line).collect();
        if let Some(both) = f.both_continue_mg {
            lines.push(both_continue_line(both));
        }
        lines.push(factors_line(&f.factors, &f.limits));
        lines.extend(
            f.hbv
                .iter()
                .map(|l| format!("- {}", crate::words::pretreatment::line(l))),
        );
        if f.ace_inhibitor {
            lines.push(
                "- An ACE inhibitor is active: it does not prevent renal crisis, so this warning stands."
                    .into(),
            );
        }
        let taper = if f.taper {
            format!(
                "; taper to ≤ {} mg/day as soon as the myositis allows",
                fig(f.taper_target_mg)
            )
        } else {
            " during and after the IV methylprednisolone pulse (a course of days: no taper of it is \
             due)"
                .into()
        };
        let detail = format!(
            "**Scleroderma renal crisis risk**: prednisone-equivalent **{}** (≥ {} mg/day).\n\n\
             {}\n\n\
             **Do:** BP at every visit and at home, and serum creatinine{taper}. A rise in BP or \
             creatinine: same-day review (ACE inhibitor first line).\n\n\
             Sources: guidance; Steen & Medsger 1998 (≥ 15 mg/day, OR 4.37); Hachulla et al. 2021 and \
             Penn et al. 2007 (risk factors); Meikle & Tyler 1977 (equivalence).",
            figure(f),
            fig(f.threshold_mg),
            lines.join("\n"),
        );
        Text { summary: s, detail }
    }
}

/// The risk factors in one line: those present, or what was looked for.
fn factors_line(factors: &[RiskFactor], l: &FactorLimits) -> String {
    // A BP not on file is not a normal BP: say so.
    let bp_gap = match l.last_bp {
        LastBp::Current => None,
        LastBp::None => Some("**no blood pressure on file**: measure it today".to_string()),
        LastBp::NotCurrent(d) => Some(format!(
            "**no current blood pressure** (last {}): measure it today",
            date(d)
        )),
    };
    if factors.is_empty() {
        let looked_for = format!(
            "diffuse SSc, SSc onset < {} years, anti-RNA polymerase III, prior renal crisis",
            fig(l.recent_onset_years),
        );
        return match bp_gap {
            None => format!(
                "- Risk factors: none recorded ({looked_for}, last BP ≥ {}/{})",
                amount(l.systolic),
                amount(l.diastolic)
            ),
            Some(gap) => format!("- Risk factors: none recorded ({looked_for}); {gap}"),
        };
    }
    let present: Vec<String> = factors.iter().map(|r| factor(r, l)).collect();
    let mut s = format!("- **Risk factors:** {}", present.join("; "));
    if let Some(gap) = bp_gap {
        s.push_str(&format!("; {gap}"));
    }
    s
}

fn factor(r: &RiskFactor, l: &FactorLimits) -> String {
    match r {
        RiskFactor::Diffuse => "diffuse cutaneous SSc".into(),
        RiskFactor::RecentOnset {
            onset,
            years,
            limit_years,
        } => format!(
            "SSc onset {onset} ({} years; < {})",
            fig(*years),
            fig(*limit_years)
        ),
        RiskFactor::Rnap3 { date: d } => {
            format!("anti-RNA polymerase III positive ({})", date(*d))
        }
        RiskFactor::PriorCrisis { onset } => match onset {
            Some(d) => format!("prior scleroderma renal crisis ({d})"),
            None => "prior scleroderma renal crisis".into(),
        },
        RiskFactor::HighBp {
            systolic,
            diastolic,
            date: d,
        } => format!(
            "last BP {}/{} mmHg ({}) ≥ {}/{}",
            systolic.map_or("?".into(), amount),
            diastolic.map_or("?".into(), amount),
            date(*d),
            amount(l.systolic),
            amount(l.diastolic)
        ),
    }
}

/// The line for an order read as replacing an active glucocorticoid.
pub fn both_continue_line(both: f64) -> String {
    format!(
        "- Read as replacing the active corticosteroid of the same drug and route; if both continue, \
         the total is **{} mg/day prednisone-equivalent**: stop the replaced order.",
        fig(both)
    )
}

/// One glucocorticoid as counted: name, route, dose as ordered, and its
/// prednisone-equivalent when the drug is not prednisone or prednisolone.
pub fn gc_line(u: &GcLine) -> String {
    let kind = if u.ordered { "Order" } else { "Active" };
    let prednisone = matches!(u.gc, Gc::Prednisone | Gc::Prednisolone);
    let several = if u.several_instructions {
        " (highest of its dosage instructions)"
    } else {
        ""
    };
    let dose = match (&u.derivation, u.per_day_mg, u.pred_eq, u.pred_eq_at_least) {
        (Some(d), Some(per_day), Some(eq), _) => {
            let sched = u
                .schedule
                .map_or(String::new(), |s| format!(" {}", schedule(s)));
            if prednisone {
                format!(
                    "{}{sched}{several} = **{} mg/day**",
                    md(&derivation(d)),
                    amount(per_day)
                )
            } else {
                format!(
                    "{}{sched}{several} = {} mg/day × {} = **{} mg/day prednisone-equivalent**",
                    md(&derivation(d)),
                    amount(per_day),
                    fig(u.factor),
                    fig(eq)
                )
            }
        }
        (Some(d), _, _, Some(at_least)) => format!(
            "{}{several}, frequency not stated: counted as at least **{} mg/day{}**",
            md(&derivation(d)),
            fig(at_least),
            if prednisone {
                ""
            } else {
                " prednisone-equivalent"
            }
        ),
        _ => "dose could not be computed (no mg dose or no schedule)".into(),
    };
    format!("- {kind}: {} ({}): {dose}", md(&crate::words::named(&u.name)), route(u.route))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clinical::pretreatment::{HbvTest, Line, LineKind, Said};
    use crate::facts::{Route, Schedule};
    use crate::words::{DETAIL_MAX_LINES, SUMMARY_MAX};

    fn line(gc: Gc, per_day: f64, factor: f64) -> GcLine {
        GcLine {
            ordered: true,
            name: "dexamethasone 4 MG Oral Tablet".into(),
            gc,
            route: Route::Oral,
            derivation: Some(crate::facts::Derivation::Units {
                count: 1.0,
                unit: "tablet".into(),
                mg_each: per_day,
            }),
            schedule: Some(Schedule::DAILY),
            several_instructions: false,
            per_day_mg: Some(per_day),
            factor,
            pred_eq: Some(per_day * factor),
            pred_eq_at_least: Some(per_day * factor),
        }
    }

    fn found(exposure: Vec<GcLine>, factors: Vec<RiskFactor>) -> Found {
        let total = exposure.iter().filter_map(|u| u.pred_eq_at_least).sum();
        Found {
            new_mg: total,
            continuing_mg: 0.0,
            total_mg: total,
            threshold_mg: 15.0,
            taper_target_mg: 10.0,
            taper: true,
            exposure,
            both_continue_mg: None,
            factors,
            limits: FactorLimits {
                recent_onset_years: 4.0,
                systolic: 140.0,
                diastolic: 90.0,
                last_bp: LastBp::Current,
            },
            hbv: vec![Line::new(
                LineKind::HbvNotOnFile,
                crate::terminology::medication::Drug::Glucocorticoid(Gc::Prednisone),
                Said::HbvNotOnFile {
                    missing: vec![HbvTest::SurfaceAntigen, HbvTest::CoreAntibody],
                },
            )],
            ace_inhibitor: false,
        }
    }

    fn within_budget(t: &Text) {
        assert!(t.summary.chars().count() <= SUMMARY_MAX, "{}", t.summary);
        assert!(!t.summary.contains('…'), "{}", t.summary);
        let lines = t.detail.lines().filter(|l| !l.trim().is_empty()).count();
        assert!(lines <= DETAIL_MAX_LINES, "{lines}: {}", t.detail);
        for bad in [
            "MedicationRequest/",
            "Observation/",
            "Condition/",
            ".md",
            "{",
        ] {
            assert!(!t.detail.contains(bad), "{bad}: {}", t.detail);
        }
    }

    #[test]
    fn no_risk_factor_reads_compactly() {
        let t = found(vec![line(Gc::Prednisone, 60.0, 1.0)], vec![]).words();
        within_budget(&t);
        assert_eq!(
            t.summary,
            "SSc: prednisone-eq 60 mg/day ≥ 15: renal crisis risk; monitor BP, taper to ≤10 mg/day"
        );
        assert!(t
            .detail
            .contains("1 tablet × 60 mg once daily = **60 mg/day**"));
        assert!(t.detail.contains("Risk factors: none recorded"));
        assert!(t.detail.contains("check HBV"));
        assert!(t.detail.contains("Steen & Medsger 1998"));
    }

    #[test]
    fn a_missing_blood_pressure_is_not_read_as_a_normal_one() {
        // (BP on file, says "last BP ≥ 140/90", says what is missing)
        let d = chrono::NaiveDate::from_ymd_opt(2026, 10, 1).unwrap();
        for (last_bp, threshold, gap) in [
            (LastBp::Current, true, None),
            (LastBp::None, false, Some("no blood pressure on file")),
            (
                LastBp::NotCurrent(Some(d)),
                false,
                Some("no current blood pressure** (last 2026-10-01)"),
            ),
        ] {
            let mut f = found(vec![line(Gc::Prednisone, 60.0, 1.0)], vec![]);
            f.limits.last_bp = last_bp;
            let t = f.words();
            within_budget(&t);
            assert_eq!(
                t.detail.contains("last BP ≥ 140/90"),
                threshold,
                "{last_bp:?}"
            );
            if let Some(gap) = gap {
                assert!(t.detail.contains(gap), "{}", t.detail);
            }
            // With a risk factor present, a missing BP is still said.
            let mut f = found(
                vec![line(Gc::Prednisone, 60.0, 1.0)],
                vec![RiskFactor::Diffuse],
            );
            f.limits.last_bp = last_bp;
            let t = f.words();
            assert_eq!(
                t.detail.contains("measure it today"),
                gap.is_some(),
                "{}",
                t.detail
            );
        }
    }

    #[test]
    fn another_glucocorticoid_shows_its_prednisone_equivalent() {
        // Dexamethasone 4 mg × 6.67 = 26.7 mg prednisone-equivalent.
        let t = found(
            vec![line(Gc::Dexamethasone, 4.0, 5.0 / 0.75)],
            vec![],
        ).words();
        within_budget(&t);
        assert!(t.summary.contains("26.7 mg/day"), "{}", t.summary);
        assert!(
            t.detail
                .contains("4 mg/day × 6.67 = **26.7 mg/day prednisone-equivalent**"),
            "{}",
            t.detail
        );
    }

    #[test]
    fn every_risk_factor_with_active_therapy_and_replacement() {
        let d = chrono::NaiveDate::from_ymd_opt(2024, 1, 10).unwrap();
        let mut f = found(
            vec![line(Gc::Prednisone, 40.0, 1.0)],
            vec![
                RiskFactor::Diffuse,
                RiskFactor::RecentOnset {
                    onset: d,
                    years: 2.876,
                    limit_years: 4.0,
                },
                RiskFactor::Rnap3 { date: Some(d) },
                RiskFactor::PriorCrisis { onset: None },
                RiskFactor::HighBp {
                    systolic: Some(150.0),
                    diastolic: Some(95.0),
                    date: Some(d),
                },
            ],
        );
        let mut active = line(Gc::Prednisone, 20.0, 1.0);
        active.ordered = false;
        f.exposure.push(active);
        f.continuing_mg = 20.0;
        f.total_mg = 60.0;
        f.both_continue_mg = Some(80.0);
        f.ace_inhibitor = true;
        let t = f.words();
        within_budget(&t);
        assert!(t.summary.contains("new 40 + active 20 = 60 mg/day"));
        assert!(t.summary.contains("(risk factors present)"));
        assert!(t.detail.contains("SSc onset 2024-01-10 (2.88 years; < 4)"));
        assert!(t
            .detail
            .contains("last BP 150/95 mmHg (2024-01-10) ≥ 140/90"));
        assert!(t.detail.contains("**80 mg/day prednisone-equivalent**"));
        assert!(t.detail.contains("does not prevent renal crisis"));
    }

    #[test]
    fn unknown_frequency_is_read_as_daily() {
        let mut u = line(Gc::Prednisone, 20.0, 1.0);
        u.per_day_mg = None;
        u.pred_eq = None;
        u.schedule = None;
        let t = found(vec![u], vec![]).words();
        within_budget(&t);
        assert!(
            t.detail
                .contains("frequency not stated: counted as at least **20 mg/day**"),
            "{}",
            t.detail
        );
    }
}
