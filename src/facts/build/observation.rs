//! Observation → weights, heights, blood pressure, labs and reproductive
//! status (status, time, units, comparators).

use super::*;

impl<'t> FactsBuilder<'t> {
    pub(super) fn observation(&mut self, o: fhir::Observation) {
        // POLICY third edition ("Status, time, units"): final, amended and
        // corrected are used; preliminary is used and named; registered,
        // cancelled, entered-in-error and unknown are not results. A feed
        // that sends no status at all is read as final.
        let preliminary = match o.status.as_deref().map(str::trim) {
            None | Some("final" | "amended" | "corrected") => false,
            Some("preliminary") => true,
            Some(_) => return,
        };
        let Some(code) = &o.code else { return };
        let concepts = concepts_of(self.t, code);
        let date = o
            .when()
            .and_then(|s| local_date(s, self.facts.limits.offset()));
        let instant = o.when().and_then(instant);
        let source = format!("Observation/{}", o.id.as_deref().unwrap_or("?"));
        let mut q = o
            .value_quantity
            .as_ref()
            .and_then(|q| Some((q.value?, q.unit_code().unwrap_or("").to_string())));
        let comparator = o
            .value_quantity
            .as_ref()
            .and_then(|q| q.comparator.as_deref())
            .and_then(Comparator::from_fhir);
        let label = code.label().unwrap_or("(no display)").to_string();
        let sent = |v: f64, u: &str| Sent {
            comparator,
            value: v,
            unit: u.to_string(),
        };
        let what = [
            (Concept::BodyWeight, "weight"),
            (Concept::BodyHeight, "height"),
            (Concept::Egfr, "eGFR"),
            (Concept::Creatinine, "creatinine"),
            (Concept::BpPanel, "blood pressure"),
            (Concept::BpSystolic, "blood pressure"),
            (Concept::BpDiastolic, "blood pressure"),
        ]
        .iter()
        .find(|(c, _)| concepts.contains(c))
        .map_or("laboratory result", |(_, w)| *w);
        if let Some(d) = date {
            let ahead = (d - self.facts.today).num_days() as f64;
            if ahead > self.facts.limits.future_tolerance_days {
                self.facts.ignored_future.push(Ignored {
                    what,
                    label: label.clone(),
                    value: q.as_ref().map(|(v, u)| sent(*v, u)),
                    date: d,
                });
                return;
            }
        }
        if preliminary {
            let value = q.as_ref().map(|(v, u)| sent(*v, u));
            let area = [
                (Concept::BodyWeight, DataArea::Weight),
                (Concept::BodyHeight, DataArea::Height),
                (Concept::Egfr, DataArea::RenalFunction),
                (Concept::Creatinine, DataArea::RenalFunction),
                (Concept::BpPanel, DataArea::BloodPressure),
                (Concept::BpSystolic, DataArea::BloodPressure),
                (Concept::BpDiastolic, DataArea::BloodPressure),
            ]
            .iter()
            .find(|(c, _)| concepts.contains(c))
            .map(|(_, a)| *a);
            let name = if what == "laboratory result" {
                label.clone()
            } else {
                what.to_string()
            };
            self.facts.preliminary.push(crate::facts::Preliminary {
                area,
                name,
                value,
                date,
            });
        }
        let weight_or_height =
            concepts.contains(&Concept::BodyWeight) || concepts.contains(&Concept::BodyHeight);
        if !weight_or_height
            && q.as_ref()
                .is_some_and(|(v, _)| *v < 0.0 || *v >= LAB_ABSURD)
        {
            self.facts.notes.push(SetAside::ImpossibleResult {
                label: label.clone(),
                date,
            });
            q = None;
        }
        if weight_or_height {
            let weight = concepts.contains(&Concept::BodyWeight);
            let Some((v, unit)) = q else { return };
            if comparator.is_some() {
                // A bound is not a measurement: no dose is computed from it.
                if let Some(comparator) = comparator {
                    self.facts.notes.push(SetAside::BoundBody {
                        weight,
                        comparator,
                        value: v,
                        unit: unit.clone(),
                        date,
                    });
                }
                return;
            }
            let converted = if weight {
                units::to_kg(v, &unit)
            } else {
                units::to_cm(v, &unit)
            };
            match converted {
                Some(value) if !value.is_finite() => self
                    .facts
                    .notes
                    .push(SetAside::ImpossibleBody { weight, date }),
                Some(value) => {
                    let r = Reading {
                        value,
                        original_value: v,
                        original_unit: unit,
                        date,
                        source,
                        trust: Trust::Plausible,
                    };
                    if weight {
                        self.facts.weights.push(r);
                        self.at.weights.push(instant);
                    } else {
                        self.facts.heights.push(r);
                        self.at.heights.push(instant);
                    }
                }
                None => self.unknown_unit(
                    if weight {
                        DataArea::Weight
                    } else {
                        DataArea::Height
                    },
                    &label,
                    v,
                    &unit,
                    date,
                ),
            }
            return;
        }
        if concepts.contains(&Concept::BpPanel) || !o.component.is_empty() {
            let mut bp = BloodPressure {
                systolic: None,
                diastolic: None,
                date,
                source: source.clone(),
            };
            let mut unread = None;
            for comp in &o.component {
                let Some(cc) = &comp.code else { continue };
                let cs = concepts_of(self.t, cc);
                let is_bp = cs.contains(&Concept::BpSystolic) || cs.contains(&Concept::BpDiastolic);
                let v = comp.value_quantity.as_ref().and_then(|q| {
                    let (v, u) = (q.value?, q.unit_code().unwrap_or("mm[Hg]"));
                    let mmhg = units::to_mmhg(v, u);
                    if mmhg.is_none() && is_bp {
                        unread = Some((v, u.to_string()));
                    }
                    mmhg
                });
                let v = v.filter(|v| (BP_SANE_MMHG.0..=BP_SANE_MMHG.1).contains(v));
                if cs.contains(&Concept::BpSystolic) {
                    bp.systolic = v;
                } else if cs.contains(&Concept::BpDiastolic) {
                    bp.diastolic = v;
                }
            }
            if bp.systolic.is_some() || bp.diastolic.is_some() {
                self.facts.blood_pressures.push(bp);
                self.at.blood_pressures.push(instant);
                return;
            }
            if let Some((v, u)) = unread {
                self.unknown_unit(DataArea::BloodPressure, &label, v, &u, date);
                return;
            }
        }
        for part in [Concept::BpSystolic, Concept::BpDiastolic] {
            if concepts.contains(&part) {
                if let Some((v, u)) = &q {
                    let u = if u.is_empty() { "mm[Hg]" } else { u };
                    match units::to_mmhg(*v, u) {
                        Some(v) if (BP_SANE_MMHG.0..=BP_SANE_MMHG.1).contains(&v) => {
                            self.bp_parts.push((part, v, date, source))
                        }
                        Some(_) => {}
                        None => self.unknown_unit(DataArea::BloodPressure, &label, *v, u, date),
                    }
                }
                return;
            }
        }
        if let Some((v, u)) = &q {
            let renal_unit_known = if concepts.contains(&Concept::Egfr) {
                Some(units::to_egfr(*v, u).is_some())
            } else if concepts.contains(&Concept::Creatinine) {
                Some(units::to_mg_per_dl(*v, u).is_some())
            } else {
                None
            };
            if renal_unit_known == Some(false) {
                self.unknown_unit(DataArea::RenalFunction, &label, *v, u, date);
            }
        }
        let mut result_text = o
            .value_string
            .as_deref()
            .map(str::to_ascii_lowercase)
            .or_else(|| {
                o.value_boolean
                    .map(|b| if b { "true" } else { "false" }.into())
            });
        let mut codes = Vec::new();
        if let Some(cc) = &o.value_codeable_concept {
            result_text = cc.label().map(str::to_ascii_lowercase).or(result_text);
            codes = cc
                .coding
                .iter()
                .filter_map(|c| {
                    Some((
                        crate::terminology::canonical_system(c.system.as_deref()?).to_string(),
                        c.code.as_deref()?.to_string(),
                    ))
                })
                .collect();
        }
        let interpretation = o
            .interpretation
            .iter()
            .find_map(|i| i.label().map(str::to_ascii_lowercase));
        if result_text.is_none() {
            result_text = interpretation.clone();
        }
        let own_code = code
            .coding
            .iter()
            .filter_map(|c| {
                Some((
                    crate::terminology::canonical_system(c.system.as_deref().unwrap_or(""))
                        .to_string(),
                    c.code.as_deref()?.to_string(),
                ))
            })
            .collect();
        self.at.labs.push(instant);
        self.facts.labs.push(Lab {
            concepts,
            label,
            quantity: q,
            comparator,
            result_text,
            interpretation,
            codes,
            code: own_code,
            upper_limit: o
                .reference_range
                .iter()
                .find_map(|r| r.high.as_ref()?.value),
            date,
            source,
        });
    }

    /// A result whose unit the service cannot read: not used, and kept to be
    /// named on the card that would have used it.
    pub(super) fn unknown_unit(
        &mut self,
        area: DataArea,
        label: &str,
        value: f64,
        unit: &str,
        date: Option<NaiveDate>,
    ) {
        self.facts.unclassified.push(Unclassified {
            kind: RecordKind::Result,
            reason: UnreadReason::UnknownUnit,
            area: Some(area),
            label: Some(label.to_string()),
            value: Some((value, unit.trim().to_string(), date)),
        });
    }
}
