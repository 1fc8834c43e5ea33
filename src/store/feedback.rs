//! CDS Hooks 2.0 feedback: each item checked on its own against the
//! specification's rules, and no stricter:
//! - `card` a string; `outcome` `accepted` or `overridden`;
//! - `outcomeTimestamp` an RFC 3339 date-time;
//! - `accepted` carries `acceptedSuggestions` (each with an `id`);
//! - an `overrideReason` belongs to an `overridden` outcome and carries a
//!   `reason` (a Coding: `system` and `code`) or a `userComment`, or both.
//!
//! A card uuid we never issued is not an error: it is stored and reported as
//! unmatched. Override reasons are mapped to the non-adherence categories of
//! the CDS Hooks 3.0 ballot (AHRQ CDSiC override taxonomy, Boxwala et al.
//! 2025) where they fit.

use serde_json::Value;

/// The CDS Hooks 3.0 ballot code system of non-adherence reasons.
pub const NON_ADHERENCE: &str = "http://terminology.hl7.org/CodeSystem/non-adherence-reason-codes";

/// The six categories (top level of the code system).
pub const CATEGORIES: [&str; 6] = [
    "cds-not-applicable",
    "cds-suboptimal-context",
    "recipient-disagrees-evidence",
    "recipient-concerns-outcomes",
    "does-not-align-preferences",
    "not-convenient-feasible",
];

/// Specific ballot codes and their category.
const BALLOT_CODES: &[(&str, &str)] = &[
    ("patient-ineligible", "cds-not-applicable"),
    ("indication-order-exists", "cds-not-applicable"),
    ("action-completed", "cds-not-applicable"),
    ("action-unsuccessful", "cds-not-applicable"),
    ("action-performed-no-adverse-effect", "cds-not-applicable"),
    ("action-not-priority", "cds-not-applicable"),
    ("limited-time", "cds-suboptimal-context"),
    ("wrong-time-workflow", "cds-suboptimal-context"),
    ("inappropriate-recipient", "cds-suboptimal-context"),
    ("need-more-info", "cds-suboptimal-context"),
    (
        "does-not-align-latest-evidence",
        "recipient-disagrees-evidence",
    ),
    ("expert-contradicts", "recipient-disagrees-evidence"),
    ("policy-contradicts", "recipient-disagrees-evidence"),
    ("recipient-does-not-trust", "recipient-disagrees-evidence"),
    ("risk-benefit-ratio", "recipient-concerns-outcomes"),
    (
        "mitigate-risk-negative-outcome",
        "recipient-concerns-outcomes",
    ),
    (
        "likely-negative-health-outcomes",
        "recipient-concerns-outcomes",
    ),
    ("patient-contraindication", "recipient-concerns-outcomes"),
    ("patient-fears-discomfort", "does-not-align-preferences"),
    ("patient-does-not-want-change", "does-not-align-preferences"),
    ("cultural-religious-reason", "does-not-align-preferences"),
    ("prefers-alternative", "does-not-align-preferences"),
    ("patient-refuses", "does-not-align-preferences"),
    ("inadequate-support", "not-convenient-feasible"),
    ("service-not-available", "not-convenient-feasible"),
    ("implementation-challenges", "not-convenient-feasible"),
    ("too-costly-uncovered", "not-convenient-feasible"),
    ("recipient-does-not-understand", "not-convenient-feasible"),
    ("comorbidity-disability", "not-convenient-feasible"),
];

/// Our own override reasons (the cards' `overrideReasons`) and the ballot
/// category each falls in.
const OUR_CODES: &[(&str, &str)] = &[
    // The clinician judges the card not to apply to this patient.
    ("dose-appropriate", "cds-not-applicable"),
    ("therapy-recorded-elsewhere", "cds-not-applicable"),
    ("diagnosis-not-confirmed", "cds-not-applicable"),
    ("monitoring-in-place", "cds-not-applicable"),
    // The clinician weighs the risk and benefit differently.
    ("benefit-outweighs-risk", "recipient-concerns-outcomes"),
    // The patient's choice.
    ("patient-declined", "does-not-align-preferences"),
];

fn our_system() -> String {
    format!("{}/CodeSystem/override-reason", crate::cards::BASE)
}

/// Our own words for one of our override reason codes.
pub fn our_display(code: &str) -> Option<&'static str> {
    crate::clinical::OverrideReason::ALL
        .iter()
        .find(|r| r.code() == code)
        .map(|r| r.display())
}

/// The ballot category of an override reason coding, when it has one.
pub fn category_for(system: &str, code: &str) -> Option<&'static str> {
    if system == NON_ADHERENCE {
        if let Some(c) = category_code(code) {
            return Some(c);
        }
        return BALLOT_CODES
            .iter()
            .find(|(k, _)| *k == code)
            .map(|(_, c)| *c);
    }
    if system == our_system() {
        return OUR_CODES.iter().find(|(k, _)| *k == code).map(|(_, c)| *c);
    }
    None
}

/// `code` as one of the six category codes.
pub fn category_code(code: &str) -> Option<&'static str> {
    CATEGORIES.iter().find(|c| **c == code).copied()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Accepted,
    Overridden,
}

impl Outcome {
    pub fn parse(s: &str) -> Option<Outcome> {
        match s {
            "accepted" => Some(Outcome::Accepted),
            "overridden" => Some(Outcome::Overridden),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Accepted => "accepted",
            Outcome::Overridden => "overridden",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ReasonCoding {
    pub system: String,
    pub code: String,
    pub display: Option<String>,
}

/// One stored feedback item.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FeedbackRecord {
    pub service_id: String,
    pub card_uuid: String,
    pub outcome: Outcome,
    pub outcome_at_ms: i64,
    pub accepted_suggestions: Vec<String>,
    pub reason: Option<ReasonCoding>,
    pub category: Option<&'static str>,
    pub user_comment: Option<String>,
    pub received_at_ms: i64,
    /// The token issuer that sent it ('' without authentication): only the
    /// issuer a card was shown to may give feedback on it.
    pub issuer: String,
    /// The sender's tenant claim ('' when none).
    pub tenant: String,
}

/// Why one item, or the whole body, was refused: where and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub path: String,
    pub message: String,
}

/// The body checked: the good items, and a problem for each bad one.
#[derive(Debug, Default)]
pub struct Checked {
    pub items: Vec<FeedbackRecord>,
    /// Where each kept item stands in the body (`feedback[i]`).
    pub positions: Vec<usize>,
    pub problems: Vec<Problem>,
}

fn problem(path: String, message: &str) -> Problem {
    Problem {
        path,
        message: message.to_string(),
    }
}

/// Feedback items one call may carry: a client reports on the cards of one
/// hook call (a handful); more is refused whole.
pub const MAX_ITEMS: usize = 100;
/// Longest free text kept (a comment, a reason's display), in characters.
pub const MAX_TEXT_CHARS: usize = 2_000;
/// Longest identifier or code (card and suggestion uuids, reason system and
/// code), in characters.
pub const MAX_ID_CHARS: usize = 256;
/// Accepted suggestions one item may name.
pub const MAX_ACCEPTED: usize = 50;
/// Largest feedback body read, in bytes (a hook request may be far larger).
pub const MAX_BODY_BYTES: usize = 256 * 1024;

fn within(text: &str, limit: usize, path: String) -> Result<&str, Problem> {
    if text.chars().count() > limit {
        return Err(Problem {
            path,
            message: format!("longer than {limit} characters"),
        });
    }
    Ok(text)
}

/// Checks a feedback body. `Err`: the body as a whole is not a feedback
/// request; otherwise each item is kept or refused on its own.
pub fn check(body: &Value, service_id: &str, received_at_ms: i64) -> Result<Checked, Problem> {
    let list = body
        .as_object()
        .ok_or_else(|| problem("$".into(), "must be a JSON object"))?
        .get("feedback")
        .ok_or_else(|| problem("feedback".into(), "required"))?
        .as_array()
        .ok_or_else(|| problem("feedback".into(), "must be an array"))?;
    if list.is_empty() {
        return Err(problem("feedback".into(), "must not be empty"));
    }
    if list.len() > MAX_ITEMS {
        return Err(Problem {
            path: "feedback".into(),
            message: format!("at most {MAX_ITEMS} items per call, {} sent", list.len()),
        });
    }
    let mut checked = Checked::default();
    for (i, item) in list.iter().enumerate() {
        match check_item(item, &format!("feedback[{i}]"), service_id, received_at_ms) {
            Ok(r) => {
                checked.items.push(r);
                checked.positions.push(i);
            }
            Err(p) => checked.problems.push(p),
        }
    }
    Ok(checked)
}

fn string_member<'a>(o: &'a serde_json::Map<String, Value>, key: &str) -> Option<&'a str> {
    o.get(key).and_then(Value::as_str)
}

fn check_item(
    item: &Value,
    p: &str,
    service_id: &str,
    received_at_ms: i64,
) -> Result<FeedbackRecord, Problem> {
    let o = item
        .as_object()
        .ok_or_else(|| problem(p.into(), "must be an object"))?;
    let card = string_member(o, "card")
        .filter(|c| !c.trim().is_empty())
        .ok_or_else(|| problem(format!("{p}.card"), "required: the uuid of the card"))?;
    let card = within(card, MAX_ID_CHARS, format!("{p}.card"))?;
    let outcome = string_member(o, "outcome")
        .and_then(Outcome::parse)
        .ok_or_else(|| problem(format!("{p}.outcome"), "must be accepted or overridden"))?;
    let ts = string_member(o, "outcomeTimestamp")
        .ok_or_else(|| problem(format!("{p}.outcomeTimestamp"), "required"))?;
    let outcome_at = chrono::DateTime::parse_from_rfc3339(ts).map_err(|_| {
        problem(
            format!("{p}.outcomeTimestamp"),
            "must be an RFC 3339 date-time, e.g. 2026-11-24T10:00:00Z",
        )
    })?;
    let mut accepted = vec![];
    if let Some(list) = o.get("acceptedSuggestions") {
        let list = list
            .as_array()
            .ok_or_else(|| problem(format!("{p}.acceptedSuggestions"), "must be an array"))?;
        if list.len() > MAX_ACCEPTED {
            return Err(Problem {
                path: format!("{p}.acceptedSuggestions"),
                message: format!("at most {MAX_ACCEPTED} suggestions"),
            });
        }
        for (j, s) in list.iter().enumerate() {
            let id = s
                .get("id")
                .and_then(Value::as_str)
                .filter(|id| !id.trim().is_empty())
                .ok_or_else(|| {
                    problem(
                        format!("{p}.acceptedSuggestions[{j}].id"),
                        "required: the uuid of the suggestion",
                    )
                })?;
            let id = within(id, MAX_ID_CHARS, format!("{p}.acceptedSuggestions[{j}].id"))?;
            accepted.push(id.to_string());
        }
    }
    if outcome == Outcome::Accepted && accepted.is_empty() {
        return Err(problem(
            format!("{p}.acceptedSuggestions"),
            "required when the outcome is accepted",
        ));
    }
    let (mut reason, mut comment) = (None, None);
    if let Some(r) = o.get("overrideReason") {
        if outcome != Outcome::Overridden {
            return Err(problem(
                format!("{p}.overrideReason"),
                "only with the outcome overridden",
            ));
        }
        let r = r
            .as_object()
            .ok_or_else(|| problem(format!("{p}.overrideReason"), "must be an object"))?;
        if let Some(c) = r.get("reason") {
            let c = c.as_object();
            let system = c.and_then(|c| string_member(c, "system"));
            let code = c.and_then(|c| string_member(c, "code"));
            let (Some(system), Some(code)) = (system, code) else {
                return Err(problem(
                    format!("{p}.overrideReason.reason"),
                    "must be a Coding with system and code",
                ));
            };
            let path = format!("{p}.overrideReason.reason");
            let display = c
                .and_then(|c| string_member(c, "display"))
                .map(|d| within(d, MAX_TEXT_CHARS, format!("{path}.display")))
                .transpose()?;
            reason = Some(ReasonCoding {
                system: within(system, MAX_ID_CHARS, format!("{path}.system"))?.to_string(),
                code: within(code, MAX_ID_CHARS, format!("{path}.code"))?.to_string(),
                display: display.map(str::to_string),
            });
        }
        if let Some(u) = r.get("userComment") {
            comment = Some(
                u.as_str()
                    .ok_or_else(|| {
                        problem(
                            format!("{p}.overrideReason.userComment"),
                            "must be a string",
                        )
                    })
                    .and_then(|u| {
                        within(u, MAX_TEXT_CHARS, format!("{p}.overrideReason.userComment"))
                    })?
                    .to_string(),
            );
        }
        if reason.is_none() && comment.is_none() {
            return Err(problem(
                format!("{p}.overrideReason"),
                "must carry a reason, a userComment, or both",
            ));
        }
    }
    let category = reason
        .as_ref()
        .and_then(|r| category_for(&r.system, &r.code));
    Ok(FeedbackRecord {
        service_id: service_id.to_string(),
        card_uuid: card.to_string(),
        outcome,
        outcome_at_ms: outcome_at.timestamp_millis(),
        accepted_suggestions: accepted,
        reason,
        category,
        user_comment: comment,
        received_at_ms,
        issuer: String::new(),
        tenant: String::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const CARD: &str = "9368d37b-283f-44a0-93ea-547cebab93ec";

    fn one(item: Value) -> Result<FeedbackRecord, Problem> {
        let c = check(&json!({ "feedback": [item] }), "svc", 1).unwrap();
        match (c.items.into_iter().next(), c.problems.into_iter().next()) {
            (Some(r), None) => Ok(r),
            (None, Some(p)) => Err(p),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn valid_items_are_read_with_their_reason_and_category() {
        let r = one(json!({"card": CARD, "outcome": "overridden", "outcomeTimestamp": "2026-11-24T10:00:00+01:00",
            "overrideReason": {"reason": {"system": our_system(), "code": "patient-declined", "display": "Patient declined"},
                               "userComment": "prefers to wait"}}))
        .unwrap();
        assert_eq!(r.outcome, Outcome::Overridden);
        assert_eq!(r.outcome_at_ms, 1_795_510_800_000);
        assert_eq!(r.category, Some("does-not-align-preferences"));
        assert_eq!(r.user_comment.as_deref(), Some("prefers to wait"));
        let a = one(
            json!({"card": CARD, "outcome": "accepted", "outcomeTimestamp": "2026-11-24T10:00:00Z",
            "acceptedSuggestions": [{"id": "s1"}, {"id": "s2"}]}),
        )
        .unwrap();
        assert_eq!(a.accepted_suggestions, vec!["s1", "s2"]);
        // A comment alone is enough; a card we never issued is not refused here.
        assert!(one(json!({"card": "not-ours", "outcome": "overridden", "outcomeTimestamp": "2026-11-24T10:00:00Z",
            "overrideReason": {"userComment": "x"}})).is_ok());
        // No override reason at all is allowed.
        assert!(one(json!({"card": CARD, "outcome": "overridden", "outcomeTimestamp": "2026-11-24T10:00:00.123Z"})).is_ok());
    }

    #[test]
    fn each_rule_of_the_specification_refuses_its_item_with_the_path() {
        let cases = [
            (
                json!({"outcome": "overridden", "outcomeTimestamp": "2026-11-24T10:00:00Z"}),
                "feedback[0].card",
            ),
            (
                json!({"card": CARD, "outcome": "ignored", "outcomeTimestamp": "2026-11-24T10:00:00Z"}),
                "feedback[0].outcome",
            ),
            (
                json!({"card": CARD, "outcome": "overridden", "outcomeTimestamp": "yesterday"}),
                "feedback[0].outcomeTimestamp",
            ),
            (
                json!({"card": CARD, "outcome": "overridden", "outcomeTimestamp": "2026-11-24"}),
                "feedback[0].outcomeTimestamp",
            ),
            (
                json!({"card": CARD, "outcome": "overridden"}),
                "feedback[0].outcomeTimestamp",
            ),
            (
                json!({"card": CARD, "outcome": "accepted", "outcomeTimestamp": "2026-11-24T10:00:00Z"}),
                "feedback[0].acceptedSuggestions",
            ),
            (
                json!({"card": CARD, "outcome": "accepted", "outcomeTimestamp": "2026-11-24T10:00:00Z", "acceptedSuggestions": [{}]}),
                "feedback[0].acceptedSuggestions[0].id",
            ),
            (
                json!({"card": CARD, "outcome": "accepted", "outcomeTimestamp": "2026-11-24T10:00:00Z", "acceptedSuggestions": [{"id": "s"}],
                    "overrideReason": {"userComment": "x"}}),
                "feedback[0].overrideReason",
            ),
            (
                json!({"card": CARD, "outcome": "overridden", "outcomeTimestamp": "2026-11-24T10:00:00Z", "overrideReason": {}}),
                "feedback[0].overrideReason",
            ),
            (
                json!({"card": CARD, "outcome": "overridden", "outcomeTimestamp": "2026-11-24T10:00:00Z", "overrideReason": {"reason": {"code": "x"}}}),
                "feedback[0].overrideReason.reason",
            ),
        ];
        for (item, path) in cases {
            let p = one(item.clone()).unwrap_err();
            assert_eq!(p.path, path, "{item}");
        }
    }

    #[test]
    fn sizes_are_bounded() {
        let item = |comment: &str| {
            json!({"card": CARD, "outcome": "overridden", "outcomeTimestamp": "2026-11-24T10:00:00Z",
                   "overrideReason": {"userComment": comment}})
        };
        // (body, whole body refused, item refused, path)
        let long = "x".repeat(MAX_TEXT_CHARS + 1);
        let fine = "x".repeat(MAX_TEXT_CHARS);
        let cases: Vec<(Value, bool, bool, &str)> = vec![
            (json!({"feedback": [item(&fine)]}), false, false, ""),
            (
                json!({"feedback": [item(&long)]}),
                false,
                true,
                "feedback[0].overrideReason.userComment",
            ),
            (
                json!({"feedback": vec![item("ok"); MAX_ITEMS]}),
                false,
                false,
                "",
            ),
            (
                json!({"feedback": vec![item("ok"); MAX_ITEMS + 1]}),
                true,
                false,
                "feedback",
            ),
            (
                json!({"feedback": [{"card": "c".repeat(MAX_ID_CHARS + 1), "outcome": "overridden",
                    "outcomeTimestamp": "2026-11-24T10:00:00Z", "overrideReason": {"userComment": "x"}}]}),
                false,
                true,
                "feedback[0].card",
            ),
            (
                json!({"feedback": [{"card": CARD, "outcome": "overridden", "outcomeTimestamp": "2026-11-24T10:00:00Z",
                    "overrideReason": {"reason": {"system": "s", "code": "c", "display": long.clone()}}}]}),
                false,
                true,
                "feedback[0].overrideReason.reason.display",
            ),
            (
                json!({"feedback": [{"card": CARD, "outcome": "accepted", "outcomeTimestamp": "2026-11-24T10:00:00Z",
                    "acceptedSuggestions": vec![json!({"id": "s"}); MAX_ACCEPTED + 1]}]}),
                false,
                true,
                "feedback[0].acceptedSuggestions",
            ),
        ];
        for (body, whole, refused, path) in cases {
            match check(&body, "svc", 1) {
                Err(p) => {
                    assert!(whole, "{p:?}");
                    assert_eq!(p.path, path);
                }
                Ok(c) => {
                    assert!(!whole, "{path}");
                    assert_eq!(
                        c.problems.len(),
                        usize::from(refused),
                        "{path}: {:?}",
                        c.problems
                    );
                    if refused {
                        assert_eq!(c.problems[0].path, path);
                    }
                }
            }
        }
    }

    #[test]
    fn items_are_judged_one_by_one() {
        let c = check(
            &json!({"feedback": [
                {"card": CARD, "outcome": "overridden", "outcomeTimestamp": "2026-11-24T10:00:00Z"},
                {"card": CARD, "outcome": "maybe", "outcomeTimestamp": "2026-11-24T10:00:00Z"},
                {"card": "other", "outcome": "overridden", "outcomeTimestamp": "2026-11-24T11:00:00Z"}
            ]}),
            "svc",
            1,
        )
        .unwrap();
        assert_eq!(c.items.len(), 2);
        assert_eq!(c.problems.len(), 1);
        assert_eq!(c.problems[0].path, "feedback[1].outcome");
    }

    #[test]
    fn a_body_that_is_not_feedback_is_refused_whole() {
        for body in [
            json!({}),
            json!({"feedback": []}),
            json!({"feedback": {}}),
            json!([]),
        ] {
            assert!(check(&body, "svc", 1).is_err(), "{body}");
        }
    }

    proptest::proptest! {
        /// Any instant written as RFC 3339, at any offset and precision,
        /// is stored as that instant.
        #[test]
        fn rfc3339_timestamps_are_read_as_the_instant_they_name(
            secs in 0i64..4_102_444_800, // 1970 .. 2100
            millis in 0u32..1000,
            offset_min in -14 * 60i32..=14 * 60,
            with_fraction in proptest::bool::ANY,
        ) {
            let instant = chrono::DateTime::from_timestamp(secs, millis * 1_000_000).unwrap();
            let offset = chrono::FixedOffset::east_opt(offset_min * 60).unwrap();
            let local = instant.with_timezone(&offset);
            let text = if with_fraction {
                local.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
            } else {
                local.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            };
            let expected = if with_fraction { instant.timestamp_millis() } else { secs * 1000 };
            let r = one(json!({"card": CARD, "outcome": "overridden", "outcomeTimestamp": text})).unwrap();
            proptest::prop_assert_eq!(r.outcome_at_ms, expected);
        }

        /// Any other text is refused for its item, never a panic, and only
        /// texts chrono reads as RFC 3339 pass.
        #[test]
        fn arbitrary_timestamps_never_panic(text in ".{0,40}") {
            let r = one(json!({"card": CARD, "outcome": "overridden", "outcomeTimestamp": text}));
            proptest::prop_assert_eq!(r.is_ok(), chrono::DateTime::parse_from_rfc3339(&text).is_ok());
        }
    }

    #[test]
    fn every_override_reason_we_offer_has_a_category() {
        use crate::clinical::OverrideReason as R;
        for r in R::ALL {
            assert_eq!(our_display(r.code()), Some(r.display()));
            assert!(
                category_for(&our_system(), r.code()).is_some(),
                "{}",
                r.code()
            );
        }
        assert_eq!(
            category_for(NON_ADHERENCE, "limited-time"),
            Some("cds-suboptimal-context")
        );
        assert_eq!(
            category_for(NON_ADHERENCE, "cds-not-applicable"),
            Some("cds-not-applicable")
        );
        assert_eq!(
            category_for("http://example.org/local", "dose-appropriate"),
            None
        );
        assert_eq!(category_for(NON_ADHERENCE, "unknown"), None);
    }
}
