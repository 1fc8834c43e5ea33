//! The rules: one folder per rule, each holding its decision (`mod.rs`: a
//! pure function of the patient facts and the policy, its source quoted at
//! the top), its words (`words.rs`), its guidance page (`guidance.md`) and its
//! worked cases (`cases.rs`). [`rules!`] below declares them all in one
//! place; `evaluate` (evaluate.rs) runs them.

#[cfg(test)]
pub(crate) mod test_support;

mod evaluate;
/// The monitoring orders the renal crisis rules offer.
pub mod monitoring_orders;

pub use evaluate::{evaluate, evaluate_all, Evaluation};

use crate::clinical::{Either, Outcome, Policy, Reads, Topic};
use crate::facts::{DataArea, Facts};
use crate::words::{Text, Words};

/// A rule that makes two kinds of card hands them on as they are.
impl<A: Into<What>, B: Into<What>> From<Either<A, B>> for What {
    fn from(e: Either<A, B>) -> What {
        match e {
            Either::Left(a) => a.into(),
            Either::Right(b) => b.into(),
        }
    }
}

/// A rule that makes no card of its own (its concerns go on another rule's).
impl From<std::convert::Infallible> for What {
    fn from(never: std::convert::Infallible) -> What {
        match never {}
    }
}

/// Builds the rules' text matchers, so that no request pays for them.
pub fn warm() {
    antibody_panel::warm();
    aza_order_check::warm();
    mmf_order_check::warm();
    renal_crisis_risk::warm();
    thiopurine::warm();
}

/// One declaration per rule: its variant, its folder (module) and the slug
/// of its guidance page; a rule whose concerns go on a card another module
/// shapes names that card (`on DrugCheck`). It generates the module
/// declarations, [`Rule`], [`Rule::ALL`], [`What`] (one variant per kind of
/// card: a rule's own `Found`, or one of the `cards` below) and every
/// dispatch. A rule's folder holds its decision (`mod.rs`: `evaluate`,
/// `TOPICS`, `SETTINGS`, its `Found` with the data areas it reads), its words
/// (`words.rs`: `Words for Found`), its guidance page (`guidance.md`) and
/// its worked cases (`cases.rs`).
///
/// A rule on a shared card has no `What` variant of its own: the
/// `#[cfg(any())]` below (never true) leaves its variant and arms out.
macro_rules! rules {
    (
        rules {
            $($variant:ident => $module:ident, $slug:literal $(on $card:ident)?;)*
        }
        cards {
            $($other:ident => $omodule:ident;)*
        }
    ) => {
        $(pub mod $module;)*
        $(pub mod $omodule;)*

        /// Every rule of the service, one folder each.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Rule {
            $($variant,)*
        }

        const COUNT: usize = [$(stringify!($variant)),*].len();

        /// What a finding says: one variant per kind of card, each holding
        /// that card's typed finding.
        #[derive(Debug, Clone, PartialEq)]
        pub enum What {
            $(
                $(#[cfg(any())] #[doc = stringify!($card)])?
                $variant($module::Found),
            )*
            $($other($omodule::Found),)*
        }

        impl Rule {
            pub const ALL: [Rule; COUNT] = [$(Rule::$variant,)*];

            /// The rule's findings, each on its kind of card.
            pub fn evaluate(self, facts: &Facts, policy: &Policy) -> Outcome<What> {
                match self {
                    $(Rule::$variant => $module::evaluate(facts, policy).map(What::from),)*
                }
            }

            /// The card topics the rule can produce.
            pub fn topics(self) -> &'static [Topic] {
                match self {
                    $(Rule::$variant => $module::TOPICS,)*
                }
            }

            /// The policy settings the rule's figures come from.
            pub fn settings(self) -> &'static [&'static str] {
                match self {
                    $(Rule::$variant => $module::SETTINGS,)*
                }
            }

            /// The last segment of its guidance page's URL.
            pub fn slug(self) -> &'static str {
                match self {
                    $(Rule::$variant => $slug,)*
                }
            }

            /// Its guidance page's words (Markdown, `# title` first).
            pub fn guidance(self) -> &'static str {
                match self {
                    $(Rule::$variant => include_str!(concat!(stringify!($module), "/guidance.md")),)*
                }
            }
        }

        $(
            $(#[cfg(any())] #[doc = stringify!($card)])?
            impl From<$module::Found> for What {
                fn from(f: $module::Found) -> What {
                    What::$variant(f)
                }
            }
        )*
        $(
            impl From<$omodule::Found> for What {
                fn from(f: $omodule::Found) -> What {
                    What::$other(f)
                }
            }
        )*

        impl What {
            /// Whether the card reads `area`: each kind of finding says
            /// so through its own `Reads`.
            pub fn reads(&self, area: DataArea) -> bool {
                match self {
                    $(
                        $(#[cfg(any())] #[doc = stringify!($card)])?
                        What::$variant(f) => f.reads(area),
                    )*
                    $(What::$other(f) => f.reads(area),)*
                }
            }
        }

        impl Words for What {
            fn words(&self) -> Text {
                match self {
                    $(
                        $(#[cfg(any())] #[doc = stringify!($card)])?
                        What::$variant(f) => f.words(),
                    )*
                    $(What::$other(f) => f.words(),)*
                }
            }
        }
    };
}

rules! {
    rules {
        RenalCrisisRisk => renal_crisis_risk, "renal-crisis-risk";
        SuspectedRenalCrisis => suspected_renal_crisis, "suspected-renal-crisis";
        BpMonitoring => bp_monitoring, "bp-monitoring";
        InitialDose => initial_dose, "initial-dose";
        IvMethylprednisolone => iv_methylprednisolone, "iv-methylprednisolone";
        SteroidSparing => steroid_sparing, "steroid-sparing";
        MtxOrderCheck => mtx_order_check, "mtx-order-check";
        Pregnancy => pregnancy, "pregnancy";
        Taper => taper, "taper";
        Intensify => intensify, "intensify";
        AzaOrderCheck => aza_order_check, "aza-order-check" on DrugCheck;
        IvigOrderCheck => ivig_order_check, "ivig-order-check";
        AntibodyPanel => antibody_panel, "antibody-panel";
        MtxContinuation => mtx_continuation, "mtx-continuation";
        Monitoring => monitoring, "monitoring";
        RouteNeeded => route_needed, "route-needed";
        UnreadableOrder => unreadable_order, "unreadable-order";
        GcCeiling => gc_ceiling, "gc-ceiling";
        Thiopurine => thiopurine, "thiopurine" on DrugCheck;
        MmfOrderCheck => mmf_order_check, "mmf-order-check" on DrugCheck;
        RtxOrderCheck => rtx_order_check, "rtx-order-check" on DrugCheck;
        CycOrderCheck => cyc_order_check, "cyc-order-check" on DrugCheck;
        MtxWatch => mtx_watch, "mtx-watch" on DrugCheck;
    }
    // The cards of no one rule: the order checks' shared card (its words
    // beside it), and the findings made outside the rules (figures a rule
    // needed, age).
    cards {
        DrugCheck => drug_check;
        AdultsOnly => adults_only;
        MissingData => missing_data;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topic_codes_are_unique() {
        let mut codes: Vec<&str> = Rule::ALL
            .iter()
            .flat_map(|r| r.topics())
            .map(|t| t.code)
            .collect();
        codes.push(missing_data::TOPIC.code);
        codes.push(adults_only::TOPIC.code);
        codes.push(missing_data::TOPIC_DOUBTFUL.code);
        let n = codes.len();
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), n);
    }

    #[test]
    fn every_policy_setting_belongs_to_a_rule() {
        for s in crate::clinical::policy::SETTINGS {
            assert!(
                Rule::ALL.iter().any(|r| r.settings().contains(&s.key))
                    || crate::clinical::policy::DATA_SETTINGS.contains(&s.key)
                    || crate::clinical::policy::MEMORY_SETTINGS.contains(&s.key)
                    || adults_only::SETTINGS.contains(&s.key),
                "{} is used by no rule",
                s.key
            );
        }
        for r in Rule::ALL {
            for key in r.settings() {
                assert!(
                    Policy::default().get(key).is_some(),
                    "{r:?} names unknown setting {key}"
                );
            }
        }
    }
}
