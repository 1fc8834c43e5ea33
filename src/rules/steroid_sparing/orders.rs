//! The orders a steroid-sparing card offers: methotrexate, azathioprine and
//! mycophenolate starts, one action each (the agents are alternatives), and
//! the folic acid a methotrexate order comes with.

use crate::clinical::{Action, MedicationProposal, Policy, ProposedRoute, Starting, Suggestion};
use crate::facts::Schedule;

pub const MTX_INJECTION: (&str, &str) = ("1946772", "methotrexate 25 MG/ML Injectable Solution");
pub const AZA_TABLET: (&str, &str) = ("199310", "Azathioprine 25 MG Oral Tablet");
pub const MMF_TABLET: (&str, &str) = ("200060", "mycophenolate mofetil 500 MG Oral Tablet");

/// Folic acid 1 mg oral tablet: RxNorm SCD 310410, as the FDA NDC directory
/// maps the 1 mg folic acid tablets (openFDA, e.g. NDC 70518-4338: rxcui
/// 310410, "FOLIC ACID 1 mg/1", tablet).
const FOLIC_ACID_1MG_TABLET: (&str, &str) = ("310410", "folic acid 1 MG Oral Tablet");

pub fn folic_acid(policy: &Policy) -> Action {
    let mg = policy.folic_acid_mg_per_day;
    Action::CreateMedication(MedicationProposal {
        starting: Starting::FolicAcid,
        // The coded tablet only for the 1 mg dose it is; another dose
        // (local policy) goes as text.
        rxnorm: ((mg - 1.0).abs() < 1e-9).then_some(FOLIC_ACID_1MG_TABLET),
        dose_mg: mg,
        schedule: Schedule::DAILY,
        route: ProposedRoute::Oral,
    })
}

/// One order to start `starting`.
fn start(
    starting: Starting,
    rxnorm: (&'static str, &'static str),
    dose_mg: f64,
    schedule: Schedule,
    route: ProposedRoute,
    recommended: bool,
) -> Suggestion {
    Suggestion {
        recommended,
        actions: vec![Action::CreateMedication(MedicationProposal {
            starting,
            rxnorm: Some(rxnorm),
            dose_mg,
            schedule,
            route,
        })],
    }
}

/// Methotrexate `dose` mg subcutaneously once weekly.
pub(super) fn methotrexate(dose: f64, recommended: bool) -> Suggestion {
    start(
        Starting::Methotrexate,
        MTX_INJECTION,
        dose,
        Schedule::WEEKLY,
        ProposedRoute::Subcutaneous,
        recommended,
    )
}

/// Azathioprine `dose` mg by mouth once daily.
pub(super) fn azathioprine(dose: f64, recommended: bool) -> Suggestion {
    start(
        Starting::Azathioprine,
        AZA_TABLET,
        dose,
        Schedule::DAILY,
        ProposedRoute::Oral,
        recommended,
    )
}

/// Mycophenolate mofetil at the policy's starting dose, twice daily.
pub(super) fn mycophenolate(policy: &Policy, recommended: bool) -> Suggestion {
    start(
        Starting::Mycophenolate,
        MMF_TABLET,
        policy.mmf_start_mg,
        Schedule {
            frequency: 2.0,
            period_days: 1.0,
        },
        ProposedRoute::Oral,
        recommended,
    )
}
