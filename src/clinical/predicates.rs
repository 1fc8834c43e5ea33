//! What counts clinically: which patients the guidance is for, and what a
//! positive result is. The facts layer only reads data; these decide.
//!
//! POLICY ("Scope"): "It speaks only for patients with systemic sclerosis
//! (SSc, not localized scleroderma/morphea) and/or inflammatory myositis
//! (dermatomyositis, polymyositis, IMNM, SSc with myopathy, overlap).
//! Inclusion body myositis alone is out of scope."

use crate::facts::{Facts, Lab};
use crate::terminology::{Concept, SNOMED};

/// Scope predicates on a patient's facts.
pub trait PatientScope {
    /// Systemic sclerosis (not localized scleroderma).
    fn has_ssc(&self) -> bool;
    /// Inflammatory myositis (inclusion body myositis alone does not count;
    /// unspecified myositis counts only with SSc).
    fn has_myositis(&self) -> bool;
    /// SSc or myositis: the patients the guidance is for.
    fn in_scope(&self) -> bool {
        self.has_ssc() || self.has_myositis()
    }
}

impl PatientScope for Facts {
    fn has_ssc(&self) -> bool {
        [
            Concept::Ssc,
            Concept::SscIld,
            Concept::SscMyopathy,
            Concept::SscDiffuse,
            Concept::Overlap,
        ]
        .iter()
        .any(|c| self.has(*c))
    }

    fn has_myositis(&self) -> bool {
        [
            Concept::Dermatomyositis,
            Concept::Polymyositis,
            Concept::Imnm,
            Concept::SscMyopathy,
            Concept::Overlap,
            Concept::OverlapMctd,
            Concept::Mctd,
        ]
        .iter()
        .any(|c| self.has(*c))
            || (self.has(Concept::MyositisNos) && self.has_ssc())
    }
}

/// How a laboratory result reads.
pub trait LabResult {
    /// A qualitative or quantitative positive result.
    fn is_positive(&self) -> bool;
}

impl LabResult for Lab {
    fn is_positive(&self) -> bool {
        if let Some(t) = &self.result_text {
            let neg = [
                "negative",
                "not detected",
                "absent",
                "non-reactive",
                "nonreactive",
            ];
            if neg.iter().any(|n| t.contains(n)) {
                return false;
            }
            if ["positive", "detected", "present", "reactive"]
                .iter()
                .any(|p| t.contains(p))
            {
                return true;
            }
        }
        // SNOMED CT 10828004 "Positive".
        if self
            .codes
            .iter()
            .any(|(s, c)| s == SNOMED && c == "10828004")
        {
            return true;
        }
        matches!((self.quantity.as_ref(), self.upper_limit), (Some((v, _)), Some(h)) if *v > h)
    }
}
