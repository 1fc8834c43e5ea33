//! What a changed glucocorticoid dose is ordered as (POLICY second edition,
//! "Suggestions EHRs can apply"): a product whose strength gives a whole
//! number of units per dose, or else the ingredient with the dose in mg.
//!
//! An EHR that applies only the suggested medication code (the public CDS
//! Hooks sandbox keeps `medicationCodeableConcept.coding[0].code` and drops
//! the dose) must get the product that, at the instruction's whole units,
//! gives the suggested dose; the draft's own product, kept with a new mg
//! figure, would not (35 mg of a 20 mg tablet is 1.75 tablets).
//!
//! Every code here is in the verified glucocorticoid ValueSet
//! (`fhir-profiles/valuesets/medication-glucocorticoid.json`) with this very
//! RxNorm name; a test holds the two together. No code is added here that is
//! not there.

use crate::terminology::medication::{DoseForm, Gc, Identified, MatchedBy, Strength};

/// An oral tablet product: RxNorm code, RxNorm name, mg per tablet.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tablet {
    pub gc: Gc,
    pub rxnorm: &'static str,
    pub display: &'static str,
    pub strength_mg: f64,
}

const fn tablet(gc: Gc, rxnorm: &'static str, display: &'static str, strength_mg: f64) -> Tablet {
    Tablet {
        gc,
        rxnorm,
        display,
        strength_mg,
    }
}

/// The plain oral tablets a dose change may use, largest strength first
/// (common strengths only: no delayed-release tablets, packs or rare sizes).
pub const TABLETS: &[Tablet] = &[
    tablet(
        Gc::Prednisone,
        "198148",
        "Prednisone 50 MG Oral Tablet",
        50.0,
    ),
    tablet(
        Gc::Prednisone,
        "312615",
        "Prednisone 20 MG Oral Tablet",
        20.0,
    ),
    tablet(
        Gc::Prednisone,
        "198145",
        "Prednisone 10 MG Oral Tablet",
        10.0,
    ),
    tablet(Gc::Prednisone, "312617", "Prednisone 5 MG Oral Tablet", 5.0),
    tablet(
        Gc::Prednisone,
        "198146",
        "Prednisone 2.5 MG Oral Tablet",
        2.5,
    ),
    tablet(Gc::Prednisone, "198144", "Prednisone 1 MG Oral Tablet", 1.0),
    tablet(
        Gc::Prednisolone,
        "199967",
        "prednisoLONE 25 MG Oral Tablet",
        25.0,
    ),
    tablet(
        Gc::Prednisolone,
        "198142",
        "prednisoLONE 5 MG Oral Tablet",
        5.0,
    ),
    tablet(
        Gc::Prednisolone,
        "199343",
        "prednisoLONE 1 MG Oral Tablet",
        1.0,
    ),
];

/// RxNorm ingredient codes (verified ValueSet): (glucocorticoid, code, name).
pub const INGREDIENTS: &[(Gc, &str, &str)] = &[
    (Gc::Prednisone, "8640", "prednisone"),
    (Gc::Prednisolone, "8638", "prednisolone"),
];

/// The most tablets per dose a suggestion asks a patient to take; beyond
/// it the ingredient is ordered in mg and the pharmacy chooses the tablets.
pub const MAX_UNITS: u32 = 10;

/// What a changed dose is ordered as.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum DoseProduct {
    /// `units` tablets of `tablet` per dose: `units × strength_mg` is the dose.
    Tablets { tablet: Tablet, units: u32 },
    /// The RxNorm ingredient, with the dose in mg.
    Ingredient {
        rxnorm: &'static str,
        display: &'static str,
        mg: f64,
    },
}

impl DoseProduct {
    /// mg per dose this product gives as ordered.
    pub fn mg(&self) -> f64 {
        match self {
            DoseProduct::Tablets { tablet, units } => f64::from(*units) * tablet.strength_mg,
            DoseProduct::Ingredient { mg, .. } => *mg,
        }
    }
    /// The RxNorm code and name of `medicationCodeableConcept.coding[0]`.
    pub fn coding(&self) -> (&'static str, &'static str) {
        match self {
            DoseProduct::Tablets { tablet, .. } => (tablet.rxnorm, tablet.display),
            DoseProduct::Ingredient {
                rxnorm, display, ..
            } => (rxnorm, display),
        }
    }
}

/// Whole tablets of `t` that make exactly `dose_mg`, within [`MAX_UNITS`].
fn units_of(t: &Tablet, dose_mg: f64) -> Option<u32> {
    if !dose_mg.is_finite() || dose_mg <= 0.0 {
        return None;
    }
    let n = (dose_mg / t.strength_mg).round();
    (n >= 1.0 && n <= f64::from(MAX_UNITS) && n * t.strength_mg == dose_mg).then_some(n as u32)
}

/// The product for a changed oral dose of `gc` of `dose_mg` per dose, given
/// the draft's identification. In order: the draft's own tablet when it
/// gives the dose in whole tablets; else the largest tablet that does;
/// else (a liquid or other form, a route other than oral, a dose no tablet
/// makes) the ingredient with the dose in mg. `None` for a glucocorticoid
/// without a verified ingredient code here.
pub fn for_dose(
    gc: Gc,
    dose_mg: f64,
    oral: bool,
    draft: Option<&Identified>,
) -> Option<DoseProduct> {
    let (_, rxnorm, display) = INGREDIENTS.iter().find(|(g, _, _)| *g == gc)?;
    let ingredient = DoseProduct::Ingredient {
        rxnorm,
        display,
        mg: dose_mg,
    };
    // A tablet only where the draft is (or may be) a tablet: a liquid stays a liquid.
    let solid = draft.is_none_or(|i| {
        matches!(i.form, DoseForm::Oral | DoseForm::Unknown)
            && !matches!(
                i.strength,
                Some(Strength::PerMl(_) | Strength::PerDevice { .. })
            )
    });
    if !oral || !solid {
        return Some(ingredient);
    }
    let own = draft.and_then(|i| match &i.matched_by {
        MatchedBy::RxNormProduct(code) => TABLETS.iter().find(|t| t.rxnorm == code),
        _ => None,
    });
    let pick = own
        .filter(|t| t.gc == gc)
        .and_then(|t| Some((*t, units_of(t, dose_mg)?)))
        .or_else(|| {
            TABLETS
                .iter()
                .filter(|t| t.gc == gc)
                .find_map(|t| Some((*t, units_of(t, dose_mg)?)))
        });
    Some(match pick {
        Some((tablet, units)) => DoseProduct::Tablets { tablet, units },
        None => ingredient,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::terminology::medication::Drug;
    use crate::terminology::{Concept, Terminology, RXNORM};
    use proptest::prelude::*;

    fn drafted(code: &str, form: DoseForm, strength: Option<Strength>) -> Identified {
        Identified {
            drug: Drug::Glucocorticoid(Gc::Prednisone),
            matched_by: MatchedBy::RxNormProduct(code.into()),
            name: String::new(),
            strength,
            form,
        }
    }

    #[test]
    fn every_code_is_in_the_verified_valueset_with_its_name() {
        let t = Terminology::embedded().unwrap();
        for p in TABLETS {
            assert!(
                t.contains(Concept::Glucocorticoid, RXNORM, p.rxnorm),
                "{p:?}"
            );
            assert_eq!(t.display(RXNORM, p.rxnorm), Some(p.display), "{p:?}");
            // The strength is the one the name states.
            let mg = crate::text::amount(p.strength_mg);
            assert!(
                p.display.contains(&format!(" {mg} MG Oral Tablet")),
                "{p:?}"
            );
        }
        for (_, code, name) in INGREDIENTS {
            assert!(t.contains(Concept::Glucocorticoid, RXNORM, code));
            assert_eq!(t.display(RXNORM, code), Some(*name));
        }
    }

    #[test]
    fn product_table() {
        let pred20 = drafted("312615", DoseForm::Oral, Some(Strength::PerUnit(20.0)));
        let pred5 = drafted("312617", DoseForm::Oral, Some(Strength::PerUnit(5.0)));
        let liquid = drafted("205301", DoseForm::Oral, Some(Strength::PerMl(5.0)));
        // (dose mg, oral, draft, expected code, expected units; 0 = ingredient in mg)
        let cases: &[(f64, bool, Option<&Identified>, &str, u32)] = &[
            // S1/S2: 35 mg from a 20 mg tablet draft: 7 × 5 mg.
            (35.0, true, Some(&pred20), "312617", 7),
            // The draft's own tablet when it gives whole tablets.
            (60.0, true, Some(&pred20), "312615", 3),
            (40.0, true, Some(&pred5), "312617", 8),
            // Too many of the draft's tablets: the largest that divides.
            (60.0, true, Some(&pred5), "312615", 3),
            (70.0, true, None, "198145", 7),
            (80.0, true, None, "312615", 4),
            (50.0, true, None, "198148", 1),
            (37.5, true, None, "8640", 0), // 15 × 2.5 mg: too many
            (7.5, true, None, "198146", 3),
            // A liquid or a non-oral route: the ingredient, in mg.
            (35.0, true, Some(&liquid), "8640", 0),
            (35.0, false, Some(&pred20), "8640", 0),
        ];
        for (mg, oral, draft, code, units) in cases {
            let p = for_dose(Gc::Prednisone, *mg, *oral, *draft).unwrap();
            let got = match p {
                DoseProduct::Tablets { tablet, units } => (tablet.rxnorm, units),
                DoseProduct::Ingredient { rxnorm, mg: m, .. } => {
                    assert_eq!(m, *mg);
                    (rxnorm, 0)
                }
            };
            assert_eq!(got, (*code, *units), "{mg} {oral} {draft:?}");
            assert_eq!(p.mg(), *mg);
        }
        assert!(matches!(
            for_dose(Gc::Prednisolone, 35.0, true, None),
            Some(DoseProduct::Tablets { units: 7, .. })
        ));
        assert_eq!(for_dose(Gc::Dexamethasone, 6.0, true, None), None);
    }

    proptest! {
        /// Every dose change: whole units, and units × strength = the dose exactly.
        #[test]
        fn whole_units_give_the_dose_exactly(
            steps in 1u32..400,
            step in prop::sample::select(vec![0.5, 1.0, 2.5, 5.0, 0.1]),
            gc in prop::sample::select(vec![Gc::Prednisone, Gc::Prednisolone]),
            oral in any::<bool>(),
            own in prop::option::of(prop::sample::select(TABLETS.to_vec())),
        ) {
            let dose = crate::clinical::body::round_to(f64::from(steps) * step, step);
            let draft = own.map(|t| drafted(t.rxnorm, DoseForm::Oral, Some(Strength::PerUnit(t.strength_mg))));
            let p = for_dose(gc, dose, oral, draft.as_ref()).unwrap();
            match p {
                DoseProduct::Tablets { tablet, units } => {
                    prop_assert_eq!(tablet.gc, gc);
                    prop_assert!((1..=MAX_UNITS).contains(&units));
                    prop_assert_eq!(f64::from(units) * tablet.strength_mg, dose);
                }
                DoseProduct::Ingredient { rxnorm, mg, .. } => {
                    prop_assert_eq!(mg, dose);
                    prop_assert!(INGREDIENTS.iter().any(|(g, c, _)| *g == gc && *c == rxnorm));
                }
            }
        }
    }
}
