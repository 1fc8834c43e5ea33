//! Renal function in words: the eGFR as a clinician reads it, where it comes
//! from, and why none is known.

use crate::facts::renal::{Egfr, RenalFunction, RenalSource, Rise, Unknown};
use crate::facts::{Ignored, Sex};
use crate::text::{amount, as_recorded, date, md};

/// The number as a clinician reads it: a measured eGFR as recorded (at most
/// one decimal; else three significant figures), with its bound ("> 60"); a
/// computed one rounded to a whole number.
pub fn shown(e: &Egfr) -> String {
    let n = match e.source {
        RenalSource::Measured { .. } => as_recorded(e.value),
        RenalSource::Computed { .. } => amount(e.value.round()),
    };
    match e.comparator {
        Some(c) => format!("{} {n}", c.sign()),
        None => n,
    }
}

/// "measured, 2026-11-24" or "CKD-EPI 2021 from creatinine 2.6 mg/dL,
/// 2026-11-24".
pub fn origin(e: &Egfr) -> String {
    let date = date(e.date);
    match &e.source {
        RenalSource::Measured { .. } => format!("measured, {date}"),
        RenalSource::Computed {
            creatinine_mg_dl, ..
        } => format!(
            "CKD-EPI 2021 from creatinine {} mg/dL, {date}",
            as_recorded(*creatinine_mg_dl)
        ),
    }
}

/// The figure for a summary: "eGFR 45", or the problem-list entry (no number
/// is invented for CKD 4–5 or dialysis).
pub fn figure(r: &RenalFunction) -> String {
    match (&r.severe_ckd, &r.egfr) {
        (Some(_), _) => "CKD stage 4–5 or dialysis".to_string(),
        (None, Some(e)) => format!("eGFR {}", shown(e)),
        (None, None) => "renal function unknown".to_string(),
    }
}

/// The eGFR within the pairing window that was higher and so not used: "; eGFR
/// 70 (measured, 2026-11-24) within 7 days not used: the lower counts".
pub fn paired_note(r: &RenalFunction) -> String {
    match &r.paired {
        Some(p) => format!(
            "; eGFR {} ({}) within {} days not used: the lower counts",
            shown(p),
            origin(p),
            amount(r.pair_days)
        ),
        None => String::new(),
    }
}

/// Why no current eGFR is known.
pub fn unknown(u: &Unknown) -> String {
    match u {
        Unknown::NothingOnFile => "no renal function on file".into(),
        Unknown::Stale { egfr, days } => format!(
            "the newest result, eGFR {} of {}, is older than {} days",
            shown(egfr),
            egfr.date
                .map_or_else(|| "unknown date".into(), |d| d.to_string()),
            amount(*days)
        ),
        Unknown::NoAge => "a creatinine is on file but no age to compute eGFR".into(),
        Unknown::NoSex => "a creatinine is on file but no sex to compute eGFR".into(),
        Unknown::Minor => "CKD-EPI 2021 is for adults; no eGFR computed".into(),
        Unknown::NoEgfrOrCreatinine => "no eGFR or creatinine on file".into(),
    }
}

/// "creatinine rose from 1 mg/dL (2026-10-01) to 1.6 mg/dL (2026-11-20), +60 %".
pub fn rise(r: &Rise) -> String {
    format!(
        "creatinine rose from {} mg/dL ({}) to {} mg/dL ({}), +{} %",
        amount(r.from_mg_dl),
        r.from,
        amount(r.to_mg_dl),
        r.to,
        amount(r.pct.round())
    )
}

/// "an eGFR of 45 dated 2026-12-01".
pub fn ignored(i: &Ignored) -> String {
    let article = if i.what == "eGFR" { "an" } else { "a" };
    format!(
        "{article} {} of {} dated {}",
        i.what,
        super::ignored_value(i),
        i.date
    )
}

/// One line for a card: the figure and where it comes from (plain text, with
/// record text in it: escape it for Markdown).
pub fn describe(r: &RenalFunction) -> String {
    let mut s = match (&r.egfr, &r.severe_ckd) {
        (_, Some(label)) => format!(
            "renal function: {label} on the problem list (counts as eGFR below 30{})",
            r.egfr
                .as_ref()
                .map_or(String::new(), |e| format!("; laboratory eGFR {}", shown(e)))
        ),
        (Some(e), None) => {
            let date = date(e.date);
            match &e.source {
                RenalSource::Measured { label } => format!(
                    "eGFR {} mL/min/1.73 m² (measured: {label}, {date})",
                    shown(e)
                ),
                RenalSource::Computed {
                    creatinine_mg_dl,
                    age,
                    sex,
                } => format!(
                    "eGFR {} mL/min/1.73 m² (computed with CKD-EPI 2021 from creatinine {} mg/dL of {date}, age {age}, {}; Inker 2021)",
                    shown(e),
                    as_recorded(*creatinine_mg_dl),
                    match sex {
                        Sex::Female => "female",
                        Sex::Male => "male",
                    }
                ),
            }
        }
        (None, None) => format!(
            "renal function unknown ({})",
            r.unknown_reason
                .as_ref()
                .map_or_else(|| "no result on file".to_string(), unknown)
        ),
    };
    if r.severe_ckd.is_none() {
        s.push_str(&paired_note(r));
    }
    if let Some(u) = &r.unstable {
        s.push_str(&format!("; unstable: {}", rise(u)));
    }
    for i in &r.ignored_future {
        s.push_str(&format!(
            "; {} is dated in the future and was not used",
            ignored(i)
        ));
    }
    s
}

/// One line for a card (Markdown): the renal function used, its date and
/// where it comes from: the renal function used, its date and where it comes from.
pub fn line(r: &RenalFunction) -> String {
    let egfr = |e: &crate::facts::renal::Egfr| {
        let date = date(e.date);
        match &e.source {
            RenalSource::Measured { .. } => {
                format!("eGFR {} mL/min/1.73 m² ({date})", shown(e))
            }
            RenalSource::Computed {
                creatinine_mg_dl,
                age,
                sex,
            } => format!(
                "eGFR {} mL/min/1.73 m² (CKD-EPI 2021, Inker 2021: creatinine {} mg/dL of {date}, \
                 age {age}, {})",
                shown(e),
                crate::text::as_recorded(*creatinine_mg_dl),
                match sex {
                    Sex::Female => "female",
                    Sex::Male => "male",
                }
            ),
        }
    };
    let mut s = match (&r.severe_ckd, &r.egfr) {
        (Some(label), e) => format!(
            "- Renal function: CKD stage 4–5 or dialysis on the problem list{} (counts as eGFR \
             below 30{})",
            if label.is_empty() || label == "(no display)" {
                String::new()
            } else {
                format!(" ({})", md(label))
            },
            e.as_ref().map_or(String::new(), |e| format!(
                "; laboratory eGFR {} of {}",
                shown(e),
                date(e.date)
            ))
        ),
        (None, Some(e)) => format!("- {}{}", egfr(e), paired_note(r)),
        (None, None) => format!(
            "- Renal function unknown ({})",
            md(&r
                .unknown_reason
                .as_ref()
                .map_or_else(|| "no result on file".to_string(), unknown))
        ),
    };
    if let Some(u) = &r.unstable {
        s.push_str(&format!("; **unstable**: {}", md(&rise(u))));
    }
    for i in &r.ignored_future {
        s.push_str(&format!(
            "; {} is dated in the future and was not used",
            md(&ignored(i))
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::renal::{Egfr, RenalFunction, Rise, Unknown};
    use chrono::NaiveDate;

    fn day(d: u32) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(2026, 11, d)
    }

    /// The eGFR used, the one beside it not used, a rise, a future result.
    #[test]
    fn renal_function_in_words() {
        let computed = Egfr {
            value: 23.2,
            comparator: None,
            date: day(22),
            source: RenalSource::Computed {
                creatinine_mg_dl: 2.6,
                age: 40,
                sex: Sex::Female,
            },
        };
        let measured = Egfr {
            value: 70.0,
            comparator: None,
            date: day(23),
            source: RenalSource::Measured {
                label: "eGFR".into(),
            },
        };
        let mut r = RenalFunction::unknown();
        r.egfr = Some(computed);
        r.unknown_reason = None;
        r.paired = Some(Box::new(measured));
        r.unstable = Some(Rise {
            from_mg_dl: 1.0,
            from: day(1).unwrap(),
            to_mg_dl: 1.6,
            to: day(20).unwrap(),
            pct: 60.0,
        });
        r.ignored_future = vec![Ignored {
            what: "eGFR",
            label: "eGFR".into(),
            value: Some(crate::facts::Sent {
                comparator: None,
                value: 45.0,
                unit: "mL/min".into(),
            }),
            date: NaiveDate::from_ymd_opt(2026, 12, 30).unwrap(),
        }];
        assert_eq!(figure(&r), "eGFR 23");
        assert_eq!(
            describe(&r),
            "eGFR 23 mL/min/1.73 m² (computed with CKD-EPI 2021 from creatinine 2.6 mg/dL of \
             2026-11-22, age 40, female; Inker 2021); eGFR 70 (measured, 2026-11-23) within 7 \
             days not used: the lower counts; unstable: creatinine rose from 1 mg/dL (2026-11-01) \
             to 1.6 mg/dL (2026-11-20), +60 %; an eGFR of 45 mL/min dated 2026-12-30 is dated in \
             the future and was not used"
        );
        let stale = Unknown::Stale {
            egfr: Egfr {
                value: 45.36,
                comparator: None,
                date: None,
                source: RenalSource::Measured { label: "x".into() },
            },
            days: 90.0,
        };
        assert_eq!(
            unknown(&stale),
            "the newest result, eGFR 45.4 of unknown date, is older than 90 days"
        );
        assert_eq!(
            describe(&RenalFunction::unknown()),
            "renal function unknown (no renal function on file)"
        );
    }
}
