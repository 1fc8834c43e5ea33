//! The words of what a card offers: a suggestion's label, each action's
//! description, and the text and patient instruction of the order it
//! proposes. The rules offer typed actions (`clinical::Action`); the card
//! says them here.

use crate::clinical::products::DoseProduct;
use crate::clinical::{
    Action, Change, MedicationProposal, ProposedRoute, Starting, Suggestion, Test, WeeklyFix,
};
use crate::text::amount;

/// The words of one action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Said {
    /// The action's description on the card.
    pub description: String,
    /// The order's text (`code.text`, `medicationCodeableConcept.text`).
    pub text: Option<String>,
    /// The patient instruction of a medication order.
    pub instruction: Option<String>,
    /// A note on a service order.
    pub note: Option<String>,
}

/// A suggestion's label: the words of its first action.
pub fn label(s: &Suggestion) -> String {
    s.actions.first().map_or_else(String::new, action_label)
}

fn action_label(a: &Action) -> String {
    match a {
        Action::CreateMedication(p) => {
            let mg = amount(p.dose_mg);
            match p.starting {
                Starting::Methotrexate => format!("Methotrexate {mg} mg SC weekly"),
                Starting::Azathioprine => format!("Azathioprine {mg} mg daily"),
                Starting::Mycophenolate => format!("Mycophenolate mofetil {mg} mg twice daily"),
                Starting::FolicAcid => format!("Add folic acid {mg} mg daily"),
            }
        }
        Action::CreateService(p) => match p.test {
            Test::CreatineKinase => "Order creatine kinase".into(),
            Test::BpCheck => "Order a blood-pressure check".into(),
            Test::BpMonitoring { .. } => "Order blood-pressure monitoring".into(),
            Test::Creatinine => "Order serum creatinine".into(),
            Test::TpmtNudt15 => "Order TPMT and NUDT15 genotyping".into(),
            Test::Antibody(name) => format!("Order {name}"),
        },
        Action::UpdateDraftDose {
            change, dose_mg, ..
        } => match change {
            Change::Corticosteroid(gc) => {
                format!("Change to {} {} mg once daily", gc.name(), amount(*dose_mg))
            }
            Change::WeeklyMethotrexate(_) => {
                format!("Change to methotrexate {} mg once weekly", amount(*dose_mg))
            }
        },
        Action::DeleteDraft { drug, .. } => {
            format!("Remove this {} order", drug.map_or("draft", |d| d.name()))
        }
    }
}

/// "by mouth", "under the tongue", "subcutaneously".
fn how(route: ProposedRoute) -> &'static str {
    match route {
        ProposedRoute::Oral => "by mouth",
        ProposedRoute::Sublingual => "under the tongue",
        ProposedRoute::Subcutaneous => "subcutaneously",
    }
}

/// The words of one action.
pub fn said(a: &Action) -> Said {
    match a {
        Action::CreateMedication(p) => medication(p),
        Action::CreateService(p) => {
            let (description, text, note) = match p.test {
                Test::CreatineKinase => (
                    "Creatine kinase".to_string(),
                    "Creatine kinase (myositis monitoring)".to_string(),
                    None,
                ),
                Test::BpCheck => (
                    "Blood-pressure check".into(),
                    "Blood-pressure monitoring for scleroderma renal crisis".into(),
                    None,
                ),
                Test::BpMonitoring {
                    systolic,
                    diastolic,
                    rise,
                } => (
                    "Blood-pressure monitoring (home and every visit)".into(),
                    "Blood-pressure monitoring for scleroderma renal crisis".into(),
                    Some(format!(
                        "SSc patient on corticosteroids: check BP at every visit and at home; \
                         report SBP >= {} or DBP >= {} mmHg, or a rise of {} mmHg or more.",
                        amount(systolic),
                        amount(diastolic),
                        amount(rise)
                    )),
                ),
                Test::Creatinine => (
                    "Serum creatinine".into(),
                    "Serum creatinine (scleroderma renal crisis surveillance)".into(),
                    None,
                ),
                Test::TpmtNudt15 => (
                    "TPMT and NUDT15 gene analysis".into(),
                    "TPMT and NUDT15 genotyping before azathioprine".into(),
                    None,
                ),
                // The antibody's order is named by its LOINC display.
                Test::Antibody(_) => (p.display.to_string(), p.display.to_string(), None),
            };
            Said {
                description,
                text: Some(text),
                instruction: None,
                note,
            }
        }
        Action::UpdateDraftDose {
            change,
            dose_mg,
            product,
            route,
            ..
        } => {
            let mg = amount(*dose_mg);
            let (description, instruction) = match change {
                Change::Corticosteroid(gc) => match product {
                    DoseProduct::Tablets { tablet, units } => {
                        let s = if *units == 1 { "" } else { "s" };
                        (
                            format!(
                                "Set the order to {units} × {} mg {} tablet{s} once daily ({mg} mg/day)",
                                amount(tablet.strength_mg),
                                gc.name(),
                            ),
                            format!("{units} tablet{s} ({mg} mg) by mouth once daily"),
                        )
                    }
                    DoseProduct::Ingredient { .. } => (
                        format!(
                            "Set the order to {} {mg} mg once daily ({mg} mg/day)",
                            gc.name()
                        ),
                        format!("{mg} mg {} once daily", how(*route)),
                    ),
                },
                Change::WeeklyMethotrexate(why) => {
                    let why = match why {
                        WeeklyFix::SameDoseWeekly => "the same dose, weekly",
                        WeeklyFix::GramsAsMilligrams => "grams read as milligrams",
                    };
                    (
                        format!(
                            "Set the order to {mg} mg {} once weekly ({why})",
                            how(*route)
                        ),
                        format!(
                            "{mg} mg {} once weekly, on the same day each week",
                            how(*route)
                        ),
                    )
                }
            };
            Said {
                description,
                text: None,
                instruction: Some(instruction),
                note: None,
            }
        }
        Action::DeleteDraft { name, .. } => Said {
            description: format!("Remove the draft order: {}", super::named(name)),
            text: None,
            instruction: None,
            note: None,
        },
    }
}

fn medication(p: &MedicationProposal) -> Said {
    let mg = amount(p.dose_mg);
    let (description, text, instruction) = match p.starting {
        Starting::Methotrexate => (
            format!("Methotrexate {mg} mg subcutaneously once weekly"),
            format!("methotrexate {mg} mg subcutaneous injection once weekly"),
            format!("{mg} mg subcutaneously once weekly, on the same day each week"),
        ),
        Starting::Azathioprine => (
            format!("Azathioprine {mg} mg by mouth once daily"),
            format!("azathioprine {mg} mg oral once daily"),
            format!("{mg} mg by mouth once daily (check TPMT/NUDT15 first)"),
        ),
        Starting::Mycophenolate => (
            format!("Mycophenolate mofetil {mg} mg by mouth twice daily"),
            format!("mycophenolate mofetil {mg} mg oral twice daily"),
            format!("{mg} mg by mouth twice daily"),
        ),
        Starting::FolicAcid => (
            format!("Folic acid {mg} mg by mouth once daily"),
            format!("folic acid {mg} mg oral tablet"),
            format!("{mg} mg by mouth once daily (methotrexate supplementation)"),
        ),
    };
    Said {
        description,
        text: Some(text),
        instruction: Some(instruction),
        note: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clinical::{products, MedicationProposal, ServiceProposal};
    use crate::facts::Schedule;
    use crate::terminology::medication::{Drug, Gc};

    fn start(starting: Starting, dose_mg: f64) -> Action {
        Action::CreateMedication(MedicationProposal {
            starting,
            rxnorm: None,
            dose_mg,
            schedule: Schedule::DAILY,
            route: ProposedRoute::Oral,
        })
    }

    fn test(test: Test, display: &'static str) -> Action {
        Action::CreateService(ServiceProposal {
            test,
            loinc: "0",
            display,
        })
    }

    fn change(change: Change, dose_mg: f64, route: ProposedRoute, tablets: bool) -> Action {
        Action::UpdateDraftDose {
            change,
            order_id: "d1".into(),
            dose_mg,
            product: products::for_dose(Gc::Prednisone, dose_mg, tablets, None)
                .filter(|_| tablets)
                .unwrap_or(DoseProduct::Ingredient {
                    rxnorm: "0",
                    display: "x",
                    mg: dose_mg,
                }),
            schedule: Schedule::DAILY,
            route,
        }
    }

    #[test]
    fn every_offer_in_words() {
        let bp = Test::BpMonitoring {
            systolic: 130.0,
            diastolic: 85.0,
            rise: 20.0,
        };
        let sub = ProposedRoute::Subcutaneous;
        let weekly = |why| Change::WeeklyMethotrexate(why);
        // (action, label, description, order text, instruction, note)
        type Case = (
            Action,
            &'static str,
            &'static str,
            Option<&'static str>,
            Option<&'static str>,
            Option<&'static str>,
        );
        let cases: Vec<Case> = vec![
            (start(Starting::Methotrexate, 27.5), "Methotrexate 27.5 mg SC weekly", "Methotrexate 27.5 mg subcutaneously once weekly", Some("methotrexate 27.5 mg subcutaneous injection once weekly"), Some("27.5 mg subcutaneously once weekly, on the same day each week"), None),
            (start(Starting::Azathioprine, 100.0), "Azathioprine 100 mg daily", "Azathioprine 100 mg by mouth once daily", Some("azathioprine 100 mg oral once daily"), Some("100 mg by mouth once daily (check TPMT/NUDT15 first)"), None),
            (start(Starting::Mycophenolate, 500.0), "Mycophenolate mofetil 500 mg twice daily", "Mycophenolate mofetil 500 mg by mouth twice daily", Some("mycophenolate mofetil 500 mg oral twice daily"), Some("500 mg by mouth twice daily"), None),
            (start(Starting::FolicAcid, 1.0), "Add folic acid 1 mg daily", "Folic acid 1 mg by mouth once daily", Some("folic acid 1 mg oral tablet"), Some("1 mg by mouth once daily (methotrexate supplementation)"), None),
            (test(Test::CreatineKinase, "CK"), "Order creatine kinase", "Creatine kinase", Some("Creatine kinase (myositis monitoring)"), None, None),
            (test(Test::BpCheck, "BP"), "Order a blood-pressure check", "Blood-pressure check", Some("Blood-pressure monitoring for scleroderma renal crisis"), None, None),
            (test(bp, "BP"), "Order blood-pressure monitoring", "Blood-pressure monitoring (home and every visit)", Some("Blood-pressure monitoring for scleroderma renal crisis"), None, Some("SSc patient on corticosteroids: check BP at every visit and at home; report SBP >= 130 or DBP >= 85 mmHg, or a rise of 20 mmHg or more.")),
            (test(Test::Creatinine, "Cr"), "Order serum creatinine", "Serum creatinine", Some("Serum creatinine (scleroderma renal crisis surveillance)"), None, None),
            (test(Test::TpmtNudt15, "TPMT"), "Order TPMT and NUDT15 genotyping", "TPMT and NUDT15 gene analysis", Some("TPMT and NUDT15 genotyping before azathioprine"), None, None),
            (test(Test::Antibody("anti-PM/Scl"), "PM-SCL-100 Ab [Units/volume] in Serum"), "Order anti-PM/Scl", "PM-SCL-100 Ab [Units/volume] in Serum", Some("PM-SCL-100 Ab [Units/volume] in Serum"), None, None),
            (change(Change::Corticosteroid(Gc::Prednisone), 35.0, ProposedRoute::Oral, true), "Change to prednisone 35 mg once daily", "Set the order to 7 × 5 mg prednisone tablets once daily (35 mg/day)", None, Some("7 tablets (35 mg) by mouth once daily"), None),
            (change(Change::Corticosteroid(Gc::Prednisone), 35.0, ProposedRoute::Sublingual, false), "Change to prednisone 35 mg once daily", "Set the order to prednisone 35 mg once daily (35 mg/day)", None, Some("35 mg under the tongue once daily"), None),
            (change(weekly(WeeklyFix::SameDoseWeekly), 15.0, sub, false), "Change to methotrexate 15 mg once weekly", "Set the order to 15 mg subcutaneously once weekly (the same dose, weekly)", None, Some("15 mg subcutaneously once weekly, on the same day each week"), None),
            (change(weekly(WeeklyFix::GramsAsMilligrams), 15.0, ProposedRoute::Oral, false), "Change to methotrexate 15 mg once weekly", "Set the order to 15 mg by mouth once weekly (grams read as milligrams)", None, Some("15 mg by mouth once weekly, on the same day each week"), None),
            (Action::DeleteDraft { order_id: "d1".into(), drug: Some(Drug::Methotrexate), name: "Methotrexate 2.5 MG Oral Tablet (on hold)".into() }, "Remove this methotrexate order", "Remove the draft order: Methotrexate 2.5 MG Oral Tablet (on hold)", None, None, None),
            (Action::DeleteDraft { order_id: "d1".into(), drug: None, name: "study drug".into() }, "Remove this draft order", "Remove the draft order: study drug", None, None, None),
        ];
        // What the report counts each by: the same whatever the dose.
        let keys = [
            "medication/methotrexate",
            "medication/azathioprine",
            "medication/mycophenolate",
            "medication/folic-acid",
            "test/creatine-kinase",
            "test/blood-pressure-check",
            "test/blood-pressure-monitoring",
            "test/creatinine",
            "test/tpmt-nudt15",
            "test/anti-PM/Scl",
            "change/prednisone",
            "change/prednisone",
            "change/methotrexate",
            "change/methotrexate",
            "removal/methotrexate",
            "removal/draft",
        ];
        assert_eq!(keys.len(), cases.len());
        for ((action, want_label, description, text, instruction, note), key) in
            cases.into_iter().zip(keys)
        {
            let s = Suggestion {
                recommended: false,
                actions: vec![action.clone()],
            };
            assert_eq!(s.key(), key, "{action:?}");
            assert_eq!(label(&s), want_label, "{action:?}");
            let got = said(&action);
            assert_eq!(got.description, description, "{action:?}");
            assert_eq!(got.text.as_deref(), text, "{action:?}");
            assert_eq!(got.instruction.as_deref(), instruction, "{action:?}");
            assert_eq!(got.note.as_deref(), note, "{action:?}");
        }
    }
}
