//! The guidance pages: one static page per rule, for the clinician who
//! follows a card's link. The words are Markdown in each rule's folder (`src/rules/<rule>/guidance.md`),
//! compiled in; each page adds a table of the figures in force, generated
//! from the loaded policy. Nothing on a page comes from a request: no patient
//! data ever reaches one.
//!
//! Every card names its page in `source.url` and in a link: the page of the
//! rule whose topic the card carries ([`by_topic`]).

use std::sync::LazyLock;

use base64::Engine as _;
use sha2::{Digest, Sha256};

use crate::clinical::policy::{Setting, DATA_SETTINGS, SETTINGS};
use crate::clinical::{Policy, Topic};
use crate::rules::{adults_only, missing_data, Rule};

/// One guidance page.
#[derive(Debug)]
pub struct Page {
    /// The stable last segment of the page's URL: the rule's module name in
    /// kebab case.
    pub slug: &'static str,
    /// Markdown; its first line is `# <title>`.
    pub markdown: &'static str,
    /// The card topics that link here.
    pub topics: &'static [Topic],
    /// The policy settings the rule's figures come from.
    pub settings: Vec<&'static str>,
}

impl Page {
    /// The page's title: its Markdown heading.
    pub fn title(&self) -> &'static str {
        self.markdown
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("# "))
            .map_or(self.slug, str::trim)
    }

    /// The page's absolute URL under the service's base URL.
    pub fn url(&self, base: &str) -> String {
        format!("{}/guidance/{}", base.trim_end_matches('/'), self.slug)
    }
}

const MISSING_DATA_TOPICS: [Topic; 2] = [missing_data::TOPIC, missing_data::TOPIC_DOUBTFUL];
const ADULTS_ONLY_TOPICS: [Topic; 1] = [adults_only::TOPIC];

static PAGES: LazyLock<Vec<Page>> = LazyLock::new(|| {
    let mut pages: Vec<Page> = Rule::ALL
        .iter()
        .map(|&rule| Page {
            slug: rule.slug(),
            markdown: rule.guidance(),
            topics: rule.topics(),
            settings: rule.settings().to_vec(),
        })
        .collect();
    // The two findings made outside the rules: figures a rule needed, and age.
    pages.push(Page {
        slug: "missing-data",
        markdown: include_str!("rules/missing_data/guidance.md"),
        topics: &MISSING_DATA_TOPICS,
        settings: DATA_SETTINGS.to_vec(),
    });
    pages.push(Page {
        slug: "adults-only",
        markdown: include_str!("rules/adults_only/guidance.md"),
        topics: &ADULTS_ONLY_TOPICS,
        settings: adults_only::SETTINGS.to_vec(),
    });
    pages
});

/// Every page, in the order of [`Rule::ALL`], then missing data and age.
pub fn pages() -> &'static [Page] {
    &PAGES
}

/// The page with this slug.
pub fn by_slug(slug: &str) -> Option<&'static Page> {
    pages().iter().find(|p| p.slug == slug)
}

/// The page of the rule that makes cards with this topic code.
pub fn by_topic(code: &str) -> Option<&'static Page> {
    pages()
        .iter()
        .find(|p| p.topics.iter().any(|t| t.code == code))
}

/// Text for HTML, element content and attribute values alike.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Markdown to HTML. Raw HTML in the Markdown is shown as text, never
/// passed through.
fn markdown_html(md: &str) -> String {
    use pulldown_cmark::{html, Event, Options, Parser};
    let parser = Parser::new_ext(md, Options::ENABLE_TABLES).map(|e| match e {
        Event::Html(t) | Event::InlineHtml(t) => Event::Text(t),
        e => e,
    });
    let mut out = String::new();
    html::push_html(&mut out, parser);
    out
}

/// A policy unit as a reader writes it.
fn plain_unit(u: &str) -> String {
    u.replace("mm[Hg]", "mmHg")
        .replace("1.73m2", "1.73 m²")
        .replace("m2", "m²")
}

/// A setting's value without a needless fraction.
fn number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

fn setting(key: &str) -> Option<&'static Setting> {
    SETTINGS.iter().find(|s| s.key == key)
}

/// The table of the figures in force for `page` under `policy`.
fn figures_html(page: &Page, policy: &Policy) -> String {
    if page.settings.is_empty() {
        return "<p>This check uses no adjustable figure.</p>\n".into();
    }
    let mut out = String::from(
        "<table>\n<thead><tr><th>Figure</th><th>In force</th><th>Default</th>\
         <th>Unit</th><th>Source</th><th>Setting</th></tr></thead>\n<tbody>\n",
    );
    for key in &page.settings {
        let Some(s) = setting(key) else { continue };
        let value = policy.get(key).unwrap_or(s.default);
        let local = policy.changed().contains(key);
        let source = if local {
            format!(
                "local policy of this health system (default from {})",
                s.source
            )
        } else {
            s.source.to_string()
        };
        out.push_str(&format!(
            "<tr><td>{}</td><td>{}{}</td><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td></tr>\n",
            esc(s.description.trim()),
            esc(&number(value)),
            if local { " <strong>(local)</strong>" } else { "" },
            esc(&number(s.default)),
            esc(&plain_unit(s.unit)),
            esc(&source),
            esc(s.key),
        ));
    }
    out.push_str("</tbody>\n</table>\n");
    out
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:52em;margin:2em auto;padding:0 1em;line-height:1.45;color:#1b1b1b}\
table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #bbb;padding:.3em .5em;text-align:left;vertical-align:top}\
th{background:#f0f0f0}code{font-size:.95em}nav{margin-bottom:1.5em}footer{margin-top:2em;color:#555;font-size:.9em}";

/// The Content-Security-Policy of the pages: nothing may load or run but
/// the page's own style block (by its hash); no script at all.
pub static CONTENT_SECURITY_POLICY: LazyLock<String> = LazyLock::new(|| {
    let hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(STYLE.as_bytes()));
    format!(
        "default-src 'none'; style-src 'sha256-{hash}'; img-src 'none'; script-src 'none'; \
         base-uri 'none'; form-action 'none'"
    )
});

fn document(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"referrer\" content=\"no-referrer\">\
         <title>{}</title><style>{STYLE}</style></head>\n<body>\n{body}\
         <footer>SSc-myositis overlap: initial treatment guidance. Decision support, not a \
         substitute for clinical judgement.</footer>\n</body></html>\n",
        esc(title)
    )
}

/// The page for `page`, with the figures in force under `policy`.
pub fn page_html(page: &Page, policy: &Policy) -> String {
    let mut body = String::from("<nav><a href=\"../guidance\">All checks</a></nav>\n<main>\n");
    body.push_str(&markdown_html(page.markdown));
    body.push_str("<h2>Figures in force</h2>\n");
    body.push_str(
        "<p>The figures this service uses now. A health system may change them in its local \
         policy; a changed figure is marked <strong>(local)</strong>, and the cards say so too.</p>\n",
    );
    body.push_str(&figures_html(page, policy));
    let codes: Vec<String> = page
        .topics
        .iter()
        .map(|t| format!("<code>{}</code> ({})", esc(t.code), esc(t.display)))
        .collect();
    body.push_str(&format!(
        "<p>Cards of this check carry the topic code {}.</p>\n</main>\n",
        codes.join(", ")
    ));
    document(&format!("{} — SSc-myositis guidance", page.title()), &body)
}

/// The list of every page.
pub fn index_html() -> String {
    let mut body = String::from(
        "<main>\n<h1>SSc-myositis overlap: the checks and their guidance</h1>\n\
         <p>Each card of this decision-support service links to the page of the check that \
         made it: what the check looks at, how it calculates, the literature behind it and the \
         figures in force.</p>\n<ul>\n",
    );
    for p in pages() {
        body.push_str(&format!(
            "<li><a href=\"guidance/{}\">{}</a></li>\n",
            esc(p.slug),
            esc(p.title())
        ));
    }
    body.push_str("</ul>\n</main>\n");
    document("SSc-myositis guidance", &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_topic_has_exactly_one_page() {
        let mut topics: Vec<&str> = Rule::ALL
            .iter()
            .flat_map(|r| r.topics())
            .map(|t| t.code)
            .collect();
        topics.extend(MISSING_DATA_TOPICS.iter().map(|t| t.code));
        topics.extend(ADULTS_ONLY_TOPICS.iter().map(|t| t.code));
        for code in topics {
            let n = pages()
                .iter()
                .filter(|p| p.topics.iter().any(|t| t.code == code))
                .count();
            assert_eq!(n, 1, "{code}");
        }
    }

    #[test]
    fn slugs_are_unique_kebab_case_and_titles_are_set() {
        let mut slugs: Vec<&str> = pages().iter().map(|p| p.slug).collect();
        assert!(slugs.iter().all(|s| s
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')));
        let n = slugs.len();
        slugs.sort();
        slugs.dedup();
        assert_eq!(slugs.len(), n);
        for p in pages() {
            assert!(p.markdown.starts_with("# "), "{}: no title", p.slug);
            assert_ne!(p.title(), p.slug);
        }
    }

    #[test]
    fn setting_sources_name_no_internal_document() {
        for s in SETTINGS {
            for bad in ["REFERENCE", "POLICY", ".md"] {
                assert!(!s.source.contains(bad), "{}: {}", s.key, s.source);
            }
        }
    }

    #[test]
    fn pages_name_no_internal_file_and_cite_literature() {
        for p in pages() {
            for bad in ["REFERENCE", "POLICY", ".md", ".rs", "TODO"] {
                assert!(!p.markdown.contains(bad), "{}: {bad}", p.slug);
            }
            for part in ["## What it checks", "## How it calculates", "## Sources"] {
                assert!(p.markdown.contains(part), "{}: no {part:?}", p.slug);
            }
        }
    }

    #[test]
    fn raw_html_in_the_words_is_shown_as_text() {
        let html =
            markdown_html("a <script>alert(1)</script> & <b>b</b>\n\n<div onclick=x>c</div>\n");
        assert!(!html.contains("<script"));
        assert!(!html.contains("<div"));
        assert!(!html.contains("<b>"));
        assert!(html.contains("&lt;script&gt;"));
    }

    #[test]
    fn the_figures_table_shows_local_policy() {
        let policy = Policy::from_toml("src_threshold_mg_per_day = 20").unwrap();
        let page = by_slug("renal-crisis-risk").unwrap();
        let html = page_html(page, &policy);
        assert!(html.contains("<td>20 <strong>(local)</strong></td><td>15</td><td>mg/day</td>"));
        assert!(html.contains("Steen &amp; Medsger 1998"));
        let default = page_html(page, &Policy::default());
        assert!(default.contains("<td>15</td><td>15</td><td>mg/day</td>"));
        assert!(!default.contains("(local)</strong></td>"));
    }
}
