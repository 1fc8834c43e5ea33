//! Words for the `mtx_order_check` rule: one card per concern about a
//! methotrexate order, each with the order, its renal function, the mg/m²
//! calculation and the reminders before the first dose; folic acid as a line
//! when it is folded into the card.

use crate::words::dose::{self as dose_words, derivation, frequency_note, schedule};
use crate::words::{amount, fig, md, reading, weight_line, Text, Words, SUMMARY_MAX};
use crate::rules::mtx_order_check::{Bsa, Concern, DoseNotes, Found, Order, Side};
use crate::facts::RenalFunction;

const SOURCES: &str = "Sources: guidance (methotrexate); Saag et al. 2008 (ACR), Warren et al. 2016 \
                       (BAD), Sammaritano et al. 2020 (ACR), Russell et al. 2023 (BSR); methotrexate \
                       label; ISMP; thresholds: service policy.";

impl Words for Found {
    fn words(&self) -> Text {
        let f = self;
        Text {
            summary: crate::words::summary(summary(f)),
            detail: detail(f),
        }
    }
}

fn title(c: &Concern) -> String {
    match c {
        Concern::Daily { .. } => "Methotrexate ordered more often than weekly".into(),
        Concern::FrequencyUnknown { .. } => "Methotrexate without a readable frequency".into(),
        Concern::RenalAvoid { avoid_below } => {
            format!("Methotrexate with eGFR below {}", amount(*avoid_below))
        }
        Concern::RenalReduce {
            avoid_below,
            reduce_below,
            ..
        } => format!(
            "Methotrexate with eGFR {}–{}",
            amount(*avoid_below),
            amount(reduce_below - 1.0)
        ),
        Concern::DoseSlip { .. } => "Methotrexate dose: unit or dose slip".into(),
        Concern::AboveMax { .. } => "Methotrexate above the weekly maximum".into(),
        Concern::Liver {
            cirrhosis: true, ..
        } => "Methotrexate with cirrhosis".into(),
        Concern::Liver { .. } => "Methotrexate with liver disease".into(),
        Concern::Alcohol { .. } => "Methotrexate with alcohol use disorder".into(),
        Concern::Ild { .. } => "Methotrexate with interstitial lung disease".into(),
        Concern::PregnancyPlanning { .. } => "Methotrexate with pregnancy planning".into(),
        Concern::TmpSmx { .. } => "Methotrexate with trimethoprim-sulfamethoxazole".into(),
        Concern::Pretreatment { .. } => "Methotrexate before the pre-treatment checks".into(),
        Concern::Duplicate { .. } => "Duplicate methotrexate".into(),
        Concern::Dose(_) => "Methotrexate dose and route".into(),
        Concern::FolicAcid => "Folic acid with methotrexate".into(),
    }
}

/// "eGFR 45", or the problem-list entry (no number is invented for CKD 4–5
/// or dialysis).
fn renal_figure(r: &RenalFunction) -> String {
    match (&r.severe_ckd, &r.egfr) {
        (Some(_), _) => "CKD stage 4–5 or dialysis on record".into(),
        (None, Some(e)) => format!("eGFR {}", crate::words::renal::shown(e)),
        (None, None) => "Renal function unknown".into(),
    }
}

fn per_week(o: &Order) -> String {
    match (o.per_week_mg, o.per_dose_mg) {
        (Some(w), _) => format!("{} mg/week", amount(w)),
        (None, Some(d)) => format!("{} mg a dose, frequency unknown", amount(d)),
        (None, None) => "dose unknown".into(),
    }
}

/// A summary that fits: the parts in full, else their short forms (an
/// empty short form leaves the part to the detail), else without the parts
/// that matter least (`drop_first` lists their indices, first dropped first).
fn fit(head: &str, parts: &[(String, String)], drop_first: &[usize]) -> String {
    let join = |v: Vec<&str>| {
        let v: Vec<&str> = v.into_iter().filter(|p| !p.is_empty()).collect();
        format!("{head}{}", v.join("; "))
    };
    let long = join(parts.iter().map(|p| p.0.as_str()).collect());
    if long.chars().count() <= SUMMARY_MAX {
        return long;
    }
    let mut keep = vec![true; parts.len()];
    let short = |keep: &[bool]| {
        join(
            parts
                .iter()
                .zip(keep)
                .filter(|(_, k)| **k)
                .map(|(p, _)| p.1.as_str())
                .collect(),
        )
    };
    for i in drop_first {
        let s = short(&keep);
        if s.chars().count() <= SUMMARY_MAX {
            return s;
        }
        keep[*i] = false;
    }
    short(&keep)
}

fn dose_summary(f: &Found, n: &DoseNotes) -> String {
    let o = &f.order;
    let wk = o.per_week_mg.map_or_else(String::new, amount);
    // (long, short) forms in reading order; the advice (range, folic acid)
    // is dropped last.
    let mut parts: Vec<(String, String)> = vec![];
    let mut rank: Vec<(u8, usize)> = vec![];
    if n.range == Some(Side::Below) {
        let (lo, hi) = n.usual;
        let calc = f.inputs.bsa.as_ref().map_or(String::new(), |b| {
            format!(
                "; {}–{} mg/m² = {}–{} mg/week, usual adult maximum {}",
                amount(b.mg_per_m2_low),
                amount(b.mg_per_m2_high),
                fig(b.low_mg),
                fig(b.high_mg),
                amount(hi)
            )
        });
        rank.push((3, parts.len()));
        parts.push((
            format!(
                "{wk} mg/week is below the usual adult {}–{} mg/week{calc}",
                amount(lo),
                amount(hi)
            ),
            format!(
                "{wk} mg/week: below usual {}–{} mg/week",
                amount(lo),
                amount(hi)
            ),
        ));
    }
    if let Some(max) = n.renal_reduced {
        rank.push((2, parts.len()));
        parts.push((
            format!(
                "{wk} mg/week: already reduced for renal function (≤{} mg/week)",
                amount(max)
            ),
            format!("reduced for eGFR (≤{} mg/week)", amount(max)),
        ));
    }
    if let Some(usual) = n.above_usual_max {
        rank.push((1, parts.len()));
        parts.push((
            format!(
                "{wk} mg/week is above the usual adult maximum of {} mg/week: confirm",
                amount(usual)
            ),
            // Above the mg/m² range already says the dose is high.
            if n.range.is_some() {
                String::new()
            } else {
                format!("above usual maximum {} mg/week: confirm", amount(usual))
            },
        ));
    }
    if n.oral {
        rank.push((0, parts.len()));
        parts.push((
            "oral: subcutaneous preferred (better bioavailability)".into(),
            "SC preferred to oral".into(),
        ));
    }
    if let Some(mg) = f.folic_acid_mg {
        rank.push((2, parts.len()));
        let s = format!("add folic acid {} mg daily", amount(mg));
        parts.push((s.clone(), s));
    }
    rank.sort();
    let order: Vec<usize> = rank.into_iter().map(|(_, i)| i).collect();
    fit("Methotrexate ", &parts, &order)
}

fn summary(f: &Found) -> String {
    let r = &f.inputs.renal;
    match &f.concern {
        Concern::Daily { frequency } => format!(
            "Methotrexate ordered {}: must be once weekly (daily dosing can be fatal)",
            dose_words::frequency(frequency)
        ),
        Concern::FrequencyUnknown { .. } => {
            "Methotrexate frequency could not be read: specify once weekly".into()
        }
        Concern::RenalAvoid { avoid_below } => format!(
            "{}{}: avoid methotrexate; consider azathioprine or mycophenolate",
            renal_figure(r),
            if r.severe_ckd.is_some() {
                String::new()
            } else {
                format!(" (below {})", amount(*avoid_below))
            }
        ),
        Concern::RenalReduce {
            avoid_below,
            reduce_below,
            reduced_max,
        } => format!(
            "{} ({}–{}): reduce methotrexate to ≤{} mg/week and monitor closely",
            renal_figure(r),
            amount(*avoid_below),
            amount(reduce_below - 1.0),
            amount(*reduced_max)
        ),
        Concern::DoseSlip {
            slip_per_week,
            slip_per_dose,
            ..
        } => format!(
            "Methotrexate {}: check the unit and dose (≥{} mg/week or ≥{} mg a dose)",
            per_week(&f.order),
            amount(*slip_per_week),
            amount(*slip_per_dose)
        ),
        Concern::AboveMax {
            per_week_mg,
            max_per_week,
        } => format!(
            "Methotrexate {} mg/week is above the {} mg/week maximum: lower the dose",
            amount(*per_week_mg),
            amount(*max_per_week)
        ),
        Concern::Liver {
            cirrhosis: true, ..
        } => "Cirrhosis on record: avoid methotrexate".into(),
        Concern::Liver { .. } => {
            "Liver disease on record: methotrexate needs specialist review".into()
        }
        Concern::Alcohol { .. } => {
            "Alcohol use disorder on record: methotrexate hepatotoxicity risk; counsel or \
             consider an alternative"
                .into()
        }
        Concern::Ild { .. } => {
            "Interstitial lung disease: guidance prefers azathioprine to methotrexate".into()
        }
        Concern::PregnancyPlanning { .. } => {
            "Pregnancy planning: stop methotrexate ≥1–3 months before conception; azathioprine \
             preferred"
                .into()
        }
        Concern::TmpSmx {
            treatment: true, ..
        } => "Trimethoprim-sulfamethoxazole at treatment dose with methotrexate: avoid \
              (pancytopenia)"
            .into(),
        Concern::TmpSmx { .. } => {
            "Prophylactic trimethoprim-sulfamethoxazole with methotrexate: monitor the blood count"
                .into()
        }
        Concern::Pretreatment { .. } => {
            "Methotrexate: a pre-treatment result needs review before the first dose".into()
        }
        Concern::Duplicate {
            others,
            total_per_week,
        } => format!(
            "Methotrexate already on file ({}): this order would duplicate it{}",
            others.first().map_or("", |o| dose_words::route(o.1)),
            total_per_week.map_or(String::new(), |t| format!(" ({} mg/week total)", amount(t)))
        ),
        Concern::Dose(n) => dose_summary(f, n),
        Concern::FolicAcid => format!(
            "No folic acid on file: add folic acid {} mg daily with methotrexate",
            amount(f.folic_acid_mg.unwrap_or(1.0))
        ),
    }
}

fn on_record(label: &str, onset: Option<chrono::NaiveDate>) -> String {
    format!(
        "On record: {}{}.",
        md(label),
        onset.map_or(String::new(), |d| format!(" (onset {d})"))
    )
}

/// The finding's own lines.
fn body(f: &Found) -> Vec<String> {
    let o = &f.order;
    match &f.concern {
        Concern::Daily { .. } => vec![
            "Methotrexate for myositis is given **once weekly**; daily dosing errors have caused \
             deaths. Change the schedule to once weekly."
                .into(),
        ],
        Concern::FrequencyUnknown { note } => vec![format!(
            "The order does not say how often ({}). Methotrexate for myositis is given **once \
             weekly**; daily dosing errors have caused deaths.",
            md(&note.map_or("no frequency".into(), frequency_note))
        )],
        Concern::RenalAvoid { avoid_below } => vec![format!(
            "Methotrexate is renally cleared: avoid below eGFR {}. Consider azathioprine or \
             mycophenolate (with dose review).",
            amount(*avoid_below)
        )],
        Concern::RenalReduce { reduced_max, .. } => vec![format!(
            "Reduced renal clearance: reduce the dose to at most {} mg/week (half the usual \
             adult maximum){} and monitor the blood count and renal function.",
            amount(*reduced_max),
            o.per_week_mg.map_or(String::new(), |w| format!(
                "; ordered {} mg/week",
                amount(w)
            ))
        )],
        Concern::DoseSlip {
            slip_per_week,
            slip_per_dose,
            max_per_week,
        } => vec![format!(
            "At or above {} mg/week or {} mg a dose this is not a methotrexate dose for myositis \
             (maximum {} mg/week): most often a unit slip (g for mg, mL for mg) or a daily dose \
             entered as weekly.",
            amount(*slip_per_week),
            amount(*slip_per_dose),
            amount(*max_per_week)
        )],
        Concern::AboveMax { max_per_week, .. } => vec![format!(
            "The guidance sets a maximum absolute dose of {} mg/week.",
            amount(*max_per_week)
        )],
        Concern::Liver {
            on_record: l,
            onset,
            ..
        } => vec![format!(
            "Cirrhosis, chronic hepatitis and alcoholic liver disease: avoid methotrexate or seek \
             specialist review. In active myositis a raised ALT/AST may come from muscle: read it \
             with CK. {}",
            on_record(l, *onset)
        )],
        Concern::Alcohol {
            on_record: l,
            onset,
        } => vec![format!(
            "Counsel abstinence or minimal alcohol; consider an alternative agent. {}",
            on_record(l, *onset)
        )],
        Concern::Ild {
            on_record: l,
            onset,
        } => vec![format!(
            "The guidance prefers azathioprine with interstitial lung disease (pre-existing lung \
             disease is a risk factor for methotrexate pneumonitis). {}",
            on_record(l, *onset)
        )],
        Concern::PregnancyPlanning {
            on_record: l,
            onset,
        } => vec![format!(
            "Women should stop methotrexate at least 1 month (BSR) to 3 months (ACR) before \
             conception; azathioprine is preferred when pregnancy is planned. {}",
            on_record(l, *onset)
        )],
        Concern::TmpSmx {
            name,
            ds_per_day,
            treatment,
        } => vec![format!(
            "Additive antifolate effect: {}. {} ({}).",
            if *treatment {
                "avoid the combination (or hold methotrexate during the course)"
            } else {
                "monitor the blood count closely"
            },
            md(name),
            ds_per_day.map_or_else(
                || "dose unknown".to_string(),
                |d| format!("{} double-strength tablets a day", amount(d))
            )
        )],
        Concern::Pretreatment { blocking } => blocking
            .iter()
            .map(|l| format!("- {}", crate::words::pretreatment::line(l)))
            .collect(),
        Concern::Duplicate {
            others,
            total_per_week,
        } => {
            let mut v: Vec<String> = others
                .iter()
                .map(|(name, route, wk)| {
                    format!(
                        "- Also: {} ({}): {}",
                        md(&crate::words::named(name)),
                        dose_words::route(*route),
                        wk.map_or("dose unknown".into(), |w| format!("{} mg/week", amount(w)))
                    )
                })
                .collect();
            if let Some(t) = total_per_week {
                v.push(format!("- Together: **{} mg/week**", amount(*t)));
            }
            v
        }
        Concern::Dose(n) => dose_lines(f, n),
        Concern::FolicAcid => vec![],
    }
}

fn dose_lines(f: &Found, n: &DoseNotes) -> Vec<String> {
    let mut v = vec![];
    let wk = f.order.per_week_mg.map_or_else(String::new, amount);
    if n.range == Some(Side::Below) {
        let (lo, hi) = n.usual;
        v.push(format!(
            "- {wk} mg/week is below the usual adult dose of {}–{} mg/week",
            amount(lo),
            amount(hi)
        ));
        if let Some(b) = &f.inputs.bsa {
            v.push(format!(
                "- The guidance's {}–{} mg/m²/week is {}–{} mg/week for this patient                  (BSA {} m²), capped at the usual adult maximum of {} mg/week",
                amount(b.mg_per_m2_low),
                amount(b.mg_per_m2_high),
                fig(b.low_mg),
                fig(b.high_mg),
                fig(b.m2),
                amount(hi)
            ));
        }
    }
    if let Some(max) = n.renal_reduced {
        v.push(format!(
            "- eGFR {}: {wk} mg/week is already at or below the reduced dose of {} mg/week; \
             monitor the blood count and renal function",
            f.inputs.renal.value().map_or_else(String::new, fig),
            amount(max)
        ));
    }
    if let Some(usual) = n.above_usual_max {
        v.push(format!(
            "- {wk} mg/week is above the usual adult maximum of {} mg/week: confirm",
            amount(usual)
        ));
    }
    if n.oral {
        v.push("- Oral: subcutaneous is preferred (better bioavailability)".into());
    }
    v
}

fn bsa_lines(b: &Bsa) -> Vec<String> {
    let mut calc = format!(
        "- Height used: {}; BSA (Mosteller) = **{} m²**; {}–{} mg/m²/week = {}–{} mg/week; in {} \
         mg steps, capped at {}: **{}–{} mg/week**",
        reading(&b.height, "cm"),
        fig(b.m2),
        amount(b.mg_per_m2_low),
        amount(b.mg_per_m2_high),
        fig(b.low_mg),
        fig(b.high_mg),
        amount(b.round_mg),
        amount(b.max_per_week),
        amount(b.achievable_low),
        amount(b.achievable_high)
    );
    if let Some(p) = b.ordered_per_m2 {
        calc.push_str(&format!("; ordered: **{} mg/m²/week**", fig(p)));
    }
    vec![weight_line(&b.weight), calc]
}

fn detail(f: &Found) -> String {
    let o = &f.order;
    let dose = match (&o.derivation, o.schedule, o.per_week_mg) {
        (Some(d), Some(s), Some(w)) => {
            format!("{} {} = **{} mg/week**", md(&derivation(d)), schedule(s), amount(w))
        }
        (Some(d), _, Some(w)) => format!("{} = **{} mg/week**", md(&derivation(d)), amount(w)),
        (Some(d), _, None) => format!("{} a dose, frequency unknown", md(&derivation(d))),
        (None, _, _) => "dose could not be read".into(),
    };
    let mut lines = vec![format!(
        "**{}.** {}: {dose}.",
        title(&f.concern),
        md(&o.name)
    )];
    let body = body(f);
    if !body.is_empty() {
        lines.push(String::new());
    }
    let mut body = body;
    if let Some(n) = &f.dose_notes {
        let extra = dose_lines(f, n);
        if !extra.is_empty() {
            if body.last().is_some_and(|l| !l.starts_with("- ")) {
                body.push(String::new());
            }
            body.extend(extra);
        }
    }
    let paragraph = body.last().is_some_and(|l| !l.starts_with("- "));
    lines.extend(body);
    match (&f.concern, f.folic_acid_mg) {
        (Concern::FolicAcid, Some(mg)) => lines.extend([
            String::new(),
            format!(
                "The guidance adds folic acid {} mg daily to methotrexate; none is active or \
                 drafted.",
                amount(mg)
            ),
        ]),
        (_, Some(mg)) => lines.extend(paragraph.then(String::new).into_iter().chain([format!(
            "- No folic acid active or drafted: the guidance adds folic acid {} mg daily \
             (suggested)",
            amount(mg)
        )])),
        _ => {}
    }
    lines.push(String::new());
    lines.push(crate::words::renal::line(&f.inputs.renal));
    if let Some(b) = &f.inputs.bsa {
        lines.extend(bsa_lines(b));
    }
    if !f.inputs.before_first_dose.is_empty() {
        let said: Vec<String> = f
            .inputs
            .before_first_dose
            .iter()
            .map(crate::words::pretreatment::line)
            .collect();
        lines.push(format!("- {}", said.join(" ")));
    }
    lines.push(String::new());
    lines.push(SOURCES.into());
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::Sex;
    use crate::rules::mtx_order_check::{evaluate, DoseNotes};
    use crate::rules::test_support::*;
    use crate::clinical::Policy;
    use crate::facts::{Frequency, Route, Schedule};
    use crate::terminology::Concept;
    use crate::words::DETAIL_MAX_LINES;

    /// An S1-like order (BSA 1.82 m², 27.5 mg SC weekly, eGFR 45, no folic
    /// acid) with a long typical order name: its first finding.
    fn s1() -> Found {
        let mut f = with_body(
            patient(&[Concept::Polymyositis]),
            Sex::Female,
            70.0,
            Some(170.0),
        );
        f.labs.push(lab(Concept::Egfr, 45.0, "mL/min/{1.73_m2}"));
        let mut m = mtx(27.5, Route::Subcutaneous);
        m.name = "methotrexate 25 MG/ML Prefilled Syringe [Otrexup] (0.4 mL)".into();
        f.orders.push(m);
        let out = evaluate(&f, &Policy::default());
        // The order's card (eGFR 45: the renal warning, with folic acid and
        // the dose lines folded into it); the tests set the concern, so the
        // folded dose lines are left out.
        out.findings
            .iter()
            .map(|c| Found {
                dose_notes: None,
                ..c.what.clone()
            })
            .next()
            .unwrap()
    }

    fn every_concern() -> Vec<Concern> {
        let rec = |s: &str| s.to_string();
        vec![
            Concern::Daily {
                frequency: Frequency::of(Schedule::DAILY, crate::facts::Certainty::Coded),
            },
            Concern::FrequencyUnknown {
                note: Some(crate::facts::FrequencyNote::Conflicting),
            },
            Concern::RenalAvoid { avoid_below: 30.0 },
            Concern::RenalReduce {
                avoid_below: 30.0,
                reduce_below: 60.0,
                reduced_max: 12.5,
            },
            Concern::DoseSlip {
                slip_per_week: 80.0,
                slip_per_dose: 1000.0,
                max_per_week: 40.0,
            },
            Concern::AboveMax {
                per_week_mg: 42.5,
                max_per_week: 40.0,
            },
            Concern::Liver {
                on_record: rec("Alcoholic cirrhosis of liver"),
                onset: None,
                cirrhosis: true,
            },
            Concern::Liver {
                on_record: rec("Chronic hepatitis C"),
                onset: Some(days_ago(400)),
                cirrhosis: false,
            },
            Concern::Alcohol {
                on_record: rec("Alcohol use disorder, moderate"),
                onset: None,
            },
            Concern::Ild {
                on_record: rec("Interstitial lung disease due to systemic sclerosis"),
                onset: None,
            },
            Concern::PregnancyPlanning {
                on_record: rec("Planning pregnancy"),
                onset: None,
            },
            Concern::TmpSmx {
                name: rec("sulfamethoxazole 800 MG / trimethoprim 160 MG Oral Tablet"),
                ds_per_day: Some(2.0),
                treatment: true,
            },
            Concern::TmpSmx {
                name: rec("sulfamethoxazole 800 MG / trimethoprim 160 MG Oral Tablet"),
                ds_per_day: None,
                treatment: false,
            },
            Concern::Pretreatment {
                blocking: vec![crate::clinical::pretreatment::Line::new(
                    crate::clinical::pretreatment::LineKind::HbvPositive,
                    crate::terminology::medication::Drug::Methotrexate,
                    crate::clinical::pretreatment::Said::HbvPositive {
                        test: crate::clinical::pretreatment::HbvTest::SurfaceAntigen,
                        date: chrono::NaiveDate::from_ymd_opt(2026, 11, 1),
                    },
                )],
            },
            Concern::Duplicate {
                others: vec![(
                    "0.8 ML methotrexate 25 MG/ML Prefilled Syringe".into(),
                    Route::Subcutaneous,
                    Some(20.0),
                )],
                total_per_week: Some(47.5),
            },
            Concern::Dose(DoseNotes {
                range: Some(Side::Below),
                renal_reduced: None,
                usual: (15.0, 25.0),
                above_usual_max: None,
                oral: true,
            }),
            Concern::Dose(DoseNotes {
                range: None,
                renal_reduced: Some(12.5),
                usual: (15.0, 25.0),
                above_usual_max: None,
                oral: true,
            }),
            Concern::Dose(DoseNotes {
                range: None,
                renal_reduced: None,
                usual: (15.0, 25.0),
                above_usual_max: Some(25.0),
                oral: true,
            }),
            Concern::FolicAcid,
        ]
    }

    #[test]
    fn every_concern_reads_within_budget() {
        let base = s1();
        assert_eq!(base.folic_acid_mg, Some(1.0));
        for concern in every_concern() {
            let f = Found {
                concern: concern.clone(),
                ..base.clone()
            };
            let t = f.words();
            assert!(
                t.summary.chars().count() <= SUMMARY_MAX && !t.summary.contains('…'),
                "{concern:?}: {}",
                t.summary
            );
            let lines = t.detail.lines().filter(|l| !l.trim().is_empty()).count();
            // Room left for the notes `evaluate` appends.
            assert!(
                lines <= DETAIL_MAX_LINES - 2,
                "{concern:?}: {lines}\n{}",
                t.detail
            );
            for bad in [
                "MedicationRequest",
                "Observation/",
                "{",
                "REFERENCE",
                "POLICY",
            ] {
                assert!(
                    !t.detail.contains(bad) && !t.summary.contains(bad),
                    "{bad}: {}",
                    t.detail
                );
            }
            // Figures: BSA 1.82 m², range 27.3–36.4 mg, ordered 15.1 mg/m²;
            // the order and the folic acid line in every card.
            for want in [
                "**1.82 m²**",
                "27.3–36.4 mg/week",
                "**27.5–35 mg/week**",
                "**15.1 mg/m²/week**",
                "= **27.5 mg/week**",
                "eGFR 45 mL/min/1.73 m²",
                "folic acid 1 mg daily",
                "Saag et al. 2008",
            ] {
                assert!(t.detail.contains(want), "{concern:?}: {want}\n{}", t.detail);
            }
        }
    }

    #[test]
    fn summaries_state_the_figure_and_the_advice() {
        let base = s1();
        let words = |c: Concern| {
            Found {
                concern: c,
                ..base.clone()
            }.words()
        };
        let t = words(Concern::RenalReduce {
            avoid_below: 30.0,
            reduce_below: 60.0,
            reduced_max: 12.5,
        });
        assert_eq!(
            t.summary,
            "eGFR 45 (30–59): reduce methotrexate to ≤12.5 mg/week and monitor closely"
        );
        assert!(t.detail.contains("at most 12.5 mg/week"), "{}", t.detail);
        assert!(t.detail.contains("ordered 27.5 mg/week"), "{}", t.detail);
        let t = words(Concern::Dose(DoseNotes {
            range: None,
            renal_reduced: None,
            usual: (15.0, 25.0),
            above_usual_max: Some(25.0),
            oral: false,
        }));
        assert_eq!(
            t.summary,
            "Methotrexate 27.5 mg/week is above the usual adult maximum of 25 mg/week: confirm; \
             add folic acid 1 mg daily"
        );
        // Below the usual adult dose: one yardstick, mg/week, with the
        // guidance's mg/m² shown as a calculation capped at 25.
        let t = words(Concern::Dose(DoseNotes {
            range: Some(Side::Below),
            renal_reduced: None,
            usual: (15.0, 25.0),
            above_usual_max: None,
            oral: true,
        }));
        assert!(
            t.summary.contains("add folic acid 1 mg daily"),
            "{}",
            t.summary
        );
        assert!(
            t.summary.contains("below usual 15–25 mg/week"),
            "{}",
            t.summary
        );
        assert!(
            t.detail.contains("15–20 mg/m²/week is 27.3–36.4 mg/week")
                && t.detail
                    .contains("capped at the usual adult maximum of 25 mg/week"),
            "{}",
            t.detail
        );
        let t = words(Concern::RenalAvoid { avoid_below: 30.0 });
        assert_eq!(
            t.summary,
            "eGFR 45 (below 30): avoid methotrexate; consider azathioprine or mycophenolate"
        );
        // Record text is escaped.
        let mut f = base.clone();
        f.order.name = "methotrexate *2.5* [mg]".into();
        assert!(f.words().detail.contains(r"methotrexate \*2.5\* \[mg\]"));
    }

    #[test]
    fn folic_acid_alone() {
        let f = Found {
            concern: Concern::FolicAcid,
            ..s1()
        };
        let t = f.words();
        assert_eq!(
            t.summary,
            "No folic acid on file: add folic acid 1 mg daily with methotrexate"
        );
        assert!(
            t.detail.contains("adds folic acid 1 mg daily"),
            "{}",
            t.detail
        );
        assert!(!t.detail.contains("(suggested)"));
    }
}
