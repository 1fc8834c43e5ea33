//! Remembering what the clinician said (POLICY third edition): a card the
//! clinician overrode for this patient is held back on later calls while it
//! is unchanged, and says so when it returns.
//!
//! POLICY: "A card overridden for a patient (CDS Hooks feedback) is not
//! shown again to that patient for 30 days while its topic, indicator and
//! key figure are unchanged; it returns at once when its severity rises,
//! its key figure moves by ≥ 10 %, or the draft order differs. `critical` is
//! never held back."
//!
//! Unchanged here means the same topic, the same or a lower severity, the
//! same summary (which states the card's figures: any figure that moves, by
//! any amount, shows the card again, which is never later than the 10 %
//! the policy allows) and the same draft orders (a fingerprint of the
//! request's `draftOrders`). A pure function of the cards of this call and
//! the overrides the store holds; the store reads and writes them.

use chrono::{DateTime, NaiveDate};

use crate::cards::indicator_named;
use crate::cds::Card;
use crate::clinical::Indicator;

/// A card overridden for this patient, as the store keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Overridden {
    pub card_uuid: String,
    pub rule_code: String,
    pub indicator: String,
    pub summary: String,
    pub drafts_key: String,
    /// When the service received the override (Unix ms, its own clock).
    pub at_ms: i64,
}

/// A card shown to this patient a few minutes ago (within the re-send
/// window), as the store keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recent {
    pub rule_code: String,
    pub indicator: String,
    pub summary: String,
    pub drafts_key: String,
}

/// What the store holds for this patient: the overrides within the hold
/// period and the cards shown within the re-send window.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Memory {
    pub overrides: Vec<Overridden>,
    pub recent: Vec<Recent>,
}

/// The cards of a call, sorted.
#[derive(Debug, Default)]
pub struct Applied {
    /// Sent (a returning one with its line added to the detail).
    pub shown: Vec<Card>,
    /// Of those, the uuids of cards sent unchanged a few minutes ago for
    /// the same draft orders (an EHR re-sending order-select at each edit):
    /// the report counts them once.
    pub resent: Vec<String>,
    /// Held back, each with the override it follows.
    pub held: Vec<(Card, String)>,
}

/// Why an overridden card is shown again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Changed {
    /// A critical card is never held back.
    Critical,
    /// Its severity rose.
    Severity { from: String },
    /// The draft orders differ; and the summary then, when the card's
    /// figures moved with them.
    Orders { figures_then: Option<String> },
    /// Its figures moved: the summary then.
    Figures { then: String },
}

/// What becomes of one card of this call.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Verdict {
    /// Never overridden (within the period): shown as it is.
    Show,
    /// Overridden before and changed since: shown, saying so.
    Again {
        on: Option<NaiveDate>,
        changed: Changed,
    },
    /// Overridden and unchanged: held back; the override it follows.
    Hold { follows: String },
}

/// The verdict on one card. Held back when an override of its topic
/// matches it unchanged (several cards of one topic, one per order, each
/// follow their own); otherwise, when its topic was overridden, shown with
/// what changed since the latest override.
fn verdict(card: &Card, drafts_key: &str, overrides: &[Overridden]) -> Verdict {
    let of_topic = || {
        overrides
            .iter()
            .filter(|o| o.rule_code == card.source.topic.code)
    };
    let Some(last) = of_topic().max_by_key(|o| o.at_ms) else {
        return Verdict::Show;
    };
    let now = indicator_named(card.indicator);
    // An unreadable stored severity counts as lower: the card is shown.
    let rose = |o: &Overridden| now > indicator_named(&o.indicator);
    if now != Some(Indicator::Critical) {
        let same = of_topic()
            .filter(|o| !rose(o) && o.drafts_key == drafts_key && o.summary == card.summary)
            .max_by_key(|o| o.at_ms);
        if let Some(same) = same {
            return Verdict::Hold {
                follows: same.card_uuid.clone(),
            };
        }
    }
    let on = DateTime::from_timestamp_millis(last.at_ms).map(|t| t.date_naive());
    let changed = if now == Some(Indicator::Critical) {
        Changed::Critical
    } else if rose(last) {
        Changed::Severity {
            from: last.indicator.clone(),
        }
    } else if drafts_key != last.drafts_key {
        Changed::Orders {
            figures_then: (last.summary != card.summary).then(|| last.summary.clone()),
        }
    } else {
        Changed::Figures {
            then: last.summary.clone(),
        }
    };
    Verdict::Again { on, changed }
}

/// Whether a card was shown, unchanged, for the same draft orders within
/// the re-send window.
fn resent(card: &Card, drafts_key: &str, recent: &[Recent]) -> bool {
    recent.iter().any(|r| {
        r.rule_code == card.source.topic.code
            && r.indicator == card.indicator
            && r.summary == card.summary
            && r.drafts_key == drafts_key
    })
}

/// The cards of a call sorted by what becomes of them.
pub fn apply(cards: Vec<Card>, drafts_key: &str, memory: &Memory) -> Applied {
    let mut out = Applied::default();
    for mut card in cards {
        match verdict(&card, drafts_key, &memory.overrides) {
            Verdict::Show => {}
            Verdict::Again { on, changed } => {
                card.detail.push_str("\n\n");
                card.detail.push_str(&overridden_before(on, &changed));
            }
            Verdict::Hold { follows } => {
                out.held.push((card, follows));
                continue;
            }
        }
        if resent(&card, drafts_key, &memory.recent) {
            out.resent.push(card.uuid.clone());
        }
        out.shown.push(card);
    }
    out
}

/// The line a card overridden before carries when it returns (POLICY third
/// edition, "Remembering what the clinician said"), in italics.
fn overridden_before(on: Option<NaiveDate>, changed: &Changed) -> String {
    let why = match changed {
        Changed::Critical => "critical cards are never held back".to_string(),
        Changed::Severity { from } => {
            format!("its severity rose (then: {})", crate::words::md(from))
        }
        Changed::Orders { figures_then: None } => "the draft orders changed".to_string(),
        Changed::Orders {
            figures_then: Some(then),
        } => format!(
            "the draft orders changed, and its figures with them (then: {})",
            crate::words::md(then)
        ),
        Changed::Figures { then } => {
            format!("its figures changed (then: {})", crate::words::md(then))
        }
    };
    format!(
        "*Overridden for this patient on {}; shown again because {why}.*",
        crate::words::date(on)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cds::{Coding, Source};

    fn card(code: &str, indicator: &'static str, summary: &str) -> Card {
        Card {
            uuid: "c-now".into(),
            summary: summary.into(),
            detail: "Detail.".into(),
            indicator,
            source: Source {
                label: "x".into(),
                url: None,
                topic: Coding {
                    system: "s".into(),
                    code: code.into(),
                    display: "d".into(),
                },
            },
            suggestions: vec![],
            selection_behavior: None,
            override_reasons: vec![],
            links: vec![],
        }
    }

    fn overridden(
        code: &str,
        indicator: &str,
        summary: &str,
        drafts: &str,
        at_ms: i64,
    ) -> Overridden {
        Overridden {
            card_uuid: format!("c-{at_ms}"),
            rule_code: code.into(),
            indicator: indicator.into(),
            summary: summary.into(),
            drafts_key: drafts.into(),
            at_ms,
        }
    }

    #[test]
    fn verdicts() {
        // 2026-12-01 00:00 UTC.
        let day = 1_796_083_200_000;
        let on = NaiveDate::from_ymd_opt(2026, 12, 1);
        let prior = vec![
            overridden("gc-src", "warning", "Prednisone 60 mg/day", "d1", day),
            // An older override of the same topic: the latest counts.
            overridden(
                "gc-src",
                "info",
                "Prednisone 40 mg/day",
                "d0",
                day - 86_400_000,
            ),
        ];
        let again = |changed| Verdict::Again { on, changed };
        // (card, drafts key, verdict)
        let cases = [
            // Unchanged: held back, following the latest override.
            (
                card("gc-src", "warning", "Prednisone 60 mg/day"),
                "d1",
                Verdict::Hold {
                    follows: format!("c-{day}"),
                },
            ),
            // Lower severity with the same words cannot happen; a lower one
            // with other figures is shown, saying so.
            (
                card("gc-src", "info", "Prednisone 20 mg/day"),
                "d1",
                again(Changed::Figures {
                    then: "Prednisone 60 mg/day".into(),
                }),
            ),
            // Severity rose.
            (
                card("gc-src", "critical", "Prednisone 60 mg/day"),
                "d1",
                again(Changed::Critical),
            ),
            // The draft orders differ.
            (
                card("gc-src", "warning", "Prednisone 60 mg/day"),
                "d2",
                again(Changed::Orders { figures_then: None }),
            ),
            // The draft orders differ and the figures moved with them.
            (
                card("gc-src", "warning", "Prednisone 50 mg/day"),
                "d2",
                again(Changed::Orders {
                    figures_then: Some("Prednisone 60 mg/day".into()),
                }),
            ),
            // The older override matches this card unchanged (two cards of
            // one topic, each overridden): held back, following that one.
            (
                card("gc-src", "info", "Prednisone 40 mg/day"),
                "d0",
                Verdict::Hold {
                    follows: format!("c-{}", day - 86_400_000),
                },
            ),
            // The same words at a higher severity than the override they
            // match: not held; what changed is told against the latest
            // override (other draft orders).
            (
                card("gc-src", "warning", "Prednisone 40 mg/day"),
                "d0",
                again(Changed::Orders {
                    figures_then: Some("Prednisone 60 mg/day".into()),
                }),
            ),
            // Another topic was never overridden.
            (
                card("mtx-daily", "warning", "Methotrexate"),
                "d1",
                Verdict::Show,
            ),
        ];
        for (c, drafts, want) in cases {
            assert_eq!(verdict(&c, drafts, &prior), want, "{} {drafts}", c.summary);
        }
        // A warning after an overridden info card: its severity rose.
        let info = vec![overridden(
            "gc-src",
            "info",
            "Prednisone 60 mg/day",
            "d1",
            day,
        )];
        assert_eq!(
            verdict(
                &card("gc-src", "warning", "Prednisone 60 mg/day"),
                "d1",
                &info
            ),
            again(Changed::Severity {
                from: "info".into()
            })
        );
        // No override on record: shown.
        assert_eq!(
            verdict(&card("gc-src", "warning", "x"), "d1", &[]),
            Verdict::Show
        );
    }

    #[test]
    fn apply_holds_back_and_annotates() {
        let day = 1_796_083_200_000;
        let prior = vec![
            overridden("a", "warning", "A", "d", day),
            overridden("b", "warning", "B then", "d", day),
        ];
        let recent = vec![Recent {
            rule_code: "c".into(),
            indicator: "info".into(),
            summary: "C".into(),
            drafts_key: "d".into(),
        }];
        let mut c = card("c", "info", "C");
        c.uuid = "c-uuid".into();
        let Applied {
            shown,
            resent,
            held,
        } = apply(
            vec![card("a", "warning", "A"), card("b", "warning", "B now"), c],
            "d",
            &Memory {
                overrides: prior,
                recent,
            },
        );
        // "c" was shown a few minutes ago, unchanged: a re-send.
        assert_eq!(resent, ["c-uuid"]);
        assert_eq!(held.len(), 1);
        assert_eq!(
            (held[0].0.source.topic.code.as_str(), held[0].1.as_str()),
            ("a", "c-1796083200000")
        );
        let codes: Vec<&str> = shown.iter().map(|c| c.source.topic.code.as_str()).collect();
        assert_eq!(codes, ["b", "c"]);
        assert_eq!(
            shown[0].detail,
            "Detail.\n\n*Overridden for this patient on 2026-12-01; shown again because its figures \
             changed (then: B then).*"
        );
        assert_eq!(shown[1].detail, "Detail.");
    }
}
