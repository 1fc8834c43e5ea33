//! Deterministic generator of realistic FHIR R4 order-sign requests: a
//! patient with systemic sclerosis / myositis overlap, varied vitals and
//! laboratory results over years, many conditions and medications, `meta`,
//! `extension`, `category`, `referenceRange` and `interpretation` elements as
//! EHRs send them. The same seed always gives the same bytes.
//!
//! Shared by the criterion benches (`benches/cds.rs`) and the tests
//! (`tests/generated.rs`).

#![allow(dead_code)]

use std::fmt::Write;

/// The day the generated records are evaluated on.
pub const TODAY: (i32, u32, u32) = (2026, 11, 24);

/// How big a record to generate.
#[derive(Debug, Clone, Copy)]
pub struct Size {
    pub observations: usize,
    pub conditions: usize,
    pub medications: usize,
}

impl Size {
    /// A typical chart: a few dozen recent results, a handful of problems and drugs.
    pub const TYPICAL: Size = Size {
        observations: 12,
        conditions: 4,
        medications: 4,
    };
    /// A long-followed patient: ~6.6 MB of request (more than the ~5 MB
    /// record the targets name, so they are checked on a harder case).
    pub const LARGE: Size = Size {
        observations: 10_000,
        conditions: 500,
        medications: 500,
    };
    /// `n` entries in all: observations, with a conditions and a medications
    /// list each a twentieth as long (at least one).
    pub fn growth(n: usize) -> Size {
        Size {
            observations: n,
            conditions: (n / 20).max(1),
            medications: (n / 20).max(1),
        }
    }
}

/// xorshift64*: small, fast and the same everywhere.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    /// Uniform in [lo, hi), rounded to `dp` decimals.
    pub fn value(&mut self, lo: f64, hi: f64, dp: i32) -> f64 {
        let u = (self.next() >> 11) as f64 / (1u64 << 53) as f64;
        let scale = 10f64.powi(dp);
        ((lo + u * (hi - lo)) * scale).round() / scale
    }
    pub fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len() as u64) as usize]
    }
}

/// (LOINC, short name, UCUM unit, low, high, decimals, reference low, reference high)
type Lab = (
    &'static str,
    &'static str,
    &'static str,
    f64,
    f64,
    i32,
    f64,
    f64,
);

const LABS: &[Lab] = &[
    ("2160-0", "Creat SerPl-mCnc", "mg/dL", 0.5, 1.6, 2, 0.7, 1.3),
    (
        "98979-8",
        "eGFRcr SerPlBld CKD-EPI 2021-ArVRat",
        "mL/min/{1.73_m2}",
        55.0,
        110.0,
        0,
        60.0,
        120.0,
    ),
    ("718-7", "Hgb Bld-mCnc", "g/dL", 10.5, 16.0, 1, 12.0, 17.5),
    (
        "6690-2",
        "WBC # Bld Auto",
        "10*3/uL",
        3.5,
        11.0,
        1,
        4.0,
        10.5,
    ),
    (
        "777-3",
        "Platelet # Bld Auto",
        "10*3/uL",
        140.0,
        420.0,
        0,
        150.0,
        400.0,
    ),
    ("1742-6", "ALT SerPl-cCnc", "U/L", 8.0, 60.0, 0, 7.0, 56.0),
    ("1920-8", "AST SerPl-cCnc", "U/L", 10.0, 55.0, 0, 10.0, 40.0),
    (
        "2157-6",
        "CK SerPl-cCnc",
        "U/L",
        40.0,
        2400.0,
        0,
        39.0,
        308.0,
    ),
    (
        "2345-7",
        "Glucose SerPl-mCnc",
        "mg/dL",
        70.0,
        190.0,
        0,
        70.0,
        99.0,
    ),
    ("4548-4", "Hgb A1c MFr Bld", "%", 4.8, 7.9, 1, 4.0, 5.6),
    (
        "2823-3",
        "Potassium SerPl-sCnc",
        "mmol/L",
        3.3,
        5.4,
        1,
        3.5,
        5.1,
    ),
    (
        "2951-2",
        "Sodium SerPl-sCnc",
        "mmol/L",
        132.0,
        146.0,
        0,
        136.0,
        145.0,
    ),
    ("1988-5", "CRP SerPl-mCnc", "mg/L", 0.2, 48.0, 1, 0.0, 5.0),
    (
        "2532-0",
        "LDH SerPl-cCnc",
        "U/L",
        120.0,
        480.0,
        0,
        140.0,
        280.0,
    ),
];

/// (text, RxNorm code, dosage text, dose, unit, frequency, period, period unit)
type Med = (
    &'static str,
    &'static str,
    &'static str,
    f64,
    &'static str,
    u32,
    u32,
    &'static str,
);

const MEDS: &[Med] = &[
    (
        "hydroxychloroquine sulfate 200 MG Oral Tablet",
        "979092",
        "200 mg by mouth twice daily",
        1.0,
        "{tbl}",
        2,
        1,
        "d",
    ),
    (
        "omeprazole 20 MG Delayed Release Oral Capsule",
        "198053",
        "20 mg by mouth once daily before breakfast",
        1.0,
        "{cap}",
        1,
        1,
        "d",
    ),
    (
        "amLODIPine 5 MG Oral Tablet",
        "197361",
        "5 mg by mouth once daily",
        1.0,
        "{tbl}",
        1,
        1,
        "d",
    ),
    (
        "NIFEdipine 30 MG Extended Release Oral Tablet",
        "672918",
        "30 mg by mouth once daily",
        1.0,
        "{tbl}",
        1,
        1,
        "d",
    ),
    (
        "calcium carbonate 1250 MG Oral Tablet",
        "308915",
        "1 tablet by mouth twice daily with meals",
        1.0,
        "{tbl}",
        2,
        1,
        "d",
    ),
    (
        "cholecalciferol 1000 UNT Oral Tablet",
        "316965",
        "1000 units by mouth once daily",
        1.0,
        "{tbl}",
        1,
        1,
        "d",
    ),
    (
        "alendronate sodium 70 MG Oral Tablet",
        "904419",
        "70 mg by mouth once weekly",
        1.0,
        "{tbl}",
        1,
        1,
        "wk",
    ),
    (
        "sildenafil 20 MG Oral Tablet",
        "312950",
        "20 mg by mouth three times daily",
        1.0,
        "{tbl}",
        3,
        1,
        "d",
    ),
    (
        "folic acid 1 MG Oral Tablet",
        "310410",
        "1 mg by mouth once daily",
        1.0,
        "{tbl}",
        1,
        1,
        "d",
    ),
    (
        "atorvastatin 20 MG Oral Tablet",
        "617310",
        "20 mg by mouth at bedtime",
        1.0,
        "{tbl}",
        1,
        1,
        "d",
    ),
    (
        "metFORMIN hydrochloride 500 MG Oral Tablet",
        "861007",
        "500 mg by mouth twice daily",
        1.0,
        "{tbl}",
        2,
        1,
        "d",
    ),
    (
        "ondansetron 4 MG Disintegrating Oral Tablet",
        "104894",
        "4 mg by mouth every 8 hours as needed",
        1.0,
        "{tbl}",
        1,
        8,
        "h",
    ),
];

/// (ICD-10-CM, display)
const CONDITIONS: &[(&str, &str)] = &[
    ("I10", "Essential (primary) hypertension"),
    (
        "K21.9",
        "Gastro-esophageal reflux disease without esophagitis",
    ),
    ("I73.00", "Raynaud's syndrome without gangrene"),
    ("J84.10", "Pulmonary fibrosis, unspecified"),
    ("E11.9", "Type 2 diabetes mellitus without complications"),
    (
        "M81.0",
        "Age-related osteoporosis without current pathological fracture",
    ),
    ("E78.5", "Hyperlipidemia, unspecified"),
    (
        "F32.9",
        "Major depressive disorder, single episode, unspecified",
    ),
    ("L94.0", "Localized scleroderma [morphea]"),
    ("K59.00", "Constipation, unspecified"),
];

const LOINC: &str = "http://loinc.org";
const UCUM: &str = "http://unitsofmeasure.org";

fn date(rng: &mut Rng, back_days: u64) -> String {
    // Days before TODAY, as a FHIR dateTime; calendar arithmetic kept simple
    // (months of 28 days) so every date is valid.
    let d = rng.below(back_days.max(1));
    let (y, m, day) = TODAY;
    let total = (y as u64) * 12 * 28 + (m as u64 - 1) * 28 + (day.min(28) as u64 - 1) - d;
    let (yy, rest) = (total / (12 * 28), total % (12 * 28));
    let (mm, dd) = (rest / 28 + 1, rest % 28 + 1);
    format!(
        "{yy:04}-{mm:02}-{dd:02}T{:02}:{:02}:00+01:00",
        rng.below(24),
        rng.below(60)
    )
}

/// `meta` on one resource in eight, as records migrated from older systems lack it.
fn meta(out: &mut String, rng: &mut Rng) {
    if rng.below(8) != 0 {
        return;
    }
    let _ = write!(
        out,
        r##""meta":{{"versionId":"{}","lastUpdated":"2026-11-2{}T08:1{}:00Z","source":"#ehr-{:x}"}},"##,
        rng.below(9) + 1,
        rng.below(4),
        rng.below(10),
        rng.next() & 0xffff
    );
}

fn observation(out: &mut String, rng: &mut Rng, i: usize, patient: &str) {
    out.push_str(r#"{"resource":{"resourceType":"Observation","#);
    let _ = write!(out, r#""id":"{patient}-o{i}","#);
    meta(out, rng);
    let when = date(rng, 3 * 365);
    match rng.below(10) {
        // Vital signs: weight, height, blood pressure.
        0 => {
            let _ = write!(
                out,
                r#""status":"final","category":[{{"coding":[{{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"vital-signs","display":"Vital Signs"}}]}}],"code":{{"coding":[{{"system":"{LOINC}","code":"29463-7","display":"Body weight"}}],"text":"Weight"}},"subject":{{"reference":"Patient/{patient}"}},"effectiveDateTime":"{when}","valueQuantity":{{"value":{},"unit":"kg","system":"{UCUM}","code":"kg"}}}}}}"#,
                rng.value(68.0, 74.0, 1)
            );
        }
        1 => {
            let _ = write!(
                out,
                r#""status":"final","category":[{{"coding":[{{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"vital-signs"}}]}}],"code":{{"coding":[{{"system":"{LOINC}","code":"85354-9","display":"Blood pressure panel with all children optional"}}]}},"subject":{{"reference":"Patient/{patient}"}},"effectiveDateTime":"{when}","component":[{{"code":{{"coding":[{{"system":"{LOINC}","code":"8480-6","display":"Systolic blood pressure"}}]}},"valueQuantity":{{"value":{},"unit":"mmHg","system":"{UCUM}","code":"mm[Hg]"}}}},{{"code":{{"coding":[{{"system":"{LOINC}","code":"8462-4","display":"Diastolic blood pressure"}}]}},"valueQuantity":{{"value":{},"unit":"mmHg","system":"{UCUM}","code":"mm[Hg]"}}}}]}}}}"#,
                rng.value(108.0, 138.0, 0),
                rng.value(62.0, 86.0, 0)
            );
        }
        _ => {
            let (code, display, unit, lo, hi, dp, rlo, rhi) = *rng.pick(LABS);
            let v = rng.value(lo, hi, dp);
            if rng.below(10) == 0 {
                let _ = write!(
                    out,
                    r#""extension":[{{"url":"http://hl7.org/fhir/StructureDefinition/observation-analysis-date","valueDateTime":"{when}"}}],"#
                );
            }
            let _ = write!(
                out,
                r#""status":"final","category":[{{"coding":[{{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"laboratory"}}]}}],"code":{{"coding":[{{"system":"{LOINC}","code":"{code}","display":"{display}"}}]}},"subject":{{"reference":"Patient/{patient}"}},"effectiveDateTime":"{when}","valueQuantity":{{"value":{v},"unit":"{unit}","system":"{UCUM}","code":"{unit}"}}"#
            );
            if (v > rhi || v < rlo) && rng.below(4) == 0 {
                let flag = if v > rhi { "H" } else { "L" };
                let _ = write!(
                    out,
                    r#","interpretation":[{{"coding":[{{"system":"http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation","code":"{flag}"}}]}}]"#
                );
            }
            if rng.below(8) == 0 {
                let _ = write!(
                    out,
                    r#","referenceRange":[{{"low":{{"value":{rlo},"unit":"{unit}"}},"high":{{"value":{rhi},"unit":"{unit}"}}}}]"#
                );
            }
            out.push_str("}}");
        }
    }
}

fn condition(out: &mut String, rng: &mut Rng, i: usize, patient: &str) {
    let (code, display) = *rng.pick(CONDITIONS);
    let status = *rng.pick(&["active", "active", "resolved", "inactive"]);
    let _ = write!(
        out,
        r#"{{"resource":{{"resourceType":"Condition","id":"{patient}-c{i}","#
    );
    meta(out, rng);
    let _ = write!(
        out,
        r#""extension":[{{"url":"http://hl7.org/fhir/StructureDefinition/condition-assertedDate","valueDateTime":"{}"}}],"clinicalStatus":{{"coding":[{{"system":"http://terminology.hl7.org/CodeSystem/condition-clinical","code":"{status}"}}]}},"verificationStatus":{{"coding":[{{"system":"http://terminology.hl7.org/CodeSystem/condition-ver-status","code":"confirmed"}}]}},"category":[{{"coding":[{{"system":"http://terminology.hl7.org/CodeSystem/condition-category","code":"problem-list-item"}}]}}],"code":{{"coding":[{{"system":"http://hl7.org/fhir/sid/icd-10-cm","code":"{code}","display":"{display}"}}],"text":"{display}"}},"subject":{{"reference":"Patient/{patient}"}},"onsetDateTime":"{}","recordedDate":"{}"}}}}"#,
        date(rng, 3000),
        date(rng, 3000),
        date(rng, 3000)
    );
}

fn medication(out: &mut String, rng: &mut Rng, i: usize, patient: &str) {
    let (text, rx, sig, dose, unit, freq, period, punit) = *rng.pick(MEDS);
    let status = *rng.pick(&["active", "active", "active", "completed", "stopped"]);
    let _ = write!(
        out,
        r#"{{"resource":{{"resourceType":"MedicationRequest","id":"{patient}-m{i}","#
    );
    meta(out, rng);
    let _ = write!(
        out,
        r#""extension":[{{"url":"http://hl7.org/fhir/us/core/StructureDefinition/us-core-medication-adherence","valueCodeableConcept":{{"text":"taking as prescribed"}}}}],"status":"{status}","intent":"order","category":[{{"coding":[{{"system":"http://terminology.hl7.org/CodeSystem/medicationrequest-category","code":"community"}}]}}],"medicationCodeableConcept":{{"coding":[{{"system":"http://www.nlm.nih.gov/research/umls/rxnorm","code":"{rx}","display":"{text}"}}],"text":"{text}"}},"subject":{{"reference":"Patient/{patient}"}},"authoredOn":"{}","requester":{{"reference":"Practitioner/p{}","display":"Dr Example"}},"dosageInstruction":[{{"sequence":1,"text":"{sig}","timing":{{"repeat":{{"frequency":{freq},"period":{period},"periodUnit":"{punit}"}}}},"route":{{"coding":[{{"system":"http://snomed.info/sct","code":"26643006","display":"Oral route"}}]}},"doseAndRate":[{{"type":{{"coding":[{{"system":"http://terminology.hl7.org/CodeSystem/dose-rate-type","code":"ordered"}}]}},"doseQuantity":{{"value":{dose},"unit":"{unit}","system":"{UCUM}","code":"{unit}"}}}}]}}],"dispenseRequest":{{"numberOfRepeatsAllowed":{},"quantity":{{"value":{},"unit":"{unit}"}}}}}}}}"#,
        date(rng, 1500),
        rng.below(40),
        rng.below(6),
        30 * (1 + rng.below(3))
    );
}

fn bundle(out: &mut String, n: usize, mut entry: impl FnMut(&mut String, usize)) {
    let _ = write!(
        out,
        r#"{{"resourceType":"Bundle","type":"searchset","total":{n},"entry":["#
    );
    for i in 0..n {
        if i > 0 {
            out.push(',');
        }
        entry(out, i);
    }
    out.push_str("]}");
}

const DRAFTS: &str = r#"{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"MedicationRequest","id":"PAT-pred","status":"draft","intent":"order","subject":{"reference":"Patient/PAT"},"authoredOn":"2026-11-24","medicationCodeableConcept":{"text":"predniSONE 20 MG Oral Tablet","coding":[{"system":"http://www.nlm.nih.gov/research/umls/rxnorm","code":"312615","display":"predniSONE 20 MG Oral Tablet"}]},"dosageInstruction":[{"text":"3 tablets (60 mg) by mouth once daily","timing":{"repeat":{"frequency":1,"period":1,"periodUnit":"d"}},"route":{"coding":[{"system":"http://snomed.info/sct","code":"26643006","display":"Oral route"}]},"doseAndRate":[{"doseQuantity":{"value":3,"unit":"tablet","system":"http://unitsofmeasure.org","code":"{tbl}"}}]}]}},{"resource":{"resourceType":"MedicationRequest","id":"PAT-mtx","status":"draft","intent":"order","subject":{"reference":"Patient/PAT"},"authoredOn":"2026-11-24","medicationCodeableConcept":{"text":"methotrexate 25 MG/ML Injectable Solution","coding":[{"system":"http://www.nlm.nih.gov/research/umls/rxnorm","code":"1946772","display":"methotrexate 25 MG/ML Injectable Solution"}]},"dosageInstruction":[{"text":"25 mg (1 mL) subcutaneously once weekly","timing":{"repeat":{"frequency":1,"period":1,"periodUnit":"wk"}},"route":{"coding":[{"system":"http://snomed.info/sct","code":"34206005","display":"Subcutaneous route"}]},"doseAndRate":[{"doseQuantity":{"value":25,"unit":"mg","system":"http://unitsofmeasure.org","code":"mg"}}]}]}}]}"#;

/// An order-sign request (prednisone 60 mg daily and weekly methotrexate
/// drafts) for patient `PAT` with every prefetch key filled: the record of
/// `size`, generated from `seed`.
pub fn order_sign(size: Size, seed: u64) -> String {
    let p = "PAT";
    let mut rng = Rng::new(seed);
    let mut out = String::with_capacity(600 * size.observations + 1200 * size.medications + 4096);
    let _ = write!(
        out,
        r#"{{"hookInstance":"00000000-0000-4000-8000-{seed:012x}","hook":"order-sign","fhirServer":"https://ehr.example.org/fhir","context":{{"userId":"Practitioner/example","patientId":"{p}","encounterId":"{p}-enc","draftOrders":{}}},"prefetch":{{"#,
        DRAFTS.replace("PAT", p)
    );
    let _ = write!(
        out,
        r#""Patient":{{"resourceType":"Patient","id":"{p}","meta":{{"profile":["http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient"]}},"extension":[{{"url":"http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex","valueCode":"F"}}],"name":[{{"family":"Example","given":["Alex"]}}],"gender":"female","birthDate":"1968-05-01"}},"#
    );
    // The two diagnoses the service is for come first; the rest is the problem list.
    out.push_str(r#""Condition":{"resourceType":"Bundle","type":"searchset","entry":["#);
    for (i, (code, display)) in [
        ("M34.0", "Progressive systemic sclerosis"),
        ("M33.22", "Polymyositis with myopathy"),
    ]
    .iter()
    .enumerate()
    {
        let _ = write!(
            out,
            r#"{{"resource":{{"resourceType":"Condition","id":"{p}-dx{i}","clinicalStatus":{{"coding":[{{"system":"http://terminology.hl7.org/CodeSystem/condition-clinical","code":"active"}}]}},"verificationStatus":{{"coding":[{{"system":"http://terminology.hl7.org/CodeSystem/condition-ver-status","code":"confirmed"}}]}},"code":{{"coding":[{{"system":"http://hl7.org/fhir/sid/icd-10-cm","code":"{code}","display":"{display}"}}]}},"subject":{{"reference":"Patient/{p}"}}}}}},"#
        );
    }
    for i in 0..size.conditions {
        if i > 0 {
            out.push(',');
        }
        condition(&mut out, &mut rng, i, p);
    }
    out.push_str("]},");
    out.push_str(r#""MedicationRequest":"#);
    bundle(&mut out, size.medications, |o, i| {
        medication(o, &mut rng, i, p)
    });
    out.push_str(
        r#","MedicationStatement":{"resourceType":"Bundle","type":"searchset","entry":[]}"#,
    );
    let _ = write!(
        out,
        r#","Weight":{{"resourceType":"Bundle","type":"searchset","entry":[{{"resource":{{"resourceType":"Observation","id":"{p}-wt","status":"final","code":{{"coding":[{{"system":"{LOINC}","code":"29463-7","display":"Body weight"}}]}},"subject":{{"reference":"Patient/{p}"}},"effectiveDateTime":"2026-11-10","valueQuantity":{{"value":70.4,"unit":"kg","system":"{UCUM}","code":"kg"}}}}}}]}}"#
    );
    let _ = write!(
        out,
        r#","Height":{{"resourceType":"Bundle","type":"searchset","entry":[{{"resource":{{"resourceType":"Observation","id":"{p}-ht","status":"final","code":{{"coding":[{{"system":"{LOINC}","code":"8302-2","display":"Body height"}}]}},"subject":{{"reference":"Patient/{p}"}},"effectiveDateTime":"2026-11-10","valueQuantity":{{"value":168,"unit":"cm","system":"{UCUM}","code":"cm"}}}}}}]}}"#
    );
    let _ = write!(
        out,
        r#","BloodPressure":{{"resourceType":"Bundle","type":"searchset","entry":[{{"resource":{{"resourceType":"Observation","id":"{p}-bp","status":"final","code":{{"coding":[{{"system":"{LOINC}","code":"85354-9"}}]}},"subject":{{"reference":"Patient/{p}"}},"effectiveDateTime":"2026-11-20","component":[{{"code":{{"coding":[{{"system":"{LOINC}","code":"8480-6"}}]}},"valueQuantity":{{"value":126,"unit":"mmHg","code":"mm[Hg]"}}}},{{"code":{{"coding":[{{"system":"{LOINC}","code":"8462-4"}}]}},"valueQuantity":{{"value":78,"unit":"mmHg","code":"mm[Hg]"}}}}]}}}}]}}"#
    );
    let _ = write!(
        out,
        r#","Renal":{{"resourceType":"Bundle","type":"searchset","entry":[{{"resource":{{"resourceType":"Observation","id":"{p}-egfr","status":"final","code":{{"coding":[{{"system":"{LOINC}","code":"98979-8"}}]}},"subject":{{"reference":"Patient/{p}"}},"effectiveDateTime":"2026-11-20","valueQuantity":{{"value":88,"unit":"mL/min/{{1.73_m2}}","code":"mL/min/{{1.73_m2}}"}}}}}}]}}"#
    );
    out.push_str(r#","Labs":"#);
    bundle(&mut out, size.observations, |o, i| {
        observation(o, &mut rng, i, p)
    });
    out.push_str(r#","PregnancyStatus":null}}"#);
    out
}
