//! Unit conversions for the figures the rules use (REFERENCE.md 3 and 5.6).
//! Factors are exact UCUM definitions: 1 [lb_av] = 0.45359237 kg,
//! 1 [in_i] = 2.54 cm, 1 [ft_i] = 30.48 cm. Common non-UCUM strings are read
//! too ("lb", "lbs", "Kg", "in", "inch"). Anything else is not guessed: `None`.

/// Body weight in kg, from a value and its unit.
pub fn to_kg(value: f64, unit: &str) -> Option<f64> {
    let factor = match unit.trim() {
        "kg" | "Kg" | "KG" | "kilogram" | "kilograms" => 1.0,
        "g" | "gram" | "grams" => 0.001,
        "[lb_av]" | "lb" | "lbs" | "LB" | "LBS" | "pound" | "pounds" => 0.453_592_37,
        "[oz_av]" | "oz" => 0.028_349_523_125,
        _ => return None,
    };
    Some(value * factor)
}

/// Body height in cm, from a value and its unit.
pub fn to_cm(value: f64, unit: &str) -> Option<f64> {
    let factor = match unit.trim() {
        "cm" | "CM" | "centimeter" | "centimeters" => 1.0,
        "m" | "meter" | "meters" => 100.0,
        "mm" => 0.1,
        "[in_i]" | "in" | "inch" | "inches" | "\"" => 2.54,
        "[ft_i]" | "ft" | "feet" => 30.48,
        _ => return None,
    };
    Some(value * factor)
}

/// Blood pressure in mm[Hg].
pub fn to_mmhg(value: f64, unit: &str) -> Option<f64> {
    match unit.trim() {
        "mm[Hg]" | "mmHg" | "mm Hg" | "mmhg" => Some(value),
        _ => None,
    }
}

/// Serum creatinine in mg/dL (1 mg/dL = 88.4 umol/L).
pub fn to_mg_per_dl(value: f64, unit: &str) -> Option<f64> {
    match unit.trim() {
        "mg/dL" | "mg/dl" => Some(value),
        "umol/L" | "µmol/L" | "umol/l" | "μmol/L" => Some(value / 88.4),
        _ => None,
    }
}

/// eGFR in mL/min/1.73 m2. A bare mL/min is a creatinine clearance, not an
/// eGFR (REFERENCE.md 5.6), and is accepted as such: the thresholds are the same.
pub fn to_egfr(value: f64, unit: &str) -> Option<f64> {
    match unit.trim() {
        "mL/min/{1.73_m2}" | "mL/min/1.73m2" | "mL/min/1.73 m2" | "ml/min/1.73m2"
        | "mL/min/[1.73_m2]" | "mL/min" | "ml/min" => Some(value),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn weight_table() {
        // (value, unit, kg) - S2: 154 [lb_av] = 69.853 kg.
        let cases = [
            (70.0, "kg", Some(70.0)),
            (70_000.0, "g", Some(70.0)),
            (154.0, "[lb_av]", Some(69.853_224_98)),
            (154.0, "lbs", Some(69.853_224_98)),
            (154.0, "stone", None),
        ];
        for (v, u, want) in cases {
            match (to_kg(v, u), want) {
                (Some(got), Some(w)) => assert!(close(got, w), "{v} {u}: {got}"),
                (got, w) => assert_eq!(got, w, "{v} {u}"),
            }
        }
    }

    #[test]
    fn height_table() {
        // S2: 64 [in_i] = 162.56 cm.
        let cases = [
            (170.0, "cm", Some(170.0)),
            (1.7, "m", Some(170.0)),
            (64.0, "[in_i]", Some(162.56)),
            (5.0, "[ft_i]", Some(152.4)),
            (64.0, "hands", None),
        ];
        for (v, u, want) in cases {
            match (to_cm(v, u), want) {
                (Some(got), Some(w)) => assert!(close(got, w), "{v} {u}: {got}"),
                (got, w) => assert_eq!(got, w, "{v} {u}"),
            }
        }
    }

    #[test]
    fn creatinine_and_egfr() {
        assert!(close(to_mg_per_dl(229.84, "umol/L").unwrap(), 2.6));
        assert_eq!(to_mg_per_dl(2.6, "mg/dL"), Some(2.6));
        assert_eq!(to_egfr(25.0, "mL/min/{1.73_m2}"), Some(25.0));
        assert_eq!(to_egfr(25.0, "%"), None);
        assert_eq!(to_mmhg(140.0, "mm[Hg]"), Some(140.0));
    }
}

/// A unit as a clinician writes it: UCUM codes and annotations become plain
/// words ("[lb_av]" → "lb", "{tbl}" → "tablet", "mL/min/{1.73_m2}" →
/// "mL/min/1.73 m²"); anything else is kept.
pub fn plain(unit: &str) -> String {
    let u = unit.trim();
    let known = match u {
        "[lb_av]" | "lb_av" | "[lb]" => "lb",
        "[in_i]" | "[in_us]" => "in",
        "[ft_i]" => "ft",
        "[oz_av]" => "oz",
        "mm[Hg]" => "mmHg",
        "mL/min/{1.73_m2}" | "mL/min/1.73m2" => "mL/min/1.73 m²",
        "10*9/L" => "×10⁹/L",
        "10*3/uL" => "×10³/µL",
        "ug" => "µg",
        "[iU]/L" | "[IU]/L" => "IU/L",
        _ => "",
    };
    if !known.is_empty() {
        return known.to_string();
    }
    let bare = u
        .trim_matches(|c| c == '{' || c == '}')
        .to_ascii_lowercase();
    match bare.as_str() {
        "pill" | "pills" | "tbl" | "tab" | "tabs" | "tablet" | "tablets" => "tablet".into(),
        "cap" | "caps" | "capsule" | "capsules" => "capsule".into(),
        _ if u.contains('{') => {
            // Any other annotation: its text, without the braces.
            u.replace(['{', '}'], "").replace('_', " ")
        }
        _ => u.to_string(),
    }
}

#[cfg(test)]
mod plain_tests {
    use super::plain;

    #[test]
    fn ucum_reads_plainly() {
        for (u, want) in [
            ("[lb_av]", "lb"),
            ("{pill}", "tablet"),
            ("{tbl}", "tablet"),
            ("mL/min/{1.73_m2}", "mL/min/1.73 m²"),
            ("mm[Hg]", "mmHg"),
            ("kg", "kg"),
            ("{beats}/min", "beats/min"),
        ] {
            assert_eq!(plain(u), want, "{u}");
        }
    }
}
