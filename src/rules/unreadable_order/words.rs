//! Words for the `unreadable_order` rule.

use crate::words::{md, summary, Text, Words};
use crate::facts::UnreadableOrder;
use crate::rules::unreadable_order::Found;

/// Why one draft could not be read.
fn order(o: &UnreadableOrder) -> String {
    match o {
        UnreadableOrder::NoMedication { index, of } => format!(
            "draft order {index} of {of}: no medication could be read (no code, no name)"
        ),
        UnreadableOrder::Malformed {
            resource_type,
            error,
        } => format!("a {resource_type} draft could not be read ({error} error)"),
    }
}

impl Words for Found {
    fn words(&self) -> Text {
        let f = self;
        let n = f.orders.len();
        let lines: Vec<String> = f
            .orders
            .iter()
            .map(|o| format!("- {}", md(&order(o))))
            .collect();
        Text {
            summary: summary(format!(
                "{n} medication order{} could not be read: not checked for dose, frequency or interactions",
                if n == 1 { "" } else { "s" }
            )),
            detail: format!(
                "**Order not checked.** The order was sent in a form that could not be read, so none of the checks \
                 (dose, weekly methotrexate, renal crisis risk, pregnancy, interactions) ran for it:\n\n{}\n\n\
                 Check the order by hand, or re-enter it with a coded medication, dose and frequency.",
                lines.join("\n")
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::words::SUMMARY_MAX;

    #[test]
    fn words() {
        let one = Found {
            orders: vec![UnreadableOrder::Malformed {
                resource_type: "MedicationOrder".into(),
                error: "data",
            }],
        }.words();
        assert_eq!(
            one.summary,
            "1 medication order could not be read: not checked for dose, frequency or interactions"
        );
        assert!(one
            .detail
            .contains(r"- a MedicationOrder draft could not be read \(data error\)"));
        let two = Found {
            orders: vec![
                UnreadableOrder::NoMedication { index: 1, of: 2 },
                UnreadableOrder::Malformed {
                    resource_type: "*b*".into(),
                    error: "syntax",
                },
            ],
        }
        .words();
        assert!(two
            .summary
            .starts_with("2 medication orders could not be read"));
        assert!(two.summary.chars().count() <= SUMMARY_MAX);
        assert!(two.detail.contains(
            "- draft order 1 of 2: no medication could be read \\(no code, no name\\)"
        ));
        assert!(two
            .detail
            .contains(r"- a \*b\* draft could not be read \(syntax error\)"));
    }
}
