//! Words for the `pregnancy` rule, and the words of the reproductive
//! evidence every teratogen card states (its `Display`).

use std::fmt;

use crate::words::{amount, capitalise, date, md, summary, Text, Words};
use crate::clinical::reproductive::{Doubt, Evidence, Record};
use crate::rules::pregnancy::{Found, State};

const SOURCES: &str = "Sources: ACR 2020 reproductive health guideline (Sammaritano et al. 2020); BSR 2023 (Russell et al. 2023).";

/// "positive hCG, 2026-11-01"; "Pregnancy (condition), onset 2025-11-01:
/// active pregnancy condition older than 300 days". Record text escaped.
impl fmt::Display for Evidence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let when = date(self.date);
        match &self.record {
            Record::StatusPregnant => write!(f, "pregnancy status pregnant, {when}")?,
            Record::StatusNotPregnant => write!(f, "pregnancy status not pregnant, {when}")?,
            Record::PositiveHcg => write!(f, "positive hCG, {when}")?,
            Record::NegativeHcg => write!(f, "negative hCG, {when}")?,
            Record::BreastfeedingObserved => write!(f, "breastfeeding recorded, {when}")?,
            Record::Condition(label) => match self.date {
                Some(d) => write!(f, "{}, onset {d}", md(label))?,
                None => write!(f, "{}", md(label))?,
            },
        }
        match &self.doubt {
            Some(Doubt::OlderThan(days)) => write!(
                f,
                ": active pregnancy condition older than {} days",
                amount(*days)
            ),
            Some(Doubt::Undated { later }) => write!(f, ": undated; later record: {later}"),
            None => Ok(()),
        }
    }
}

impl Words for Found {
    fn words(&self) -> Text {
        let f = self;
        let drug = f.drug.name();
        let order = md(&f.order);
        let (summary_text, detail) = match &f.state {
            State::Pregnant(e) => (
                format!(
                    "Pregnant: {drug} is contraindicated; prednisone, azathioprine and IVIG remain options"
                ),
                format!(
                    "**Contraindicated in pregnancy.** {order} is ordered.\n\n- Pregnancy: {e}\n\n\
                     Methotrexate, mycophenolate and cyclophosphamide are contraindicated in pregnancy; \
                     prednisone, azathioprine and IVIG remain options."
                ),
            ),
            State::Breastfeeding { evidence, months } => (
                format!(
                    "Breastfeeding: {drug} is contraindicated; prednisone, azathioprine and IVIG remain options"
                ),
                format!(
                    "**Contraindicated while breastfeeding.** {order} is ordered.\n\n- Breastfeeding (within {} months): {evidence}\n\n\
                     Methotrexate, mycophenolate and cyclophosphamide are not compatible with breastfeeding; \
                     prednisone, azathioprine and IVIG are.",
                    amount(*months)
                ),
            ),
            State::PossiblyPregnant(e) => (
                format!("Pregnancy on the problem list cannot be ruled out: verify before {drug}"),
                format!(
                    "**Possible pregnancy.** {order} is ordered.\n\n- {}\n\n\
                     Verify pregnancy (hCG) and update the problem list before a teratogen; prednisone, \
                     azathioprine and IVIG remain options.",
                    capitalise(&e.to_string())
                ),
            ),
            State::Planning {
                male,
                evidence,
                stop_weeks,
            } => (
                format!(
                    "{}: stop {drug} at least {} weeks before conception",
                    if *male {
                        "Planning conception"
                    } else {
                        "Pregnancy planning"
                    },
                    amount(*stop_weeks)
                ),
                format!(
                    "**Pregnancy planning.** {order} is ordered.\n\n- {}{}\n\nStop {drug} at least {} weeks before conception{}.",
                    capitalise(&evidence.to_string()),
                    if *male { " (male patient)" } else { "" },
                    amount(*stop_weeks),
                    if *male {
                        ""
                    } else {
                        "; azathioprine is compatible with pregnancy"
                    }
                ),
            ),
        };
        Text {
            summary: summary(summary_text),
            detail: format!("{detail}\n\n{SOURCES}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::pregnancy::{evaluate, State};
    use crate::rules::test_support::*;
    use crate::clinical::Policy;
    use crate::facts::{Route, Schedule, Sex};
    use crate::terminology::medication::Drug;
    use crate::terminology::Concept;
    use crate::words::{DETAIL_MAX_LINES, SUMMARY_MAX};

    #[test]
    fn each_state_in_words() {
        // (state concept, onset days ago, sex, drug, summary, detail says)
        let cases = [
            (
                Concept::Pregnancy,
                Some(10),
                None,
                Drug::Mycophenolate,
                "Pregnant: mycophenolate is contraindicated; prednisone, azathioprine and IVIG remain options",
                "- Pregnancy: Pregnancy, onset 2026-11-14",
            ),
            (
                Concept::Breastfeeding,
                Some(60),
                None,
                Drug::Methotrexate,
                "Breastfeeding: methotrexate is contraindicated; prednisone, azathioprine and IVIG remain options",
                "- Breastfeeding (within 12 months): Breastfeeding, onset 2026-09-25",
            ),
            (
                Concept::Pregnancy,
                Some(320),
                None,
                Drug::Cyclophosphamide,
                "Pregnancy on the problem list cannot be ruled out: verify before cyclophosphamide",
                "- Pregnancy, onset 2026-01-08: active pregnancy condition older than 300 days",
            ),
            (
                Concept::PregnancyPlanning,
                None,
                Some(Sex::Female),
                Drug::Mycophenolate,
                "Pregnancy planning: stop mycophenolate at least 6 weeks before conception",
                "azathioprine is compatible with pregnancy",
            ),
            (
                Concept::PregnancyPlanning,
                None,
                Some(Sex::Male),
                Drug::Cyclophosphamide,
                "Planning conception: stop cyclophosphamide at least 12 weeks before conception",
                "- PregnancyPlanning (male patient)",
            ),
        ];
        for (c, onset, sex, drug, summary, says) in cases {
            let mut f = patient(&[Concept::Dermatomyositis, c]);
            f.diagnoses[1].onset = onset.map(days_ago);
            f.diagnoses[1].label = format!("{c:?}");
            f.sex = sex;
            f.orders
                .push(med(drug, 10.0, Schedule::WEEKLY, Route::Oral, "o"));
            let card = evaluate(&f, &Policy::default()).findings.remove(0);
            let found = &card.what;
            assert_eq!(found.drug, drug);
            if let State::Planning { stop_weeks, .. } = found.state {
                assert_eq!(
                    stop_weeks,
                    if drug == Drug::Cyclophosphamide {
                        12.0
                    } else {
                        6.0
                    }
                );
            }
            let (s, d) = (card.summary(), card.detail());
            assert_eq!(s, summary);
            assert!(s.chars().count() <= SUMMARY_MAX);
            assert!(d.contains(says), "{c:?}: {d}");
            assert!(
                !d.contains("Condition/") && !d.contains("MedicationRequest/"),
                "{d}"
            );
            assert!(d.contains("Sammaritano et al. 2020"));
            assert!(d.lines().filter(|l| !l.trim().is_empty()).count() <= DETAIL_MAX_LINES);
        }
    }

    #[test]
    fn evidence_words() {
        use crate::clinical::reproductive::{Doubt, Evidence, Record};
        let later = Evidence {
            record: Record::NegativeHcg,
            date: Some(days_ago(3)),
            doubt: None,
        };
        let e = Evidence {
            record: Record::Condition("Pregnant [state]".into()),
            date: None,
            doubt: Some(Doubt::Undated {
                later: Box::new(later),
            }),
        };
        assert_eq!(
            e.to_string(),
            "Pregnant \\[state\\]: undated; later record: negative hCG, 2026-11-21"
        );
    }
}
