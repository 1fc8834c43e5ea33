//! Getting the data the request did not carry: each unsatisfied prefetch key's
//! query is run against the EHR's FHIR server (`fhirServer`) with the access
//! token it passed (`fhirAuthorization`), all keys at once over one connection
//! pool, each request under a timeout and all of them under one deadline.
//!
//! Safety: the token goes only to the `fhirServer` of the same request (paging
//! links and redirects to anything else are not followed); the server must be
//! https (http only on loopback, or when allowed) and in the allowlist of the
//! caller's issuer (or of the service, when authentication is off); an open
//! server (no `fhirAuthorization`) is queried only when allowed. Nothing here
//! logs a URL, a token or a response: only key names, outcomes and timings.

use std::sync::Arc;
use std::time::{Duration, Instant};

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::cds::HookContext;
use crate::engine::{Fetched, Prepared};

/// How the FHIR server is queried.
#[derive(Debug, Clone)]
pub struct FetchSettings {
    /// Timeout of one HTTP request.
    pub request_timeout: Duration,
    /// All queries of one hook call end by then.
    pub deadline: Duration,
    /// Pages followed per query (`Bundle.link[next]`).
    pub max_pages: usize,
    /// Bytes read per query, all pages together.
    pub max_bytes: usize,
    /// Query servers that sent no `fhirAuthorization`.
    pub allow_open_servers: bool,
    /// Query http (not https) servers that are not on loopback.
    pub allow_http: bool,
    /// FHIR servers allowed when no issuer is known (authentication off).
    pub allowed_servers: Vec<String>,
}

/// The defaults are the configuration's ([`crate::config::Fhir`]): written once.
impl Default for FetchSettings {
    fn default() -> Self {
        FetchSettings::from(&crate::config::Fhir::default())
    }
}

/// The FHIR client's settings from theirs (timeouts at least 1 ms, at least
/// one page and 1 KiB).
impl From<&crate::config::Fhir> for FetchSettings {
    fn from(f: &crate::config::Fhir) -> Self {
        let ms = |v: u64| Duration::from_millis(v.max(1));
        FetchSettings {
            request_timeout: ms(f.timeout_ms),
            deadline: ms(f.deadline_ms),
            max_pages: f.max_pages.max(1),
            max_bytes: f.max_bytes.max(1024),
            allow_open_servers: f.allow_open_servers,
            allow_http: f.allow_http_servers,
            allowed_servers: f.allow.clone(),
        }
    }
}

/// Characters left as they are in a filled-in token value: RFC 3986 unreserved.
const VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Fills a prefetch template's tokens (`{{context.patientId}}`,
/// `{{userPractitionerId}}`, ...) with URL-encoded values. `Err` names a token
/// the request gives no value for.
pub fn fill(template: &str, ctx: &HookContext<'_>) -> Result<String, String> {
    let user = ctx.user_id.as_deref().and_then(|u| u.split_once('/'));
    let user_id = |ty: &str| user.filter(|(t, _)| *t == ty).map(|(_, id)| id.to_string());
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after.find("}}").ok_or("unclosed {{ in template")?;
        let token = after[..end].trim();
        let value = match token {
            "context.patientId" => ctx.patient_id.clone(),
            "context.encounterId" => ctx.encounter_id.clone(),
            "context.userId" => ctx.user_id.clone(),
            "userPractitionerId" => user_id("Practitioner"),
            "userPractitionerRoleId" => user_id("PractitionerRole"),
            "userPatientId" => user_id("Patient"),
            "userRelatedPersonId" => user_id("RelatedPerson"),
            other => return Err(format!("unknown template token {other:?}")),
        };
        let value = value
            .filter(|v| !v.is_empty())
            .ok_or_else(|| format!("no value for {{{{{token}}}}}"))?;
        out.extend(utf8_percent_encode(&value, VALUE));
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

fn normalise(url: &str) -> &str {
    url.trim().trim_end_matches('/')
}

fn is_loopback(host: &str) -> bool {
    host == "localhost"
        || host == "[::1]"
        || host
            .parse::<std::net::Ipv4Addr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Whether this `fhirServer` may be queried: scheme and allowlist.
pub fn check_server(
    server: &str,
    allowlist: &[String],
    settings: &FetchSettings,
) -> Result<reqwest::Url, String> {
    let url = reqwest::Url::parse(normalise(server))
        .map_err(|_| "fhirServer is not a URL".to_string())?;
    let host = url.host_str().unwrap_or("");
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(host) || settings.allow_http => {}
        _ => return Err("fhirServer must be https (http only on loopback or when allowed)".into()),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("fhirServer must not carry credentials".into());
    }
    if !allowlist.iter().any(|a| normalise(a) == normalise(server)) {
        return Err("fhirServer is not in the allowlist for this caller".into());
    }
    Ok(url)
}

/// Queries FHIR servers for the keys a request did not satisfy.
pub struct Fetcher {
    client: reqwest::Client,
    pub settings: FetchSettings,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PageHead {
    resource_type: Option<String>,
    #[serde(default)]
    link: Vec<Link>,
}

#[derive(Deserialize)]
struct Link {
    relation: Option<String>,
    url: Option<String>,
}

impl Fetcher {
    pub fn new(settings: FetchSettings) -> Result<Fetcher, String> {
        let client = reqwest::Client::builder()
            // Redirects only within the same origin, at most three.
            .redirect(reqwest::redirect::Policy::custom(|attempt| {
                let first = &attempt.previous()[0];
                let same = attempt.url().scheme() == first.scheme()
                    && attempt.url().host_str() == first.host_str()
                    && attempt.url().port_or_known_default() == first.port_or_known_default();
                if same && attempt.previous().len() <= 3 {
                    attempt.follow()
                } else {
                    attempt.stop()
                }
            }))
            .pool_idle_timeout(Duration::from_secs(60))
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Fetcher { client, settings })
    }

    /// Runs the queries of every unsatisfied key, concurrently, under the deadline.
    /// `allowlist`: the FHIR servers the caller may name.
    pub async fn fetch(&self, prepared: &Prepared<'_>, allowlist: &[String]) -> Fetched {
        let mut fetched = Fetched::default();
        if prepared.unsatisfied.is_empty() {
            return fetched;
        }
        let Some(server) = prepared.fhir_server.as_deref() else {
            fetched.not_attempted = Some("the request has no fhirServer to query".into());
            return fetched;
        };
        let base = match check_server(server, allowlist, &self.settings) {
            Ok(u) => u,
            Err(why) => {
                fetched.not_attempted = Some(why);
                return fetched;
            }
        };
        let token = match &prepared.fhir_authorization {
            Some(a) => match (&a.access_token, a.token_type.as_deref()) {
                (Some(t), Some(ty)) if ty.eq_ignore_ascii_case("bearer") && !t.is_empty() => {
                    Some(Arc::new(t.clone()))
                }
                _ => {
                    fetched.not_attempted =
                        Some("fhirAuthorization has no Bearer access_token".into());
                    return fetched;
                }
            },
            None if self.settings.allow_open_servers => None,
            None => {
                fetched.not_attempted = Some(
                    "the request has no fhirAuthorization (open FHIR servers are not queried)"
                        .into(),
                );
                return fetched;
            }
        };
        let started = Instant::now();
        let deadline = tokio::time::Instant::now() + self.settings.deadline;
        let mut tasks = tokio::task::JoinSet::new();
        let base_str = Arc::new(normalise(base.as_str()).to_string());
        for (key, template) in &prepared.unsatisfied {
            let query = match fill(template, &prepared.context) {
                Ok(q) => q,
                Err(why) => {
                    fetched.results.insert(key.clone(), Err(why));
                    continue;
                }
            };
            let url = format!("{}/{}", base_str, query.trim_start_matches('/'));
            let (client, token, base, key) = (
                self.client.clone(),
                token.clone(),
                base_str.clone(),
                key.clone(),
            );
            let settings = self.settings.clone();
            tasks.spawn(async move {
                let t0 = Instant::now();
                let result = get_pages(&client, &url, &base, token.as_deref().map(String::as_str), &settings, deadline).await;
                tracing::debug!(key = %key, ok = result.is_ok(), elapsed_ms = t0.elapsed().as_millis() as u64, "FHIR query");
                (key, result)
            });
        }
        let all = async {
            while let Some(done) = tasks.join_next().await {
                if let Ok((key, result)) = done {
                    fetched.results.insert(key, result);
                }
            }
        };
        let timed_out = tokio::time::timeout_at(deadline, all).await.is_err();
        if timed_out {
            tasks.abort_all();
            for (key, _) in &prepared.unsatisfied {
                fetched.results.entry(key.clone()).or_insert_with(|| {
                    Err(format!(
                        "no answer within {} ms",
                        self.settings.deadline.as_millis()
                    ))
                });
            }
        }
        if !timed_out {
            let ids = unincluded_medications(&fetched, &base_str);
            if !ids.is_empty() {
                self.read_medications(
                    &ids,
                    &base_str,
                    token.as_deref().map(String::as_str),
                    deadline,
                    &mut fetched,
                )
                .await;
            }
        }
        let failed = fetched.results.values().filter(|r| r.is_err()).count();
        tracing::info!(
            queries = prepared.unsatisfied.len(),
            failed,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "FHIR server queried"
        );
        fetched
    }
}

/// Referenced Medications read one by one at most, per hook call.
pub const MAX_MEDICATION_READS: usize = 20;

/// The ids of the Medications that the fetched orders and statements
/// reference on this server but the results do not hold (the server ignored
/// `_include`), in order of first mention, at most [`MAX_MEDICATION_READS`].
fn unincluded_medications(fetched: &Fetched, base: &str) -> Vec<String> {
    use crate::fhir::{self, Resource};
    let mut have = std::collections::HashSet::new();
    let mut wanted: Vec<String> = vec![];
    for pages in fetched.results.values().flatten() {
        for page in pages {
            fhir::visit(
                page,
                |r| {
                    let reference = match &r {
                        Resource::Medication(m) => {
                            if let Some(id) = &m.id {
                                have.insert(id.to_string());
                            }
                            return;
                        }
                        Resource::MedicationRequest(m) => m.medication_reference.as_ref(),
                        Resource::MedicationStatement(m) => m.medication_reference.as_ref(),
                        _ => None,
                    };
                    if let Some(id) = reference
                        .and_then(|r| r.reference.as_deref())
                        .and_then(|r| medication_id(r, base))
                    {
                        if !wanted.contains(&id) {
                            wanted.push(id);
                        }
                    }
                },
                |_| {},
            );
        }
    }
    wanted.retain(|id| !have.contains(id));
    wanted.truncate(MAX_MEDICATION_READS);
    wanted
}

/// The id in "Medication/{id}", relative or under `base` (a reference to
/// another server is not read: the token goes nowhere else); contained
/// ("#m1") and versioned references are left alone.
fn medication_id(reference: &str, base: &str) -> Option<String> {
    let r = reference.trim();
    let rel = match r.strip_prefix(base) {
        Some(rest) => rest.strip_prefix('/')?,
        None if r.contains("://") => return None,
        None => r,
    };
    let id = rel.strip_prefix("Medication/")?;
    let ok = !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'.');
    ok.then(|| id.to_string())
}

impl Fetcher {
    /// Reads each Medication by id, concurrently, under the same deadline
    /// and with the same token; one that fails is counted, never fatal.
    async fn read_medications(
        &self,
        ids: &[String],
        base: &Arc<String>,
        token: Option<&str>,
        deadline: tokio::time::Instant,
        fetched: &mut Fetched,
    ) {
        let mut tasks = tokio::task::JoinSet::new();
        for id in ids {
            let url = format!("{}/Medication/{}", base, id);
            let (client, token, base) =
                (self.client.clone(), token.map(str::to_string), base.clone());
            let settings = self.settings.clone();
            tasks.spawn(async move {
                get_pages(&client, &url, &base, token.as_deref(), &settings, deadline).await
            });
        }
        let mut failures = vec![];
        let all = async {
            while let Some(done) = tasks.join_next().await {
                match done {
                    Ok(Ok(pages)) => fetched.medications.extend(pages),
                    Ok(Err(why)) => failures.push(why),
                    Err(_) => failures.push("the read was cut short".to_string()),
                }
            }
        };
        if tokio::time::timeout_at(deadline, all).await.is_err() {
            tasks.abort_all();
            failures.push(format!(
                "no answer within {} ms",
                self.settings.deadline.as_millis()
            ));
        }
        tracing::info!(
            medications = ids.len(),
            failed = failures.len(),
            "referenced Medications read"
        );
        fetched.medication_failures = failures;
    }
}

/// One query, following `next` links on the same server, within the limits.
async fn get_pages(
    client: &reqwest::Client,
    first: &str,
    base: &str,
    token: Option<&str>,
    settings: &FetchSettings,
    deadline: tokio::time::Instant,
) -> Result<Vec<Box<RawValue>>, String> {
    let mut pages = vec![];
    let mut url = first.to_string();
    let mut total = 0usize;
    loop {
        let remaining = deadline.saturating_duration_since(tokio::time::Instant::now());
        if remaining.is_zero() {
            return Err(format!(
                "no answer within {} ms",
                settings.deadline.as_millis()
            ));
        }
        let mut req = client
            .get(&url)
            .header(reqwest::header::ACCEPT, "application/fhir+json")
            .timeout(remaining.min(settings.request_timeout));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let mut resp = req.send().await.map_err(|e| {
            if e.is_timeout() {
                format!(
                    "timed out after {} ms",
                    settings.request_timeout.min(remaining).as_millis()
                )
            } else if e.is_redirect() {
                "redirected to another server".to_string()
            } else {
                "could not connect".to_string()
            }
        })?;
        let status = resp.status();
        if !status.is_success() {
            return Err(match status.as_u16() {
                401 | 403 => format!(
                    "the FHIR server refused the access token (HTTP {})",
                    status.as_u16()
                ),
                s if (300..400).contains(&s) => "redirected to another server".to_string(),
                s => format!("the FHIR server answered HTTP {s}"),
            });
        }
        if resp
            .content_length()
            .is_some_and(|n| total + n as usize > settings.max_bytes)
        {
            return Err(format!("response larger than {} bytes", settings.max_bytes));
        }
        let mut body = Vec::new();
        loop {
            let chunk = resp.chunk().await.map_err(|e| {
                if e.is_timeout() {
                    "timed out reading the response".to_string()
                } else {
                    "response cut off".to_string()
                }
            })?;
            let Some(chunk) = chunk else { break };
            total += chunk.len();
            if total > settings.max_bytes {
                return Err(format!("response larger than {} bytes", settings.max_bytes));
            }
            body.extend_from_slice(&chunk);
        }
        let head: PageHead = serde_json::from_slice(&body)
            .map_err(|_| "the FHIR server sent invalid JSON".to_string())?;
        let raw: Box<RawValue> = serde_json::from_slice(&body)
            .map_err(|_| "the FHIR server sent invalid JSON".to_string())?;
        pages.push(raw);
        if head.resource_type.as_deref() != Some("Bundle") || pages.len() >= settings.max_pages {
            break;
        }
        // Only a `next` link on the same server is followed (the token goes nowhere else).
        match head
            .link
            .iter()
            .find(|l| l.relation.as_deref() == Some("next"))
            .and_then(|l| l.url.clone())
        {
            Some(next)
                if next.starts_with(&format!("{base}/"))
                    || next.starts_with(&format!("{base}?")) =>
            {
                url = next
            }
            _ => break,
        }
    }
    Ok(pages)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(patient: &str, user: Option<&str>) -> HookContext<'static> {
        HookContext {
            patient_id: Some(patient.into()),
            user_id: user.map(Into::into),
            encounter_id: Some("e1".into()),
            draft_orders: None,
            selections: None,
        }
    }

    #[test]
    fn templates_are_filled_and_encoded() {
        let c = ctx("p 1&x=2/../y", Some("Practitioner/dr-1"));
        assert_eq!(
            fill("Patient/{{context.patientId}}", &c).unwrap(),
            "Patient/p%201%26x%3D2%2F..%2Fy"
        );
        assert_eq!(
            fill(
                "Condition?patient={{context.patientId}}&encounter={{context.encounterId}}",
                &ctx("abc-123", None)
            )
            .unwrap(),
            "Condition?patient=abc-123&encounter=e1"
        );
        assert_eq!(
            fill("Practitioner/{{userPractitionerId}}", &c).unwrap(),
            "Practitioner/dr-1"
        );
        assert!(fill("PractitionerRole/{{userPractitionerRoleId}}", &c)
            .unwrap_err()
            .contains("no value"));
        assert!(fill("X/{{context.nope}}", &c)
            .unwrap_err()
            .contains("unknown template token"));
    }

    #[test]
    fn medication_ids_table() {
        let base = "https://ehr.example.org/fhir";
        let cases = [
            ("Medication/m-1", Some("m-1")),
            (" Medication/A.b ", Some("A.b")),
            ("https://ehr.example.org/fhir/Medication/m1", Some("m1")),
            // Another server: the token goes nowhere else.
            ("https://evil.example.org/fhir/Medication/m1", None),
            ("https://ehr.example.org/fhirx/Medication/m1", None),
            ("#m1", None),
            ("Medication/m1/_history/2", None),
            ("Medication/", None),
            ("Medication/m%2F..", None),
            ("Substance/m1", None),
        ];
        for (reference, id) in cases {
            assert_eq!(medication_id(reference, base).as_deref(), id, "{reference}");
        }
    }

    #[test]
    fn servers_table() {
        let s = FetchSettings::default();
        let allow = vec![
            "https://ehr.example.org/fhir/".to_string(),
            "http://127.0.0.1:9/fhir".to_string(),
        ];
        let cases = [
            ("https://ehr.example.org/fhir", true),
            ("https://ehr.example.org/fhir/", true),
            ("https://ehr.example.org/other", false),
            ("https://evil.example.org/fhir", false),
            ("http://127.0.0.1:9/fhir", true),
            ("http://ehr.example.org/fhir", false),
            ("https://user:pw@ehr.example.org/fhir", false),
            ("ftp://ehr.example.org/fhir", false),
        ];
        for (server, ok) in cases {
            assert_eq!(check_server(server, &allow, &s).is_ok(), ok, "{server}");
        }
    }
}
