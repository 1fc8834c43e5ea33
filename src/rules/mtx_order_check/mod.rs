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

mod concerns;
mod dose;
pub mod words;

use super::steroid_sparing::folic_acid;
use crate::clinical::pretreatment::Line;
use crate::clinical::{Figure, Need, Outcome};
use crate::clinical::body::{bsa_mosteller, ceil_to, floor_to, WeightUsed};
use crate::clinical::{Action, Change, ProposedRoute, Suggestion, Topic, WeeklyFix};
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
    pub derivation: Option<crate::facts::Derivation>,
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
    /// Pre-treatment reminders.
    pub before_first_dose: Vec<Line>,
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
        /// Why, when known.
        note: Option<crate::facts::FrequencyNote>,
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
    /// Pre-treatment results that need review.
    Pretreatment { blocking: Vec<Line> },
    /// Another methotrexate active or ordered.
    Duplicate {
        /// The others: (name, route, mg/week).
        others: Vec<(crate::facts::Named, Route, Option<f64>)>,
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

fn check(order: &Med, facts: &Facts, policy: &Policy, out: &mut Outcome<Found>) {
    let dose = order.dose.as_ref();
    let per_week = dose.and_then(|d| d.per_week_mg());
    // Pregnancy has its own card (rules::pregnancy); here it only stops the dose-tuning cards.
    let pregnant = super::pregnancy::evidence(facts, policy).is_some();
    let renal = facts.renal();
    // Pre-treatment checks (hepatitis B, blood count, ALT, pregnancy test):
    // a blocking result is a warning; reminders go into the inputs.
    let pre = crate::clinical::pretreatment::lines(facts, policy, Drug::Methotrexate);
    let mut cards = concerns::of(order, facts, policy, &renal, &pre);
    let critical = pregnant || cards.iter().any(|c| c.indicator == Indicator::Critical);
    let dose::Info {
        bsa,
        mut folded_notes,
        fold,
    } = dose::info(
        order,
        facts,
        policy,
        &renal,
        critical,
        &mut cards,
        &mut out.needs,
    );

    let inputs = Box::new(Inputs {
        renal,
        bsa,
        before_first_dose: pre.into_iter().filter(|l| !l.blocking).collect(),
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
                (Concern::Daily { .. }, Some(d)) => Some((d.mg, WeeklyFix::SameDoseWeekly)),
                (Concern::DoseSlip { .. }, Some(d))
                    if d.mg >= policy.mtx_slip_mg_per_dose
                        && (policy.mtx_round_mg..=policy.mtx_usual_adult_max_mg_per_week)
                            .contains(&(d.mg / 1000.0))
                        && order.frequency.more_than_weekly() == Some(false) =>
                {
                    Some((d.mg / 1000.0, WeeklyFix::GramsAsMilligrams))
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
fn weekly_fix(order: &Med, mg: f64, why: WeeklyFix) -> Option<Suggestion> {
    // Advice (a proposal or plan) is not an order to change.
    if order.intent.is_advice() {
        return None;
    }
    let id = order.id.clone()?;
    let route = match order.route {
        Route::Subcutaneous => ProposedRoute::Subcutaneous,
        Route::Oral => ProposedRoute::Oral,
        _ => return None,
    };
    Some(Suggestion {
        recommended: true,
        actions: vec![Action::UpdateDraftDose {
            change: Change::WeeklyMethotrexate(why),
            order_id: id,
            dose_mg: mg,
            product: crate::clinical::products::DoseProduct::Ingredient {
                rxnorm: "6851",
                display: "methotrexate",
                mg,
            },
            schedule: Schedule::WEEKLY,
            route,
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
