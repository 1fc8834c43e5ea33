//! Words for the order checks that fold every concern about one order into
//! one card (`drug_check`): azathioprine (thiopurine safety with the mg/kg
//! dose), mycophenolate, rituximab, cyclophosphamide, IVIG above its absolute
//! limit, and methotrexate already active.
//!
//! The summary is the worst concern's (with how many other warnings the
//! detail holds); the detail has one line per concern, the body-size inputs
//! once, and the sources in one line.

use crate::clinical::body::{DosingWeight, WeightUsed};
use crate::clinical::pretreatment::LineKind;
use crate::clinical::Indicator;
use crate::facts::Sex;
use crate::rules::drug_check::{
    Basis, Card, Found, GeneResult, Kind, Limit, Per, Share, Substance,
};
use crate::words::{amount, date, fig, md, reading, summary, weight_line, Text, Words};

impl Words for Found {
    fn words(&self) -> Text {
        let f = self;
        let mut lines = vec![format!("**{}.** {}.", title(f.card), md(&f.order))];
        let mut reminders = Vec::new();
        for c in &f.concerns {
            match &c.kind {
                // Reminders before the first dose share one line.
                Kind::Pretreatment(l) if c.indicator == Indicator::Info => {
                    reminders.push(crate::words::pretreatment::line(l));
                }
                k => lines.push(format!("- {}", line(k))),
            }
        }
        if !reminders.is_empty() {
            lines.push(format!("- Reminders: {}", reminders.join(" ")));
        }
        match &f.basis {
            Some(Basis::DosingWeight { weight, dosing }) => {
                lines.extend(dosing_weight_lines(weight, dosing));
            }
            Some(Basis::Bsa {
                weight,
                height,
                bsa,
            }) => {
                lines.push(weight_line(weight));
                lines.push(format!(
                    "- Height used: {}; BSA (Mosteller) **{} m²**",
                    reading(height, "cm"),
                    fig(*bsa)
                ));
            }
            None => {}
        }
        lines.push(format!("Sources: {}.", sources(f).join("; ")));
        Text {
            summary: card_summary(f),
            detail: lines.join("\n"),
        }
    }
}

/// The worst concern's summary, with how many other warnings or critical
/// concerns the card holds.
fn card_summary(f: &Found) -> String {
    let Some(worst) = f.concerns.first() else {
        return format!("{}: {}", title(f.card), md(&f.order));
    };
    let head = concern_summary(&worst.kind);
    let more = f.concerns[1..]
        .iter()
        .filter(|c| c.indicator >= Indicator::Warning)
        .count();
    let s = match more {
        0 => head,
        1 => format!("{head} (+1 more concern)"),
        n => format!("{head} (+{n} more concerns)"),
    };
    summary(s)
}

/// BSR 2017 DMARD guideline: mycophenolate doses, blood count and ALT.
const BSR: &str = "Ledingham et al. 2017 (BSR)";

fn title(card: Card) -> &'static str {
    match card {
        Card::Azathioprine => "Azathioprine order",
        Card::Mycophenolate => "Mycophenolate order",
        Card::Rituximab => "Rituximab order",
        Card::Cyclophosphamide => "Cyclophosphamide order",
        Card::Ivig => "IVIG dose",
        Card::ActiveMethotrexate => "Active methotrexate",
    }
}

/// The sources of what the card states, each once, in the order stated.
fn sources(f: &Found) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    let mut add = |s: &'static str| {
        if !out.contains(&s) {
            out.push(s);
        }
    };
    match f.card {
        Card::Mycophenolate => {
            add("mycophenolate label");
            add(BSR);
        }
        Card::Rituximab => add("guidance (rituximab 1000 mg × 2)"),
        Card::Cyclophosphamide => add("guidance (cyclophosphamide for severe ILD)"),
        Card::Ivig => add("guidance (IVIG 1–2 g/kg over 2 days)"),
        Card::Azathioprine | Card::ActiveMethotrexate => {}
    }
    for c in &f.concerns {
        match &c.kind {
            Kind::AboveLimit(_) => add("absolute limits: service policy"),
            Kind::Pretreatment(l) => match l.kind {
                LineKind::HbvPositive | LineKind::HbvNotOnFile => {
                    add("Terrault et al. 2018 (hepatitis B)")
                }
                LineKind::PregnancyTest => add("Sammaritano et al. 2020 (pregnancy)"),
                LineKind::CountLow
                | LineKind::AltHigh
                | LineKind::AltHighCkUnknown
                | LineKind::LabsNotRecent => add(BSR),
            },
            Kind::PoorMetaboliser(_)
            | Kind::IntermediateMetaboliser { .. }
            | Kind::UnreadableMetaboliser(_) => add("CPIC (Relling et al. 2019; 2024 update)"),
            Kind::Febuxostat { .. } | Kind::Allopurinol { .. } => {
                add("azathioprine label (xanthine-oxidase inhibitors)")
            }
            Kind::Aza(a) => add(crate::rules::aza_order_check::words::source(a)),
            Kind::RituximabRegimen { .. } => add("Oddis et al. 2013 (375 mg/m²)"),
            Kind::CyclophosphamideRenal { .. } => {
                add("Kowal-Bielecka et al. 2017; cyclophosphamide label (renal impairment)")
            }
            Kind::MethotrexatePregnant { .. } | Kind::MethotrexateBreastfeeding { .. } => {
                add("Sammaritano et al. 2020 (ACR reproductive health)")
            }
            Kind::MethotrexateRenal { .. } => add("Saag et al. 2008 (ACR)"),
            Kind::TmpSmx { .. } => add("Bourré-Tessier & Haraoui 2010"),
        }
    }
    match &f.basis {
        Some(Basis::DosingWeight { .. }) => add("Devine 1974 (ideal body weight)"),
        Some(Basis::Bsa { .. }) => add("Mosteller 1987 (BSA)"),
        None => {}
    }
    out
}

fn substance(s: Substance) -> &'static str {
    match s {
        Substance::Azathioprine => "Azathioprine",
        Substance::MycophenolateMofetil => "Mycophenolate mofetil",
        Substance::MycophenolicAcid => "Mycophenolic acid",
        Substance::Rituximab => "Rituximab",
        Substance::Cyclophosphamide => "Cyclophosphamide",
        Substance::Ivig => "IVIG",
    }
}

/// "Azathioprine 325 mg/day" and "300 mg/day": the amount and the limit,
/// each in the substance's own unit and basis.
fn limit_terms(l: &Limit) -> (String, String) {
    let unit = if l.substance == Substance::Ivig {
        "g"
    } else {
        "mg"
    };
    let (what, per_limit) = match l.per {
        Per::Day => ("/day".to_string(), "/day"),
        Per::DoseFrequencyUnknown => (" per dose (frequency unknown)".into(), "/day"),
        Per::Dose => (" per dose".into(), " per dose"),
        Per::Course { .. } => (" per course".into(), " per course"),
        Per::DoseCourseUnknown => (" per dose (course not stated)".into(), " per course"),
    };
    (
        format!(
            "{} {} {unit}{what}",
            substance(l.substance),
            amount(l.amount)
        ),
        format!("{} {unit}{per_limit}", amount(l.limit)),
    )
}

/// Mycophenolic acid 720 mg = mycophenolate mofetil 1,000 mg.
const MPA_MG_PER_MMF_MG: f64 = 0.72;

/// The summary of one concern, should it be the card's worst.
pub fn concern_summary(k: &Kind) -> String {
    match k {
        Kind::AboveLimit(l) => {
            let (what, limit) = limit_terms(l);
            if l.slip {
                format!(
                    "{what} is ≥ {}× the {limit} limit: check the unit and dose",
                    amount(l.slip_factor)
                )
            } else {
                format!("{what} is above the {limit} limit: lower the dose")
            }
        }
        Kind::Pretreatment(l) => {
            let d = l.drug.name();
            match l.kind {
                LineKind::HbvPositive => {
                    format!("Hepatitis B known: reactivation with {d}: antiviral prophylaxis, hepatology")
                }
                LineKind::CountLow => format!("Low blood count: do not start {d} yet"),
                LineKind::AltHigh => format!("ALT above 3× the upper limit: do not start {d} yet"),
                LineKind::HbvNotOnFile => format!("Before {d}: check hepatitis B"),
                LineKind::AltHighCkUnknown => format!("Before {d}: ALT high, check CK"),
                LineKind::LabsNotRecent => format!("Before {d}: check the blood count and ALT"),
                LineKind::PregnancyTest => format!("Before {d}: pregnancy test and contraception"),
            }
        }
        Kind::PoorMetaboliser(r) => format!(
            "{} poor metaboliser: avoid azathioprine; use a non-thiopurine agent",
            r.gene
        ),
        Kind::UnreadableMetaboliser(r) => format!(
            "{} result on file could not be read: review it before azathioprine",
            r.gene
        ),
        Kind::IntermediateMetaboliser {
            result,
            low_pct,
            high_pct,
            ..
        } => format!(
            "{} intermediate metaboliser: start azathioprine at {}–{} % of the usual dose",
            result.gene,
            amount(*low_pct),
            amount(*high_pct)
        ),
        Kind::Febuxostat { .. } => {
            "Febuxostat with azathioprine: contraindicated, avoid the combination".into()
        }
        Kind::Allopurinol {
            share,
            max_pct,
            reduced,
            ..
        } => match (share, reduced) {
            (Some(s), true) => format!(
                "Allopurinol with azathioprine {} mg/day ({} % of the usual dose): monitor the blood count closely",
                amount(s.per_day),
                fig(s.pct)
            ),
            (Some(s), false) => format!(
                "Allopurinol with azathioprine {} mg/day ({} % of the usual dose): cut to ≤ {} % or avoid",
                amount(s.per_day),
                fig(s.pct),
                amount(*max_pct)
            ),
            (None, _) => format!(
                "Allopurinol with azathioprine (share of the usual dose unknown): cut to ≤ {} % or avoid",
                amount(*max_pct)
            ),
        },
        Kind::Aza(a) => crate::rules::aza_order_check::words::summary_of(a),
        Kind::RituximabRegimen {
            mg,
            fixed_mg,
            mg_per_m2,
            bsa,
        } => format!(
            "Rituximab {} mg is neither {} mg nor {} mg/m²{}: confirm the regimen",
            amount(*mg),
            amount(*fixed_mg),
            amount(*mg_per_m2),
            bsa.map_or(String::new(), |b| format!(" ({} mg)", fig(mg_per_m2 * b)))
        ),
        Kind::CyclophosphamideRenal { renal, below } => format!(
            "{} (< {}): reduce the cyclophosphamide dose (specialist review)",
            crate::words::renal::figure(renal),
            amount(*below)
        ),
        Kind::MethotrexatePregnant { .. } => {
            "Pregnant on methotrexate: stop methotrexate now (teratogen); specialist review".into()
        }
        Kind::MethotrexateBreastfeeding { .. } => {
            "Breastfeeding on methotrexate: not compatible with breastfeeding".into()
        }
        Kind::MethotrexateRenal { renal, below } => format!(
            "Active methotrexate with {} (< {}): stop or hold (toxicity risk)",
            crate::words::renal::figure(renal),
            amount(*below)
        ),
        Kind::TmpSmx {
            ds_per_day,
            treatment,
            ..
        } => match (ds_per_day, treatment) {
            (Some(ds), true) => format!(
                "Trimethoprim-sulfamethoxazole at treatment dose ({} DS/day) with methotrexate: pancytopenia risk",
                fig(*ds)
            ),
            (Some(_), false) => {
                "Trimethoprim-sulfamethoxazole (prophylactic dose) with methotrexate: monitor CBC"
                    .into()
            }
            (None, _) => {
                "Trimethoprim-sulfamethoxazole with methotrexate: dose not read; monitor CBC".into()
            }
        },
    }
}

fn gene_result(r: &GeneResult) -> String {
    format!("{}: {}, {}", md(&r.label), md(&r.result), date(r.date))
}

fn share_terms(s: &Share) -> String {
    format!(
        "azathioprine {} mg/day = {} % of the usual {} mg/day ({} mg/kg dosing weight)",
        amount(s.per_day),
        fig(s.pct),
        fig(s.usual),
        amount(s.mg_per_kg)
    )
}

/// The detail line of one concern (without the list marker).
pub fn line(k: &Kind) -> String {
    match k {
        Kind::AboveLimit(l) => {
            let (what, limit) = limit_terms(l);
            let course = match l.per {
                Per::Course { per_dose, doses } => {
                    format!(" ({} g × {} doses)", amount(per_dose), amount(doses))
                }
                _ => String::new(),
            };
            let equivalent = if l.substance == Substance::MycophenolicAcid {
                format!(
                    " (mycophenolate mofetil {} mg/day)",
                    fig(l.limit / MPA_MG_PER_MMF_MG)
                )
            } else {
                String::new()
            };
            format!(
                "**{what}**{course}; absolute limit {limit}{equivalent}, a limit that needs no weight, to catch unit slips{}.",
                if l.slip {
                    format!(
                        "; at least {}× it: a dose in grams or µg where mg are meant?",
                        amount(l.slip_factor)
                    )
                } else {
                    String::new()
                }
            )
        }
        Kind::Pretreatment(l) => crate::words::pretreatment::line(l),
        Kind::PoorMetaboliser(r) => format!(
            "**{} poor metaboliser** ({}): life-threatening myelosuppression; use a non-thiopurine agent.",
            r.gene,
            gene_result(r)
        ),
        Kind::UnreadableMetaboliser(r) => format!(
            "**{} result on file could not be read** ({}): it may show a poor or intermediate \
             metaboliser. Review the report before azathioprine; nothing here assumes it is normal.",
            r.gene,
            gene_result(r)
        ),
        Kind::IntermediateMetaboliser {
            result,
            low_pct,
            high_pct,
            both,
        } => format!(
            "**{} intermediate metaboliser** ({}): start at {}–{} % of the usual dose{} and adjust to the blood count.",
            result.gene,
            gene_result(result),
            amount(*low_pct),
            amount(*high_pct),
            if *both { " (both genes intermediate)" } else { "" }
        ),
        Kind::Febuxostat { name } => format!(
            "**Febuxostat** ({}) blocks azathioprine's inactivation: contraindicated together.",
            md(name)
        ),
        Kind::Allopurinol {
            name,
            share,
            max_pct,
            reduced,
        } => {
            let how = share.as_ref().map_or_else(
                || "the share of the usual dose cannot be computed (dose, weight, height or sex not on file)".to_string(),
                share_terms,
            );
            if *reduced {
                format!(
                    "**Allopurinol** ({}): {how}; at most {} %: monitor the full blood count closely.",
                    md(name),
                    amount(*max_pct)
                )
            } else {
                format!(
                    "**Allopurinol** ({}): {how}; with allopurinol azathioprine must be cut to at most {} % of the usual dose, or avoided.",
                    md(name),
                    amount(*max_pct)
                )
            }
        }
        Kind::Aza(a) => crate::rules::aza_order_check::words::line(a),
        Kind::RituximabRegimen {
            mg,
            fixed_mg,
            mg_per_m2,
            bsa,
        } => format!(
            "Rituximab **{} mg** per dose{}: the regimens in use are {} mg × 2, two weeks apart, or {} mg/m² weekly{}.",
            amount(*mg),
            bsa.map_or_else(
                || " (no BSA: weight or height not on file)".to_string(),
                |b| format!(" = {} mg/m²", fig(mg / b))
            ),
            amount(*fixed_mg),
            amount(*mg_per_m2),
            bsa.map_or(String::new(), |b| format!(" ({} mg here)", fig(mg_per_m2 * b)))
        ),
        Kind::CyclophosphamideRenal { renal, below } => format!(
            "**{}**, below {}: cyclophosphamide metabolites accumulate; reduce the dose.",
            md(&crate::words::renal::describe(renal)),
            amount(*below)
        ),
        Kind::MethotrexatePregnant { evidence } => format!(
            "**Pregnancy**: {evidence}. Methotrexate is contraindicated in pregnancy: stop it and review urgently (folic acid 5 mg daily)."
        ),
        Kind::MethotrexateBreastfeeding { evidence } => format!(
            "**Breastfeeding**: {evidence}. Methotrexate is not compatible with breastfeeding."
        ),
        Kind::MethotrexateRenal { renal, below } => format!(
            "**{}**, below {}: methotrexate accumulates; hold it and review.",
            md(&crate::words::renal::describe(renal)),
            amount(*below)
        ),
        Kind::TmpSmx {
            name,
            ds_per_day,
            treatment_ds,
            treatment,
        } => match (ds_per_day, treatment) {
            (Some(ds), true) => format!(
                "**{}**: {} double-strength tablets a day (treatment dose, ≥ {}) with active methotrexate: \
                 severe pancytopenia; hold methotrexate or choose another antibiotic.",
                md(name),
                fig(*ds),
                amount(*treatment_ds)
            ),
            (Some(ds), false) => format!(
                "**{}**: {} double-strength tablets a day (prophylactic dose) with active methotrexate: monitor the full blood count.",
                md(name),
                fig(*ds)
            ),
            (None, _) => format!(
                "**{}**: the dose could not be read; at ≥ {} double-strength tablets a day it is a treatment dose and \
                 must not be given with methotrexate; at a prophylactic dose monitor the full blood count.",
                md(name),
                amount(*treatment_ds)
            ),
        },
    }
}

/// The two lines of a dosing weight: the weight used, then the ideal body
/// weight (Devine) and the dosing and adjusted body weights.
pub fn dosing_weight_lines(weight: &WeightUsed, dw: &DosingWeight) -> Vec<String> {
    let inches = dw.height.value / 2.54;
    let (base, sex) = match dw.sex {
        Sex::Male => (50.0, "male"),
        Sex::Female => (45.5, "female"),
    };
    let method = if inches < 60.0 {
        format!(
            "Devine, extrapolated below 60 in: {} in, {} − 2.3 × {} = {} kg; a floor at 60 in would give {} kg",
            fig(inches),
            amount(base),
            fig(60.0 - inches),
            fig(dw.ibw),
            amount(base)
        )
    } else {
        format!(
            "Devine: {} + 2.3 × ({} − 60 in) = {} kg",
            amount(base),
            fig(inches),
            fig(dw.ibw)
        )
    };
    vec![
        weight_line(weight),
        format!(
            "- Ideal body weight ({method}; {sex}, height {}); dosing weight = ideal, or actual if lower: **{} kg**; adjusted body weight {} kg",
            reading(&dw.height, "cm"),
            fig(dw.dosing),
            fig(dw.adjusted)
        ),
    ]
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::rules::drug_check::Concern;

    pub(crate) fn weights() -> (WeightUsed, DosingWeight) {
        let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 1);
        let r = |v: f64, unit: &str| crate::facts::Reading {
            value: v,
            original_value: v,
            original_unit: unit.into(),
            date: day,
            source: "Observation/w1".into(),
            trust: crate::facts::Trust::Plausible,
        };
        let ibw = 50.0 + 2.3 * (180.0 / 2.54 - 60.0);
        (
            WeightUsed {
                reading: r(90.0, "kg"),
                stale_days: None,
                max_age_days: 90.0,
                future: vec![],
                disagrees: None,
                conflict_pct: 10.0,
            },
            DosingWeight {
                actual: 90.0,
                ibw,
                dosing: ibw,
                adjusted: ibw + 0.4 * (90.0 - ibw),
                height: r(180.0, "cm"),
                sex: Sex::Male,
            },
        )
    }

    fn found(card: Card, kinds: Vec<(Indicator, Kind)>, basis: Option<Basis>) -> Found {
        Found {
            card,
            order: "Azathioprine 50 MG Oral Tablet".into(),
            concerns: kinds.into_iter().map(|(i, k)| Concern::new(i, k)).collect(),
            basis,
        }
    }

    fn check(t: &Text) {
        crate::words::assert_plain(t, 0);
    }

    fn gene(gene: &'static str, result: &str) -> GeneResult {
        GeneResult {
            gene,
            label: "TPMT phenotype".into(),
            result: result.into(),
            date: chrono::NaiveDate::from_ymd_opt(2026, 1, 10),
        }
    }

    fn limit(substance: Substance, per: Per, amount: f64, limit: f64) -> Kind {
        Kind::AboveLimit(Limit {
            substance,
            per,
            amount,
            limit,
            slip_factor: 2.0,
            slip: amount >= 2.0 * limit,
        })
    }

    #[test]
    fn absolute_limits_in_the_drugs_own_unit() {
        let cases = [
            (
                limit(Substance::Azathioprine, Per::Day, 325.0, 300.0),
                "Azathioprine 325 mg/day is above the 300 mg/day limit: lower the dose",
            ),
            (
                limit(Substance::Azathioprine, Per::Day, 600.0, 300.0),
                "Azathioprine 600 mg/day is ≥ 2× the 300 mg/day limit: check the unit and dose",
            ),
            (
                limit(Substance::MycophenolicAcid, Per::Day, 2500.0, 2160.0),
                "Mycophenolic acid 2500 mg/day is above the 2160 mg/day limit: lower the dose",
            ),
            (
                limit(
                    Substance::MycophenolateMofetil,
                    Per::DoseFrequencyUnknown,
                    3500.0,
                    3000.0,
                ),
                "Mycophenolate mofetil 3500 mg per dose (frequency unknown) is above the 3000 mg/day limit: lower the dose",
            ),
            (
                limit(
                    Substance::Ivig,
                    Per::Course {
                        per_dose: 85.0,
                        doses: 2.0,
                    },
                    170.0,
                    160.0,
                ),
                "IVIG 170 g per course is above the 160 g per course limit: lower the dose",
            ),
            (
                limit(Substance::Cyclophosphamide, Per::Dose, 3000.0, 1500.0),
                "Cyclophosphamide 3000 mg per dose is ≥ 2× the 1500 mg per dose limit: check the unit and dose",
            ),
        ];
        for (k, want) in cases {
            let t = found(
                Card::Mycophenolate,
                vec![(Indicator::Warning, k)],
                None,
            ).words();
            assert_eq!(t.summary, want);
            check(&t);
        }
        let t = found(
            Card::Mycophenolate,
            vec![(
                Indicator::Warning,
                limit(Substance::MycophenolicAcid, Per::Day, 2500.0, 2160.0),
            )],
            None,
        ).words();
        assert!(
            t.detail.contains("(mycophenolate mofetil 3000 mg/day)"),
            "{}",
            t.detail
        );
        let t = found(
            Card::Ivig,
            vec![(
                Indicator::Warning,
                limit(
                    Substance::Ivig,
                    Per::Course {
                        per_dose: 85.0,
                        doses: 2.0,
                    },
                    170.0,
                    160.0,
                ),
            )],
            None,
        ).words();
        assert!(t.detail.contains("(85 g × 2 doses)"), "{}", t.detail);
    }

    #[test]
    fn every_concern_reads_within_the_budget() {
        let (weight, dosing) = weights();
        let renal = crate::facts::renal::RenalFunction::unknown();
        let share = Share {
            per_day: 37.0,
            usual: 150.0,
            mg_per_kg: 2.0,
            pct: 100.0 * 37.0 / 150.0,
        };
        let kinds = vec![
            Kind::PoorMetaboliser(gene("TPMT", "poor metabolizer")),
            Kind::IntermediateMetaboliser {
                result: gene("NUDT15", "intermediate metabolizer"),
                low_pct: 20.0,
                high_pct: 50.0,
                both: true,
            },
            Kind::Febuxostat {
                name: "febuxostat 40 MG Oral Tablet".into(),
            },
            Kind::Allopurinol {
                name: "allopurinol 300 MG".into(),
                share: Some(share.clone()),
                max_pct: 25.0,
                reduced: true,
            },
            Kind::Allopurinol {
                name: "allopurinol 300 MG".into(),
                share: None,
                max_pct: 25.0,
                reduced: false,
            },
            Kind::RituximabRegimen {
                mg: 720.0,
                fixed_mg: 1000.0,
                mg_per_m2: 375.0,
                bsa: Some(1.8184),
            },
            Kind::RituximabRegimen {
                mg: 720.0,
                fixed_mg: 1000.0,
                mg_per_m2: 375.0,
                bsa: None,
            },
            Kind::CyclophosphamideRenal {
                renal: renal.clone(),
                below: 30.0,
            },
            Kind::MethotrexatePregnant {
                evidence: crate::clinical::reproductive::Evidence {
                    record: crate::clinical::reproductive::Record::StatusPregnant,
                    date: chrono::NaiveDate::from_ymd_opt(2026, 11, 1),
                    doubt: None,
                },
            },
            Kind::MethotrexateBreastfeeding {
                evidence: crate::clinical::reproductive::Evidence {
                    record: crate::clinical::reproductive::Record::StatusPregnant,
                    date: chrono::NaiveDate::from_ymd_opt(2026, 11, 1),
                    doubt: None,
                },
            },
            Kind::MethotrexateRenal { renal, below: 30.0 },
            Kind::TmpSmx {
                name: "sulfamethoxazole 800 MG / trimethoprim 160 MG".into(),
                ds_per_day: Some(2.0),
                treatment_ds: 2.0,
                treatment: true,
            },
            Kind::TmpSmx {
                name: "co-trimoxazole".into(),
                ds_per_day: Some(1.0),
                treatment_ds: 2.0,
                treatment: false,
            },
            Kind::TmpSmx {
                name: "co-trimoxazole".into(),
                ds_per_day: None,
                treatment_ds: 2.0,
                treatment: false,
            },
        ];
        for k in kinds {
            let t = found(
                Card::Azathioprine,
                vec![(Indicator::Warning, k.clone())],
                Some(Basis::DosingWeight {
                    weight: weight.clone(),
                    dosing: dosing.clone(),
                }),
            ).words();
            check(&t);
            assert!(t.detail.contains("Sources:"), "{}", t.detail);
        }
        // Figures: a share to three significant figures, a BSA-derived dose likewise.
        let t = found(
            Card::Azathioprine,
            vec![(
                Indicator::Warning,
                Kind::Allopurinol {
                    name: "allopurinol".into(),
                    share: Some(share),
                    max_pct: 25.0,
                    reduced: true,
                },
            )],
            None,
        ).words();
        assert!(
            t.summary.contains("(24.7 % of the usual dose)"),
            "{}",
            t.summary
        );
        let t = found(
            Card::Rituximab,
            vec![(
                Indicator::Info,
                Kind::RituximabRegimen {
                    mg: 720.0,
                    fixed_mg: 1000.0,
                    mg_per_m2: 375.0,
                    bsa: Some(1.8184),
                },
            )],
            None,
        ).words();
        assert!(
            t.summary.contains("(682 mg)") && t.detail.contains("= 396 mg/m²"),
            "{t:?}"
        );
    }

    #[test]
    fn the_worst_concern_speaks_and_the_others_are_counted() {
        let (weight, dosing) = weights();
        let mut concerns = vec![
            Concern::new(
                Indicator::Critical,
                Kind::PoorMetaboliser(gene("TPMT", "poor metabolizer")),
            ),
            Concern::new(
                Indicator::Warning,
                limit(Substance::Azathioprine, Per::Day, 325.0, 300.0),
            ),
        ];
        use crate::clinical::pretreatment::{HbvTest, Line, Said, Test};
        use crate::terminology::medication::Drug;
        for (kind, said) in [
            (
                LineKind::HbvNotOnFile,
                Said::HbvNotOnFile {
                    missing: vec![HbvTest::SurfaceAntigen],
                },
            ),
            (
                LineKind::LabsNotRecent,
                Said::NotRecent {
                    missing: vec![Test::Alt],
                    window_days: 30.0,
                },
            ),
        ] {
            concerns.push(Concern::new(
                Indicator::Info,
                Kind::Pretreatment(Line::new(kind, Drug::Azathioprine, said)),
            ));
        }
        let f = Found {
            card: Card::Azathioprine,
            order: "Azathioprine *50* MG".into(),
            concerns,
            basis: Some(Basis::DosingWeight { weight, dosing }),
        };
        let t = f.words();
        check(&t);
        assert_eq!(
            t.summary,
            "TPMT poor metaboliser: avoid azathioprine; use a non-thiopurine agent (+1 more concern)"
        );
        assert!(t
            .detail
            .starts_with(r"**Azathioprine order.** Azathioprine \*50\* MG."));
        assert!(
            t.detail
                .contains("- Reminders: No hepatitis B surface antigen on file: check HBV before the first dose. No ALT within 30 days: check the full blood count and ALT before the first dose."),
            "{}",
            t.detail
        );
        assert!(
            t.detail
                .contains("Devine: 50 + 2.3 × (70.9 − 60 in) = 75 kg"),
            "{}",
            t.detail
        );
        assert!(
            t.detail.contains("**75 kg**; adjusted body weight 81 kg"),
            "{}",
            t.detail
        );
    }
}
