//! # Missing figures (`data-missing`)
//!
//! POLICY.md: "Weight: [...] Missing → a card asks to record weight; mg/kg
//! rules are skipped, other rules still run. Height: [...] Missing → BSA and
//! ideal-body-weight doses are not computed; the card says which figure is
//! missing instead of guessing." One card lists every figure the rules needed
//! and what each absence left unchecked.

use super::{Figure, Need};
use crate::clinical::{Finding, Indicator, OverrideReason, Selection, Topic};

pub const TOPIC: Topic = Topic {
    code: "data-missing",
    display: "Figures needed for dose checks are missing",
};

fn describe(f: Figure) -> (&'static str, &'static str) {
    match f {
        Figure::Weight => ("weight", "record a body weight (LOINC 29463-7)"),
        Figure::Height => ("height", "record a body height (LOINC 8302-2)"),
        Figure::Sex => (
            "sex",
            "record the patient's sex (needed for ideal body weight)",
        ),
    }
}

pub fn finding(needs: &[Need]) -> Option<Finding> {
    if needs.is_empty() {
        return None;
    }
    let mut figures: Vec<Figure> = needs.iter().map(|n| n.figure).collect();
    figures.sort();
    figures.dedup();
    let names: Vec<&str> = figures.iter().map(|f| describe(*f).0).collect();
    let todo: Vec<&str> = figures.iter().map(|f| describe(*f).1).collect();
    let lines: Vec<String> = needs
        .iter()
        .map(|n| format!("- No {}: {}", describe(n.figure).0, n.why))
        .collect();
    Some(Finding {
        topic: TOPIC,
        indicator: Indicator::Info,
        summary: crate::clinical::text::summary(format!(
            "No {} on file: dose checks that need it were skipped; {}",
            names.join(" or "),
            todo[0]
        )),
        detail: format!(
            "**Figures missing.** These checks were not made, rather than guessed:\n\n{}\n\nTo do: {}.\n\nSource: POLICY.md (patient figures).",
            lines.join("\n"),
            todo.join("; ")
        ),
        suggestions: vec![],
        selection: Selection::AtMostOne,
        override_reasons: vec![OverrideReason::RecordedElsewhere],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_card_for_all_missing_figures() {
        assert!(finding(&[]).is_none());
        let needs = [
            Need {
                figure: Figure::Height,
                why: "methotrexate mg/m² not checked".into(),
            },
            Need {
                figure: Figure::Height,
                why: "azathioprine dose not computed".into(),
            },
            Need {
                figure: Figure::Weight,
                why: "mg/kg skipped".into(),
            },
        ];
        let f = finding(&needs).unwrap();
        assert_eq!(f.summary, "No weight or height on file: dose checks that need it were skipped; record a body weight (LOINC 29463-7)");
        assert_eq!(f.detail.matches("- No ").count(), 3);
    }
}
