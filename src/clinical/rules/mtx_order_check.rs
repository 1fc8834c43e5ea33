//! # Methotrexate order check (`mtx-*`)
//!
//! Guidance: "Methotrexate [...] Start at 15-20 mg/m²/week (maximum absolute
//! dose 40 mg/week) — Preferably administer subcutaneously for better
//! bioavailability — Add folic acid 1 mg/day supplementation."
//!
//! Service policy, for each methotrexate order the hook asks about:
//! - critical: a schedule more often than weekly (fatal daily-dosing errors,
//!   ISMP), eGFR < 30 (pregnancy: see `pregnancy`);
//! - warning: > 40 mg/week, eGFR 30–59 (reduce ≈50 %), liver disease, alcohol
//!   use disorder, ILD (prefer azathioprine), pregnancy planning,
//!   trimethoprim-sulfamethoxazole, duplicate methotrexate;
//! - info: outside 15–20 mg/m²/week, oral route (SC preferred), above
//!   25 mg/week (above usual adult maximum: confirm) — one dose card; no folic
//!   acid — a line and a folic acid order in another card of the same order,
//!   or its own card when no other card fires for that order ("Budget").
//!
//! One card per concern. When a critical card fires for an order, its
//! dose-tuning info cards are left out: the order should not go ahead as it is.
//! A dose reduced for renal function is not called "below range": no two
//! cards pull the dose in opposite directions.
//! Missing height: the mg/m² check is skipped and a card asks for it.
//! Sources: Saag et al. 2008 (ACR), Warren et al. 2016 (BAD), Sammaritano et
//! al. 2020 (ACR), Russell et al. 2023 (BSR), methotrexate label.

use super::steroid_sparing::folic_acid;
use super::{Figure, Need, Outcome};
use crate::clinical::body::{bsa_mosteller, ceil_to, floor_to, WeightUsed};
use crate::clinical::{Action, ProposedRoute, Suggestion, Topic, What};
use crate::clinical::{Direction, Finding, Indicator, OverrideReason, Policy, Pull, Selection};
use crate::facts::renal::RenalFunction;
use crate::facts::{Facts, Frequency, Med, Reading, Route, Schedule};
use crate::terminology::medication::Drug;
use crate::terminology::Concept;

/// What the check found about one methotrexate order: the concern of one
/// card, the inputs every card of the order shows, and folic acid when it is
/// folded into this card.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    /// The order checked.
    pub order: Order,
    /// What this card is about.
    pub concern: Concern,
    /// Inputs shown in every card of the order (boxed: the finding stays small).
    pub inputs: Box<Inputs>,
    /// No folic acid active or drafted: the daily mg to add (a line of this
    /// card, with its suggestion).
    pub folic_acid_mg: Option<f64>,
    /// Dose and route notes folded into this card: an order has one card
    /// unless two warnings (or worse) of different topics concern it.
    pub dose_notes: Option<DoseNotes>,
}

/// The methotrexate order as read.
#[derive(Debug, Clone, PartialEq)]
pub struct Order {
    /// Name as ordered (record text).
    pub name: String,
    /// How the mg per dose was read ("1.1 mL × 25 mg/mL"; record-derived text).
    pub derivation: Option<String>,
    /// mg per administration, when known.
    pub per_dose_mg: Option<f64>,
    /// The schedule, when known.
    pub schedule: Option<Schedule>,
    /// mg per week, when dose and frequency are known.
    pub per_week_mg: Option<f64>,
}

/// The inputs of the methotrexate figures.
#[derive(Debug, Clone, PartialEq)]
pub struct Inputs {
    /// Current renal function.
    pub renal: RenalFunction,
    /// Body surface area and the range worked out from it (when weight and
    /// height are known).
    pub bsa: Option<Bsa>,
    /// Pre-treatment reminders (Markdown lines from the pre-treatment check).
    pub before_first_dose: Vec<String>,
}

/// The mg/m² calculation.
#[derive(Debug, Clone, PartialEq)]
pub struct Bsa {
    /// The weight used.
    pub weight: WeightUsed,
    /// The height used (cm).
    pub height: Reading,
    /// Mosteller BSA, m².
    pub m2: f64,
    /// Policy mg/m²/week range.
    pub mg_per_m2_low: f64,
    pub mg_per_m2_high: f64,
    /// That range in mg/week for this BSA.
    pub low_mg: f64,
    pub high_mg: f64,
    /// Rounding step (mg) and weekly cap.
    pub round_mg: f64,
    pub max_per_week: f64,
    /// The range achievable in rounding steps, capped.
    pub achievable_low: f64,
    pub achievable_high: f64,
    /// The order's mg/m²/week, when its weekly dose is known.
    pub ordered_per_m2: Option<f64>,
}

/// What a card is about.
#[derive(Debug, Clone, PartialEq)]
pub enum Concern {
    /// More than one administration day a week.
    Daily {
        /// The schedule as read.
        frequency: Frequency,
    },
    /// No readable frequency.
    FrequencyUnknown {
        /// Why, when known (record-derived text).
        note: Option<String>,
    },
    /// eGFR below the avoid threshold, or CKD 4–5 / dialysis on record.
    RenalAvoid {
        /// Policy: avoid below this eGFR.
        avoid_below: f64,
    },
    /// eGFR in the dose-reduction range and a weekly dose above the reduced
    /// maximum (or unknown).
    RenalReduce {
        avoid_below: f64,
        reduce_below: f64,
        /// Reduce to at most this, mg/week.
        reduced_max: f64,
    },
    /// A dose at or above the slip thresholds (unit or dose slip).
    DoseSlip {
        /// Policy thresholds.
        slip_per_week: f64,
        slip_per_dose: f64,
        /// The guidance maximum, mg/week.
        max_per_week: f64,
    },
    /// Above the weekly maximum.
    AboveMax {
        /// The weekly dose (or the dose, when the frequency is unknown).
        per_week_mg: f64,
        max_per_week: f64,
    },
    /// Liver disease (cirrhosis: critical) on the problem list.
    Liver {
        /// The problem-list entry (record text).
        on_record: String,
        onset: Option<chrono::NaiveDate>,
        cirrhosis: bool,
    },
    /// Alcohol use disorder on the problem list.
    Alcohol {
        on_record: String,
        onset: Option<chrono::NaiveDate>,
    },
    /// Interstitial lung disease on the problem list.
    Ild {
        on_record: String,
        onset: Option<chrono::NaiveDate>,
    },
    /// A woman planning pregnancy.
    PregnancyPlanning {
        on_record: String,
        onset: Option<chrono::NaiveDate>,
    },
    /// Trimethoprim-sulfamethoxazole active or ordered.
    TmpSmx {
        /// Its name (record text).
        name: String,
        /// Double-strength tablets a day, when known.
        ds_per_day: Option<f64>,
        /// At or above the treatment dose (critical).
        treatment: bool,
    },
    /// A pre-treatment result that needs review (Markdown lines from the
    /// pre-treatment check).
    Pretreatment { blocking: Vec<String> },
    /// Another methotrexate active or ordered.
    Duplicate {
        /// The others: (name, route, mg/week).
        others: Vec<(String, Route, Option<f64>)>,
        /// This order plus the others, mg/week, when all are known.
        total_per_week: Option<f64>,
    },
    /// Dose and route notes (info).
    Dose(DoseNotes),
    /// Folic acid alone (no other card for the order).
    FolicAcid,
}

/// The dose card's notes.
#[derive(Debug, Clone, PartialEq)]
pub struct DoseNotes {
    /// Below the usual adult weekly dose, with the mg/m² figures in [`Bsa`]
    /// when known. (Above is `above_usual_max`: one yardstick, mg/week.)
    pub range: Option<Side>,
    /// eGFR 30–59 and the weekly dose already at or below the reduced
    /// maximum (mg/week): said, not warned.
    pub renal_reduced: Option<f64>,
    /// The usual adult weekly dose, mg (low, high).
    pub usual: (f64, f64),
    /// Above the usual adult maximum (mg/week) but within the cap: confirm.
    pub above_usual_max: Option<f64>,
    /// Oral or sublingual: subcutaneous preferred.
    pub oral: bool,
}

/// Which side of a range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Below,
    Above,
}

macro_rules! topic {
    ($name:ident, $code:literal, $display:literal) => {
        pub const $name: Topic = Topic {
            code: $code,
            display: $display,
        };
    };
}
topic!(
    DAILY,
    "mtx-daily-frequency",
    "Methotrexate ordered more often than weekly"
);
topic!(
    FREQUENCY_UNKNOWN,
    "mtx-frequency-unknown",
    "Methotrexate ordered without a readable frequency"
);
topic!(
    RENAL_AVOID,
    "mtx-contraindicated-renal",
    "Methotrexate with eGFR below the avoid threshold"
);
topic!(
    RENAL_REDUCE,
    "mtx-renal-caution",
    "Methotrexate with eGFR in the dose-reduction range"
);
topic!(
    DOSE_SLIP,
    "mtx-dose-slip",
    "Methotrexate dose twice the threshold or more: unit or dose slip"
);
topic!(
    PRETREATMENT,
    "mtx-pretreatment",
    "Methotrexate before the pre-treatment checks are clear"
);
topic!(
    ABOVE_MAX,
    "mtx-above-max",
    "Methotrexate above the weekly maximum"
);
topic!(LIVER, "mtx-liver", "Methotrexate with liver disease");
topic!(
    ALCOHOL,
    "mtx-alcohol",
    "Methotrexate with alcohol use disorder"
);
topic!(
    ILD,
    "mtx-ild",
    "Methotrexate with interstitial lung disease"
);
topic!(
    PLANNING,
    "mtx-pregnancy-planning",
    "Methotrexate with pregnancy planning"
);
topic!(
    TMP_SMX,
    "mtx-tmp-smx",
    "Methotrexate with trimethoprim-sulfamethoxazole"
);
topic!(DUPLICATE, "mtx-duplicate", "Duplicate methotrexate");
topic!(DOSE, "mtx-dose-bsa", "Methotrexate dose and route");
topic!(FOLIC, "mtx-folic-acid", "Folic acid with methotrexate");

pub const SETTINGS: &[&str] = &[
    "mtx_mg_per_m2_low",
    "mtx_mg_per_m2_high",
    "mtx_round_mg",
    "mtx_max_mg_per_week",
    "mtx_usual_adult_min_mg_per_week",
    "mtx_usual_adult_max_mg_per_week",
    "mtx_renal_max_mg_per_week",
    "mtx_slip_mg_per_week",
    "tmp_smx_treatment_ds_per_day",
    "mtx_slip_mg_per_dose",
    "mtx_suggest_max_mg_per_week",
    "mtx_egfr_avoid_below",
    "mtx_egfr_reduce_below",
    "folic_acid_mg_per_day",
    "weight_max_age_days",
    "weight_conflict_pct",
    "pregnancy_condition_days",
    "hcg_positive_days",
];

struct Card {
    topic: Topic,
    indicator: Indicator,
    concern: Concern,
    pull: Option<Direction>,
}

fn check(order: &Med, facts: &Facts, policy: &Policy, out: &mut Outcome) {
    let dose = order.dose.as_ref();
    let per_week = dose.and_then(|d| d.per_week_mg());
    // For the limits: a dose of unknown frequency counts as at least one
    // administration a week (its "specify once weekly" warning covers the
    // rest; reading every such order as daily would make each one critical).
    let per_week_at_least = per_week.or(dose.map(|d| d.mg));
    let daily = order.frequency.more_than_weekly() == Some(true);
    let mut cards: Vec<Card> = vec![];
    macro_rules! card {
        ($topic:expr, $indicator:expr, $concern:expr, $pull:expr $(,)?) => {
            cards.push(Card {
                topic: $topic,
                indicator: $indicator,
                concern: $concern,
                pull: $pull,
            })
        };
    }

    // Critical: more than one administration day in 7, whether or not the
    // dose could be computed (the weekly amount must fall); unknown
    // frequency: ask for weekly.
    match order.frequency.more_than_weekly() {
        Some(true) => card!(
            DAILY,
            Indicator::Critical,
            Concern::Daily {
                frequency: order.frequency.clone(),
            },
            Some(Direction::Lower),
        ),
        None => card!(
            FREQUENCY_UNKNOWN,
            Indicator::Warning,
            Concern::FrequencyUnknown {
                note: order.frequency.note.clone(),
            },
            None,
        ),
        Some(false) => {}
    }
    // Pregnancy has its own card (rules::pregnancy); here it only stops the dose-tuning cards.
    let pregnant = super::pregnancy::evidence(facts, policy).is_some();
    let renal = facts.renal();
    let renal_reduce = renal.is_below(policy.mtx_egfr_reduce_below);
    if let Some(egfr) = renal.value() {
        if egfr < policy.mtx_egfr_avoid_below {
            card!(
                RENAL_AVOID,
                Indicator::Critical,
                Concern::RenalAvoid {
                    avoid_below: policy.mtx_egfr_avoid_below,
                },
                Some(Direction::Lower),
            );
        } else if egfr < policy.mtx_egfr_reduce_below {
            // The reduction is relative to the usual adult maximum: a dose at
            // or below half of it is already reduced (said on the dose card),
            // so our own halved suggestion, sent back, draws nothing new.
            let reduced = per_week.is_some_and(|w| w <= policy.mtx_renal_max_mg_per_week + 1e-9);
            if !reduced {
                card!(
                    RENAL_REDUCE,
                    Indicator::Warning,
                    Concern::RenalReduce {
                        avoid_below: policy.mtx_egfr_avoid_below,
                        reduce_below: policy.mtx_egfr_reduce_below,
                        reduced_max: policy.mtx_renal_max_mg_per_week,
                    },
                    Some(Direction::Lower),
                );
            }
        }
    }
    // POLICY second edition: >= 80 mg/week, or any single dose >= 1 g, is a slip.
    // A weekly total made large by a daily schedule is the daily card's
    // finding, not a second critical one.
    let slip = (per_week_at_least.is_some_and(|w| w >= policy.mtx_slip_mg_per_week) && !daily)
        || dose.is_some_and(|d| d.mg >= policy.mtx_slip_mg_per_dose);
    if slip {
        card!(
            DOSE_SLIP,
            Indicator::Critical,
            Concern::DoseSlip {
                slip_per_week: policy.mtx_slip_mg_per_week,
                slip_per_dose: policy.mtx_slip_mg_per_dose,
                max_per_week: policy.mtx_max_mg_per_week,
            },
            Some(Direction::Lower),
        );
    }
    // Warnings.
    if let Some(w) =
        per_week_at_least.filter(|w| *w > policy.mtx_max_mg_per_week && !slip && !daily)
    {
        card!(
            ABOVE_MAX,
            Indicator::Warning,
            Concern::AboveMax {
                per_week_mg: w,
                max_per_week: policy.mtx_max_mg_per_week,
            },
            Some(Direction::Lower),
        );
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
        card!(topic, indicator, concern, None);
    }
    let others = || facts.all_meds().filter(|m| !std::ptr::eq(*m, order));
    if let Some(m) = others().find(|m| m.is(Drug::TmpSmx)) {
        // A treatment dose (>= 2 double-strength tablets a day) is critical; a
        // prophylactic or unknown dose a warning (POLICY second edition).
        let ds = super::mtx_watch::ds_per_day(m);
        let treatment = ds.is_some_and(|d| d >= policy.tmp_smx_treatment_ds_per_day - 1e-9);
        card!(
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
        );
    }
    // Pre-treatment checks (hepatitis B, blood count, ALT, pregnancy test):
    // a blocking result is a warning; reminders go into the inputs.
    let pre = crate::clinical::pretreatment::lines(facts, policy, Drug::Methotrexate);
    let blocking: Vec<String> = pre
        .iter()
        .filter(|l| l.blocking)
        .map(|l| l.text.clone())
        .collect();
    if !blocking.is_empty() {
        card!(
            PRETREATMENT,
            Indicator::Warning,
            Concern::Pretreatment { blocking },
            None,
        );
    }
    let dup: Vec<&Med> = others().filter(|m| m.is(Drug::Methotrexate)).collect();
    if !dup.is_empty() {
        let total: Option<f64> = std::iter::once(order)
            .chain(dup.iter().copied())
            .map(|m| m.dose.as_ref().and_then(|d| d.per_week_mg()))
            .sum();
        card!(
            DUPLICATE,
            Indicator::Warning,
            Concern::Duplicate {
                others: dup
                    .iter()
                    .map(|m| {
                        (
                            crate::words::medication::named(m),
                            m.route,
                            m.dose.as_ref().and_then(|d| d.per_week_mg()),
                        )
                    })
                    .collect(),
                total_per_week: total,
            },
            None,
        );
    }
    let critical = pregnant || cards.iter().any(|c| c.indicator == Indicator::Critical);

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
            let cap = match per_week {
                Some(wk) if wk <= policy.mtx_max_mg_per_week => format!(
                    "; {} mg/week is within the {} mg/week cap",
                    crate::words::amount(wk),
                    crate::words::amount(policy.mtx_max_mg_per_week)
                ),
                _ => String::new(),
            };
            out.needs.push(Need {
                figure,
                why: format!("methotrexate mg/m² (BSA) not checked{cap}"),
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
            card!(DOSE, Indicator::Info, Concern::Dose(notes), pull);
        } else {
            // A warning about this order already: the dose lines join it.
            folded_notes = Some(notes);
        }
    }
    let folic_missing = !critical && !facts.all_meds().any(|m| m.is(Drug::Folate));
    if folic_missing && cards.is_empty() {
        card!(FOLIC, Indicator::Info, Concern::FolicAcid, None);
    }
    // "Budget": folic acid goes into the methotrexate card: the dose card,
    // else the first card of the order.
    let fold = folic_missing.then(|| cards.iter().position(|c| c.topic == DOSE).unwrap_or(0));

    let inputs = Box::new(Inputs {
        renal,
        bsa,
        before_first_dose: pre
            .iter()
            .filter(|l| !l.blocking)
            .map(|l| l.text.clone())
            .collect(),
    });
    let seen = Order {
        name: order.name.clone(),
        derivation: dose.map(|d| d.derivation.clone()),
        per_dose_mg: dose.map(|d| d.mg),
        schedule: order.frequency.schedule.or(dose.and_then(|d| d.schedule())),
        per_week_mg: per_week,
    };
    for (i, c) in cards.into_iter().enumerate() {
        let folded = fold == Some(i);
        let mut overrides = match (c.indicator, &c.concern) {
            (Indicator::Critical, _) => vec![
                OverrideReason::BenefitOutweighsRisk,
                OverrideReason::DiagnosisNotConfirmed,
            ],
            (_, Concern::Dose(_)) => vec![
                OverrideReason::DoseAppropriate,
                OverrideReason::PatientDeclined,
            ],
            (_, Concern::FolicAcid) => vec![
                OverrideReason::RecordedElsewhere,
                OverrideReason::PatientDeclined,
            ],
            _ => vec![
                OverrideReason::BenefitOutweighsRisk,
                OverrideReason::RecordedElsewhere,
                OverrideReason::DiagnosisNotConfirmed,
            ],
        };
        let mut suggestions = vec![];
        if folded {
            for r in [
                OverrideReason::RecordedElsewhere,
                OverrideReason::PatientDeclined,
            ] {
                if !overrides.contains(&r) {
                    overrides.push(r);
                }
            }
            suggestions.push(Suggestion {
                label: format!(
                    "Add folic acid {} mg daily",
                    crate::words::amount(policy.folic_acid_mg_per_day)
                ),
                recommended: true,
                actions: vec![folic_acid(policy)],
            });
        }
        // A critical card carries the action that removes the order, and the
        // one exact fix where there is one: a daily order, the same dose once
        // weekly; a gram slip (1 g or more a dose whose reading in mg is an
        // adult weekly dose), that dose in mg.
        if c.indicator == Indicator::Critical {
            let fix = match (&c.concern, dose) {
                (Concern::Daily { .. }, Some(d)) => Some((d.mg, "the same dose, weekly")),
                (Concern::DoseSlip { .. }, Some(d))
                    if d.mg >= policy.mtx_slip_mg_per_dose
                        && (policy.mtx_round_mg..=policy.mtx_usual_adult_max_mg_per_week)
                            .contains(&(d.mg / 1000.0))
                        && order.frequency.more_than_weekly() == Some(false) =>
                {
                    Some((d.mg / 1000.0, "grams read as milligrams"))
                }
                _ => None,
            };
            if let Some((mg, why)) = fix {
                suggestions.extend(weekly_fix(order, mg, why));
            }
            suggestions.extend(crate::clinical::remove_draft(order));
        }
        out.findings.push(Finding {
            topic: c.topic,
            indicator: c.indicator,
            what: What::MtxOrderCheck(Found {
                order: seen.clone(),
                concern: c.concern,
                inputs: inputs.clone(),
                folic_acid_mg: folded.then_some(policy.folic_acid_mg_per_day),
                dose_notes: if i == 0 { folded_notes.take() } else { None },
            }),
            notes: vec![],
            pull: c.pull.map(|direction| Pull {
                order: order.reference.clone(),
                direction,
            }),
            // A critical card's fix and removal are alternatives; otherwise
            // the folic acid order is an addition, independent of any other.
            selection: if c.indicator == Indicator::Critical {
                Selection::AtMostOne
            } else {
                Selection::Any
            },
            suggestions,
            override_reasons: overrides,
        });
    }
}

/// "Change to methotrexate `mg` mg once weekly": an update of the draft
/// (the ingredient, the dose in mg, weekly, by the order's own route); none
/// for an order that is not a draft or has another route.
fn weekly_fix(order: &Med, mg: f64, why: &str) -> Option<Suggestion> {
    // Advice (a proposal or plan) is not an order to change.
    if order.intent.is_advice() {
        return None;
    }
    let id = order.id.clone()?;
    let (route, how) = match order.route {
        Route::Subcutaneous => (ProposedRoute::Subcutaneous, "subcutaneously"),
        Route::Oral => (ProposedRoute::Oral, "by mouth"),
        _ => return None,
    };
    let amount = crate::words::amount(mg);
    Some(Suggestion {
        label: format!("Change to methotrexate {amount} mg once weekly"),
        recommended: true,
        actions: vec![Action::UpdateDraftDose {
            description: format!("Set the order to {amount} mg {how} once weekly ({why})"),
            order_id: id,
            dose_mg: mg,
            product: crate::clinical::products::DoseProduct::Ingredient {
                rxnorm: "6851",
                display: "methotrexate",
                mg,
            },
            schedule: Schedule::WEEKLY,
            route,
            instruction: format!("{amount} mg {how} once weekly, on the same day each week"),
        }],
    })
}

pub fn evaluate(facts: &Facts, policy: &Policy) -> Outcome {
    let mut out = Outcome::default();
    for order in facts.orders.iter().filter(|m| m.is(Drug::Methotrexate)) {
        check(order, facts, policy, &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clinical::rules::test_support::*;
    use crate::facts::{Schedule, Sex};

    fn topics(f: &Facts) -> Vec<(&'static str, Indicator)> {
        let out = evaluate(f, &Policy::default());
        for c in &out.findings {
            assert!(c.summary().chars().count() < 140, "{}", c.summary());
        }
        out.findings
            .iter()
            .map(|c| (c.topic.code, c.indicator))
            .collect()
    }

    fn base(dx: &[Concept]) -> Facts {
        with_body(patient(dx), Sex::Male, 70.0, Some(170.0))
    }

    fn found(f: &Finding) -> &Found {
        match &f.what {
            What::MtxOrderCheck(x) => x,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn s1_in_range_above_adult_usual_and_no_folic_acid() {
        // BSA 1.818: 27.27–36.36 (achievable 27.5–35); 27.5 mg = 15.1 mg/m² in range; > 25.
        let mut f = base(&[Concept::Ssc, Concept::Polymyositis]);
        f.orders.push(mtx(27.5, Route::Subcutaneous));
        let out = evaluate(&f, &Policy::default());
        let got: Vec<_> = out
            .findings
            .iter()
            .map(|c| (c.topic.code, c.indicator))
            .collect();
        // Folic acid is folded into the dose card ("Budget"): one card.
        assert_eq!(got, vec![("mtx-dose-bsa", Indicator::Info)]);
        let dose = &out.findings[0];
        let x = found(dose);
        assert_eq!(
            x.concern,
            Concern::Dose(DoseNotes {
                range: None,
                renal_reduced: None,
                usual: (15.0, 25.0),
                above_usual_max: Some(25.0),
                oral: false
            })
        );
        assert_eq!(x.folic_acid_mg, Some(1.0));
        let b = x.inputs.bsa.as_ref().unwrap();
        assert!((b.m2 - 1.818).abs() < 0.0005, "{}", b.m2);
        assert!((b.low_mg - 27.27).abs() < 0.01 && (b.high_mg - 36.36).abs() < 0.01);
        assert_eq!((b.achievable_low, b.achievable_high), (27.5, 35.0));
        assert!((b.ordered_per_m2.unwrap() - 15.13).abs() < 0.01);
        assert_eq!(dose.pull, None);
        assert_eq!(dose.selection, Selection::Any);
        assert_eq!(dose.suggestions.len(), 1);
        assert_eq!(dose.suggestions[0].label, "Add folic acid 1 mg daily");
        assert!(
            dose.summary()
                .contains("above the usual adult maximum of 25")
                && dose.summary().contains("add folic acid 1 mg daily"),
            "{}",
            dose.summary()
        );
        assert!(
            dose.detail().contains("BSA (Mosteller) = **1.82 m²**"),
            "{}",
            dose.detail()
        );
        assert!(
            dose.detail().contains("**27.5–35 mg/week**"),
            "{}",
            dose.detail()
        );
        assert!(
            dose.detail().contains("**15.1 mg/m²/week**"),
            "{}",
            dose.detail()
        );
        assert!(dose.detail().contains("folic acid 1 mg daily"));
    }

    #[test]
    fn folic_acid_stands_alone_only_when_nothing_else_fires() {
        // 25 mg SC: in range (start ceiling), no other note: folic acid alone.
        let mut f = base(&[Concept::Polymyositis]);
        f.orders.push(mtx(25.0, Route::Subcutaneous));
        let out = evaluate(&f, &Policy::default());
        let t: Vec<_> = out.findings.iter().map(|c| c.topic.code).collect();
        assert_eq!(t, vec!["mtx-folic-acid"]);
        assert_eq!(found(&out.findings[0]).concern, Concern::FolicAcid);
        assert_eq!(out.findings[0].suggestions.len(), 1);
        // A warning for the order: folic acid joins it (no dose card here).
        let mut f = base(&[Concept::Polymyositis, Concept::Ild]);
        f.orders.push(mtx(25.0, Route::Subcutaneous));
        let out = evaluate(&f, &Policy::default());
        let t: Vec<_> = out.findings.iter().map(|c| c.topic.code).collect();
        assert_eq!(t, vec!["mtx-ild"]);
        assert_eq!(found(&out.findings[0]).folic_acid_mg, Some(1.0));
        assert_eq!(out.findings[0].suggestions.len(), 1);
        assert!(out.findings[0].detail().contains("folic acid 1 mg daily"));
        // A warning and dose notes: one card, folic acid and the oral route
        // folded into the warning.
        let mut f = base(&[Concept::Polymyositis, Concept::Ild]);
        f.orders.push(mtx(25.0, Route::Oral));
        let out = evaluate(&f, &Policy::default());
        let folded: Vec<_> = out
            .findings
            .iter()
            .map(|c| {
                let x = found(c);
                (
                    c.topic.code,
                    x.folic_acid_mg.is_some(),
                    x.dose_notes.as_ref().map(|n| n.oral),
                )
            })
            .collect();
        assert_eq!(folded, vec![("mtx-ild", true, Some(true))]);
        assert!(out.findings[0]
            .detail()
            .contains("subcutaneous is preferred"));
    }

    #[test]
    fn renal_reduction_and_dose_never_pull_apart() {
        // (eGFR, weekly mg) → renal card, and whether the dose card says the
        // dose is already reduced. The reduction is relative to 25 mg/week:
        // at most 12.5 mg/week is already reduced (said, not warned); above
        // it, "reduce to ≤ 12.5". No card ever raises the dose.
        for (egfr, mg, warned, reduced_note) in [
            (45.0, 10.0, false, true),
            (45.0, 12.5, false, true),
            (45.0, 15.0, true, false),
            (59.0, 7.5, false, true),
            (30.0, 40.0, true, false),
        ] {
            let mut f = base(&[Concept::Polymyositis]);
            f.labs.push(lab(Concept::Egfr, egfr, "mL/min/{1.73_m2}"));
            f.orders.push(mtx(mg, Route::Subcutaneous));
            let out = evaluate(&f, &Policy::default());
            let pulls: Vec<_> = out
                .findings
                .iter()
                .filter_map(|c| c.pull.as_ref().map(|p| (c.topic.code, p.direction)))
                .collect();
            assert_eq!(
                pulls.contains(&("mtx-renal-caution", Direction::Lower)),
                warned,
                "{egfr} {mg}: {pulls:?}"
            );
            assert!(
                !pulls.iter().any(|(_, d)| *d == Direction::Raise),
                "{egfr} {mg}: {pulls:?}"
            );
            let note = out.findings.iter().any(
                |c| matches!(&found(c).concern, Concern::Dose(n) if n.renal_reduced == Some(12.5)),
            );
            assert_eq!(note, reduced_note, "{egfr} {mg}");
            for c in &out.findings {
                assert!(!c.summary().contains("below usual"), "{}", c.summary());
            }
            if warned {
                let c = out
                    .findings
                    .iter()
                    .find(|c| c.topic.code == "mtx-renal-caution")
                    .unwrap();
                assert!(
                    c.summary().contains("reduce methotrexate to ≤12.5 mg/week"),
                    "{}",
                    c.summary()
                );
            }
        }
        // (weekly mg) → "below usual" without renal reduction: only under 15.
        for (mg, below) in [
            (10.0, true),
            (12.5, true),
            (15.0, false),
            (20.0, false),
            (25.0, false),
        ] {
            let mut f = base(&[Concept::Polymyositis]);
            f.orders.push(mtx(mg, Route::Subcutaneous));
            let out = evaluate(&f, &Policy::default());
            let dose = out.findings.iter().find(|c| c.topic == DOSE);
            assert_eq!(
                dose.and_then(|d| d.pull.as_ref()).map(|p| p.direction) == Some(Direction::Raise),
                below,
                "{mg}"
            );
            if below {
                let d = dose.unwrap();
                assert_eq!(d.pull.as_ref().unwrap().order, "MedicationRequest/mtx");
                assert!(
                    d.summary().contains("below usual 15–25 mg/week"),
                    "{}",
                    d.summary()
                );
            }
        }
    }

    #[test]
    fn pulls_of_the_dose_findings() {
        // (weekly mg, topic, direction)
        for (mg, topic, dir) in [
            (42.5, "mtx-above-max", Direction::Lower),
            (100.0, "mtx-dose-slip", Direction::Lower),
        ] {
            let mut f = base(&[Concept::Polymyositis]);
            f.orders.push(mtx(mg, Route::Subcutaneous));
            let out = evaluate(&f, &Policy::default());
            let c = out.findings.iter().find(|c| c.topic.code == topic).unwrap();
            assert_eq!(c.pull.as_ref().map(|p| p.direction), Some(dir), "{mg}");
        }
    }

    #[test]
    fn s5_duplicate_and_low_dose() {
        let mut f = with_body(
            patient(&[Concept::OverlapMctd, Concept::Ssc]),
            Sex::Male,
            90.0,
            Some(180.0),
        );
        let mut active = mtx(20.0, Route::Subcutaneous);
        active.reference = "MedicationRequest/active-mtx".into();
        f.active_meds.push(active);
        f.active_meds
            .push(med(Drug::Folate, 1.0, Schedule::DAILY, Route::Oral, "fa"));
        f.orders.push(mtx(20.0, Route::Oral));
        let out = evaluate(&f, &Policy::default());
        let got: Vec<_> = out
            .findings
            .iter()
            .map(|c| (c.topic.code, c.indicator))
            .collect();
        // One card for the order: the duplicate warning, the oral route
        // folded into it; 20 mg/week is a usual adult dose, whatever mg/m²
        // it makes: no "below range" beside the duplicate warning.
        assert_eq!(got, vec![("mtx-duplicate", Indicator::Warning)]);
        assert!(
            out.findings[0].summary().contains("40 mg/week total"),
            "{}",
            out.findings[0].summary()
        );
        let detail = out.findings[0].detail();
        assert!(!detail.contains("below"), "{detail}");
        assert!(detail.contains("subcutaneous is preferred"), "{detail}");
    }

    #[test]
    fn s10_renal_table() {
        // (eGFR, expected renal card); S10: 25 → critical, S10b: 45 → warning.
        for (egfr, want) in [
            (
                25.0,
                Some(("mtx-contraindicated-renal", Indicator::Critical)),
            ),
            (
                29.0,
                Some(("mtx-contraindicated-renal", Indicator::Critical)),
            ),
            (30.0, Some(("mtx-renal-caution", Indicator::Warning))),
            (45.0, Some(("mtx-renal-caution", Indicator::Warning))),
            (59.0, Some(("mtx-renal-caution", Indicator::Warning))),
            (60.0, None),
        ] {
            let mut f = base(&[Concept::SscMyopathy]);
            f.labs.push(lab(Concept::Egfr, egfr, "mL/min/{1.73_m2}"));
            f.orders.push(mtx(15.0, Route::Subcutaneous));
            let t = topics(&f);
            let renal = t.iter().find(|(c, _)| c.contains("renal")).copied();
            assert_eq!(renal, want, "{egfr}");
            if egfr < 30.0 {
                // Critical: no dose-tuning cards.
                assert!(
                    !t.iter()
                        .any(|(c, _)| *c == "mtx-dose-bsa" || *c == "mtx-folic-acid"),
                    "{t:?}"
                );
            }
        }
    }

    #[test]
    fn critical_and_warning_items() {
        let mut f = base(&[Concept::Dermatomyositis]);
        f.orders.push(med(
            Drug::Methotrexate,
            15.0,
            Schedule::DAILY,
            Route::Oral,
            "m",
        ));
        assert!(topics(&f).contains(&("mtx-daily-frequency", Indicator::Critical)));

        // Pregnancy: its own rule fires; here the dose-tuning cards are left out.
        let mut f = base(&[Concept::Dermatomyositis, Concept::Pregnancy]);
        f.orders.push(mtx(15.0, Route::Oral));
        assert!(topics(&f).is_empty(), "{:?}", topics(&f));

        for (c, code) in [
            (Concept::LiverDisease, "mtx-liver"),
            (Concept::AlcoholUse, "mtx-alcohol"),
            (Concept::Ild, "mtx-ild"),
            (Concept::PregnancyPlanning, "mtx-pregnancy-planning"),
        ] {
            let mut f = base(&[Concept::Dermatomyositis, c]);
            f.sex = Some(Sex::Female);
            f.orders.push(mtx(15.0, Route::Subcutaneous));
            assert!(topics(&f).contains(&(code, Indicator::Warning)), "{c:?}");
        }
        // A man planning conception may take methotrexate (ACR 2020).
        let mut f = base(&[Concept::Dermatomyositis, Concept::PregnancyPlanning]);
        f.orders.push(mtx(15.0, Route::Subcutaneous));
        assert!(!topics(&f)
            .iter()
            .any(|(c, _)| *c == "mtx-pregnancy-planning"));

        let mut f = base(&[Concept::Dermatomyositis]);
        f.orders.push(mtx(15.0, Route::Subcutaneous));
        f.active_meds.push(med(
            Drug::TmpSmx,
            960.0,
            Schedule::DAILY,
            Route::Oral,
            "tmp",
        ));
        assert!(topics(&f).contains(&("mtx-tmp-smx", Indicator::Warning)));

        // 40 mg/week is the maximum; 42.5 is above it.
        for (mg, above) in [(40.0, false), (42.5, true)] {
            let mut f = base(&[Concept::Dermatomyositis]);
            f.orders.push(mtx(mg, Route::Subcutaneous));
            assert_eq!(
                topics(&f).contains(&("mtx-above-max", Indicator::Warning)),
                above,
                "{mg}"
            );
        }
        // 25 mg/week: not above the usual adult maximum; 27.5 is.
        for (mg, flagged) in [(25.0, false), (27.5, true)] {
            let mut f = base(&[Concept::Dermatomyositis]);
            f.active_meds
                .push(med(Drug::Folate, 1.0, Schedule::DAILY, Route::Oral, "fa"));
            f.orders.push(mtx(mg, Route::Subcutaneous));
            let out = evaluate(&f, &Policy::default());
            assert_eq!(
                out.findings
                    .iter()
                    .any(|c| c.summary().contains("usual adult maximum")),
                flagged,
                "{mg}"
            );
        }
    }

    #[test]
    fn s3_missing_height_skips_bsa_and_asks() {
        let mut f = with_body(patient(&[Concept::SscMyopathy]), Sex::Male, 80.0, None);
        f.active_meds
            .push(med(Drug::Folate, 1.0, Schedule::DAILY, Route::Oral, "fa"));
        f.labs.push(lab(Concept::Egfr, 95.0, "mL/min/{1.73_m2}"));
        f.orders.push(mtx(25.0, Route::Subcutaneous));
        let out = evaluate(&f, &Policy::default());
        assert!(
            out.findings.is_empty(),
            "{:?}",
            out.findings
                .iter()
                .map(|f| f.topic.code)
                .collect::<Vec<_>>()
        );
        assert_eq!(out.needs.len(), 1);
        assert_eq!(out.needs[0].figure, Figure::Height);
        assert!(out.needs[0]
            .why
            .contains("25 mg/week is within the 40 mg/week cap"));
    }

    #[test]
    fn slips_liver_and_the_start_ceiling_table() {
        // (extra diagnosis, mg per week, expected (topic, indicator) present, topic absent)
        type Case = (
            Option<Concept>,
            f64,
            Option<(&'static str, Indicator)>,
            Option<&'static str>,
        );
        let cases: &[Case] = &[
            (
                None,
                60.0,
                Some(("mtx-above-max", Indicator::Warning)),
                Some("mtx-dose-slip"),
            ),
            (
                None,
                80.0,
                Some(("mtx-dose-slip", Indicator::Critical)),
                Some("mtx-above-max"),
            ),
            (
                None,
                1000.0,
                Some(("mtx-dose-slip", Indicator::Critical)),
                None,
            ),
            (
                Some(Concept::Cirrhosis),
                15.0,
                Some(("mtx-liver", Indicator::Critical)),
                None,
            ),
            (None, 15.0, None, Some("mtx-liver")),
            // 15–25 mg/week is the usual adult dose whatever mg/m² it makes
            // (25 mg for BSA 1.818 is 13.8 mg/m²): no dose card; below 15, one.
            (None, 25.0, None, Some("mtx-dose-bsa")),
            (None, 22.5, None, Some("mtx-dose-bsa")),
            (None, 15.0, None, Some("mtx-dose-bsa")),
            (None, 12.5, Some(("mtx-dose-bsa", Indicator::Info)), None),
        ];
        for (extra, wk, present, absent) in cases {
            let mut dx = vec![Concept::Polymyositis];
            if let Some(c) = extra {
                dx.push(Concept::LiverDisease);
                dx.push(*c);
            }
            let mut f = base(&dx);
            f.active_meds
                .push(med(Drug::Folate, 1.0, Schedule::DAILY, Route::Oral, "fa"));
            f.orders.push(mtx(*wk, Route::Subcutaneous));
            let t = topics(&f);
            if let Some(p) = present {
                assert!(t.contains(p), "{extra:?} {wk}: {t:?}");
            }
            if let Some(a) = absent {
                assert!(!t.iter().any(|(c, _)| c == a), "{extra:?} {wk}: {t:?}");
            }
        }
    }

    /// Critical cards carry their fix: (weekly mg as ordered, schedule,
    /// labels of the suggestions).
    #[test]
    fn critical_cards_carry_the_exact_fix_and_the_removal() {
        for (mg, schedule, labels) in [
            (
                15.0,
                Schedule::DAILY,
                vec![
                    "Change to methotrexate 15 mg once weekly",
                    "Remove this methotrexate order",
                ],
            ),
            // 15 g weekly: grams where mg were meant.
            (
                15_000.0,
                Schedule::WEEKLY,
                vec![
                    "Change to methotrexate 15 mg once weekly",
                    "Remove this methotrexate order",
                ],
            ),
            // 100 mg weekly: a slip with no exact fix: removal only.
            (
                100.0,
                Schedule::WEEKLY,
                vec!["Remove this methotrexate order"],
            ),
        ] {
            let mut f = base(&[Concept::Polymyositis]);
            f.orders.push(med(
                Drug::Methotrexate,
                mg,
                schedule,
                Route::Subcutaneous,
                "mtx",
            ));
            let out = evaluate(&f, &Policy::default());
            let critical = out
                .findings
                .iter()
                .find(|c| c.indicator == Indicator::Critical)
                .unwrap_or_else(|| panic!("{mg}: no critical card"));
            let got: Vec<&str> = critical
                .suggestions
                .iter()
                .map(|s| s.label.as_str())
                .collect();
            assert_eq!(got, labels, "{mg}");
            assert_eq!(critical.selection, Selection::AtMostOne);
        }
    }

    #[test]
    fn one_critical_for_a_daily_order_and_unknown_frequency_read_as_once() {
        use crate::facts::Frequency;
        let criticals = |f: &Facts| {
            topics(f)
                .into_iter()
                .filter(|(_, i)| *i == Indicator::Critical)
                .map(|(c, _)| c)
                .collect::<Vec<_>>()
        };
        // Daily 15 mg: the daily card only (105 mg/week is its artefact).
        let mut f = base(&[Concept::Polymyositis]);
        f.orders.push(med(
            Drug::Methotrexate,
            15.0,
            Schedule::DAILY,
            Route::Oral,
            "m",
        ));
        assert_eq!(criticals(&f), vec!["mtx-daily-frequency"]);
        // Unknown frequency: 15 mg is no slip; 100 mg is.
        for (mg, slip) in [(15.0, false), (100.0, true)] {
            let mut f = base(&[Concept::Polymyositis]);
            let mut m = mtx(mg, Route::Subcutaneous);
            let d = m.dose.as_mut().unwrap();
            d.frequency = Frequency::unknown(None);
            m.frequency = Frequency::unknown(None);
            f.orders.push(m);
            assert_eq!(criticals(&f).contains(&"mtx-dose-slip"), slip, "{mg}");
            assert!(topics(&f).contains(&("mtx-frequency-unknown", Indicator::Warning)));
        }
    }
}
