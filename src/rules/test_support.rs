//! Builders for the rules' table tests.

use chrono::NaiveDate;

use crate::facts::{
    Certainty, Diagnosis, Dose, Facts, Frequency, Intent, Lab, Med, Reading, Route, Schedule, Sex,
    Trust,
};
use crate::terminology::medication::{DoseForm, Drug, Gc, Identified, MatchedBy};
use crate::terminology::Concept;

pub fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 24).unwrap()
}

pub fn days_ago(n: i64) -> NaiveDate {
    today() - chrono::Duration::days(n)
}

/// A patient with the given active diagnoses.
pub fn patient(concepts: &[Concept]) -> Facts {
    let mut f = Facts::new(today());
    f.patient_id = Some("p1".into());
    for (i, c) in concepts.iter().enumerate() {
        f.diagnoses.push(dx(*c, i));
    }
    f
}

pub fn dx(c: Concept, i: usize) -> Diagnosis {
    Diagnosis {
        concepts: vec![c],
        label: format!("{c:?}"),
        active: true,
        onset: None,
        source: format!("Condition/c{i}"),
        from_text: false,
        provisional: false,
    }
}

pub fn with_body(mut f: Facts, sex: Sex, kg: f64, cm: Option<f64>) -> Facts {
    f.sex = Some(sex);
    f.weights = vec![Reading {
        value: kg,
        original_value: kg,
        original_unit: "kg".into(),
        date: Some(days_ago(10)),
        source: "Observation/w".into(),
        trust: Trust::Plausible,
    }];
    f.heights = cm
        .map(|cm| Reading {
            value: cm,
            original_value: cm,
            original_unit: "cm".into(),
            date: Some(days_ago(10)),
            source: "Observation/h".into(),
            trust: Trust::Plausible,
        })
        .into_iter()
        .collect();
    let limits = f.limits.clone();
    crate::facts::plausibility::assess(&mut f.weights, &mut f.heights, &limits);
    f
}

/// A medication with a known dose and schedule.
pub fn med(drug: Drug, mg: f64, schedule: Schedule, route: Route, id: &str) -> Med {
    Med {
        reference: format!("MedicationRequest/{id}"),
        id: Some(id.into()),
        name: format!("{} {} mg", drug.name(), mg),
        identified: Some(Identified {
            drug,
            matched_by: MatchedBy::Text,
            name: drug.name().into(),
            strength: None,
            form: DoseForm::Unknown,
        }),
        route,
        dose: Some(Dose {
            mg,
            frequency: Frequency::of(schedule, Certainty::Coded),
            derivation: crate::facts::Derivation::mg(mg),
        }),
        exposure: crate::facts::ExposureDose::Limit,
        frequency: Frequency::of(schedule, Certainty::Coded),
        instructions: 1,
        authored: Some(today()),
        status: Some("draft".into()),
        intent: Intent::Order,
        prior_prescription: None,
        replaces: vec![],
        count: None,
        course_days: None,
        source_kind: Default::default(),
        on_hold: false,
    }
}

pub fn prednisone(mg_per_day: f64) -> Med {
    med(
        Drug::Glucocorticoid(Gc::Prednisone),
        mg_per_day,
        Schedule::DAILY,
        Route::Oral,
        "pred",
    )
}

pub fn mtx(mg_per_week: f64, route: Route) -> Med {
    med(
        Drug::Methotrexate,
        mg_per_week,
        Schedule::WEEKLY,
        route,
        "mtx",
    )
}

pub fn lab(c: Concept, value: f64, unit: &str) -> Lab {
    Lab {
        concepts: vec![c],
        label: format!("{c:?}"),
        quantity: Some((value, unit.into())),
        comparator: None,
        result_text: None,
        interpretation: None,
        codes: vec![],
        code: vec![],
        upper_limit: None,
        date: Some(days_ago(5)),
        source: "Observation/l".into(),
    }
}
