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

pub mod words;

use crate::clinical::{Figure, Need};
use crate::clinical::{Finding, Indicator, OverrideReason, Selection, Topic};
use crate::facts::{Facts, Ignored, Reading};

pub const TOPIC: Topic = Topic {
    code: "data-missing",
    display: "Figures needed for dose checks are missing",
};

pub const TOPIC_DOUBTFUL: Topic = Topic {
    code: "data-doubtful",
    display: "A figure needed for dose checks must be verified",
};

/// What the card states: each figure needed, the doubtful reading behind it
/// when one is on file, and figures dated in the future.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    /// What was not checked for want of each figure, in the rules' order,
    /// without repeats.
    pub needs: Vec<Need>,
    /// The figures needed, sorted, without repeats.
    pub figures: Vec<Figure>,
    /// Figures on file but implausible or unconfirmed: (figure, reading).
    pub doubts: Vec<(Figure, Reading)>,
    /// The weights an unconfirmed weight was compared with (up to four).
    pub earlier_weights: Vec<Reading>,
    /// Weights and heights dated in the future, not used.
    pub future: Vec<Ignored>,
}

/// The doubtful reading behind a needed figure, if that is why it is missing.
fn doubtful(facts: &Facts, figure: Figure) -> Option<&Reading> {
    match figure {
        Figure::Weight => facts.doubtful_weight(),
        Figure::Height => facts.doubtful_height(),
        Figure::Sex => None,
    }
}

pub fn finding(needs: &[Need], facts: &Facts) -> Option<Finding<Found>> {
    if needs.is_empty() {
        return None;
    }
    let mut figures: Vec<Figure> = needs.iter().map(|n| n.figure).collect();
    figures.sort();
    figures.dedup();
    let doubts: Vec<(Figure, Reading)> = figures
        .iter()
        .filter_map(|f| Some((*f, doubtful(facts, *f)?.clone())))
        .collect();
    let mut unique: Vec<Need> = needs.to_vec();
    unique.dedup();
    let earlier_weights = if doubts.iter().any(|(f, r)| {
        *f == Figure::Weight && matches!(r.trust, crate::facts::Trust::Unconfirmed(_))
    }) {
        facts.weights[1..].iter().take(4).cloned().collect()
    } else {
        vec![]
    };
    let future: Vec<Ignored> = ["weight", "height"]
        .iter()
        .flat_map(|w| facts.ignored(w).cloned())
        .collect();
    let (topic, indicator) = if doubts.is_empty() {
        (TOPIC, Indicator::Info)
    } else {
        // A figure on file was set aside: checks were skipped on it.
        (TOPIC_DOUBTFUL, Indicator::Warning)
    };
    Some(Finding {
        topic,
        indicator,
        what: Found {
            needs: unique,
            figures,
            doubts,
            earlier_weights,
            future,
        },
        notes: vec![],
        pull: None,
        suggestions: vec![],
        selection: Selection::AtMostOne,
        override_reasons: vec![OverrideReason::RecordedElsewhere],
    })
}

impl crate::clinical::Reads for Found {
    const AREAS: &'static [crate::facts::DataArea] = &[crate::facts::DataArea::Weight, crate::facts::DataArea::Height, crate::facts::DataArea::RenalFunction];
}

#[cfg(test)]
mod cases;
