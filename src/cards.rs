//! Findings rendered as CDS Hooks cards, with FHIR R4 resources in their
//! suggestions: `MedicationRequest` (draft, order, RxNorm coding and text,
//! dose in mg, timing, route, patient), `ServiceRequest` (LOINC), and `update`
//! actions that change a draft order's dose. Every card and suggestion gets a
//! fresh uuid.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use serde_json::value::RawValue;
use uuid::Uuid;

use crate::cds::resources as out;
use crate::cds::{self, Card, Coding, HookResponse, Link, Source};
use crate::clinical::products::DoseProduct;
use crate::clinical::{
    Action, Finding, Indicator, MedicationProposal, ProposedRoute, Selection, ServiceProposal,
};
use crate::facts::Schedule;
use crate::rules::What;
use crate::terminology::{LOINC, RXNORM, SNOMED, UCUM};
use crate::words::offer::Said;

pub const BASE: &str = "https://ssc-myositis-cds.example.org/fhir";

/// What the renderer needs from the request.
pub struct RenderContext<'a> {
    pub patient_id: &'a str,
    pub encounter_id: Option<&'a str>,
    pub today: NaiveDate,
    /// Draft orders as sent, by id, for `update` actions.
    pub drafts: &'a HashMap<String, Box<RawValue>>,
    /// Absolute base URL of this service as the client reaches it; each card
    /// then links to its rule's guidance page under it. `None`: no links.
    pub guidance_base: Option<&'a str>,
}

fn indicator(i: Indicator) -> &'static str {
    match i {
        Indicator::Info => "info",
        Indicator::Warning => "warning",
        Indicator::Critical => "critical",
    }
}

/// The indicator a card (or its audit record) names; `None` for a name this
/// service does not write.
pub fn indicator_named(name: &str) -> Option<Indicator> {
    [Indicator::Info, Indicator::Warning, Indicator::Critical]
        .into_iter()
        .find(|i| indicator(*i) == name)
}

fn timing(s: Schedule) -> out::Timing {
    let (period, unit) = if s.period_days == 7.0 {
        (1.0, "wk")
    } else if s.period_days >= 1.0 {
        (s.period_days, "d")
    } else {
        (s.period_days * 24.0, "h")
    };
    out::Timing {
        repeat: out::Repeat {
            // `frequency` is a positiveInt.
            frequency: s.frequency.round().max(1.0) as u32,
            period: out::Decimal(period),
            period_unit: unit,
        },
    }
}

fn route(r: ProposedRoute) -> out::CodeableConcept {
    let (code, display) = match r {
        ProposedRoute::Oral => ("26643006", "Oral route"),
        ProposedRoute::Sublingual => ("37839007", "Sublingual route"),
        ProposedRoute::Subcutaneous => ("34206005", "Subcutaneous route"),
    };
    out::CodeableConcept {
        coding: vec![out::Coding {
            code,
            display,
            system: SNOMED,
        }],
        text: None,
    }
}

fn mg(v: f64) -> out::Quantity {
    out::Quantity {
        code: "mg",
        system: UCUM,
        unit: "mg",
        value: out::Decimal(v),
    }
}

fn subject(ctx: &RenderContext<'_>) -> out::Reference {
    out::Reference {
        reference: format!("Patient/{}", ctx.patient_id),
    }
}

fn encounter(ctx: &RenderContext<'_>) -> Option<out::Reference> {
    ctx.encounter_id.map(|e| out::Reference {
        reference: format!("Encounter/{e}"),
    })
}

fn medication_request(
    p: &MedicationProposal,
    said: &Said,
    ctx: &RenderContext<'_>,
) -> out::Suggested {
    let coding = p
        .rxnorm
        .map(|(code, display)| out::Coding {
            code,
            display,
            system: RXNORM,
        })
        .into_iter()
        .collect();
    out::Suggested::MedicationRequest(Box::new(out::NewMedicationRequest {
        authored_on: ctx.today.to_string(),
        dosage_instruction: [out::Dosage {
            dose_and_rate: [out::DoseAndRate {
                dose_quantity: mg(p.dose_mg),
            }],
            route: out::Route::Coded(route(p.route)),
            text: said.instruction.clone().unwrap_or_default(),
            timing: timing(p.schedule),
        }],
        encounter: encounter(ctx),
        intent: "order",
        medication_codeable_concept: out::CodeableConcept {
            coding,
            text: said.text.clone(),
        },
        resource_type: "MedicationRequest",
        status: "draft",
        subject: subject(ctx),
    }))
}

fn service_request(p: &ServiceProposal, said: &Said, ctx: &RenderContext<'_>) -> out::Suggested {
    out::Suggested::ServiceRequest(Box::new(out::NewServiceRequest {
        authored_on: ctx.today.to_string(),
        code: out::CodeableConcept {
            coding: vec![out::Coding {
                code: p.loinc,
                display: p.display,
                system: LOINC,
            }],
            text: said.text.clone(),
        },
        encounter: encounter(ctx),
        intent: "order",
        note: said
            .note
            .iter()
            .map(|n| out::Annotation { text: n.clone() })
            .collect(),
        resource_type: "ServiceRequest",
        status: "draft",
        subject: subject(ctx),
    }))
}

/// The dose quantity of a changed order, in mg of the ingredient.
fn dose_quantity(p: &DoseProduct) -> out::Quantity {
    // Always in mg (the service's MedicationRequest profile and R4 dose
    // checks read mg); the product's strength divides it into whole tablets,
    // which the instruction text states ("7 tablets (35 mg)").
    mg(p.mg())
}

/// A JSON object's members, each kept as sent (the last of a repeated name).
fn members(raw: &RawValue) -> Option<BTreeMap<String, Box<RawValue>>> {
    serde_json::from_str(raw.get()).ok()
}

/// A draft of this request with its `resourceType` (None: not a draft of
/// this request, or no type).
fn draft_of<'a>(ctx: &'a RenderContext<'_>, order_id: &str) -> Option<(&'a RawValue, String)> {
    let draft = ctx.drafts.get(order_id)?;
    let kind = crate::fhir::resource_type(draft.get()).ok()??.into_owned();
    Some((&**draft, kind))
}

/// A draft an `update` may carry: an R4 MedicationRequest only. Another kind
/// (a DSTU2 MedicationOrder) is read and checked, and its card says what to
/// change, but no update offers a resource R4 does not have.
fn draft_request<'a>(ctx: &'a RenderContext<'_>, order_id: &str) -> Option<&'a RawValue> {
    draft_of(ctx, order_id).and_then(|(draft, kind)| (kind == "MedicationRequest").then_some(draft))
}

/// The draft order with its dose replaced: the medication set to the product
/// (or ingredient) the dose is ordered as, one dosage instruction, the
/// original route kept. Elements R4 requires that the draft lacked (the
/// sandbox sends no `intent`) are filled in, so the update is valid FHIR.
/// An EHR that applies only `medicationCodeableConcept.coding[0].code` gets
/// the product that, at the instruction's whole tablets, gives the dose.
/// `None` when the draft is not a JSON object.
fn updated_draft(
    draft: &RawValue,
    product: &DoseProduct,
    schedule: Schedule,
    proposed_route: ProposedRoute,
    instruction: &str,
    ctx: &RenderContext<'_>,
) -> Option<out::Suggested> {
    use out::Member;
    let mut r: BTreeMap<String, Member> = members(draft)?
        .into_iter()
        .map(|(k, v)| (k, Member::AsSent(v)))
        .collect();
    // The draft's own route: `dosageInstruction[0].route`, as sent.
    let own_route = match r.get("dosageInstruction") {
        Some(Member::AsSent(d)) => serde_json::from_str::<Vec<&RawValue>>(d.get())
            .ok()
            .and_then(|d| d.first().and_then(|first| members(first)))
            .and_then(|mut first| first.remove("route")),
        _ => None,
    };
    // Still a draft: the order is being edited before signing.
    r.insert("status".into(), Member::Text("draft"));
    let intent_is_text =
        matches!(r.get("intent"), Some(Member::AsSent(i)) if i.get().starts_with('"'));
    if !intent_is_text {
        r.insert("intent".into(), Member::Text("order"));
    }
    let has_reference = match r.get("subject") {
        Some(Member::AsSent(s)) => members(s).is_some_and(|s| s.contains_key("reference")),
        _ => false,
    };
    if !has_reference {
        r.insert("subject".into(), Member::Subject(subject(ctx)));
    }
    // medication[x] is a choice: the code replaces any reference.
    r.remove("medicationReference");
    let (code, display) = product.coding();
    r.insert(
        "medicationCodeableConcept".into(),
        Member::Medication(out::CodeableConcept {
            coding: vec![out::Coding {
                code,
                display,
                system: RXNORM,
            }],
            text: Some(display.to_string()),
        }),
    );
    r.insert(
        "dosageInstruction".into(),
        Member::Dosage([out::Dosage {
            dose_and_rate: [out::DoseAndRate {
                dose_quantity: dose_quantity(product),
            }],
            route: match own_route {
                Some(own) => out::Route::AsSent(own),
                None => out::Route::Coded(route(proposed_route)),
            },
            text: instruction.to_string(),
            timing: timing(schedule),
        }]),
    );
    Some(out::Suggested::Updated(out::UpdatedDraft { members: r }))
}

fn action(a: &Action, ctx: &RenderContext<'_>) -> Option<cds::Action> {
    let said = crate::words::offer::said(a);
    Some(match a {
        Action::CreateMedication(order) => cds::Action {
            kind: "create",
            resource: Some(medication_request(order, &said, ctx)),
            description: said.description,
            resource_id: None,
        },
        Action::CreateService(order) => cds::Action {
            kind: "create",
            resource: Some(service_request(order, &said, ctx)),
            description: said.description,
            resource_id: None,
        },
        // Only a draft of this request can be removed.
        Action::DeleteDraft { order_id, .. } => {
            // Named by the draft's own type (a DSTU2 draft is a MedicationOrder).
            let (_, kind) = draft_of(ctx, order_id)?;
            cds::Action {
                kind: "delete",
                description: said.description,
                resource: None,
                resource_id: Some(format!("{kind}/{order_id}")),
            }
        }
        Action::UpdateDraftDose {
            order_id,
            product,
            schedule,
            route,
            ..
        } => cds::Action {
            kind: "update",
            resource: Some(updated_draft(
                draft_request(ctx, order_id)?,
                product,
                *schedule,
                *route,
                said.instruction.as_deref().unwrap_or_default(),
                ctx,
            )?),
            description: said.description,
            resource_id: None,
        },
    })
}

pub fn card(f: &Finding<What>, ctx: &RenderContext<'_>) -> Card {
    let text = crate::words::text(f);
    let suggestions: Vec<cds::Suggestion> = f
        .suggestions
        .iter()
        .filter_map(|s| {
            let actions: Vec<cds::Action> =
                s.actions.iter().filter_map(|a| action(a, ctx)).collect();
            (!actions.is_empty()).then(|| cds::Suggestion {
                label: crate::words::offer::label(s),
                uuid: Uuid::new_v4().to_string(),
                is_recommended: s.recommended,
                actions,
                key: s.key(),
            })
        })
        .collect();
    let selection_behavior = (!suggestions.is_empty()).then_some(match f.selection {
        Selection::AtMostOne => "at-most-one",
        Selection::Any => "any",
    });
    // The guidance page of the rule that made the card.
    let page = ctx
        .guidance_base
        .zip(crate::guidance::by_topic(f.topic.code))
        .map(|(base, page)| (page.url(base), page.title()));
    Card {
        uuid: Uuid::new_v4().to_string(),
        summary: text.summary,
        detail: text.detail,
        indicator: indicator(f.indicator),
        source: Source {
            label: crate::words::source_label(f.topic.code).into(),
            url: page.as_ref().map(|(url, _)| url.clone()),
            topic: Coding {
                system: format!("{BASE}/CodeSystem/rule"),
                code: f.topic.code.into(),
                display: f.topic.display.into(),
            },
        },
        suggestions,
        selection_behavior,
        override_reasons: f
            .override_reasons
            .iter()
            .map(|r| Coding {
                system: format!("{BASE}/CodeSystem/override-reason"),
                code: r.code().into(),
                display: r.display().into(),
            })
            .collect(),
        links: page
            .map(|(url, title)| Link {
                label: format!("Guidance: {title}"),
                url,
                kind: "absolute",
            })
            .into_iter()
            .chain(
                crate::words::public_source(f.topic.code).map(|(label, url)| Link {
                    label: label.into(),
                    url: url.into(),
                    kind: "absolute",
                }),
            )
            .collect(),
    }
}

pub fn response(findings: &[Finding<What>], ctx: &RenderContext<'_>) -> HookResponse {
    HookResponse {
        cards: findings.iter().map(|f| card(f, ctx)).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clinical::{OverrideReason, Suggestion};
    use serde_json::json;

    #[test]
    fn update_keeps_the_draft_and_route_and_sets_the_dose() {
        let draft = json!({"resourceType":"MedicationRequest","id":"request-123","status":"draft","intent":"order",
            "medicationCodeableConcept":{"text":"Prednisone 20 MG Oral Tablet"},
            "dosageInstruction":[{"route":{"text":"oral"},"doseAndRate":[{"doseQuantity":{"value":3,"code":"{pill}"}}]}]});
        let drafts = HashMap::from([(
            "request-123".to_string(),
            RawValue::from_string(draft.to_string()).unwrap(),
        )]);
        let ctx = RenderContext {
            patient_id: "p1",
            encounter_id: Some("e1"),
            today: NaiveDate::from_ymd_opt(2026, 11, 24).unwrap(),
            drafts: &drafts,
            guidance_base: Some("https://cds.example.org/base/"),
        };
        // Any finding will do: the words are not under test here.
        let mut facts = crate::rules::test_support::patient(&[crate::terminology::Concept::Ssc]);
        facts.setting = crate::facts::Setting::OrderEntry;
        facts
            .unreadable_orders
            .push(crate::facts::UnreadableOrder::NoMedication { index: 1, of: 1 });
        let mut f =
            crate::rules::unreadable_order::evaluate(&facts, &crate::clinical::Policy::default())
                .findings
                .remove(0)
                .map(What::from);
        f = Finding {
            indicator: Indicator::Warning,
            suggestions: vec![Suggestion {
                recommended: true,
                actions: vec![Action::UpdateDraftDose {
                    change: crate::clinical::Change::Corticosteroid(
                        crate::terminology::medication::Gc::Prednisone,
                    ),
                    order_id: "request-123".into(),
                    dose_mg: 35.0,
                    product: crate::clinical::products::for_dose(
                        crate::terminology::medication::Gc::Prednisone,
                        35.0,
                        true,
                        None,
                    )
                    .unwrap(),
                    schedule: Schedule::DAILY,
                    route: ProposedRoute::Oral,
                }],
            }],
            selection: Selection::AtMostOne,
            override_reasons: vec![OverrideReason::DoseAppropriate],
            ..f
        };
        let c = serde_json::to_value(card(&f, &ctx)).unwrap();
        let r = &c["suggestions"][0]["actions"][0];
        assert_eq!(r["type"], "update");
        assert_eq!(r["resource"]["id"], "request-123");
        // 35 mg as 7 tablets of prednisone 5 mg, coded so that an EHR applying
        // only coding[0].code gets the product the instruction counts.
        let med = &r["resource"]["medicationCodeableConcept"];
        assert_eq!(med["coding"][0]["code"], "312617");
        assert_eq!(med["coding"][0]["system"], RXNORM);
        assert_eq!(med["text"], "Prednisone 5 MG Oral Tablet");
        let q = &r["resource"]["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"];
        // The dose in mg, a whole number of the product's 5 mg tablets.
        assert_eq!(q["value"], 35);
        assert_eq!(q["code"], "mg");
        assert_eq!(q["system"], UCUM);
        assert_eq!(
            r["resource"]["dosageInstruction"][0]["route"]["text"],
            "oral"
        );
        assert_eq!(c["selectionBehavior"], "at-most-one");
        assert_eq!(
            c["overrideReasons"][0]["display"],
            "Dose appropriate for this patient"
        );

        // An update for a draft we do not have is dropped, and with it the suggestion
        // and selectionBehavior: no empty arrays.
        let empty = HashMap::new();
        let ctx = RenderContext {
            drafts: &empty,
            ..ctx
        };
        let c = serde_json::to_value(card(&f, &ctx)).unwrap();
        assert!(c.get("suggestions").is_none());
        assert!(c.get("selectionBehavior").is_none());

        // A DSTU2 MedicationOrder draft (read and checked) is not updated (R4
        // has no such resource); its removal names it by its own type.
        let mut order = draft.clone();
        order["resourceType"] = json!("MedicationOrder");
        let orders = HashMap::from([(
            "request-123".to_string(),
            RawValue::from_string(order.to_string()).unwrap(),
        )]);
        let ctx_order = RenderContext {
            drafts: &orders,
            ..ctx
        };
        let mut g = f.clone();
        g.suggestions[0].actions.push(Action::DeleteDraft {
            order_id: "request-123".into(),
            drug: None,
            name: "prednisone".into(),
        });
        let c = serde_json::to_value(card(&g, &ctx_order)).unwrap();
        let actions = c["suggestions"][0]["actions"].as_array().unwrap();
        assert_eq!(actions.len(), 1, "{c}");
        assert_eq!(actions[0]["type"], "delete");
        assert_eq!(actions[0]["resourceId"], "MedicationOrder/request-123");

        // The card links to its rule's page, in source.url and in links; the
        // topic keeps the finding's code. Without a base URL: neither.
        let url = "https://cds.example.org/base/guidance/unreadable-order";
        assert_eq!(c["source"]["url"], url);
        assert_eq!(c["source"]["topic"]["code"], f.topic.code);
        assert_eq!(
            c["links"],
            json!([{"label": "Guidance: Order not read", "url": url, "type": "absolute"}])
        );
        let ctx = RenderContext {
            guidance_base: None,
            ..ctx
        };
        let c = serde_json::to_value(card(&f, &ctx)).unwrap();
        assert!(c["source"].get("url").is_none());
        assert!(c.get("links").is_none());
    }

    /// The new orders as written out, member for member: names in
    /// alphabetical order, whole decimals without a fraction, nothing empty.
    #[test]
    fn new_orders_serialise_exactly() {
        let ctx = RenderContext {
            patient_id: "p1",
            encounter_id: Some("e1"),
            today: NaiveDate::from_ymd_opt(2026, 11, 24).unwrap(),
            drafts: &HashMap::new(),
            guidance_base: None,
        };
        let mtx = MedicationProposal {
            starting: crate::clinical::Starting::Methotrexate,
            rxnorm: Some(("105586", "methotrexate 2.5 MG Oral Tablet")),
            dose_mg: 27.5,
            schedule: Schedule {
                frequency: 1.0,
                period_days: 7.0,
            },
            route: ProposedRoute::Subcutaneous,
        };
        // The words are given here: the serialisation is under test.
        let said = |text: &str, instruction: Option<&str>| Said {
            description: String::new(),
            text: Some(text.into()),
            instruction: instruction.map(str::to_string),
            note: None,
        };
        let mtx_said = said("Methotrexate", Some("27.5 mg once weekly"));
        assert_eq!(
            serde_json::to_string(&medication_request(&mtx, &mtx_said, &ctx)).unwrap(),
            concat!(
                r#"{"authoredOn":"2026-11-24","dosageInstruction":[{"doseAndRate":[{"doseQuantity":"#,
                r#"{"code":"mg","system":"http://unitsofmeasure.org","unit":"mg","value":27.5}}],"#,
                r#""route":{"coding":[{"code":"34206005","display":"Subcutaneous route","system":"http://snomed.info/sct"}]},"#,
                r#""text":"27.5 mg once weekly","timing":{"repeat":{"frequency":1,"period":1,"periodUnit":"wk"}}}],"#,
                r#""encounter":{"reference":"Encounter/e1"},"intent":"order","medicationCodeableConcept":"#,
                r#"{"coding":[{"code":"105586","display":"methotrexate 2.5 MG Oral Tablet","system":"http://www.nlm.nih.gov/research/umls/rxnorm"}],"text":"Methotrexate"},"#,
                r#""resourceType":"MedicationRequest","status":"draft","subject":{"reference":"Patient/p1"}}"#
            )
        );
        let folic = MedicationProposal {
            rxnorm: None,
            dose_mg: 1.0,
            schedule: Schedule::DAILY,
            route: ProposedRoute::Oral,
            ..mtx
        };
        let v = serde_json::to_value(medication_request(&folic, &mtx_said, &ctx)).unwrap();
        assert_eq!(
            v["medicationCodeableConcept"],
            json!({"text": "Methotrexate"})
        );
        assert_eq!(
            v["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"]["value"].to_string(),
            "1"
        );
        let test = ServiceProposal {
            test: crate::clinical::Test::Creatinine,
            loinc: "2160-0",
            display: "Creatinine [Mass/volume] in Serum or Plasma",
        };
        assert_eq!(
            serde_json::to_string(&service_request(
                &test,
                &said("Serum creatinine", None),
                &RenderContext {
                    encounter_id: None,
                    ..ctx
                }
            ))
            .unwrap(),
            concat!(
                r#"{"authoredOn":"2026-11-24","code":{"coding":[{"code":"2160-0","display":"Creatinine [Mass/volume] in Serum or Plasma","#,
                r#""system":"http://loinc.org"}],"text":"Serum creatinine"},"intent":"order","#,
                r#""resourceType":"ServiceRequest","status":"draft","subject":{"reference":"Patient/p1"}}"#
            )
        );
    }

    #[test]
    fn a_dose_no_tablet_makes_is_the_ingredient_in_mg() {
        let draft = json!({"resourceType":"MedicationRequest","id":"d1",
            "medicationReference":{"reference":"#m"},
            "dosageInstruction":[{"doseAndRate":[{"doseQuantity":{"value":1,"code":"{pill}"}}]}]});
        let product = crate::clinical::products::for_dose(
            crate::terminology::medication::Gc::Prednisone,
            37.5,
            true,
            None,
        )
        .unwrap();
        let ctx = RenderContext {
            patient_id: "p1",
            encounter_id: None,
            today: NaiveDate::from_ymd_opt(2026, 11, 24).unwrap(),
            drafts: &HashMap::new(),
            guidance_base: None,
        };
        let draft = RawValue::from_string(draft.to_string()).unwrap();
        let r = updated_draft(
            &draft,
            &product,
            Schedule::DAILY,
            ProposedRoute::Oral,
            "37.5 mg by mouth once daily",
            &ctx,
        );
        let r = serde_json::to_value(r.unwrap()).unwrap();
        assert!(r.get("medicationReference").is_none());
        assert_eq!(r["medicationCodeableConcept"]["coding"][0]["code"], "8640");
        assert_eq!(r["medicationCodeableConcept"]["text"], "prednisone");
        let q = &r["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"];
        assert_eq!(
            (q["value"].as_f64(), q["code"].as_str()),
            (Some(37.5), Some("mg"))
        );
        assert_eq!(r["intent"], "order");
        assert_eq!(r["subject"]["reference"], "Patient/p1");
    }
}
