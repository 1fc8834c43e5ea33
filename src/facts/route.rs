//! Route of administration (REFERENCE 2.2): from the route's code, looked up
//! in the route ValueSets (`route-systemic`, `route-local`); the systemic
//! route's kind comes from the display the ValueSet gives that code. Without
//! a listed code, the route's words; without a route, the dose form.

use crate::fhir::CodeableConcept;
use crate::terminology::medication::DoseForm;
use crate::terminology::{Concept, Terminology};

/// Route class for the glucocorticoid rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    Oral,
    Sublingual,
    Intravenous,
    Intramuscular,
    Subcutaneous,
    /// Parenteral, route not stated but the dose form is systemic.
    OtherSystemic,
    Local,
    /// Injectable suspension without a route: IM (systemic) or intra-articular.
    Ambiguous,
    Unknown,
}

impl Route {
    pub fn is_systemic(self) -> bool {
        matches!(
            self,
            Route::Oral
                | Route::Sublingual
                | Route::Intravenous
                | Route::Intramuscular
                | Route::Subcutaneous
                | Route::OtherSystemic
        )
    }
}

/// The kind of a systemic route from its name ("Oral route", "Intravenous
/// route", "po", "subcut"...).
fn systemic_kind(name: &str) -> Option<Route> {
    let w = name.trim().to_ascii_lowercase();
    let w = w.trim_end_matches(" route").trim_end_matches(" use");
    Some(match w {
        "po" | "oral" | "by mouth" | "orally" | "per os" => Route::Oral,
        "iv" | "intravenous" | "intravenously" => Route::Intravenous,
        "im" | "intramuscular" | "intramuscularly" => Route::Intramuscular,
        "sc" | "sq" | "subcut" | "subcutaneous" | "subcutaneously" => Route::Subcutaneous,
        "sl" | "sublingual" => Route::Sublingual,
        _ => return None,
    })
}

/// Words of local routes, for routes sent as text only.
const LOCAL_WORDS: &[&str] = &[
    "topical",
    "inhal",
    "nasal",
    "ophthalmic",
    "otic",
    "intra-articular",
    "intraarticular",
    "intralesional",
    "rectal",
    "vaginal",
    "transdermal",
    "cutaneous",
];

pub fn route_of(t: &Terminology, route: Option<&CodeableConcept>, form: Option<DoseForm>) -> Route {
    if form == Some(DoseForm::Local) {
        return Route::Local;
    }
    if let Some(cc) = route {
        for c in &cc.coding {
            let (Some(s), Some(code)) = (c.system.as_deref(), c.code.as_deref()) else {
                continue;
            };
            if t.contains(Concept::RouteLocal, s, code) {
                return Route::Local;
            }
            if t.contains(Concept::RouteSystemic, s, code) {
                return t
                    .display(s, code)
                    .and_then(systemic_kind)
                    .unwrap_or(Route::OtherSystemic);
            }
        }
        let words = cc
            .coding
            .iter()
            .flat_map(|c| [c.code.as_deref(), c.display.as_deref()])
            .chain([cc.text.as_deref()])
            .flatten();
        for w in words {
            if let Some(r) = systemic_kind(w) {
                return r;
            }
            let lower = w.to_ascii_lowercase();
            if LOCAL_WORDS.iter().any(|k| lower.contains(k)) {
                return Route::Local;
            }
        }
    }
    match form {
        Some(DoseForm::Oral) => Route::Oral,
        Some(DoseForm::Injection) => Route::OtherSystemic,
        Some(DoseForm::AmbiguousInjection) => Route::Ambiguous,
        _ => Route::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fhir::Coding;

    fn coded<'a>(system: &'a str, code: &'a str) -> CodeableConcept<'a> {
        CodeableConcept {
            coding: vec![Coding {
                system: Some(system.into()),
                code: Some(code.into()),
                display: None,
            }],
            text: None,
        }
    }

    #[test]
    fn routes_from_the_valuesets_and_words() {
        let t = Terminology::embedded().unwrap();
        let sct = crate::terminology::SNOMED;
        // (route, dose form, expected)
        let text = |s: &'static str| CodeableConcept {
            coding: vec![],
            text: Some(s.into()),
        };
        let cases = [
            (Some(coded(sct, "26643006")), None, Route::Oral),
            (Some(coded(sct, "47625008")), None, Route::Intravenous),
            (Some(coded(sct, "78421000")), None, Route::Intramuscular),
            (Some(coded(sct, "34206005")), None, Route::Subcutaneous),
            (Some(coded(sct, "37839007")), None, Route::Sublingual),
            (Some(coded(sct, "6064005")), None, Route::Local),
            (Some(coded(sct, "12130007")), None, Route::Local),
            (Some(text("PO")), None, Route::Oral),
            (Some(text("Subcutaneous")), None, Route::Subcutaneous),
            (Some(text("inhalation")), None, Route::Local),
            (Some(text("by carrier pigeon")), None, Route::Unknown),
            (None, Some(DoseForm::Oral), Route::Oral),
            (None, Some(DoseForm::AmbiguousInjection), Route::Ambiguous),
            (
                Some(coded(sct, "26643006")),
                Some(DoseForm::Local),
                Route::Local,
            ),
        ];
        for (route, form, want) in cases {
            assert_eq!(
                route_of(&t, route.as_ref(), form),
                want,
                "{route:?} {form:?}"
            );
        }
    }
}
