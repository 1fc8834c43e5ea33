//! Text as a clinician reads it, in one leaf module that imports nothing of
//! the service: numbers (amounts as ordered, derived figures, two-decimal
//! rates), dates, and record text made safe for a card's Markdown. Facts,
//! rules and words format numbers here and nowhere else.
//!
//! Derived figures (mg/kg, BSA, prednisone-equivalents, ratios, limits worked
//! out from a weight) get at most three significant figures and at most two
//! decimals, trailing zeros dropped, a leading zero always: 26.7 mg,
//! 0.86 mg/kg, 1.82 m², 571 mg. Amounts as ordered or suggested are shown as
//! they are ([`amount`]: IVIG 127.5 g, methotrexate 27.5 mg).
//!
//! Both are written with integer arithmetic, not the float formatter; a
//! differential test checks them against the standard formatter's exact
//! decimal rounding over many values.

use chrono::NaiveDate;

/// An amount as ordered or suggested, as it is (IVIG 127.5 g, methotrexate
/// 27.5 mg, 60, 0.86): to hundredths, trailing zeros dropped; `{:.2}` with
/// the zeros trimmed, in integer arithmetic when the rounding is unambiguous.
pub fn amount(v: f64) -> String {
    match hundredths(v) {
        Some((neg, n)) => {
            let mut s = String::with_capacity(12);
            push_fixed2(&mut s, neg, n, true);
            s
        }
        None => {
            let s = format!("{:.2}", v);
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        }
    }
}

/// `v` rounded to hundredths as (sign, |v| × 100), when that rounding
/// cannot differ from the exact decimal rounding `{:.2}` does: finite, below
/// 10^10 (the product's error is then under 10^-5) and not within 10^-3 of a
/// tie. `None` otherwise, for the standard formatter to decide.
pub fn hundredths(v: f64) -> Option<(bool, u64)> {
    let x = (v * 100.0).abs();
    if !x.is_finite() || x >= 1e12 {
        return None;
    }
    let n = x.round();
    if (x - n).abs() > 0.499 {
        return None;
    }
    Some((v.is_sign_negative(), n as u64))
}

/// Writes a number of hundredths as a decimal: `n` = 2750 → "27.50", or
/// "27.5" when `trim`.
pub fn push_fixed2(out: &mut String, neg: bool, n: u64, trim: bool) {
    use std::fmt::Write;
    if neg {
        out.push('-');
    }
    let (int, frac) = (n / 100, n % 100);
    let _ = write!(out, "{int}");
    match (trim, frac) {
        (true, 0) => {}
        (true, f) if f % 10 == 0 => {
            out.push('.');
            out.push((b'0' + (f / 10) as u8) as char);
        }
        (_, f) => {
            out.push('.');
            out.push((b'0' + (f / 10) as u8) as char);
            out.push((b'0' + (f % 10) as u8) as char);
        }
    }
}

/// A derived figure: at most three significant figures and two decimals.
pub fn fig(v: f64) -> String {
    let a = v.abs();
    if !a.is_finite() {
        return format!("{v}");
    }
    if a == 0.0 {
        return "0".into();
    }
    // Decimals kept: 2 below 10, 1 below 100, none from 100; from 1,000 the
    // integer is rounded to three significant figures.
    let (decimals, scale): (u32, f64) = if a < 10.0 {
        (2, 100.0)
    } else if a < 100.0 {
        (1, 10.0)
    } else {
        (0, 1.0)
    };
    let mut s = String::with_capacity(12);
    if decimals == 0 && a >= 1000.0 {
        // Round to the 10^k that leaves three significant figures.
        let mut p = 1.0f64;
        while a / p >= 1000.0 {
            p *= 10.0;
        }
        let x = a / p;
        let n = x.round();
        if (x - n).abs() > 0.499 || a >= 1e15 {
            return reference(v);
        }
        let n = (n * p) as u64;
        if v < 0.0 && n != 0 {
            s.push('-');
        }
        push_u64(&mut s, n);
        return s;
    }
    let x = a * scale;
    let n = x.round();
    if (x - n).abs() > 0.499 {
        // Too near a tie for the product to decide: the exact formatter does.
        return reference(v);
    }
    let n = n as u64;
    // A figure that rounds up across a decade boundary (9.996 → 10.00,
    // 99.96 → 100.0) is then shown with fewer decimals, as `reference` does.
    let (n, decimals) = match decimals {
        2 if n >= 1000 => ((n + 5) / 10, 1),
        1 if n >= 1000 => ((n + 5) / 10, 0),
        d => (n, d),
    };
    if v < 0.0 && n != 0 {
        s.push('-');
    }
    let p = 10u64.pow(decimals);
    push_u64(&mut s, n / p);
    let mut frac = n % p;
    if frac != 0 {
        s.push('.');
        let mut digits = decimals;
        // Drop trailing zeros.
        while frac % 10 == 0 {
            frac /= 10;
            digits -= 1;
        }
        let width = digits as usize;
        let f = frac.to_string();
        for _ in f.len()..width {
            s.push('0');
        }
        s.push_str(&f);
    }
    s
}

fn push_u64(s: &mut String, n: u64) {
    let (buf, start) = itoa_buf(n);
    s.push_str(std::str::from_utf8(&buf[start..]).unwrap_or("0"));
}

/// `n` in decimal digits, right-aligned in a buffer.
fn itoa_buf(mut n: u64) -> ([u8; 20], usize) {
    let mut b = [0u8; 20];
    let mut i = 20;
    loop {
        i -= 1;
        b[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    (b, i)
}

/// The same figure by the standard formatter (exact decimal rounding): three
/// significant figures from 1, two decimals below 1, trailing zeros dropped.
pub fn reference(v: f64) -> String {
    let a = v.abs();
    let s = if a >= 1.0 {
        let e = format!("{v:.2e}");
        let x: f64 = e.parse().unwrap_or(v);
        // At most two decimals after the three significant figures.
        format!("{x:.2}")
    } else {
        format!("{v:.2}")
    };
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    };
    if s == "-0" {
        "0".into()
    } else {
        s
    }
}

/// A weight or height as recorded: itself with at most one decimal, else
/// to one decimal.
pub fn measured(v: f64) -> String {
    let tenths = v * 10.0;
    if !tenths.is_finite() || (tenths.round() - tenths).abs() < 1e-9 {
        amount(v)
    } else {
        amount((v * 10.0).round() / 10.0)
    }
}

/// A laboratory figure as recorded when it has at most one decimal, else to
/// three significant figures (POLICY third edition, "Figures as recorded").
pub fn as_recorded(v: f64) -> String {
    let tenths = v * 10.0;
    if !tenths.is_finite() || v == 0.0 || (tenths.round() - tenths).abs() < 1e-9 {
        return amount(v);
    }
    let digits = 2 - v.abs().log10().floor() as i32;
    let scale = 10f64.powi(digits);
    amount((v * scale).round() / scale)
}

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

/// "mg/kg" figures: two decimals.
pub fn per_kg(v: f64) -> String {
    match hundredths(v) {
        Some((neg, n)) => {
            let mut s = String::with_capacity(12);
            push_fixed2(&mut s, neg, n, false);
            s
        }
        None => format!("{v:.2}"),
    }
}

/// A date, or "date unknown".
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
    use proptest::prelude::*;

    #[test]
    fn worked_figures() {
        for (v, want) in [
            (26.68, "26.7"),
            (0.857, "0.86"),
            (0.8571, "0.86"),
            (14.99, "15"),
            (571.43, "571"),
            (1.818, "1.82"),
            (1.8, "1.8"),
            (35.0, "35"),
            (0.05, "0.05"),
            (0.004, "0"),
            (9.996, "10"),
            (99.96, "100"),
            (999.6, "1000"),
            (1234.5, "1230"),
            (127.5, "128"),
            (-0.5, "-0.5"),
            (0.0, "0"),
        ] {
            assert_eq!(fig(v), want, "{v}");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20_000))]
        /// The integer formatting agrees with the standard formatter.
        #[test]
        fn fig_matches_the_standard_formatter(v in -1.0e7f64..1.0e7) {
            prop_assert_eq!(fig(v), reference(v));
        }

        #[test]
        fn fig_matches_on_clinical_ranges(mg in 0.0f64..2000.0, kg in 25.0f64..350.0) {
            let v = mg / kg;
            prop_assert_eq!(fig(v), reference(v));
            prop_assert_eq!(fig(mg), reference(mg));
        }

        /// Never more than three significant figures.
        #[test]
        fn at_most_three_significant_figures(v in 0.001f64..1.0e6) {
            let s = fig(v);
            let digits: String = s.chars().filter(|c| c.is_ascii_digit()).collect();
            let significant = digits.trim_start_matches('0').trim_end_matches('0');
            prop_assert!(significant.len() <= 3, "{} -> {}", v, s);
        }
    }

    #[test]
    fn figures_as_recorded() {
        for (v, want) in [
            (60.0, "60"),
            (45.5, "45.5"),
            (45.36, "45.4"),
            (123.456, "123"),
            (0.876, "0.88"),
            (1.234, "1.23"),
        ] {
            assert_eq!(as_recorded(v), want, "{v}");
        }
    }

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
