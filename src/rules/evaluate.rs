//! Runs every rule and folds what concerns several cards: the changed
//! policy figures, the contradiction and budget tables, the one-concern-one-
//! place and drafted-items-satisfy-reminders policies, children, and the
//! notes on what was not read.

use super::{Rule, What};
use crate::clinical::{
    conflicts, policy, pretreatment, ChangedSetting, Finding, Indicator, Note, PatientScope,
    Policy, WeakDiagnosis,
};
use crate::facts::Facts;
use crate::rules;

/// Runs every rule. Patients with neither SSc nor myositis get nothing.
/// Critical findings come first.
pub fn evaluate(facts: &Facts, policy: &Policy) -> Vec<Finding<What>> {
    evaluate_all(facts, policy).findings
}

/// The findings, and those silenced by a contradicting finding (for the log).
#[derive(Debug, Default)]
pub struct Evaluation {
    pub findings: Vec<Finding<What>>,
    pub silenced: Vec<conflicts::Silenced>,
}

/// [`evaluate`], with what the contradiction table hid.
pub fn evaluate_all(facts: &Facts, policy: &Policy) -> Evaluation {
    if !facts.in_scope() {
        return Evaluation::default();
    }
    let mut findings = Vec::new();
    let mut needs = Vec::new();
    for rule in Rule::ALL {
        let mut out = rule.evaluate(facts, policy);
        let local: Vec<ChangedSetting> = rule
            .settings()
            .iter()
            .filter(|k| policy.changed().contains(k))
            .filter_map(|k| {
                let s = policy::SETTINGS.iter().find(|s| s.key == *k)?;
                Some(ChangedSetting {
                    key: s.key,
                    value: policy.get(k)?,
                    unit: s.unit,
                    default: s.default,
                })
            })
            .collect();
        if !local.is_empty() {
            for f in &mut out.findings {
                f.notes.push(Note::LocalPolicy(local.clone()));
            }
        }
        findings.extend(out.findings);
        needs.extend(out.needs);
    }
    // POLICY third edition ("Critical cards carry an action"): suspected
    // renal crisis is one card. It absorbs the renal crisis risk card (its
    // own detail states the glucocorticoid exposure) and no card beside it
    // pushes a steroid-sparing start: the decision is a same-day review.
    if findings.iter().any(|f| {
        f.topic == rules::suspected_renal_crisis::TOPIC && f.indicator == Indicator::Critical
    }) {
        findings.retain(|f| {
            f.topic != rules::renal_crisis_risk::TOPIC && f.topic != rules::steroid_sparing::TOPIC
        });
    }
    // POLICY third edition ("One concern, one place"): the hepatitis B line
    // appears on one card. An immunosuppressant's card carries it (its
    // order needs it first); the glucocorticoid risk card then drops its own.
    let hbv_elsewhere = findings.iter().any(|f| match &f.what {
        What::MtxOrderCheck(x) => {
            x.inputs.before_first_dose.iter().any(|l| {
                matches!(
                    l.kind,
                    pretreatment::LineKind::HbvPositive | pretreatment::LineKind::HbvNotOnFile
                )
            }) || matches!(
                &x.concern,
                rules::mtx_order_check::Concern::Pretreatment { .. }
            )
        }
        What::DrugCheck(x) => x.concerns.iter().any(|c| {
            matches!(
                &c.kind,
                rules::drug_check::Kind::Pretreatment(l)
                    if matches!(
                        l.kind,
                        pretreatment::LineKind::HbvPositive | pretreatment::LineKind::HbvNotOnFile
                    )
            )
        }),
        _ => false,
    });
    if hbv_elsewhere {
        for f in &mut findings {
            if let What::RenalCrisisRisk(x) = &mut f.what {
                x.hbv.clear();
            }
        }
    }
    // POLICY third edition ("Drafted items satisfy reminders"): a suggestion
    // to order what is already drafted is not made again.
    if !facts.drafted_services.is_empty() {
        for f in &mut findings {
            f.suggestions
                .retain(|s| !rules::monitoring_orders::already_drafted(s, facts));
        }
    }
    if let Some(age) = rules::adults_only::minor_age(facts, policy) {
        // A child: only the age-independent safety findings stand, without
        // suggestions. The filter applies to each concern: a drug card keeps
        // its safety concerns (a positive hepatitis B, a poor metaboliser) and
        // loses its dose advice; an azathioprine card left with safety
        // concerns only speaks under the thiopurine-safety topic.
        for f in &mut findings {
            if let What::DrugCheck(found) = &mut f.what {
                found
                    .concerns
                    .retain(|c| c.kind.age_independent(c.indicator));
                if let Some(worst) = found.concerns.iter().map(|c| c.indicator).max() {
                    f.indicator = worst;
                    if found.card == rules::drug_check::Card::Azathioprine {
                        f.topic = rules::thiopurine::TOPIC;
                    }
                }
            }
        }
        findings.retain(|f| {
            rules::adults_only::AGE_INDEPENDENT.contains(&f.topic.code)
                && !matches!(&f.what, What::DrugCheck(x) if x.concerns.is_empty())
        });
        for f in &mut findings {
            f.suggestions.clear();
        }
        findings.push(rules::adults_only::finding(age, policy).map(What::from));
    } else if let Some(f) = rules::missing_data::finding(&needs, facts) {
        findings.push(f.map(What::from));
    }
    // POLICY second edition ("Budget"): the antibody-panel reminder appears on
    // patient-view; on order hooks only when no other card fires.
    if facts.setting == crate::facts::Setting::OrderEntry
        && findings
            .iter()
            .any(|f| f.topic != rules::antibody_panel::TOPIC)
    {
        findings.retain(|f| f.topic != rules::antibody_panel::TOPIC);
    }
    // Advice (proposal, plan, option) is evaluated as an order; the detail says so.
    let advice: Vec<(String, String)> = facts
        .orders
        .iter()
        .filter_map(|m| match &m.intent {
            crate::facts::Intent::Advice(code) => Some((m.name.clone(), code.clone())),
            crate::facts::Intent::Order => None,
        })
        .collect();
    if !advice.is_empty() {
        for f in &mut findings {
            f.notes.push(Note::Advice(advice.clone()));
        }
    }
    let age_unknown =
        facts.birth_date.is_none() && !facts.missing.contains(&crate::facts::DataArea::Patient);
    if !facts.missing.is_empty() || !facts.notes.is_empty() || age_unknown {
        let limits = Note::DataLimits {
            missing: facts.missing.iter().copied().collect(),
            notes: facts.notes.clone(),
            age_unknown,
        };
        for f in &mut findings {
            f.notes.push(limits.clone());
        }
    }
    let silenced = conflicts::resolve(&mut findings);
    findings.sort_by_key(|f| std::cmp::Reverse(f.indicator));
    fold_unread(&mut findings, facts);
    let weak: Vec<WeakDiagnosis> = facts
        .diagnoses
        .iter()
        .filter(|d| d.from_text || d.provisional)
        .map(|d| WeakDiagnosis {
            label: d.label.clone(),
            concept: d.concepts.first().copied(),
            from_text: d.from_text,
            provisional: d.provisional,
        })
        .fold(Vec::new(), |mut v, d| {
            if !v.contains(&d) {
                v.push(d);
            }
            v
        });
    if let (Some(first), false) = (findings.first_mut(), weak.is_empty()) {
        first.notes.push(Note::Diagnoses(weak));
    }
    Evaluation { findings, silenced }
}

/// Folds each item into the cards that read its area; one with no area, or
/// whose area no card reads, into the first card. Returns the items per card.
fn by_area<T: Clone>(
    findings: &[Finding<What>],
    items: &[T],
    area: impl Fn(&T) -> Option<crate::facts::DataArea>,
) -> Vec<Vec<T>> {
    let mut per_card: Vec<Vec<T>> = vec![vec![]; findings.len()];
    if findings.is_empty() {
        return per_card;
    }
    for item in items {
        let mut placed = false;
        if let Some(a) = area(item) {
            for (i, f) in findings.iter().enumerate() {
                if f.what.reads(a) {
                    per_card[i].push(item.clone());
                    placed = true;
                }
            }
        }
        if !placed {
            per_card[0].push(item.clone());
        }
    }
    per_card
}

/// Names what was received but not read, and the preliminary results used,
/// on the cards that would have used them (POLICY third edition).
fn fold_unread(findings: &mut [Finding<What>], facts: &Facts) {
    let unread = by_area(findings, &facts.unclassified, |u| u.area);
    let preliminary = by_area(findings, &facts.preliminary, |p| p.area);
    for ((f, unread), preliminary) in findings.iter_mut().zip(unread).zip(preliminary) {
        if !preliminary.is_empty() {
            f.notes.push(Note::Preliminary(preliminary));
        }
        if !unread.is_empty() {
            f.notes.push(Note::Unread(unread));
        }
    }
}
