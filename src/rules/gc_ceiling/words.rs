//! Words for the `gc_ceiling` rule.

use crate::words::dose::{derivation, route};
use crate::words::{amount, capitalise, fig, md, summary, weight_line, Text, Words};
use crate::rules::gc_ceiling::Found;
use crate::terminology::medication::Gc;

fn is_prednisone(gc: Gc) -> bool {
    matches!(gc, Gc::Prednisone | Gc::Prednisolone)
}

/// The ceiling in the drug's own mg, prednisone in brackets for another
/// glucocorticoid: "80 mg/day", "12 mg/day (prednisone 80 mg)".
fn ceiling(f: &Found) -> String {
    if is_prednisone(f.gc) {
        format!("{} mg/day", fig(f.ceiling_mg))
    } else {
        format!(
            "{} mg/day (prednisone {} mg)",
            fig(f.ceiling_mg / f.factor),
            fig(f.ceiling_mg)
        )
    }
}

/// The dose ordered: "Prednisone 85 mg/day", "Dexamethasone 13 mg/day
/// (prednisone 86.7 mg)", "Prednisone 100 mg per dose (frequency unknown)".
fn ordered(f: &Found) -> String {
    let drug = capitalise(f.gc.name());
    let own = match f.per_dose_unknown_frequency {
        Some(mg) if f.orders == 1 => format!("{} mg per dose (frequency unknown)", amount(mg)),
        _ => format!("{} mg/day", amount(f.pred_eq_mg / f.factor)),
    };
    if is_prednisone(f.gc) {
        format!("{drug} {own}")
    } else {
        format!("{drug} {own} (prednisone {} mg)", fig(f.pred_eq_mg))
    }
}

impl Words for Found {
    fn words(&self) -> Text {
        let f = self;
        let s = if f.twice {
            format!(
                "{}: twice the {} ceiling or more: check the dose and unit",
                ordered(f),
                ceiling(f)
            )
        } else {
            format!(
                "{} is above the {} ceiling for a starting dose: lower it",
                ordered(f),
                ceiling(f)
            )
        };
        let mut d = format!(
            "**Corticosteroid dose above the ceiling.** {} ({}): {}**{} mg/day prednisone-equivalent**{}{}, above \
             the starting-dose ceiling of {}{}.\n\n",
            md(&f.order_name),
            route(f.route),
            f.derivation
                .as_ref()
                .map_or(String::new(), |d| format!("{} = ", md(&derivation(d)))),
            fig(f.pred_eq_mg),
            if f.per_dose_unknown_frequency.is_some() {
                " (frequency unknown: read as at least once a day)"
            } else {
                ""
            },
            if f.orders > 1 {
                format!(", {} draft orders of it summed", f.orders)
            } else {
                String::new()
            },
            ceiling(f),
            if f.twice {
                ", by a factor of two or more: a unit or dose slip?"
            } else {
                ""
            },
        );
        if let Some(w) = &f.weight {
            let kg = w.reading.value;
            d.push_str(&format!(
                "{}\n- {} mg/day ÷ {} kg = {} mg/kg/day (guidance {}–{} mg/kg/day)\n\n",
                weight_line(w),
                fig(f.pred_eq_mg),
                crate::words::value(&w.reading, "kg"),
                fig(f.pred_eq_mg / kg),
                fig(f.low_per_kg),
                fig(f.high_per_kg),
            ));
        }
        d.push_str(
            "Initial oral prednisone for myositis is 0.5–1 mg/kg/day; doses above the ceiling are not suggested \
             here. Higher doses are given as IV methylprednisolone pulses.\n\n\
             Sources: guidance (initial corticosteroid regimen); ceiling: service policy",
        );
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
    use crate::facts::{Reading, Route, Trust};

    fn found(gc: Gc, factor: f64, eq: f64, twice: bool) -> Found {
        Found {
            gc,
            route: Route::Oral,
            order_name: "Dexamethasone 4 MG Oral Tablet".into(),
            derivation: Some(crate::facts::Derivation::Units {
                count: 3.0,
                unit: "tablet".into(),
                mg_each: 4.0,
            }),
            orders: 1,
            per_dose_unknown_frequency: None,
            factor,
            pred_eq_mg: eq,
            ceiling_mg: 80.0,
            twice,
            weight: Some(WeightUsed {
                reading: Reading {
                    value: 69.853,
                    original_value: 154.0,
                    original_unit: "[lb_av]".into(),
                    date: chrono::NaiveDate::from_ymd_opt(2026, 11, 10),
                    source: "Observation/w1".into(),
                    trust: Trust::Plausible,
                },
                stale_days: None,
                max_age_days: 90.0,
                future: vec![],
                disagrees: None,
                conflict_pct: 10.0,
            }),
            low_per_kg: 0.5,
            high_per_kg: 1.0,
        }
    }

    fn check(t: &Text) {
        crate::words::assert_plain(t, 3);
    }

    #[test]
    fn each_branch_in_words() {
        let t = found(Gc::Prednisone, 1.0, 85.0, false).words();
        check(&t);
        assert_eq!(
            t.summary,
            "Prednisone 85 mg/day is above the 80 mg/day ceiling for a starting dose: lower it"
        );
        assert!(
            t.detail.contains("85 mg/day ÷ 69.9 kg = 1.22 mg/kg/day"),
            "{}",
            t.detail
        );

        // Another drug: its own mg, prednisone-equivalent in brackets.
        let t = found(
            Gc::Dexamethasone,
            5.0 / 0.75,
            13.0 * 5.0 / 0.75,
            false,
        ).words();
        check(&t);
        assert_eq!(
            t.summary,
            "Dexamethasone 13 mg/day (prednisone 86.7 mg) is above the 12 mg/day (prednisone 80 mg) ceiling for a starting dose: lower it"
        );
        assert!(t.detail.contains("Meikle & Tyler 1977"));

        // Twice the ceiling, frequency unknown.
        let mut f = found(Gc::Prednisone, 1.0, 160.0, true);
        f.per_dose_unknown_frequency = Some(160.0);
        let t = f.words();
        check(&t);
        assert_eq!(
            t.summary,
            "Prednisone 160 mg per dose (frequency unknown): twice the 80 mg/day ceiling or more: check the dose and unit"
        );
        assert!(t.detail.contains("a unit or dose slip?"));

        // Methylprednisolone orally, betamethasone: limits in their own mg.
        let t = found(Gc::Methylprednisolone, 1.25, 100.0, false).words();
        assert!(
            t.summary
                .contains("above the 64 mg/day (prednisone 80 mg) ceiling"),
            "{}",
            t.summary
        );
        let t = found(Gc::Betamethasone, 5.0 / 0.6, 100.0, false).words();
        assert!(
            t.summary
                .contains("above the 9.6 mg/day (prednisone 80 mg) ceiling"),
            "{}",
            t.summary
        );
    }
}
