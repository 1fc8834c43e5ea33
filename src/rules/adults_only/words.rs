//! Words for the adults-only card.

use crate::rules::adults_only::Found;
use crate::words::{amount, Text, Words};

impl Words for Found {
    fn words(&self) -> Text {
        let f = self;
        Text {
            summary: format!(
                "Age {}: this guidance is for adults; no dose advice given, safety checks still run",
                f.age
            ),
            detail: format!(
                "**The guidance is for adults** (from {} years). Juvenile dermatomyositis and paediatric \
                 systemic sclerosis are dosed differently, so no dose checks or suggestions are made. \
                 Checks that do not depend on age still run: weekly methotrexate, teratogens in pregnancy, \
                 thiopurine results and xanthine-oxidase inhibitors, trimethoprim-sulfamethoxazole with \
                 methotrexate, and absolute dose limits.\n\nSources: guidance (adult overlap); Bellutti \
                 Enders et al. 2017 (juvenile dermatomyositis).",
                amount(f.adult_age)
            ),
        }
    }
}

