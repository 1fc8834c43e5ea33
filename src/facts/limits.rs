//! The limits the facts are read with: which figures are plausible for an
//! adult, when a weight is a jump or a unit slip, when a lab is current.
//! Each is a named policy setting (the clinical policy fills them in); the
//! defaults here are the policy's defaults.

/// Plausibility and currency limits for patient data.
#[derive(Debug, Clone, PartialEq)]
pub struct DataLimits {
    pub weight_min_kg: f64,
    pub weight_max_kg: f64,
    pub height_min_cm: f64,
    pub height_max_cm: f64,
    pub bmi_min: f64,
    pub bmi_max: f64,
    /// Newest weight further than this from the median of the previous window: unconfirmed.
    pub weight_jump_pct: f64,
    pub weight_jump_window_days: f64,
    /// Newest weight this many times (or its inverse) any weight of the window: a lb/kg slip.
    pub unit_slip_ratio: f64,
    pub unit_slip_inverse_ratio: f64,
    pub unit_slip_tolerance_pct: f64,
    pub unit_slip_window_days: f64,
    /// Observations dated more than this after today are ignored.
    pub future_tolerance_days: f64,
    /// eGFR and creatinine older than this are not current.
    pub renal_current_days: f64,
    /// A measured and a computed eGFR this close in time: the lower counts.
    pub egfr_pair_days: f64,
    /// Creatinine rise (both conditions) within the window: renal function unstable.
    pub creatinine_unstable_pct: f64,
    pub creatinine_unstable_mg_dl: f64,
    pub creatinine_unstable_window_days: f64,
    /// The service's calendar: its offset from UTC in minutes. An
    /// observation's instant is read as a date in this calendar.
    pub utc_offset_minutes: f64,
}

impl DataLimits {
    /// The service's time zone as a fixed offset (UTC when out of range).
    pub fn offset(&self) -> chrono::FixedOffset {
        let secs = (self.utc_offset_minutes.round() as i32).saturating_mul(60);
        chrono::FixedOffset::east_opt(secs)
            .unwrap_or_else(|| chrono::FixedOffset::east_opt(0).expect("UTC"))
    }
}

impl Default for DataLimits {
    fn default() -> Self {
        DataLimits {
            weight_min_kg: 25.0,
            weight_max_kg: 350.0,
            height_min_cm: 120.0,
            height_max_cm: 230.0,
            bmi_min: 12.0,
            bmi_max: 70.0,
            weight_jump_pct: 20.0,
            weight_jump_window_days: 30.0,
            unit_slip_ratio: 2.2,
            unit_slip_inverse_ratio: 0.45,
            unit_slip_tolerance_pct: 5.0,
            unit_slip_window_days: 365.0,
            future_tolerance_days: 1.0,
            renal_current_days: 90.0,
            egfr_pair_days: 7.0,
            creatinine_unstable_pct: 30.0,
            creatinine_unstable_mg_dl: 0.3,
            creatinine_unstable_window_days: 90.0,
            utc_offset_minutes: 0.0,
        }
    }
}
