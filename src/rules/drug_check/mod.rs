//! The shape the second-edition order checks share: every concern about one
//! order goes into one card (severity of the worst concern, its summary, all
//! the concerns in the detail), so a clinician reads one card per drug; and
//! the weight-independent absolute limits that catch unit slips.
//!
//! Service policy (second edition): "weight-independent absolute limits that
//! catch unit slips even without a weight: above → warning, ≥ 2× → critical".

pub mod words;

use crate::clinical::body::{DosingWeight, WeightUsed};
use crate::clinical::pretreatment::Line;
use crate::clinical::{Direction, Finding, Indicator, OverrideReason, Policy, Pull, Selection, Topic};
use crate::facts::renal::RenalFunction;
use crate::facts::{Facts, Med, Reading};
use crate::terminology::medication::Drug;

/// One order check's card: every concern about one order (or one active
/// medication), worst first.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    /// Which check: its title and sources follow from it.
    pub card: Card,
    /// The order's (or active medication's) name as recorded, raw.
    pub order: String,
    /// The concerns, worst first (equal ones in the order the rule found them).
    pub concerns: Vec<Concern>,
    /// The body-size inputs the concerns' figures came from, shown once.
    pub basis: Option<Basis>,
}

/// The check a card belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Card {
    /// An azathioprine order (thiopurine safety and the mg/kg dose).
    Azathioprine,
    /// A mycophenolate order.
    Mycophenolate,
    /// A rituximab order.
    Rituximab,
    /// A cyclophosphamide order.
    Cyclophosphamide,
    /// An IVIG order above its absolute limit.
    Ivig,
    /// Methotrexate already active, with no methotrexate order on screen.
    ActiveMethotrexate,
}

/// The body-size inputs of a card's figures.
#[derive(Debug, Clone, PartialEq)]
pub enum Basis {
    /// Dosing weight (ideal body weight, or actual if lower).
    DosingWeight {
        /// The weight used, with what is doubtful about it.
        weight: WeightUsed,
        /// Ideal, dosing and adjusted body weight, with the height and sex.
        dosing: DosingWeight,
    },
    /// Body-surface area (Mosteller).
    Bsa {
        /// The weight used, with what is doubtful about it.
        weight: WeightUsed,
        /// The height used.
        height: Reading,
        /// m².
        bsa: f64,
    },
}

/// One finding about an order, before it is folded into the order's card.
#[derive(Debug, Clone, PartialEq)]
pub struct Concern {
    /// The rule's severity for this concern.
    pub indicator: Indicator,
    /// What it is, with its figures.
    pub kind: Kind,
}

impl Kind {
    /// Whether the concern stands for a child too (POLICY third edition,
    /// "Minors": the age filter applies to each concern): safety findings
    /// do; dose advice (mg/kg, a regimen) and reminders do not.
    pub fn age_independent(&self, indicator: Indicator) -> bool {
        match self {
            Kind::Aza(_) | Kind::RituximabRegimen { .. } => false,
            // Positive hepatitis B, low counts, high ALT: yes; "check ..." reminders: no.
            Kind::Pretreatment(_) => indicator >= Indicator::Warning,
            _ => true,
        }
    }
}

impl Concern {
    pub fn new(indicator: Indicator, kind: Kind) -> Self {
        Concern { indicator, kind }
    }
}

/// The substance an absolute limit is stated for, in its own mg (or g).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Substance {
    Azathioprine,
    MycophenolateMofetil,
    /// Enteric-coated mycophenolic acid (mycophenolate sodium).
    MycophenolicAcid,
    Rituximab,
    Cyclophosphamide,
    Ivig,
}

/// What an amount against an absolute limit is counted over.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Per {
    /// The daily dose.
    Day,
    /// One administration, the frequency unknown (at least that per day).
    DoseFrequencyUnknown,
    /// One administration (the limit is per dose).
    Dose,
    /// The course: `per_dose` × `doses`.
    Course { per_dose: f64, doses: f64 },
    /// One administration, the course length not stated (the limit is per course).
    DoseCourseUnknown,
}

/// An amount against a weight-independent absolute limit.
#[derive(Debug, Clone, PartialEq)]
pub struct Limit {
    pub substance: Substance,
    pub per: Per,
    /// The amount (mg, or g for IVIG).
    pub amount: f64,
    /// The limit, in the same unit.
    pub limit: f64,
    /// Multiple of the limit from which it reads as a unit slip.
    pub slip_factor: f64,
    /// At or above `slip_factor` × the limit.
    pub slip: bool,
}

/// A TPMT/NUDT15 result as recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct GeneResult {
    /// "TPMT", "NUDT15" or "TPMT/NUDT15" (a combined result that names neither).
    pub gene: &'static str,
    /// The test's name, raw.
    pub label: String,
    /// The result text, raw.
    pub result: String,
    pub date: Option<chrono::NaiveDate>,
}

/// Azathioprine's share of the usual dose (mg/kg × dosing weight).
#[derive(Debug, Clone, PartialEq)]
pub struct Share {
    /// Azathioprine ordered, mg/day.
    pub per_day: f64,
    /// The usual dose, mg/day.
    pub usual: f64,
    /// mg/kg of the usual dose.
    pub mg_per_kg: f64,
    /// `per_day` as % of `usual`.
    pub pct: f64,
}

/// Every kind of concern an order check states, with its figures.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    /// Above a weight-independent absolute limit (≥ 2×: a unit slip?).
    AboveLimit(Limit),
    /// A pre-treatment line (hepatitis B, blood count and ALT, pregnancy
    /// test); its text comes from the pre-treatment checks.
    Pretreatment(Line),
    /// TPMT or NUDT15 poor metaboliser: avoid azathioprine.
    PoorMetaboliser(GeneResult),
    /// TPMT or NUDT15 intermediate metaboliser: start at `low`–`high` % of the dose.
    IntermediateMetaboliser {
        result: GeneResult,
        low_pct: f64,
        high_pct: f64,
        /// Both genes intermediate (the lower range).
        both: bool,
    },
    /// A TPMT or NUDT15 result on file that could not be classified:
    /// review it before azathioprine (never guessed normal).
    UnreadableMetaboliser(GeneResult),
    /// Febuxostat active or ordered (its name, raw).
    Febuxostat { name: String },
    /// Allopurinol active or ordered (its name, raw).
    Allopurinol {
        name: String,
        /// The share of the usual dose, when weight, height, sex and dose are known.
        share: Option<Share>,
        /// The most azathioprine may be with allopurinol, % of the usual dose.
        max_pct: f64,
        /// Within `max_pct`.
        reduced: bool,
    },
    /// The azathioprine order's mg/kg dose and TPMT check.
    Aza(super::aza_order_check::Found),
    /// A rituximab dose that is neither the fixed dose nor the mg/m² dose.
    RituximabRegimen {
        mg: f64,
        fixed_mg: f64,
        mg_per_m2: f64,
        /// BSA, m², when weight and height are known.
        bsa: Option<f64>,
    },
    /// Renal function below the level at which cyclophosphamide is reduced.
    CyclophosphamideRenal { renal: RenalFunction, below: f64 },
    /// Pregnant on methotrexate (the record it rests on).
    MethotrexatePregnant {
        evidence: crate::clinical::reproductive::Evidence,
    },
    /// Breastfeeding on methotrexate (the record it rests on).
    MethotrexateBreastfeeding {
        evidence: crate::clinical::reproductive::Evidence,
    },
    /// Renal function below the level at which methotrexate is avoided.
    MethotrexateRenal { renal: RenalFunction, below: f64 },
    /// A trimethoprim-sulfamethoxazole order with active methotrexate.
    TmpSmx {
        /// The order's name, raw.
        name: String,
        /// Double-strength tablets a day, when the dose could be read.
        ds_per_day: Option<f64>,
        /// Tablets a day from which it is a treatment dose.
        treatment_ds: f64,
        /// At a treatment dose.
        treatment: bool,
    },
}

impl Kind {
    /// Which way this concern pulls the dose of the order it is about.
    pub fn pull(&self) -> Option<Direction> {
        match self {
            Kind::AboveLimit(_) | Kind::CyclophosphamideRenal { .. } => Some(Direction::Lower),
            Kind::Allopurinol { reduced: false, .. } => Some(Direction::Lower),
            Kind::Aza(super::aza_order_check::Found::AboveMgPerKg { .. }) => Some(Direction::Lower),
            _ => None,
        }
    }
}

/// An amount against an absolute limit: above → warning, at or above
/// `dose_slip_factor` × the limit → critical ("check the unit/dose").
pub fn absolute_limit(
    substance: Substance,
    per: Per,
    amount: f64,
    limit: f64,
    policy: &Policy,
) -> Option<Concern> {
    if amount <= limit + 1e-9 {
        return None;
    }
    let slip = amount >= policy.dose_slip_factor * limit - 1e-9;
    Some(Concern::new(
        if slip {
            Indicator::Critical
        } else {
            Indicator::Warning
        },
        Kind::AboveLimit(Limit {
            substance,
            per,
            amount,
            limit,
            slip_factor: policy.dose_slip_factor,
            slip,
        }),
    ))
}

/// Sorts the concerns worst first; stable, so equal concerns keep the order
/// the rule found them in.
pub fn worst_first(concerns: &mut [Concern]) {
    concerns.sort_by_key(|c| std::cmp::Reverse(c.indicator));
}

/// Folds the concerns about one order into one card; `None` without concerns.
/// The card pulls the order's dose down when a concern does (never for an
/// active medication: [`Card::ActiveMethotrexate`]).
pub fn card(
    topic: Topic,
    m: &Med,
    card: Card,
    mut concerns: Vec<Concern>,
    basis: Option<Basis>,
    overrides: Vec<OverrideReason>,
) -> Option<Finding<Found>> {
    worst_first(&mut concerns);
    let worst = concerns.first()?.indicator;
    let pull = (card != Card::ActiveMethotrexate)
        .then(|| concerns.iter().find_map(|c| c.kind.pull()))
        .flatten()
        .map(|direction| Pull {
            order: m.reference.clone(),
            direction,
        });
    Some(Finding {
        topic,
        indicator: worst,
        what: Found {
            card,
            order: m.name.clone(),
            concerns,
            basis,
        },
        notes: vec![],
        pull,
        // A critical card about a draft carries the action that removes it.
        suggestions: if worst == Indicator::Critical && card != Card::ActiveMethotrexate {
            crate::clinical::remove_draft(m).into_iter().collect()
        } else {
            vec![]
        },
        selection: Selection::AtMostOne,
        override_reasons: overrides,
    })
}

/// The pre-treatment lines as concerns of an order check's card (worded by
/// the card).
pub fn pretreatment(facts: &Facts, policy: &Policy, drug: Drug) -> Vec<Concern> {
    crate::clinical::pretreatment::lines(facts, policy, drug)
        .into_iter()
        .map(|l| {
            Concern::new(
                l.indicator,
                Kind::Pretreatment(l),
            )
        })
        .collect()
}

/// The amount per day a risk rule may assume: the daily dose, or the dose of
/// one administration when the frequency is unknown (at least that per day).
pub fn per_day_at_least(m: &Med) -> Option<(f64, bool)> {
    let d = m.dose.as_ref()?;
    Some((d.per_day_mg_at_least(), d.frequency.is_known()))
}

impl crate::clinical::Reads for Found {
    const AREAS: &'static [crate::facts::DataArea] = &[crate::facts::DataArea::RenalFunction];
}

#[cfg(test)]
mod cases;
