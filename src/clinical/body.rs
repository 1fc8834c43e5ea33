//! Body-size formulas and dose rounding (REFERENCE.md 3).

use crate::facts::Sex;

/// Mosteller BSA, m² = √(height cm × weight kg / 3600). Mosteller, NEJM 1987.
pub fn bsa_mosteller(height_cm: f64, weight_kg: f64) -> f64 {
    (height_cm * weight_kg / 3600.0).sqrt()
}

/// Ideal body weight by Devine (1974): 50 kg (male) or 45.5 kg (female)
/// plus 2.3 kg per inch over 60 in. Below 60 in the formula is extrapolated
/// (minus 2.3 kg per inch, POLICY.md). `None` when that leaves nothing.
pub fn ibw_devine(sex: Sex, height_cm: f64) -> Option<f64> {
    let base = match sex {
        Sex::Male => 50.0,
        Sex::Female => 45.5,
    };
    let ibw = base + 2.3 * (height_cm / 2.54 - 60.0);
    (ibw > 0.0).then_some(ibw)
}

/// Dosing weight for azathioprine and IVIG: ideal body weight, or actual
/// weight if that is lower (POLICY.md).
pub fn dosing_weight(ibw: f64, actual_kg: f64) -> f64 {
    ibw.min(actual_kg)
}

const EPS: f64 = 1e-9;

/// Nearest multiple of `step` (halves round up).
pub fn round_to(x: f64, step: f64) -> f64 {
    ((x / step) + EPS).round() * step
}
/// Smallest multiple of `step` ≥ x.
pub fn ceil_to(x: f64, step: f64) -> f64 {
    ((x / step) - EPS).ceil() * step
}
/// Largest multiple of `step` ≤ x.
pub fn floor_to(x: f64, step: f64) -> f64 {
    ((x / step) + EPS).floor() * step
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    #[test]
    fn bsa_worked_cases() {
        // (height cm, weight kg, BSA) from scenarios.json.
        let cases = [
            (170.0, 70.0, 1.818),    // S1
            (162.56, 69.853, 1.776), // S2 (64 in, 154 lb)
            (180.0, 90.0, 2.121),    // S5
        ];
        for (h, w, want) in cases {
            assert!(close(bsa_mosteller(h, w), want, 0.0005), "{h} {w}");
        }
    }

    #[test]
    fn ibw_worked_cases() {
        // (sex, height cm, IBW kg)
        let cases = [
            (Sex::Male, 152.4, Some(50.0)), // exactly 60 in
            (Sex::Female, 152.4, Some(45.5)),
            (Sex::Male, 180.0, Some(75.0)), // 70.87 in: 50 + 2.3 × 10.87 = 75.0
            (Sex::Female, 162.56, Some(54.7)), // 64 in: 45.5 + 9.2
            (Sex::Female, 147.32, Some(40.9)), // 58 in: extrapolated 45.5 − 4.6
            (Sex::Female, 50.0, None),      // nothing left
        ];
        for (sex, h, want) in cases {
            let got = ibw_devine(sex, h);
            match (got, want) {
                (Some(g), Some(w)) => assert!(close(g, w, 0.05), "{sex:?} {h}: {g}"),
                (g, w) => assert_eq!(g, w),
            }
        }
        assert_eq!(dosing_weight(75.0, 60.0), 60.0);
        assert_eq!(dosing_weight(75.0, 90.0), 75.0);
    }

    #[test]
    fn rounding() {
        assert_eq!(round_to(34.93, 5.0), 35.0); // S2 target
        assert_eq!(round_to(35.0, 5.0), 35.0);
        assert_eq!(round_to(32.5, 5.0), 35.0);
        assert_eq!(round_to(32.4, 5.0), 30.0);
        assert_eq!(ceil_to(27.27, 2.5), 27.5); // S1 achievable range
        assert_eq!(floor_to(36.36, 2.5), 35.0);
        assert_eq!(ceil_to(27.5, 2.5), 27.5);
        assert_eq!(ceil_to(27.500000000000004, 2.5), 27.5);
        assert_eq!(round_to(137.5, 25.0), 150.0);
    }
}

/// The weights azathioprine and IVIG are dosed by, with the method shown.
#[derive(Debug, Clone, PartialEq)]
pub struct DosingWeight {
    pub actual: f64,
    pub ibw: f64,
    /// Ideal body weight, or actual if lower (POLICY.md).
    pub dosing: f64,
    /// IBW + 0.4 × (actual − IBW) (REFERENCE.md 3), shown for obese patients.
    pub adjusted: f64,
    /// The height the ideal body weight came from.
    pub height: crate::facts::Reading,
    /// The sex the ideal body weight came from.
    pub sex: Sex,
}

/// Dosing weight from the facts, or the figure that is missing.
pub fn dosing_weight_of(
    facts: &crate::facts::Facts,
) -> Result<DosingWeight, crate::clinical::Figure> {
    use crate::clinical::Figure;
    let w = facts.weight().ok_or(Figure::Weight)?;
    let h = facts.height().ok_or(Figure::Height)?;
    let sex = facts.sex.ok_or(Figure::Sex)?;
    let ibw = ibw_devine(sex, h.value).ok_or(Figure::Height)?;
    let dosing = dosing_weight(ibw, w.value);
    let adjusted = ibw + 0.4 * (w.value - ibw);
    Ok(DosingWeight {
        actual: w.value,
        ibw,
        dosing,
        adjusted,
        height: h.clone(),
        sex,
    })
}

/// The weight a rule used, with what a clinician must know about it: its age
/// when older than the policy allows, future-dated weights set aside, and a
/// previous weight that disagrees. Typed, for the words to state.
#[derive(Debug, Clone, PartialEq)]
pub struct WeightUsed {
    pub reading: crate::facts::Reading,
    /// Days old, when older than `max_age_days`.
    pub stale_days: Option<i64>,
    pub max_age_days: f64,
    /// Weights dated after today, not used.
    pub future: Vec<crate::facts::Ignored>,
    /// The previous usable weight, when it differs by more than
    /// `conflict_pct`: (reading, difference in %).
    pub disagrees: Option<(crate::facts::Reading, f64)>,
    pub conflict_pct: f64,
}

impl WeightUsed {
    /// The trusted weight of `facts`, if any.
    pub fn of(facts: &crate::facts::Facts, policy: &crate::clinical::Policy) -> Option<Self> {
        facts.weight().map(|w| Self::from(w, facts, policy))
    }

    pub fn from(
        w: &crate::facts::Reading,
        facts: &crate::facts::Facts,
        policy: &crate::clinical::Policy,
    ) -> Self {
        let stale_days = w
            .date
            .map(|d| (facts.today - d).num_days())
            .filter(|days| *days as f64 > policy.weight_max_age_days);
        let disagrees = facts
            .weights
            .iter()
            .skip(1)
            .find(|p| p.trust.is_usable())
            .map(|p| (p.clone(), (w.value - p.value).abs() / p.value * 100.0))
            .filter(|(_, diff)| *diff > policy.weight_conflict_pct);
        WeightUsed {
            reading: w.clone(),
            stale_days,
            max_age_days: policy.weight_max_age_days,
            future: facts.ignored("weight").cloned().collect(),
            disagrees,
            conflict_pct: policy.weight_conflict_pct,
        }
    }
}
