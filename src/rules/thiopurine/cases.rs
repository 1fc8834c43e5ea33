//! Worked cases of the decision: facts in, findings out.

use super::*;
use crate::rules::test_support::*;
use crate::facts::{Route, Schedule, Sex};

fn result(label: &str, text: &str) -> Lab {
    let mut l = lab(Concept::Tpmt, 0.0, "");
    l.quantity = None;
    l.label = label.into();
    l.result_text = Some(text.to_ascii_lowercase());
    l
}
fn base() -> Facts {
    // Male 180 cm, 90 kg: dosing weight 75 kg, usual dose 150 mg/day.
    let mut f = with_body(
        patient(&[Concept::Polymyositis]),
        Sex::Male,
        90.0,
        Some(180.0),
    );
    // Hepatitis B, counts and ALT on file so that only the rule's own concerns show.
    f.labs
        .extend(crate::clinical::pretreatment::tests::all_clear());
    f
}
fn aza(mg: f64) -> crate::facts::Med {
    med(Drug::Azathioprine, mg, Schedule::DAILY, Route::Oral, "aza")
}
fn other(drug: Drug) -> crate::facts::Med {
    med(drug, 100.0, Schedule::DAILY, Route::Oral, "xo")
}

#[test]
fn azathioprine_order_table() {
    let p = Policy::default();
    let crit = Some(Indicator::Critical);
    let warn = Some(Indicator::Warning);
    // (TPMT/NUDT15 results, active drug, AZA mg/day, expected card)
    type Case = (&'static str, Vec<Lab>, Option<Drug>, f64, Option<Indicator>);
    let cases: Vec<Case> = vec![
        (
            "nothing wrong",
            vec![result("TPMT phenotype", "Normal metabolizer")],
            None,
            150.0,
            None,
        ),
        (
            "TPMT poor",
            vec![result("TPMT phenotype", "Poor metabolizer")],
            None,
            50.0,
            crit,
        ),
        (
            "NUDT15 poor",
            vec![result("NUDT15 genotype", "Poor metabolizer")],
            None,
            50.0,
            crit,
        ),
        (
            "TPMT intermediate",
            vec![result("TPMT phenotype", "Intermediate metabolizer")],
            None,
            50.0,
            warn,
        ),
        (
            "combined test names the gene",
            vec![result(
                "TPMT and NUDT15 analysis",
                "NUDT15 intermediate metabolizer",
            )],
            None,
            50.0,
            warn,
        ),
        ("febuxostat", vec![], Some(Drug::Febuxostat), 25.0, crit),
        (
            "allopurinol, full dose",
            vec![],
            Some(Drug::Allopurinol),
            150.0,
            crit,
        ),
        (
            "allopurinol, 37 mg = 24.7 % of 150 mg",
            vec![],
            Some(Drug::Allopurinol),
            37.0,
            warn,
        ),
        (
            "allopurinol, 26 %",
            vec![],
            Some(Drug::Allopurinol),
            39.0,
            crit,
        ),
        // At the absolute limit, not above it: only the mg/kg dose speaks
        // (300 mg/day is above 2 mg/kg × 75 kg = 150 mg).
        ("300 mg/day", vec![], None, 300.0, warn),
        ("325 mg/day", vec![], None, 325.0, warn),
        ("600 mg/day", vec![], None, 600.0, crit),
        (
            "ACE inhibitor is no interaction",
            vec![],
            Some(Drug::AceInhibitor),
            100.0,
            None,
        ),
    ];
    for (name, labs, active, mg, want) in cases {
        let mut f = base();
        if labs.is_empty() {
            // A normal result on file, so that no TPMT reminder shows.
            f.labs.push(result("TPMT phenotype", "Normal metabolizer"));
        }
        f.labs.extend(labs);
        f.active_meds.extend(active.map(other));
        f.orders.push(aza(mg));
        let out = evaluate(&f, &p);
        assert_eq!(out.findings.first().map(|x| x.indicator), want, "{name}");
        assert!(out.findings.len() <= 1, "{name}: one card per order");
        let limit = kinds(&out).iter().any(|k| matches!(k, Kind::AboveLimit(_)));
        assert_eq!(limit, mg > 300.0, "{name}");
    }
}

fn kinds(out: &Outcome<drug_check::Found>) -> Vec<Kind> {
    out.findings
        .iter()
        .flat_map(|f| f.what.concerns.clone())
        .map(|c| c.kind)
        .collect()
}

/// POLICY "Budget": the thiopurine concerns, the mg/kg dose and the TPMT
/// reminder about one order make one card of the worst severity, its
/// topic the worst concern's; no warning is hidden.
#[test]
fn one_card_per_azathioprine_order() {
    use crate::clinical::{Direction, Pull};
    let p = Policy::default();
    // 175 mg/day: above 2 mg/kg × 75 kg = 150 mg; no TPMT result; no labs.
    let mut f = with_body(
        patient(&[Concept::Polymyositis]),
        Sex::Male,
        90.0,
        Some(180.0),
    );
    f.orders.push(aza(175.0));
    let out = evaluate(&f, &p);
    assert_eq!(out.findings.len(), 1);
    let c = &out.findings[0];
    assert_eq!(
        (c.topic, c.indicator),
        (aza_order_check::TOPIC_DOSE, Indicator::Warning)
    );
    let k = kinds(&out);
    assert!(matches!(
        k[0],
        Kind::Aza(aza_order_check::Found::AboveMgPerKg { per_day, limit, .. })
            if per_day == 175.0 && limit == 150.0
    ));
    assert!(matches!(
        k[1],
        Kind::Aza(aza_order_check::Found::TpmtNotOnFile { .. })
    ));
    assert!(k.iter().any(|k| matches!(k, Kind::Pretreatment { .. })));
    assert_eq!(
        c.pull,
        Some(Pull {
            order: "MedicationRequest/aza".into(),
            direction: Direction::Lower
        })
    );
    assert_eq!(c.suggestions, vec![aza_order_check::tpmt_suggestion()]);
    assert!(
        c.detail().contains("Dosing weight") || c.detail().contains("dosing weight"),
        "{}",
        c.detail()
    );
    // A poor metaboliser too: critical, thiopurine's topic, the dose warning still stated.
    f.labs.push(result("TPMT phenotype", "Poor metabolizer"));
    let out = evaluate(&f, &p);
    assert_eq!(out.findings.len(), 1);
    let c = &out.findings[0];
    assert_eq!((c.topic, c.indicator), (TOPIC, Indicator::Critical));
    assert!(
        c.summary().ends_with("(+1 more concern)"),
        "{}",
        c.summary()
    );
    assert!(c.detail().contains("= 2.33 mg/kg**"), "{}", c.detail());
    // Only the reminders: the TPMT reminder speaks (info).
    let mut f = with_body(
        patient(&[Concept::Polymyositis]),
        Sex::Male,
        90.0,
        Some(180.0),
    );
    f.orders.push(aza(100.0));
    let out = evaluate(&f, &p);
    assert_eq!(
        (out.findings[0].topic, out.findings[0].indicator),
        (aza_order_check::TOPIC_TPMT, Indicator::Info)
    );
    assert_eq!(out.findings[0].pull, None);
}

#[test]
fn both_intermediate_start_lower() {
    let mut f = base();
    f.labs
        .push(result("TPMT phenotype", "Intermediate metabolizer"));
    f.labs
        .push(result("NUDT15 phenotype", "Intermediate metabolizer"));
    f.orders.push(aza(50.0));
    let out = evaluate(&f, &Policy::default());
    assert!(
        out.findings[0].detail().contains("20–50 %"),
        "{}",
        out.findings[0].detail()
    );
}

#[test]
fn allopurinol_without_weight_cannot_be_shown_reduced() {
    let mut f = patient(&[Concept::Polymyositis]);
    f.labs
        .extend(crate::clinical::pretreatment::tests::all_clear());
    f.active_meds.push(other(Drug::Allopurinol));
    f.orders.push(aza(25.0));
    let out = evaluate(&f, &Policy::default());
    assert_eq!(out.findings[0].indicator, Indicator::Critical);
    assert!(out.findings[0].detail().contains("cannot be computed"));
}

#[test]
fn blocked_table() {
    let mut f = base();
    assert_eq!(azathioprine_blocked(&f), None);
    f.labs.push(result("TPMT phenotype", "Normal metabolizer"));
    assert_eq!(azathioprine_blocked(&f), None);
    let mut g = base();
    g.labs
        .push(result("NUDT15 genotype", "Intermediate metabolizer"));
    assert!(matches!(
        azathioprine_blocked(&g),
        Some(Blocked::Metaboliser(Metaboliser {
            phenotype: Phenotype::Intermediate,
            result: GeneResult { gene: "NUDT15", .. },
        }))
    ));
    let mut g = base();
    g.other_drafts.push(other(Drug::Febuxostat));
    assert!(matches!(
        azathioprine_blocked(&g),
        Some(Blocked::XoInhibitor {
            drug: Drug::Febuxostat,
            ..
        })
    ));
    let mut g = base();
    g.active_meds.push(other(Drug::Allopurinol));
    assert!(matches!(
        azathioprine_blocked(&g),
        Some(Blocked::XoInhibitor {
            drug: Drug::Allopurinol,
            ..
        })
    ));
}

#[test]
fn the_newest_result_per_gene_wins() {
    let mut f = base();
    // Labs are newest first: a newer normal result replaces an older poor one.
    f.labs
        .insert(0, result("TPMT phenotype", "Normal metabolizer"));
    f.labs.push(result("TPMT phenotype", "Poor metabolizer"));
    assert_eq!(metabolisers(&f)[0].phenotype, Phenotype::Normal);
    assert_eq!(
        phenotype_of("possible intermediate metabolizer"),
        Some(Phenotype::Intermediate)
    );
    assert_eq!(phenotype_of("see report"), None);
}
