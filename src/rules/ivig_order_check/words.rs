//! Words for the IVIG order check (`ivig-dose`): a course above the g/kg
//! dosing-weight limit.

use crate::words::{amount, fig, md, summary, Text, Words};
use crate::rules::ivig_order_check::Found;

impl Words for Found {
    fn words(&self) -> Text {
        let f = self;
        let dosing = f.dosing.dosing;
        let what = match f.doses {
            Some(_) => format!("IVIG {} g per course", amount(f.course_g)),
            None => format!("IVIG {} g per dose (course not stated)", amount(f.course_g)),
        };
        let head = format!(
            "{what} = {} g/kg dosing weight: above {} g/kg ({} g); lower the dose",
            fig(f.course_g / dosing),
            amount(f.g_per_kg_high),
            amount(f.limit_g)
        );
        let how = match f.doses {
            Some(n) => format!(
                "{} g × {} doses = **{} g** per course",
                amount(f.per_dose_g),
                amount(n),
                amount(f.course_g)
            ),
            None => format!(
                "**{} g** per dose (course length not stated: each dose is compared)",
                amount(f.per_dose_g)
            ),
        };
        let mut lines = vec![
            format!("**IVIG dose.** {}: {how}.", md(&f.order)),
            format!(
                "- Guidance {}–{} g/kg dosing weight over {} days = {}–{} g per course",
                amount(f.g_per_kg_low),
                amount(f.g_per_kg_high),
                amount(f.days),
                fig(f.g_per_kg_low * dosing),
                amount(f.limit_g)
            ),
        ];
        lines.extend(crate::rules::drug_check::words::dosing_weight_lines(&f.weight, &f.dosing));
        lines.push(
            "Sources: guidance (IVIG 1–2 g/kg over 2 days); Devine 1974 (ideal body weight); \
             dosing and adjusted body weight: service policy."
                .into(),
        );
        Text {
            summary: summary(head),
            detail: lines.join("\n"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn course_and_dose_read_with_their_figures() {
        let (weight, dosing) = crate::rules::drug_check::words::tests::weights();
        for doses in [Some(2.0), None] {
            let f = Found {
                order: "Immune globulin 10 G/100 ML [Gamunex]".into(),
                per_dose_g: 77.5,
                doses,
                course_g: 77.5 * doses.unwrap_or(1.0),
                g_per_kg_low: 1.0,
                g_per_kg_high: 2.0,
                days: 2.0,
                limit_g: 150.0,
                weight: weight.clone(),
                dosing: dosing.clone(),
            };
            let t = f.words();
            assert!(
                t.summary.chars().count() <= crate::words::SUMMARY_MAX,
                "{}",
                t.summary
            );
            assert!(!t.detail.contains("Observation/") && !t.detail.contains('{'));
            assert!(
                t.detail.lines().filter(|l| !l.is_empty()).count()
                    <= crate::words::DETAIL_MAX_LINES
            );
            assert!(t.detail.contains("= 75–150 g per course"), "{}", t.detail);
            assert!(
                t.detail
                    .contains("Immune globulin 10 G/100 ML \\[Gamunex\\]"),
                "{}",
                t.detail
            );
            if doses.is_some() {
                assert_eq!(
                    t.summary,
                    "IVIG 155 g per course = 2.07 g/kg dosing weight: above 2 g/kg (150 g); lower the dose"
                );
                assert!(t.detail.contains("77.5 g × 2 doses = **155 g** per course"));
            } else {
                assert!(t
                    .summary
                    .starts_with("IVIG 77.5 g per dose (course not stated) = 1.03 g/kg"));
            }
        }
    }
}
