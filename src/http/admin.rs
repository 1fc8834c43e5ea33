//! The acceptance report over HTTP, behind the same authentication as the
//! CDS endpoints: `/admin/report.json` (the JSON of `ssc-myositis-cds report
//! --format json`) and `/admin/report` (HTML with SVG plots, no script).
//! `?since=YYYY-MM-DD` limits the window.

use std::sync::Arc;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Extension;
use axum::Json;
use chrono::NaiveDate;
use serde::Deserialize;

use super::{ApiError, AppState, AuthMode};
use crate::auth::Caller;
use crate::store::report::{day_start_ms, Report};

#[derive(Deserialize)]
pub struct ReportQuery {
    since: Option<String>,
}

async fn build(
    state: &AppState,
    caller: Option<&Caller>,
    q: Result<Query<ReportQuery>, QueryRejection>,
) -> Result<Report, ApiError> {
    let Query(q) = q.map_err(|_| ApiError::BadQuery("expected since=YYYY-MM-DD".into()))?;
    let audit = state.audit.as_ref().ok_or(ApiError::NoStore)?;
    let since_ms = match q.since.as_deref().filter(|s| !s.is_empty()) {
        Some(s) => day_start_ms(
            NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .map_err(|_| ApiError::BadQuery("since must be a date, YYYY-MM-DD".into()))?,
        ),
        None => 0,
    };
    // An admin whose issuer is bound to tenants reads its own tenant only.
    let tenant = caller
        .filter(|c| c.tenant_bound)
        .map(|c| c.tenant.as_deref().unwrap_or(""));
    match tokio::time::timeout(audit.timeout * 4, audit.store.report(since_ms, tenant)).await {
        Ok(Ok(r)) => Ok(r),
        Ok(Err(e)) => {
            tracing::error!(error = %e, "report failed");
            Err(ApiError::StoreUnavailable)
        }
        Err(_) => {
            tracing::error!("report timed out");
            Err(ApiError::StoreUnavailable)
        }
    }
}

/// With authentication on, only an issuer the trust file marks `admin`
/// reads the report; without it (loopback, development) anyone local may.
fn admin_only(state: &AppState, caller: Option<&Caller>) -> Result<(), ApiError> {
    match (&state.auth, caller) {
        (AuthMode::Disabled, _) => Ok(()),
        (_, Some(c)) if c.admin => Ok(()),
        _ => Err(ApiError::Forbidden),
    }
}

pub async fn report_json(
    State(state): State<Arc<AppState>>,
    caller: Option<Extension<Caller>>,
    q: Result<Query<ReportQuery>, QueryRejection>,
) -> Result<Json<Report>, ApiError> {
    admin_only(&state, caller.as_deref())?;
    Ok(Json(build(&state, caller.as_deref(), q).await?))
}

pub async fn report_html(
    State(state): State<Arc<AppState>>,
    caller: Option<Extension<Caller>>,
    q: Result<Query<ReportQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    admin_only(&state, caller.as_deref())?;
    let report = build(&state, caller.as_deref(), q).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; style-src 'unsafe-inline'",
            ),
        ],
        report.to_html(),
    )
        .into_response())
}
