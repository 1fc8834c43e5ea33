//! The CDS endpoints: discovery, a hook call (prepare, fetch, evaluate,
//! audit) and its feedback.

use super::layers::PendingClaim;
use super::{guidance, json_depth, ops, ApiError, AppState, Audit, AuthMode, Limits};
use crate::auth::{Caller, ReplayClaim};
use crate::cds::HookResponse;
use crate::engine::Report;
use crate::store::{audit, Filed};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

pub(super) async fn discovery(State(state): State<Arc<AppState>>) -> Json<serde_json::Value> {
    Json(state.engine.services.discovery())
}

fn json_body(
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
    limits: &Limits,
) -> Result<Bytes, ApiError> {
    let limit = limits.max_body_bytes;
    let body = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::TooLarge { limit }
        } else {
            ApiError::BodyUnreadable
        }
    })?;
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let essence = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if essence != "application/json" && !essence.ends_with("+json") {
        return Err(ApiError::UnsupportedMediaType);
    }
    if json_depth(&body) > limits.max_json_depth {
        return Err(ApiError::TooDeep {
            limit: limits.max_json_depth,
        });
    }
    Ok(body)
}

/// `POST /cds-services/{id}`: one [`HookCall`], then its log line and answer.
pub(super) async fn invoke(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    caller: Option<axum::Extension<Caller>>,
    pending: Option<axum::Extension<PendingClaim>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let started = Instant::now();
    let call = HookCall {
        state: &state,
        caller: caller.as_deref(),
        pending: pending.as_deref(),
    };
    let (hook_instance, result) = call.run(&id, &headers, body).await;
    answer(
        &id,
        hook_instance.as_deref().unwrap_or("-"),
        started,
        result,
    )
}

/// One hook call: the request read and checked, what it lacks fetched from
/// the EHR's FHIR server, the rules run and the cards rendered, the cards
/// recorded (with the token's claim) before the answer.
struct HookCall<'a> {
    state: &'a AppState,
    caller: Option<&'a Caller>,
    pending: Option<&'a PendingClaim>,
}

impl HookCall<'_> {
    /// The response and its report, with the hook instance as far as it was
    /// read (for the log line, refused or not).
    async fn run(
        self,
        id: &str,
        headers: &HeaderMap,
        body: Result<Bytes, BytesRejection>,
    ) -> (Option<String>, Result<(HookResponse, Report), ApiError>) {
        let mut hook_instance = None;
        let result = self.steps(id, headers, body, &mut hook_instance).await;
        (hook_instance, result)
    }

    async fn steps(
        &self,
        id: &str,
        headers: &HeaderMap,
        body: Result<Bytes, BytesRejection>,
        hook_instance: &mut Option<String>,
    ) -> Result<(HookResponse, Report), ApiError> {
        let state = self.state;
        let service = state
            .engine
            .services
            .get(id)
            .ok_or_else(|| ApiError::UnknownService(id.to_string()))?;
        let body = json_body(headers, body, &state.limits)?;
        let prepared = state.engine.prepare(service, &body)?;
        let drafts = prepared.draft_order_count();
        if drafts > state.limits.max_draft_orders {
            return Err(ApiError::TooManyDraftOrders {
                count: drafts,
                limit: state.limits.max_draft_orders,
            });
        }
        // The body is kept until the cards are made: the context, draft
        // orders and prefetch are read from it where they lie (no copy), so
        // a request holds its body once, not the body and a copy; it goes
        // back before the audit write.
        // What the log and the audit need besides the cards, from the request
        // as already read (the patient id is kept only as a keyed hash).
        *hook_instance = loggable_id(&prepared.hook_instance);
        let audit_keys = (
            prepared.hook_instance.clone(),
            prepared.context.patient_id.clone(),
        );
        // The draft orders as a fingerprint: a card overridden for other
        // orders is not held back.
        let drafts_key = prepared
            .context
            .draft_orders
            .map_or_else(String::new, |d| audit::drafts_key(d.get()));
        // Context + prefetch: what the request lacks, from the EHR's FHIR server.
        let allowlist = match (&state.auth, self.caller) {
            (AuthMode::Required(_), Some(c)) => c.fhir_servers.as_slice(),
            _ => state.fetcher.settings.allowed_servers.as_slice(),
        };
        let fetch_started = Instant::now();
        let fetched = state.fetcher.fetch(&prepared, allowlist).await;
        ops::fallback_done(&fetched, fetch_started.elapsed());
        let today = state
            .today
            .unwrap_or_else(|| state.engine.policy.today_at(chrono::Utc::now()));
        state.evaluations.fetch_add(1, Ordering::Relaxed);
        let base = guidance::base_url(state);
        let (mut response, report) =
            state
                .engine
                .finish(service, prepared, fetched, today, base.as_deref())?;
        drop(body);
        if let (Some(audit), (hook_instance, Some(patient_id))) = (&state.audit, &audit_keys) {
            let claim = self.pending.and_then(|p| p.take());
            if response.cards.is_empty() && claim.is_none() {
                return Ok((response, report));
            }
            let issuer = self.caller.map_or("", |c| c.iss.as_str());
            let tenant = self.caller.and_then(|c| c.tenant.as_deref()).unwrap_or("");
            let patient_hmac = audit.key.patient_hash(patient_id);
            let held = self
                .recall(
                    audit,
                    &service.id,
                    (issuer, tenant),
                    &patient_hmac,
                    &drafts_key,
                    &mut response,
                )
                .await;
            let issued = audit::Issued {
                service_id: &service.id,
                hook: service.hook.as_str(),
                hook_instance,
                patient_hmac: &patient_hmac,
                policy_version: &audit.policy_version,
                issued_at_ms: chrono::Utc::now().timestamp_millis(),
                issuer,
                tenant,
                drafts_key: &drafts_key,
            };
            record_cards(state, audit, &issued, &response, (&held.0, &held.1), claim).await?;
        }
        Ok((response, report))
    }
}

/// The uuids of the cards re-sent, and the cards held back with the
/// override each follows.
type Held = (Vec<String>, Vec<(crate::cds::Card, String)>);

impl HookCall<'_> {
    /// Remembering what the clinician said (`recall`): the cards overridden
    /// for this patient within `override_hold_days` hold back the unchanged
    /// ones (returned, to be audited as suppressed) and mark the changed
    /// ones; the cards sent unchanged a few minutes ago are re-sends
    /// (returned, to be counted once). When the store cannot be read, every
    /// card is shown: a card is never hidden on a guess.
    async fn recall(
        &self,
        audit: &Audit,
        service_id: &str,
        (issuer, tenant): (&str, &str),
        patient_hmac: &str,
        drafts_key: &str,
        response: &mut crate::cds::HookResponse,
    ) -> Held {
        if response.cards.is_empty() {
            return Held::default();
        }
        let now = chrono::Utc::now().timestamp_millis();
        // A period of 0 reads nothing: its bound is in the future.
        let since = |ms: f64| if ms > 0.0 { now - ms as i64 } else { i64::MAX };
        let policy = &self.state.engine.policy;
        let overrides_since = since(policy.override_hold_days * 86_400_000.0);
        let recent_since = since(policy.resend_window_minutes * 60_000.0);
        if overrides_since == i64::MAX && recent_since == i64::MAX {
            // Both turned off: nothing to read.
            return Held::default();
        }
        let memory = match audit
            .store
            .recall_for(
                &crate::store::Whose {
                    patient_hmac,
                    service_id,
                    issuer,
                    tenant,
                },
                overrides_since,
                recent_since,
            )
            .await
        {
            Ok(m) => m,
            Err(e) => {
                tracing::warn!(service = %service_id, error = %e, "earlier cards not read: every card shown");
                return Held::default();
            }
        };
        if memory.overrides.is_empty() && memory.recent.is_empty() {
            return Held::default();
        }
        let cards = std::mem::take(&mut response.cards);
        let applied = crate::recall::apply(cards, drafts_key, &memory);
        response.cards = applied.shown;
        for (card, follows) in &applied.held {
            tracing::info!(service = %service_id, card = %card.uuid, follows = %follows, "card held back: overridden before, unchanged");
        }
        (applied.resent, applied.held)
    }
}

/// The call's log line (ids, counts, timings, outcome; never request
/// content) and its HTTP answer.
fn answer(
    id: &str,
    hook_instance: &str,
    started: Instant,
    result: Result<(HookResponse, Report), ApiError>,
) -> Response {
    let elapsed_us = started.elapsed().as_micros() as u64;
    match result {
        Ok((response, report)) => {
            ops::hook_answered(id, started, &response.cards);
            let card_uuids = response
                .cards
                .iter()
                .map(|c| c.uuid.as_str())
                .collect::<Vec<_>>()
                .join(",");
            for s in &report.skipped {
                tracing::warn!(service = %id, skipped = %s, "resource skipped");
            }
            for (hidden, by) in &report.silenced {
                tracing::info!(service = %id, hook_instance = %hook_instance, hidden = %hidden, by = %by, "finding silenced by a contradicting finding");
            }
            // One line per call, however many breaches: the log stays bounded.
            if let Some(first) = report.over_budget.first() {
                tracing::warn!(service = %id, hook_instance = %hook_instance, breaches = report.over_budget.len(), first = ?first, "cards over budget");
            }
            let critical = response
                .cards
                .iter()
                .filter(|c| c.indicator == "critical")
                .count();
            tracing::info!(
                service = %id,
                hook_instance = %hook_instance,
                status = 200,
                cards = response.cards.len(),
                card_uuids = %card_uuids,
                critical,
                orders = report.orders,
                dropped = ?report.dropped,
                fetched = ?report.fetched,
                missing_optional = ?report.missing_optional,
                medications_read = report.medications_read,
                medication_failures = ?report.medication_failures,
                elapsed_us,
                "hook evaluated"
            );
            Json(response).into_response()
        }
        Err(e) => {
            tracing::info!(service = %id, hook_instance = %hook_instance, status = e.status().as_u16(), error = %error_kind(&e), elapsed_us, "hook refused");
            e.into_response()
        }
    }
}

/// The error class for the log: no messages that could quote request content.
pub(super) fn error_kind(e: &ApiError) -> &'static str {
    use crate::engine::EvalError as E;
    match e {
        ApiError::UnknownService(_) => "unknown-service",
        ApiError::NotFound(_) => "not-found",
        ApiError::MethodNotAllowed => "method-not-allowed",
        ApiError::TooLarge { .. } => "too-large",
        ApiError::UnsupportedMediaType => "unsupported-media-type",
        ApiError::BodyUnreadable => "body-unreadable",
        ApiError::Feedback(_) => "invalid-feedback",
        ApiError::Unauthorized => "unauthorized",
        ApiError::Forbidden => "forbidden",
        ApiError::Overloaded => "overloaded",
        ApiError::Timeout => "timeout",
        ApiError::TooDeep { .. } => "too-deep",
        ApiError::TooManyDraftOrders { .. } => "too-many-draft-orders",
        ApiError::RateLimited { .. } => "rate-limited",
        ApiError::FeedbackItems { .. } => "invalid-feedback-items",
        ApiError::StoreUnavailable => "store-unavailable",
        ApiError::NoStore => "no-store",
        ApiError::BadQuery(_) => "bad-query",
        ApiError::Eval(E::MalformedJson(_)) => "malformed-json",
        ApiError::Eval(E::Invalid { .. }) => "invalid-request",
        ApiError::Eval(E::WrongHook { .. }) => "wrong-hook",
        ApiError::Eval(E::DataUnavailable { .. }) => "data-unavailable",
    }
}

/// A client-chosen id (hookInstance, x-request-id) fit for the log: at most
/// 64 characters of letters, digits, `-`, `_`, `.` and `:`; else nothing, so
/// that free text a client puts there never reaches the log.
pub fn loggable_id(id: &str) -> Option<String> {
    let fits = !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'));
    fits.then(|| id.to_string())
}

/// Writes the audit of every card before the response leaves: a card the
/// client saw always has its record. Bounded by the audit timeout; on failure
/// the call gets 503 and no card.
async fn record_cards(
    state: &AppState,
    audit: &Audit,
    issued: &audit::Issued<'_>,
    response: &crate::cds::HookResponse,
    (resent, held): (&[String], &[(crate::cds::Card, String)]),
    claim: Option<ReplayClaim>,
) -> Result<(), ApiError> {
    if response.cards.is_empty() && held.is_empty() && claim.is_none() {
        return Ok(());
    }
    let service_id = issued.service_id;
    let records = audit::records(response, resent, held, issued);
    // The store bounds the wait (its write timeout) and answers "not
    // written" only when nothing was: no outer timeout may cut a commit.
    let Some(claim) = claim else {
        return match audit.store.record_cards(&records).await {
            Ok(()) => Ok(()),
            Err(e) => {
                tracing::error!(service = %service_id, error = %e, "card audit not written");
                Err(ApiError::StoreUnavailable)
            }
        };
    };
    // The token's claim and the cards: one transaction.
    let written = audit
        .store
        .record_cards_claiming(&records, &claim.issuer, &claim.jti, claim.expires_at_unix)
        .await;
    let outcome = match written {
        Ok(true) => Ok(()),
        Ok(false) => Err(crate::auth::AuthError::Replayed),
        Err(e) => {
            tracing::error!(service = %service_id, error = %e, "card audit not written");
            Err(crate::auth::AuthError::ReplayStoreUnavailable)
        }
    };
    if let AuthMode::Required(verifier) = &state.auth {
        verifier.claimed(&claim, &outcome);
    }
    match outcome {
        Ok(()) => Ok(()),
        Err(crate::auth::AuthError::ReplayStoreUnavailable) => Err(ApiError::StoreUnavailable),
        Err(reason) => {
            ops::jwt_rejected(&reason);
            tracing::warn!(%reason, "authentication failed");
            Err(ApiError::Unauthorized)
        }
    }
}

pub(super) async fn feedback(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    caller: Option<axum::Extension<Caller>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<StatusCode, ApiError> {
    state
        .engine
        .services
        .get(&id)
        .ok_or_else(|| ApiError::UnknownService(id.clone()))?;
    let limit = crate::store::feedback::MAX_BODY_BYTES;
    let body = match body {
        Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            return Err(ApiError::TooLarge { limit })
        }
        body => json_body(&headers, body, &state.limits)?,
    };
    if body.len() > limit {
        return Err(ApiError::TooLarge { limit });
    }
    let value: serde_json::Value =
        serde_json::from_slice(&body).map_err(|e| ApiError::Feedback(e.to_string()))?;
    let received = chrono::Utc::now().timestamp_millis();
    let checked = crate::store::feedback::check(&value, &id, received)
        .map_err(|p| ApiError::Feedback(format!("{}: {}", p.path, p.message)))?;
    // Every item sent counts, refused ones included: checking costs too.
    let issuer = caller.as_ref().map_or("(no token)", |c| c.iss.as_str());
    let sent = checked.items.len() + checked.problems.len();
    if let Err(wait) = state.feedback_rate.take(issuer, sent, Instant::now()) {
        tracing::warn!(service = %id, items = sent, "feedback rate limit: call refused");
        return Err(ApiError::RateLimited { retry_after: wait });
    }
    let mut checked = checked;
    for item in &mut checked.items {
        item.issuer = caller.as_ref().map_or("", |c| c.iss.as_str()).to_string();
        item.tenant = caller
            .as_ref()
            .and_then(|c| c.tenant.clone())
            .unwrap_or_default();
    }
    let mut new = 0;
    if let (Some(audit), false) = (&state.audit, checked.items.is_empty()) {
        match audit
            .store
            .record_feedback(&checked.items, audit.report_free_text)
            .await
        {
            Ok(filed) => {
                new = filed.iter().filter(|f| **f == Filed::New).count();
                // An item on a card shown to another issuer is refused, in
                // the words used for a card this client was never shown.
                let mut kept = Vec::with_capacity(checked.items.len());
                for (i, (item, f)) in std::mem::take(&mut checked.items)
                    .into_iter()
                    .zip(filed)
                    .enumerate()
                {
                    if f == Filed::NotYours {
                        tracing::warn!(service = %id, card = %item.card_uuid,
                            "feedback on a card shown to another issuer: not recorded");
                        let at = checked.positions.get(i).copied().unwrap_or(i);
                        checked.problems.push(crate::store::feedback::Problem {
                            path: format!("feedback[{at}].card"),
                            message: "no card with this uuid was shown to this client".into(),
                        });
                    } else {
                        kept.push(item);
                    }
                }
                checked.items = kept;
            }
            Err(e) => {
                tracing::error!(service = %id, error = %e, "feedback not written");
                return Err(ApiError::StoreUnavailable);
            }
        }
    }
    let accepted = checked
        .items
        .iter()
        .filter(|f| f.outcome == crate::store::feedback::Outcome::Accepted)
        .count();
    ops::feedback_counted(
        accepted,
        checked.items.len() - accepted,
        checked.problems.len(),
    );
    tracing::info!(
        service = %id,
        accepted,
        overridden = checked.items.len() - accepted,
        new,
        repeated = if state.audit.is_some() { checked.items.len() - new } else { 0 },
        refused = checked.problems.len(),
        "feedback received"
    );
    if !checked.problems.is_empty() {
        return Err(ApiError::FeedbackItems {
            problems: checked.problems,
            stored: checked.items.len(),
        });
    }
    Ok(StatusCode::OK)
}
