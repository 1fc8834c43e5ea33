//! Words for the `steroid_sparing` rule: one line per agent, the
//! reminders before the first dose merged into one line.

use crate::words::{amount, date, fig, md, reading, summary, weight_line, Text, Words};
use crate::clinical::body::DosingWeight;
use crate::clinical::pretreatment::LineKind;
use crate::clinical::reproductive::Reproductive;
use crate::rules::steroid_sparing::{
    Agent, Aza, AzaBlock, AzaPreferred, Figures, Found, Mmf, Mtx, MtxContra,
};
use crate::facts::{RenalFunction, RenalSource, Sex};
use crate::rules::thiopurine::{Blocked, Phenotype};

impl Words for Found {
    fn words(&self) -> Text {
        let f = self;
        let g = &f.figures;
        let lead = match (f.recommended, &*f.mtx, &*f.aza) {
            (Some(Agent::Methotrexate), Mtx::Offered { dose, .. }, _) => {
                format!("methotrexate {} mg SC weekly", amount(*dose))
            }
            (Some(Agent::Azathioprine), _, Aza::Offered { dose, .. }) => {
                format!("azathioprine {} mg daily", amount(*dose))
            }
            (Some(Agent::Mycophenolate), _, _) => format!(
                "mycophenolate mofetil {} mg twice daily",
                amount(g.mmf_start_mg)
            ),
            _ => "a steroid-sparing agent".to_string(),
        };
        let summary = summary(if f.none_safe {
            "Myositis: no steroid-sparing agent can be suggested safely: specialist decision"
                .to_string()
        } else {
            format!("Myositis: start {lead} with the steroid; steroid alone fails in 86%")
        });

        let mut lines = vec![
            format!(
            "**Steroid-sparing agent from day one.** {} is ordered; no methotrexate, azathioprine or \
             mycophenolate is active or drafted.",
            md(&f.steroid)
        ),
            String::new(),
        ];
        if let Some(w) = &f.weight {
            lines.push(weight_line(w));
        }
        if let Some(h) = &f.height {
            let mut s = format!("- Height used: {}", reading(h, "cm"));
            for i in &f.future_heights {
                s.push_str(&format!(
                    "; a height dated {} ({}) is in the future and was not used",
                    i.date,
                    md(&crate::words::ignored_value(i))
                ));
            }
            lines.push(s);
        }
        lines.push(mtx_line(f));
        lines.push(aza_line(f));
        lines.push(mmf_line(f));
        if let Some(before) = before_line(f) {
            lines.push(before);
        }
        if let Some(total) = f.pneumocystis {
            lines.push(format!(
                "- Prednisone-equivalent {} mg/day (≥ {} mg/day, usually ≥ {} weeks) with a second \
                 immunosuppressant: consider Pneumocystis prophylaxis (with methotrexate: monitor the blood count).",
                fig(total),
                amount(g.pcp_gc_mg_per_day),
                amount(g.pcp_gc_weeks)
            ));
        }
        if let Some(total) = f.gc_hbv {
            lines.push(format!(
                "- **Hepatitis B known**, prednisone-equivalent {} mg/day: hepatitis B reactivation with the \
                 corticosteroid itself: antiviral prophylaxis, hepatology.",
                fig(total)
            ));
        }
        lines.push(format!(
            "\nSources: guidance (mandatory concurrent steroid-sparing agent; alternatives); Mosteller 1987 (BSA); \
             Devine 1974 (ideal body weight){}.",
            if f.pneumocystis.is_some() {
                "; Park et al. 2018 (Pneumocystis prophylaxis)"
            } else {
                ""
            }
        ));
        Text {
            summary,
            detail: lines.join("\n"),
        }
    }
}

fn mtx_line(f: &Found) -> String {
    let g = &f.figures;
    match &*f.mtx {
        Mtx::NotOffered(contra) => format!(
            "- Methotrexate **not offered**: contraindicated ({}).",
            contra
                .iter()
                .map(|c| mtx_contra(c, g))
                .collect::<Vec<_>>()
                .join("; ")
        ),
        Mtx::NotComputed => {
            "- Methotrexate: dose not computed (BSA needs height and weight).".to_string()
        }
        Mtx::Offered {
            bsa,
            raw,
            halved_for,
            target,
            rounded,
            dose,
            ..
        } => {
            let mut s = format!(
                "- **Methotrexate {} mg SC once weekly**{}, with folic acid {} mg daily: {} mg/m² × {} m² \
                 (Mosteller) = {} mg",
                amount(*dose),
                recommended(f, Agent::Methotrexate),
                amount(g.folic_acid_mg_per_day),
                amount(g.mtx_start_mg_per_m2),
                fig(*bsa),
                fig(*raw),
            );
            if let Some(r) = halved_for {
                s.push_str(&format!(", halved for {} = {} mg", renal(r), fig(*target)));
            }
            if rounded > dose {
                s.push_str(&format!(
                    ", rounded up to {} mg, started at the {} mg ceiling",
                    amount(*rounded),
                    amount(*dose)
                ));
            } else {
                s.push_str(&format!(
                    ", rounded up to {} mg steps",
                    amount(g.mtx_round_mg)
                ));
            }
            s.push_str(&format!(
                " (guidance {}–{} mg/m²/week; escalation up to {} mg/week).",
                amount(g.mtx_mg_per_m2_low),
                amount(g.mtx_mg_per_m2_high),
                amount(g.mtx_max_mg_per_week)
            ));
            s
        }
    }
}

/// Why the thiopurine check blocks azathioprine, in words.
fn thiopurine(why: &Blocked) -> String {
    match why {
        Blocked::Metaboliser(m) => {
            let what = match m.phenotype {
                Phenotype::Poor => "poor metaboliser",
                _ => "intermediate metaboliser",
            };
            let r = &m.result;
            format!(
                "{} {what}: {}: {} ({})",
                r.gene,
                md(&r.label),
                md(&r.result),
                date(r.date)
            )
        }
        Blocked::XoInhibitor { drug, named } => {
            format!("{} with azathioprine: {}", drug.name(), md(&crate::words::named(named)))
        }
        Blocked::Unreadable { label } => format!(
            "a thiopurine result on file could not be read ({}): review it before azathioprine",
            md(label)
        ),
    }
}

fn aza_line(f: &Found) -> String {
    let g = &f.figures;
    match &*f.aza {
        Aza::NotOffered(AzaBlock::Thiopurine(why)) => {
            format!("- Azathioprine **not offered**: {}.", thiopurine(why))
        }
        Aza::NotOffered(AzaBlock::Pretreatment(kinds)) => format!(
            "- Azathioprine **not offered**: {}.",
            blocking(kinds, g, "azathioprine")
        ),
        Aza::NotComputed => {
            "- Azathioprine: dose not computed (ideal body weight needs sex, height and weight)."
                .to_string()
        }
        Aza::Offered {
            weight,
            sex,
            height_cm: _,
            exact,
            dose,
            ..
        } => {
            let preferred = match f.prefer_aza {
                Some(AzaPreferred::Ild) => " Preferred with interstitial lung disease.",
                Some(AzaPreferred::Reproductive) => {
                    " Preferred in pregnancy, breastfeeding or pregnancy planning."
                }
                None => "",
            };
            format!(
                "- **Azathioprine {} mg once daily**{}: {} mg/kg × {} kg = {} mg, rounded down to {} mg steps; \
                 {}. Check TPMT and NUDT15 first.{preferred}",
                amount(*dose),
                recommended(f, Agent::Azathioprine),
                amount(g.aza_mg_per_kg),
                fig(weight.dosing),
                fig(*exact),
                amount(g.aza_round_mg),
                short_dosing_weight(weight, *sex),
            )
        }
    }
}

fn mmf_line(f: &Found) -> String {
    let g = &f.figures;
    match &f.mmf {
        Mmf::Teratogen(r) => format!("- Mycophenolate **not offered**: {}.", teratogen(r)),
        Mmf::Pretreatment(kinds) => format!(
            "- Mycophenolate **not offered**: {}.",
            blocking(kinds, g, "mycophenolate")
        ),
        Mmf::Offered { .. } => format!(
            "- **Mycophenolate mofetil {} mg twice daily** initially{}.",
            amount(g.mmf_start_mg),
            recommended(f, Agent::Mycophenolate)
        ),
    }
}

fn recommended(f: &Found, a: Agent) -> &'static str {
    if f.recommended == Some(a) {
        " (recommended)"
    } else {
        ""
    }
}

/// "dosing weight = ideal body weight (Devine, female, 64 in), below the
/// actual 69.85 kg; adjusted 60.8 kg": how the dosing weight was found.
pub fn dosing_weight(w: &DosingWeight, sex: Sex, height_cm: f64) -> String {
    let inches = height_cm / 2.54;
    let sex = match sex {
        Sex::Male => "male",
        Sex::Female => "female",
    };
    let ibw = format!(
        "ideal body weight {} kg (Devine, {sex}, {} in{})",
        fig(w.ibw),
        fig(inches),
        if inches < 60.0 {
            ", extrapolated below 60 in"
        } else {
            ""
        }
    );
    if w.dosing < w.actual {
        format!(
            "dosing weight = {ibw}, below the actual {} kg (adjusted body weight {} kg)",
            fig(w.actual),
            fig(w.adjusted)
        )
    } else {
        format!(
            "dosing weight = the actual {} kg, below the {ibw}",
            fig(w.actual)
        )
    }
}

/// The dosing weight in a few words: "ideal body weight (Devine, female),
/// below the actual 69.85 kg".
fn short_dosing_weight(w: &DosingWeight, sex: Sex) -> String {
    let sex = match sex {
        Sex::Male => "male",
        Sex::Female => "female",
    };
    if w.dosing < w.actual {
        format!(
            "ideal body weight (Devine, {sex}), below the actual {} kg",
            fig(w.actual)
        )
    } else {
        format!(
            "the actual weight, below the ideal {} kg (Devine, {sex})",
            fig(w.ibw)
        )
    }
}

/// Why a teratogen is not offered.
pub fn teratogen(r: &Reproductive) -> String {
    match r {
        Reproductive::Pregnant(e) => format!("pregnancy ({e})"),
        Reproductive::Breastfeeding(e) => format!("breastfeeding ({e})"),
        Reproductive::PossiblyPregnant(e) => {
            format!("possible pregnancy ({e}): verify and update the problem list")
        }
        Reproductive::Planning { evidence, .. } => format!("pregnancy planning ({evidence})"),
        Reproductive::None => String::new(),
    }
}

/// A renal reading: "eGFR 45 (2026-11-20)", or the problem-list entry.
fn renal(r: &RenalFunction) -> String {
    match (&r.severe_ckd, &r.egfr) {
        (Some(label), _) => format!(
            "{} on the problem list (counts as eGFR below 30)",
            md(label)
        ),
        (None, Some(e)) => match &e.source {
            RenalSource::Measured { .. } => {
                format!("eGFR {} ({}){}", crate::words::renal::shown(e), date(e.date), crate::words::renal::paired_note(r))
            }
            RenalSource::Computed { .. } => {
                format!("eGFR {} ({}){}", crate::words::renal::shown(e), crate::words::renal::origin(e), crate::words::renal::paired_note(r))
            }
        },
        (None, None) => "renal function unknown".to_string(),
    }
}

fn mtx_contra(c: &MtxContra, g: &Figures) -> String {
    match c {
        MtxContra::Teratogen(r) => teratogen(r),
        MtxContra::RenalLow(r) => renal(r),
        MtxContra::RenalSsc(r) => format!(
            "{} in SSc: a renal crisis can drop renal function suddenly",
            renal(r)
        ),
        MtxContra::RenalUnstable(u) => format!(
            "renal function unstable ({})",
            md(&crate::words::renal::rise(u))
        ),
        MtxContra::LiverDisease => "liver disease or chronic viral hepatitis".into(),
        MtxContra::AlcoholUse => "alcohol use disorder".into(),
        MtxContra::Ild => "interstitial lung disease".into(),
        MtxContra::TmpSmx => "trimethoprim-sulfamethoxazole".into(),
        MtxContra::Pretreatment(kinds) => blocking(kinds, g, "methotrexate"),
    }
}

/// Blocking pre-treatment results, in words.
fn blocking(kinds: &[LineKind], g: &Figures, drug: &str) -> String {
    kinds
        .iter()
        .filter_map(|k| match k {
            LineKind::HbvPositive => Some(format!(
                "hepatitis B known: reactivation with {drug}: antiviral prophylaxis, hepatology"
            )),
            LineKind::CountLow => {
                Some("blood count below the floor: wait until it recovers".into())
            }
            LineKind::AltHigh => Some(format!(
                "ALT above {}× the upper limit with a normal CK: explain it first",
                amount(g.alt_max_x_uln)
            )),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// The reminders before the first dose of the agents offered, merged: each
/// once, with the agents it applies to when not all of them.
fn before_line(f: &Found) -> Option<String> {
    let g = &f.figures;
    let mut offered: Vec<(&str, &[LineKind])> = vec![];
    let mut creatinine = false;
    if let Mtx::Offered {
        before,
        renal_unknown,
        ..
    } = &*f.mtx
    {
        offered.push(("methotrexate", before));
        creatinine = *renal_unknown;
    }
    if let Aza::Offered { before, .. } = &*f.aza {
        offered.push(("azathioprine", before));
    }
    if let Mmf::Offered { before } = &f.mmf {
        offered.push(("mycophenolate", before));
    }
    let mut items = vec![];
    if creatinine {
        items.push(format!(
            "creatinine (renal function unknown{})",
            if offered.len() > 1 {
                "; methotrexate"
            } else {
                ""
            }
        ));
    }
    for kind in [
        LineKind::HbvNotOnFile,
        LineKind::LabsNotRecent,
        LineKind::AltHighCkUnknown,
        LineKind::PregnancyTest,
    ] {
        let drugs: Vec<&str> = offered
            .iter()
            .filter(|(_, b)| b.contains(&kind))
            .map(|(d, _)| *d)
            .collect();
        if drugs.is_empty() {
            continue;
        }
        let mut why = match kind {
            LineKind::HbvNotOnFile => vec!["not on file".to_string()],
            LineKind::LabsNotRecent => vec![format!(
                "none within {} days",
                amount(g.pretreatment_lab_max_age_days)
            )],
            LineKind::AltHighCkUnknown => vec![format!(
                "ALT above {}× the upper limit",
                amount(g.alt_max_x_uln)
            )],
            LineKind::PregnancyTest => vec![format!(
                "no hCG within {} days",
                amount(g.hcg_test_max_age_days)
            )],
            _ => vec![],
        };
        if drugs.len() < offered.len() {
            why.push(drugs.join(", "));
        }
        let what = match kind {
            LineKind::HbvNotOnFile => "hepatitis B serology",
            LineKind::LabsNotRecent => "full blood count and ALT",
            LineKind::AltHighCkUnknown => "CK",
            _ => "pregnancy test and contraception",
        };
        items.push(format!("{what} ({})", why.join("; ")));
    }
    (!items.is_empty()).then(|| format!("- **Before the first dose:** {}.", items.join("; ")))
}

#[cfg(test)]
mod tests {
    use crate::rules::steroid_sparing::{evaluate, Aza, Found, Mmf, Mtx};
    use crate::rules::test_support::*;
    use crate::clinical::{Finding, Policy};
    use crate::facts::Sex;
    use crate::terminology::Concept;

    fn card(dx: &[Concept], sex: Sex, kg: f64, cm: Option<f64>, egfr: Option<f64>) -> Finding<Found> {
        let mut f = with_body(patient(dx), sex, kg, cm);
        if let Some(v) = egfr {
            f.labs.push(lab(Concept::Egfr, v, "mL/min/{1.73_m2}"));
        }
        f.orders.push(prednisone(40.0));
        evaluate(&f, &Policy::default()).findings.remove(0)
    }

    /// The budget and the plain-language rules every rendering keeps.
    fn plain(c: &Finding<Found>) -> (String, String) {
        let t = crate::words::text(c);
        crate::words::assert_plain(&t, 0);
        assert!(!t.detail.contains("Condition/"), "{}", t.detail);
        (t.summary, t.detail)
    }

    /// Each reason the thiopurine check blocks azathioprine, in words.
    #[test]
    fn thiopurine_blocks_in_words() {
        use crate::rules::drug_check::GeneResult;
        use crate::rules::thiopurine::{Blocked, Metaboliser, Phenotype};
        use crate::terminology::medication::Drug;
        let m = Blocked::Metaboliser(Metaboliser {
            phenotype: Phenotype::Intermediate,
            result: GeneResult {
                gene: "NUDT15",
                label: "NUDT15 genotype".into(),
                result: "*1/*3".into(),
                date: chrono::NaiveDate::from_ymd_opt(2026, 10, 1),
            },
        });
        assert_eq!(
            super::thiopurine(&m),
            r"NUDT15 intermediate metaboliser: NUDT15 genotype: \*1/\*3 (2026-10-01)"
        );
        let x = Blocked::XoInhibitor {
            drug: Drug::Febuxostat,
            named: "febuxostat 40 MG Oral Tablet (reported)".into(),
        };
        assert_eq!(
            super::thiopurine(&x),
            r"febuxostat with azathioprine: febuxostat 40 MG Oral Tablet \(reported\)"
        );
    }

    #[test]
    fn offered_with_figures_to_three_significant_figures() {
        // 160 cm, 60 kg: BSA 1.633 → 15 × 1.633 = 24.49 → 25 mg; IBW 52.4 → 104.8 → 100 mg.
        let c = card(
            &[Concept::Polymyositis],
            Sex::Female,
            60.0,
            Some(160.0),
            Some(90.0),
        );
        let (s, d) = plain(&c);
        assert_eq!(
            s,
            "Myositis: start methotrexate 25 mg SC weekly with the steroid; steroid alone fails in 86%"
        );
        assert!(
            d.contains("15 mg/m² × 1.63 m² (Mosteller) = 24.5 mg"),
            "{d}"
        );
        assert!(d.contains("2 mg/kg × 52.4 kg = 105 mg"), "{d}");
        assert!(
            d.contains("**Mycophenolate mofetil 500 mg twice daily**"),
            "{d}"
        );
        assert!(
            d.contains("**Before the first dose:** hepatitis B serology"),
            "{d}"
        );
        assert!(!d.contains("creatinine (renal"), "{d}");
        assert!(d.contains("Pneumocystis") && d.contains("Park et al. 2018"));
    }

    #[test]
    fn halved_for_renal_function() {
        let c = card(
            &[Concept::Polymyositis],
            Sex::Female,
            60.0,
            Some(160.0),
            Some(45.0),
        );
        let (_, d) = plain(&c);
        assert!(
            d.contains(
                "= 24.5 mg, halved for eGFR 45 (2026-11-19) = 12.2 mg, rounded up to 2.5 mg steps"
            ),
            "{d}"
        );
    }

    #[test]
    fn not_offered_and_not_computed() {
        // Pregnancy: no methotrexate, no mycophenolate; azathioprine recommended.
        let mut f = with_body(
            patient(&[Concept::Polymyositis, Concept::Pregnancy]),
            Sex::Female,
            60.0,
            Some(160.0),
        );
        f.diagnoses[1].onset = Some(days_ago(20));
        f.diagnoses[1].label = "Pregnancy *first* trimester".into();
        f.orders.push(prednisone(40.0));
        let c = evaluate(&f, &Policy::default()).findings.remove(0);
        let found = &c.what;
        assert!(matches!(*found.mtx, Mtx::NotOffered(_)));
        assert!(matches!(found.mmf, Mmf::Teratogen(_)));
        let (s, d) = plain(&c);
        assert!(s.contains("start azathioprine 100 mg daily"), "{s}");
        assert!(
            d.contains("Methotrexate **not offered**: contraindicated (pregnancy (Pregnancy \\*first\\* trimester, onset 2026-11-04))"),
            "{d}"
        );
        assert!(d.contains("Preferred in pregnancy"), "{d}");
        // No height: methotrexate and azathioprine not computed.
        let c = card(&[Concept::Dermatomyositis], Sex::Male, 70.0, None, None);
        let found = &c.what;
        assert_eq!(*found.mtx, Mtx::NotComputed);
        assert_eq!(*found.aza, Aza::NotComputed);
        let (s, d) = plain(&c);
        assert!(
            s.contains("mycophenolate mofetil 500 mg twice daily"),
            "{s}"
        );
        assert!(d.contains("BSA needs height and weight"), "{d}");
    }

    #[test]
    fn none_safe_says_specialist_decision() {
        let mut f = with_body(
            patient(&[Concept::Polymyositis, Concept::Pregnancy]),
            Sex::Female,
            60.0,
            Some(160.0),
        );
        // A thiopurine result that cannot be read blocks azathioprine.
        let mut tpmt = lab(Concept::Tpmt, 12.0, "U/mL");
        tpmt.label = "TPMT activity".into();
        f.labs.push(tpmt);
        f.orders.push(prednisone(40.0));
        let c = evaluate(&f, &Policy::default()).findings.remove(0);
        assert!(c.suggestions.is_empty());
        let (s, d) = plain(&c);
        assert_eq!(
            s,
            "Myositis: no steroid-sparing agent can be suggested safely: specialist decision"
        );
        assert!(
            d.contains("Azathioprine **not offered**: a thiopurine result on file could not be read (TPMT activity)"),
            "{d}"
        );
        assert!(!d.contains("Pneumocystis"), "{d}");
    }
}
