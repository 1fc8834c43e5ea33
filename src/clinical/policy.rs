//! The clinical policy: every threshold and choice the rules use, as a named
//! setting with its default, unit and source, declared once below. A health
//! system changes any of them in a TOML file (`--policy PATH`, keys at top
//! level); the file is validated at start-up and an error names the bad key.
//! Cards say which of their figures came from local policy.

/// A setting's documentation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Setting {
    pub key: &'static str,
    pub default: f64,
    pub unit: &'static str,
    pub source: &'static str,
    pub description: &'static str,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum PolicyError {
    #[error("policy file is not valid TOML: {0}")]
    Syntax(String),
    #[error("policy setting {key:?} is unknown{}", .suggestion.map(|s| format!(" (did you mean {s:?}?)")).unwrap_or_default())]
    UnknownKey {
        key: String,
        suggestion: Option<&'static str>,
    },
    #[error("policy setting {key:?} must be a number, not {found}")]
    Type { key: String, found: &'static str },
    #[error("policy setting {key:?} = {value}: {reason}")]
    Range {
        key: String,
        value: f64,
        reason: String,
    },
}

macro_rules! settings {
    ($( $(#[doc = $doc:literal])+ $name:ident = $default:literal, $unit:literal, $source:literal; )+) => {
        /// Every threshold and choice the rules use (see [`SETTINGS`]).
        #[derive(Debug, Clone, PartialEq)]
        pub struct Policy {
            $( $(#[doc = $doc])+ pub $name: f64, )+
            changed: Vec<&'static str>,
        }

        impl Default for Policy {
            fn default() -> Self {
                Policy { $( $name: $default as f64, )+ changed: Vec::new() }
            }
        }

        /// The settings, in declaration order.
        pub const SETTINGS: &[Setting] = &[
            $( Setting {
                key: stringify!($name),
                default: $default as f64,
                unit: $unit,
                source: $source,
                description: concat!($($doc),+),
            }, )+
        ];

        impl Policy {
            pub fn get(&self, key: &str) -> Option<f64> {
                match key { $( stringify!($name) => Some(self.$name), )+ _ => None }
            }
            fn set(&mut self, key: &str, value: f64) -> Option<&'static str> {
                match key { $( stringify!($name) => { self.$name = value; Some(stringify!($name)) } )+ _ => None }
            }
        }
    };
}

settings! {
    /// Prednisone-equivalent dose at or above which SSc patients are at risk of renal crisis.
    src_threshold_mg_per_day = 15, "mg/day", "Steen & Medsger 1998";
    /// Taper target.
    taper_target_mg_per_day = 10, "mg/day", "guidance (taper to ideally <=10 mg/day)";
    /// SSc onset within this many years is a renal crisis risk factor.
    src_recent_onset_years = 4, "years", "local policy (Hachulla et al. 2021; Penn et al. 2007)";
    /// Last systolic BP at or above this is a renal crisis risk factor, and suggests renal crisis with a creatinine rise.
    src_bp_systolic = 140, "mm[Hg]", "local policy (Denton et al. 2016)";
    /// Last diastolic BP at or above this, likewise.
    src_bp_diastolic = 90, "mm[Hg]", "local policy (Denton et al. 2016)";
    /// Systolic rise over baseline that suggests renal crisis.
    src_suspected_sbp_rise = 30, "mm[Hg]", "local policy (Kowal-Bielecka et al. 2017; Denton et al. 2016)";
    /// Diastolic rise over baseline that suggests renal crisis.
    src_suspected_dbp_rise = 20, "mm[Hg]", "local policy (renal crisis criteria)";
    /// A blood pressure this recent is current for the renal crisis criteria.
    src_bp_current_days = 7, "days", "local policy (renal crisis criteria)";
    /// Blood-pressure baseline: median of readings at least this many days before the current one.
    src_bp_baseline_min_days = 30, "days", "local policy (renal crisis criteria)";
    /// Blood-pressure baseline: readings at most this many days before the current one.
    src_bp_baseline_max_days = 365, "days", "local policy (renal crisis criteria)";
    /// Without any creatinine on file, a systolic BP at or above this alone suggests renal crisis.
    src_severe_bp_systolic = 160, "mm[Hg]", "local policy (renal crisis criteria)";
    /// Without any creatinine on file, a diastolic BP at or above this alone suggests renal crisis.
    src_severe_bp_diastolic = 100, "mm[Hg]", "local policy (renal crisis criteria)";
    /// Creatinine rise over baseline that suggests renal crisis.
    src_suspected_creatinine_rise_pct = 30, "%", "local policy (Kowal-Bielecka et al. 2017; Denton et al. 2016)";
    /// Window for baselines of the suspected renal crisis rule.
    src_suspected_window_days = 90, "days", "local policy";
    /// Initial prednisone, lower end.
    gc_mg_per_kg_low = 0.5, "mg/kg/day", "guidance";
    /// Initial prednisone, upper end.
    gc_mg_per_kg_high = 1.0, "mg/kg/day", "guidance";
    /// Initial prednisone with diabetes, osteoporosis or glaucoma.
    gc_mg_per_kg_comorbid = 0.5, "mg/kg/day", "guidance";
    /// Highest initial oral prednisone-equivalent dose ever suggested; an order above it is a warning, twice it critical.
    gc_suggest_max_mg_per_day = 80, "mg/day", "local policy (suggestion ceiling; Oddis 2016 and Lundberg 2021 starting doses rarely exceed 1 mg/kg up to 80 mg)";
    /// Prednisone doses are rounded to the nearest multiple of this.
    gc_round_mg = 5, "mg", "standard practice";
    /// A weight older than this is named as such on every card that uses it.
    weight_max_age_days = 90, "days", "local policy";
    /// The two newest weights differing by more than this are flagged.
    weight_conflict_pct = 10, "%", "local policy";
    /// IV methylprednisolone, lower end.
    ivmp_mg_per_kg_low = 10, "mg/kg/day", "guidance";
    /// IV methylprednisolone, upper end (daily regimen).
    ivmp_mg_per_kg_high = 20, "mg/kg/day", "guidance";
    /// IV methylprednisolone pulse.
    ivmp_pulse_mg_per_kg = 30, "mg/kg", "guidance";
    /// IV methylprednisolone cap.
    ivmp_max_mg_per_day = 1000, "mg/day", "standard practice";
    /// IV methylprednisolone, longest course.
    ivmp_max_days = 5, "days", "guidance (1-5 consecutive days)";
    /// An IV methylprednisolone order of at most this many doses counts as a pulse.
    ivmp_pulse_max_doses = 3, "doses", "local policy (adult pulses are usually 3 doses)";
    /// Taper is due after this long on >= the renal crisis threshold.
    taper_after_weeks = 4, "weeks", "local policy (guidance: 2-4 weeks)";
    /// Intensification review after this long on corticosteroids.
    intensify_after_weeks = 12, "weeks", "guidance";
    /// IVIG course, lower end (dosing weight).
    ivig_g_per_kg_low = 1, "g/kg", "guidance";
    /// IVIG course, upper end (dosing weight).
    ivig_g_per_kg_high = 2, "g/kg", "guidance";
    /// IVIG course length.
    ivig_days = 2, "days", "guidance";
    /// Rituximab dose, given twice.
    rtx_dose_mg = 1000, "mg", "guidance";
    /// Interval between the two rituximab doses.
    rtx_interval_weeks = 2, "weeks", "guidance";
    /// Rituximab can take this long to work.
    rtx_onset_weeks = 26, "weeks", "guidance";
    /// Cyclophosphamide infusion interval.
    cyc_interval_weeks = 4, "weeks", "guidance";
    /// Cyclophosphamide course, shortest.
    cyc_months_min = 3, "months", "guidance";
    /// Cyclophosphamide course, longest.
    cyc_months_max = 6, "months", "guidance";
    /// Methotrexate range, lower end (Mosteller BSA).
    mtx_mg_per_m2_low = 15, "mg/m2/week", "guidance";
    /// Methotrexate range, upper end.
    mtx_mg_per_m2_high = 20, "mg/m2/week", "guidance";
    /// Methotrexate starting dose suggested, rounded up to `mtx_round_mg`.
    mtx_start_mg_per_m2 = 15, "mg/m2/week", "local policy (guidance 15-20 mg/m2)";
    /// Methotrexate doses are multiples of this.
    mtx_round_mg = 2.5, "mg", "standard practice (2.5 mg tablets)";
    /// Methotrexate absolute maximum.
    mtx_max_mg_per_week = 40, "mg/week", "guidance";
    /// Below this an adult methotrexate order is below the usual dose (info).
    mtx_usual_adult_min_mg_per_week = 15, "mg/week", "local policy (usual adult practice, 15-25 mg/week)";
    /// Above this adult practice asks for confirmation.
    mtx_usual_adult_max_mg_per_week = 25, "mg/week", "local policy (usual adult practice)";
    /// eGFR 30-59: a weekly methotrexate dose at or below this is already reduced (half the usual adult maximum).
    mtx_renal_max_mg_per_week = 12.5, "mg/week", "local policy (half the usual adult maximum; Warren et al. 2016)";
    /// Methotrexate per week at or above this is a unit or dose slip (critical).
    mtx_slip_mg_per_week = 80, "mg/week", "local policy (twice the 40 mg/week maximum)";
    /// A single methotrexate dose at or above this is a unit slip (critical).
    mtx_slip_mg_per_dose = 1000, "mg", "local policy (grams where mg are meant)";
    /// Highest methotrexate starting dose suggested (escalation up to the maximum is possible).
    mtx_suggest_max_mg_per_week = 25, "mg/week", "local policy (usual adult practice; ACR 2008, BSR 2023)";
    /// Rituximab given within this long is therapy in place: no steroid-sparing start suggested.
    in_place_rtx_months = 6, "months", "local policy (rituximab acts for about 6 months; Oddis et al. 2013)";
    /// Cyclophosphamide given within this long, likewise.
    in_place_cyc_months = 1, "months", "local policy (monthly infusions)";
    /// IVIG given within this long, likewise.
    in_place_ivig_weeks = 6, "weeks", "local policy (IVIG courses every 4-6 weeks)";
    /// Highest azathioprine dose suggested.
    aza_suggest_max_mg_per_day = 300, "mg/day", "local policy (2-3 mg/kg/day in adults rarely exceeds 300 mg)";
    /// Glucocorticoid dose (prednisone-equivalent) at or above which hepatitis B is checked (a course of weeks).
    hbv_gc_mg_per_day = 20, "mg/day", "Perrillo et al. 2015 (AGA hepatitis B reactivation guideline); local policy";
    /// Glucocorticoid dose (prednisone-equivalent) at or above which a second immunosuppressant calls for Pneumocystis prophylaxis.
    pcp_gc_mg_per_day = 20, "mg/day", "Park et al. 2018 (Pneumocystis prophylaxis in rheumatic disease); local policy";
    /// Pneumocystis prophylaxis: the glucocorticoid dose given for at least this long.
    pcp_gc_weeks = 4, "weeks", "Park et al. 2018; local policy";
    /// eGFR below which methotrexate is avoided.
    mtx_egfr_avoid_below = 30, "mL/min/1.73m2", "Saag et al. 2008 (ACR)";
    /// eGFR below which the methotrexate dose is reduced (about half).
    mtx_egfr_reduce_below = 60, "mL/min/1.73m2", "Warren et al. 2016 (BAD)";
    /// Continue methotrexate at least this long after remission.
    mtx_continue_months_after_remission = 12, "months", "guidance";
    /// Folic acid with methotrexate.
    folic_acid_mg_per_day = 1, "mg/day", "guidance";
    /// Azathioprine per kg of dosing weight (ideal body weight, or actual if lower).
    aza_mg_per_kg = 2, "mg/kg/day", "guidance; dosing weight: local policy";
    /// Azathioprine doses are rounded to the nearest multiple of this.
    aza_round_mg = 25, "mg", "standard practice (tablet sizes)";
    /// Mycophenolate mofetil starting dose, twice daily.
    mmf_start_mg = 500, "mg", "guidance";
    /// hCG at or above this is a positive pregnancy test.
    hcg_positive_iu_per_l = 25, "IU/L", "standard practice (qualitative tests detect 20-25 IU/L)";
    /// A breastfeeding record counts for this long (MTX, MMF, cyclophosphamide contraindicated).
    breastfeeding_months = 12, "months", "local policy; Russell et al. 2023";
    /// TPMT or NUDT15 intermediate metaboliser: azathioprine start, lower end of the usual dose.
    aza_intermediate_pct_low = 30, "%", "Relling et al. 2019 (CPIC)";
    /// TPMT or NUDT15 intermediate metaboliser: azathioprine start, upper end.
    aza_intermediate_pct_high = 80, "%", "Relling et al. 2019 (CPIC)";
    /// Both TPMT and NUDT15 intermediate: azathioprine start, lower end.
    aza_both_intermediate_pct_low = 20, "%", "CPIC 2024 update";
    /// Both TPMT and NUDT15 intermediate: azathioprine start, upper end.
    aza_both_intermediate_pct_high = 50, "%", "CPIC 2024 update";
    /// With allopurinol, azathioprine at most this share of the usual dose is a warning (above: critical).
    aza_allopurinol_max_pct = 25, "%", "standard practice (azathioprine label)";
    /// Azathioprine absolute limit, no weight needed (unit slips).
    aza_max_mg_per_day = 300, "mg/day", "local policy";
    /// Mycophenolate mofetil absolute limit.
    mmf_max_mg_per_day = 3000, "mg/day", "local policy (mycophenolate label)";
    /// Mycophenolic acid (enteric-coated) absolute limit (720 mg = mofetil 1,000 mg).
    mpa_max_mg_per_day = 2160, "mg/day", "local policy (mycophenolate label)";
    /// Cyclophosphamide absolute limit per dose.
    cyc_max_mg_per_dose = 1500, "mg", "local policy";
    /// IVIG absolute limit per course.
    ivig_max_g_per_course = 160, "g", "local policy";
    /// Rituximab absolute limit per dose.
    rtx_max_mg_per_dose = 1000, "mg", "local policy (guidance: 1,000 mg × 2)";
    /// Rituximab by body surface (the other regimen in use).
    rtx_mg_per_m2 = 375, "mg/m2", "Oddis et al. 2013";
    /// A rituximab dose within this of the mg/m² figure counts as that regimen.
    rtx_bsa_tolerance_pct = 5, "%", "local policy";
    /// A dose at or above this multiple of a threshold or absolute limit is critical (unit slip).
    dose_slip_factor = 2, "x", "local policy";
    /// eGFR below which a cyclophosphamide order is a warning (reduce the dose).
    cyc_egfr_warn_below = 30, "mL/min/1.73m2", "standard practice (cyclophosphamide label)";
    /// Trimethoprim-sulfamethoxazole at or above this many double-strength tablets a day is a treatment dose (critical with methotrexate).
    tmp_smx_treatment_ds_per_day = 2, "DS tablets/day", "local policy";
    /// Blood counts and ALT older than this are not current before immunosuppression.
    pretreatment_lab_max_age_days = 30, "days", "local policy (Ledingham et al. 2017)";
    /// Neutrophils below this: do not start MTX, AZA, MMF or cyclophosphamide.
    neutrophils_min = 1.5, "10*9/L", "Ledingham et al. 2017";
    /// Platelets below this, likewise.
    platelets_min = 100, "10*9/L", "Ledingham et al. 2017";
    /// Leukocytes below this, likewise.
    leukocytes_min = 3.5, "10*9/L", "Ledingham et al. 2017";
    /// ALT above this multiple of the upper limit (with a normal CK), likewise.
    alt_max_x_uln = 3, "x ULN", "Saag et al. 2008 (ACR)";
    /// An hCG within this many days counts as a current pregnancy test.
    hcg_test_max_age_days = 7, "days", "local policy (Sammaritano et al. 2020)";
    /// Women from this age are asked for a pregnancy test and contraception.
    contraception_age_min = 18, "years", "local policy";
    /// Women up to this age, likewise.
    contraception_age_max = 55, "years", "local policy";
    /// CK older than this is due (patient-view).
    ck_max_age_days = 90, "days", "local policy";
    /// BP older than this is due while on >= the renal crisis threshold (patient-view).
    bp_max_age_days = 14, "days", "local policy";
    /// A pregnancy diagnosis counts for this long after its onset.
    pregnancy_condition_days = 300, "days", "local policy (about 43 weeks; older = possibly pregnant)";
    /// A positive hCG or "pregnant" status counts for this long, unless a later negative test, "not pregnant" status or delivery/loss follows.
    hcg_positive_days = 300, "days", "local policy (as a pregnancy condition)";
    /// Betamethasone dose equal to prednisone 5 mg (factor = 5 / this, computed exactly).
    betamethasone_equivalent_mg = 0.6, "mg", "Meikle & Tyler 1977; local policy (0.6 mg = prednisone 5 mg)";
    /// Below this age the guidance's dose advice does not apply (one card says so).
    adult_age_years = 18, "years", "guidance (adult overlap); service policy (safety decisions)";
    /// Lightest adult weight believed; below it no dose is computed from it.
    weight_min_kg = 25, "kg", "local policy (plausible adult figures)";
    /// Heaviest adult weight believed.
    weight_max_kg = 350, "kg", "local policy (plausible adult figures)";
    /// Shortest adult height believed; below it no BSA or ideal body weight is computed from it.
    height_min_cm = 120, "cm", "local policy (plausible adult figures)";
    /// Tallest adult height believed.
    height_max_cm = 230, "cm", "local policy (plausible adult figures)";
    /// Lowest BMI believed from the newest weight and height.
    bmi_min = 12, "kg/m2", "local policy (plausible adult figures)";
    /// Highest BMI believed.
    bmi_max = 70, "kg/m2", "local policy (plausible adult figures)";
    /// The newest weight differing from the median of the previous window by more than this is unconfirmed.
    weight_jump_pct = 20, "%", "local policy (weight jump)";
    /// Window of earlier weights for the jump check.
    weight_jump_window_days = 30, "days", "local policy (weight jump)";
    /// The newest weight this many times an earlier one looks like pounds entered as kilograms.
    unit_slip_ratio = 2.2, "ratio", "1 kg = 2.2046 lb";
    /// The newest weight this fraction of an earlier one looks like kilograms entered as pounds.
    unit_slip_inverse_ratio = 0.45, "ratio", "1 lb = 0.4536 kg";
    /// Tolerance around the unit-slip ratios.
    unit_slip_tolerance_pct = 5, "%", "local policy (unit slips)";
    /// Window of earlier weights for the unit-slip check.
    unit_slip_window_days = 365, "days", "local policy (unit slips)";
    /// Observations dated more than this after today are ignored.
    future_tolerance_days = 1, "days", "local policy (time zones; nothing later is real)";
    /// eGFR and creatinine older than this are not current.
    renal_current_days = 90, "days", "local policy (renal function)";
    /// A measured and a computed eGFR this close in time: the lower counts.
    egfr_pair_days = 7, "days", "local policy (renal function)";
    /// Creatinine rise (percentage) that makes renal function unstable, with the absolute rise.
    creatinine_unstable_pct = 30, "%", "KDIGO 2012 (acute kidney injury: rise of >= 50 %, or >= 0.3 mg/dL in 48 h); local policy";
    /// Creatinine rise (absolute) that makes renal function unstable, with the percentage.
    creatinine_unstable_mg_dl = 0.3, "mg/dL", "KDIGO 2012";
    /// Window for the creatinine rise.
    creatinine_unstable_window_days = 90, "days", "local policy (renal function)";
    /// The service's time zone as minutes east of UTC (-60 for UTC-01:00, 330 for UTC+05:30): "today" and the dates of timed results are read in its calendar. 0 is UTC.
    utc_offset_minutes = 0, "minutes", "local policy (the service's calendar)";
    /// A card the clinician overrode for a patient is held back on later calls for this long while it is unchanged (same topic, severity, figures and draft orders); critical cards never are. 0 turns it off.
    override_hold_days = 30, "days", "local policy, third edition (remembering what the clinician said: 30 days)";
    /// The same card sent again unchanged for the same patient and draft orders within this many minutes (an EHR re-sends order-select at each edit) counts once as shown in the report. 0 counts every call.
    resend_window_minutes = 10, "minutes", "service setting, not clinical (a 'short window' for order-select re-sends; 10 minutes covers one ordering session)";
}

/// Settings that govern which patient data the rules may use (not one rule's).
pub const DATA_SETTINGS: &[&str] = &[
    "weight_min_kg",
    "weight_max_kg",
    "height_min_cm",
    "height_max_cm",
    "bmi_min",
    "bmi_max",
    "weight_jump_pct",
    "weight_jump_window_days",
    "unit_slip_ratio",
    "unit_slip_inverse_ratio",
    "unit_slip_tolerance_pct",
    "unit_slip_window_days",
    "future_tolerance_days",
    "renal_current_days",
    "egfr_pair_days",
    "creatinine_unstable_pct",
    "creatinine_unstable_mg_dl",
    "creatinine_unstable_window_days",
    "utc_offset_minutes",
];

/// Settings that may be zero or negative, with their range.
const SIGNED: &[(&str, f64, f64)] = &[
    ("utc_offset_minutes", -840.0, 840.0),
    ("override_hold_days", 0.0, 365.0),
    ("resend_window_minutes", 0.0, 1440.0),
];

/// Settings of what the service remembers between calls (not one rule's).
pub const MEMORY_SETTINGS: &[&str] = &["override_hold_days", "resend_window_minutes"];

impl Policy {
    /// The limits the facts are read with.
    pub fn data_limits(&self) -> crate::facts::DataLimits {
        crate::facts::DataLimits {
            weight_min_kg: self.weight_min_kg,
            weight_max_kg: self.weight_max_kg,
            height_min_cm: self.height_min_cm,
            height_max_cm: self.height_max_cm,
            bmi_min: self.bmi_min,
            bmi_max: self.bmi_max,
            weight_jump_pct: self.weight_jump_pct,
            weight_jump_window_days: self.weight_jump_window_days,
            unit_slip_ratio: self.unit_slip_ratio,
            unit_slip_inverse_ratio: self.unit_slip_inverse_ratio,
            unit_slip_tolerance_pct: self.unit_slip_tolerance_pct,
            unit_slip_window_days: self.unit_slip_window_days,
            future_tolerance_days: self.future_tolerance_days,
            renal_current_days: self.renal_current_days,
            egfr_pair_days: self.egfr_pair_days,
            creatinine_unstable_pct: self.creatinine_unstable_pct,
            creatinine_unstable_mg_dl: self.creatinine_unstable_mg_dl,
            creatinine_unstable_window_days: self.creatinine_unstable_window_days,
            utc_offset_minutes: self.utc_offset_minutes,
        }
    }

    /// Today in the service's calendar, at this instant.
    pub fn today_at(&self, now: chrono::DateTime<chrono::Utc>) -> chrono::NaiveDate {
        now.with_timezone(&self.data_limits().offset()).date_naive()
    }
}

/// Pairs that must stay ordered (low <= high).
const ORDERED: &[(&str, &str)] = &[
    ("gc_mg_per_kg_low", "gc_mg_per_kg_high"),
    ("gc_mg_per_kg_comorbid", "gc_mg_per_kg_high"),
    ("ivmp_mg_per_kg_low", "ivmp_mg_per_kg_high"),
    ("ivmp_mg_per_kg_high", "ivmp_pulse_mg_per_kg"),
    ("ivig_g_per_kg_low", "ivig_g_per_kg_high"),
    ("mtx_mg_per_m2_low", "mtx_mg_per_m2_high"),
    (
        "mtx_usual_adult_min_mg_per_week",
        "mtx_usual_adult_max_mg_per_week",
    ),
    (
        "mtx_renal_max_mg_per_week",
        "mtx_usual_adult_max_mg_per_week",
    ),
    ("mtx_usual_adult_max_mg_per_week", "mtx_max_mg_per_week"),
    ("mtx_suggest_max_mg_per_week", "mtx_max_mg_per_week"),
    ("mtx_max_mg_per_week", "mtx_slip_mg_per_week"),
    ("mtx_egfr_avoid_below", "mtx_egfr_reduce_below"),
    ("cyc_months_min", "cyc_months_max"),
    ("src_bp_diastolic", "src_bp_systolic"),
    ("taper_target_mg_per_day", "src_threshold_mg_per_day"),
    ("weight_min_kg", "weight_max_kg"),
    ("height_min_cm", "height_max_cm"),
    ("bmi_min", "bmi_max"),
    ("unit_slip_inverse_ratio", "unit_slip_ratio"),
    ("aza_intermediate_pct_low", "aza_intermediate_pct_high"),
    (
        "aza_both_intermediate_pct_low",
        "aza_both_intermediate_pct_high",
    ),
    ("contraception_age_min", "contraception_age_max"),
];

fn closest(key: &str) -> Option<&'static str> {
    // The known key sharing the longest prefix, if it shares a fair part.
    SETTINGS
        .iter()
        .map(|s| {
            (
                s.key
                    .chars()
                    .zip(key.chars())
                    .take_while(|(a, b)| a == b)
                    .count(),
                s.key,
            )
        })
        .max()
        .filter(|(n, _)| *n >= 6)
        .map(|(_, k)| k)
}

impl Policy {
    /// Reads a policy file: top-level `key = number` pairs, each one a known
    /// setting. Settings not in the file keep their defaults.
    pub fn from_toml(text: &str) -> Result<Policy, PolicyError> {
        let table: toml::Table = text
            .parse()
            .map_err(|e: toml::de::Error| PolicyError::Syntax(e.to_string()))?;
        Policy::from_table(table)
    }

    /// A policy from its table as read (a policy file, or the configuration's
    /// inline `[policy]`).
    pub fn from_table(table: toml::Table) -> Result<Policy, PolicyError> {
        let mut p = Policy::default();
        for (key, value) in table {
            let v = match value {
                toml::Value::Integer(i) => i as f64,
                toml::Value::Float(f) => f,
                other => {
                    return Err(PolicyError::Type {
                        key,
                        found: other.type_str(),
                    })
                }
            };
            if let Some((_, low, high)) = SIGNED.iter().find(|(k, _, _)| *k == key) {
                if !(v.is_finite() && (*low..=*high).contains(&v)) {
                    return Err(PolicyError::Range {
                        key,
                        value: v,
                        reason: format!("must be between {low} and {high}"),
                    });
                }
            } else if !v.is_finite() || v <= 0.0 {
                return Err(PolicyError::Range {
                    key,
                    value: v,
                    reason: "must be a positive number".into(),
                });
            }
            if key.ends_with("_pct") && v > 100.0 {
                return Err(PolicyError::Range {
                    key,
                    value: v,
                    reason: "a percentage must be at most 100".into(),
                });
            }
            let Some(known) = p.set(&key, v) else {
                let suggestion = closest(&key);
                return Err(PolicyError::UnknownKey { key, suggestion });
            };
            let default = SETTINGS.iter().find(|s| s.key == known).map(|s| s.default);
            if default != Some(v) && !p.changed.contains(&known) {
                p.changed.push(known);
            }
        }
        for (low, high) in ORDERED {
            let (l, h) = (p.get(low).unwrap_or(0.0), p.get(high).unwrap_or(0.0));
            if l > h {
                return Err(PolicyError::Range {
                    key: low.to_string(),
                    value: l,
                    reason: format!("must not exceed {high} ({h})"),
                });
            }
        }
        Ok(p)
    }

    /// Settings changed from their defaults by local policy.
    pub fn changed(&self) -> &[&'static str] {
        &self.changed
    }

    /// The default policy as a documented TOML file.
    pub fn default_toml() -> String {
        Policy::default().to_toml()
    }

    /// This policy as a documented TOML file (local values marked).
    pub fn to_toml(&self) -> String {
        let mut out = String::from(
            "# ssc-myositis-cds clinical policy: every setting with its default.\n\
             # Change a value to apply local policy; remove a line to keep the default.\n\
             # Cards name the figures that come from local policy.\n",
        );
        for s in SETTINGS {
            let value = self.get(s.key).unwrap_or(s.default);
            let local = if self.changed.contains(&s.key) {
                format!(" LOCAL POLICY, default {}", toml_number(s.default))
            } else {
                String::new()
            };
            out.push_str(&format!(
                "\n# {} ({}; source: {}){local}\n{} = {}\n",
                s.description.trim(),
                s.unit,
                s.source,
                s.key,
                toml_number(value)
            ));
        }
        out
    }
}

fn toml_number(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_file_reads_back_as_the_defaults() {
        let p = Policy::from_toml(&Policy::default_toml()).unwrap();
        assert_eq!(p, Policy::default());
        assert!(p.changed().is_empty());
    }

    #[test]
    fn the_shipped_example_is_the_default_file() {
        let shipped = include_str!("../../policy.example.toml");
        assert_eq!(
            shipped,
            Policy::default_toml(),
            "regenerate with: ssc-myositis-cds policy > policy.example.toml"
        );
    }

    #[test]
    fn local_values_apply_and_are_recorded() {
        let p = Policy::from_toml("src_threshold_mg_per_day = 20\nmtx_round_mg = 2.5\n").unwrap();
        assert_eq!(p.src_threshold_mg_per_day, 20.0);
        assert_eq!(p.changed(), &["src_threshold_mg_per_day"]);
    }

    #[test]
    fn errors_name_the_bad_key() {
        let cases = [
            (
                "src_threshold = 20",
                "\"src_threshold\" is unknown (did you mean \"src_threshold_mg_per_day\"?)",
            ),
            ("zzz = 1", "\"zzz\" is unknown"),
            (
                "gc_round_mg = \"five\"",
                "\"gc_round_mg\" must be a number, not string",
            ),
            (
                "gc_round_mg = -5",
                "\"gc_round_mg\" = -5: must be a positive number",
            ),
            ("weight_conflict_pct = 150", "at most 100"),
            (
                "gc_mg_per_kg_low = 1.5",
                "\"gc_mg_per_kg_low\" = 1.5: must not exceed gc_mg_per_kg_high",
            ),
            (
                "[section]\nx = 1",
                "\"section\" must be a number, not table",
            ),
            ("gc_round_mg = ", "not valid TOML"),
            (
                "utc_offset_minutes = 900",
                "\"utc_offset_minutes\" = 900: must be between -840 and 840",
            ),
        ];
        for (text, want) in cases {
            let err = Policy::from_toml(text).unwrap_err().to_string();
            assert!(err.contains(want), "{text}: {err}");
        }
    }
}

#[cfg(test)]
mod data_limit_tests {
    use super::*;

    #[test]
    fn today_is_taken_in_the_service_calendar() {
        // 2026-11-24 03:30 UTC is still the 23rd at UTC-05:00, the 24th at
        // UTC and at UTC+05:30.
        let now = chrono::DateTime::parse_from_rfc3339("2026-11-24T03:30:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        for (offset, want) in [(-300, 23), (0, 24), (330, 24), (-211, 23), (-210, 24)] {
            let p = Policy::from_toml(&format!("utc_offset_minutes = {offset}")).unwrap();
            assert_eq!(
                p.today_at(now),
                chrono::NaiveDate::from_ymd_opt(2026, 11, want).unwrap(),
                "{offset}"
            );
        }
        assert_eq!(Policy::default().utc_offset_minutes, 0.0);
    }

    #[test]
    fn data_limits_default_to_the_policy_defaults() {
        assert_eq!(
            Policy::default().data_limits(),
            crate::facts::DataLimits::default()
        );
        let p = Policy::from_toml("weight_max_kg = 300\n").unwrap();
        assert_eq!(p.data_limits().weight_max_kg, 300.0);
    }
}
