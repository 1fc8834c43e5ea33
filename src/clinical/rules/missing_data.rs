//! # Missing figures (`data-missing`)
//!
//! POLICY.md: "Weight: [...] Missing → a card asks to record weight; mg/kg
//! rules are skipped, other rules still run. Height: [...] Missing → BSA and
//! ideal-body-weight doses are not computed; the card says which figure is
//! missing instead of guessing." One card lists every figure the rules needed
//! and what each absence left unchecked.
//!
//! POLICY (second edition, "Plausible adult figures"): "A figure outside is
//! 'implausible': no weight- or BSA-based dose is computed or suggested from
//! it, and one card names the figure and asks to verify it." The same card
//! names an unconfirmed weight (a jump or a unit slip) with the weights it
//! was compared with, and figures dated in the future that were left out.
//! A doubtful figure makes it a warning: checks were skipped on a figure
//! that is on file.

/// What this rule found (free text until typed).
pub type Found = crate::clinical::Words;

use super::{Figure, Need};
use crate::clinical::text::{md, reading};
use crate::clinical::{Finding, Indicator, OverrideReason, Selection, Topic};
use crate::clinical::{What, Words};
use crate::facts::{Facts, Reading, Trust};

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

pub const TOPIC_DOUBTFUL: Topic = Topic {
    code: "data-doubtful",
    display: "A figure needed for dose checks must be verified",
};

/// The doubtful reading behind a needed figure, if that is why it is missing.
fn doubtful(facts: &Facts, figure: Figure) -> Option<&Reading> {
    match figure {
        Figure::Weight => facts.doubtful_weight(),
        Figure::Height => facts.doubtful_height(),
        Figure::Sex => None,
    }
}

pub fn finding(needs: &[Need], facts: &Facts) -> Option<Finding> {
    if needs.is_empty() {
        return None;
    }
    let mut figures: Vec<Figure> = needs.iter().map(|n| n.figure).collect();
    figures.sort();
    figures.dedup();
    let doubts: Vec<(Figure, &Reading)> = figures
        .iter()
        .filter_map(|f| Some((*f, doubtful(facts, *f)?)))
        .collect();
    let names: Vec<&str> = figures.iter().map(|f| describe(*f).0).collect();
    let todo: Vec<&str> = figures.iter().map(|f| describe(*f).1).collect();
    let mut lines: Vec<String> = needs
        .iter()
        .map(|n| match doubtful(facts, n.figure) {
            Some(_) => format!("- {} not used: {}", describe(n.figure).0, n.why),
            None => format!("- No {}: {}", describe(n.figure).0, n.why),
        })
        .collect();
    lines.dedup();
    let mut doubt_lines = vec![];
    for (figure, r) in &doubts {
        let unit = if *figure == Figure::Weight {
            "kg"
        } else {
            "cm"
        };
        let kind = match r.trust {
            Trust::Unconfirmed(_) => "unconfirmed",
            _ => "implausible",
        };
        doubt_lines.push(format!(
            "- **{} {}**: {} {}",
            describe(*figure).0,
            kind,
            reading(r, unit),
            md(r.trust.reason().unwrap_or(""))
        ));
        if *figure == Figure::Weight && matches!(r.trust, Trust::Unconfirmed(_)) {
            let earlier: Vec<String> = facts.weights[1..]
                .iter()
                .take(4)
                .map(|w| reading(w, "kg"))
                .collect();
            if !earlier.is_empty() {
                doubt_lines.push(format!("- Earlier weights: {}", earlier.join("; ")));
            }
        }
    }
    for what in ["weight", "height"] {
        for i in facts.ignored(what) {
            doubt_lines.push(format!(
                "- A {what} dated {} ({}) is in the future and was not used",
                i.date,
                md(&i.value)
            ));
        }
    }
    let (topic, indicator, summary) = match doubts.first() {
        Some((figure, r)) => (
            TOPIC_DOUBTFUL,
            Indicator::Warning,
            format!(
                "Verify {} {} {} ({}): {}; no dose computed from it",
                describe(*figure).0,
                crate::clinical::text::num(r.value),
                if *figure == Figure::Weight {
                    "kg"
                } else {
                    "cm"
                },
                crate::clinical::text::date(r.date),
                match r.trust {
                    Trust::Unconfirmed(_) => "unconfirmed",
                    _ => "implausible",
                }
            ),
        ),
        None => (
            TOPIC,
            Indicator::Info,
            format!(
                "No {} on file: dose checks that need it were skipped; {}",
                names.join(" or "),
                todo[0]
            ),
        ),
    };
    let intro = if doubts.is_empty() {
        "**Figures missing.** These checks were not made, rather than guessed:".to_string()
    } else {
        format!(
            "**Figures to verify.** A figure on file is not plausible or not confirmed; checks that need it were not made, rather than computed from it:\n\n{}\n\nSkipped:",
            doubt_lines.join("\n")
        )
    };
    let future_only = if doubts.is_empty() && !doubt_lines.is_empty() {
        format!("\n\n{}", doubt_lines.join("\n"))
    } else {
        String::new()
    };
    Some(Finding {
        topic,
        indicator,
        what: What::MissingData(Words {
            summary: crate::clinical::text::summary(summary),
            detail: format!(
                "{intro}\n\n{}{future_only}\n\nTo do: {}.\n\nSource: local policy (plausible patient figures).",
                lines.join("\n"),
                if doubts.is_empty() {
                    todo.join("; ")
                } else {
                    "verify the figure named above (re-weigh or re-measure) and correct the record".to_string()
                }
            ),
        }),
        notes: vec![],
        pull: None,
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
        let facts = Facts::new(crate::clinical::rules::test_support::today());
        assert!(finding(&[], &facts).is_none());
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
        let f = finding(&needs, &facts).unwrap();
        assert_eq!(f.summary(), "No weight or height on file: dose checks that need it were skipped; record a body weight (LOINC 29463-7)");
        assert_eq!(f.detail().matches("- No ").count(), 3);
    }

    #[test]
    fn a_doubtful_figure_is_named_and_to_be_verified() {
        use crate::clinical::rules::test_support::{patient, with_body};
        use crate::facts::Sex;
        // (weight kg, height cm, figure needed, summary starts with, indicator)
        let cases = [
            (
                700.0,
                Some(170.0),
                Figure::Weight,
                "Verify weight 700 kg",
                Indicator::Warning,
            ),
            (
                0.07,
                Some(170.0),
                Figure::Weight,
                "Verify weight 0.07 kg",
                Indicator::Warning,
            ),
            (
                70.0,
                Some(1.0),
                Figure::Height,
                "Verify height 1 cm",
                Indicator::Warning,
            ),
            (
                70.0,
                Some(300.0),
                Figure::Height,
                "Verify height 300 cm",
                Indicator::Warning,
            ),
            (
                70.0,
                None,
                Figure::Height,
                "No height on file",
                Indicator::Info,
            ),
        ];
        for (kg, cm, figure, summary, indicator) in cases {
            let f = with_body(patient(&[]), Sex::Female, kg, cm);
            let needs = [Need {
                figure,
                why: "dose not computed".into(),
            }];
            let card = finding(&needs, &f).unwrap();
            assert!(
                card.summary().starts_with(summary),
                "{kg} {cm:?}: {}",
                card.summary()
            );
            assert_eq!(card.indicator, indicator, "{kg} {cm:?}");
            assert!(card.summary().chars().count() < 140);
        }
    }
}
