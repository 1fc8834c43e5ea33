//! Words for the `intensify` rule.

use crate::words::{amount, date, fig, md, summary, Text, Words};
use crate::rules::intensify::{Found, Ivig};
use crate::facts::units::plain;

impl Words for Found {
    fn words(&self) -> Text {
        let f = self;
        let g = &f.figures;
        let excluded = f.teratogens_excluded.is_some();
        let summary = summary(format!(
            "{} weeks on corticosteroids and not controlled: review intensification ({})",
            amount(f.weeks),
            if excluded {
                "IVIG, rituximab"
            } else {
                "IVIG, MMF, rituximab"
            }
        ));
        let mut reasons = vec![];
        if let Some(ck) = &f.ck {
            reasons.push(format!(
                "CK {} {} above the upper limit {} ({})",
                amount(ck.value),
                md(&plain(&ck.unit)),
                amount(ck.upper_limit),
                date(ck.date)
            ));
        }
        if let Some((new, active)) = f.escalation {
            reasons.push(format!(
                "corticosteroid escalation: new {} mg/day vs active {} mg/day prednisone-equivalent",
                fig(new),
                fig(active)
            ));
        }
        let ivig = match &*f.ivig {
            Ivig::Course {
                weight,
                sex,
                height_cm,
                low_g,
                high_g,
            } => format!(
                "- **IVIG** {}–{} g/kg × {} kg = **{}–{} g per course**, over {} consecutive days ({}–{} g/day); \
                 for dysphagia, weight loss, severe rash or weakness, or when rapid onset is needed; lower \
                 infection risk. {}.",
                amount(g.ivig_g_per_kg_low),
                amount(g.ivig_g_per_kg_high),
                fig(weight.dosing),
                fig(*low_g),
                fig(*high_g),
                amount(g.ivig_days),
                fig(low_g / g.ivig_days),
                fig(high_g / g.ivig_days),
                crate::words::capitalise(&crate::rules::steroid_sparing::words::dosing_weight(weight, *sex, *height_cm)),
            ),
            Ivig::NotComputed => format!(
                "- **IVIG** {}–{} g/kg dosing weight over {} days: not computed (needs weight, height and sex).",
                amount(g.ivig_g_per_kg_low),
                amount(g.ivig_g_per_kg_high),
                amount(g.ivig_days)
            ),
        };
        let (mmf, cyc) = match &f.teratogens_excluded {
            Some(r) => {
                let why = format!(
                    "not an option here ({})",
                    crate::rules::steroid_sparing::words::teratogen(r)
                );
                (
                    format!("- **Mycophenolate mofetil**: {why}."),
                    format!("- **Cyclophosphamide**: {why}."),
                )
            }
            None => (
                format!(
                    "- **Mycophenolate mofetil** (severe or MTX-refractory/intolerant disease; muscle and skin), \
                     e.g. {} mg twice daily initially.",
                    amount(g.mmf_start_mg)
                ),
                format!(
                    "- **Cyclophosphamide** every {} weeks for {}–{} months, reserved for severe interstitial \
                     lung disease or refractory disease{}.",
                    amount(g.cyc_interval_weeks),
                    amount(g.cyc_months_min),
                    amount(g.cyc_months_max),
                    if f.ild {
                        " (interstitial lung disease is on record)"
                    } else {
                        ""
                    }
                ),
            ),
        };
        let detail = format!(
            "**Intensification review.** On systemic corticosteroids since {} ({} weeks); inadequate response: {}.\n\n\
             Options (guidance):\n{ivig}\n{mmf}\n\
             - **Rituximab** {} mg, two doses {} weeks apart; can take up to {} weeks to work: plan accordingly.\n{cyc}\n\n\
             Sources: guidance (severe or refractory disease); Devine 1974 (ideal body weight).",
            f.since,
            amount(f.weeks),
            reasons.join("; "),
            amount(g.rtx_dose_mg),
            amount(g.rtx_interval_weeks),
            amount(g.rtx_onset_weeks),
        );
        Text { summary, detail }
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::intensify::{evaluate, Ivig};
    use crate::rules::test_support::*;
    use crate::clinical::Policy;
    use crate::facts::{Facts, Sex};
    use crate::terminology::Concept;
    use crate::words::{DETAIL_MAX_LINES, SUMMARY_MAX};

    fn facts(cm: Option<f64>, extra: Option<Concept>, new_mg: Option<f64>) -> Facts {
        let mut f = with_body(patient(&[Concept::Polymyositis]), Sex::Female, 60.0, cm);
        if let Some(c) = extra {
            f.diagnoses.push(dx(c, 7));
        }
        let mut a = prednisone(20.0);
        a.reference = "MedicationRequest/active".into();
        a.authored = Some(days_ago(13 * 7));
        f.active_meds.push(a);
        let mut l = lab(Concept::Ck, 900.0, "U/L");
        l.upper_limit = Some(200.0);
        f.labs.push(l);
        if let Some(mg) = new_mg {
            let mut o = prednisone(mg);
            o.replaces = vec!["MedicationRequest/active".into()];
            f.orders.push(o);
        }
        f
    }

    fn checked(f: &Facts) -> (String, String, crate::rules::intensify::Found) {
        let card = evaluate(f, &Policy::default()).findings.remove(0);
        let (s, d) = (card.summary(), card.detail());
        assert!(s.chars().count() <= SUMMARY_MAX, "{s}");
        assert!(
            d.lines().filter(|l| !l.trim().is_empty()).count() <= DETAIL_MAX_LINES,
            "{d}"
        );
        for bad in ["Observation/", "MedicationRequest/", "Condition/", "{"] {
            assert!(!d.contains(bad), "{bad}: {d}");
        }
        let found = card.what;
        (s, d, found)
    }

    #[test]
    fn course_reasons_and_options() {
        let (s, d, found) = checked(&facts(Some(165.0), Some(Concept::Ild), Some(40.0)));
        assert_eq!(
            s,
            "13 weeks on corticosteroids and not controlled: review intensification (IVIG, MMF, rituximab)"
        );
        assert_eq!(found.escalation, Some((40.0, 20.0)));
        assert!(
            d.contains("CK 900 U/L above the upper limit 200 (2026-11-19)"),
            "{d}"
        );
        assert!(d.contains("new 40 mg/day vs active 20 mg/day"), "{d}");
        // 56.9 kg dosing weight: 56.9–114 g, 28.5–56.9 g/day.
        assert!(
            d.contains("1–2 g/kg × 56.9 kg = **56.9–114 g per course**"),
            "{d}"
        );
        assert!(d.contains("(28.5–56.9 g/day)"), "{d}");
        assert!(d.contains("Devine, female, 65 in"), "{d}");
        assert!(
            d.contains("(interstitial lung disease is on record)"),
            "{d}"
        );
    }

    #[test]
    fn not_computed_and_no_teratogen() {
        let (s, d, found) = checked(&facts(None, Some(Concept::PregnancyPlanning), None));
        assert_eq!(*found.ivig, Ivig::NotComputed);
        assert!(s.ends_with("(IVIG, rituximab)"), "{s}");
        assert!(
            d.contains("not computed (needs weight, height and sex)"),
            "{d}"
        );
        assert!(
            d.contains("**Mycophenolate mofetil**: not an option here (pregnancy planning (PregnancyPlanning))"),
            "{d}"
        );
    }
}
