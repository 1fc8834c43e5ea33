//! Recognising a medication without a terminology server (REFERENCE.md 5.2):
//! 1. an RxNorm code found in one of the medication ValueSets (every coding is
//!    checked, not only the first); products carry their RxNorm name, from
//!    which strength and dose form are read;
//! 2. otherwise the text of the codings' displays and of `text`, matched
//!    case-insensitively against generic and brand names.
//!
//! The text patterns follow `valuesets.json → text_fallback_regex`, with two
//! corrections: `predni(so|sol)one` there does not match "prednisone", and
//! `inhal\b` does not match "inhalation"; both are written out here.

use std::sync::LazyLock;

use regex::Regex;

use super::{canonical_system, Concept, Terminology, RXNORM};

/// Systemic glucocorticoid ingredients that convert to prednisone-equivalents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Gc {
    Prednisone,
    Prednisolone,
    Methylprednisolone,
    Triamcinolone,
    Hydrocortisone,
    Cortisone,
    Dexamethasone,
    Betamethasone,
    Deflazacort,
}

impl Gc {
    pub fn name(self) -> &'static str {
        match self {
            Gc::Prednisone => "prednisone",
            Gc::Prednisolone => "prednisolone",
            Gc::Methylprednisolone => "methylprednisolone",
            Gc::Triamcinolone => "triamcinolone",
            Gc::Hydrocortisone => "hydrocortisone",
            Gc::Cortisone => "cortisone",
            Gc::Dexamethasone => "dexamethasone",
            Gc::Betamethasone => "betamethasone",
            Gc::Deflazacort => "deflazacort",
        }
    }
}

/// What a medication is, as far as the rules care.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Drug {
    Glucocorticoid(Gc),
    /// Budesonide: never converted to prednisone-equivalents.
    Budesonide,
    /// Mineralocorticoid: excluded from glucocorticoid rules.
    Fludrocortisone,
    Methotrexate,
    Folate,
    Azathioprine,
    Mycophenolate,
    Rituximab,
    Cyclophosphamide,
    Ivig,
    SubcutaneousIg,
    AceInhibitor,
    TmpSmx,
    /// Xanthine-oxidase inhibitors: thiopurine interaction.
    Allopurinol,
    Febuxostat,
}

impl Drug {
    pub fn name(self) -> &'static str {
        match self {
            Drug::Glucocorticoid(gc) => gc.name(),
            Drug::Budesonide => "budesonide",
            Drug::Fludrocortisone => "fludrocortisone",
            Drug::Methotrexate => "methotrexate",
            Drug::Folate => "folic acid",
            Drug::Azathioprine => "azathioprine",
            Drug::Mycophenolate => "mycophenolate",
            Drug::Rituximab => "rituximab",
            Drug::Cyclophosphamide => "cyclophosphamide",
            Drug::Ivig => "immune globulin (IV)",
            Drug::SubcutaneousIg => "immune globulin (SC)",
            Drug::AceInhibitor => "ACE inhibitor",
            Drug::TmpSmx => "trimethoprim-sulfamethoxazole",
            Drug::Allopurinol => "allopurinol",
            Drug::Febuxostat => "febuxostat",
        }
    }

    /// Steroid-sparing agents of the guidance's first line and its alternatives.
    pub fn is_steroid_sparing(self) -> bool {
        matches!(
            self,
            Drug::Methotrexate | Drug::Azathioprine | Drug::Mycophenolate
        )
    }
}

/// How the drug was recognised (shown in card details for audit).
#[derive(Debug, Clone, PartialEq)]
pub enum MatchedBy {
    RxNormProduct(String),
    RxNormIngredient(String),
    Text,
}

/// Strength read from a product name.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Strength {
    /// mg per tablet, capsule or vial.
    PerUnit(f64),
    /// mg per mL.
    PerMl(f64),
    /// A fixed-volume device: `ml` of `mg_per_ml`.
    PerDevice { ml: f64, mg_per_ml: f64 },
}

impl Strength {
    /// mg in one tablet, capsule, vial or device, where that means anything.
    pub fn mg_per_unit(self) -> Option<f64> {
        match self {
            Strength::PerUnit(mg) => Some(mg),
            Strength::PerMl(_) => None,
            Strength::PerDevice { ml, mg_per_ml } => Some((ml * mg_per_ml * 10.0).round() / 10.0),
        }
    }
    pub fn mg_per_ml(self) -> Option<f64> {
        match self {
            Strength::PerUnit(_) => None,
            Strength::PerMl(c) | Strength::PerDevice { mg_per_ml: c, .. } => Some(c),
        }
    }
}

/// Dose form class read from a product name (REFERENCE.md 2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DoseForm {
    Oral,
    /// Injection / injectable solution / prefilled syringe / auto-injector: systemic.
    Injection,
    /// Injectable suspension, acetate or acetonide injection: IM (systemic) or
    /// intra-articular (local); the route decides.
    AmbiguousInjection,
    /// Topical, ophthalmic, otic, nasal, inhaled, rectal, vaginal, paste...
    Local,
    Unknown,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Identified {
    pub drug: Drug,
    pub matched_by: MatchedBy,
    /// The product name used for strength and form (RxNorm name when coded).
    pub name: String,
    pub strength: Option<Strength>,
    pub form: DoseForm,
}

fn re(s: &str) -> Regex {
    Regex::new(&format!("(?i){s}")).expect("static regex")
}

/// Every drug name above as one set, in the order `drug_from_text` tries
/// them: one pass over a text instead of one per name (a record of 500
/// medication orders read each name ~600 times: 12 M instructions).
static DRUG_NAMES: LazyLock<(regex::RegexSet, Vec<Drug>)> = LazyLock::new(|| {
    let ordered: Vec<(&Regex, Drug)> = names_in_order().collect();
    let set =
        regex::RegexSet::new(ordered.iter().map(|(re, _)| re.as_str())).expect("static regex set");
    (set, ordered.into_iter().map(|(_, d)| d).collect())
});

/// The drug names in the order they are tried. Mineralocorticoid and
/// budesonide first: their names must not fall into the glucocorticoid list
/// ("fludrocortisone" contains "cortisone").
fn names_in_order() -> impl Iterator<Item = (&'static Regex, Drug)> {
    OTHER_NAMES
        .iter()
        .take(2)
        .map(|(re, d)| (re, *d))
        .chain(
            GC_NAMES
                .iter()
                .map(|(re, gc)| (re, Drug::Glucocorticoid(*gc))),
        )
        .chain(OTHER_NAMES.iter().skip(2).map(|(re, d)| (re, *d)))
}

static GC_NAMES: LazyLock<Vec<(Regex, Gc)>> = LazyLock::new(|| {
    vec![
        (
            re(r"\b(methyl\s*-?predniso(lo)?ne|solu-?medrol|depo-?medrol|medrol)\b"),
            Gc::Methylprednisolone,
        ),
        (
            re(r"\b(prednisolone|orapred|millipred|pediapred)\b"),
            Gc::Prednisolone,
        ),
        (re(r"\b(prednisone|deltasone|rayos)\b"), Gc::Prednisone),
        (
            re(r"\b(hydrocortisone|solu-?cortef|cortef)\b"),
            Gc::Hydrocortisone,
        ),
        (re(r"\b(dexamethasone|decadron)\b"), Gc::Dexamethasone),
        (re(r"\b(betamethasone|celestone)\b"), Gc::Betamethasone),
        (re(r"\bcortisone\b"), Gc::Cortisone),
        (re(r"\b(deflazacort|emflaza)\b"), Gc::Deflazacort),
        (re(r"\b(triamcinolone|kenalog)\b"), Gc::Triamcinolone),
    ]
});

static OTHER_NAMES: LazyLock<Vec<(Regex, Drug)>> = LazyLock::new(|| {
    vec![
        (re(r"\bfludrocortisone\b"), Drug::Fludrocortisone),
        (
            re(r"\b(budesonide|entocort|uceris|tarpeyo)\b"),
            Drug::Budesonide,
        ),
        (
            re(r"\b(methotrexate|trexall|otrexup|rasuvo|reditrex|xatmep|jylamvo)\b"),
            Drug::Methotrexate,
        ),
        (
            re(r"\b(folic acid|folate|leucovorin|folinic acid|levoleucovorin)\b"),
            Drug::Folate,
        ),
        (re(r"\b(azathioprine|imuran|azasan)\b"), Drug::Azathioprine),
        (
            re(r"\b(mycophenol(ate|ic acid)|cellcept|myfortic)\b"),
            Drug::Mycophenolate,
        ),
        (
            re(r"\b(rituximab(-[a-z]{4})?|rituxan|truxima|ruxience|riabni)\b"),
            Drug::Rituximab,
        ),
        (
            re(r"\b(cyclophosphamide|cytoxan)\b"),
            Drug::Cyclophosphamide,
        ),
        (
            re(
                r"\b(immune globulin|immunoglobulin g|ivig|gamunex|gammagard|privigen|octagam|panzyga|flebogamma|gammaplex|bivigam|asceniv|gammaked|alyglo|yimmugo|qivigy)\b",
            ),
            Drug::Ivig,
        ),
        (
            re(
                r"\b(captopril|enalapril(at)?|lisinopril|ramipril|benazepril|quinapril|fosinopril|perindopril|trandolapril|moexipril)\b",
            ),
            Drug::AceInhibitor,
        ),
        (
            re(r"\b(trimethoprim|sulfamethoxazole|bactrim|septra|co-?trimoxazole)\b"),
            Drug::TmpSmx,
        ),
        (re(r"\b(allopurinol|zyloprim|aloprim)\b"), Drug::Allopurinol),
        (re(r"\b(febuxostat|uloric)\b"), Drug::Febuxostat),
    ]
});

static LOCAL_FORM: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"\b(topical|cream|ointment|lotion|gel|foam|shampoo|ophthalmic|otic|eye|ear|nasal|inhal\w*|aerosol|nebuli[sz]\w*|rectal|enema|suppositor\w*|paste|dental|vaginal|intra-?articular|intralesional|transdermal|patch)\b",
    )
});
static AMBIGUOUS_INJECTION: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(injectable suspension|\b(acetate|acetonide)\b.*\binject|\bkenalog\b|\bdepo-?medrol\b|\bsoluspan\b)",
    )
});
static INJECTION: LazyLock<Regex> =
    LazyLock::new(|| re(r"\b(inject\w*|syringe|auto-?injector|infusion|intravenous|vial|pen)\b"));
static ORAL: LazyLock<Regex> = LazyLock::new(|| {
    re(r"\b(oral|tablet|tab|capsule|caplet|granules|elixir|syrup|chewable|pak|pack)\b")
});
static VOLUME: LazyLock<Regex> = LazyLock::new(|| re(r"^\s*(\d+(?:\.\d+)?)\s*ML\b"));
static STRENGTH: LazyLock<Regex> =
    LazyLock::new(|| re(r"(\d+(?:\.\d+)?)\s*(MG|MCG|GM|G)(\s*/\s*ML)?\b"));

/// Builds every matcher of this module now, so no request pays for it.
pub fn warm() {
    LazyLock::force(&DRUG_NAMES);
    for re in [
        &LOCAL_FORM,
        &AMBIGUOUS_INJECTION,
        &INJECTION,
        &ORAL,
        &VOLUME,
        &STRENGTH,
    ] {
        LazyLock::force(re);
    }
}

/// Reads strength from a product name such as "Prednisone 20 MG Oral Tablet"
/// or "1 ML methotrexate 25 MG/ML Prefilled Syringe".
pub fn parse_strength(name: &str) -> Option<Strength> {
    let caps = STRENGTH.captures(name)?;
    let value: f64 = caps[1].parse().ok()?;
    let mg = match caps[2].to_ascii_uppercase().as_str() {
        "MG" => value,
        "MCG" => value / 1000.0,
        _ => value * 1000.0,
    };
    if caps.get(3).is_none() {
        return Some(Strength::PerUnit(mg));
    }
    match VOLUME.captures(name).and_then(|v| v[1].parse::<f64>().ok()) {
        Some(ml) => Some(Strength::PerDevice { ml, mg_per_ml: mg }),
        None => Some(Strength::PerMl(mg)),
    }
}

/// Classifies the dose form of a product name (REFERENCE.md 2.2).
pub fn parse_form(name: &str) -> DoseForm {
    if LOCAL_FORM.is_match(name) {
        DoseForm::Local
    } else if AMBIGUOUS_INJECTION.is_match(name) {
        DoseForm::AmbiguousInjection
    } else if INJECTION.is_match(name) {
        DoseForm::Injection
    } else if ORAL.is_match(name) {
        DoseForm::Oral
    } else {
        DoseForm::Unknown
    }
}

fn drug_from_text(text: &str) -> Option<Drug> {
    let (set, drugs) = &*DRUG_NAMES;
    // The first name in the set's order that matches.
    let drug = drugs[set.matches(text).iter().next()?];
    if drug == Drug::Ivig && text.to_ascii_lowercase().contains("subcutaneous") {
        return Some(Drug::SubcutaneousIg);
    }
    Some(drug)
}

fn drug_from_concept(concept: Concept, name: &str) -> Option<Drug> {
    Some(match concept {
        Concept::Glucocorticoid | Concept::GlucocorticoidPin => match drug_from_text(name)? {
            d @ Drug::Glucocorticoid(_) => d,
            _ => return None,
        },
        Concept::Budesonide => Drug::Budesonide,
        Concept::Fludrocortisone => Drug::Fludrocortisone,
        Concept::Methotrexate => Drug::Methotrexate,
        Concept::Azathioprine => Drug::Azathioprine,
        Concept::Mycophenolate => Drug::Mycophenolate,
        Concept::Rituximab => Drug::Rituximab,
        Concept::Cyclophosphamide => Drug::Cyclophosphamide,
        Concept::Ivig => Drug::Ivig,
        Concept::SubcutaneousIg => Drug::SubcutaneousIg,
        Concept::AceInhibitor => Drug::AceInhibitor,
        Concept::TmpSmx => Drug::TmpSmx,
        Concept::Allopurinol => Drug::Allopurinol,
        _ => return None,
    })
}

/// One coding as sent: system, code, display (any may be absent).
pub type CodingRef<'a> = (Option<&'a str>, Option<&'a str>, Option<&'a str>);

/// Identifies a medication from its codings and text.
pub fn identify(
    t: &Terminology,
    codings: &[CodingRef<'_>],
    text: Option<&str>,
) -> Option<Identified> {
    // 1. RxNorm codes from the ValueSets, every coding.
    for (system, code, display) in codings {
        let (Some(system), Some(code)) = (system, code) else {
            continue;
        };
        if canonical_system(system) != RXNORM {
            continue;
        }
        for concept in t.concepts(system, code) {
            let vs_name = t.display(system, code);
            let name = vs_name.or(*display).unwrap_or_default();
            if let Some(drug) = drug_from_concept(concept, name) {
                let strength = parse_strength(name);
                return Some(Identified {
                    drug,
                    matched_by: if strength.is_some() {
                        MatchedBy::RxNormProduct(code.to_string())
                    } else {
                        MatchedBy::RxNormIngredient(code.to_string())
                    },
                    name: name.to_string(),
                    strength,
                    form: parse_form(name),
                });
            }
        }
    }
    // 2. Text: the codings' displays, then `text`.
    let texts = codings
        .iter()
        .filter_map(|(_, _, d)| *d)
        .chain(text)
        .filter(|s| !s.trim().is_empty());
    for name in texts {
        if let Some(drug) = drug_from_text(name) {
            return Some(Identified {
                drug,
                matched_by: MatchedBy::Text,
                name: name.to_string(),
                strength: parse_strength(name),
                form: parse_form(name),
            });
        }
    }
    None
}

#[cfg(test)]
mod tests {
    /// What `drug_from_text` did before the names were one set: each list
    /// tried in turn, the first match taken.
    fn drug_from_text_one_by_one(text: &str) -> Option<Drug> {
        let first = names_in_order()
            .find(|(re, _)| re.is_match(text))
            .map(|(_, d)| d)?;
        if first == Drug::Ivig && text.to_ascii_lowercase().contains("subcutaneous") {
            return Some(Drug::SubcutaneousIg);
        }
        Some(first)
    }

    proptest::proptest! {
        /// One set of names reads every text as the names one by one did,
        /// texts naming two drugs included (the earlier name in the order
        /// wins, whatever its place in the text).
        #[test]
        fn the_set_of_names_reads_as_the_names_one_by_one(
            words in proptest::collection::vec(proptest::sample::select(vec![
                "fludrocortisone", "Cortisone", "prednisone", "PREDNISOLONE", "methyl-prednisolone",
                "Solu-Medrol", "budesonide", "methotrexate", "folic acid", "Leucovorin", "imuran",
                "mycophenolic acid", "rituximab-abbs", "IVIG", "subcutaneous", "lisinopril", "Bactrim",
                "allopurinol", "uloric", "kenalog", "tablet", "10 MG", "oral", "x", "predni", "sone",
                "", "-", "/", "é",
            ]), 0..6),
            glue in proptest::sample::select(vec![" ", "", "-", "/", ", "]),
        ) {
            let text = words.join(glue);
            proptest::prop_assert_eq!(
                super::drug_from_text(&text),
                drug_from_text_one_by_one(&text),
                "{}", text
            );
        }
    }

    use super::*;

    fn t() -> Terminology {
        Terminology::embedded().unwrap()
    }

    #[test]
    fn sandbox_brand_code_reads_as_prednisone_20_mg_tablet() {
        let id = identify(
            &t(),
            &[(
                Some(RXNORM),
                Some("206997"),
                Some("Prednisone 20 MG Oral Tablet [Deltasone]"),
            )],
            Some("Prednisone 20 MG Oral Tablet [Deltasone]"),
        )
        .unwrap();
        assert_eq!(id.drug, Drug::Glucocorticoid(Gc::Prednisone));
        assert_eq!(id.matched_by, MatchedBy::Text);
        assert_eq!(id.strength, Some(Strength::PerUnit(20.0)));
        assert_eq!(id.form, DoseForm::Oral);
    }

    #[test]
    fn coded_products_use_the_rxnorm_name_not_the_display() {
        // 312615 is prednisone 20 mg (some public tables say 5 mg: REFERENCE.md warning).
        let id = identify(
            &t(),
            &[(Some(RXNORM), Some("312615"), Some("wrong display"))],
            None,
        )
        .unwrap();
        assert_eq!(id.drug, Drug::Glucocorticoid(Gc::Prednisone));
        assert_eq!(id.matched_by, MatchedBy::RxNormProduct("312615".into()));
        assert_eq!(id.strength, Some(Strength::PerUnit(20.0)));
        let id = identify(&t(), &[(Some(RXNORM), Some("105585"), None)], None).unwrap();
        assert_eq!(id.drug, Drug::Methotrexate);
        assert_eq!(id.strength, Some(Strength::PerUnit(2.5)));
    }

    #[test]
    fn every_coding_is_checked() {
        let id = identify(
            &t(),
            &[
                (Some("urn:local"), Some("X1"), None),
                (Some(RXNORM), Some("6902"), None),
            ],
            None,
        )
        .unwrap();
        assert_eq!(id.drug, Drug::Glucocorticoid(Gc::Methylprednisolone));
        assert_eq!(id.matched_by, MatchedBy::RxNormIngredient("6902".into()));
    }

    #[test]
    fn text_names_table() {
        let cases: &[(&str, Option<Drug>)] = &[
            (
                "predniSONE 20 MG Oral Tablet",
                Some(Drug::Glucocorticoid(Gc::Prednisone)),
            ),
            (
                "prednisoLONE 5 MG Oral Tablet",
                Some(Drug::Glucocorticoid(Gc::Prednisolone)),
            ),
            (
                "methylPREDNISolone 4 MG Oral Tablet",
                Some(Drug::Glucocorticoid(Gc::Methylprednisolone)),
            ),
            (
                "Solu-Medrol 1 g IV",
                Some(Drug::Glucocorticoid(Gc::Methylprednisolone)),
            ),
            (
                "hydrocortisone 10 MG Oral Tablet",
                Some(Drug::Glucocorticoid(Gc::Hydrocortisone)),
            ),
            (
                "fludrocortisone 0.1 MG Oral Tablet",
                Some(Drug::Fludrocortisone),
            ),
            ("budesonide 9 MG", Some(Drug::Budesonide)),
            (
                "dexamethasone 4 MG Oral Tablet",
                Some(Drug::Glucocorticoid(Gc::Dexamethasone)),
            ),
            ("Otrexup 15 mg auto-injector", Some(Drug::Methotrexate)),
            ("folic acid 1 MG Oral Tablet", Some(Drug::Folate)),
            ("Imuran 50 mg", Some(Drug::Azathioprine)),
            ("Cellcept 500 mg", Some(Drug::Mycophenolate)),
            (
                "immune globulin subcutaneous (human) 20%",
                Some(Drug::SubcutaneousIg),
            ),
            ("Privigen 10%", Some(Drug::Ivig)),
            ("Bactrim DS", Some(Drug::TmpSmx)),
            ("lisinopril 10 MG", Some(Drug::AceInhibitor)),
            ("allopurinol 100 MG Oral Tablet", Some(Drug::Allopurinol)),
            ("Zyloprim 300 mg", Some(Drug::Allopurinol)),
            ("febuxostat 40 MG Oral Tablet", Some(Drug::Febuxostat)),
            ("Uloric 80 mg", Some(Drug::Febuxostat)),
            ("acetaminophen 500 MG Oral Tablet", None),
        ];
        for (text, want) in cases {
            assert_eq!(
                identify(&t(), &[], Some(text)).map(|i| i.drug),
                *want,
                "{text}"
            );
        }
    }

    #[test]
    fn strength_table() {
        let cases: &[(&str, Option<Strength>)] = &[
            (
                "Prednisone 20 MG Oral Tablet",
                Some(Strength::PerUnit(20.0)),
            ),
            (
                "methotrexate 25 MG/ML Injectable Solution",
                Some(Strength::PerMl(25.0)),
            ),
            (
                "1 ML methotrexate 25 MG/ML Prefilled Syringe",
                Some(Strength::PerDevice {
                    ml: 1.0,
                    mg_per_ml: 25.0,
                }),
            ),
            (
                "Methylprednisolone 1000 MG Injection",
                Some(Strength::PerUnit(1000.0)),
            ),
            (
                "dexamethasone 0.5 MG Oral Tablet",
                Some(Strength::PerUnit(0.5)),
            ),
            ("hydrocortisone 1% cream", None),
        ];
        for (name, want) in cases {
            assert_eq!(parse_strength(name), *want, "{name}");
        }
        // Otrexup concentrations compute to 12.52 mg: read as 12.5 mg (REFERENCE.md 3).
        assert_eq!(
            parse_strength("0.4 ML methotrexate 31.3 MG/ML Auto-Injector")
                .unwrap()
                .mg_per_unit(),
            Some(12.5)
        );
    }

    #[test]
    fn form_table() {
        let cases: &[(&str, DoseForm)] = &[
            ("Prednisone 20 MG Oral Tablet", DoseForm::Oral),
            ("Methylprednisolone 1000 MG Injection", DoseForm::Injection),
            (
                "1 ML methotrexate 25 MG/ML Prefilled Syringe",
                DoseForm::Injection,
            ),
            (
                "triamcinolone acetonide 40 MG/ML Injectable Suspension",
                DoseForm::AmbiguousInjection,
            ),
            (
                "methylPREDNISolone acetate 40 MG/ML Injection",
                DoseForm::AmbiguousInjection,
            ),
            ("hydrocortisone 10 MG/ML Topical Cream", DoseForm::Local),
            (
                "budesonide 0.5 MG/ML Inhalation Suspension",
                DoseForm::Local,
            ),
            ("triamcinolone 0.1% oral paste", DoseForm::Local),
            ("prednisone", DoseForm::Unknown),
        ];
        for (name, want) in cases {
            assert_eq!(parse_form(name), *want, "{name}");
        }
    }

    /// The brands of the policy map to their ingredient, whatever the case
    /// and wherever the name sits in the text or display.
    #[test]
    fn brand_names_table() {
        use Drug::*;
        let pred = Glucocorticoid(Gc::Prednisone);
        let pnl = Glucocorticoid(Gc::Prednisolone);
        let mp = Glucocorticoid(Gc::Methylprednisolone);
        let cases: &[(&str, Drug)] = &[
            ("Deltasone 20 MG Oral Tablet", pred),
            ("RAYOS 5 mg delayed-release tablet", pred),
            ("Orapred ODT 15 MG", pnl),
            ("Millipred 5 MG Oral Tablet", pnl),
            ("Medrol 4 MG Oral Tablet", mp),
            ("Medrol Dosepak", mp),
            ("SOLU-MEDROL 125 MG Injection", mp),
            ("Solumedrol 1 g", mp),
            ("Depo-Medrol 40 MG/ML Injectable Suspension", mp),
            ("Trexall 2.5 MG Oral Tablet", Methotrexate),
            ("Otrexup 15 MG/0.4 ML Auto-Injector", Methotrexate),
            ("Rasuvo 20 MG/0.4 ML", Methotrexate),
            ("Xatmep 2.5 MG/ML Oral Solution", Methotrexate),
            ("Imuran 50 MG Oral Tablet", Azathioprine),
            ("Azasan 75 MG Oral Tablet", Azathioprine),
            ("CellCept 500 MG Oral Tablet", Mycophenolate),
            ("Myfortic 360 MG Delayed Release Oral Tablet", Mycophenolate),
            ("Rituxan 10 MG/ML Injection", Rituximab),
            ("Truxima 10 MG/ML", Rituximab),
            ("Ruxience 500 MG/50 ML", Rituximab),
            ("Riabni 100 MG/10 ML", Rituximab),
            ("rituximab-abbs", Rituximab),
            ("Cytoxan 50 MG Oral Capsule", Cyclophosphamide),
        ];
        let t = t();
        for (name, drug) in cases {
            // As text, and as a coding's display beside a code we do not know.
            assert_eq!(
                identify(&t, &[], Some(name)).map(|i| i.drug),
                Some(*drug),
                "{name}"
            );
            let coding = [(Some("urn:oid:1.2.3"), Some("99"), Some(*name))];
            assert_eq!(
                identify(&t, &coding, None).map(|i| i.drug),
                Some(*drug),
                "{name}"
            );
        }
        // A word that only contains a brand is not it.
        assert_eq!(identify(&t, &[], Some("Medrolix")), None);
    }
}
