//! The dose lines of a methotrexate order that may go ahead: the BSA and
//! its mg/m² range, a dose below the usual adult range, one already reduced
//! for renal function, one above the usual adult maximum, the oral route,
//! and folic acid. They make an info card of their own when no other card
//! speaks about the order, else they join its first card.

use super::concerns::Card;
use super::*;

/// The dose lines, and where they go.
pub(super) struct Info {
    /// BSA and its range, when weight and height are on file.
    pub(super) bsa: Option<Bsa>,
    /// Dose lines folded into the order's first card.
    pub(super) folded_notes: Option<DoseNotes>,
    /// The card (its index) that carries the folic acid line and order.
    pub(super) fold: Option<usize>,
}

/// Adds the dose and folic acid cards to `cards` where they stand alone, and
/// the figures it lacks to `needs`; `critical`: a card (or a pregnancy) says
/// the order must not go ahead, so no dose tuning is offered.
pub(super) fn info(
    order: &Med,
    facts: &Facts,
    policy: &Policy,
    renal: &RenalFunction,
    critical: bool,
    cards: &mut Vec<Card>,
    needs: &mut Vec<Need>,
) -> Info {
    let per_week = order.dose.as_ref().and_then(|d| d.per_week_mg());
    let renal_reduce = renal.is_below(policy.mtx_egfr_reduce_below);
    // Info: dose, route, folic acid (left out when the order must not go ahead).
    let mut folded_notes = None;
    let mut notes = DoseNotes {
        range: None,
        renal_reduced: None,
        usual: (
            policy.mtx_usual_adult_min_mg_per_week,
            policy.mtx_usual_adult_max_mg_per_week,
        ),
        above_usual_max: None,
        oral: false,
    };
    if renal_reduce
        && !renal.is_below(policy.mtx_egfr_avoid_below)
        && per_week.is_some_and(|w| w <= policy.mtx_renal_max_mg_per_week + 1e-9)
    {
        notes.renal_reduced = Some(policy.mtx_renal_max_mg_per_week);
    }
    let bsa = match (facts.weight(), facts.height()) {
        (Some(w), Some(h)) => {
            let m2 = bsa_mosteller(h.value, w.value);
            let low = policy.mtx_mg_per_m2_low * m2;
            let high = policy.mtx_mg_per_m2_high * m2;
            let a_low = ceil_to(low, policy.mtx_round_mg).min(policy.mtx_max_mg_per_week);
            let a_high = floor_to(high, policy.mtx_round_mg).min(policy.mtx_max_mg_per_week);
            let per_m2 = per_week.map(|wk| wk / m2);
            Some(Bsa {
                weight: WeightUsed::from(w, facts, policy),
                height: h.clone(),
                m2,
                mg_per_m2_low: policy.mtx_mg_per_m2_low,
                mg_per_m2_high: policy.mtx_mg_per_m2_high,
                low_mg: low,
                high_mg: high,
                round_mg: policy.mtx_round_mg,
                max_per_week: policy.mtx_max_mg_per_week,
                achievable_low: a_low,
                achievable_high: a_high,
                ordered_per_m2: per_m2,
            })
        }
        (w, _) => {
            let figure = if w.is_none() {
                Figure::Weight
            } else {
                Figure::Height
            };
            let within_cap = per_week
                .filter(|wk| *wk <= policy.mtx_max_mg_per_week)
                .map(|wk| (wk, policy.mtx_max_mg_per_week));
            needs.push(Need {
                figure,
                why: crate::clinical::Unchecked::MtxMgPerM2 { within_cap },
            });
            None
        }
    };
    // One yardstick (POLICY third edition): an adult order of 15–25 mg/week
    // is in range whatever mg/m² it makes; below 15 is an info card, never
    // beside a card on this order that says avoid, reduce, withhold,
    // duplicate or do not start, nor for a dose reduced for renal function.
    if per_week.is_some_and(|w| w < policy.mtx_usual_adult_min_mg_per_week - 1e-9)
        && !renal_reduce
        && cards.is_empty()
    {
        notes.range = Some(Side::Below);
    }
    notes.above_usual_max = per_week
        .filter(|w| *w > policy.mtx_usual_adult_max_mg_per_week && *w <= policy.mtx_max_mg_per_week)
        .map(|_| policy.mtx_usual_adult_max_mg_per_week);
    notes.oral = matches!(order.route, Route::Oral | Route::Sublingual);
    if !critical
        && (notes.range.is_some()
            || notes.renal_reduced.is_some()
            || notes.above_usual_max.is_some()
            || notes.oral)
    {
        let pull = match notes.range {
            Some(Side::Below) => Some(Direction::Raise),
            Some(Side::Above) => Some(Direction::Lower),
            None => None,
        };
        if cards.is_empty() {
            cards.push(Card::new(DOSE, Indicator::Info, Concern::Dose(notes), pull));
        } else {
            // A warning about this order already: the dose lines join it.
            folded_notes = Some(notes);
        }
    }
    let folic_missing = !critical && !facts.all_meds().any(|m| m.is(Drug::Folate));
    if folic_missing && cards.is_empty() {
        cards.push(Card::new(FOLIC, Indicator::Info, Concern::FolicAcid, None));
    }
    // "Budget": folic acid goes into the methotrexate card: the dose card,
    // else the first card of the order.
    let fold = folic_missing.then(|| cards.iter().position(|c| c.topic == DOSE).unwrap_or(0));
    Info {
        bsa,
        folded_notes,
        fold,
    }
}
