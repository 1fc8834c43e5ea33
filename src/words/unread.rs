//! Words for the records that were received but could not be read (POLICY
//! third edition, "Never silent"): one line per kind, folded into the card
//! that would have used them, with the record's own text escaped.

use super::md;
use crate::facts::{RecordKind, Unclassified, UnreadReason};

/// At most this many labels are quoted per line; the rest are counted.
const MAX_NAMED: usize = 3;

/// The lines for a card: "1 active medication could not be identified:
/// ‘Prednisone 5mg tab’".
pub fn lines(unread: &[Unclassified]) -> Vec<String> {
    let mut groups: Vec<((RecordKind, UnreadReason), Vec<&Unclassified>)> = vec![];
    for u in unread {
        let key = (u.kind, u.reason);
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, list)) => list.push(u),
            None => groups.push((key, vec![u])),
        }
    }
    groups.sort_by_key(|(k, _)| *k);
    groups
        .into_iter()
        .map(|((kind, reason), list)| line(kind, reason, &list))
        .collect()
}

/// A record's label, with the value it was sent with when its unit could
/// not be read ("Body weight 11 "stone", 2026-11-20").
fn shown(u: &Unclassified) -> Option<String> {
    let label = u.label.as_deref()?;
    Some(match &u.value {
        Some((value, unit, date)) => {
            let unit = if unit.is_empty() {
                "no unit".to_string()
            } else {
                format!("\"{unit}\"")
            };
            format!(
                "{label} {} {unit}, {}",
                crate::text::amount(*value),
                crate::text::date(*date)
            )
        }
        None => label.to_string(),
    })
}

fn line(kind: RecordKind, reason: UnreadReason, list: &[&Unclassified]) -> String {
    let n = list.len();
    let plural = |one: &str, many: &str| {
        if n == 1 {
            one.to_string()
        } else {
            many.to_string()
        }
    };
    let what = match (kind, reason) {
        (RecordKind::Medication, _) => format!(
            "{n} active {} could not be identified",
            plural("medication", "medications")
        ),
        (RecordKind::Condition, _) => format!(
            "{n} {} could not be classified",
            plural("diagnosis", "diagnoses")
        ),
        (RecordKind::Result, UnreadReason::UnknownUnit) => format!(
            "{n} {} not used: unit not recognised",
            plural("result", "results")
        ),
        (RecordKind::Result, _) => format!(
            "{n} {} could not be classified",
            plural("result", "results")
        ),
    };
    let labels: Vec<String> = list
        .iter()
        .filter_map(|u| shown(u))
        .filter(|l| !l.trim().is_empty())
        .collect();
    let named: Vec<String> = labels
        .iter()
        .take(MAX_NAMED)
        .map(|l| format!("‘{}’", md(l.trim())))
        .collect();
    let more = labels.len().saturating_sub(named.len());
    let mut s = format!("- {what}");
    if !named.is_empty() {
        s.push_str(": ");
        s.push_str(&named.join(", "));
        if more > 0 {
            s.push_str(&format!(" and {more} more"));
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::DataArea;

    fn u(kind: RecordKind, reason: UnreadReason, label: Option<&str>) -> Unclassified {
        Unclassified {
            kind,
            reason,
            area: Some(DataArea::Weight),
            label: label.map(str::to_string),
            value: None,
        }
    }

    #[test]
    fn unread_records_are_named_plainly() {
        let cases: Vec<(Vec<Unclassified>, Vec<&str>)> = vec![
            (
                vec![u(
                    RecordKind::Medication,
                    UnreadReason::UnresolvedReference,
                    Some("Prednisone 5mg tab"),
                )],
                vec!["- 1 active medication could not be identified: ‘Prednisone 5mg tab’"],
            ),
            (
                vec![
                    Unclassified {
                        value: Some((11.0, "stone".into(), chrono::NaiveDate::from_ymd_opt(2026, 11, 20))),
                        ..u(RecordKind::Result, UnreadReason::UnknownUnit, Some("Body weight"))
                    },
                    u(RecordKind::Condition, UnreadReason::UnknownCode, None),
                ],
                vec![
                    "- 1 diagnosis could not be classified",
                    "- 1 result not used: unit not recognised: ‘Body weight 11 \"stone\", 2026-11-20’",
                ],
            ),
            (
                vec![Unclassified {
                    value: Some((120.0, String::new(), None)),
                    ..u(RecordKind::Result, UnreadReason::UnknownUnit, Some("BP"))
                }],
                vec!["- 1 result not used: unit not recognised: ‘BP 120 no unit, date unknown’"],
            ),
            (
                (0..5)
                    .map(|i| u(RecordKind::Medication, UnreadReason::UnknownCode, Some(["a", "b", "c", "d", "e"][i])))
                    .collect(),
                vec!["- 5 active medications could not be identified: ‘a’, ‘b’, ‘c’ and 2 more"],
            ),
        ];
        for (list, want) in cases {
            assert_eq!(lines(&list), want);
        }
        // Record text is escaped: it cannot add Markdown to the card.
        let l = lines(&[u(
            RecordKind::Medication,
            UnreadReason::UnknownCode,
            Some("**x** [y](z)"),
        )]);
        assert!(!l[0].contains("**x**") && !l[0].contains("[y](z)"), "{l:?}");
    }
}
