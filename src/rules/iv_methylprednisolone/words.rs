//! Words for the `iv_methylprednisolone` rule.

use crate::words::dose::{derivation, schedule};
use crate::words::{amount, fig, md, summary, weight_line, Text, Words, SUMMARY_MAX};
use crate::rules::iv_methylprednisolone::{Dose, Found};

const SOURCES: &str =
    "Sources: guidance (IV methylprednisolone); 1 g/day cap: standard practice (1 g pulses); equivalence: Meikle & Tyler 1977.";

impl Words for Found {
    fn words(&self) -> Text {
        let f = self;
        match f {
            Found::Dose(d) => dose(d),
            Found::Indication { order_name } => Text {
                summary: "IV methylprednisolone: no dysphagia or respiratory involvement recorded; it is for severe disease"
                    .into(),
                detail: format!(
                    "**IV methylprednisolone indication.** {}. The guidance adds IV methylprednisolone for severe \
                     weakness, dysphagia or respiratory muscle involvement. None of dysphagia or respiratory \
                     involvement is on record; severe weakness has no code and could not be checked.\n\n{SOURCES}",
                    md(order_name)
                ),
            },
        }
    }
}

/// The cap in methylprednisolone mg, prednisone-equivalent in brackets.
fn cap(d: &Dose) -> String {
    format!(
        "{} mg/day (prednisone {} mg)",
        fig(d.cap_mg),
        fig(d.cap_mg * d.factor)
    )
}

fn dose(d: &Dose) -> Text {
    let per_kg_unit = if d.pulse { " (pulse)" } else { "/day" };
    let mut problems = vec![];
    if d.above_cap {
        problems.push(format!("above the {} cap", cap(d)));
    }
    if let (true, Some(x)) = (d.above_per_kg, d.mg_per_kg) {
        problems.push(format!(
            "{} mg/kg, above {} mg/kg{per_kg_unit}",
            fig(x),
            fig(d.per_kg_limit())
        ));
    }
    if let (true, Some(days)) = (d.too_long, d.days) {
        problems.push(format!(
            "{} days (guidance 1–{})",
            amount(days),
            amount(d.max_days)
        ));
    }
    let head = |problems: &[String]| {
        format!(
            "IV methylprednisolone {} mg{}: {}",
            amount(d.per_day_mg),
            if d.schedule_unknown {
                " per dose"
            } else {
                "/day"
            },
            problems.join("; ")
        )
    };
    // The summary names every limit crossed when it fits; the detail always does.
    let mut head_s = head(&problems);
    while head_s.chars().count() > SUMMARY_MAX && problems.len() > 1 {
        problems.pop();
        head_s = head(&problems);
    }
    let head = head_s;
    let advice = if d.above_cap || d.above_per_kg {
        if d.twice {
            ": check the dose and unit"
        } else {
            ": lower it"
        }
    } else {
        ": shorten the course"
    };
    let s = if head.chars().count() + advice.chars().count() <= SUMMARY_MAX {
        head + advice
    } else {
        head
    };
    let mut lines = vec![format!(
        "- Order: {} {}{} = **{} mg/day**{}",
        md(&derivation(&d.derivation)),
        d.schedule.map_or(String::new(), schedule),
        d.count
            .map_or(String::new(), |c| format!(", {} doses", amount(c))),
        amount(d.per_day_mg),
        if d.schedule_unknown {
            " (per dose; no schedule, read as one dose a day)"
        } else {
            ""
        }
    )];
    if let (Some(w), Some(x)) = (&d.weight, d.mg_per_kg) {
        lines.push(weight_line(w));
        lines.push(format!(
            "- {} mg ÷ {} kg = **{} mg/kg**; guidance {}–{} mg/kg/day for 1–{} days, or a pulse of {} mg/kg{}",
            amount(d.per_day_mg),
            crate::words::value(&w.reading, "kg"),
            fig(x),
            fig(d.low_per_kg),
            fig(d.high_per_kg),
            amount(d.max_days),
            fig(d.pulse_per_kg),
            if d.pulse { " (this order is a pulse)" } else { "" }
        ));
    }
    if let (true, Some(days)) = (d.too_long, d.days) {
        lines.push(format!(
            "- Course: {} days, longer than the 1–{} days of the guidance",
            amount(days),
            amount(d.max_days)
        ));
    }
    lines.push(format!("- Cap: {}", cap(d)));
    Text {
        summary: summary(s),
        detail: format!(
            "**IV methylprednisolone dose.** {}.\n\n{}\n\n{SOURCES}",
            md(&d.order_name),
            lines.join("\n")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clinical::body::WeightUsed;
    use crate::facts::{Reading, Schedule, Trust};

    fn dose(mg: f64, kg: Option<f64>, count: Option<f64>) -> Dose {
        let pulse = count.is_some_and(|c| c <= 3.0);
        let limit = if pulse { 30.0 } else { 20.0 };
        let days = count;
        Dose {
            order_name: "methylPREDNISolone sodium succinate 1000 MG Injection".into(),
            derivation: crate::facts::Derivation::mg(mg),
            schedule: Some(Schedule::DAILY),
            count,
            per_day_mg: mg,
            schedule_unknown: false,
            pulse,
            weight: kg.map(|kg| WeightUsed {
                reading: Reading {
                    value: kg,
                    original_value: kg,
                    original_unit: "kg".into(),
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
            mg_per_kg: kg.map(|kg| mg / kg),
            low_per_kg: 10.0,
            high_per_kg: 20.0,
            pulse_per_kg: 30.0,
            max_days: 5.0,
            cap_mg: 1000.0,
            factor: 1.25,
            days,
            above_cap: mg > 1000.0,
            above_per_kg: kg.is_some_and(|kg| mg / kg > limit),
            too_long: days.is_some_and(|d| d > 5.0),
            twice: mg >= 2000.0 || kg.is_some_and(|kg| mg / kg >= 2.0 * limit),
        }
    }

    fn check(t: &Text) {
        crate::words::assert_plain(t, 3);
    }

    #[test]
    fn each_branch_in_words() {
        // Above the cap, with its prednisone-equivalent.
        let t = Found::Dose(Box::new(dose(1250.0, Some(80.0), Some(3.0)))).words();
        check(&t);
        assert_eq!(
            t.summary,
            "IV methylprednisolone 1250 mg/day: above the 1000 mg/day (prednisone 1250 mg) cap: lower it"
        );
        assert!(
            t.detail.contains("1250 mg ÷ 80 kg = **15.6 mg/kg**"),
            "{}",
            t.detail
        );

        // Above the mg/kg limit (the pulse figure, daily regimens included).
        let t = Found::Dose(Box::new(dose(1000.0, Some(33.0), None))).words();
        check(&t);
        assert_eq!(
            t.summary,
            "IV methylprednisolone 1000 mg/day: 30.3 mg/kg, above 30 mg/kg/day: lower it"
        );

        // Too long only: shorten.
        let t = Found::Dose(Box::new(dose(600.0, Some(40.0), Some(6.0)))).words();
        check(&t);
        assert_eq!(
            t.summary,
            "IV methylprednisolone 600 mg/day: 6 days (guidance 1–5): shorten the course"
        );

        // All at once, twice the limits, no weight line missing.
        let mut all = dose(2600.0, Some(40.0), Some(3.0));
        all.days = Some(6.0);
        all.too_long = true;
        let t = Found::Dose(Box::new(all)).words();
        check(&t);
        assert_eq!(
            t.summary,
            "IV methylprednisolone 2600 mg/day: above the 1000 mg/day (prednisone 1250 mg) cap; 65 mg/kg, above 30 mg/kg (pulse); 6 days (guidance 1–5)"
        );
        assert!(
            t.detail
                .contains("- Course: 6 days, longer than the 1–5 days"),
            "{}",
            t.detail
        );

        // Without a weight: the cap alone.
        let t = Found::Dose(Box::new(dose(1250.0, None, None))).words();
        check(&t);
        assert!(!t.detail.contains("Weight used"));

        let t = Found::Indication {
            order_name: "Solu-Medrol *1 g*".into(),
        }.words();
        check(&t);
        assert!(t.detail.contains(r"Solu-Medrol \*1 g\*"));
    }
}
