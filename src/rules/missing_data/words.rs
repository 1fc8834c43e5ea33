//! Words for the missing and doubtful figures card.

use crate::facts::Trust;
use crate::rules::missing_data::Found;
use crate::clinical::{Figure, Unchecked};
use crate::words::{amount, date, md, reading, Text, Words};

fn name(f: Figure) -> &'static str {
    match f {
        Figure::Weight => "weight",
        Figure::Height => "height",
        Figure::Sex => "sex",
    }
}

fn unit(f: Figure) -> &'static str {
    match f {
        Figure::Height => "cm",
        _ => "kg",
    }
}

fn todo(f: Figure) -> &'static str {
    match f {
        Figure::Weight => "record a body weight",
        Figure::Height => "record a body height",
        Figure::Sex => "record the patient's sex (needed for ideal body weight)",
    }
}

fn kind(t: &Trust) -> &'static str {
    match t {
        Trust::Unconfirmed(_) => "unconfirmed",
        _ => "implausible",
    }
}

/// What was not checked, in words.
fn unchecked(u: &Unchecked) -> String {
    match u {
        Unchecked::GcMgPerKg { order } => format!("{}: mg/kg dose check skipped", md(order)),
        Unchecked::IvMethylprednisoloneMgPerKg => "IV methylprednisolone mg/kg not checked".into(),
        Unchecked::MtxMgPerM2 { within_cap } => {
            let cap = within_cap.map_or(String::new(), |(wk, max)| {
                format!(
                    "; {} mg/week is within the {} mg/week cap",
                    amount(wk),
                    amount(max)
                )
            });
            format!("methotrexate mg/m² (BSA) not checked{cap}")
        }
        Unchecked::MtxDose => "methotrexate dose (mg/m²) not computed".into(),
        Unchecked::AzaMgPerKg => "azathioprine mg/kg (dosing weight) not checked".into(),
        Unchecked::AzaDose => "azathioprine dose (ideal body weight) not computed".into(),
        Unchecked::IvigGPerKg => "IVIG g/kg (dosing weight) not checked".into(),
        Unchecked::IvigCourse => "IVIG course (g/kg dosing weight) not computed".into(),
    }
}

impl Words for Found {
    fn words(&self) -> Text {
        let f = self;
        let names: Vec<&str> = f.figures.iter().map(|x| name(*x)).collect();
        let summary = match f.doubts.first() {
            Some((figure, r)) => format!(
                "Verify {} {} {} ({}): {}; no dose computed from it",
                name(*figure),
                amount(r.value),
                unit(*figure),
                date(r.date),
                kind(&r.trust)
            ),
            None => format!(
                "No {} on file: dose checks that need it were skipped; {}",
                names.join(" or "),
                todo(f.figures[0])
            ),
        };
        let mut lines: Vec<String> = vec![];
        if f.doubts.is_empty() {
            lines.push("**Figures missing.** These checks were not made, rather than guessed:".into());
        } else {
            lines.push(
                "**Figures to verify.** Checks that need them were not made, rather than computed from them:"
                    .into(),
            );
            for (figure, r) in &f.doubts {
                lines.push(format!(
                    "- **{} {}**: {} {}",
                    name(*figure),
                    kind(&r.trust),
                    reading(r, unit(*figure)),
                    md(r.trust.reason().unwrap_or(""))
                ));
            }
            if !f.earlier_weights.is_empty() {
                let earlier: Vec<String> = f.earlier_weights.iter().map(|w| reading(w, "kg")).collect();
                lines.push(format!("- Earlier weights: {}", earlier.join("; ")));
            }
        }
        for i in &f.future {
            lines.push(format!(
                "- A {} dated {} ({}) is in the future and was not used",
                i.what,
                i.date,
                md(&crate::words::ignored_value(i))
            ));
        }
        // One line per figure: what its absence left unchecked.
        for figure in &f.figures {
            let why: Vec<String> = f
                .needs
                .iter()
                .filter(|n| n.figure == *figure)
                .map(|n| unchecked(&n.why))
                .collect();
            let mut why = why;
            why.dedup();
            let verb = if f.doubts.iter().any(|(d, _)| d == figure) {
                format!("- {} not used", crate::words::capitalise(name(*figure)))
            } else {
                format!("- No {}", name(*figure))
            };
            lines.push(format!("{verb}: {}", why.join("; ")));
        }
        let to_do = if f.doubts.is_empty() {
            f.figures
                .iter()
                .map(|x| todo(*x))
                .collect::<Vec<_>>()
                .join("; ")
        } else {
            "verify the figure named above (re-weigh or re-measure) and correct the record".into()
        };
        // A blank line ends the list: the last paragraph is not part of its last item.
        Text {
            summary: crate::words::summary(summary),
            detail: format!(
                "{}\n\nTo do: {to_do}. Source: service policy (plausible patient figures).",
                lines.join("\n")
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What was not checked, each in words (the order name escaped).
    #[test]
    fn each_unchecked_figure_in_words() {
        for (u, want) in [
            (
                Unchecked::GcMgPerKg {
                    order: "predniSONE *20* MG".into(),
                },
                r"predniSONE \*20\* MG: mg/kg dose check skipped",
            ),
            (
                Unchecked::MtxMgPerM2 {
                    within_cap: Some((25.0, 40.0)),
                },
                "methotrexate mg/m² (BSA) not checked; 25 mg/week is within the 40 mg/week cap",
            ),
            (
                Unchecked::MtxMgPerM2 { within_cap: None },
                "methotrexate mg/m² (BSA) not checked",
            ),
            (Unchecked::IvigCourse, "IVIG course (g/kg dosing weight) not computed"),
        ] {
            assert_eq!(unchecked(&u), want);
        }
    }
}
