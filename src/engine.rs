//! One hook call, end to end and without I/O: parse and check the request,
//! gather the patient data from the draft orders and prefetch, build the facts,
//! run the rules, render the cards.
//!
//! Errors are typed ([`EvalError`]) and carry what the client must fix; the
//! HTTP layer turns them into 4xx responses with an OperationOutcome.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::NaiveDate;
use serde_json::value::RawValue;

use crate::cards::{self, RenderContext};
use crate::cds::{FhirAuthorization, HookContext, HookRequest, HookResponse};
use crate::clinical::{self, Policy};
use crate::facts::{Facts, FactsBuilder, Setting};
use crate::fhir::{self, Resource, Skipped};
use crate::rules;
use crate::services::{Hook, Service, Services, REQUIRED};
use crate::terminology::Terminology;

/// Runs `work` (compiling the terminology) while every text matcher of the
/// facts, the rules and the medication names is built, the names on a
/// second thread: at start-up, so that no request pays for them.
pub fn warming<T>(work: impl FnOnce() -> T) -> T {
    std::thread::scope(|s| {
        s.spawn(crate::terminology::medication::warm);
        crate::facts::warm();
        crate::rules::warm();
        work()
    })
}

impl Prepared<'_> {
    /// Entries of the draftOrders Bundle (0 when there is none or it cannot
    /// be read as a Bundle: the facts say so then).
    pub fn draft_order_count(&self) -> usize {
        #[derive(serde::Deserialize)]
        struct Entries {
            #[serde(default)]
            entry: Vec<serde::de::IgnoredAny>,
        }
        self.context
            .draft_orders
            .and_then(|raw| serde_json::from_str::<Entries>(raw.get()).ok())
            .map_or(0, |b| b.entry.len())
    }
}

/// Why a request could not be evaluated.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum EvalError {
    #[error("malformed JSON: {0}")]
    MalformedJson(String),
    #[error("invalid request at {path}: {message}")]
    Invalid { path: String, message: String },
    #[error("hook {got:?} sent to service {service:?}, which handles {expected:?}")]
    WrongHook {
        service: String,
        expected: &'static str,
        got: String,
    },
    #[error("required data unavailable: {}", .missing.iter().filter(|m| m.required).map(|m| m.key.as_str()).collect::<Vec<_>>().join(", "))]
    DataUnavailable { missing: Vec<MissingKey> },
}

/// A prefetch key the request did not satisfy.
#[derive(Debug, Clone, PartialEq)]
pub struct MissingKey {
    pub key: String,
    pub template: String,
    pub required: bool,
    pub reason: String,
}

/// What happened, for the log (no patient data).
#[derive(Debug, Default)]
pub struct Report {
    pub skipped: Vec<Skipped>,
    /// Resources not used, counted by (type, why): another patient's, duplicates.
    pub dropped: BTreeMap<(String, &'static str), usize>,
    pub missing_optional: Vec<String>,
    /// Prefetch keys obtained from the FHIR server.
    pub fetched: Vec<String>,
    /// Referenced Medications read from the FHIR server one by one, and
    /// those that could not be (their orders are named as not identified).
    pub medications_read: usize,
    pub medication_failures: Vec<String>,
    pub orders: usize,
    /// Findings hidden by a contradicting one: (hidden topic, kept topic).
    pub silenced: Vec<(&'static str, &'static str)>,
    /// Where the cards break the card budget (logged; nothing is hidden).
    pub over_budget: Vec<clinical::budget::Breach>,
}

/// A checked request, before its facts are built: it borrows from the
/// request body (the context, draft orders and prefetch are read where they
/// lie, never copied).
#[derive(Debug)]
pub struct Prepared<'a> {
    /// The client's id of this call (checked non-blank), for the log and audit.
    pub hook_instance: String,
    pub context: HookContext<'a>,
    pub prefetch: HashMap<String, Option<&'a RawValue>>,
    pub fhir_server: Option<String>,
    pub fhir_authorization: Option<FhirAuthorization>,
    /// (key, template) of the service's prefetch keys the request did not satisfy.
    pub unsatisfied: Vec<(String, String)>,
}

/// What the FHIR server returned for the unsatisfied keys.
#[derive(Debug, Default)]
pub struct Fetched {
    /// Per key: the result pages, or why the query failed.
    pub results: HashMap<String, Result<Vec<Box<RawValue>>, String>>,
    /// Why no query was made at all (no fhirServer, not allowed, ...).
    pub not_attempted: Option<String>,
    /// Medications the results referenced but did not include, read one by
    /// one (`Medication/{id}`).
    pub medications: Vec<Box<RawValue>>,
    /// Referenced Medications that could not be read, and why (no ids).
    pub medication_failures: Vec<String>,
}

fn is_operation_outcome(raw: &RawValue) -> bool {
    fhir::resource_type(raw.get()).is_ok_and(|t| t.is_some_and(|t| t == "OperationOutcome"))
}

/// Draft entries of these types are medication orders: one we cannot read
/// gets a card, never silence.
const MEDICATION_ORDER_TYPES: &[&str] = &[
    "MedicationRequest",
    "MedicationOrder",
    "MedicationPrescription",
];

/// The facts of one request, with what the cards need from the request.
#[derive(Debug)]
pub struct Gathered<'a> {
    pub facts: Facts,
    pub report: Report,
    /// Draft orders as sent, by id, for `update` suggestions.
    pub drafts: HashMap<String, Box<RawValue>>,
    pub context: HookContext<'a>,
}

impl Gathered<'_> {
    pub fn render_context(&self, today: NaiveDate) -> RenderContext<'_> {
        RenderContext {
            patient_id: self.context.patient_id.as_deref().unwrap_or_default(),
            encounter_id: self.context.encounter_id.as_deref(),
            today,
            drafts: &self.drafts,
            guidance_base: None,
        }
    }
}

pub struct Engine {
    pub terminology: Terminology,
    pub policy: Policy,
    pub services: Services,
}

fn invalid(path: &str, e: &serde_json::Error) -> EvalError {
    use serde_json::error::Category;
    match e.classify() {
        Category::Syntax | Category::Eof | Category::Io => EvalError::MalformedJson(e.to_string()),
        Category::Data => EvalError::Invalid {
            path: path.into(),
            message: e.to_string(),
        },
    }
}

fn required(path: &str) -> EvalError {
    EvalError::Invalid {
        path: path.into(),
        message: "required for this hook".into(),
    }
}

/// "MedicationRequest/abc" (or a full URL ending so) → ("MedicationRequest", "abc").
fn type_and_id(reference: &str) -> Option<(&str, &str)> {
    let mut it = reference.rsplit('/');
    let id = it.next()?;
    let ty = it.next()?;
    Some((ty, id))
}

impl Engine {
    pub fn with_defaults() -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Engine {
            terminology: warming(Terminology::embedded)?,
            policy: Policy::default(),
            services: Services::embedded()?,
        })
    }

    /// Evaluates one hook request for `service` from what it carries (no FHIR
    /// server queries): `prepare` then `finish`.
    pub fn evaluate(
        &self,
        service: &Service,
        body: &[u8],
        today: NaiveDate,
    ) -> Result<(HookResponse, Report), EvalError> {
        self.evaluate_at(service, body, today, None)
    }

    /// As [`Engine::evaluate`], each card linking to its guidance page under
    /// `base` (the service's absolute base URL).
    pub fn evaluate_at(
        &self,
        service: &Service,
        body: &[u8],
        today: NaiveDate,
        base: Option<&str>,
    ) -> Result<(HookResponse, Report), EvalError> {
        let prepared = self.prepare(service, body)?;
        self.finish(service, prepared, Fetched::default(), today, base)
    }

    /// Parses and checks the request, and lists the prefetch keys it does not
    /// satisfy (absent, or an OperationOutcome; `null` means "no data").
    pub fn prepare<'a>(
        &self,
        service: &Service,
        body: &'a [u8],
    ) -> Result<Prepared<'a>, EvalError> {
        let req: HookRequest<'a> =
            serde_json::from_slice(body).map_err(|e| invalid("(request)", &e))?;
        if req.hook != service.hook.as_str() {
            return Err(EvalError::WrongHook {
                service: service.id.clone(),
                expected: service.hook.as_str(),
                got: req.hook,
            });
        }
        if req.hook_instance.trim().is_empty() {
            return Err(required("hookInstance"));
        }
        // CDS Hooks 2.0: "a universally unique identifier (UUID) for this
        // particular hook call". Anything else is refused, and what is kept
        // (log, audit) is the UUID in its canonical form, never free text.
        let hook_instance = uuid::Uuid::parse_str(req.hook_instance.trim())
            .map_err(|_| EvalError::Invalid {
                path: "hookInstance".into(),
                message: "must be a UUID (CDS Hooks 2.0)".into(),
            })?
            .hyphenated()
            .to_string();
        let ctx: HookContext<'a> =
            serde_json::from_str(req.context.get()).map_err(|e| invalid("context", &e))?;
        ctx.patient_id
            .as_deref()
            .filter(|p| !p.trim().is_empty())
            .ok_or_else(|| required("context.patientId"))?;
        if service.hook != Hook::PatientView && ctx.draft_orders.is_none() {
            return Err(required("context.draftOrders"));
        }
        if service.hook == Hook::OrderSelect && ctx.selections.is_none() {
            return Err(required("context.selections"));
        }
        let prefetch = req.prefetch.unwrap_or_default();
        let unsatisfied = service
            .prefetch
            .iter()
            .filter(|(key, _, _)| match prefetch.get(key) {
                None => true,
                Some(None) => false,
                Some(Some(raw)) => is_operation_outcome(raw),
            })
            .map(|(key, template, _)| (key.clone(), template.clone()))
            .collect();
        Ok(Prepared {
            hook_instance,
            context: ctx,
            prefetch,
            fhir_server: req.fhir_server,
            fhir_authorization: req.fhir_authorization,
            unsatisfied,
        })
    }

    /// Builds the facts from the request and what was fetched, runs the rules
    /// and renders the cards, each linking to its rule's guidance page under
    /// `base` (the service's absolute base URL as the client reaches it).
    pub fn finish(
        &self,
        service: &Service,
        prepared: Prepared<'_>,
        fetched: Fetched,
        today: NaiveDate,
        base: Option<&str>,
    ) -> Result<(HookResponse, Report), EvalError> {
        let gathered = self.gather(service, prepared, fetched, today)?;
        let rules::Evaluation { findings, silenced } =
            rules::evaluate_all(&gathered.facts, &self.policy);
        let mut ctx = gathered.render_context(today);
        ctx.guidance_base = base;
        let response = cards::response(&findings, &ctx);
        let mut report = gathered.report;
        report.silenced = silenced.iter().map(|s| (s.hidden, s.by)).collect();
        report.over_budget = clinical::budget::check(&findings);
        Ok((response, report))
    }

    /// Reads the draft orders and the prefetch (and what was fetched) into
    /// the patient's facts: everything of `finish` before the rules.
    pub fn gather<'a>(
        &self,
        service: &Service,
        prepared: Prepared<'a>,
        fetched: Fetched,
        today: NaiveDate,
    ) -> Result<Gathered<'a>, EvalError> {
        let Prepared {
            context: ctx,
            prefetch,
            unsatisfied,
            ..
        } = prepared;
        let unsatisfied: Vec<&str> = unsatisfied.iter().map(|(k, _)| k.as_str()).collect();
        let patient_id = ctx.patient_id.as_deref().unwrap_or_default();
        let mut report = Report::default();
        let setting = if service.hook == Hook::PatientView {
            Setting::ChartView
        } else {
            Setting::OrderEntry
        };
        let mut b = FactsBuilder::new(&self.terminology, today)
            .setting(setting)
            .patient_id(Some(patient_id))
            .limits(self.policy.data_limits());

        // Draft orders.
        let mut drafts: HashMap<String, Box<RawValue>> = HashMap::new();
        if let (Some(raw), true) = (ctx.draft_orders, service.hook != Hook::PatientView) {
            let selections: Option<Vec<(String, String)>> = match service.hook {
                Hook::OrderSelect => Some(
                    ctx.selections
                        .iter()
                        .flatten()
                        .filter_map(|s| type_and_id(s).map(|(t, i)| (t.to_string(), i.to_string())))
                        .collect(),
                ),
                _ => None,
            };
            let bundle: fhir::Bundle =
                serde_json::from_str(raw.get()).map_err(|e| invalid("context.draftOrders", &e))?;
            for entry in bundle.entry {
                let Some(raw) = entry.resource else { continue };
                match fhir::parse_resource(raw) {
                    Ok(Resource::MedicationRequest(mr)) => {
                        let selected = match (&selections, &mr.id) {
                            (None, _) => true,
                            (Some(sel), Some(id)) => sel
                                .iter()
                                .any(|(t, i)| t == "MedicationRequest" && **i == **id),
                            (Some(_), None) => false,
                        };
                        let id = mr.id.clone();
                        // A draft for another patient is never evaluated (nor updated).
                        if let Err(why) = b.draft(*mr, selected) {
                            *report
                                .dropped
                                .entry(("MedicationRequest".into(), why.describe()))
                                .or_default() += 1;
                            continue;
                        }
                        if let Some(id) = id {
                            // Kept as sent, for `update` suggestions.
                            drafts.insert(id.into(), raw.to_owned());
                        }
                        report.orders += usize::from(selected);
                    }
                    // A Medication sent beside the draft that references it.
                    Ok(med @ Resource::Medication(_)) => {
                        let _ = b.add(med);
                    }
                    // A drafted test or monitoring order.
                    Ok(Resource::ServiceRequest(sr)) => {
                        if let Err(why) = b.drafted_service(*sr) {
                            *report
                                .dropped
                                .entry(("ServiceRequest".into(), why.describe()))
                                .or_default() += 1;
                        }
                    }
                    Ok(_) => {}
                    Err(s) => {
                        if MEDICATION_ORDER_TYPES.contains(&s.resource_type.as_str()) {
                            b.unreadable_order(crate::facts::UnreadableOrder::Malformed {
                                resource_type: s.resource_type.clone(),
                                error: s.category,
                            });
                        }
                        report.skipped.push(s)
                    }
                }
            }
        }

        // Prefetch key by key: from the request, else from the FHIR server.
        let mut missing = vec![];
        let mut seen_areas = BTreeSet::new();
        for (key, template, area) in &service.prefetch {
            let reason = match prefetch.get(key) {
                Some(None) => None, // null: the client has no data for it
                Some(Some(raw)) if !unsatisfied.contains(&key.as_str()) => {
                    self.read_prefetch(raw, &mut b, &mut report)
                }
                sent => {
                    let not_sent = if sent.is_some() {
                        "the client sent an OperationOutcome instead of data"
                    } else {
                        "not sent"
                    };
                    match fetched.results.get(key) {
                        Some(Ok(pages)) => {
                            report.fetched.push(key.clone());
                            // Every page is read; the first that holds no data names why.
                            let mut reason = None;
                            for page in pages {
                                if let Some(why) = self.read_prefetch(page, &mut b, &mut report) {
                                    reason.get_or_insert(why);
                                }
                            }
                            reason
                        }
                        Some(Err(why)) => {
                            Some(format!("{not_sent}; the FHIR server query failed: {why}"))
                        }
                        None => Some(match &fetched.not_attempted {
                            Some(why) => format!("{not_sent}; {why}"),
                            None => not_sent.to_string(),
                        }),
                    }
                }
            };
            match reason {
                None => {
                    seen_areas.insert(*area);
                }
                Some(reason) => missing.push(MissingKey {
                    key: key.clone(),
                    template: template.clone(),
                    required: REQUIRED.contains(area),
                    reason,
                }),
            }
        }
        // Medications the server did not include, read one by one.
        for raw in &fetched.medications {
            let _ = self.read_prefetch(raw, &mut b, &mut report);
        }
        report.medications_read = fetched.medications.len();
        report.medication_failures = fetched.medication_failures.clone();
        // Keys outside our templates are still read: resources are known by their type.
        for (key, value) in &prefetch {
            if !service.prefetch.iter().any(|(k, _, _)| k == key) {
                if let Some(raw) = value {
                    let _ = self.read_prefetch(raw, &mut b, &mut report);
                }
            }
        }
        if missing.iter().any(|m| m.required) {
            missing.sort_by_key(|m| !m.required);
            return Err(EvalError::DataUnavailable { missing });
        }
        for m in &missing {
            if let Some((_, _, area)) = service.prefetch.iter().find(|(k, _, _)| *k == m.key) {
                if !seen_areas.contains(area) {
                    b.missing(*area);
                }
            }
            report.missing_optional.push(m.key.clone());
        }

        let facts = b.build();
        Ok(Gathered {
            facts,
            report,
            drafts,
            context: ctx,
        })
    }

    /// Reads one prefetch value. `Some(reason)` when it does not hold the data
    /// (an OperationOutcome instead of a result).
    fn read_prefetch<'t>(
        &self,
        raw: &'t RawValue,
        b: &mut FactsBuilder<'t>,
        report: &mut Report,
    ) -> Option<String> {
        // Streamed: each resource goes into the facts as it is parsed. The
        // first is held back until a second shows the value is not a lone
        // OperationOutcome.
        let mut first: Option<Resource> = None;
        let mut count = 0usize;
        let add = |r: Resource<'t>, b: &mut FactsBuilder<'t>, report: &mut Report| {
            let ty = r.type_name().to_string();
            if let Err(why) = b.add(r) {
                *report.dropped.entry((ty, why.describe())).or_default() += 1;
            }
        };
        let mut skipped = Vec::new();
        fhir::visit(
            raw,
            |r| {
                count += 1;
                if count == 1 {
                    first = Some(r);
                    return;
                }
                if let Some(f) = first.take() {
                    add(f, b, report);
                }
                add(r, b, report);
            },
            |s| skipped.push(s),
        );
        report.skipped.extend(skipped);
        if let Some(f) = first {
            if count == 1 && matches!(f, Resource::OperationOutcome(_)) {
                return Some("the client sent an OperationOutcome instead of data".into());
            }
            add(f, b, report);
        }
        None
    }
}
