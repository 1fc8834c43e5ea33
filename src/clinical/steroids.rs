//! Glucocorticoid exposure in prednisone-equivalent mg/day (REFERENCE.md 2.1,
//! POLICY.md): which orders count (systemic routes only; budesonide and
//! fludrocortisone never converted) and their sum with active therapy.

use crate::facts::{Facts, Med};
use crate::terminology::medication::{Drug, Gc};

use super::Policy;

/// The dose of each glucocorticoid equal to prednisone 5 mg (POLICY second
/// edition, "Steroid equivalence"; Meikle & Tyler 1977): the factor is
/// computed exactly from it, so thresholds compare exact values.
pub fn equivalent_mg(gc: Gc, policy: &Policy) -> f64 {
    match gc {
        Gc::Prednisone | Gc::Prednisolone => 5.0,
        Gc::Methylprednisolone | Gc::Triamcinolone => 4.0,
        Gc::Dexamethasone => 0.75,
        Gc::Betamethasone => policy.betamethasone_equivalent_mg,
        Gc::Hydrocortisone => 20.0,
        Gc::Cortisone => 25.0,
        Gc::Deflazacort => 6.0,
    }
}

/// Prednisone-equivalent factor (mg prednisone per mg of the drug).
pub fn factor(gc: Gc, policy: &Policy) -> f64 {
    5.0 / equivalent_mg(gc, policy)
}

/// A systemic glucocorticoid order or medication, converted.
#[derive(Debug, Clone)]
pub struct GcUse<'a> {
    pub med: &'a Med,
    pub gc: Gc,
    pub factor: f64,
    /// mg/day of the drug itself, for today's exposure (a taper's first
    /// step; an as-needed order: none).
    pub per_day_mg: Option<f64>,
    /// mg/day prednisone-equivalent, for today's exposure.
    pub pred_eq: Option<f64>,
    /// mg/day of the drug itself, for limits (a taper's highest step, a
    /// range's high end, an as-needed dose at its maximum).
    pub limit_per_day_mg: Option<f64>,
    /// For limits and risk rules: prednisone-equivalent of the limit dose,
    /// a dose of unknown frequency read as at least that amount per day
    /// (POLICY, "Dose frequency").
    pub pred_eq_at_least: Option<f64>,
}

/// The glucocorticoid, when the medication is one given by a systemic route.
pub fn systemic_gc(med: &Med) -> Option<Gc> {
    match med.drug()? {
        Drug::Glucocorticoid(gc) if med.route.is_systemic() => Some(gc),
        _ => None,
    }
}

fn uses<'a>(meds: &'a [Med], policy: &Policy) -> Vec<GcUse<'a>> {
    meds.iter()
        // An order on hold is not taken today.
        .filter(|med| med.taken_now())
        .filter_map(|med| {
            let gc = systemic_gc(med)?;
            let f = factor(gc, policy);
            // Today's exposure and the limit are one dose for an order of
            // one step; they part for a taper or an as-needed order.
            let per_day = med.exposure_dose().and_then(|d| d.per_day_mg());
            let round = crate::facts::dose::round_mg;
            Some(GcUse {
                med,
                gc,
                factor: f,
                per_day_mg: per_day,
                pred_eq: per_day.map(|d| round(d * f)),
                limit_per_day_mg: med.dose.as_ref().and_then(|d| d.per_day_mg()),
                pred_eq_at_least: med
                    .dose
                    .as_ref()
                    .map(|d| round(d.per_day_mg_at_least() * f)),
            })
        })
        .collect()
}

/// The hook's systemic glucocorticoid orders and the active ones.
#[derive(Debug, Clone)]
pub struct Exposure<'a> {
    pub orders: Vec<GcUse<'a>>,
    pub active: Vec<GcUse<'a>>,
    /// Draft orders the hook does not ask about (order-select): signed with
    /// the others, so counted in the totals.
    pub other_drafts: Vec<GcUse<'a>>,
}

impl<'a> Exposure<'a> {
    pub fn of(facts: &'a Facts, policy: &Policy) -> Self {
        Exposure {
            orders: uses(&facts.orders, policy),
            active: uses(&facts.active_meds, policy),
            other_drafts: uses(&facts.other_drafts, policy),
        }
    }
    /// The draft orders (those asked about and the others), read for risk:
    /// unknown frequency as at least daily.
    pub fn drafts_total(&self) -> f64 {
        self.orders
            .iter()
            .chain(&self.other_drafts)
            .filter_map(|u| u.pred_eq_at_least)
            .sum()
    }
    pub fn active_total(&self) -> f64 {
        self.active.iter().filter_map(|u| u.pred_eq).sum()
    }
    /// Active glucocorticoids that no order replaces (they continue).
    pub fn continuing(&self) -> impl Iterator<Item = &GcUse<'a>> {
        self.active.iter().filter(|a| {
            !self
                .orders
                .iter()
                .any(|o| o.med.replaces.contains(&a.med.reference))
        })
    }
    /// Whether any order replaces an active glucocorticoid.
    pub fn replaces_any(&self) -> bool {
        self.orders.iter().any(|o| !o.med.replaces.is_empty())
    }
    /// For risk rules, the one reading of the orders (POLICY, "Replacing, not
    /// adding"): the orders plus the active glucocorticoids they do not
    /// replace, a dose of unknown frequency counted as at least its amount a day.
    pub fn total_after(&self) -> f64 {
        self.drafts_total()
            + self
                .continuing()
                .filter_map(|u| u.pred_eq_at_least)
                .sum::<f64>()
    }
    /// All draft orders of the same glucocorticoid and route as `u`, summed
    /// (several drafts of one ingredient add up).
    pub fn same_drug_total(&self, u: &GcUse<'_>) -> f64 {
        self.orders
            .iter()
            .chain(&self.other_drafts)
            .filter(|o| o.gc == u.gc && o.med.route == u.med.route)
            .filter_map(|o| o.pred_eq_at_least)
            .sum()
    }
    /// The total if the replaced active orders continued too.
    pub fn total_if_both_continue(&self) -> f64 {
        self.orders
            .iter()
            .chain(&self.other_drafts)
            .chain(&self.active)
            .filter_map(|u| u.pred_eq_at_least)
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equivalence_table() {
        // (drug, mg/day, prednisone-equivalent mg/day): exact ratios.
        let p = Policy::default();
        let cases = [
            (Gc::Prednisone, 60.0, 60.0),
            (Gc::Methylprednisolone, 1000.0, 1250.0), // 1 g IV = 1 250 mg
            (Gc::Dexamethasone, 4.0, 26.667),
            (Gc::Hydrocortisone, 100.0, 25.0),
            (Gc::Cortisone, 25.0, 5.0),
            // Boundaries: each equals prednisone 15 mg exactly.
            (Gc::Dexamethasone, 2.25, 15.0),
            (Gc::Methylprednisolone, 12.0, 15.0),
            (Gc::Betamethasone, 1.8, 15.0),
            (Gc::Deflazacort, 18.0, 15.0),
        ];
        for (gc, mg, want) in cases {
            let got = crate::facts::dose::round_mg(mg * factor(gc, &p));
            assert!((got - want).abs() < 0.001, "{gc:?} {mg}: {got}");
            if want == 15.0 {
                assert!(
                    got >= 15.0,
                    "{gc:?} {mg} must reach the 15 mg threshold: {got}"
                );
            }
        }
    }

    #[test]
    fn one_reading_of_the_orders_table() {
        use crate::facts::{Route, Schedule};
        use crate::rules::test_support::*;
        use crate::terminology::Concept;
        let p = Policy::default();
        let pred = |mg: f64, id: &str| {
            let mut m = prednisone(mg);
            m.reference = format!("MedicationRequest/{id}");
            m.id = Some(id.into());
            m
        };
        // (orders, other drafts, active (replaced by an order of the same drug and route?), total after)
        let mut f = patient(&[Concept::Ssc]);
        // Two drafts of one drug add up.
        f.orders = vec![pred(60.0, "a"), pred(60.0, "b")];
        let exp = Exposure::of(&f, &p);
        assert_eq!(exp.total_after(), 120.0);
        assert_eq!(exp.same_drug_total(&exp.orders[0]), 120.0);
        // A draft not selected (order-select) counts too.
        let mut f = patient(&[Concept::Ssc]);
        f.orders = vec![pred(10.0, "a")];
        f.other_drafts = vec![pred(10.0, "b")];
        assert_eq!(Exposure::of(&f, &p).total_after(), 20.0);
        // A re-order of the active drug replaces it; another drug adds.
        let mut f = patient(&[Concept::Ssc]);
        f.active_meds = vec![pred(20.0, "active")];
        let mut reorder = pred(10.0, "new");
        reorder.replaces = vec!["MedicationRequest/active".into()];
        f.orders = vec![reorder];
        let exp = Exposure::of(&f, &p);
        assert_eq!(exp.total_after(), 10.0);
        assert_eq!(exp.total_if_both_continue(), 30.0);
        let mut f = patient(&[Concept::Ssc]);
        f.active_meds = vec![pred(20.0, "active")];
        f.orders = vec![med(
            Drug::Glucocorticoid(Gc::Methylprednisolone),
            4.0,
            Schedule::DAILY,
            Route::Oral,
            "mp",
        )];
        assert_eq!(Exposure::of(&f, &p).total_after(), 25.0);
        // An active order on hold is not today's exposure; a reported one is.
        let mut f = patient(&[Concept::Ssc]);
        let mut held = pred(20.0, "held");
        held.on_hold = true;
        let mut reported = pred(5.0, "reported");
        reported.source_kind = crate::facts::SourceKind::Reported;
        f.active_meds = vec![held, reported];
        let exp = Exposure::of(&f, &p);
        assert_eq!(exp.active_total(), 5.0);
        assert_eq!(exp.total_after(), 5.0);
    }

    #[test]
    fn exposure_and_limit_doses_table() {
        use crate::facts::{Certainty, Dose, ExposureDose, Frequency, Schedule};
        use crate::rules::test_support::*;
        use crate::terminology::Concept;
        let p = Policy::default();
        let daily = |mg: f64| Dose {
            mg,
            frequency: Frequency::of(Schedule::DAILY, Certainty::Coded),
            derivation: crate::facts::Derivation::mg(mg),
        };
        // (limit mg/day, exposure, today's pred-eq, pred-eq for limits and risk)
        let cases = [
            // One step: the same dose for both.
            (20.0, ExposureDose::Limit, Some(20.0), Some(20.0)),
            // Escalation 20 → 60: 20 today, 60 for limits.
            (
                60.0,
                ExposureDose::Step(Some(daily(20.0))),
                Some(20.0),
                Some(60.0),
            ),
            // Taper 60 → 20: 60 both.
            (
                60.0,
                ExposureDose::Step(Some(daily(60.0))),
                Some(60.0),
                Some(60.0),
            ),
            // As needed, at most 40 mg a day: not today's exposure.
            (40.0, ExposureDose::AsNeeded, None, Some(40.0)),
        ];
        for (limit, exposure, today, at_least) in cases {
            let mut f = patient(&[Concept::Ssc]);
            let mut m = prednisone(limit);
            m.exposure = exposure.clone();
            f.orders = vec![m.clone()];
            f.active_meds = vec![m];
            let exp = Exposure::of(&f, &p);
            assert_eq!(exp.orders[0].pred_eq, today, "{exposure:?}");
            assert_eq!(exp.orders[0].pred_eq_at_least, at_least, "{exposure:?}");
            assert_eq!(exp.orders[0].limit_per_day_mg, Some(limit));
            // Active therapy counts today's exposure; the risk total the limit.
            assert_eq!(exp.active_total(), today.unwrap_or(0.0), "{exposure:?}");
            assert_eq!(exp.drafts_total(), limit, "{exposure:?}");
        }
    }
}
