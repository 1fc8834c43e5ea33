//! Middleware: CORS for `/admin/*`, request ids, the concurrency guard and
//! the request timeout, and authentication.

use super::{loggable_id, ops, ApiError, AppState, AuthMode};
use crate::auth::ReplayClaim;
use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

/// Strips every CORS allowance from answers under `/admin/`, preflights
/// included, so no web page of another origin (nor a public page reaching a
/// service on loopback) can read the report.
pub(super) async fn no_cors_for_admin(req: Request, next: Next) -> Response {
    let path = req.uri().path();
    let admin = path.starts_with("/admin/") || path == "/admin";
    let mut resp = next.run(req).await;
    if admin {
        let h = resp.headers_mut();
        let names: Vec<_> = h
            .keys()
            .filter(|k| k.as_str().starts_with("access-control-"))
            .cloned()
            .collect();
        for n in names {
            h.remove(n);
        }
    }
    resp
}

pub(super) async fn plain_request_id(mut req: Request) -> Request {
    let keep = req
        .headers()
        .get("x-request-id")
        .map(|v| v.to_str().ok().and_then(loggable_id).is_some());
    if keep == Some(false) {
        req.headers_mut().remove("x-request-id");
    }
    req
}

/// Concurrency limit (503 when full) and request timeout (503). The health
/// and readiness probes take no permit: an overloaded but healthy process
/// must not fail its liveness probe and be restarted for being busy.
pub(super) async fn guard(
    State(state): State<Arc<AppState>>,
    req: Request,
    next: Next,
) -> Response {
    let probe = matches!(req.uri().path(), "/healthz" | "/readyz");
    let _permit = match state.permits.clone().try_acquire_owned() {
        Ok(p) => Some(p),
        Err(_) if probe => None,
        Err(_) => {
            tracing::warn!("overloaded: request refused");
            return ApiError::Overloaded.into_response();
        }
    };
    match tokio::time::timeout(state.limits.request_timeout, next.run(req)).await {
        Ok(r) => r,
        Err(_) => {
            tracing::warn!("request timed out");
            ApiError::Timeout.into_response()
        }
    }
}

pub(super) async fn authenticate(
    State(state): State<Arc<AppState>>,
    mut req: Request,
    next: Next,
) -> Response {
    if let AuthMode::Required(verifier) = &state.auth {
        // The audience base is configuration (or the listen address), never
        // the Host header: a token minted for another service stays refused
        // whatever host the caller names.
        let base = state
            .public_base_url
            .as_deref()
            .or_else(|| state.listen_base.get().map(String::as_str));
        let mut values = req.headers().get_all(header::AUTHORIZATION).iter();
        let value = values.next().and_then(|v| v.to_str().ok());
        if values.next().is_some() {
            metrics::counter!("cds_jwt_rejections_total", "reason" => "several-authorization-headers")
                .increment(1);
            tracing::warn!(
                reason = "more than one Authorization header",
                "authentication failed"
            );
            return ApiError::Unauthorized.into_response();
        }
        let now = chrono::Utc::now().timestamp();
        // A hook call writes its token's claim with its cards, in one
        // transaction; any other call claims the token before it runs.
        let defer = state.audit.is_some() && is_hook_call(&req);
        let verified = if defer {
            verifier
                .verify_call_deferred(value, base, req.uri().path(), now)
                .await
        } else {
            verifier
                .verify_call(value, base, req.uri().path(), now)
                .await
                .map(|c| (c, None))
        };
        match verified {
            Ok((caller, Some(claim))) => {
                tracing::debug!(iss = %caller.iss, "caller verified");
                req.extensions_mut().insert(caller);
                let pending = PendingClaim(Arc::new(std::sync::Mutex::new(Some(claim))));
                req.extensions_mut().insert(pending.clone());
                let response = next.run(req).await;
                // A call that wrote no record (an error, or no store write)
                // claims its token now.
                let Some(claim) = pending.take() else {
                    return response;
                };
                return match verifier.claim(&claim).await {
                    Ok(()) => response,
                    Err(crate::auth::AuthError::ReplayStoreUnavailable) => {
                        tracing::error!("token replay check unavailable");
                        ApiError::StoreUnavailable.into_response()
                    }
                    Err(reason) => {
                        ops::jwt_rejected(&reason);
                        tracing::warn!(%reason, "authentication failed");
                        ApiError::Unauthorized.into_response()
                    }
                };
            }
            Ok((caller, None)) => {
                tracing::debug!(iss = %caller.iss, "caller verified");
                req.extensions_mut().insert(caller);
            }
            Err(crate::auth::AuthError::ReplayStoreUnavailable) => {
                // A valid signature, but whether the token was used before
                // cannot be told: retry later, not "unauthorized".
                tracing::error!("token replay check unavailable");
                return ApiError::StoreUnavailable.into_response();
            }
            Err(reason) => {
                ops::jwt_rejected(&reason);
                tracing::warn!(%reason, "authentication failed");
                return ApiError::Unauthorized.into_response();
            }
        }
    }
    next.run(req).await
}

/// The claim of a hook call's token, until the call's records take it.
#[derive(Clone)]
pub struct PendingClaim(Arc<std::sync::Mutex<Option<ReplayClaim>>>);

impl PendingClaim {
    pub(super) fn take(&self) -> Option<ReplayClaim> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).take()
    }
}

/// `POST /cds-services/{id}`: a hook call (not its feedback).
fn is_hook_call(req: &Request) -> bool {
    req.method() == axum::http::Method::POST
        && req
            .uri()
            .path()
            .strip_prefix("/cds-services/")
            .is_some_and(|id| !id.is_empty() && !id.contains('/'))
}
