//! Terminology: the code lists the rules use, loaded from FHIR ValueSet
//! resources (`fhir-profiles/valuesets/`, compiled in; a directory can replace
//! or add files at start-up).
//!
//! Matching without a terminology server:
//! - `concept` entries match their exact code;
//! - `filter is-a` on ICD-10-CM matches by code prefix (the ICD-10-CM hierarchy
//!   follows the code), on any other system it matches the listed code only;
//! - `filter regex` on `code` matches the whole code;
//! - `expansion.contains` members match their exact system and code. The
//!   expansions are generated from our curated codes plus published value
//!   sets (VSAC, OHDSI), so a SNOMED CT concept of our lists stands for
//!   itself and the descendants those sets list.
//!
//! ICD-10-CM codes are compared upper-case without dots, so `M34.0`, `m34.0`
//! and `M340` are the same code. WHO ICD-10 (`http://hl7.org/fhir/sid/icd-10`)
//! is read as ICD-10-CM (the codes the rules use mean the same in both). The
//! OIDs of ICD-10-CM, ICD-10, SNOMED CT, RxNorm, LOINC and UCUM are accepted
//! as aliases of their canonical URIs.

pub mod medication;

use std::collections::HashMap;
use std::path::Path;

use regex::Regex;
use serde::Deserialize;

pub const RXNORM: &str = "http://www.nlm.nih.gov/research/umls/rxnorm";
pub const SNOMED: &str = "http://snomed.info/sct";
pub const ICD10CM: &str = "http://hl7.org/fhir/sid/icd-10-cm";
pub const LOINC: &str = "http://loinc.org";
pub const UCUM: &str = "http://unitsofmeasure.org";
/// WHO ICD-10, read as ICD-10-CM.
pub const ICD10_WHO: &str = "http://hl7.org/fhir/sid/icd-10";

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/embedded.rs"));
}
pub use embedded::HOOKS as EMBEDDED_HOOKS;

macro_rules! concepts {
    ($($variant:ident => $id:literal),+ $(,)?) => {
        /// One concept per ValueSet in `fhir-profiles/valuesets/` (the ValueSet id).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Concept { $($variant),+ }

        impl Concept {
            pub const ALL: &'static [Concept] = &[$(Concept::$variant),+];
            /// The id of the ValueSet that defines this concept.
            pub fn valueset_id(self) -> &'static str {
                match self { $(Concept::$variant => $id),+ }
            }
            pub fn from_valueset_id(id: &str) -> Option<Concept> {
                match id { $($id => Some(Concept::$variant),)+ _ => None }
            }
        }
    };
}

concepts! {
    Ssc => "condition-ssc",
    SscDiffuse => "condition-ssc-diffuse",
    SscIld => "condition-ssc-ild",
    SscMyopathy => "condition-ssc-myopathy",
    Overlap => "condition-overlap",
    OverlapMctd => "condition-overlap-mctd",
    Mctd => "condition-mctd",
    LocalizedScleroderma => "condition-localized-scleroderma-exclude",
    Dermatomyositis => "condition-dermatomyositis",
    Polymyositis => "condition-polymyositis",
    Imnm => "condition-imnm",
    InclusionBodyMyositis => "condition-ibm-exclude",
    MyositisNos => "condition-myositis-nos",
    Diabetes => "condition-diabetes",
    Osteoporosis => "condition-osteoporosis",
    Glaucoma => "condition-glaucoma",
    Ild => "condition-ild",
    Pregnancy => "condition-pregnancy",
    PregnancyPlanning => "condition-pregnancy-planning",
    PregnancyOutcome => "condition-pregnancy-outcome",
    Breastfeeding => "condition-breastfeeding",
    RenalCrisis => "condition-src",
    Ckd => "condition-ckd",
    CkdSevere => "condition-ckd-severe",
    LiverDisease => "condition-liver",
    HepatitisB => "condition-hepatitis-b",
    Cirrhosis => "condition-cirrhosis",
    AlcoholUse => "condition-alcohol",
    Dysphagia => "condition-dysphagia",
    Hypertension => "condition-hypertension",
    Raynaud => "condition-raynaud",
    Glucocorticoid => "medication-glucocorticoid",
    GlucocorticoidPin => "medication-glucocorticoid-pin",
    Budesonide => "medication-glucocorticoid-caveat",
    Fludrocortisone => "medication-mineralocorticoid-exclude",
    Methotrexate => "medication-methotrexate",
    Azathioprine => "medication-azathioprine",
    Mycophenolate => "medication-mycophenolate",
    Rituximab => "medication-rituximab",
    Cyclophosphamide => "medication-cyclophosphamide",
    Ivig => "medication-ivig",
    SubcutaneousIg => "medication-ivig-sc-exclude",
    AceInhibitor => "medication-acei",
    TmpSmx => "medication-mtx-interaction",
    Allopurinol => "medication-allopurinol",
    BodyWeight => "observation-body-weight",
    BodyHeight => "observation-body-height",
    Bmi => "observation-bmi",
    Bsa => "observation-bsa",
    BpPanel => "observation-bp-panel",
    BpSystolic => "observation-bp-systolic",
    BpDiastolic => "observation-bp-diastolic",
    Creatinine => "observation-creatinine",
    Egfr => "observation-egfr",
    Ck => "observation-ck",
    Aldolase => "observation-aldolase",
    Alt => "observation-alt",
    Ast => "observation-ast",
    Ldh => "observation-ldh",
    Myoglobin => "observation-myoglobin",
    Hemoglobin => "observation-hemoglobin",
    Platelets => "observation-platelets",
    Neutrophils => "observation-neutrophils",
    Wbc => "observation-wbc",
    Upcr => "observation-upcr",
    Renin => "observation-renin",
    Hcg => "observation-hcg",
    AntiU1Rnp => "observation-anti-u1rnp",
    AntiRoSsa => "observation-anti-ro-ssa",
    AntiRo52 => "observation-anti-ro52",
    AntiLaSsb => "observation-anti-la-ssb",
    AntiSm => "observation-anti-sm",
    AntiScl70 => "observation-anti-scl70",
    AntiCentromere => "observation-anti-centromere",
    AntiPmScl => "observation-anti-pmscl",
    AntiJo1 => "observation-anti-jo1",
    Ana => "observation-ana",
    Tpmt => "observation-tpmt",
    Hbsag => "observation-hbsag",
    AntiHbc => "observation-anti-hbc",
    PregnancyStatus => "observation-pregnancy-status",
    RouteSystemic => "route-systemic",
    RouteLocal => "route-local",
}

#[derive(Debug, thiserror::Error)]
pub enum TerminologyError {
    #[error("{file}: not a FHIR ValueSet: {reason}")]
    Invalid { file: String, reason: String },
    #[error(
        "{file}: unknown ValueSet id {id:?} (expected one of the ids in fhir-profiles/valuesets)"
    )]
    UnknownId { file: String, id: String },
    #[error("{file}: unsupported filter {op:?} on {property:?}")]
    UnsupportedFilter {
        file: String,
        op: String,
        property: String,
    },
    #[error("{file}: invalid regex filter: {reason}")]
    BadRegex { file: String, reason: String },
    #[error("cannot read {path}: {reason}")]
    Io { path: String, reason: String },
    #[error("ValueSet {0} is missing: every concept the rules use needs its ValueSet")]
    Missing(String),
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ValueSetFile {
    resource_type: String,
    id: String,
    compose: Compose,
    #[serde(default)]
    expansion: Option<Expansion>,
}

#[derive(Deserialize)]
struct Expansion {
    #[serde(default)]
    contains: Vec<Contains>,
}

/// An expansion member; R4 lets members nest.
#[derive(Deserialize)]
struct Contains {
    system: Option<String>,
    code: Option<String>,
    display: Option<String>,
    #[serde(default)]
    contains: Vec<Contains>,
}

#[derive(Deserialize)]
struct Compose {
    include: Vec<Include>,
}

#[derive(Deserialize)]
struct Include {
    system: String,
    #[serde(default)]
    concept: Vec<IncludeConcept>,
    #[serde(default)]
    filter: Vec<Filter>,
}

#[derive(Deserialize)]
struct IncludeConcept {
    code: String,
    display: Option<String>,
}

#[derive(Deserialize)]
struct Filter {
    property: String,
    op: String,
    value: String,
}

/// One ValueSet compiled into matchers.
struct CompiledSet {
    exact: Vec<(String, String, Option<String>)>,
    prefixes: Vec<(String, String)>,
    regexes: Vec<(String, Regex)>,
}

/// A table built at start-up from our own code lists and only looked up
/// afterwards, with a fast hasher: a request's codes are looked up, never
/// inserted, so hostile keys cannot grow its chains, and every coding of a
/// record is looked up (SipHash was 10 M instructions of a record of 11,000
/// resources).
type Table<V> = HashMap<String, V, foldhash::fast::RandomState>;

/// The loaded code lists, indexed for lookup by (system, code).
pub struct Terminology {
    /// system → code → concepts: looked up without building a key.
    exact: Table<Table<Vec<Concept>>>,
    displays: Table<Table<String>>,
    /// system → (code prefix, concept) for `is-a` filters.
    prefixes: Table<Vec<(String, Concept)>>,
    /// system → (pattern, concept) for `regex` filters.
    regexes: Table<Vec<(Regex, Concept)>>,
}

/// Canonical system URI for the aliases EHRs send (OIDs, trailing slashes,
/// WHO ICD-10, SNOMED CT edition URIs).
pub fn canonical_system(system: &str) -> &str {
    let system = system.trim().trim_end_matches('/');
    match system {
        "urn:oid:2.16.840.1.113883.6.88" => RXNORM,
        "urn:oid:2.16.840.1.113883.6.96" | "http://snomed.info/sct" => SNOMED,
        // ICD-10-CM, and WHO ICD-10 (URI and OID) read as ICD-10-CM.
        "urn:oid:2.16.840.1.113883.6.90" | ICD10_WHO | "urn:oid:2.16.840.1.113883.6.3" => ICD10CM,
        "urn:oid:2.16.840.1.113883.6.1" => LOINC,
        "urn:oid:2.16.840.1.113883.6.8" => UCUM,
        // An edition or version URI (http://snomed.info/sct/731000124108/...).
        s if s.starts_with("http://snomed.info/sct/") => SNOMED,
        other => other,
    }
}

fn normalise_code<'a>(system: &str, code: &'a str) -> std::borrow::Cow<'a, str> {
    let code = code.trim();
    if system == ICD10CM
        && code
            .bytes()
            .any(|b| b == b'.' || b.is_ascii_lowercase() || !b.is_ascii())
    {
        code.chars()
            .filter(|c| *c != '.')
            .flat_map(char::to_uppercase)
            .collect::<String>()
            .into()
    } else {
        code.into()
    }
}

impl Terminology {
    /// The ValueSets compiled into the binary.
    /// Whether no concept is known (no value set loaded).
    pub fn is_empty(&self) -> bool {
        self.exact.is_empty() && self.prefixes.is_empty()
    }

    pub fn embedded() -> Result<Self, TerminologyError> {
        let files = embedded::VALUESETS
            .iter()
            .map(|(name, text)| (name.to_string(), text.to_string()));
        Self::compile_files(files)
    }

    /// The compiled-in ValueSets, with each `*.json` ValueSet in `dir` replacing
    /// the one of the same id (or adding it).
    pub fn with_directory(dir: &Path) -> Result<Self, TerminologyError> {
        let io = |e: std::io::Error| TerminologyError::Io {
            path: dir.display().to_string(),
            reason: e.to_string(),
        };
        let mut files: Vec<(String, String)> = embedded::VALUESETS
            .iter()
            .map(|(n, t)| (n.to_string(), t.to_string()))
            .collect();
        let mut paths: Vec<_> = std::fs::read_dir(dir)
            .map_err(io)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        paths.sort();
        for path in paths {
            let text = std::fs::read_to_string(&path).map_err(|e| TerminologyError::Io {
                path: path.display().to_string(),
                reason: e.to_string(),
            })?;
            files.push((path.display().to_string(), text));
        }
        Self::compile_files(files)
    }

    fn compile_files(
        files: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, TerminologyError> {
        let mut sets: HashMap<Concept, CompiledSet> = HashMap::new();
        for (file, text) in files {
            let vs: ValueSetFile =
                serde_json::from_str(&text).map_err(|e| TerminologyError::Invalid {
                    file: file.clone(),
                    reason: e.to_string(),
                })?;
            if vs.resource_type != "ValueSet" {
                return Err(TerminologyError::Invalid {
                    file,
                    reason: format!("resourceType is {:?}", vs.resource_type),
                });
            }
            let concept =
                Concept::from_valueset_id(&vs.id).ok_or_else(|| TerminologyError::UnknownId {
                    file: file.clone(),
                    id: vs.id.clone(),
                })?;
            let mut set = compile(&file, vs.compose)?;
            if let Some(expansion) = vs.expansion {
                add_members(&mut set, expansion.contains);
            }
            sets.insert(concept, set);
        }
        let mut t = Terminology {
            exact: Table::default(),
            displays: Table::default(),
            prefixes: Table::default(),
            regexes: Table::default(),
        };
        for concept in Concept::ALL {
            let set = sets
                .remove(concept)
                .ok_or_else(|| TerminologyError::Missing(concept.valueset_id().to_string()))?;
            for (system, code, display) in set.exact {
                if let Some(d) = display {
                    t.displays
                        .entry(system.clone())
                        .or_default()
                        .insert(code.clone(), d);
                }
                let entry = t.exact.entry(system).or_default().entry(code).or_default();
                if !entry.contains(concept) {
                    entry.push(*concept);
                }
            }
            for (system, prefix) in set.prefixes {
                t.prefixes
                    .entry(system)
                    .or_default()
                    .push((prefix, *concept));
            }
            for (system, re) in set.regexes {
                t.regexes.entry(system).or_default().push((re, *concept));
            }
        }
        Ok(t)
    }

    /// Every concept whose ValueSet contains this code.
    pub fn concepts(&self, system: &str, code: &str) -> Vec<Concept> {
        let system = canonical_system(system);
        let code = normalise_code(system, code);
        let mut out: Vec<Concept> = self
            .exact
            .get(system)
            .and_then(|codes| codes.get(&*code))
            .cloned()
            .unwrap_or_default();
        for (prefix, c) in self.prefixes.get(system).into_iter().flatten() {
            if code.starts_with(prefix.as_str()) && !out.contains(c) {
                out.push(*c);
            }
        }
        for (re, c) in self.regexes.get(system).into_iter().flatten() {
            if re.is_match(&code) && !out.contains(c) {
                out.push(*c);
            }
        }
        out
    }

    pub fn contains(&self, concept: Concept, system: &str, code: &str) -> bool {
        self.concepts(system, code).contains(&concept)
    }

    /// The display the ValueSet gives a code (for RxNorm products: the RxNorm name).
    pub fn display(&self, system: &str, code: &str) -> Option<&str> {
        let system = canonical_system(system);
        self.displays
            .get(system)
            .and_then(|codes| codes.get(&*normalise_code(system, code)))
            .map(String::as_str)
    }
}

/// Expansion members (and their nested members) as exact codes.
fn add_members(set: &mut CompiledSet, members: Vec<Contains>) {
    for m in members {
        if let (Some(system), Some(code)) = (&m.system, &m.code) {
            let system = canonical_system(system).to_string();
            let code = normalise_code(&system, code).into_owned();
            set.exact.push((system, code, m.display));
        }
        add_members(set, m.contains);
    }
}

fn compile(file: &str, compose: Compose) -> Result<CompiledSet, TerminologyError> {
    let mut set = CompiledSet {
        exact: Vec::new(),
        prefixes: Vec::new(),
        regexes: Vec::new(),
    };
    for inc in compose.include {
        let system = canonical_system(&inc.system).to_string();
        for c in inc.concept {
            let code = normalise_code(&system, &c.code).into_owned();
            set.exact.push((system.clone(), code, c.display));
        }
        for f in inc.filter {
            match (f.property.as_str(), f.op.as_str()) {
                ("concept", "is-a") if system == ICD10CM => set.prefixes.push((
                    system.clone(),
                    normalise_code(&system, &f.value).into_owned(),
                )),
                ("concept", "is-a") | ("concept", "=") => set.exact.push((
                    system.clone(),
                    normalise_code(&system, &f.value).into_owned(),
                    None,
                )),
                ("code", "regex") => {
                    let re = Regex::new(&format!("^(?:{})$", f.value)).map_err(|e| {
                        TerminologyError::BadRegex {
                            file: file.to_string(),
                            reason: e.to_string(),
                        }
                    })?;
                    set.regexes.push((system.clone(), re));
                }
                _ => {
                    return Err(TerminologyError::UnsupportedFilter {
                        file: file.to_string(),
                        op: f.op,
                        property: f.property,
                    })
                }
            }
        }
    }
    Ok(set)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t() -> Terminology {
        Terminology::embedded().expect("embedded ValueSets load")
    }

    #[test]
    fn icd10cm_prefix_rules_match_with_or_without_dots() {
        let t = t();
        for code in ["M34.0", "m34.0", "M340", "M34.82", "M34"] {
            assert!(t.contains(Concept::Ssc, ICD10CM, code), "{code}");
        }
        assert!(t.contains(Concept::SscMyopathy, ICD10CM, "M34.82"));
        assert!(!t.contains(Concept::SscMyopathy, ICD10CM, "M34.81"));
        assert!(t.contains(Concept::Diabetes, ICD10CM, "E11.9"));
        assert!(!t.contains(Concept::Diabetes, ICD10CM, "R73.03"));
        assert!(t.contains(Concept::Dermatomyositis, ICD10CM, "M33.10"));
        assert!(t.contains(Concept::Polymyositis, ICD10CM, "M33.22"));
    }

    #[test]
    fn morphea_is_not_ssc() {
        let t = t();
        assert!(!t.contains(Concept::Ssc, ICD10CM, "L94.0"));
        assert!(!t.contains(Concept::Ssc, SNOMED, "201048007"));
        assert!(t.contains(Concept::LocalizedScleroderma, SNOMED, "201048007"));
    }

    #[test]
    fn pregnancy_chapter_regex_and_oid_alias() {
        let t = t();
        assert!(t.contains(Concept::Pregnancy, ICD10CM, "O09.891"));
        assert!(t.contains(Concept::Pregnancy, ICD10CM, "O9A.111"));
        assert!(t.contains(
            Concept::Pregnancy,
            "urn:oid:2.16.840.1.113883.6.90",
            "Z34.00"
        ));
        assert!(!t.contains(Concept::Pregnancy, ICD10CM, "Z33.2"));
    }

    #[test]
    fn safety_codes_added_for_the_second_edition() {
        let t = t();
        // A delivery or loss is both a pregnancy code and an outcome that ends it.
        for code in ["O80", "O03.9", "O02.1", "O36.4XX0", "Z37.0"] {
            assert!(
                t.contains(Concept::PregnancyOutcome, ICD10CM, code),
                "{code}"
            );
        }
        assert!(t.contains(Concept::Pregnancy, ICD10CM, "O80"));
        assert!(!t.contains(Concept::PregnancyOutcome, ICD10CM, "O09.891"));
        assert!(!t.contains(Concept::PregnancyOutcome, ICD10CM, "Z34.00"));
        assert!(t.contains(Concept::PregnancyOutcome, SNOMED, "17369002"));
        assert!(t.contains(Concept::Breastfeeding, SNOMED, "413712001"));
        assert!(t.contains(Concept::Allopurinol, RXNORM, "519"));
        assert!(t.contains(Concept::Hbsag, LOINC, "5196-1"));
        assert!(t.contains(Concept::AntiHbc, LOINC, "16933-4"));
        assert!(t.contains(Concept::Neutrophils, LOINC, "751-8"));
        // Febuxostat's ingredient code is not confirmed: recognised by name only.
        assert!(t.concepts(RXNORM, "73689").is_empty());
    }

    #[test]
    fn rxnorm_products_carry_their_names() {
        let t = t();
        assert!(t.contains(Concept::Glucocorticoid, RXNORM, "312615"));
        assert_eq!(
            t.display(RXNORM, "312615"),
            Some("Prednisone 20 MG Oral Tablet")
        );
        assert_eq!(
            t.display(RXNORM, "105585"),
            Some("methotrexate 2.5 MG Oral Tablet")
        );
        assert!(t.contains(Concept::Methotrexate, RXNORM, "2377351"));
        // The sandbox's brand code is not enumerated: it is matched by text.
        assert!(t.concepts(RXNORM, "206997").is_empty());
    }

    #[test]
    fn every_concept_has_a_valueset() {
        let t = t();
        assert!(t.contains(Concept::BodyWeight, LOINC, "29463-7"));
        assert!(t.contains(Concept::RouteSystemic, SNOMED, "26643006"));
        assert!(t.contains(Concept::RouteLocal, SNOMED, "12130007"));
        assert!(t.contains(Concept::SscDiffuse, SNOMED, "128460000"));
    }

    #[test]
    fn published_descendants_are_members() {
        let t = t();
        // (system, code, concept): SNOMED CT descendants from the published
        // expansions, each a member of the concept it descends from.
        for (system, code, concept) in [
            (SNOMED, "72892002", Concept::Pregnancy), // Normal pregnancy
            (SNOMED, "457811000124103", Concept::Pregnancy),
            (SNOMED, "313436004", Concept::Diabetes), // Type 2 DM without complication
            (SNOMED, "193252005", Concept::Ssc),      // Myopathy due to systemic sclerosis
            (SNOMED, "193252005", Concept::SscMyopathy),
            (SNOMED, "31848007", Concept::Ssc), // CREST syndrome
            (SNOMED, "236435004", Concept::CkdSevere), // ESRF on dialysis
            (SNOMED, "866041003", Concept::Breastfeeding),
            (SNOMED, "169750002", Concept::Breastfeeding),
            (SNOMED, "61977001", Concept::LiverDisease), // Chronic type B viral hepatitis
            (SNOMED, "21861000", Concept::Cirrhosis),    // Micronodular cirrhosis
            (SNOMED, "311671000119100", Concept::Dermatomyositis),
            (SNOMED, "866103007", Concept::Polymyositis),
            (SNOMED, "72315009", Concept::InclusionBodyMyositis),
        ] {
            assert!(t.contains(concept, system, code), "{code} {concept:?}");
        }
        // Myopathy due to systemic sclerosis counts as both.
        let both = t.concepts(SNOMED, "193252005");
        assert!(both.contains(&Concept::Ssc) && both.contains(&Concept::SscMyopathy));
        // Inclusion body myositis is not a myositis in scope; morphea is not SSc.
        for c in [
            Concept::Dermatomyositis,
            Concept::Polymyositis,
            Concept::MyositisNos,
        ] {
            assert!(!t.contains(c, SNOMED, "72315009"), "{c:?}");
        }
        // Raynaud's phenomenon is not SSc, though the published SSc set lists it.
        assert!(!t.contains(Concept::Ssc, SNOMED, "266261006"));
        assert!(t.contains(Concept::Raynaud, SNOMED, "266261006"));
        // Intention to breastfeed is not breastfeeding.
        assert!(!t.contains(Concept::Breastfeeding, SNOMED, "169643005"));
    }

    #[test]
    fn unknown_codes_stay_unknown() {
        let t = t();
        for (system, code) in [
            (SNOMED, "38341003"),  // Hypertensive disorder: known system, not ours
            (SNOMED, "999999999"), // no such concept
            (ICD10CM, "I10"),      // hypertension is ours only as a concept of its own
            ("http://hl7.org/fhir/sid/icd-9-cm", "710.1"), // SSc in ICD-9-CM: a system we do not read
            ("urn:oid:1.2.840.114350.1.13.0.1.7.2.696871", "89155008"), // a local system
        ] {
            let cs = t.concepts(system, code);
            assert!(
                !cs.contains(&Concept::Ssc) && !cs.contains(&Concept::Pregnancy),
                "{system} {code}: {cs:?}"
            );
        }
        assert!(t.concepts(SNOMED, "999999999").is_empty());
        assert!(t
            .concepts("http://hl7.org/fhir/sid/icd-9-cm", "710.1")
            .is_empty());
    }

    #[test]
    fn systems_read_as_their_canonical_uri() {
        let t = t();
        // (system as sent, code as sent, concept)
        for (system, code, concept) in [
            (ICD10_WHO, "M34.0", Concept::Ssc),
            (ICD10_WHO, "M33.2", Concept::Polymyositis),
            ("http://hl7.org/fhir/sid/icd-10/", "m340", Concept::Ssc),
            (
                "urn:oid:2.16.840.1.113883.6.3",
                "M33.1",
                Concept::Dermatomyositis,
            ),
            ("urn:oid:2.16.840.1.113883.6.90", "M34.0", Concept::Ssc),
            (
                "urn:oid:2.16.840.1.113883.6.96",
                "72892002",
                Concept::Pregnancy,
            ),
            (
                "http://snomed.info/sct/731000124108",
                "89155008",
                Concept::Ssc,
            ),
            (
                "urn:oid:2.16.840.1.113883.6.88",
                "8640",
                Concept::Glucocorticoid,
            ),
            (
                "urn:oid:2.16.840.1.113883.6.1",
                "29463-7",
                Concept::BodyWeight,
            ),
        ] {
            assert!(t.contains(concept, system, code), "{system} {code}");
        }
    }

    /// Every ValueSet carries an expansion that names its sources and the
    /// date expanded, and every member says where it came from.
    #[test]
    fn every_valueset_states_its_sources() {
        for (file, text) in embedded::VALUESETS {
            let v: serde_json::Value = serde_json::from_str(text).unwrap();
            let e = &v["expansion"];
            assert!(e["timestamp"].as_str().is_some(), "{file}: no timestamp");
            let params = e["parameter"].as_array().expect("expansion.parameter");
            assert!(
                params.iter().any(|p| p["name"] == "source"
                    && p["valueString"]
                        .as_str()
                        .is_some_and(|s| s.starts_with("curated"))),
                "{file}: curated source not named"
            );
            let contains = e["contains"].as_array().expect("expansion.contains");
            assert!(!contains.is_empty(), "{file}: empty expansion");
            assert_eq!(e["total"].as_u64(), Some(contains.len() as u64), "{file}");
            for c in contains {
                let origins: Vec<&str> = c["designation"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter(|d| d["use"]["code"] == "source")
                    .filter_map(|d| d["value"].as_str())
                    .collect();
                assert!(!origins.is_empty(), "{file}: {c} has no source");
                for o in origins {
                    assert!(
                        o == "curated"
                            || params.iter().any(|p| p["valueString"]
                                .as_str()
                                .is_some_and(|s| s.starts_with(o))),
                        "{file}: member source {o:?} not among the ValueSet's sources"
                    );
                }
            }
        }
    }

    #[test]
    fn expansion_members_match_exactly() {
        let dir = std::env::temp_dir().join(format!("vs-exp-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("glaucoma.json"),
            r#"{"resourceType":"ValueSet","id":"condition-glaucoma","status":"active",
               "compose":{"include":[{"system":"http://snomed.info/sct","concept":[{"code":"23986001"}]}]},
               "expansion":{"timestamp":"2026-12-04","contains":[
                 {"system":"http://snomed.info/sct","code":"77075001","display":"Primary open angle glaucoma"},
                 {"system":"http://hl7.org/fhir/sid/icd-10-cm","code":"H40.11X0","contains":[
                   {"system":"http://hl7.org/fhir/sid/icd-10-cm","code":"H40.1131"}]}]}}"#,
        )
        .unwrap();
        let t = Terminology::with_directory(&dir).unwrap();
        assert!(t.contains(Concept::Glaucoma, SNOMED, "23986001"));
        assert!(t.contains(Concept::Glaucoma, SNOMED, "77075001"));
        assert!(t.contains(Concept::Glaucoma, ICD10CM, "H40.11x0"));
        assert!(t.contains(Concept::Glaucoma, ICD10CM, "H401131"));
        // Exact: no prefix matching from expansion members.
        assert!(!t.contains(Concept::Glaucoma, ICD10CM, "H40.11"));
        assert!(!t.contains(Concept::Glaucoma, SNOMED, "7707500"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_directory_replaces_a_valueset_by_id() {
        let dir = std::env::temp_dir().join(format!("vs-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("glaucoma.json"),
            r#"{"resourceType":"ValueSet","id":"condition-glaucoma","status":"active",
               "compose":{"include":[{"system":"http://example.org/local","concept":[{"code":"GL1"}]}]}}"#,
        )
        .unwrap();
        let t = Terminology::with_directory(&dir).unwrap();
        assert!(t.contains(Concept::Glaucoma, "http://example.org/local", "GL1"));
        assert!(!t.contains(Concept::Glaucoma, ICD10CM, "H40.11"));
        std::fs::write(
            dir.join("bad.json"),
            r#"{"resourceType":"ValueSet","id":"condition-nope","compose":{"include":[]}}"#,
        )
        .unwrap();
        let err = Terminology::with_directory(&dir).err().unwrap().to_string();
        assert!(err.contains("condition-nope"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
