//! What counts clinically: which patients the guidance is for, and what a
//! positive result is. The facts layer only reads data; these decide.
//!
//! POLICY ("Scope"): "It speaks only for patients with systemic sclerosis
//! (SSc, not localized scleroderma/morphea) and/or inflammatory myositis
//! (dermatomyositis, polymyositis, IMNM, SSc with myopathy, overlap).
//! Inclusion body myositis alone is out of scope."
//!
//! POLICY second edition ("Overlap codes"): "M35.1 (other overlap syndromes)
//! counts as SSc-spectrum for every SSc rule (including never raising a
//! steroid) when an SSc code, an SSc-specific antibody (anti-Scl-70,
//! anti-centromere, anti-RNA polymerase III, anti-PM/Scl), or the condition's
//! own text ('scleroderma', 'systemic sclerosis') is present; as
//! myositis-spectrum when a myositis code or its text names myositis; M35.1
//! with neither (e.g. mixed connective tissue disease) is out of scope." A
//! mixed connective tissue disease code is read the same way.

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

/// An active overlap (M35.1) or MCTD diagnosis whose own text has one of `words`.
fn overlap_text_says(facts: &Facts, words: &[&str]) -> bool {
    facts.diagnoses.iter().any(|d| {
        d.active
            && (d.concepts.contains(&Concept::OverlapMctd) || d.concepts.contains(&Concept::Mctd))
            && {
                let l = d.label.to_lowercase();
                words.iter().any(|w| l.contains(w))
            }
    })
}

fn has_overlap_code(facts: &Facts) -> bool {
    facts.has(Concept::OverlapMctd) || facts.has(Concept::Mctd)
}

/// A positive SSc-specific antibody on file.
fn ssc_antibody(facts: &Facts) -> bool {
    facts.labs.iter().any(|l| {
        let specific = [
            Concept::AntiScl70,
            Concept::AntiCentromere,
            Concept::AntiPmScl,
        ]
        .iter()
        .any(|c| l.concepts.contains(c))
            || {
                let label = l.label.to_lowercase();
                label.contains("rna polymerase iii") || label.contains("rnap")
            };
        specific && l.is_positive()
    })
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
            || (has_overlap_code(self)
                && (ssc_antibody(self)
                    || overlap_text_says(self, &["scleroderma", "systemic sclerosis"])))
    }

    fn has_myositis(&self) -> bool {
        [
            Concept::Dermatomyositis,
            Concept::Polymyositis,
            Concept::Imnm,
            Concept::SscMyopathy,
            Concept::Overlap,
        ]
        .iter()
        .any(|c| self.has(*c))
            || (self.has(Concept::MyositisNos) && self.has_ssc())
            || (has_overlap_code(self) && overlap_text_says(self, &["myositis"]))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::test_support::*;

    #[test]
    fn overlap_m35_1_table() {
        // (M35.1 text, other diagnosis, positive antibody, SSc-spectrum, myositis-spectrum)
        type Case = (&'static str, Option<Concept>, Option<Concept>, bool, bool);
        let cases: &[Case] = &[
            ("Other overlap syndromes", None, None, false, false),
            ("Mixed connective tissue disease", None, None, false, false),
            ("Scleroderma-myositis overlap", None, None, true, true),
            ("Overlap: systemic sclerosis", None, None, true, false),
            (
                "Overlap syndrome",
                None,
                Some(Concept::AntiScl70),
                true,
                false,
            ),
            (
                "Overlap syndrome",
                None,
                Some(Concept::AntiPmScl),
                true,
                false,
            ),
            (
                "Overlap syndrome",
                Some(Concept::Polymyositis),
                None,
                false,
                true,
            ),
            ("Overlap syndrome", Some(Concept::Ssc), None, true, false),
        ];
        for (text, other, antibody, ssc, myo) in cases {
            let mut f = patient(&[]);
            let mut d = dx(Concept::OverlapMctd, 0);
            d.label = text.to_string();
            f.diagnoses.push(d);
            if let Some(c) = other {
                f.diagnoses.push(dx(*c, 1));
            }
            if let Some(a) = antibody {
                let mut l = lab(*a, 0.0, "");
                l.quantity = None;
                l.result_text = Some("positive".into());
                f.labs.push(l);
            }
            assert_eq!(f.has_ssc(), *ssc, "{text} {other:?} {antibody:?}");
            assert_eq!(f.has_myositis(), *myo, "{text} {other:?} {antibody:?}");
        }
    }
}
