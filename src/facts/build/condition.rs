//! Condition → diagnoses (status, verification, codes, problem text).

use super::*;

impl<'t> FactsBuilder<'t> {
    /// A Condition → a [`Diagnosis`] (POLICY third edition, "Conditions"):
    /// verificationStatus refuted / entered-in-error: ignored; unconfirmed,
    /// provisional, differential: counted and marked provisional.
    /// clinicalStatus active, recurrence, relapse, or none: current;
    /// remission: current for the scope diagnoses (SSc, myositis), not for
    /// the others; inactive, resolved: on record, not current. With no code
    /// we know, the problem text is read; a record whose codes are all in
    /// systems we do not know is kept in `unclassified`.
    pub(super) fn condition(&mut self, c: fhir::Condition) {
        let status = |cc: &Option<CodeableConcept>| {
            cc.as_ref()
                .and_then(|cc| cc.coding.iter().find_map(|c| c.code.as_deref()))
                .map(|s| s.trim().to_ascii_lowercase())
                .unwrap_or_default()
        };
        let verification = status(&c.verification_status);
        if verification == "refuted" || verification == "entered-in-error" {
            return;
        }
        let provisional = matches!(
            verification.as_str(),
            "unconfirmed" | "provisional" | "differential"
        );
        let clinical = status(&c.clinical_status);
        let Some(code) = &c.code else { return };
        let mut concepts = concepts_of(self.t, code);
        let from_text = concepts.is_empty();
        if from_text {
            for text in code
                .text
                .iter()
                .chain(code.coding.iter().filter_map(|c| c.display.as_ref()))
            {
                for k in problem_text::concepts(text) {
                    if !concepts.contains(&k) {
                        concepts.push(k);
                    }
                }
            }
        }
        if concepts.is_empty() {
            let known = |s: &str| {
                matches!(
                    crate::terminology::canonical_system(s),
                    crate::terminology::SNOMED
                        | crate::terminology::ICD10CM
                        | crate::terminology::LOINC
                        | crate::terminology::RXNORM
                )
            };
            let coded_unknown = !code.coding.is_empty()
                && !code
                    .coding
                    .iter()
                    .any(|c| c.system.as_deref().is_some_and(known));
            if coded_unknown {
                self.facts.unclassified.push(Unclassified {
                    kind: RecordKind::Condition,
                    reason: UnreadReason::UnknownCode,
                    area: Some(DataArea::Conditions),
                    label: code.label().map(str::to_string),
                    value: None,
                });
            }
            return;
        }
        let scope = concepts.iter().any(|k| SCOPE_CONCEPTS.contains(k));
        let active = match clinical.as_str() {
            "inactive" | "resolved" => false,
            "remission" => scope,
            _ => true,
        };
        self.facts.diagnoses.push(Diagnosis {
            concepts,
            label: code.label().unwrap_or("(no display)").to_string(),
            active,
            onset: c
                .onset_date_time
                .as_deref()
                .or(c.onset_period.as_ref().and_then(|p| p.start.as_deref()))
                .or(c.recorded_date.as_deref())
                .and_then(fhir::date),
            source: format!("Condition/{}", c.id.as_deref().unwrap_or("?")),
            from_text,
            provisional,
        });
    }
}
