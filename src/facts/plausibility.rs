//! Which weights and heights doses may be computed from.
//!
//! POLICY (second edition, "Plausible adult figures"; "Weight jump and unit
//! slips"): "Weight 25–350 kg, height 120–230 cm, BMI 12–70. A figure outside
//! is 'implausible': no weight- or BSA-based dose is computed or suggested
//! from it, and one card names the figure and asks to verify it." "The newest
//! weight is 'unconfirmed' when it differs by more than 20 % from the median
//! of the weights of the previous 30 days, or is 2.2× or 0.45× (±5 %) any
//! weight of the last 12 months (lb entered as kg, or the reverse). Doses are
//! not computed from an unconfirmed weight."
//! (Figures are the settings in [`DataLimits`].)

use super::{DataLimits, Reading};

/// Whether doses may be computed from a figure.
#[derive(Debug, Clone, PartialEq)]
pub enum Trust {
    Plausible,
    /// Outside the plausible range, or with an implausible BMI: the reason.
    Implausible(String),
    /// A jump or a likely unit slip against earlier weights: the reason.
    Unconfirmed(String),
}

impl Trust {
    pub fn is_usable(&self) -> bool {
        matches!(self, Trust::Plausible)
    }
    pub fn reason(&self) -> Option<&str> {
        match self {
            Trust::Plausible => None,
            Trust::Implausible(r) | Trust::Unconfirmed(r) => Some(r),
        }
    }
}

fn median(mut v: Vec<f64>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let m = v.len() / 2;
    Some(if v.len().is_multiple_of(2) {
        (v[m - 1] + v[m]) / 2.0
    } else {
        v[m]
    })
}

fn in_range(v: f64, lo: f64, hi: f64) -> bool {
    v.is_finite() && v >= lo && v <= hi
}

/// Marks each reading's trust. `weights` and `heights` are newest first.
pub fn assess(weights: &mut [Reading], heights: &mut [Reading], l: &DataLimits) {
    for w in weights.iter_mut() {
        if !in_range(w.value, l.weight_min_kg, l.weight_max_kg) {
            w.trust = Trust::Implausible(format!(
                "outside the plausible adult range {}–{} kg",
                crate::text::amount(l.weight_min_kg),
                crate::text::amount(l.weight_max_kg)
            ));
        }
    }
    for h in heights.iter_mut() {
        if !in_range(h.value, l.height_min_cm, l.height_max_cm) {
            h.trust = Trust::Implausible(format!(
                "outside the plausible adult range {}–{} cm",
                crate::text::amount(l.height_min_cm),
                crate::text::amount(l.height_max_cm)
            ));
        }
    }
    if let Some((newest, older)) = weights.split_first_mut() {
        if newest.trust.is_usable() {
            if let Some(why) = jump_or_slip(newest, older, l) {
                newest.trust = Trust::Unconfirmed(why);
            }
        }
    }
    if let (Some(w), Some(h)) = (weights.first_mut(), heights.first_mut()) {
        if w.trust.is_usable() && h.trust.is_usable() {
            let bmi = w.value / (h.value / 100.0).powi(2);
            if !in_range(bmi, l.bmi_min, l.bmi_max) {
                let why = format!(
                    "weight {} kg and height {} cm give a BMI of {}, outside the plausible range {}–{}",
                    crate::text::measured(w.value),
                    crate::text::measured(h.value),
                    crate::text::fig(bmi),
                    crate::text::amount(l.bmi_min),
                    crate::text::amount(l.bmi_max)
                );
                w.trust = Trust::Implausible(why.clone());
                h.trust = Trust::Implausible(why);
            }
        }
    }
}

fn jump_or_slip(newest: &Reading, older: &[Reading], l: &DataLimits) -> Option<String> {
    let d0 = newest.date?;
    let within = |r: &&Reading, days: f64| {
        r.trust.is_usable()
            && r.date.is_some_and(|d| {
                let age = (d0 - d).num_days() as f64;
                (0.0..=days).contains(&age)
            })
    };
    let recent: Vec<f64> = older
        .iter()
        .filter(|r| within(r, l.weight_jump_window_days))
        .map(|r| r.value)
        .collect();
    if let Some(m) = median(recent) {
        let pct = (newest.value - m).abs() / m * 100.0;
        if pct > l.weight_jump_pct {
            return Some(format!(
                "differs by {} % from the median ({} kg) of the weights of the previous {} days (more than {} %)",
                crate::text::amount(pct.round()),
                crate::text::measured(m),
                crate::text::amount(l.weight_jump_window_days),
                crate::text::amount(l.weight_jump_pct)
            ));
        }
    }
    let tol = l.unit_slip_tolerance_pct / 100.0;
    for r in older.iter().filter(|r| within(r, l.unit_slip_window_days)) {
        let ratio = newest.value / r.value;
        for (target, what) in [
            (l.unit_slip_ratio, "pounds entered as kilograms?"),
            (l.unit_slip_inverse_ratio, "kilograms entered as pounds?"),
        ] {
            if (ratio - target).abs() <= target * tol {
                return Some(format!(
                    "is {}× the weight of {} ({} kg): {what}",
                    crate::text::fig(ratio),
                    r.date
                        .map_or_else(|| "an earlier date".into(), |d| d.to_string()),
                    crate::text::measured(r.value)
                ));
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn r(kg: f64, days_ago: i64) -> Reading {
        let today = NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
        Reading {
            value: kg,
            original_value: kg,
            original_unit: "kg".into(),
            date: Some(today - chrono::Duration::days(days_ago)),
            source: "Observation/w".into(),
            trust: Trust::Plausible,
        }
    }

    /// Kind of trust the newest weight gets.
    #[derive(Debug, PartialEq)]
    enum Want {
        Ok,
        Implausible,
        Unconfirmed,
    }

    #[test]
    fn weight_and_height_table() {
        use Want::*;
        // (weights newest first as (kg, days ago), height cm, want for the newest weight)
        type Case = (&'static [(f64, i64)], Option<f64>, Want);
        let cases: &[Case] = &[
            (&[(70.0, 1)], Some(170.0), Ok),
            // 700 kg: a typo for 70.0.
            (&[(700.0, 1), (70.0, 40)], Some(170.0), Implausible),
            // 70 g read as 0.07 kg; 0.001 kg.
            (&[(0.07, 1)], Some(170.0), Implausible),
            (&[(0.001, 1)], None, Implausible),
            (&[(25.0, 1)], None, Ok),
            (&[(24.9, 1)], None, Implausible),
            (&[(350.0, 1)], None, Ok),
            (&[(350.1, 1)], None, Implausible),
            (&[(f64::MAX, 1)], None, Implausible),
            (&[(-70.0, 1)], None, Implausible),
            // A 25 % jump against the median of the previous 30 days.
            (
                &[(87.5, 0), (70.0, 10), (70.0, 20), (71.0, 25)],
                Some(170.0),
                Unconfirmed,
            ),
            // 19 %: plausible.
            (&[(83.3, 0), (70.0, 10)], Some(170.0), Ok),
            // An old weight does not count for the jump ...
            (&[(87.5, 0), (70.0, 40)], Some(170.0), Ok),
            // ... but a lb/kg slip is caught over 12 months: 154 "kg" after 70 kg.
            (&[(154.0, 0), (70.0, 200)], Some(170.0), Unconfirmed),
            // The reverse: 31.8 kg after 70 kg (0.45×).
            (&[(31.8, 0), (70.0, 200)], None, Unconfirmed),
            // Over 12 months: not compared.
            (&[(154.0, 0), (70.0, 400)], Some(170.0), Ok),
            // BMI 12–70: 50 kg at 230 cm is 9.5.
            (&[(50.0, 1)], Some(230.0), Implausible),
            // Height 1 cm (implausible height: the weight stays usable).
            (&[(70.0, 1)], Some(1.0), Ok),
        ];
        for (weights, height, want) in cases {
            let mut ws: Vec<Reading> = weights.iter().map(|(kg, d)| r(*kg, *d)).collect();
            let mut hs: Vec<Reading> = height.iter().map(|h| r(*h, 1)).collect();
            assess(&mut ws, &mut hs, &DataLimits::default());
            let got = match &ws[0].trust {
                Trust::Plausible => Ok,
                Trust::Implausible(_) => Implausible,
                Trust::Unconfirmed(_) => Unconfirmed,
            };
            assert_eq!(&got, want, "{weights:?} {height:?}: {:?}", ws[0].trust);
        }
    }

    #[test]
    fn heights_out_of_range() {
        for (cm, ok) in [
            (1.0, false),
            (119.9, false),
            (120.0, true),
            (230.0, true),
            (300.0, false),
        ] {
            let mut hs = vec![r(cm, 1)];
            assess(&mut [], &mut hs, &DataLimits::default());
            assert_eq!(hs[0].trust.is_usable(), ok, "{cm}");
        }
    }
}
