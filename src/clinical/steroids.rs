//! Glucocorticoid exposure in prednisone-equivalent mg/day (REFERENCE.md 2.1,
//! POLICY.md): which orders count (systemic routes only; budesonide and
//! fludrocortisone never converted) and their sum with active therapy.

use crate::facts::{Facts, Med};
use crate::terminology::medication::{Drug, Gc};

use super::Policy;

/// Prednisone-equivalent factor (mg prednisone per mg of the drug).
/// Meikle & Tyler 1977 and standard tables (REFERENCE.md 2.1); betamethasone
/// per POLICY.md.
pub fn factor(gc: Gc, policy: &Policy) -> f64 {
    match gc {
        Gc::Prednisone | Gc::Prednisolone => 1.0,
        Gc::Methylprednisolone | Gc::Triamcinolone => 1.25,
        Gc::Hydrocortisone => 0.25,
        Gc::Cortisone => 0.2,
        Gc::Dexamethasone => 6.67,
        Gc::Betamethasone => policy.betamethasone_factor,
        Gc::Deflazacort => 0.833,
    }
}

/// A systemic glucocorticoid order or medication, converted.
#[derive(Debug, Clone)]
pub struct GcUse<'a> {
    pub med: &'a Med,
    pub gc: Gc,
    pub factor: f64,
    /// mg/day of the drug itself.
    pub per_day_mg: Option<f64>,
    /// mg/day prednisone-equivalent.
    pub pred_eq: Option<f64>,
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
        .filter_map(|med| {
            let gc = systemic_gc(med)?;
            let f = factor(gc, policy);
            let per_day = med.dose.as_ref().and_then(|d| d.per_day_mg());
            Some(GcUse {
                med,
                gc,
                factor: f,
                per_day_mg: per_day,
                pred_eq: per_day.map(|d| crate::facts::dose::round_mg(d * f)),
            })
        })
        .collect()
}

/// The hook's systemic glucocorticoid orders and the active ones.
#[derive(Debug, Clone)]
pub struct Exposure<'a> {
    pub orders: Vec<GcUse<'a>>,
    pub active: Vec<GcUse<'a>>,
}

impl<'a> Exposure<'a> {
    pub fn of(facts: &'a Facts, policy: &Policy) -> Self {
        Exposure {
            orders: uses(&facts.orders, policy),
            active: uses(&facts.active_meds, policy),
        }
    }
    /// Sum of the orders whose dose is known.
    pub fn order_total(&self) -> f64 {
        self.orders.iter().filter_map(|u| u.pred_eq).sum()
    }
    pub fn active_total(&self) -> f64 {
        self.active.iter().filter_map(|u| u.pred_eq).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equivalence_table() {
        // (drug, mg/day, prednisone-equivalent mg/day) - REFERENCE.md 1.1 and 6.
        let p = Policy::default();
        let cases = [
            (Gc::Prednisone, 60.0, 60.0),
            (Gc::Methylprednisolone, 1000.0, 1250.0), // 1 g IV = 1 250 mg
            (Gc::Dexamethasone, 4.0, 26.68),          // ≈26.7 -> SRC card in SSc
            (Gc::Hydrocortisone, 100.0, 25.0),
            (Gc::Betamethasone, 1.8, 14.994), // 8.33: errs toward firing
            (Gc::Deflazacort, 6.0, 4.998),
            (Gc::Cortisone, 25.0, 5.0),
        ];
        for (gc, mg, want) in cases {
            assert!((mg * factor(gc, &p) - want).abs() < 0.01, "{gc:?}");
        }
    }
}
