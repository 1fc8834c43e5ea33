//! Unit conversions for the figures the rules use (REFERENCE.md 3 and 5.6).
//! Factors are exact UCUM definitions: 1 [lb_av] = 0.45359237 kg,
//! 1 [in_i] = 2.54 cm, 1 [ft_i] = 30.48 cm.
//!
//! Every unit string is read through one table, [`unit`]: the UCUM code and
//! the common non-UCUM ways of writing it ("lbs", "Kg", "inch",
//! "mL/min/1.73m2", "µmol/L"). Case is ignored where no other unit could be
//! meant ("KG", "LBS", "mg/dl"); "m", "g" and "mm" are read only as written
//! ("M" is molar, "G" gauss). Anything else is not guessed: `None`, and the
//! figure is not used (the card names it).

/// A unit the service reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Kilogram,
    Gram,
    Pound,
    Ounce,
    Centimetre,
    Metre,
    Millimetre,
    Inch,
    Foot,
    MmHg,
    MgPerDl,
    UmolPerL,
    /// mL/min/1.73 m² (an eGFR).
    MlPerMinPer173,
    /// mL/min (a creatinine clearance).
    MlPerMin,
}

/// The unit a string names, from one table (see the module's note).
pub fn unit(s: &str) -> Option<Unit> {
    use Unit::*;
    let t = s.trim();
    match t {
        "m" => return Some(Metre),
        "g" => return Some(Gram),
        "mm" => return Some(Millimetre),
        _ => {}
    }
    // Case, blanks and the micro sign do not matter in the names below.
    let key: String = t
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            'µ' | 'μ' => 'u',
            '²' => '2',
            c => c.to_ascii_lowercase(),
        })
        .collect();
    Some(match key.as_str() {
        "kg" | "kgs" | "kilogram" | "kilograms" | "kilogramme" | "kilogrammes" => Kilogram,
        "gram" | "grams" | "gramme" | "grammes" => Gram,
        "[lb_av]" | "lb" | "lbs" | "pound" | "pounds" | "lb_av" => Pound,
        "[oz_av]" | "oz" | "ounce" | "ounces" => Ounce,
        "cm" | "centimeter" | "centimeters" | "centimetre" | "centimetres" => Centimetre,
        "meter" | "meters" | "metre" | "metres" => Metre,
        "[in_i]" | "[in_us]" | "in" | "inch" | "inches" | "\"" => Inch,
        "[ft_i]" | "ft" | "foot" | "feet" => Foot,
        "mm[hg]" | "mmhg" => MmHg,
        "mg/dl" => MgPerDl,
        "umol/l" => UmolPerL,
        "ml/min/{1.73_m2}" | "ml/min/[1.73_m2]" | "ml/min/1.73m2" | "ml/min/1.73m^2"
        | "ml/min/1.73_m2" | "ml/min/{1.73m2}" => MlPerMinPer173,
        "ml/min" => MlPerMin,
        _ => return None,
    })
}

/// Body weight in kg, from a value and its unit.
pub fn to_kg(value: f64, unit_text: &str) -> Option<f64> {
    let factor = match unit(unit_text)? {
        Unit::Kilogram => 1.0,
        Unit::Gram => 0.001,
        Unit::Pound => 0.453_592_37,
        Unit::Ounce => 0.028_349_523_125,
        _ => return None,
    };
    Some(value * factor)
}

/// Body height in cm, from a value and its unit.
pub fn to_cm(value: f64, unit_text: &str) -> Option<f64> {
    let factor = match unit(unit_text)? {
        Unit::Centimetre => 1.0,
        Unit::Metre => 100.0,
        Unit::Millimetre => 0.1,
        Unit::Inch => 2.54,
        Unit::Foot => 30.48,
        _ => return None,
    };
    Some(value * factor)
}

/// Blood pressure in mm[Hg].
pub fn to_mmhg(value: f64, unit_text: &str) -> Option<f64> {
    (unit(unit_text)? == Unit::MmHg).then_some(value)
}

/// Serum creatinine in mg/dL (1 mg/dL = 88.4 umol/L).
pub fn to_mg_per_dl(value: f64, unit_text: &str) -> Option<f64> {
    match unit(unit_text)? {
        Unit::MgPerDl => Some(value),
        Unit::UmolPerL => Some(value / 88.4),
        _ => None,
    }
}

/// eGFR in mL/min/1.73 m2. A bare mL/min is a creatinine clearance, not an
/// eGFR (REFERENCE.md 5.6), and is accepted as such: the thresholds are the same.
pub fn to_egfr(value: f64, unit_text: &str) -> Option<f64> {
    match unit(unit_text)? {
        Unit::MlPerMinPer173 | Unit::MlPerMin => Some(value),
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
    fn unit_strings_table() {
        use Unit::*;
        // (as sent, read as): the POLICY third edition's list, and what must stay unread.
        let cases = [
            ("kg", Some(Kilogram)),
            ("KG", Some(Kilogram)),
            (" Kg ", Some(Kilogram)),
            ("g", Some(Gram)),
            ("G", None),
            ("lb", Some(Pound)),
            ("lbs", Some(Pound)),
            ("LBS", Some(Pound)),
            ("pound", Some(Pound)),
            ("Pounds", Some(Pound)),
            ("[lb_av]", Some(Pound)),
            ("oz", Some(Ounce)),
            ("[oz_av]", Some(Ounce)),
            ("in", Some(Inch)),
            ("inch", Some(Inch)),
            ("[in_i]", Some(Inch)),
            ("cm", Some(Centimetre)),
            ("m", Some(Metre)),
            ("M", None),
            ("mL/min/1.73m2", Some(MlPerMinPer173)),
            ("mL/min/1.73 m2", Some(MlPerMinPer173)),
            ("mL/min/1.73 m²", Some(MlPerMinPer173)),
            ("mL/min/{1.73_m2}", Some(MlPerMinPer173)),
            ("ml/min/1.73m2", Some(MlPerMinPer173)),
            ("mL/min", Some(MlPerMin)),
            ("mg/dL", Some(MgPerDl)),
            ("mg/dl", Some(MgPerDl)),
            ("MG/DL", Some(MgPerDl)),
            ("umol/L", Some(UmolPerL)),
            ("µmol/L", Some(UmolPerL)),
            ("μmol/L", Some(UmolPerL)),
            ("umol/l", Some(UmolPerL)),
            ("mm[Hg]", Some(MmHg)),
            ("mmHg", Some(MmHg)),
            ("mm Hg", Some(MmHg)),
            ("stone", None),
            ("st", None),
            ("", None),
            ("mmol/L", None),
            ("%", None),
        ];
        for (s, want) in cases {
            assert_eq!(unit(s), want, "{s:?}");
        }
        // Each unit converts only within its own dimension.
        assert_eq!(to_kg(70.0, "cm"), None);
        assert_eq!(to_cm(170.0, "kg"), None);
        assert_eq!(to_egfr(60.0, "mg/dL"), None);
        assert!(close(to_kg(154.0, "Pounds").unwrap(), 69.853_224_98));
        assert!(close(to_cm(64.0, "inch").unwrap(), 162.56));
        assert!(close(to_mg_per_dl(229.84, "µmol/L").unwrap(), 2.6));
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
pub fn plain(unit_text: &str) -> String {
    let u = unit_text.trim();
    // A unit of the table, however written ("Lbs", "KG"), reads one way.
    let table = match unit(u) {
        Some(Unit::Kilogram) => "kg",
        Some(Unit::Pound) => "lb",
        Some(Unit::Ounce) => "oz",
        Some(Unit::Centimetre) => "cm",
        Some(Unit::Inch) => "in",
        Some(Unit::Foot) => "ft",
        Some(Unit::MmHg) => "mmHg",
        Some(Unit::MgPerDl) => "mg/dL",
        Some(Unit::MlPerMinPer173) => "mL/min/1.73 m²",
        _ => "",
    };
    if !table.is_empty() {
        return table.to_string();
    }
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
            ("KG", "kg"),
            ("Lbs", "lb"),
            ("pounds", "lb"),
            ("mL/min/1.73m2", "mL/min/1.73 m²"),
            ("{beats}/min", "beats/min"),
        ] {
            assert_eq!(plain(u), want, "{u}");
        }
    }
}
