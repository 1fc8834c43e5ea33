//! `GET /guidance` and `GET /guidance/{rule}`: the static guidance pages
//! cards link to (see [`crate::guidance`]). No token is needed: the pages hold
//! no patient data, only the words and the figures of the policy in force.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, Uri};
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

/// A host name, IPv4 or bracketed IPv6 address with an optional port, as it
/// may stand in a URL: nothing else is taken from the Host header.
fn plain_host(h: &str) -> bool {
    !h.is_empty()
        && h.len() <= 255
        && h.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b':' | b'[' | b']'))
}

/// The absolute base URL the cards' guidance links start with: the
/// configured `public_base_url`; else the scheme and host the client used
/// (`X-Forwarded-Proto: https` from a TLS proxy, else http, and the Host
/// header when it is a plain host); else the listen address. A link only
/// goes back to the client that sent the headers, and nothing else (the JWT
/// audience above all) is taken from them.
pub fn base_url(state: &AppState, headers: &HeaderMap) -> Option<String> {
    if let Some(base) = &state.public_base_url {
        return Some(base.trim_end_matches('/').to_string());
    }
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .filter(|h| plain_host(h));
    if let Some(host) = host {
        let https = headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|p| p.trim().eq_ignore_ascii_case("https"));
        let scheme = if https { "https" } else { "http" };
        return Some(format!("{scheme}://{host}"));
    }
    state.listen_base.get().cloned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_hosts_make_a_base() {
        for ok in [
            "localhost:8080",
            "127.0.0.1",
            "[::1]:8080",
            "cds.example.org",
        ] {
            assert!(plain_host(ok), "{ok}");
        }
        for bad in [
            "",
            "a b",
            "evil.org/x",
            "x\"><script>",
            "user@host",
            "h?q=1",
            "h#f",
        ] {
            assert!(!plain_host(bad), "{bad}");
        }
    }
}
