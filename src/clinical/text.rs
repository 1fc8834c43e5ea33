//! Text helpers: clean-up and Markdown escaping of record text, number
//! formatting. The words of the cards are in `crate::words`.

use chrono::NaiveDate;

use crate::facts::fmt_num;

/// Whether a character is dropped from request text before it reaches a
/// card: control characters (C0, DEL, C1, NUL among them) other than line
/// breaks and tabs, and the Unicode bidirectional controls (embeddings,
/// overrides such as U+202E RIGHT-TO-LEFT OVERRIDE, isolates and marks) that
/// can make a card read differently from what it says.
pub fn is_unsafe_char(c: char) -> bool {
    (c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
        || matches!(
            c,
            '\u{200E}' | '\u{200F}' | '\u{061C}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
        )
}

/// Request text with [unsafe characters](is_unsafe_char) removed and
/// tabs as spaces.
pub fn sanitize(s: &str) -> String {
    s.chars()
        .filter(|c| !is_unsafe_char(*c))
        .map(|c| if c == '\t' { ' ' } else { c })
        .collect()
}

/// Escapes Markdown in text that comes from the patient record, after
/// [`sanitize`].
pub fn md(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in sanitize(s).chars() {
        if matches!(
            c,
            '\\' | '`'
                | '*'
                | '_'
                | '{'
                | '}'
                | '['
                | ']'
                | '('
                | ')'
                | '#'
                | '+'
                | '!'
                | '|'
                | '<'
                | '>'
        ) {
            out.push('\\');
        }
        if c == '\n' || c == '\r' {
            out.push(' ');
        } else {
            out.push(c);
        }
    }
    out
}

/// "prednisone" → "Prednisone".
pub fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next().map_or(String::new(), |f| {
        f.to_uppercase().collect::<String>() + c.as_str()
    })
}

pub fn num(v: f64) -> String {
    fmt_num(v)
}

/// "mg/kg" figures: two decimals.
pub fn per_kg(v: f64) -> String {
    match crate::facts::dose_hundredths(v) {
        Some((neg, n)) => {
            let mut s = String::with_capacity(12);
            crate::facts::push_fixed2(&mut s, neg, n, false);
            s
        }
        None => format!("{v:.2}"),
    }
}

pub fn date(d: Option<NaiveDate>) -> String {
    d.map_or_else(|| "date unknown".to_string(), |d| d.to_string())
}

/// Cuts a summary to fewer than 140 characters (CDS Hooks), at a word.
pub fn summary(s: String) -> String {
    if s.chars().count() < 140 {
        return s;
    }
    let mut cut: String = s.chars().take(138).collect();
    if let Some(i) = cut.rfind(' ') {
        cut.truncate(i);
    }
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_from_the_record_is_escaped() {
        assert_eq!(md("*bold* [x](http://e)"), r"\*bold\* \[x\]\(http://e\)");
        assert_eq!(md("a\nb"), "a b");
    }

    #[test]
    fn control_and_bidi_characters_never_reach_a_card() {
        let hostile =
            "predni\u{202E}SONE\u{0} 20\u{7} mg\u{2067}x\u{2069}\u{200F}\u{9}tab\u{85}\u{1B}[31m";
        let out = md(hostile);
        assert!(!out.chars().any(is_unsafe_char), "{out:?}");
        assert_eq!(out, r"predniSONE 20 mgx tab\[31m");
        assert_eq!(
            sanitize("plain text, ünïcode ≥ 15 mg"),
            "plain text, ünïcode ≥ 15 mg"
        );
    }

    #[test]
    fn every_control_and_bidi_character_is_dropped() {
        // Every character of the ranges that hold them, alone and in text.
        for c in ('\0'..='\u{3000}').chain(['\u{FEFF}', '\u{E0001}']) {
            let out = md(&format!("a{c}b"));
            assert!(!out.chars().any(is_unsafe_char), "{:?} kept", c);
            let bidi = ('\u{202A}'..='\u{202E}').contains(&c)
                || ('\u{2066}'..='\u{2069}').contains(&c)
                || matches!(c, '\u{200E}' | '\u{200F}' | '\u{061C}');
            if c.is_control() && !matches!(c, '\n' | '\r' | '\t') || bidi {
                assert_eq!(out, "ab", "{:?}", c);
            }
        }
    }

    #[test]
    fn summaries_stay_under_140() {
        let long = "word ".repeat(60);
        let s = summary(long);
        assert!(s.chars().count() < 140);
        assert!(s.ends_with('…'));
        assert_eq!(summary("short".into()), "short");
    }
}
