//! MedicationRequest and MedicationStatement → orders and medications
//! (what drug, identified how, its dose, route and schedule).

use super::*;

impl<'t> FactsBuilder<'t> {
    /// The medication of an order or statement: its coded concept; else the
    /// Medication it references (contained, in the record or in the draft
    /// orders); else the reference's display. `Err` says why none could be had.
    pub(super) fn medication_of<'m>(
        &'m self,
        m: &'m fhir::MedicationRequest<'t>,
    ) -> Result<CodeableConcept<'m>, UnreadReason> {
        if let Some(cc) = &m.medication_codeable_concept {
            return Ok(cc.clone());
        }
        let Some(reference) = &m.medication_reference else {
            return Err(UnreadReason::UnknownCode);
        };
        let resolved = reference.reference.as_deref().and_then(|r| {
            if let Some(local) = r.strip_prefix('#') {
                m.contained
                    .iter()
                    .find_map(|raw| match fhir::parse_resource(raw) {
                        Ok(Resource::Medication(med)) if med.id.as_deref() == Some(local) => {
                            med.code
                        }
                        _ => None,
                    })
            } else {
                // "Medication/m1", relative or at the end of an absolute URL.
                let key = r.rfind("Medication/").map_or(r, |i| &r[i..]);
                self.medications.get(key).cloned()
            }
        });
        match (resolved, reference.display.as_deref().map(str::trim)) {
            (Some(cc), _) => Ok(cc),
            (None, Some(display)) if !display.is_empty() => Ok(CodeableConcept {
                coding: vec![],
                text: Some(display.into()),
            }),
            _ => Err(UnreadReason::UnresolvedReference),
        }
    }

    /// Why an active medication could not be identified at all, when it
    /// could not: not one of ours by code or name, and no RxNorm code (an
    /// RxNorm code not in our lists is a drug the rules do not concern).
    pub(super) fn unidentified(
        &self,
        m: &fhir::MedicationRequest,
        med: &Med,
        resolved: &Result<CodeableConcept, UnreadReason>,
    ) -> Option<Unclassified> {
        if med.identified.is_some() {
            return None;
        }
        let (reason, label) = match resolved {
            Err(reason) => (*reason, None),
            Ok(cc) => {
                let rxnorm = cc.coding.iter().any(|c| {
                    c.code.as_deref().is_some_and(|c| !c.trim().is_empty())
                        && c.system
                            .as_deref()
                            .map(crate::terminology::canonical_system)
                            == Some(crate::terminology::RXNORM)
                });
                if rxnorm {
                    return None;
                }
                let by_display = m.medication_codeable_concept.is_none()
                    && cc.coding.is_empty()
                    && m.medication_reference.is_some();
                let reason = if by_display {
                    UnreadReason::UnresolvedReference
                } else {
                    UnreadReason::UnknownCode
                };
                (reason, cc.label().map(str::to_string))
            }
        };
        Some(Unclassified {
            kind: RecordKind::Medication,
            reason,
            area: None,
            label,
            value: None,
        })
    }

    pub(super) fn med(
        &self,
        m: &fhir::MedicationRequest,
        index: usize,
        body: &dose::Body,
        notes: &mut Vec<SetAside>,
    ) -> Med {
        self.med_of(m, index, SourceKind::Order, body, notes).0
    }

    pub(super) fn med_of(
        &self,
        m: &fhir::MedicationRequest,
        index: usize,
        source_kind: SourceKind,
        body: &dose::Body,
        notes: &mut Vec<SetAside>,
    ) -> (Med, Option<Unclassified>) {
        let id = m.id.clone();
        let kind_name = match source_kind {
            SourceKind::Order => "MedicationRequest",
            SourceKind::Reported => "MedicationStatement",
        };
        let reference = match &id {
            Some(id) => format!("{kind_name}/{id}"),
            None => format!("draft order {}", index + 1),
        };
        let resolved = self.medication_of(m);
        let cc = resolved.clone().unwrap_or_default();
        let identified = medication::identify(self.t, &codings(&cc), cc.text.as_deref());
        let name = cc
            .label()
            .map(str::to_string)
            .or_else(|| identified.as_ref().map(|i| i.name.clone()))
            .unwrap_or_else(|| UNNAMED.into());
        let strength = identified.as_ref().and_then(|i| i.strength);
        let form = identified.as_ref().map(|i| i.form);
        let mut route = Route::Unknown;
        let mut steps: Vec<dose::Step> = vec![];
        let listed_in_order = dose::steps_in_list_order(&m.dosage_instruction);
        for (i, d) in m.dosage_instruction.iter().enumerate() {
            let r = route::route_of(self.t, d.route.as_ref(), form);
            if i == 0 || (route == Route::Unknown && r != Route::Unknown) {
                route = r;
            }
            let bounds = d
                .timing
                .as_ref()
                .and_then(|t| t.repeat.as_ref()?.bounds_period.as_ref());
            let read = dose::read(d, strength, body);
            if let Err(Some(dose)) = &read {
                notes.push(SetAside::DoseNotComputed {
                    order: name.clone(),
                    dose: dose.clone(),
                });
            }
            steps.push(dose::Step {
                sequence: if listed_in_order {
                    Some(i as f64 + 1.0)
                } else {
                    d.sequence
                },
                start: bounds.and_then(|b| fhir::date(b.start.as_deref()?)),
                end: bounds.and_then(|b| fhir::date(b.end.as_deref()?)),
                as_needed: d.as_needed(),
                dose: read.ok(),
            });
        }
        // Instructions of the same sequence (or none) apply together: 10 mg in
        // the morning and 5 mg at night are 15 mg a day. A taper's highest step
        // counts for limits, its first for today's exposure.
        let doses = dose::of_order(&steps, self.facts.today);
        if m.dosage_instruction.is_empty() {
            route = route::route_of(self.t, None, form);
        }
        let readings: Vec<Frequency> = m
            .dosage_instruction
            .iter()
            .map(frequency::of_dosage)
            .collect();
        let frequency = readings
            .iter()
            .filter(|f| f.is_known())
            .max_by(|a, b| {
                let key =
                    |f: &Frequency| (f.days_per_week.unwrap_or(0.0), f.per_week.unwrap_or(0.0));
                key(a)
                    .partial_cmp(&key(b))
                    .unwrap_or(std::cmp::Ordering::Equal)
            })
            .cloned()
            .or_else(|| readings.first().cloned())
            .unwrap_or_else(|| Frequency::unknown(Some(crate::facts::FrequencyNote::NoDosage)));
        let med = Med {
            reference,
            id: id.map(Into::into),
            name,
            identified,
            route,
            dose: doses.limit,
            exposure: doses.exposure,
            frequency,
            instructions: m.dosage_instruction.len(),
            authored: m
                .authored_on
                .as_deref()
                .or(m.date_written.as_deref())
                .and_then(fhir::date),
            status: m.status.as_deref().map(str::to_string),
            intent: Intent::of(m.intent.as_deref()),
            prior_prescription: m
                .prior_prescription
                .as_ref()
                .and_then(|r| r.reference.as_deref().map(str::to_string)),
            replaces: vec![],
            count: m
                .dosage_instruction
                .iter()
                .find_map(|d| d.timing.as_ref()?.repeat.as_ref()?.count),
            course_days: m.dosage_instruction.iter().find_map(|d| {
                let q = d
                    .timing
                    .as_ref()?
                    .repeat
                    .as_ref()?
                    .bounds_duration
                    .as_ref()?;
                let v = q.value?;
                match q.unit_code()? {
                    "d" | "day" | "days" => Some(v),
                    "wk" | "week" | "weeks" => Some(v * 7.0),
                    "h" => Some(v / 24.0),
                    _ => None,
                }
            }),
            source_kind,
            on_hold: source_kind == SourceKind::Order && m.status.as_deref() == Some("on-hold"),
        };
        let unread = self.unidentified(m, &med, &resolved);
        (med, unread)
    }
}
