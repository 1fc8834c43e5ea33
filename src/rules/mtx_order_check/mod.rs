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

pub mod words;

use super::steroid_sparing::folic_acid;
use crate::clinical::{Figure, Need, Outcome};
use crate::clinical::body::{bsa_mosteller, ceil_to, floor_to, WeightUsed};
use crate::clinical::{Action, ProposedRoute, Suggestion, Topic};
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

/// The card topics this rule can produce.
pub const TOPICS: &[Topic] = &[DAILY, FREQUENCY_UNKNOWN, DOSE_SLIP, PRETREATMENT, RENAL_AVOID, RENAL_REDUCE, ABOVE_MAX, LIVER, ALCOHOL, ILD, PLANNING, TMP_SMX, DUPLICATE, DOSE, FOLIC];

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

fn check(order: &Med, facts: &Facts, policy: &Policy, out: &mut Outcome<Found>) {
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
                            m.named(),
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
                    crate::text::amount(wk),
                    crate::text::amount(policy.mtx_max_mg_per_week)
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
                    crate::text::amount(policy.folic_acid_mg_per_day)
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
            what: Found {
                order: seen.clone(),
                concern: c.concern,
                inputs: inputs.clone(),
                folic_acid_mg: folded.then_some(policy.folic_acid_mg_per_day),
                dose_notes: if i == 0 { folded_notes.take() } else { None },
            },
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
    let amount = crate::text::amount(mg);
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

pub fn evaluate(facts: &Facts, policy: &Policy) -> Outcome<Found> {
    let mut out = Outcome::default();
    for order in facts.orders.iter().filter(|m| m.is(Drug::Methotrexate)) {
        check(order, facts, policy, &mut out);
    }
    out
}

impl crate::clinical::Reads for Found {
    const AREAS: &'static [crate::facts::DataArea] = &[crate::facts::DataArea::Weight, crate::facts::DataArea::Height, crate::facts::DataArea::RenalFunction];
}

#[cfg(test)]
mod cases;
