//! Current renal function, and where it comes from.
//!
//! POLICY (second edition, "Renal function"): "The newest of: a measured
//! eGFR (creatinine–cystatin C 98980-6 preferred when same day; race-specific
//! codes 48643-1, 48642-3, 88293-6, 88294-4 ignored) and an eGFR computed
//! with CKD-EPI 2021 (race-free; needs age and sex) from a newer creatinine;
//! if both are within 7 days of each other, the lower. Not current →
//! 'unknown'. CKD stage 4–5 or dialysis on the problem list counts as eGFR
//! < 30 whatever the lab says. A creatinine rise of ≥ 30 % and ≥ 0.3 mg/dL
//! within 90 days makes renal function 'unstable'."
//!
//! POLICY third edition ("Renal function (correction)"): a measured eGFR and
//! a creatinine-derived eGFR within 7 days of each other: the lower wins,
//! whichever is newer, and the card shows both. A measured eGFR with a
//! comparator ("> 60") is read as its bound ("> 60" at least 60, "< 15" below
//! 15) and shown as sent; a creatinine with a comparator computes nothing.
//!
//! CKD-EPI 2021 (Inker et al., NEJM 2021): eGFR = 142 × min(Scr/κ, 1)^α ×
//! max(Scr/κ, 1)^−1.200 × 0.9938^age × 1.012 (female); κ = 0.7 (female) or
//! 0.9 (male), α = −0.241 (female) or −0.302 (male); adults only.

use chrono::NaiveDate;

use super::{units, Comparator, DataLimits, Diagnosis, Lab, Sex};
use crate::terminology::Concept;

/// Race-specific eGFR codes, never used (race-free equations only).
const RACE_SPECIFIC: &[&str] = &["48643-1", "48642-3", "88293-6", "88294-4"];
/// eGFR from creatinine and cystatin C, preferred on the same day.
const CREATININE_CYSTATIN: &str = "98980-6";

/// Where the current eGFR comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum RenalSource {
    /// A laboratory eGFR.
    Measured { label: String },
    /// CKD-EPI 2021 from a creatinine newer than any measured eGFR.
    Computed {
        creatinine_mg_dl: f64,
        age: u32,
        sex: Sex,
    },
}

/// A current eGFR (mL/min/1.73 m²).
#[derive(Debug, Clone, PartialEq)]
pub struct Egfr {
    /// As recorded (a measured one) or computed.
    pub value: f64,
    /// A measured eGFR sent as a bound ("> 60").
    pub comparator: Option<Comparator>,
    pub date: Option<NaiveDate>,
    pub source: RenalSource,
}

impl Egfr {
    /// The figure thresholds are compared with: "> 60" and "≥ 60" count as
    /// 60 (at least 60), "< 15" as just below 15, "≤ 15" as 15.
    pub fn for_thresholds(&self) -> f64 {
        match self.comparator {
            Some(Comparator::Below) => self.value - 1e-6,
            _ => self.value,
        }
    }
}

/// Why no current eGFR is known.
#[derive(Debug, Clone, PartialEq)]
pub enum Unknown {
    /// Nothing on renal function was read.
    NothingOnFile,
    /// The newest eGFR is older than `days`.
    Stale { egfr: Egfr, days: f64 },
    /// A creatinine, but no age to compute an eGFR.
    NoAge,
    /// A creatinine, but no sex to compute an eGFR.
    NoSex,
    /// A creatinine of a child: CKD-EPI 2021 is for adults.
    Minor,
    /// No eGFR or creatinine on file.
    NoEgfrOrCreatinine,
}

/// A recent creatinine rise (mg/dL, from the lowest of the window to the
/// newest, with the percentage).
#[derive(Debug, Clone, PartialEq)]
pub struct Rise {
    pub from_mg_dl: f64,
    pub from: NaiveDate,
    pub to_mg_dl: f64,
    pub to: NaiveDate,
    pub pct: f64,
}

/// What is known of renal function today.
#[derive(Debug, Clone, PartialEq)]
pub struct RenalFunction {
    /// The current eGFR, when there is one.
    pub egfr: Option<Egfr>,
    /// The other eGFR within the pairing window (measured and computed
    /// within 7 days): the higher one, not used, shown beside it.
    pub paired: Option<Box<Egfr>>,
    /// The pairing window in days (`egfr_pair_days`).
    pub pair_days: f64,
    /// CKD stage 4–5 or dialysis on the problem list (its label): counts as
    /// an eGFR below 30 whatever the lab says.
    pub severe_ckd: Option<String>,
    /// Why no current eGFR is known.
    pub unknown_reason: Option<Unknown>,
    /// A recent creatinine rise.
    pub unstable: Option<Rise>,
    /// eGFR or creatinine results dated in the future, left out.
    pub ignored_future: Vec<super::Ignored>,
}

/// The eGFR the problem list implies (stage 4–5: below 30).
pub const SEVERE_CKD_EGFR: f64 = 29.0;

impl RenalFunction {
    pub fn unknown() -> Self {
        RenalFunction {
            egfr: None,
            paired: None,
            pair_days: DataLimits::default().egfr_pair_days,
            severe_ckd: None,
            unknown_reason: Some(Unknown::NothingOnFile),
            unstable: None,
            ignored_future: vec![],
        }
    }

    /// The eGFR to compare with thresholds: the current one, or below 30 for
    /// CKD 4–5 / dialysis on the problem list (the lower of the two).
    pub fn value(&self) -> Option<f64> {
        let lab = self.egfr.as_ref().map(Egfr::for_thresholds);
        match (&self.severe_ckd, lab) {
            (Some(_), Some(v)) => Some(v.min(SEVERE_CKD_EGFR)),
            (Some(_), None) => Some(SEVERE_CKD_EGFR),
            (None, v) => v,
        }
    }

    pub fn is_known(&self) -> bool {
        self.value().is_some()
    }

    /// Below `threshold` (the problem list counts as below 30).
    pub fn is_below(&self, threshold: f64) -> bool {
        self.value().is_some_and(|v| v < threshold)
    }
}

/// CKD-EPI 2021 eGFR (mL/min/1.73 m²) from serum creatinine in mg/dL.
pub fn ckd_epi_2021(creatinine_mg_dl: f64, age: u32, sex: Sex) -> Option<f64> {
    if !(creatinine_mg_dl.is_finite() && creatinine_mg_dl > 0.0) || age < 18 {
        return None;
    }
    let (kappa, alpha, factor) = match sex {
        Sex::Female => (0.7, -0.241, 1.012),
        Sex::Male => (0.9, -0.302, 1.0),
    };
    let r = creatinine_mg_dl / kappa;
    Some(
        142.0
            * r.min(1.0).powf(alpha)
            * r.max(1.0).powf(-1.200)
            * 0.9938f64.powi(age as i32)
            * factor,
    )
}

/// The inputs of [`assess`].
pub struct RenalInputs<'a> {
    pub today: NaiveDate,
    pub labs: &'a [Lab],
    pub diagnoses: &'a [Diagnosis],
    pub age: Option<u32>,
    pub sex: Option<Sex>,
    pub limits: &'a DataLimits,
}

fn creatinines<'a>(labs: &'a [Lab]) -> impl Iterator<Item = (f64, Option<NaiveDate>)> + 'a {
    labs.iter().filter_map(|l| {
        if !l.concepts.contains(&Concept::Creatinine) || l.comparator.is_some() {
            return None;
        }
        let (v, u) = l.quantity.as_ref()?;
        let mg = units::to_mg_per_dl(*v, u)?;
        (mg.is_finite() && mg > 0.0 && mg < 100.0).then_some((mg, l.date))
    })
}

/// Current renal function from the labs (newest first) and problem list.
pub fn assess(i: &RenalInputs<'_>) -> RenalFunction {
    let current = |d: Option<NaiveDate>| {
        d.is_some_and(|d| ((i.today - d).num_days() as f64) <= i.limits.renal_current_days)
    };
    // Newest measured eGFR; on the same day the creatinine–cystatin C one.
    let measured: Vec<(f64, Option<NaiveDate>, &Lab)> = i
        .labs
        .iter()
        .filter(|l| l.concepts.contains(&Concept::Egfr))
        .filter(|l| !RACE_SPECIFIC.iter().any(|c| l.has_code(c)))
        .filter_map(|l| {
            let (v, u) = l.quantity.as_ref()?;
            let v = units::to_egfr(*v, u)?;
            (v.is_finite() && (0.0..1000.0).contains(&v)).then_some((v, l.date, l))
        })
        .collect();
    let newest_measured = measured.first().map(|(_, d, _)| *d).and_then(|d| {
        measured
            .iter()
            .filter(|(_, md, _)| *md == d)
            .max_by_key(|(_, _, l)| l.has_code(CREATININE_CYSTATIN))
            .copied()
    });
    let measured_egfr = newest_measured.map(|(v, date, l)| Egfr {
        value: v,
        comparator: l.comparator,
        date,
        source: RenalSource::Measured {
            label: l.label.clone(),
        },
    });
    let apart = |a: Option<NaiveDate>, b: Option<NaiveDate>| match (a, b) {
        (Some(a), Some(b)) => (b - a).num_days().abs() as f64,
        _ => f64::INFINITY,
    };
    let newest_creatinine = creatinines(i.labs).next();
    // The newest creatinine counts when newer than the newest measured eGFR,
    // or within the pairing window of it (older or newer: the lower wins).
    let computed = newest_creatinine.and_then(|(mg, date)| {
        let usable = match &measured_egfr {
            Some(m) => {
                date.is_some() && (date > m.date || apart(m.date, date) <= i.limits.egfr_pair_days)
            }
            None => true,
        };
        if !usable {
            return None;
        }
        let (age, sex) = (i.age?, i.sex?);
        Some(Egfr {
            value: ckd_epi_2021(mg, age, sex)?,
            comparator: None,
            date,
            source: RenalSource::Computed {
                creatinine_mg_dl: mg,
                age,
                sex,
            },
        })
    });
    let mut paired = None;
    let chosen = match (measured_egfr, computed) {
        (Some(m), Some(c)) if apart(m.date, c.date) <= i.limits.egfr_pair_days => {
            // Within the window: the lower, whichever is newer; the other shown.
            let (low, high) = if m.for_thresholds() <= c.for_thresholds() {
                (m, c)
            } else {
                (c, m)
            };
            paired = Some(Box::new(high));
            Some(low)
        }
        (m, c) => c.or(m),
    };
    let mut unknown_reason = None;
    let egfr = match chosen {
        Some(e) if current(e.date) => Some(e),
        Some(e) => {
            unknown_reason = Some(Unknown::Stale {
                egfr: e,
                days: i.limits.renal_current_days,
            });
            None
        }
        None => {
            unknown_reason = Some(match (newest_creatinine, i.age, i.sex) {
                (Some(_), None, _) => Unknown::NoAge,
                (Some(_), _, None) => Unknown::NoSex,
                (Some(_), Some(a), _) if a < 18 => Unknown::Minor,
                _ => Unknown::NoEgfrOrCreatinine,
            });
            None
        }
    };
    let severe_ckd = i
        .diagnoses
        .iter()
        .find(|d| d.active && d.concepts.contains(&Concept::CkdSevere))
        .map(|d| d.label.clone());
    if egfr.is_none() {
        paired = None;
    }
    RenalFunction {
        egfr,
        paired,
        pair_days: i.limits.egfr_pair_days,
        severe_ckd,
        unknown_reason,
        unstable: unstable(i),
        ignored_future: vec![],
    }
}

/// A creatinine rise of both ≥ the percentage and ≥ the absolute figure over
/// the lowest creatinine of the window before the newest, when the newest is current.
fn unstable(i: &RenalInputs<'_>) -> Option<Rise> {
    let l = i.limits;
    let all: Vec<(f64, NaiveDate)> = creatinines(i.labs)
        .filter_map(|(v, d)| Some((v, d?)))
        .collect();
    let (newest, d0) = *all.first()?;
    if ((i.today - d0).num_days() as f64) > l.renal_current_days {
        return None;
    }
    let (base, base_date) = all[1..]
        .iter()
        .filter(|(_, d)| {
            let age = (d0 - *d).num_days() as f64;
            age > 0.0 && age <= l.creatinine_unstable_window_days
        })
        .min_by(|a, b| a.0.total_cmp(&b.0))
        .copied()?;
    let rise = newest - base;
    let pct = rise / base * 100.0;
    (rise >= l.creatinine_unstable_mg_dl - 1e-9 && pct >= l.creatinine_unstable_pct - 1e-9)
        .then_some(Rise {
            from_mg_dl: base,
            from: base_date,
            to_mg_dl: newest,
            to: d0,
            pct,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 24).unwrap()
    }

    fn lab(concept: Concept, code: &str, v: f64, unit: &str, days_ago: i64) -> Lab {
        Lab {
            concepts: vec![concept],
            label: code.into(),
            quantity: Some((v, unit.into())),
            comparator: None,
            result_text: None,
            interpretation: None,
            codes: vec![],
            code: vec![("http://loinc.org".into(), code.into())],
            upper_limit: None,
            date: Some(today() - chrono::Duration::days(days_ago)),
            source: "Observation/x".into(),
        }
    }
    fn egfr(code: &str, v: f64, days_ago: i64) -> Lab {
        lab(Concept::Egfr, code, v, "mL/min/{1.73_m2}", days_ago)
    }
    fn creat(v: f64, days_ago: i64) -> Lab {
        lab(Concept::Creatinine, "2160-0", v, "mg/dL", days_ago)
    }
    fn dialysis() -> Diagnosis {
        Diagnosis {
            concepts: vec![Concept::Ckd, Concept::CkdSevere],
            label: "Dependence on renal dialysis".into(),
            active: true,
            onset: None,
            source: "Condition/d".into(),
            from_text: false,
            provisional: false,
        }
    }

    #[test]
    fn ckd_epi_2021_worked_cases() {
        // (creatinine mg/dL, age, sex, eGFR): Inker 2021 equation.
        let cases = [
            (1.0, 50, Sex::Female, 68.6),
            (1.0, 50, Sex::Male, 91.7),
            (2.6, 40, Sex::Female, 23.2),
            (0.6, 30, Sex::Female, 123.8),
        ];
        for (scr, age, sex, want) in cases {
            let got = ckd_epi_2021(scr, age, sex).unwrap();
            assert!((got - want).abs() < 0.05, "{scr} {age} {sex:?}: {got}");
        }
        assert_eq!(ckd_epi_2021(1.0, 16, Sex::Male), None);
        assert_eq!(ckd_epi_2021(0.0, 50, Sex::Male), None);
    }

    #[test]
    fn lower_of_a_measured_and_a_computed_egfr_within_7_days() {
        // Creatinine 2.6 mg/dL, female 40: CKD-EPI 2021 = 23.2 (Inker 2021).
        // (measured eGFR, its days ago, creatinine days ago, used, source, other shown)
        let cases = [
            // The records: measured 66-84 the same day as a creatinine giving ~20.
            (66.0, 2, 2, 23.2, "computed", Some(66.0)),
            (70.0, 2, 2, 23.2, "computed", Some(70.0)),
            (84.0, 2, 2, 23.2, "computed", Some(84.0)),
            // Measured newer than the creatinine, within 7 days: still the lower.
            (70.0, 1, 6, 23.2, "computed", Some(70.0)),
            // Creatinine newer, measured lower: the measured one.
            (20.0, 5, 2, 20.0, "measured", Some(23.0)),
            // 8 days apart, measured newer: the newer (measured) alone.
            (70.0, 1, 9, 70.0, "measured", None),
            // 8 days apart, creatinine newer: the newer (computed) alone.
            (70.0, 10, 2, 23.2, "computed", None),
        ];
        for (m, m_days, c_days, want, kind, other) in cases {
            let mut labs = vec![egfr("62238-1", m, m_days), creat(2.6, c_days)];
            labs.sort_by_key(|l| std::cmp::Reverse(l.date));
            let limits = DataLimits::default();
            let r = assess(&RenalInputs {
                today: today(),
                labs: &labs,
                diagnoses: &[],
                age: Some(40),
                sex: Some(Sex::Female),
                limits: &limits,
            });
            let e = r.egfr.as_ref().unwrap();
            assert!(
                (e.value - want).abs() < 0.05,
                "{m} {m_days} {c_days}: {}",
                e.value
            );
            let got = match e.source {
                RenalSource::Measured { .. } => "measured",
                RenalSource::Computed { .. } => "computed",
            };
            assert_eq!(got, kind, "{m} {m_days} {c_days}");
            // The other one is kept, for the card to show beside it.
            assert_eq!(r.paired.as_ref().map(|p| p.value.round()), other, "{m}");
            assert_eq!(r.is_below(30.0), want < 30.0, "{m} {m_days} {c_days}");
        }
    }

    #[test]
    fn renal_function_table() {
        // (labs newest first, diagnoses, age, sex, value used, source kind, unstable)
        #[derive(Debug, PartialEq)]
        enum Kind {
            Measured,
            Computed,
            ProblemList,
            Unknown,
        }
        type Case = (
            Vec<Lab>,
            Vec<Diagnosis>,
            Option<u32>,
            Option<Sex>,
            Option<f64>,
            Kind,
            bool,
        );
        let cases: Vec<Case> = vec![
            (
                vec![egfr("33914-3", 45.0, 5)],
                vec![],
                Some(50),
                Some(Sex::Female),
                Some(45.0),
                Kind::Measured,
                false,
            ),
            // Race-specific codes are ignored.
            (
                vec![egfr("48643-1", 45.0, 5)],
                vec![],
                None,
                None,
                None,
                Kind::Unknown,
                false,
            ),
            // Creatinine–cystatin C preferred on the same day.
            (
                vec![egfr("62238-1", 45.0, 5), egfr("98980-6", 52.0, 5)],
                vec![],
                None,
                None,
                Some(52.0),
                Kind::Measured,
                false,
            ),
            // Stale: older than 90 days.
            (
                vec![egfr("62238-1", 45.0, 120)],
                vec![],
                None,
                None,
                None,
                Kind::Unknown,
                false,
            ),
            // A newer creatinine: CKD-EPI 2021 (female 40 y, 2.6 mg/dL = 23.2), more than 7 days later.
            (
                vec![creat(2.6, 2), egfr("62238-1", 60.0, 30)],
                vec![],
                Some(40),
                Some(Sex::Female),
                Some(23.2),
                Kind::Computed,
                false,
            ),
            // Within 7 days of each other: the lower (measured 20 < computed 23.2).
            (
                vec![creat(2.6, 2), egfr("62238-1", 20.0, 5)],
                vec![],
                Some(40),
                Some(Sex::Female),
                Some(20.0),
                Kind::Measured,
                false,
            ),
            // Creatinine alone without sex: unknown.
            (
                vec![creat(1.0, 2)],
                vec![],
                Some(40),
                None,
                None,
                Kind::Unknown,
                false,
            ),
            // Dialysis without any eGFR: below 30.
            (
                vec![],
                vec![dialysis()],
                None,
                None,
                Some(SEVERE_CKD_EGFR),
                Kind::ProblemList,
                false,
            ),
            // Dialysis with a normal lab eGFR: still below 30.
            (
                vec![egfr("62238-1", 90.0, 5)],
                vec![dialysis()],
                None,
                None,
                Some(SEVERE_CKD_EGFR),
                Kind::ProblemList,
                false,
            ),
            // Creatinine 0.8 → 1.1 (+37.5 %, +0.3) within 90 days: unstable; measured eGFR stays.
            (
                vec![egfr("62238-1", 70.0, 1), creat(1.1, 1), creat(0.8, 60)],
                vec![],
                Some(40),
                Some(Sex::Male),
                Some(70.0),
                Kind::Measured,
                true,
            ),
            // +0.25 mg/dL (31 %): not unstable (needs both).
            (
                vec![egfr("62238-1", 90.0, 1), creat(1.05, 1), creat(0.8, 60)],
                vec![],
                Some(40),
                Some(Sex::Male),
                Some(90.0),
                Kind::Measured,
                false,
            ),
        ];
        for (i, (labs, dx, age, sex, value, kind, unstable)) in cases.into_iter().enumerate() {
            let limits = DataLimits::default();
            let r = assess(&RenalInputs {
                today: today(),
                labs: &labs,
                diagnoses: &dx,
                age,
                sex,
                limits: &limits,
            });
            match (r.value(), value) {
                (Some(g), Some(w)) => assert!((g - w).abs() < 0.05, "case {i}: {g}"),
                (g, w) => assert_eq!(g, w, "case {i}"),
            }
            let got = match (&r.severe_ckd, &r.egfr) {
                (Some(_), _) => Kind::ProblemList,
                (
                    None,
                    Some(Egfr {
                        source: RenalSource::Measured { .. },
                        ..
                    }),
                ) => Kind::Measured,
                (
                    None,
                    Some(Egfr {
                        source: RenalSource::Computed { .. },
                        ..
                    }),
                ) => Kind::Computed,
                (None, None) => Kind::Unknown,
            };
            assert_eq!(got, kind, "case {i}");
            assert_eq!(r.unstable.is_some(), unstable, "case {i}: {:?}", r.unstable);
        }
    }
}
