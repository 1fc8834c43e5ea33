//! The named settings of POLICY.md, each with its default, unit and source.
//! A health system may change any of them; the defaults are compiled in.

/// Every threshold and choice the rules use.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    /// mg/day prednisone-equivalent at or above which SSc patients are at risk
    /// of scleroderma renal crisis. REFERENCE.md 1.1 (Steen & Medsger 1998).
    pub src_threshold_mg_per_day: f64,
    /// Taper target, mg/day prednisone-equivalent. Guidance ("ideally ≤10 mg/day").
    pub taper_target_mg_per_day: f64,
    /// SSc onset within this many years is an SRC risk factor. POLICY.md.
    pub src_recent_onset_years: i64,
    /// Last systolic / diastolic BP at or above these (mm[Hg]) is an SRC risk factor. POLICY.md.
    pub src_bp_systolic: f64,
    pub src_bp_diastolic: f64,
    /// Initial prednisone range, mg/kg/day actual weight. Guidance.
    pub gc_mg_per_kg_low: f64,
    pub gc_mg_per_kg_high: f64,
    /// Target with diabetes, osteoporosis or glaucoma, mg/kg/day. Guidance.
    pub gc_mg_per_kg_comorbid: f64,
    /// Prednisone doses are rounded to the nearest multiple of this (mg). REFERENCE.md 3.
    pub gc_round_mg: f64,
    /// A weight older than this (days) is named as such on every card using it. POLICY.md.
    pub weight_max_age_days: i64,
    /// Methotrexate range, mg/m²/week (Mosteller BSA). Guidance.
    pub mtx_mg_per_m2_low: f64,
    pub mtx_mg_per_m2_high: f64,
    /// Methotrexate starting dose suggested, mg/m²/week, rounded up to `mtx_round_mg`. POLICY.md.
    pub mtx_start_mg_per_m2: f64,
    pub mtx_round_mg: f64,
    /// Absolute maximum, mg/week. Guidance.
    pub mtx_max_mg_per_week: f64,
    /// Above this (mg/week) adult practice asks for confirmation. POLICY.md (REFERENCE.md 3 flag).
    pub mtx_usual_adult_max_mg_per_week: f64,
    /// eGFR below which methotrexate is avoided (critical). REFERENCE.md 4 (ACR 2008).
    pub mtx_egfr_avoid_below: f64,
    /// eGFR below which the methotrexate dose is reduced (~50 %). REFERENCE.md 4 (BAD 2016).
    pub mtx_egfr_reduce_below: f64,
    /// Folic acid with methotrexate, mg/day. Guidance.
    pub folic_acid_mg_per_day: f64,
    /// Azathioprine, mg/kg/day of dosing weight (ideal body weight, or actual if lower). Guidance + POLICY.md.
    pub aza_mg_per_kg: f64,
    pub aza_round_mg: f64,
    /// Mycophenolate mofetil starting dose, mg twice daily. Guidance.
    pub mmf_start_mg: f64,
    /// Prednisone-equivalent factor of betamethasone (0.6 mg ≈ prednisone 5 mg). POLICY.md.
    pub betamethasone_factor: f64,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            src_threshold_mg_per_day: 15.0,
            taper_target_mg_per_day: 10.0,
            src_recent_onset_years: 4,
            src_bp_systolic: 140.0,
            src_bp_diastolic: 90.0,
            gc_mg_per_kg_low: 0.5,
            gc_mg_per_kg_high: 1.0,
            gc_mg_per_kg_comorbid: 0.5,
            gc_round_mg: 5.0,
            weight_max_age_days: 90,
            mtx_mg_per_m2_low: 15.0,
            mtx_mg_per_m2_high: 20.0,
            mtx_start_mg_per_m2: 15.0,
            mtx_round_mg: 2.5,
            mtx_max_mg_per_week: 40.0,
            mtx_usual_adult_max_mg_per_week: 25.0,
            mtx_egfr_avoid_below: 30.0,
            mtx_egfr_reduce_below: 60.0,
            folic_acid_mg_per_day: 1.0,
            aza_mg_per_kg: 2.0,
            aza_round_mg: 25.0,
            mmf_start_mg: 500.0,
            betamethasone_factor: 8.33,
        }
    }
}
