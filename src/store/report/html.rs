//! The report as an HTML page with server-drawn SVG (no script).

use std::fmt::Write as _;

use chrono::NaiveDate;

use std::collections::BTreeMap;

use super::{pct, DailyPoint, Report, WeeklyPoint};

impl Report {
    /// The HTML page: tables and, per rule, an SVG plot of acceptance and
    /// override rate by day.
    pub fn to_html(&self) -> String {
        let mut h = String::new();
        let _ = write!(
            h,
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
             <title>Acceptance report</title>\
             <style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse}}\
             td,th{{border:1px solid #ccc;padding:.25em .6em;text-align:right}}td:first-child,th:first-child,.text{{text-align:left}}\
             .acceptance{{stroke:#1b7837;fill:none;stroke-width:2}}.override{{stroke:#c51b7d;fill:none;stroke-width:2}}\
             .axis{{stroke:#555}}figure{{display:inline-block;margin:1em}}</style></head><body>\
             <h1>Acceptance report</h1><p id=\"window\">{}</p>",
            escape(&self.window())
        );
        h.push_str("<h2>Services</h2><table id=\"services\"><tr><th>service</th><th>shown</th><th>accepted</th><th>overridden</th><th title=\"overridden before and unchanged since: not sent\">held back</th><th>acceptance</th><th>override</th><th>unmatched feedback</th></tr>");
        for v in &self.services {
            let c = v.counts;
            let _ = write!(
                h,
                "<tr data-service=\"{0}\"><td>{0}</td><td>{1}</td><td>{2}</td><td>{3}</td><td>{7}</td><td>{4}</td><td>{5}</td><td>{6}</td></tr>",
                escape(&v.service),
                c.shown,
                c.accepted,
                c.overridden,
                pct(c.acceptance_rate),
                pct(c.override_rate),
                v.unmatched_feedback,
                c.suppressed
            );
        }
        h.push_str("</table><h2>Rules</h2><table id=\"rules\"><tr><th>rule</th><th>service</th><th>shown</th><th>accepted</th><th>overridden</th><th title=\"overridden before and unchanged since: not sent\">held back</th><th>acceptance</th><th>override</th><th>override 95% CI</th><th>noisy</th><th>top override reasons</th></tr>");
        for r in &self.rules {
            let c = r.counts;
            let reasons: Vec<String> = r
                .top_override_reasons
                .iter()
                .map(|x| format!("{} ({})", escape(&x.display), x.count))
                .collect();
            let ci = r
                .override_rate_ci95
                .map(|[lo, hi]| format!("{}–{}", pct(lo), pct(hi)))
                .unwrap_or_default();
            let _ = write!(
                h,
                "<tr data-rule=\"{0}\" data-noisy=\"{9}\"><td title=\"{1}\">{0}</td><td>{2}</td><td>{3}</td><td>{4}</td><td>{5}</td><td>{12}</td><td>{6}</td><td>{7}</td><td>{10}</td><td>{11}</td><td>{8}</td></tr>",
                escape(&r.rule),
                escape(&r.rule_display),
                escape(&r.service),
                c.shown,
                c.accepted,
                c.overridden,
                pct(c.acceptance_rate),
                pct(c.override_rate),
                reasons.join("; "),
                r.noisy,
                ci,
                if r.noisy { "noisy" } else { "" },
                c.suppressed
            );
        }
        h.push_str("</table>");
        h.push_str(&self.suggestion_tables());
        h.push_str("<h2>Acceptance and override rate by day</h2>");
        let _ = write!(
            h,
            "<p><svg width=\"12\" height=\"12\"><line class=\"acceptance\" x1=\"0\" y1=\"6\" x2=\"12\" y2=\"6\"/></svg> acceptance \
             <svg width=\"12\" height=\"12\"><line class=\"override\" x1=\"0\" y1=\"6\" x2=\"12\" y2=\"6\"/></svg> override</p>"
        );
        h.push_str(&self.plots());
        h.push_str("<h2>Override rate per rule, week by week</h2>");
        h.push_str(&self.weekly_plots());
        let _ = writeln!(
            h,
            "<p id=\"unmatched\">Feedback for unknown cards: {}</p></body></html>",
            self.unmatched_feedback
        );
        h
    }

    /// What clinicians took: suggestions offered and accepted, by kind and
    /// one by one.
    fn suggestion_tables(&self) -> String {
        let rate = |r: Option<f64>| r.map_or_else(String::new, pct);
        let mut h = String::from("<h2>Suggestions</h2>");
        if self.suggestion_kinds.is_empty() {
            h.push_str("<p id=\"no-suggestions\">No suggestion offered in this window.</p>");
            return h;
        }
        h.push_str("<h3>By kind</h3><table id=\"suggestion-kinds\"><tr><th>kind</th><th class=\"text\">service</th><th>offered</th><th>accepted</th><th>acceptance</th></tr>");
        for k in &self.suggestion_kinds {
            let _ = write!(
                h,
                "<tr data-kind=\"{0}\" data-service=\"{1}\"><td>{0}</td><td class=\"text\">{1}</td><td>{2}</td><td>{3}</td><td>{4}</td></tr>",
                escape(&k.kind),
                escape(&k.service),
                k.offered,
                k.accepted,
                rate(k.acceptance_rate)
            );
        }
        h.push_str("</table><h3>One by one (the same whatever the dose)</h3><table id=\"suggestions\"><tr><th>suggestion</th><th class=\"text\">rule</th><th class=\"text\">service</th><th>offered</th><th>accepted</th><th>acceptance</th></tr>");
        for x in &self.suggestions {
            let _ = write!(
                h,
                "<tr data-suggestion=\"{0}\" data-rule=\"{2}\"><td>{1}</td><td class=\"text\">{2}</td><td class=\"text\">{3}</td><td>{4}</td><td>{5}</td><td>{6}</td></tr>",
                escape(&x.suggestion),
                if x.suggestion.is_empty() {
                    "(not one of the card’s)".to_string()
                } else {
                    escape(&x.suggestion)
                },
                escape(&x.rule),
                escape(&x.service),
                x.offered,
                x.accepted,
                rate(x.acceptance_rate)
            );
        }
        h.push_str("</table>");
        h
    }

    fn plots(&self) -> String {
        let (w, ht, left, top) = (420.0, 160.0, 44.0, 12.0);
        let days: Vec<NaiveDate> = self.daily.iter().map(|p| p.day).collect();
        let (Some(first), Some(last)) = (days.iter().min(), days.iter().max()) else {
            return "<p id=\"no-data\">No cards in this window.</p>".into();
        };
        let span = (*last - *first).num_days().max(0) as f64;
        let x = |d: NaiveDate| {
            if span == 0.0 {
                left + w / 2.0
            } else {
                left + (d - *first).num_days() as f64 / span * w
            }
        };
        let y = |rate: f64| top + (1.0 - rate.clamp(0.0, 1.0)) * ht;
        let mut by_rule: BTreeMap<&str, Vec<&DailyPoint>> = BTreeMap::new();
        for p in &self.daily {
            by_rule.entry(&p.rule).or_default().push(p);
        }
        let mut s = String::new();
        for (rule, points) in by_rule {
            let _ = write!(
                s,
                "<figure><figcaption>{0}</figcaption><svg class=\"rule-plot\" data-rule=\"{0}\" xmlns=\"http://www.w3.org/2000/svg\" \
                 width=\"{1}\" height=\"{2}\" viewBox=\"0 0 {1} {2}\" role=\"img\" aria-label=\"acceptance and override rate of {0} by day\">",
                escape(rule),
                left + w + 16.0,
                top + ht + 36.0
            );
            let _ = write!(
                s,
                "<line class=\"axis\" x1=\"{left}\" y1=\"{top}\" x2=\"{left}\" y2=\"{b}\"/>\
                 <line class=\"axis\" x1=\"{left}\" y1=\"{b}\" x2=\"{r}\" y2=\"{b}\"/>\
                 <text x=\"{tx}\" y=\"{t0}\" font-size=\"10\" text-anchor=\"end\">100%</text>\
                 <text x=\"{tx}\" y=\"{t50}\" font-size=\"10\" text-anchor=\"end\">50%</text>\
                 <text x=\"{tx}\" y=\"{b}\" font-size=\"10\" text-anchor=\"end\">0%</text>\
                 <text x=\"{left}\" y=\"{d}\" font-size=\"10\">{first}</text>\
                 <text x=\"{r}\" y=\"{d}\" font-size=\"10\" text-anchor=\"end\">{last}</text>",
                b = top + ht,
                r = left + w,
                tx = left - 4.0,
                t0 = top + 4.0,
                t50 = top + ht / 2.0 + 4.0,
                d = top + ht + 16.0,
            );
            for (class, rate) in [
                (
                    "acceptance",
                    (|p: &DailyPoint| p.counts.acceptance_rate) as fn(&DailyPoint) -> f64,
                ),
                ("override", |p: &DailyPoint| p.counts.override_rate),
            ] {
                let line: Vec<String> = points
                    .iter()
                    .map(|p| format!("{:.1},{:.1}", x(p.day), y(rate(p))))
                    .collect();
                let _ = write!(
                    s,
                    "<polyline class=\"{class}\" points=\"{}\"/>",
                    line.join(" ")
                );
                for p in &points {
                    let _ = write!(
                        s,
                        "<circle class=\"{class}\" cx=\"{:.1}\" cy=\"{:.1}\" r=\"3\" data-day=\"{}\" data-rate=\"{}\">\
                         <title>{} {class} {:.1}% of {} cards</title></circle>",
                        x(p.day),
                        y(rate(p)),
                        p.day,
                        rate(p),
                        p.day,
                        rate(p) * 100.0,
                        p.counts.shown
                    );
                }
            }
            s.push_str("</svg></figure>");
        }
        s
    }
}

impl Report {
    /// Small multiples: per rule, one bar per week, its height the override
    /// rate, on the same 0–100 % scale for every rule.
    fn weekly_plots(&self) -> String {
        let (bw, gap, ht, top, left) = (14.0, 4.0, 80.0, 8.0, 30.0);
        let weeks: Vec<NaiveDate> = {
            let mut w: Vec<NaiveDate> = self.weekly.iter().map(|p| p.week).collect();
            w.sort();
            w.dedup();
            w
        };
        if weeks.is_empty() {
            return "<p id=\"no-weeks\">No cards in this window.</p>".into();
        }
        let mut by_rule: BTreeMap<&str, Vec<&WeeklyPoint>> = BTreeMap::new();
        for p in &self.weekly {
            by_rule.entry(&p.rule).or_default().push(p);
        }
        let width = left + weeks.len() as f64 * (bw + gap) + 8.0;
        let mut s = String::from("<div id=\"weekly\">");
        for (rule, points) in by_rule {
            let _ = write!(
                s,
                "<figure><figcaption>{0}</figcaption><svg class=\"week-plot\" data-rule=\"{0}\" xmlns=\"http://www.w3.org/2000/svg\" \
                 width=\"{1}\" height=\"{2}\" viewBox=\"0 0 {1} {2}\" role=\"img\" aria-label=\"override rate of {0} by week\">\
                 <line class=\"axis\" x1=\"{left}\" y1=\"{top}\" x2=\"{left}\" y2=\"{b}\"/>\
                 <text x=\"{tx}\" y=\"{t0}\" font-size=\"9\" text-anchor=\"end\">100%</text>\
                 <text x=\"{tx}\" y=\"{b}\" font-size=\"9\" text-anchor=\"end\">0%</text>",
                escape(rule),
                width,
                top + ht + 14.0,
                b = top + ht,
                tx = left - 3.0,
                t0 = top + 8.0,
            );
            for p in points {
                let i = weeks.iter().position(|w| *w == p.week).unwrap_or(0) as f64;
                let h = p.override_rate.clamp(0.0, 1.0) * ht;
                let _ = write!(
                    s,
                    "<rect class=\"override-bar\" x=\"{:.1}\" y=\"{:.1}\" width=\"{bw}\" height=\"{:.1}\" fill=\"#c51b7d\" \
                     data-week=\"{}\" data-rate=\"{}\" data-shown=\"{}\"><title>week of {} override {:.1}% of {} cards</title></rect>",
                    left + 4.0 + i * (bw + gap),
                    top + ht - h,
                    h,
                    p.week,
                    p.override_rate,
                    p.shown,
                    p.week,
                    p.override_rate * 100.0,
                    p.shown
                );
            }
            s.push_str("</svg></figure>");
        }
        s.push_str("</div>");
        s
    }
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}
