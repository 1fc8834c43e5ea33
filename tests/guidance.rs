//! The guidance pages and the cards' links to them: every card's
//! `source.url` and `links` name its rule's page on this service, the page
//! answers, is static HTML under a strict Content-Security-Policy, and shows
//! the figures of the policy in force. Also the browser preflight for a
//! public page calling a service on the local network.

mod common;

use common::*;
use serde_json::Value;
use ssc_myositis_cds::clinical::Policy;
use ssc_myositis_cds::engine::Engine;
use ssc_myositis_cds::guidance;
use ssc_myositis_cds::http::{AppState, AuthMode, Limits};

fn header(r: &reqwest::Response, name: &str) -> String {
    r.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

fn assert_static_page(r: &reqwest::Response) {
    assert_eq!(header(r, "content-type"), "text/html; charset=utf-8");
    let csp = header(r, "content-security-policy");
    assert!(csp.starts_with("default-src 'none'"), "{csp}");
    assert!(csp.contains("script-src 'none'"), "{csp}");
    assert!(!csp.contains("unsafe"), "{csp}");
    assert_eq!(header(r, "x-content-type-options"), "nosniff");
}

#[tokio::test]
async fn every_page_is_served_with_its_figures_and_the_index_lists_them() {
    let s = start().await;
    let r = s
        .client
        .get(format!("{}/guidance", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_static_page(&r);
    let index = r.text().await.unwrap();
    assert!(guidance::pages().len() >= 25);
    for p in guidance::pages() {
        assert!(
            index.contains(&format!("href=\"guidance/{}\"", p.slug)),
            "{}",
            p.slug
        );
        let r = s
            .client
            .get(format!("{}/guidance/{}", s.base, p.slug))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 200, "{}", p.slug);
        assert_static_page(&r);
        let html = r.text().await.unwrap();
        assert!(html.starts_with("<!DOCTYPE html>"));
        assert!(html.contains("<h1>"), "{}", p.slug);
        assert!(html.contains("Figures in force"), "{}", p.slug);
        for key in &p.settings {
            assert!(
                html.contains(&format!("<code>{key}</code>")),
                "{}: {key}",
                p.slug
            );
        }
        for t in p.topics {
            assert!(html.contains(t.code), "{}: {}", p.slug, t.code);
        }
        for bad in ["<script", "REFERENCE", "POLICY", "{{"] {
            assert!(!html.contains(bad), "{}: {bad}", p.slug);
        }
    }
}

#[tokio::test]
async fn an_unknown_page_is_an_unknown_path() {
    let s = start().await;
    for path in ["/guidance/no-such-rule", "/guidance/%3Cscript%3E"] {
        let r = s
            .client
            .get(format!("{}{path}", s.base))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 404, "{path}");
        assert!(header(&r, "content-type").contains("fhir+json"));
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["resourceType"], "OperationOutcome");
        assert!(!body.to_string().contains("<script"));
    }
}

#[tokio::test]
async fn a_page_shows_local_policy() {
    let mut engine = Engine::with_defaults().unwrap();
    engine.policy = Policy::from_toml("src_threshold_mg_per_day = 20").unwrap();
    let (s, _) = start_with(AppState::new(engine, Limits::default(), AuthMode::Disabled)).await;
    let html = s
        .client
        .get(format!("{}/guidance/renal-crisis-risk", s.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("<td>20 <strong>(local)</strong></td><td>15</td><td>mg/day</td>"),
        "{html}"
    );
}

/// Every card names its rule's page in `source.url` and in one absolute
/// link, under `base`; the page is the one of the card's topic, and answers.
async fn assert_cards_link_their_pages(s: &Server, resp: &Value, base: &str) {
    let cards = resp["cards"].as_array().unwrap();
    assert!(!cards.is_empty());
    for c in cards {
        let code = c["source"]["topic"]["code"].as_str().unwrap();
        let page = guidance::by_topic(code).unwrap_or_else(|| panic!("no page for {code}"));
        let url = format!("{base}/guidance/{}", page.slug);
        assert_eq!(c["source"]["url"], url.as_str(), "{code}");
        let links = c["links"].as_array().unwrap();
        assert_eq!(links.len(), 1, "{code}");
        assert_eq!(links[0]["type"], "absolute");
        assert_eq!(links[0]["url"], url.as_str());
        assert_eq!(
            links[0]["label"],
            format!("Guidance: {}", page.title()).as_str()
        );
        let path = url.strip_prefix(base).unwrap();
        let r = s
            .client
            .get(format!("{}{path}", s.base))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 200, "{url}");
    }
}

#[tokio::test]
async fn cards_link_to_their_rules_page_at_the_listen_address_whatever_the_headers() {
    let s = start().await;
    let (status, resp) = s.hook("ssc-myositis-order-sign", &fixture("S1.json")).await;
    assert_eq!(status, 200);
    assert_cards_link_their_pages(&s, &resp, &s.base).await;

    // A Host or X-Forwarded-Proto of the caller's choosing changes nothing.
    let resp: Value = s
        .client
        .post(format!("{}/cds-services/ssc-myositis-order-sign", s.base))
        .header("content-type", "application/json")
        .header("x-forwarded-proto", "https")
        .header("host", "evil.example")
        .body(fixture("S1.json").to_string())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(!resp.to_string().contains("evil.example"));
    assert_cards_link_their_pages(&s, &resp, &s.base).await;
}

#[tokio::test]
async fn cards_link_under_the_configured_public_base_url() {
    let mut state = AppState::new(
        Engine::with_defaults().unwrap(),
        Limits::default(),
        AuthMode::Disabled,
    );
    state = state.with_public_base_url(Some("https://cds.example.org/ssc/".into()));
    let (s, _) = start_with(state).await;
    let (status, resp) = s.hook("ssc-myositis-order-sign", &fixture("S1.json")).await;
    assert_eq!(status, 200);
    assert_cards_link_their_pages(&s, &resp, "https://cds.example.org/ssc").await;
    // A Host header of the caller's choosing changes nothing then.
    let resp: Value = s
        .client
        .post(format!("{}/cds-services/ssc-myositis-order-sign", s.base))
        .header("content-type", "application/json")
        .header("host", "evil.example")
        .body(fixture("S1.json").to_string())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(!resp.to_string().contains("evil.example"));
}
#[tokio::test]
async fn a_private_network_preflight_is_allowed() {
    let s = start().await;
    let path = "/cds-services/ssc-myositis-order-sign";
    let r = s
        .client
        .request(reqwest::Method::OPTIONS, format!("{}{path}", s.base))
        .header("origin", "https://sandbox.cds-hooks.org")
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "authorization,content-type",
        )
        .header("access-control-request-private-network", "true")
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    assert_eq!(header(&r, "access-control-allow-private-network"), "true");
    assert_eq!(header(&r, "access-control-allow-origin"), "*");
    // An ordinary preflight gets no such header.
    let r = s.preflight(path, "https://sandbox.cds-hooks.org").await;
    assert!(r
        .headers()
        .get("access-control-allow-private-network")
        .is_none());
}
