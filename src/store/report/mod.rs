//! The acceptance report: per service and per rule, cards shown, accepted,
//! overridden, the rates and the commonest override reasons, for cards
//! issued in a window; and per rule and day, for the plot. Rendered as JSON,
//! text, or an HTML page with server-drawn SVG (no script).

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, NaiveDate};
use serde::Serialize;

mod html;
mod text;

const DAY_MS: i64 = 86_400_000;

/// One (service, rule, day) group from the database.
#[derive(Debug, Clone)]
pub struct DailyRow {
    pub service: String,
    pub rule: String,
    pub rule_display: String,
    /// Days since 1970-01-01 (UTC).
    pub day: i64,
    pub shown: i64,
    pub accepted: i64,
    pub overridden: i64,
    /// Held back: overridden before and unchanged since (never sent).
    pub suppressed: i64,
}

/// One (service, rule, reason) group of overridden cards.
#[derive(Debug, Clone)]
pub struct ReasonRow {
    pub service: String,
    pub rule: String,
    pub code: String,
    pub display: String,
    pub category: String,
    pub count: i64,
}

/// One (service, rule, suggestion) group: offered on cards shown, accepted.
#[derive(Debug, Clone)]
pub struct SuggestionRow {
    pub service: String,
    pub rule: String,
    /// What it offers, `kind/what`; '' for accepted ids that were none of
    /// the card's suggestions.
    pub suggestion: String,
    pub offered: i64,
    pub accepted: i64,
}

/// How often one suggestion was offered on a card shown and accepted.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SuggestionSummary {
    pub service: String,
    pub rule: String,
    /// `kind/what`, the same for every dose (`medication/methotrexate`).
    pub suggestion: String,
    /// `medication`, `test`, `change`, `removal`; `unknown` for accepted ids
    /// that were none of the card's suggestions.
    pub kind: String,
    pub offered: i64,
    pub accepted: i64,
    /// accepted / offered; absent when never offered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub acceptance_rate: Option<f64>,
}

/// Suggestions of one kind, per service.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KindSummary {
    pub service: String,
    pub kind: String,
    pub offered: i64,
    pub accepted: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub acceptance_rate: Option<f64>,
}

/// `n / of`, four decimals; `None` when `of` is 0.
fn ratio(n: i64, of: i64) -> Option<f64> {
    (of > 0).then(|| (n as f64 / of as f64 * 10_000.0).round() / 10_000.0)
}

/// A rate as the text and the page show it: `12.5%`.
fn pct(rate: f64) -> String {
    format!("{:.1}%", rate * 100.0)
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Counts {
    pub shown: i64,
    pub accepted: i64,
    pub overridden: i64,
    /// Cards held back because the clinician overrode them before and
    /// nothing changed since (POLICY third edition, "Remembering what the
    /// clinician said"); not counted as shown.
    pub suppressed: i64,
    /// accepted / shown.
    pub acceptance_rate: f64,
    /// overridden / shown.
    pub override_rate: f64,
}

impl Counts {
    fn add(&mut self, r: &DailyRow) {
        self.shown += r.shown;
        self.accepted += r.accepted;
        self.overridden += r.overridden;
        self.suppressed += r.suppressed;
        self.acceptance_rate = ratio(self.accepted, self.shown).unwrap_or(0.0);
        self.override_rate = ratio(self.overridden, self.shown).unwrap_or(0.0);
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServiceSummary {
    pub service: String,
    #[serde(flatten)]
    pub counts: Counts,
    /// Feedback for card uuids this service never issued (or since purged).
    pub unmatched_feedback: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReasonCount {
    /// The reason's code; absent when the clinician only left a comment or no reason.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    pub display: String,
    /// Non-adherence category (CDS Hooks 3.0 ballot), when the reason maps to one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    pub count: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleSummary {
    pub service: String,
    pub rule: String,
    pub rule_display: String,
    #[serde(flatten)]
    pub counts: Counts,
    /// 95 % Wilson score interval of the override rate; absent when no card
    /// was shown.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub override_rate_ci95: Option<[f64; 2]>,
    /// Overridden at least [`NOISY_RATE`] of the time over at least
    /// [`NOISY_MIN_SHOWN`] cards: a rule to tune.
    pub noisy: bool,
    pub top_override_reasons: Vec<ReasonCount>,
}

/// Override rate from which a rule is flagged noisy…
pub const NOISY_RATE: f64 = 0.9;
/// …once it has been shown at least this often.
pub const NOISY_MIN_SHOWN: i64 = 30;

/// The 95 % Wilson score interval of `k` successes in `n` trials (Wilson
/// 1927), rounded to four decimals; `None` when `n` is 0. Unlike the normal
/// approximation it stays within [0, 1] and is informative at 0 % and
/// 100 %, which is where a rule's override rate often sits.
pub fn wilson95(k: i64, n: i64) -> Option<[f64; 2]> {
    if n <= 0 {
        return None;
    }
    let z = 1.959_963_984_540_054_f64;
    let (k, n) = (k.clamp(0, n) as f64, n as f64);
    let p = k / n;
    let denom = 1.0 + z * z / n;
    let centre = (p + z * z / (2.0 * n)) / denom;
    let half = z * (p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt() / denom;
    let r = |x: f64| (x.clamp(0.0, 1.0) * 10_000.0).round() / 10_000.0;
    Some([r(centre - half), r(centre + half)])
}

/// One rule's override rate in one week (all services together).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WeeklyPoint {
    pub rule: String,
    /// The Monday the week starts on (UTC).
    pub week: NaiveDate,
    pub shown: i64,
    pub overridden: i64,
    pub override_rate: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DailyPoint {
    pub rule: String,
    pub day: NaiveDate,
    #[serde(flatten)]
    pub counts: Counts,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// First day of the window (cards issued from then on); absent: all time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub since: Option<NaiveDate>,
    pub services: Vec<ServiceSummary>,
    pub rules: Vec<RuleSummary>,
    /// Per rule (all services) and day, oldest first.
    pub daily: Vec<DailyPoint>,
    /// Per rule (all services) and week, oldest first.
    pub weekly: Vec<WeeklyPoint>,
    /// Per service, rule and suggestion: offered and accepted.
    pub suggestions: Vec<SuggestionSummary>,
    /// Per service and kind of suggestion (medication, test, change,
    /// removal): offered and accepted.
    pub suggestion_kinds: Vec<KindSummary>,
    pub unmatched_feedback: i64,
}

/// Most override reasons listed per rule.
const TOP_REASONS: usize = 3;

fn date_of_day(day: i64) -> NaiveDate {
    DateTime::from_timestamp(day * 86_400, 0)
        .map(|d| d.date_naive())
        .unwrap_or_default()
}

/// Start of `date` (UTC) in Unix milliseconds.
pub fn day_start_ms(date: NaiveDate) -> i64 {
    date.and_hms_opt(0, 0, 0)
        .expect("midnight exists")
        .and_utc()
        .timestamp_millis()
}

impl Report {
    pub fn build(
        since_ms: i64,
        daily: Vec<DailyRow>,
        reasons: Vec<ReasonRow>,
        unmatched: Vec<(String, i64)>,
    ) -> Report {
        let mut services: BTreeMap<String, ServiceSummary> = BTreeMap::new();
        let mut rules: BTreeMap<(String, String), RuleSummary> = BTreeMap::new();
        let mut points: BTreeMap<(i64, String), Counts> = BTreeMap::new();
        for r in &daily {
            services
                .entry(r.service.clone())
                .or_insert_with(|| ServiceSummary {
                    service: r.service.clone(),
                    counts: Counts::default(),
                    unmatched_feedback: 0,
                })
                .counts
                .add(r);
            rules
                .entry((r.service.clone(), r.rule.clone()))
                .or_insert_with(|| RuleSummary {
                    service: r.service.clone(),
                    rule: r.rule.clone(),
                    rule_display: r.rule_display.clone(),
                    counts: Counts::default(),
                    override_rate_ci95: None,
                    noisy: false,
                    top_override_reasons: vec![],
                })
                .counts
                .add(r);
            points.entry((r.day, r.rule.clone())).or_default().add(r);
        }
        let mut weeks: BTreeMap<(String, NaiveDate), (i64, i64)> = BTreeMap::new();
        for r in &daily {
            let date = date_of_day(r.day);
            let monday = date - chrono::Days::new(u64::from(date.weekday().num_days_from_monday()));
            let w = weeks.entry((r.rule.clone(), monday)).or_default();
            w.0 += r.shown;
            w.1 += r.overridden;
        }
        for rule in rules.values_mut() {
            let c = rule.counts;
            rule.override_rate_ci95 = wilson95(c.overridden, c.shown);
            rule.noisy = c.shown >= NOISY_MIN_SHOWN && c.override_rate >= NOISY_RATE;
        }
        let mut total_unmatched = 0;
        for (service, n) in unmatched {
            total_unmatched += n;
            services
                .entry(service.clone())
                .or_insert_with(|| ServiceSummary {
                    service,
                    counts: Counts::default(),
                    unmatched_feedback: 0,
                })
                .unmatched_feedback += n;
        }
        let mut reasons = reasons;
        reasons.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.code.cmp(&b.code)));
        for r in reasons {
            if let Some(rule) = rules.get_mut(&(r.service.clone(), r.rule.clone())) {
                if rule.top_override_reasons.len() < TOP_REASONS {
                    let nonempty = |s: String| Some(s).filter(|s| !s.is_empty());
                    let code = nonempty(r.code);
                    let display = nonempty(r.display)
                        .or_else(|| {
                            code.as_deref()
                                .and_then(super::feedback::our_display)
                                .map(str::to_string)
                        })
                        .or_else(|| code.clone())
                        .unwrap_or_else(|| "(no coded reason)".into());
                    rule.top_override_reasons.push(ReasonCount {
                        code,
                        display,
                        category: nonempty(r.category),
                        count: r.count,
                    });
                }
            }
        }
        Report {
            since: (since_ms > 0).then(|| date_of_day(since_ms.div_euclid(DAY_MS))),
            services: services.into_values().collect(),
            rules: rules.into_values().collect(),
            daily: points
                .into_iter()
                .map(|((day, rule), counts)| DailyPoint {
                    rule,
                    day: date_of_day(day),
                    counts,
                })
                .collect(),
            weekly: weeks
                .into_iter()
                .map(|((rule, week), (shown, overridden))| WeeklyPoint {
                    rule,
                    week,
                    shown,
                    overridden,
                    override_rate: ratio(overridden, shown).unwrap_or(0.0),
                })
                .collect(),
            suggestions: vec![],
            suggestion_kinds: vec![],
            unmatched_feedback: total_unmatched,
        }
    }

    /// The report with its suggestion counts.
    pub fn with_suggestions(mut self, rows: Vec<SuggestionRow>) -> Report {
        let mut each: BTreeMap<(String, String, String), (i64, i64)> = BTreeMap::new();
        for r in rows {
            let e = each.entry((r.service, r.rule, r.suggestion)).or_default();
            e.0 += r.offered;
            e.1 += r.accepted;
        }
        let mut kinds: BTreeMap<(String, String), (i64, i64)> = BTreeMap::new();
        self.suggestions = each
            .into_iter()
            .map(|((service, rule, suggestion), (offered, accepted))| {
                let kind = match suggestion.split_once('/') {
                    Some((kind, _)) => kind.to_string(),
                    None => "unknown".to_string(),
                };
                let k = kinds.entry((service.clone(), kind.clone())).or_default();
                k.0 += offered;
                k.1 += accepted;
                SuggestionSummary {
                    service,
                    rule,
                    suggestion,
                    kind,
                    offered,
                    accepted,
                    acceptance_rate: ratio(accepted, offered),
                }
            })
            .collect();
        self.suggestion_kinds = kinds
            .into_iter()
            .map(|((service, kind), (offered, accepted))| KindSummary {
                service,
                kind,
                offered,
                accepted,
                acceptance_rate: ratio(accepted, offered),
            })
            .collect();
        self
    }

    fn window(&self) -> String {
        match self.since {
            Some(d) => format!("cards issued since {d}"),
            None => "all cards".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(service: &str, rule: &str, day: i64, shown: i64, acc: i64, ovr: i64) -> DailyRow {
        DailyRow {
            service: service.into(),
            rule: rule.into(),
            rule_display: format!("{rule} display"),
            day,
            shown,
            accepted: acc,
            overridden: ovr,
            suppressed: 0,
        }
    }

    fn sample() -> Report {
        Report::build(
            day_start_ms(NaiveDate::from_ymd_opt(2026, 11, 20).unwrap()),
            vec![
                row("sign", "gc-dose", 20_780, 4, 1, 2),
                DailyRow {
                    suppressed: 3,
                    ..row("sign", "gc-dose", 20_781, 2, 2, 0)
                },
                row("select", "gc-dose", 20_781, 2, 0, 1),
                row("sign", "mtx<&>", 20_781, 5, 0, 0),
            ],
            vec![
                ReasonRow {
                    service: "sign".into(),
                    rule: "gc-dose".into(),
                    code: "dose-appropriate".into(),
                    display: "Dose appropriate".into(),
                    category: "cds-not-applicable".into(),
                    count: 2,
                },
                ReasonRow {
                    service: "sign".into(),
                    rule: "gc-dose".into(),
                    code: String::new(),
                    display: String::new(),
                    category: String::new(),
                    count: 1,
                },
            ],
            vec![("sign".into(), 3)],
        )
    }

    #[test]
    fn counts_and_rates_add_up_per_service_rule_and_day() {
        let r = sample();
        let sign = r.services.iter().find(|s| s.service == "sign").unwrap();
        assert_eq!(
            (
                sign.counts.shown,
                sign.counts.accepted,
                sign.counts.overridden
            ),
            (11, 3, 2)
        );
        assert_eq!(sign.counts.acceptance_rate, 0.2727);
        assert_eq!(sign.unmatched_feedback, 3);
        let gc = r
            .rules
            .iter()
            .find(|x| x.service == "sign" && x.rule == "gc-dose")
            .unwrap();
        assert_eq!((gc.counts.shown, gc.counts.accepted), (6, 3));
        // Held back: counted apart, never as shown.
        assert_eq!(gc.counts.suppressed, 3);
        assert_eq!(sign.counts.suppressed, 3);
        assert_eq!(gc.counts.acceptance_rate, 0.5);
        assert_eq!(
            gc.top_override_reasons[0].code.as_deref(),
            Some("dose-appropriate")
        );
        assert_eq!(gc.top_override_reasons[1].display, "(no coded reason)");
        // Per day, all services together.
        let d2 = r
            .daily
            .iter()
            .find(|p| {
                p.rule == "gc-dose" && p.day == NaiveDate::from_ymd_opt(2026, 11, 24).unwrap()
            })
            .unwrap();
        assert_eq!(
            (d2.counts.shown, d2.counts.accepted, d2.counts.overridden),
            (4, 2, 1)
        );
        assert_eq!(r.since, NaiveDate::from_ymd_opt(2026, 11, 20));
        assert_eq!(r.unmatched_feedback, 3);
    }

    #[test]
    fn the_page_escapes_and_draws_one_plot_per_rule() {
        let html = sample().to_html();
        assert_eq!(html.matches("<svg class=\"rule-plot\"").count(), 2);
        assert!(html.contains("mtx&lt;&amp;&gt;"));
        assert!(!html.contains("mtx<&>"));
        assert!(!html.contains("<script"));
        // mtx: none of 5 accepted on 2026-11-24.
        assert!(html.contains("data-day=\"2026-11-24\" data-rate=\"0\""));
        // gc-dose (sign): shown 6, accepted 3, overridden 2, held back 3.
        assert!(
            html.contains("<td>6</td><td>3</td><td>2</td><td>3</td>"),
            "{html}"
        );
        let text = sample().to_text();
        assert!(text.contains("27.3%"), "{text}");
        let gc_line = text
            .lines()
            .find(|l| l.starts_with("gc-dose") && l.ends_with("sign"))
            .unwrap();
        let figures: Vec<&str> = gc_line.split_whitespace().take(5).collect();
        assert_eq!(figures, ["gc-dose", "6", "3", "2", "3"], "{text}");
        assert!(text.contains("feedback for unknown cards: 3"));
    }

    proptest::proptest! {
        /// The day a card is counted on (Unix ms integer-divided by a day, as
        /// the report's query does) is its UTC date, and `--since DATE`
        /// starts exactly at that date's midnight.
        #[test]
        fn days_are_utc_dates(ms in 0i64..4_102_444_800_000) {
            let date = DateTime::from_timestamp_millis(ms).unwrap().date_naive();
            proptest::prop_assert_eq!(date_of_day(ms / DAY_MS), date);
            let start = day_start_ms(date);
            proptest::prop_assert!(start <= ms && ms < start + DAY_MS);
        }
    }

    /// Worked values: Wilson (1927) score interval, z = 1.96 (95 %), as
    /// tabulated by Newcombe (1998), table I: 81 of 263 → 0.2553–0.3662;
    /// 15 of 148 → 0.0624–0.1605; 0 of 20 → 0–0.1611; 1 of 29 → 0.0061–0.1718.
    #[test]
    fn the_override_interval_is_wilsons() {
        for (k, n, lo, hi) in [
            (81, 263, 0.2553, 0.3662),
            (15, 148, 0.0624, 0.1605),
            (0, 20, 0.0, 0.1611),
            (1, 29, 0.0061, 0.1718),
        ] {
            let [l, h] = wilson95(k, n).unwrap();
            assert!(
                (l - lo).abs() < 0.0002 && (h - hi).abs() < 0.0002,
                "{k}/{n}: {l}-{h}"
            );
        }
        assert_eq!(wilson95(0, 0), None);
    }

    #[test]
    fn a_rule_overridden_nine_times_in_ten_over_thirty_cards_is_noisy() {
        for (shown, overridden, noisy) in [
            (30, 27, true),
            (29, 29, false),
            (40, 35, false),
            (100, 90, true),
        ] {
            let r = Report::build(
                0,
                vec![row("sign", "r", 20_780, shown, 0, overridden)],
                vec![],
                vec![],
            );
            assert_eq!(r.rules[0].noisy, noisy, "{overridden}/{shown}");
            let html = r.to_html();
            assert!(html.contains(&format!("data-noisy=\"{noisy}\"")));
        }
    }

    #[test]
    fn weeks_start_on_monday_and_add_up_their_days() {
        // 2026-11-23 is a Monday (day 20_780); 20_786 is Sunday 2026-11-29.
        let r = Report::build(
            0,
            vec![
                row("sign", "r", 20_780, 4, 0, 1),
                row("select", "r", 20_786, 4, 0, 3),
                row("sign", "r", 20_787, 2, 0, 2),
            ],
            vec![],
            vec![],
        );
        let w: Vec<(String, i64, i64)> = r
            .weekly
            .iter()
            .map(|p| (p.week.to_string(), p.shown, p.overridden))
            .collect();
        assert_eq!(
            w,
            vec![("2026-11-23".into(), 8, 4), ("2026-11-30".into(), 2, 2)]
        );
        assert_eq!(r.weekly[0].override_rate, 0.5);
        let html = r.to_html();
        assert_eq!(html.matches("<svg class=\"week-plot\"").count(), 1);
        assert!(html.contains("data-week=\"2026-11-30\" data-rate=\"1\""));
    }

    proptest::proptest! {
        /// The interval holds the observed rate and stays within [0, 1].
        #[test]
        fn the_interval_holds_the_rate(n in 1i64..5_000, k in 0i64..5_000) {
            let k = k % (n + 1);
            let [lo, hi] = wilson95(k, n).unwrap();
            let p = k as f64 / n as f64;
            proptest::prop_assert!(0.0 <= lo && lo <= p + 1e-4 && p - 1e-4 <= hi && hi <= 1.0);
        }
    }

    #[test]
    fn suggestions_add_up_per_suggestion_and_per_kind() {
        let row = |rule: &str, suggestion: &str, offered, accepted| SuggestionRow {
            service: "sign".into(),
            rule: rule.into(),
            suggestion: suggestion.into(),
            offered,
            accepted,
        };
        let r = sample().with_suggestions(vec![
            // Two days of one suggestion: added up.
            row("mtx", "medication/methotrexate", 3, 1),
            row("mtx", "medication/methotrexate", 1, 1),
            row("mtx", "medication/folic-acid", 4, 0),
            row("src", "test/creatinine", 5, 4),
            // Accepted ids that were none of the card's suggestions.
            row("mtx", "", 0, 2),
        ]);
        let mtx: Vec<(&str, &str, i64, i64, Option<f64>)> = r
            .suggestions
            .iter()
            .map(|x| {
                (
                    x.suggestion.as_str(),
                    x.kind.as_str(),
                    x.offered,
                    x.accepted,
                    x.acceptance_rate,
                )
            })
            .collect();
        assert_eq!(
            mtx,
            vec![
                ("", "unknown", 0, 2, None),
                ("medication/folic-acid", "medication", 4, 0, Some(0.0)),
                ("medication/methotrexate", "medication", 4, 2, Some(0.5)),
                ("test/creatinine", "test", 5, 4, Some(0.8)),
            ]
        );
        let kinds: Vec<(&str, i64, i64)> = r
            .suggestion_kinds
            .iter()
            .map(|k| (k.kind.as_str(), k.offered, k.accepted))
            .collect();
        assert_eq!(
            kinds,
            vec![("medication", 8, 2), ("test", 5, 4), ("unknown", 0, 2)]
        );
        let html = r.to_html();
        assert!(html.contains(
            "<tr data-kind=\"medication\" data-service=\"sign\"><td>medication</td><td class=\"text\">sign</td><td>8</td><td>2</td><td>25.0%</td></tr>"
        ));
        assert!(html.contains("(not one of the card’s)"));
        let text = r.to_text();
        let line = text
            .lines()
            .find(|l| l.starts_with("test/creatinine"))
            .unwrap();
        let figures: Vec<&str> = line.split_whitespace().take(4).collect();
        assert_eq!(figures, ["test/creatinine", "5", "4", "80.0%"], "{text}");
        // Without any, the page says so.
        assert!(sample()
            .to_html()
            .contains("No suggestion offered in this window"));
    }

    #[test]
    fn an_empty_window_says_so() {
        let r = Report::build(0, vec![], vec![], vec![]);
        assert!(r.since.is_none());
        assert!(r.to_html().contains("No cards in this window"));
        assert_eq!(
            serde_json::to_value(&r).unwrap()["services"],
            serde_json::json!([])
        );
    }
}
