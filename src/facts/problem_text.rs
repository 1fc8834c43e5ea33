//! Problem text → concepts, for a Condition with no code we know: its
//! `code.text` or a coding's display names a scope diagnosis or a safety
//! state. Only those (POLICY third edition, "Text"): systemic
//! sclerosis/scleroderma (not localized scleroderma or morphea),
//! dermatomyositis, polymyositis, myositis (not inclusion body myositis),
//! pregnancy, breastfeeding, dialysis, cirrhosis, chronic hepatitis B.
//! A text that negates ("no", "not", "ruled out"...) names nothing.

use std::sync::LazyLock;

use regex::Regex;

use crate::terminology::Concept;

/// Phrases removed before matching: they name something else that contains
/// one of our words (morphea is not SSc; inclusion body myositis and
/// myositis ossificans are not myositis in scope), or read as a negation
/// without being one.
static EXCLUDED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?x)
        locali[sz]ed\s+(?:cutaneous\s+)?scleroderma | linear\s+scleroderma | morph(?:o)?ea
        | en\s+coup\s+de\s+sabre
        | inclusion[\s-]+body\s+myositis | \bibm\b | myositis\s+ossificans
        | not\s+otherwise\s+specified | pregnancy\s+test\w* | \bnon[\s-]?pregnant",
    )
    .expect("excluded phrases")
});

/// A text that says the condition is absent or only being ruled out.
static NEGATION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b(?:no|not|denies|denied|negative|without|ruled\s+out|rule\s+out|r/o|excluded|absence|history\s+of|hx\s+of|planning|planned|wishes|desires|prevention)\b")
        .expect("negations")
});

static TERMS: LazyLock<Vec<(Regex, &'static [Concept])>> = LazyLock::new(|| {
    use Concept::*;
    let t = |re: &str, c: &'static [Concept]| (Regex::new(re).expect("problem-text term"), c);
    vec![
        t(
            r"systemic\s+sclerosis|scleroderma|\bcrest\s+syndrome|\bssc\b",
            &[Ssc],
        ),
        t(r"dermato-?(?:poly)?myositis", &[Dermatomyositis]),
        t(r"\bpolymyositis", &[Polymyositis]),
        t(
            r"necroti[sz]ing\s+(?:autoimmune\s+)?myopathy|\bimnm\b",
            &[Imnm],
        ),
        t(r"\bmyositis", &[MyositisNos]),
        t(r"\bpregnan(?:t|cy)\b|\bgravid\b", &[Pregnancy]),
        t(
            r"breast[\s-]?feeding|\blactating\b|\blactation\b|nursing\s+mother",
            &[Breastfeeding],
        ),
        t(
            r"dialysis|\besrd\b|end[\s-]stage\s+(?:renal|kidney)",
            &[Ckd, CkdSevere],
        ),
        t(r"cirrhosis", &[Cirrhosis, LiverDisease]),
        t(
            r"chronic\s+(?:viral\s+)?(?:hepatitis\s+b|hep\.?\s*b|hbv)\b|(?:hepatitis\s+b|hbv)\s+carrier",
            &[LiverDisease, HepatitisB],
        ),
    ]
});

/// The concepts a problem text names (empty when none or negated).
pub fn concepts(text: &str) -> Vec<Concept> {
    let lower = text.to_lowercase();
    let cleaned = EXCLUDED.replace_all(&lower, " ");
    if NEGATION.is_match(&cleaned) {
        return Vec::new();
    }
    let mut out: Vec<Concept> = Vec::new();
    for (re, cs) in TERMS.iter() {
        if re.is_match(&cleaned) {
            for c in *cs {
                if !out.contains(c) {
                    out.push(*c);
                }
            }
        }
    }
    // "Dermatomyositis" also matches the generic word: the specific wins.
    if out.iter().any(|c| {
        matches!(
            c,
            Concept::Dermatomyositis | Concept::Polymyositis | Concept::Imnm
        )
    }) {
        out.retain(|c| *c != Concept::MyositisNos);
    }
    out
}

pub fn warm() {
    LazyLock::force(&EXCLUDED);
    LazyLock::force(&NEGATION);
    LazyLock::force(&TERMS);
}

#[cfg(test)]
mod tests {
    use super::*;
    use Concept::*;

    #[test]
    fn problem_text_table() {
        // (text, concepts it names)
        let table: &[(&str, &[Concept])] = &[
            ("Systemic sclerosis", &[Ssc]),
            ("Scleroderma", &[Ssc]),
            ("Limited cutaneous systemic sclerosis (lcSSc)", &[Ssc]),
            ("SSc-ILD", &[Ssc]),
            ("CREST syndrome", &[Ssc]),
            ("Scleroderma, not otherwise specified", &[Ssc]),
            ("Localized scleroderma", &[]),
            ("Localised scleroderma (morphoea)", &[]),
            ("Morphea of trunk", &[]),
            ("Linear scleroderma", &[]),
            ("Dermatomyositis", &[Dermatomyositis]),
            ("Amyopathic dermatomyositis", &[Dermatomyositis]),
            ("Polymyositis with ILD", &[Polymyositis]),
            ("Immune-mediated necrotizing myopathy", &[Imnm]),
            ("Inflammatory myositis", &[MyositisNos]),
            ("Inclusion body myositis", &[]),
            ("Inclusion-body myositis (IBM)", &[]),
            ("Myositis ossificans", &[]),
            ("Pregnant", &[Pregnancy]),
            ("Pregnancy, 12 weeks", &[Pregnancy]),
            ("Intrauterine pregnancy", &[Pregnancy]),
            ("Not pregnant", &[]),
            ("Pregnancy test negative", &[]),
            ("Planning pregnancy", &[]),
            ("Non-pregnant", &[]),
            ("Breastfeeding", &[Breastfeeding]),
            ("Breast-feeding mother", &[Breastfeeding]),
            ("Lactating", &[Breastfeeding]),
            ("On haemodialysis", &[Ckd, CkdSevere]),
            ("Peritoneal dialysis", &[Ckd, CkdSevere]),
            ("ESRD", &[Ckd, CkdSevere]),
            ("Cirrhosis of liver", &[Cirrhosis, LiverDisease]),
            ("Chronic hepatitis B", &[LiverDisease, HepatitisB]),
            ("Chronic HBV", &[LiverDisease, HepatitisB]),
            ("Hepatitis B carrier", &[LiverDisease, HepatitisB]),
            ("Hepatitis B vaccination", &[]),
            ("History of pregnancy", &[]),
            ("Scleroderma ruled out", &[]),
            ("Hypertension", &[]),
            ("Essential hypertension; scleroderma renal crisis", &[Ssc]),
            ("", &[]),
        ];
        for (text, want) in table {
            assert_eq!(concepts(text), want.to_vec(), "{text:?}");
        }
    }
}
