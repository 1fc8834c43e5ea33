//! How a medication is named on the card that used it: as sent, with a word
//! when it is not a plain active order (POLICY third edition, "Medications as
//! EHRs send them").

use crate::facts::{Med, SourceKind};

/// The word after a medication's name: "reported" for one the patient or
/// another prescriber reported, "on hold" for an order on hold.
pub fn standing(m: &Med) -> Option<&'static str> {
    if m.on_hold {
        Some("on hold")
    } else if m.source_kind == SourceKind::Reported {
        Some("reported")
    } else {
        None
    }
}

/// The name as sent, followed by its standing in brackets when it has one.
pub fn named(m: &Med) -> String {
    match standing(m) {
        Some(word) => format!("{} ({word})", m.name),
        None => m.name.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::test_support::prednisone;

    #[test]
    fn each_standing_in_words() {
        let mut m = prednisone(10.0);
        m.name = "predniSONE 5 MG Oral Tablet".into();
        assert_eq!(named(&m), "predniSONE 5 MG Oral Tablet");
        m.source_kind = SourceKind::Reported;
        assert_eq!(named(&m), "predniSONE 5 MG Oral Tablet (reported)");
        m.source_kind = SourceKind::Order;
        m.on_hold = true;
        assert_eq!(named(&m), "predniSONE 5 MG Oral Tablet (on hold)");
    }
}
