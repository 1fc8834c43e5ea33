//! `GET /guidance` and `GET /guidance/{rule}`: the static guidance pages
//! cards link to (see [`crate::guidance`]). No token is needed: the pages hold
//! no patient data, only the words and the figures of the policy in force.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, Uri};
use axum::response::{IntoResponse, Response};

use super::{ApiError, AppState};
use crate::guidance;

fn html(body: String) -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            ),
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_str(&guidance::CONTENT_SECURITY_POLICY)
                    .expect("a valid header value"),
            ),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
            (
                header::REFERRER_POLICY,
                HeaderValue::from_static("no-referrer"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=300"),
            ),
        ],
        body,
    )
        .into_response()
}

/// `GET /guidance`: the list of pages.
pub async fn index() -> Response {
    html(guidance::index_html())
}

/// `GET /guidance/{rule}`: one rule's page, with the figures in force; an
/// unknown slug is answered like any unknown path.
pub async fn page(
    State(state): State<Arc<AppState>>,
    Path(slug): Path<String>,
    uri: Uri,
) -> Result<Response, ApiError> {
    // The path as sent (still percent-encoded), as for any unknown path.
    let page =
        guidance::by_slug(&slug).ok_or_else(|| ApiError::NotFound(uri.path().to_string()))?;
    Ok(html(guidance::page_html(page, &state.engine.policy)))
}

/// The absolute base URL the cards' guidance links start with: the
/// configured `public_base_url`, else the listen address. Nothing is taken
/// from request headers: a `Host` or `X-Forwarded-Proto` of the caller's
/// choosing never lands in a card.
pub fn base_url(state: &AppState) -> Option<String> {
    match &state.public_base_url {
        Some(base) => Some(base.trim_end_matches('/').to_string()),
        None => state.listen_base.get().cloned(),
    }
}
