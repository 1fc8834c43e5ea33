//! The concerns that stop or change a methotrexate order, each its own card:
//! the schedule (daily, or not known to be weekly), renal function, a dose
//! slip or a dose above the maximum, the diagnoses that argue against it,
//! trimethoprim-sulfamethoxazole, a blocking pre-treatment result and a
//! second methotrexate order. The dose lines and folic acid are `dose.rs`'s.

use super::*;
use crate::clinical::pretreatment::Line;

/// One card the check will make: its topic, severity, concern and the way
/// it pulls the order's dose.
pub(super) struct Card {
    pub(super) topic: Topic,
    pub(super) indicator: Indicator,
    pub(super) concern: Concern,
    pub(super) pull: Option<Direction>,
}

impl Card {
    pub(super) fn new(
        topic: Topic,
        indicator: Indicator,
        concern: Concern,
        pull: Option<Direction>,
    ) -> Card {
        Card {
            topic,
            indicator,
            concern,
            pull,
        }
    }
}

/// The critical and warning cards about `order`, in the order they are
/// shown (`renal` and `pre`: the patient's renal function and pre-treatment
/// lines, read once by the caller).
pub(super) fn of(
    order: &Med,
    facts: &Facts,
    policy: &Policy,
    renal: &RenalFunction,
    pre: &[Line],
) -> Vec<Card> {
    let dose = order.dose.as_ref();
    let per_week = dose.and_then(|d| d.per_week_mg());
    // For the limits: a dose of unknown frequency counts as at least one
    // administration a week (its "specify once weekly" warning covers the
    // rest; reading every such order as daily would make each one critical).
    let per_week_at_least = per_week.or(dose.map(|d| d.mg));
    let daily = order.frequency.more_than_weekly() == Some(true);
    let mut cards: Vec<Card> = vec![];

    // Critical: more than one administration day in 7, whether or not the
    // dose could be computed (the weekly amount must fall); unknown
    // frequency: ask for weekly.
    match order.frequency.more_than_weekly() {
        Some(true) => cards.push(Card::new(
            DAILY,
            Indicator::Critical,
            Concern::Daily {
                frequency: order.frequency.clone(),
            },
            Some(Direction::Lower),
        )),
        None => cards.push(Card::new(
            FREQUENCY_UNKNOWN,
            Indicator::Warning,
            Concern::FrequencyUnknown {
                note: order.frequency.note,
            },
            None,
        )),
        Some(false) => {}
    }
    if let Some(egfr) = renal.value() {
        if egfr < policy.mtx_egfr_avoid_below {
            cards.push(Card::new(
                RENAL_AVOID,
                Indicator::Critical,
                Concern::RenalAvoid {
                    avoid_below: policy.mtx_egfr_avoid_below,
                },
                Some(Direction::Lower),
            ));
        } else if egfr < policy.mtx_egfr_reduce_below {
            // The reduction is relative to the usual adult maximum: a dose at
            // or below half of it is already reduced (said on the dose card),
            // so our own halved suggestion, sent back, draws nothing new.
            let reduced = per_week.is_some_and(|w| w <= policy.mtx_renal_max_mg_per_week + 1e-9);
            if !reduced {
                cards.push(Card::new(
                    RENAL_REDUCE,
                    Indicator::Warning,
                    Concern::RenalReduce {
                        avoid_below: policy.mtx_egfr_avoid_below,
                        reduce_below: policy.mtx_egfr_reduce_below,
                        reduced_max: policy.mtx_renal_max_mg_per_week,
                    },
                    Some(Direction::Lower),
                ));
            }
        }
    }
    // POLICY second edition: >= 80 mg/week, or any single dose >= 1 g, is a slip.
    // A weekly total made large by a daily schedule is the daily card's
    // finding, not a second critical one.
    let slip = (per_week_at_least.is_some_and(|w| w >= policy.mtx_slip_mg_per_week) && !daily)
        || dose.is_some_and(|d| d.mg >= policy.mtx_slip_mg_per_dose);
    if slip {
        cards.push(Card::new(
            DOSE_SLIP,
            Indicator::Critical,
            Concern::DoseSlip {
                slip_per_week: policy.mtx_slip_mg_per_week,
                slip_per_dose: policy.mtx_slip_mg_per_dose,
                max_per_week: policy.mtx_max_mg_per_week,
            },
            Some(Direction::Lower),
        ));
    }
    // Warnings.
    if let Some(w) =
        per_week_at_least.filter(|w| *w > policy.mtx_max_mg_per_week && !slip && !daily)
    {
        cards.push(Card::new(
            ABOVE_MAX,
            Indicator::Warning,
            Concern::AboveMax {
                per_week_mg: w,
                max_per_week: policy.mtx_max_mg_per_week,
            },
            Some(Direction::Lower),
        ));
    }
    for (concepts, topic) in [
        (&[Concept::LiverDisease][..], LIVER),
        (&[Concept::AlcoholUse][..], ALCOHOL),
        (&[Concept::Ild, Concept::SscIld][..], ILD),
        (&[Concept::PregnancyPlanning][..], PLANNING),
    ] {
        // A man planning conception may take methotrexate (Sammaritano et al. 2020).
        if topic == PLANNING && facts.sex == Some(crate::facts::Sex::Male) {
            continue;
        }
        let Some(d) = facts
            .diagnoses
            .iter()
            .find(|d| d.active && d.concepts.iter().any(|c| concepts.contains(c)))
        else {
            continue;
        };
        let (on_record, onset) = (d.label.clone(), d.onset);
        // Cirrhosis: critical (POLICY second edition, "Liver").
        let cirrhosis = topic == LIVER && facts.has(Concept::Cirrhosis);
        let concern = match topic {
            LIVER => Concern::Liver {
                on_record,
                onset,
                cirrhosis,
            },
            ALCOHOL => Concern::Alcohol { on_record, onset },
            ILD => Concern::Ild { on_record, onset },
            _ => Concern::PregnancyPlanning { on_record, onset },
        };
        let indicator = if cirrhosis {
            Indicator::Critical
        } else {
            Indicator::Warning
        };
        cards.push(Card::new(topic, indicator, concern, None));
    }
    let others = || facts.all_meds().filter(|m| !std::ptr::eq(*m, order));
    if let Some(m) = others().find(|m| m.is(Drug::TmpSmx)) {
        // A treatment dose (>= 2 double-strength tablets a day) is critical; a
        // prophylactic or unknown dose a warning (POLICY second edition).
        let ds = crate::rules::mtx_watch::ds_per_day(m);
        let treatment = ds.is_some_and(|d| d >= policy.tmp_smx_treatment_ds_per_day - 1e-9);
        cards.push(Card::new(
            TMP_SMX,
            if treatment {
                Indicator::Critical
            } else {
                Indicator::Warning
            },
            Concern::TmpSmx {
                name: m.name.clone(),
                ds_per_day: ds,
                treatment,
            },
            None,
        ));
    }
    // A blocking pre-treatment result (the caller read the lines once).
    let blocking: Vec<Line> = pre.iter().filter(|l| l.blocking).cloned().collect();
    if !blocking.is_empty() {
        cards.push(Card::new(
            PRETREATMENT,
            Indicator::Warning,
            Concern::Pretreatment { blocking },
            None,
        ));
    }
    let dup: Vec<&Med> = others().filter(|m| m.is(Drug::Methotrexate)).collect();
    if !dup.is_empty() {
        let total: Option<f64> = std::iter::once(order)
            .chain(dup.iter().copied())
            .map(|m| m.dose.as_ref().and_then(|d| d.per_week_mg()))
            .sum();
        cards.push(Card::new(
            DUPLICATE,
            Indicator::Warning,
            Concern::Duplicate {
                others: dup
                    .iter()
                    .map(|m| {
                        (
                            m.named(),
                            m.route,
                            m.dose.as_ref().and_then(|d| d.per_week_mg()),
                        )
                    })
                    .collect(),
                total_per_week: total,
            },
            None,
        ));
    }
    cards
}
