//! # Steroid-sparing agent from day one (`steroid-sparing-day-one`)
//!
//! Guidance: "Start combination therapy immediately with high-dose
//! corticosteroids [...] plus methotrexate 15-20 mg/m²/week as the first-line
//! steroid-sparing agent from day one. [...] Corticosteroid monotherapy fails
//! in 86% of myositis patients." — "Preferably administer subcutaneously" —
//! "Add folic acid 1 mg/day supplementation" — "Alternative first-line agents
//! if methotrexate is contraindicated: Azathioprine at 2 mg/kg ideal body
//! weight, particularly preferred for interstitial lung disease or pregnancy
//! planning; Mycophenolate mofetil [...] 500 mg twice daily initially".
//!
//! POLICY.md: myositis and a systemic glucocorticoid order, with no
//! methotrexate, azathioprine or mycophenolate active or drafted → warning with
//! `at-most-one` suggestions:
//! - methotrexate 15 mg/m²/week (Mosteller) rounded **up** to 2.5 mg, at most
//!   40 mg, SC weekly; folic acid 1 mg daily is stated on the card and
//!   suggested by the methotrexate order's own check once the order comes
//!   back (one action per suggestion: POLICY "Suggestions EHRs can apply");
//! - azathioprine 2 mg/kg dosing weight (ideal body weight, or actual if lower)
//!   rounded to 25 mg, daily (check TPMT/NUDT15 first);
//! - mycophenolate mofetil 500 mg twice daily.
//!
//! Methotrexate is recommended unless contraindicated, azathioprine with ILD or
//! pregnancy planning. Methotrexate is not offered when contraindicated
//! (pregnancy, eGFR < 30 — the critical items of the methotrexate check);
//! mycophenolate is not offered in pregnancy (REFERENCE.md 4).
//!
//! POLICY second edition ("Our suggestions pass our own checks"): "An option
//! whose order check would warn (liver disease, hepatitis B/C, ILD for MTX,
//! TMP-SMX, unstable or reduced renal function [...]) is not offered. If no
//! option remains, the card says 'no steroid-sparing agent can be suggested
//! safely: specialist decision'." "Methotrexate start ≤ 25 mg/week (the card
//! shows the guidance's 15–20 mg/m² figure and that escalation up to 40
//! mg/week is possible); azathioprine ≤ 2 mg/kg dosing weight and ≤ 300
//! mg/day." Renal: "eGFR 30–59: not suggested in SSc (a crisis can drop renal
//! function suddenly: azathioprine or MMF instead); outside SSc suggested at
//! 50 % dose. Unstable renal function: MTX not suggested. Unknown: the MTX
//! suggestion says 'check creatinine before the first dose'."

mod orders;
pub mod words;

pub use orders::folic_acid;

use crate::clinical::{Figure, Need, Outcome, Unchecked};
use crate::clinical::body::WeightUsed;
use crate::clinical::body::{
    bsa_mosteller, ceil_to, dosing_weight_of, floor_to, round_to, DosingWeight,
};
use crate::clinical::pretreatment::{self, LineKind};
use crate::clinical::reproductive::{self, Reproductive};
use crate::clinical::PatientScope;
use crate::clinical::{Finding, Indicator, OverrideReason, Policy, Selection, Topic};
use crate::facts::renal::RenalFunction;
use crate::facts::{Facts, Ignored, Reading, Sex};
use crate::terminology::medication::Drug;
use crate::terminology::Concept;

/// What this rule found: a glucocorticoid ordered for myositis with no
/// steroid-sparing agent, and what each agent would be.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    /// The glucocorticoid order's name as ordered (record text).
    pub steroid: String,
    /// The weight used, when there is a trusted one.
    pub weight: Option<Box<WeightUsed>>,
    /// The height used, when there is a trusted one.
    pub height: Option<Box<Reading>>,
    /// Heights dated in the future, set aside.
    pub future_heights: Vec<Ignored>,
    /// Methotrexate: offered, not offered, or not computed.
    pub mtx: Box<Mtx>,
    /// Azathioprine: offered, not offered, or not computed.
    pub aza: Box<Aza>,
    /// Mycophenolate mofetil: offered or not.
    pub mmf: Mmf,
    /// The agent the card recommends, if any.
    pub recommended: Option<Agent>,
    /// Every agent withheld for safety (not for a missing figure).
    pub none_safe: bool,
    /// Why azathioprine is preferred over methotrexate, if it is.
    pub prefer_aza: Option<AzaPreferred>,
    /// Prednisone-equivalent mg/day of the steroid, when at or above the
    /// Pneumocystis threshold with an agent offered.
    pub pneumocystis: Option<f64>,
    /// Hepatitis B known (positive test or chronic hepatitis B on the problem
    /// list) with the steroid at or above `hbv_gc_mg_per_day`: the steroid
    /// itself needs antiviral prophylaxis (the prednisone-equivalent mg/day).
    pub gc_hbv: Option<f64>,
    /// The policy figures the words state.
    pub figures: Box<Figures>,
}

/// A steroid-sparing agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Agent {
    Methotrexate,
    Azathioprine,
    Mycophenolate,
}

/// Why azathioprine is preferred.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AzaPreferred {
    /// Interstitial lung disease is on record.
    Ild,
    /// Pregnancy, possible pregnancy, breastfeeding or (female) planning.
    Reproductive,
}

/// Methotrexate.
#[derive(Debug, Clone, PartialEq)]
pub enum Mtx {
    /// Not offered: its order check would be critical or warn.
    NotOffered(Vec<MtxContra>),
    /// Offered at `dose` mg SC once weekly.
    Offered {
        /// Mosteller body-surface area, m².
        bsa: f64,
        /// Start mg/m² × BSA, mg/week.
        raw: f64,
        /// Outside SSc with eGFR 30–59: the renal reading the dose was halved for.
        halved_for: Option<Box<RenalFunction>>,
        /// The weekly mg aimed at (raw, or half of it).
        target: f64,
        /// `target` rounded up to the policy's step.
        rounded: f64,
        /// The suggested start, mg/week (`rounded`, at most the start ceiling).
        dose: f64,
        /// No renal function on file: check creatinine first.
        renal_unknown: bool,
        /// Reminders before the first dose (not blocking).
        before: Vec<LineKind>,
    },
    /// BSA not computed: height or weight missing.
    NotComputed,
}

/// Why methotrexate is not offered.
#[derive(Debug, Clone, PartialEq)]
pub enum MtxContra {
    /// Pregnancy, breastfeeding, possible pregnancy or planning.
    Teratogen(Reproductive),
    /// eGFR below the avoid threshold, or CKD 4–5 / dialysis on the problem list.
    RenalLow(RenalFunction),
    /// eGFR below the reduce threshold in SSc: a renal crisis can drop renal
    /// function suddenly.
    RenalSsc(RenalFunction),
    /// A recent creatinine rise (as the renal reading describes it).
    RenalUnstable(crate::facts::renal::Rise),
    /// Liver disease or chronic viral hepatitis.
    LiverDisease,
    /// Alcohol use disorder.
    AlcoholUse,
    /// Interstitial lung disease.
    Ild,
    /// Trimethoprim-sulfamethoxazole active or ordered.
    TmpSmx,
    /// Blocking pre-treatment results (hepatitis B, blood count, ALT).
    Pretreatment(Vec<LineKind>),
}

/// Azathioprine.
#[derive(Debug, Clone, PartialEq)]
pub enum Aza {
    /// Not offered.
    NotOffered(AzaBlock),
    /// Offered at `dose` mg once daily.
    Offered {
        /// The dosing weight and how it was found.
        weight: DosingWeight,
        /// Sex used for the ideal body weight.
        sex: Sex,
        /// Height used for the ideal body weight, cm.
        height_cm: f64,
        /// mg/kg × dosing weight, mg/day.
        exact: f64,
        /// The suggested mg/day: in tablet steps, not above `exact` (1 %) nor the ceiling.
        dose: f64,
        /// Reminders before the first dose (not blocking).
        before: Vec<LineKind>,
    },
    /// Ideal body weight not computed (sex, height or weight missing).
    NotComputed,
}

/// Why azathioprine is not offered.
#[derive(Debug, Clone, PartialEq)]
pub enum AzaBlock {
    /// The thiopurine check's reason.
    Thiopurine(super::thiopurine::Blocked),
    /// Blocking pre-treatment results.
    Pretreatment(Vec<LineKind>),
}

/// Mycophenolate mofetil.
#[derive(Debug, Clone, PartialEq)]
pub enum Mmf {
    /// Not offered in pregnancy, breastfeeding, possible pregnancy or planning.
    Teratogen(Reproductive),
    /// Not offered: blocking pre-treatment results.
    Pretreatment(Vec<LineKind>),
    /// Offered at the policy's start dose twice daily.
    Offered {
        /// Reminders before the first dose (not blocking).
        before: Vec<LineKind>,
    },
}

/// Policy figures the words state.
#[derive(Debug, Clone, PartialEq)]
pub struct Figures {
    pub mtx_mg_per_m2_low: f64,
    pub mtx_mg_per_m2_high: f64,
    pub mtx_start_mg_per_m2: f64,
    pub mtx_round_mg: f64,
    pub mtx_suggest_max_mg_per_week: f64,
    pub mtx_max_mg_per_week: f64,
    pub folic_acid_mg_per_day: f64,
    pub aza_mg_per_kg: f64,
    pub aza_round_mg: f64,
    pub mmf_start_mg: f64,
    pub pcp_gc_mg_per_day: f64,
    pub pcp_gc_weeks: f64,
    pub pretreatment_lab_max_age_days: f64,
    pub hcg_test_max_age_days: f64,
    pub alt_max_x_uln: f64,
}

impl Figures {
    fn of(p: &Policy) -> Self {
        Figures {
            mtx_mg_per_m2_low: p.mtx_mg_per_m2_low,
            mtx_mg_per_m2_high: p.mtx_mg_per_m2_high,
            mtx_start_mg_per_m2: p.mtx_start_mg_per_m2,
            mtx_round_mg: p.mtx_round_mg,
            mtx_suggest_max_mg_per_week: p.mtx_suggest_max_mg_per_week,
            mtx_max_mg_per_week: p.mtx_max_mg_per_week,
            folic_acid_mg_per_day: p.folic_acid_mg_per_day,
            aza_mg_per_kg: p.aza_mg_per_kg,
            aza_round_mg: p.aza_round_mg,
            mmf_start_mg: p.mmf_start_mg,
            pcp_gc_mg_per_day: p.pcp_gc_mg_per_day,
            pcp_gc_weeks: p.pcp_gc_weeks,
            pretreatment_lab_max_age_days: p.pretreatment_lab_max_age_days,
            hcg_test_max_age_days: p.hcg_test_max_age_days,
            alt_max_x_uln: p.alt_max_x_uln,
        }
    }
}

pub const TOPIC: Topic = Topic {
    code: "steroid-sparing-day-one",
    display: "Steroid-sparing agent from day one",
};

/// The card topics this rule can produce.
pub const TOPICS: &[Topic] = &[TOPIC];

pub const SETTINGS: &[&str] = &[
    "mtx_start_mg_per_m2",
    "in_place_rtx_months",
    "in_place_cyc_months",
    "in_place_ivig_weeks",
    "mtx_round_mg",
    "mtx_max_mg_per_week",
    "mtx_usual_adult_max_mg_per_week",
    "mtx_egfr_avoid_below",
    "mtx_egfr_reduce_below",
    "mtx_suggest_max_mg_per_week",
    "aza_suggest_max_mg_per_day",
    "pcp_gc_mg_per_day",
    "pcp_gc_weeks",
    "folic_acid_mg_per_day",
    "aza_mg_per_kg",
    "aza_round_mg",
    "mmf_start_mg",
    "weight_max_age_days",
    "weight_conflict_pct",
    "pregnancy_condition_days",
    "hcg_positive_days",
];

/// RxNorm products suggested (REFERENCE.md 5.3, V2+).
/// Therapy already in place that a steroid-sparing start would duplicate
/// (POLICY third edition, "Therapy already in place"): rituximab within
/// `in_place_rtx_months`, cyclophosphamide within `in_place_cyc_months`,
/// IVIG within `in_place_ivig_weeks` of its order (or its statement), active,
/// on hold, reported or drafted. An order with no date counts (safe side).
/// Courses already completed are not fetched (the prefetch asks for active
/// and on-hold orders): those are not seen.
pub fn in_place(facts: &Facts, policy: &Policy) -> Option<Drug> {
    [
        (Drug::Rituximab, policy.in_place_rtx_months * 30.44),
        (Drug::Cyclophosphamide, policy.in_place_cyc_months * 30.44),
        (Drug::Ivig, policy.in_place_ivig_weeks * 7.0),
    ]
    .into_iter()
    .find(|(drug, days)| {
        facts.all_meds().any(|m| {
            m.is(*drug)
                && m.authored
                    .is_none_or(|d| ((facts.today - d).num_days() as f64) <= *days)
        })
    })
    .map(|(drug, _)| drug)
}

/// Reasons methotrexate must not be offered: its order check would be
/// critical or would warn.
pub fn mtx_contraindications(facts: &Facts, policy: &Policy) -> Vec<MtxContra> {
    let mut out = vec![];
    let repro = reproductive::state(facts, policy);
    if repro.excludes_teratogens() {
        out.push(MtxContra::Teratogen(repro));
    }
    let renal = facts.renal();
    if renal.is_below(policy.mtx_egfr_avoid_below) {
        out.push(MtxContra::RenalLow(renal.clone()));
    } else if renal.is_below(policy.mtx_egfr_reduce_below) && facts.has_ssc() {
        out.push(MtxContra::RenalSsc(renal.clone()));
    }
    if let Some(u) = &renal.unstable {
        out.push(MtxContra::RenalUnstable(u.clone()));
    }
    if facts.has(Concept::LiverDisease) {
        out.push(MtxContra::LiverDisease);
    }
    if facts.has(Concept::AlcoholUse) {
        out.push(MtxContra::AlcoholUse);
    }
    if facts.has(Concept::Ild) || facts.has(Concept::SscIld) {
        out.push(MtxContra::Ild);
    }
    if facts.all_meds().any(|m| m.is(Drug::TmpSmx)) {
        out.push(MtxContra::TmpSmx);
    }
    let blocking = blocking(facts, policy, Drug::Methotrexate);
    if !blocking.is_empty() {
        out.push(MtxContra::Pretreatment(blocking));
    }
    out
}

/// Blocking pre-treatment results for `drug`.
fn blocking(facts: &Facts, policy: &Policy, drug: Drug) -> Vec<LineKind> {
    pretreatment::lines(facts, policy, drug)
        .into_iter()
        .filter(|l| l.blocking)
        .map(|l| l.kind)
        .collect()
}

/// Pre-treatment reminders (not blocking) for a suggested drug.
fn reminders(facts: &Facts, policy: &Policy, drug: Drug) -> Vec<LineKind> {
    pretreatment::lines(facts, policy, drug)
        .into_iter()
        .filter(|l| !l.blocking)
        .map(|l| l.kind)
        .collect()
}

pub fn evaluate(facts: &Facts, policy: &Policy) -> Outcome<Found> {
    let mut out = Outcome::default();
    if !facts.has_myositis() {
        return out;
    }
    let Some(gc) = facts
        .orders
        .iter()
        .find(|m| crate::clinical::steroids::systemic_gc(m).is_some())
    else {
        return out;
    };
    if facts
        .all_meds()
        .any(|m| m.drug().is_some_and(Drug::is_steroid_sparing))
        || in_place(facts, policy).is_some()
    {
        return out;
    }
    let w = facts.weight();
    let h = facts.height();
    let mut suggestions = vec![];

    // Methotrexate.
    let contra = mtx_contraindications(facts, policy);
    let bsa = match (w, h) {
        (Some(w), Some(h)) => Some(bsa_mosteller(h.value, w.value)),
        _ => None,
    };
    let mtx = if !contra.is_empty() {
        Mtx::NotOffered(contra.clone())
    } else if let Some(bsa) = bsa {
        let raw = policy.mtx_start_mg_per_m2 * bsa;
        let renal = facts.renal();
        // Outside SSc, eGFR 30–59: half the dose (the order check's reduction).
        let reduced = renal.is_below(policy.mtx_egfr_reduce_below);
        let target = if reduced { raw * 0.5 } else { raw };
        let rounded = ceil_to(target, policy.mtx_round_mg);
        // Reduced for renal function: at most the reduced maximum, so the
        // order check finds the suggestion, sent back, already reduced.
        let ceiling = if reduced {
            policy.mtx_renal_max_mg_per_week
        } else {
            policy.mtx_suggest_max_mg_per_week
        };
        let dose = rounded.min(ceiling);
        Mtx::Offered {
            bsa,
            raw,
            halved_for: reduced.then(|| Box::new(renal.clone())),
            target,
            rounded,
            dose,
            renal_unknown: !renal.is_known(),
            before: reminders(facts, policy, Drug::Methotrexate),
        }
    } else {
        let missing = if w.is_none() {
            Figure::Weight
        } else {
            Figure::Height
        };
        out.needs.push(Need {
            figure: missing,
            why: Unchecked::MtxDose,
        });
        Mtx::NotComputed
    };
    let mtx_dose = match &mtx {
        Mtx::Offered { dose, .. } => Some(*dose),
        _ => None,
    };

    // Azathioprine.
    let aza_blocked = super::thiopurine::azathioprine_blocked(facts)
        .map(AzaBlock::Thiopurine)
        .or_else(|| {
            let b = blocking(facts, policy, Drug::Azathioprine);
            (!b.is_empty()).then_some(AzaBlock::Pretreatment(b))
        });
    let aza = match (aza_blocked, dosing_weight_of(facts), facts.sex.zip(h)) {
        (Some(why), _, _) => Aza::NotOffered(why),
        (None, Ok(dw), Some((sex, h))) => {
            // Rounded to the nearest tablet step, but not above 2 mg/kg dosing
            // weight (beyond measurement noise: 1 %) nor the ceiling (POLICY
            // second edition).
            let exact = policy.aza_mg_per_kg * dw.dosing;
            let nearest = round_to(exact, policy.aza_round_mg);
            let dose = if nearest > exact * 1.01 {
                floor_to(exact, policy.aza_round_mg)
            } else {
                nearest
            }
            .min(policy.aza_suggest_max_mg_per_day);
            Aza::Offered {
                weight: dw,
                sex,
                height_cm: h.value,
                exact,
                dose,
                before: reminders(facts, policy, Drug::Azathioprine),
            }
        }
        (None, Err(figure), _) => {
            out.needs.push(Need {
                figure,
                why: Unchecked::AzaDose,
            });
            Aza::NotComputed
        }
        (None, Ok(_), None) => Aza::NotComputed,
    };
    let aza_dose = match &aza {
        Aza::Offered { dose, .. } => Some(*dose),
        _ => None,
    };

    // Mycophenolate.
    let repro = reproductive::state(facts, policy);
    let mmf = if repro.excludes_teratogens() {
        Mmf::Teratogen(repro.clone())
    } else {
        let b = blocking(facts, policy, Drug::Mycophenolate);
        if b.is_empty() {
            Mmf::Offered {
                before: reminders(facts, policy, Drug::Mycophenolate),
            }
        } else {
            Mmf::Pretreatment(b)
        }
    };
    let mmf_offered = matches!(mmf, Mmf::Offered { .. });
    let pregnant = matches!(repro, Reproductive::Pregnant(_));

    let ild = facts.has(Concept::Ild) || facts.has(Concept::SscIld);
    let prefer_aza = if ild {
        Some(AzaPreferred::Ild)
    } else if repro.excludes_teratogens() || pregnant {
        Some(AzaPreferred::Reproductive)
    } else {
        None
    };
    let recommend_mtx = mtx_dose.is_some() && prefer_aza.is_none();
    let recommend_aza = aza_dose.is_some() && !recommend_mtx;
    let recommend_mmf = mmf_offered && mtx_dose.is_none() && aza_dose.is_none();
    // One action per suggestion, the agents as alternatives: folic acid comes
    // with the methotrexate order's own check when that order comes back.
    if let Some(dose) = mtx_dose {
        suggestions.push(orders::methotrexate(dose, recommend_mtx));
    }
    if let Some(dose) = aza_dose {
        suggestions.push(orders::azathioprine(dose, recommend_aza));
    }
    if mmf_offered {
        suggestions.push(orders::mycophenolate(policy, recommend_mmf));
    }

    let recommended = if recommend_mtx {
        Some(Agent::Methotrexate)
    } else if recommend_aza {
        Some(Agent::Azathioprine)
    } else if recommend_mmf {
        Some(Agent::Mycophenolate)
    } else {
        None
    };
    // Every option withheld for safety (not for a missing figure): say so.
    let none_safe = !contra.is_empty() && matches!(aza, Aza::NotOffered(_)) && !mmf_offered;
    // Pneumocystis prophylaxis (POLICY second edition, "Before immunosuppression"):
    // a glucocorticoid >= 20 mg/day (given for >= 4 weeks) with a second
    // immunosuppressant, as suggested here.
    let gc_total = crate::clinical::steroids::Exposure::of(facts, policy).total_after();
    let pneumocystis = (gc_total >= policy.pcp_gc_mg_per_day - 1e-9 && !suggestions.is_empty())
        .then_some(gc_total);
    let found = Found {
        steroid: gc.name.clone(),
        weight: WeightUsed::of(facts, policy).map(Box::new),
        height: h.cloned().map(Box::new),
        future_heights: if h.is_some() {
            facts.ignored("height").cloned().collect()
        } else {
            vec![]
        },
        mtx: Box::new(mtx),
        aza: Box::new(aza),
        mmf,
        recommended,
        none_safe,
        prefer_aza,
        pneumocystis,
        gc_hbv: crate::clinical::pretreatment::glucocorticoid_hbv(facts, policy, gc_total)
            .iter()
            .any(|l| l.kind == crate::clinical::pretreatment::LineKind::HbvPositive)
            .then_some(gc_total),
        figures: Box::new(Figures::of(policy)),
    };
    out.findings.push(Finding {
        topic: TOPIC,
        indicator: Indicator::Warning,
        what: found,
        notes: vec![],
        pull: None,
        suggestions,
        selection: Selection::AtMostOne,
        override_reasons: vec![
            OverrideReason::RecordedElsewhere,
            OverrideReason::DiagnosisNotConfirmed,
            OverrideReason::PatientDeclined,
        ],
    });
    out
}

impl crate::clinical::Reads for Found {
    const AREAS: &'static [crate::facts::DataArea] = &[crate::facts::DataArea::Weight, crate::facts::DataArea::Height, crate::facts::DataArea::RenalFunction];
}

#[cfg(test)]
mod cases;
