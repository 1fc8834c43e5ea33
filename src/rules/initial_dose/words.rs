//! Words for the `initial_dose` rule.

use crate::words::dose::derivation;
use crate::words::{amount, capitalise, fig, md, summary, weight_line, Text, Words};
use crate::rules::initial_dose::{Found, Side};
use crate::terminology::medication::Gc;

fn is_prednisone(gc: Gc) -> bool {
    matches!(gc, Gc::Prednisone | Gc::Prednisolone)
}

/// A limit or range in prednisone mg: "35 mg" / "35–70 mg/day" for
/// prednisone; "methylprednisolone 28–56 mg/day (prednisone 35–70 mg)" for
/// another glucocorticoid: the drug's own mg, prednisone in brackets.
fn range(f: &Found, lo: Option<f64>, hi: f64, per_day: &str) -> String {
    let span = |k: f64| lo.map_or(String::new(), |lo| format!("{}–", fig(lo / k))) + &fig(hi / k);
    if is_prednisone(f.gc) {
        format!("{} mg{per_day}", span(1.0))
    } else {
        format!(
            "{} {} mg{per_day} (prednisone {} mg)",
            f.gc.name(),
            span(f.factor),
            span(1.0)
        )
    }
}

/// The order's dose: "Prednisone 60 mg/day" or "Methylprednisolone 48 mg/day
/// (prednisone 60 mg)".
fn ordered(f: &Found) -> String {
    if is_prednisone(f.gc) {
        format!(
            "{} {} mg/day",
            capitalise(f.gc.name()),
            amount(f.pred_eq_mg)
        )
    } else {
        format!(
            "{} {} mg/day (prednisone {} mg)",
            capitalise(f.gc.name()),
            amount(f.pred_eq_mg / f.factor),
            fig(f.pred_eq_mg)
        )
    }
}

impl Words for Found {
    fn words(&self) -> Text {
        let f = self;
        let per_kg = fig(f.mg_per_kg);
        let stale = f
            .weight
            .stale_days
            .map_or(String::new(), |d| format!("; weight {d} d old"));
        let comorbid: Vec<&str> = f.comorbid.iter().map(|c| c.name()).collect();
        let capped = f.capped_at.map_or(String::new(), |c| {
            format!("; suggested {} mg, the ceiling", fig(c))
        });
        // In the summary the drug is named once, at the start: its limit reads
        // "max 56 mg (prednisone 70 mg)".
        let short = |word: &str, mg: f64| {
            if is_prednisone(f.gc) {
                format!(" ({word}{} mg)", fig(mg))
            } else {
                format!(
                    "; {word}{} mg (prednisone {} mg)",
                    fig(mg / f.factor),
                    fig(mg)
                )
            }
        };
        let s = if !comorbid.is_empty() {
            format!(
                "{} = {per_kg} mg/kg; {}: guidance ≈{} mg/kg{}{capped}{stale}",
                ordered(f),
                comorbid.join(", "),
                fig(f.comorbid_per_kg),
                short(if is_prednisone(f.gc) { "" } else { "max " }, f.target_mg)
            )
        } else {
            let (side, word, lim) = match f.side {
                Side::Above => ("above", "max ", f.ceiling_mg),
                Side::Below => ("below", "min ", f.floor_mg),
            };
            let lim = short(word, lim);
            format!(
                "{} = {per_kg} mg/kg: {side} guidance {}–{} mg/kg/day{lim}{capped}{stale}",
                ordered(f),
                fig(f.low_per_kg),
                fig(f.high_per_kg),
            )
        };
        let kg = f.weight.reading.value;
        let mut d = format!(
            "**Initial corticosteroid dose.** {}: {}**{} mg/day** prednisone-equivalent.\n\n{}\n",
            md(&f.order_name),
            f.derivation
                .as_ref()
                .map_or(String::new(), |d| format!("{} = ", md(&derivation(d)))),
            amount(f.pred_eq_mg),
            weight_line(&f.weight),
        );
        let range = if comorbid.is_empty() {
            format!(
                "guidance {}–{} mg/kg/day = {}–{} mg/day, rounded to {} mg: **{}**",
                fig(f.low_per_kg),
                fig(f.high_per_kg),
                fig(f.low_per_kg * kg),
                fig(f.high_per_kg * kg),
                amount(f.round_mg),
                range(f, Some(f.floor_mg), f.ceiling_mg, "/day"),
            )
        } else {
            format!(
                "with {} the guidance uses ≈{} mg/kg/day = {} mg/day, rounded to {} mg: **{}**",
                comorbid.join(", "),
                fig(f.comorbid_per_kg),
                fig(f.comorbid_per_kg * kg),
                amount(f.round_mg),
                range(f, None, f.ceiling_mg, "/day"),
            )
        };
        d.push_str(&format!(
            "- {} mg/day ÷ {} kg = **{per_kg} mg/kg/day**; {range}\n",
            amount(f.pred_eq_mg),
            crate::words::value(&f.weight.reading, "kg"),
        ));
        if let Some(c) = f.capped_at {
            d.push_str(&format!(
                "- Suggested at most {} mg/day prednisone-equivalent (suggestion ceiling for a starting dose)\n",
                fig(c)
            ));
        }
        d.push_str(
            "\nGive as a single daily dose for 2–4 weeks before tapering; doses closer to 1 mg/kg suit patients at high \
             risk of relapse and low risk of adverse events.\n\n\
             Sources: guidance (initial corticosteroid regimen)",
        );
        d.push_str(&format!(
            "; rounding to {} mg: standard practice (tablet sizes)",
            amount(f.round_mg)
        ));
        if !is_prednisone(f.gc) {
            d.push_str("; equivalence: Meikle & Tyler 1977");
        }
        d.push('.');
        Text {
            summary: summary(s),
            detail: d,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clinical::body::WeightUsed;
    use crate::rules::initial_dose::Comorbidity;
    use crate::facts::Reading;

    fn weight(kg: f64, stale: Option<i64>) -> WeightUsed {
        WeightUsed {
            reading: Reading {
                value: kg,
                original_value: kg,
                original_unit: "kg".into(),
                date: chrono::NaiveDate::from_ymd_opt(2026, 11, 10),
                source: "Observation/w1".into(),
                trust: crate::facts::Trust::Plausible,
            },
            stale_days: stale,
            max_age_days: 90.0,
            future: vec![],
            disagrees: None,
            conflict_pct: 20.0,
        }
    }

    fn found(
        side: Side,
        gc: Gc,
        factor: f64,
        pred: f64,
        kg: f64,
        comorbid: Vec<Comorbidity>,
    ) -> Found {
        let round = |x: f64| (x / 5.0).round() * 5.0;
        let high = if comorbid.is_empty() { 1.0 } else { 0.5 };
        let (floor, ceiling) = (round(0.5 * kg), round(high * kg));
        Found {
            side,
            gc,
            order_name: "predniSONE 20 MG Oral Tablet".into(),
            derivation: Some(crate::facts::Derivation::Units {
                count: 3.0,
                unit: "tablet".into(),
                mg_each: 20.0,
            }),
            factor,
            pred_eq_mg: pred,
            weight: weight(kg, None),
            mg_per_kg: pred / kg,
            comorbid,
            low_per_kg: 0.5,
            high_per_kg: 1.0,
            comorbid_per_kg: 0.5,
            round_mg: 5.0,
            floor_mg: floor,
            ceiling_mg: ceiling,
            target_mg: if side == Side::Above { ceiling } else { floor }.min(80.0),
            capped_at: None,
        }
    }

    fn check(t: &Text) {
        crate::words::assert_plain(t, 3);
    }

    #[test]
    fn each_branch_in_words() {
        // S1: diabetes, 60 mg at 70 kg.
        let t = found(
            Side::Above,
            Gc::Prednisone,
            1.0,
            60.0,
            70.0,
            vec![Comorbidity::Diabetes],
        ).words();
        check(&t);
        assert_eq!(
            t.summary,
            "Prednisone 60 mg/day = 0.86 mg/kg; diabetes: guidance ≈0.5 mg/kg (35 mg)"
        );
        assert!(
            t.detail.contains("60 mg/day ÷ 70 kg = **0.86 mg/kg/day**"),
            "{}",
            t.detail
        );
        assert!(t.detail.contains("70 kg (2026-11-10)"), "{}", t.detail);

        // Above 1 mg/kg without a comorbidity.
        let t = found(Side::Above, Gc::Prednisone, 1.0, 75.0, 70.0, vec![]).words();
        check(&t);
        assert_eq!(
            t.summary,
            "Prednisone 75 mg/day = 1.07 mg/kg: above guidance 0.5–1 mg/kg/day (max 70 mg)"
        );
        assert!(
            t.detail
                .contains("= 35–70 mg/day, rounded to 5 mg: **35–70 mg/day**"),
            "{}",
            t.detail
        );

        // Below, capped at the suggestion ceiling, weight stale.
        let mut f = found(Side::Below, Gc::Prednisone, 1.0, 20.0, 200.0, vec![]);
        f.capped_at = Some(80.0);
        f.weight.stale_days = Some(120);
        let t = f.words();
        check(&t);
        assert_eq!(
            t.summary,
            "Prednisone 20 mg/day = 0.1 mg/kg: below guidance 0.5–1 mg/kg/day (min 100 mg); suggested 80 mg, the ceiling; weight 120 d old"
        );
        assert!(t.detail.contains("**120 days old**"), "{}", t.detail);

        // Another glucocorticoid: its own mg, prednisone in brackets.
        let t = found(
            Side::Above,
            Gc::Methylprednisolone,
            1.25,
            75.0,
            70.0,
            vec![],
        ).words();
        check(&t);
        assert_eq!(
            t.summary,
            "Methylprednisolone 60 mg/day (prednisone 75 mg) = 1.07 mg/kg: above guidance 0.5–1 mg/kg/day; max 56 mg (prednisone 70 mg)"
        );
        assert!(
            t.detail
                .contains("**methylprednisolone 28–56 mg/day (prednisone 35–70 mg)**"),
            "{}",
            t.detail
        );
    }
}
