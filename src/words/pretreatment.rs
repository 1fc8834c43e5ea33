//! The words of a pre-treatment line: the check, its figures and date, and
//! what to do before the first dose.

use crate::clinical::pretreatment::{HbvTest, Line, LineKind, Said, Test};
use crate::text::{amount, date, md};

fn hbv_test(t: HbvTest) -> &'static str {
    match t {
        HbvTest::SurfaceAntigen => "hepatitis B surface antigen",
        HbvTest::CoreAntibody => "hepatitis B core antibody",
    }
}

fn test(t: Test) -> &'static str {
    match t {
        Test::Neutrophils => "neutrophils",
        Test::Platelets => "platelets",
        Test::Leukocytes => "leukocytes",
        Test::Alt => "ALT",
    }
}

/// The line as a clinician reads it (Markdown).
pub fn line(l: &Line) -> String {
    let drug = l.drug.name();
    match &l.said {
        Said::HbvOnProblemList { label } => format!(
            "**Chronic hepatitis B on the problem list** ({}): hepatitis B reactivation with {drug}: antiviral prophylaxis, hepatology.",
            md(label)
        ),
        Said::HbvPositive { test, date: d } => format!(
            "**{} positive** ({}): hepatitis B reactivation with {drug}: antiviral prophylaxis, hepatology.",
            hbv_test(*test),
            date(*d)
        ),
        Said::HbvNotOnFile { missing } => format!(
            "No {} on file: check HBV before the first dose.",
            missing.iter().map(|t| hbv_test(*t)).collect::<Vec<_>>().join(" or ")
        ),
        Said::CountLow {
            test: t,
            value,
            date: d,
            floor,
        } => format!(
            "**{} {} ×10⁹/L** ({}), below {} ×10⁹/L: do not start {drug} until it recovers.",
            test(*t),
            amount(*value),
            date(*d),
            amount(*floor)
        ),
        Said::AltHigh {
            value,
            date: d,
            times,
            uln,
        } => {
            let head = format!(
                "**ALT {}** ({}), above {}× the upper limit ({})",
                amount(*value),
                date(*d),
                amount(*times),
                amount(*uln)
            );
            if l.kind == LineKind::AltHigh {
                format!("{head} with a normal CK: liver injury; do not start {drug} until explained.")
            } else {
                format!("{head}; no current CK to tell liver from muscle: check CK.")
            }
        }
        Said::NotRecent {
            missing,
            window_days,
        } => format!(
            "No {} within {} days: check the full blood count and ALT before the first dose.",
            missing.iter().map(|t| test(*t)).collect::<Vec<_>>().join(", "),
            amount(*window_days)
        ),
        Said::PregnancyTest { window_days } => format!(
            "No hCG within {} days: pregnancy test and contraception before {drug}.",
            amount(*window_days)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::terminology::medication::Drug;
    use chrono::NaiveDate;

    /// Each kind of line in words, with its figures and date.
    #[test]
    fn each_line_in_words() {
        let day = NaiveDate::from_ymd_opt(2026, 11, 20);
        let alt = Said::AltHigh {
            value: 150.0,
            date: day,
            times: 3.0,
            uln: 40.0,
        };
        let cases = [
            (
                LineKind::HbvPositive,
                Said::HbvOnProblemList {
                    label: "Chronic hepatitis B [viral]".into(),
                },
                r"**Chronic hepatitis B on the problem list** (Chronic hepatitis B \[viral\]): hepatitis B reactivation with azathioprine: antiviral prophylaxis, hepatology.",
            ),
            (
                LineKind::HbvPositive,
                Said::HbvPositive {
                    test: HbvTest::CoreAntibody,
                    date: None,
                },
                "**hepatitis B core antibody positive** (date unknown): hepatitis B reactivation with azathioprine: antiviral prophylaxis, hepatology.",
            ),
            (
                LineKind::HbvNotOnFile,
                Said::HbvNotOnFile {
                    missing: vec![HbvTest::SurfaceAntigen, HbvTest::CoreAntibody],
                },
                "No hepatitis B surface antigen or hepatitis B core antibody on file: check HBV before the first dose.",
            ),
            (
                LineKind::CountLow,
                Said::CountLow {
                    test: Test::Neutrophils,
                    value: 1.2,
                    date: day,
                    floor: 1.5,
                },
                "**neutrophils 1.2 ×10⁹/L** (2026-11-20), below 1.5 ×10⁹/L: do not start azathioprine until it recovers.",
            ),
            (
                LineKind::AltHigh,
                alt.clone(),
                "**ALT 150** (2026-11-20), above 3× the upper limit (40) with a normal CK: liver injury; do not start azathioprine until explained.",
            ),
            (
                LineKind::AltHighCkUnknown,
                alt,
                "**ALT 150** (2026-11-20), above 3× the upper limit (40); no current CK to tell liver from muscle: check CK.",
            ),
            (
                LineKind::LabsNotRecent,
                Said::NotRecent {
                    missing: vec![Test::Platelets, Test::Leukocytes, Test::Alt],
                    window_days: 30.0,
                },
                "No platelets, leukocytes, ALT within 30 days: check the full blood count and ALT before the first dose.",
            ),
            (
                LineKind::PregnancyTest,
                Said::PregnancyTest { window_days: 7.0 },
                "No hCG within 7 days: pregnancy test and contraception before azathioprine.",
            ),
        ];
        for (kind, said, want) in cases {
            assert_eq!(line(&Line::new(kind, Drug::Azathioprine, said)), want);
        }
    }
}
