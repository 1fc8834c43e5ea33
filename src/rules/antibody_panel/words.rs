//! Words for the `antibody_panel` rule.

use crate::words::{Text, Words};
use crate::rules::antibody_panel::{Found, TESTS};

impl Words for Found {
    fn words(&self) -> Text {
        let names: Vec<&str> = TESTS.iter().map(|(name, _, _)| *name).collect();
        Text {
            summary: "SSc-myositis overlap: no anti-PM/Scl, U1-RNP, Ro, La or Sm result on file; order the panel"
                .into(),
            detail: format!(
                "**Myositis-associated antibodies.** In overlap, {} clarify the diagnosis. None is on file \
                 (by LOINC code or name); each test is offered as its own order.\n\n\
                 Source: guidance (special considerations for overlap syndrome); codes: LOINC.",
                names.join(", ")
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::words::{DETAIL_MAX_LINES, SUMMARY_MAX};

    #[test]
    fn names_every_test() {
        let t = Found.words();
        assert!(t.summary.chars().count() <= SUMMARY_MAX);
        assert!(t.detail.lines().filter(|l| !l.trim().is_empty()).count() <= DETAIL_MAX_LINES);
        for name in [
            "anti-PM/Scl",
            "anti-U1-RNP",
            "anti-Ro (SS-A)",
            "anti-La (SS-B)",
            "anti-Sm",
        ] {
            assert!(t.detail.contains(name), "{name}: {}", t.detail);
        }
    }
}
