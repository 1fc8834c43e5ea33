//! How an order is meant: its intent, and whether a new glucocorticoid order
//! replaces an active one or adds to it.
//!
//! POLICY (second edition, "Order intent"): "No `intent` (the sandbox sends
//! none) or any order intent = an order. `proposal`, `plan` and `option` are
//! advice: evaluated the same, and the detail says so."
//!
//! POLICY ("Replacing, not adding"): "A new glucocorticoid order whose
//! `priorPrescription` points to an active order replaces it (taper or
//! increase). Without it, a new order of the same ingredient and route as an
//! active one is also read as replacing it (the usual intent of a re-order)
//! [...]. Orders of different ingredients or routes add up. Several draft
//! orders of one ingredient are summed. One function gives this reading."

use super::Med;
use crate::terminology::medication::Drug;

/// What a MedicationRequest's `intent` means for the rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Intent {
    /// No intent, or an order intent.
    Order,
    /// proposal, plan or option: evaluated as an order, said on the card.
    Advice(String),
}

impl Intent {
    pub fn of(code: Option<&str>) -> Intent {
        match code.map(str::trim) {
            Some(c @ ("proposal" | "plan" | "option")) => Intent::Advice(c.to_string()),
            _ => Intent::Order,
        }
    }
    pub fn is_advice(&self) -> bool {
        matches!(self, Intent::Advice(_))
    }
}

/// The reference or id a `priorPrescription` names, matched against a medication.
fn names(reference: &str, med: &Med) -> bool {
    // A versioned reference ("MedicationRequest/a1/_history/2") names the
    // order whatever its version.
    let reference = reference.split("/_history/").next().unwrap_or(reference);
    if reference == med.reference {
        return true;
    }
    let id = reference.rsplit('/').next().unwrap_or(reference);
    med.id.as_deref() == Some(id)
        && (reference == id
            || reference.contains("MedicationRequest/")
            || reference.contains("MedicationOrder/"))
}

/// Fills `replaces` on each glucocorticoid order: the active medications it
/// replaces. `priorPrescription` first; else every active order of the same
/// glucocorticoid by the same route.
pub fn read_replacements(orders: &mut [Med], active: &[Med]) {
    for order in orders.iter_mut() {
        let Some(Drug::Glucocorticoid(gc)) = order.drug() else {
            continue;
        };
        order.replaces = match order.prior_prescription.as_deref() {
            Some(prior) if active.iter().any(|a| names(prior, a)) => active
                .iter()
                .filter(|a| names(prior, a))
                .map(|a| a.reference.clone())
                .collect(),
            _ => active
                .iter()
                .filter(|a| a.drug() == Some(Drug::Glucocorticoid(gc)) && a.route == order.route)
                .map(|a| a.reference.clone())
                .collect(),
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_standing_named() {
        use crate::facts::Standing;
        let mut m = crate::rules::test_support::prednisone(10.0);
        assert_eq!(m.standing(), None);
        m.source_kind = crate::facts::SourceKind::Reported;
        assert_eq!(m.standing(), Some(Standing::Reported));
        // On hold is said before reported.
        m.on_hold = true;
        assert_eq!(m.standing(), Some(Standing::OnHold));
        m.source_kind = crate::facts::SourceKind::Order;
        assert_eq!(m.named().standing, Some(Standing::OnHold));
    }
    use crate::facts::{Dose, Frequency, Route, Schedule};
    use crate::terminology::medication::{DoseForm, Gc, Identified, MatchedBy};

    fn med(id: &str, drug: Drug, route: Route) -> Med {
        Med {
            reference: format!("MedicationRequest/{id}"),
            id: Some(id.into()),
            name: drug.name().into(),
            identified: Some(Identified {
                drug,
                matched_by: MatchedBy::Text,
                name: drug.name().into(),
                strength: None,
                form: DoseForm::Unknown,
            }),
            route,
            dose: Some(Dose {
                mg: 20.0,
                frequency: Frequency::unknown(None),
                derivation: crate::facts::Derivation::mg(20.0),
            }),
            exposure: crate::facts::ExposureDose::Limit,
            frequency: Frequency::unknown(None),
            instructions: 1,
            authored: None,
            status: None,
            intent: Intent::Order,
            prior_prescription: None,
            replaces: vec![],
            count: None,
            course_days: None,
            source_kind: Default::default(),
            on_hold: false,
        }
    }

    #[test]
    fn intents() {
        for (code, advice) in [
            (None, false),
            (Some("order"), false),
            (Some("original-order"), false),
            (Some("instance-order"), false),
            (Some("proposal"), true),
            (Some("plan"), true),
            (Some("option"), true),
        ] {
            assert_eq!(Intent::of(code).is_advice(), advice, "{code:?}");
        }
        let _ = Schedule::DAILY;
    }

    #[test]
    fn replacement_table() {
        let pred = Drug::Glucocorticoid(Gc::Prednisone);
        let mp = Drug::Glucocorticoid(Gc::Methylprednisolone);
        // (order, its priorPrescription, active meds, replaced)
        type Case = (Med, Option<&'static str>, Vec<Med>, Vec<&'static str>);
        let cases: Vec<Case> = vec![
            // Same ingredient and route: a re-order replaces.
            (
                med("new", pred, Route::Oral),
                None,
                vec![med("a1", pred, Route::Oral)],
                vec!["MedicationRequest/a1"],
            ),
            // priorPrescription names the one it replaces.
            (
                med("new", pred, Route::Oral),
                Some("MedicationRequest/a2"),
                vec![med("a1", pred, Route::Oral), med("a2", pred, Route::Oral)],
                vec!["MedicationRequest/a2"],
            ),
            // A different ingredient or route adds up.
            (
                med("new", mp, Route::Intravenous),
                None,
                vec![med("a1", pred, Route::Oral)],
                vec![],
            ),
            (
                med("new", pred, Route::Intravenous),
                None,
                vec![med("a1", pred, Route::Oral)],
                vec![],
            ),
            // priorPrescription to something not active: the same-ingredient reading.
            (
                med("new", pred, Route::Oral),
                Some("MedicationRequest/gone"),
                vec![med("a1", pred, Route::Oral)],
                vec!["MedicationRequest/a1"],
            ),
            // A methylprednisolone order replacing an active prednisone,
            // named by an absolute or versioned reference: a replacement.
            (
                med("new", mp, Route::Oral),
                Some("https://ehr.example.org/fhir/MedicationRequest/a1/_history/3"),
                vec![med("a1", pred, Route::Oral)],
                vec!["MedicationRequest/a1"],
            ),
            // Not a glucocorticoid: never read as a replacement.
            (
                med("new", Drug::Methotrexate, Route::Oral),
                None,
                vec![med("a1", Drug::Methotrexate, Route::Oral)],
                vec![],
            ),
        ];
        for (i, (mut order, prior, active, want)) in cases.into_iter().enumerate() {
            order.prior_prescription = prior.map(str::to_string);
            let mut orders = vec![order];
            read_replacements(&mut orders, &active);
            assert_eq!(orders[0].replaces, want, "case {i}");
        }
    }
}
