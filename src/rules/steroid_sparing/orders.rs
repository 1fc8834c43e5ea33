//! The orders a steroid-sparing card offers: methotrexate, azathioprine and
//! mycophenolate starts, one action each (the agents are alternatives), and
//! the folic acid a methotrexate order comes with.

use crate::clinical::{Action, MedicationProposal, Policy, ProposedRoute, Suggestion};
use crate::facts::Schedule;
use crate::text::amount as num;

pub const MTX_INJECTION: (&str, &str) = ("1946772", "methotrexate 25 MG/ML Injectable Solution");
pub const AZA_TABLET: (&str, &str) = ("199310", "Azathioprine 25 MG Oral Tablet");
pub const MMF_TABLET: (&str, &str) = ("200060", "mycophenolate mofetil 500 MG Oral Tablet");

/// Folic acid 1 mg daily: no verified RxNorm code exists (REFERENCE.md 5.3),
/// so the order is by text only.
/// Folic acid 1 mg oral tablet: RxNorm SCD 310410, as the FDA NDC directory
/// maps the 1 mg folic acid tablets (openFDA, e.g. NDC 70518-4338: rxcui
/// 310410, "FOLIC ACID 1 mg/1", tablet).
const FOLIC_ACID_1MG_TABLET: (&str, &str) = ("310410", "folic acid 1 MG Oral Tablet");

pub fn folic_acid(policy: &Policy) -> Action {
    let mg = policy.folic_acid_mg_per_day;
    Action::CreateMedication {
        description: format!("Folic acid {} mg by mouth once daily", num(mg)),
        order: MedicationProposal {
            // The coded tablet only for the 1 mg dose it is; another dose
            // (local policy) goes as text.
            rxnorm: ((mg - 1.0).abs() < 1e-9).then_some(FOLIC_ACID_1MG_TABLET),
            text: format!("folic acid {} mg oral tablet", num(mg)),
            dose_mg: mg,
            schedule: Schedule::DAILY,
            route: ProposedRoute::Oral,
            instruction: format!(
                "{} mg by mouth once daily (methotrexate supplementation)",
                num(mg)
            ),
        },
    }
}

/// Methotrexate `dose` mg subcutaneously once weekly.
pub(super) fn methotrexate(dose: f64, recommended: bool) -> Suggestion {
    Suggestion {
    label: format!("Methotrexate {} mg SC weekly", num(dose)),
    recommended,
    actions: vec![Action::CreateMedication {
        description: format!("Methotrexate {} mg subcutaneously once weekly", num(dose)),
        order: MedicationProposal {
            rxnorm: Some(MTX_INJECTION),
            text: format!(
                "methotrexate {} mg subcutaneous injection once weekly",
                num(dose)
            ),
            dose_mg: dose,
            schedule: Schedule::WEEKLY,
            route: ProposedRoute::Subcutaneous,
            instruction: format!(
                "{} mg subcutaneously once weekly, on the same day each week",
                num(dose)
            ),
        },
    }],
}
}

/// Azathioprine `dose` mg by mouth once daily.
pub(super) fn azathioprine(dose: f64, recommended: bool) -> Suggestion {
    Suggestion {
    label: format!("Azathioprine {} mg daily", num(dose)),
    recommended,
    actions: vec![Action::CreateMedication {
        description: format!("Azathioprine {} mg by mouth once daily", num(dose)),
        order: MedicationProposal {
            rxnorm: Some(AZA_TABLET),
            text: format!("azathioprine {} mg oral once daily", num(dose)),
            dose_mg: dose,
            schedule: Schedule::DAILY,
            route: ProposedRoute::Oral,
            instruction: format!(
                "{} mg by mouth once daily (check TPMT/NUDT15 first)",
                num(dose)
            ),
        },
    }],
}
}

/// Mycophenolate mofetil at the policy's starting dose, twice daily.
pub(super) fn mycophenolate(policy: &Policy, recommended: bool) -> Suggestion {
    Suggestion {
    label: format!(
        "Mycophenolate mofetil {} mg twice daily",
        num(policy.mmf_start_mg)
    ),
    recommended,
    actions: vec![Action::CreateMedication {
        description: format!(
            "Mycophenolate mofetil {} mg by mouth twice daily",
            num(policy.mmf_start_mg)
        ),
        order: MedicationProposal {
            rxnorm: Some(MMF_TABLET),
            text: format!(
                "mycophenolate mofetil {} mg oral twice daily",
                num(policy.mmf_start_mg)
            ),
            dose_mg: policy.mmf_start_mg,
            schedule: Schedule {
                frequency: 2.0,
                period_days: 1.0,
            },
            route: ProposedRoute::Oral,
            instruction: format!("{} mg by mouth twice daily", num(policy.mmf_start_mg)),
        },
    }],
}
}
