//! What one batch writes, in its transaction: token claims, cards
//! (multi-row inserts), feedback with its checks (the card exists, was shown
//! to the same issuer, is not already answered), the report's daily
//! counters, the probe row and a purge step.

use super::*;
use crate::store::audit::CardStatus;

/// Everything a batch writes, in one transaction: token claims first (a
/// request whose token is a replay is refused), then cards (multi-row), then
/// feedback, the report counters, the probe and any purge step.
pub(super) async fn write_batch(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    batch: &[Job],
) -> Result<Vec<Done>, StoreError> {
    let mut done: Vec<Option<Done>> = batch.iter().map(|_| None).collect();
    for (i, job) in batch.iter().enumerate() {
        let claim = match &job.op {
            Op::Claim(c) | Op::Cards(_, Some(c)) => c,
            _ => continue,
        };
        let r = sqlx::query(
            "INSERT INTO jwt_replay (issuer, jti, expires_at) VALUES ($1, $2, $3) \
             ON CONFLICT (issuer, jti) DO UPDATE SET expires_at = excluded.expires_at \
             WHERE jwt_replay.expires_at < $4",
        )
        .bind(&claim.issuer)
        .bind(&claim.jti)
        .bind(claim.expires_at_unix)
        .bind(claim.now_unix)
        .execute(&mut **tx)
        .await?;
        done[i] = Some(Done::Claimed(r.rows_affected() == 1));
    }
    let mut daily: BTreeMap<DailyKey, [i64; 4]> = BTreeMap::new();
    let mut offers: BTreeMap<SuggestionKey, [i64; 2]> = BTreeMap::new();
    // The cards of requests whose token was a replay are left out.
    let cards: Vec<&AuditCard> = batch
        .iter()
        .zip(&done)
        .filter_map(|(j, d)| match (&j.op, d) {
            (Op::Cards(_, Some(_)), Some(Done::Claimed(false))) => None,
            (Op::Cards(c, _), _) => Some(c.iter()),
            _ => None,
        })
        .flatten()
        .collect();
    for chunk in cards.chunks(CARD_ROWS_PER_INSERT) {
        insert_cards(tx, chunk).await?;
    }
    for c in &cards {
        // Shown, or held back (suppressed); a re-send was counted once and
        // adds no row.
        let column = match c.status {
            CardStatus::Shown => 0,
            CardStatus::Suppressed { .. } => 3,
            CardStatus::Resent => continue,
        };
        let day = c.issued_at_ms.div_euclid(DAY_MS);
        daily
            .entry((
                c.tenant.clone(),
                c.service_id.clone(),
                c.rule_code.clone(),
                c.rule_display.clone(),
                day,
            ))
            .or_default()[column] += 1;
        if column == 0 {
            // Offered: the suggestions of a card the clinician saw.
            for key in &c.suggestion_keys {
                offers
                    .entry((
                        c.tenant.clone(),
                        c.service_id.clone(),
                        c.rule_code.clone(),
                        day,
                        key.clone(),
                    ))
                    .or_default()[0] += 1;
            }
        }
    }
    for (i, job) in batch.iter().enumerate() {
        if let Op::Cards(_, None) = &job.op {
            done[i] = Some(Done::Written);
        }
    }
    let mut reasons: BTreeMap<ReasonKey, i64> = BTreeMap::new();
    let mut unmatched: BTreeMap<(String, String, i64), i64> = BTreeMap::new();
    for (i, job) in batch.iter().enumerate() {
        if let Op::Feedback { items, free_text } = &job.op {
            let mut filed = Vec::with_capacity(items.len());
            for f in items {
                let card = card_of(tx, &f.card_uuid).await?;
                if card.as_ref().is_some_and(|c| c.issuer != f.issuer) {
                    // Shown to another issuer: not this client's to judge.
                    filed.push(Filed::NotYours);
                    continue;
                }
                if !insert_feedback(tx, f).await? {
                    filed.push(Filed::Repeated);
                    continue;
                }
                filed.push(Filed::New);
                if card.is_some() && f.outcome == crate::store::feedback::Outcome::Overridden {
                    // Kept on the card, so that a hook call finds the
                    // patient's overridden cards by index.
                    sqlx::query(
                        "UPDATE audit_card SET overridden_at = $1 \
                         WHERE card_uuid = $2 AND overridden_at < $1",
                    )
                    .bind(f.received_at_ms)
                    .bind(&f.card_uuid)
                    .execute(&mut **tx)
                    .await?;
                }
                match card {
                    Some(card) => {
                        let counters = Counters {
                            daily: &mut daily,
                            reasons: &mut reasons,
                            offers: &mut offers,
                        };
                        count_feedback(tx, f, card, *free_text, counters).await?
                    }
                    None => {
                        *unmatched
                            .entry((
                                f.tenant.clone(),
                                f.service_id.clone(),
                                f.received_at_ms.div_euclid(DAY_MS),
                            ))
                            .or_default() += 1
                    }
                }
            }
            done[i] = Some(Done::Feedback(filed));
        }
    }
    // Each counter table in one statement (a statement is a round trip to
    // the database): one row per key, added to what is there.
    upsert(
        tx,
        "report_daily (tenant, service_id, rule_code, rule_display, day, shown, accepted, overridden, suppressed)",
        "(tenant, service_id, rule_code, rule_display, day) DO UPDATE SET \
         shown = report_daily.shown + excluded.shown, \
         accepted = report_daily.accepted + excluded.accepted, \
         overridden = report_daily.overridden + excluded.overridden, \
         suppressed = report_daily.suppressed + excluded.suppressed",
        daily
            .iter()
            .map(|((tenant, service, rule, display, day), [shown, accepted, overridden, suppressed])| {
                vec![
                    Val::S(tenant),
                    Val::S(service),
                    Val::S(rule),
                    Val::S(display),
                    Val::I(*day),
                    Val::I(*shown),
                    Val::I(*accepted),
                    Val::I(*overridden),
                    Val::I(*suppressed),
                ]
            })
            .collect(),
    )
    .await?;
    upsert(
        tx,
        "report_reason (tenant, service_id, rule_code, day, reason_code, reason_display, reason_category, items)",
        "(tenant, service_id, rule_code, day, reason_code, reason_display, reason_category) \
         DO UPDATE SET items = report_reason.items + excluded.items",
        reasons
            .iter()
            .map(|((tenant, service, rule, day, code, display, category), n)| {
                vec![
                    Val::S(tenant),
                    Val::S(service),
                    Val::S(rule),
                    Val::I(*day),
                    Val::S(code),
                    Val::S(display),
                    Val::S(category),
                    Val::I(*n),
                ]
            })
            .collect(),
    )
    .await?;
    upsert(
        tx,
        "report_suggestion (tenant, service_id, rule_code, day, suggestion, offered, accepted)",
        "(tenant, service_id, rule_code, day, suggestion) DO UPDATE SET \
         offered = report_suggestion.offered + excluded.offered, \
         accepted = report_suggestion.accepted + excluded.accepted",
        offers
            .iter()
            .map(
                |((tenant, service, rule, day, suggestion), [offered, accepted])| {
                    vec![
                        Val::S(tenant),
                        Val::S(service),
                        Val::S(rule),
                        Val::I(*day),
                        Val::S(suggestion),
                        Val::I(*offered),
                        Val::I(*accepted),
                    ]
                },
            )
            .collect(),
    )
    .await?;
    upsert(
        tx,
        "report_unmatched (tenant, service_id, day, items)",
        "(tenant, service_id, day) DO UPDATE SET items = report_unmatched.items + excluded.items",
        unmatched
            .iter()
            .map(|((tenant, service, day), n)| {
                vec![Val::S(tenant), Val::S(service), Val::I(*day), Val::I(*n)]
            })
            .collect(),
    )
    .await?;
    for (i, job) in batch.iter().enumerate() {
        match &job.op {
            Op::Probe => {
                sqlx::query(
                    "INSERT INTO store_probe (id, written_at) VALUES (1, $1) \
                     ON CONFLICT (id) DO UPDATE SET written_at = excluded.written_at",
                )
                .bind(chrono::Utc::now().timestamp_millis())
                .execute(&mut **tx)
                .await?;
                done[i] = Some(Done::Written);
            }
            Op::PurgeStep {
                before_ms,
                now_unix,
            } => {
                done[i] = Some(Done::Purged(purge_step(tx, *before_ms, *now_unix).await?));
            }
            _ => {}
        }
    }
    Ok(done
        .into_iter()
        .map(|d| d.unwrap_or(Done::Written))
        .collect())
}

/// A value bound to a counter row.
enum Val<'a> {
    S(&'a str),
    I(i64),
}

/// Most values bound in one statement (SQLite allows 32,766, PostgreSQL
/// 65,535).
const MAX_BOUND: usize = 4_000;

/// `INSERT INTO {table} VALUES (..), (..) ON CONFLICT {conflict}`: the rows
/// in as few statements as the bound values allow, none for no rows. The
/// keys of `rows` are distinct (they come from a map), as PostgreSQL
/// requires of one statement's rows.
async fn upsert(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    table: &str,
    conflict: &str,
    rows: Vec<Vec<Val<'_>>>,
) -> Result<(), StoreError> {
    let Some(width) = rows.first().map(Vec::len) else {
        return Ok(());
    };
    for chunk in rows.chunks((MAX_BOUND / width).max(1)) {
        let mut sql = format!("INSERT INTO {table} VALUES ");
        placeholders(&mut sql, chunk.len(), width);
        sql.push_str(" ON CONFLICT ");
        sql.push_str(conflict);
        let mut q = sqlx::query(&sql);
        for v in chunk.iter().flatten() {
            q = match v {
                Val::S(s) => q.bind(*s),
                Val::I(i) => q.bind(*i),
            };
        }
        q.execute(&mut **tx).await?;
    }
    Ok(())
}

/// `($1, $2), ($3, $4)` for `rows` rows of `width` values.
fn placeholders(sql: &mut String, rows: usize, width: usize) {
    for i in 0..rows {
        sql.push_str(if i == 0 { "(" } else { ", (" });
        for k in 1..=width {
            if k > 1 {
                sql.push_str(", ");
            }
            sql.push('$');
            sql.push_str(&(i * width + k).to_string());
        }
        sql.push(')');
    }
}

/// Columns of one `audit_card` row.
const COLUMNS: usize = 20;

async fn insert_cards(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    cards: &[&AuditCard],
) -> Result<(), StoreError> {
    let mut sql = String::from(
        "INSERT INTO audit_card (card_uuid, service_id, hook, hook_instance, rule_system, rule_code, \
         rule_display, indicator, summary, suggestion_uuids, policy_version, service_version, \
         patient_hmac, issued_at, issuer, tenant, drafts_key, status, follows, suggestion_keys) VALUES ",
    );
    placeholders(&mut sql, cards.len(), COLUMNS);
    let mut q = sqlx::query(&sql);
    for c in cards {
        q = q
            .bind(c.card_uuid.as_str())
            .bind(c.service_id.as_str())
            .bind(c.hook.as_str())
            .bind(c.hook_instance.as_str())
            .bind(c.rule_system.as_str())
            .bind(c.rule_code.as_str())
            .bind(c.rule_display.as_str())
            .bind(c.indicator.as_str())
            .bind(c.summary.as_str())
            .bind(serde_json::to_string(&c.suggestion_uuids).expect("strings serialise"))
            .bind(c.policy_version.as_str())
            .bind(c.service_version.as_str())
            .bind(c.patient_hmac.as_str())
            .bind(c.issued_at_ms)
            .bind(c.issuer.as_str())
            .bind(c.tenant.as_str())
            .bind(c.drafts_key.as_str())
            .bind(c.status.columns().0)
            .bind(c.status.columns().1)
            .bind(serde_json::to_string(&c.suggestion_keys).expect("strings serialise"));
    }
    q.execute(&mut **tx).await?;
    Ok(())
}

async fn insert_feedback(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    f: &FeedbackRecord,
) -> Result<bool, StoreError> {
    let r = sqlx::query(
        "INSERT INTO feedback (service_id, card_uuid, outcome, outcome_at, accepted_suggestions, \
         reason_system, reason_code, reason_display, reason_category, user_comment, received_at, issuer) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
         ON CONFLICT (service_id, card_uuid, outcome, outcome_at) DO NOTHING",
    )
    .bind(&f.service_id)
    .bind(&f.card_uuid)
    .bind(f.outcome.as_str())
    .bind(f.outcome_at_ms)
    .bind(serde_json::to_string(&f.accepted_suggestions).expect("strings serialise"))
    .bind(f.reason.as_ref().map(|r| r.system.clone()))
    .bind(f.reason.as_ref().map(|r| r.code.clone()))
    .bind(f.reason.as_ref().and_then(|r| r.display.clone()))
    .bind(f.category.map(str::to_string))
    .bind(f.user_comment.clone())
    .bind(f.received_at_ms)
    .bind(&f.issuer)
    .execute(&mut **tx)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// (tenant, service, rule, rule display, day).
type DailyKey = (String, String, String, String, i64);
/// (tenant, service, rule, day, reason code, reason display, category).
type ReasonKey = (String, String, String, i64, String, String, String);
/// (tenant, service, rule, day, suggestion `kind/what`).
type SuggestionKey = (String, String, String, i64, String);

/// The counters a batch adds to, written at its end.
struct Counters<'a> {
    daily: &'a mut BTreeMap<DailyKey, [i64; 4]>,
    reasons: &'a mut BTreeMap<ReasonKey, i64>,
    /// Offered, accepted.
    offers: &'a mut BTreeMap<SuggestionKey, [i64; 2]>,
}

/// What the counters need of a card that feedback names.
struct CardRef {
    issuer: String,
    tenant: String,
    service: String,
    rule: String,
    display: String,
    day: i64,
    /// The card's stored suggestion uuids and what each offers (JSON
    /// lists), read only when an item accepts a suggestion.
    suggestion_uuids: String,
    suggestion_keys: String,
}

impl CardRef {
    /// What the accepted suggestion `id` offers: '' for an id none of the
    /// card's suggestions has, for a card recorded before suggestions were
    /// named, and for a stored list that cannot be read (said in the log: one
    /// unreadable row must not refuse the other requests of the batch).
    fn offer_of(&self, id: &str) -> String {
        let read = |text: &str| {
            crate::store::read::stored_list(text)
                .map_err(|e| tracing::warn!(error = %e, "a card's suggestions unreadable: counted as unknown"))
                .unwrap_or_default()
        };
        let at = read(&self.suggestion_uuids).iter().position(|u| u == id);
        at.and_then(|i| read(&self.suggestion_keys).into_iter().nth(i))
            .unwrap_or_default()
    }
}

async fn card_of(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    card_uuid: &str,
) -> Result<Option<CardRef>, StoreError> {
    let row = sqlx::query(
        "SELECT issuer, tenant, service_id, rule_code, rule_display, issued_at, \
         suggestion_uuids, suggestion_keys FROM audit_card WHERE card_uuid = $1",
    )
    .bind(card_uuid)
    .fetch_optional(&mut **tx)
    .await?;
    let Some(r) = row else { return Ok(None) };
    Ok(Some(CardRef {
        issuer: r.try_get(0)?,
        tenant: r.try_get(1)?,
        service: r.try_get(2)?,
        rule: r.try_get(3)?,
        display: r.try_get(4)?,
        day: r.try_get::<i64, _>(5)?.div_euclid(DAY_MS),
        suggestion_uuids: r.try_get(6)?,
        suggestion_keys: r.try_get(7)?,
    }))
}

/// Counts a newly stored feedback item on its card's tenant and day: the
/// card's first item of this outcome counts the card as accepted /
/// overridden; every override item counts under its reason (its display
/// text only when `free_text`: it may name people); each suggestion an
/// accepted item names counts as accepted the first time any item of the
/// card names it, under what it offers ('' for an id none of the card's
/// suggestions has).
async fn count_feedback(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    f: &FeedbackRecord,
    card: CardRef,
    free_text: bool,
    counters: Counters<'_>,
) -> Result<(), StoreError> {
    let Counters {
        daily,
        reasons,
        offers,
    } = counters;
    // This card's items of this outcome, the new one among them.
    let lists: Vec<String> = sqlx::query(
        "SELECT accepted_suggestions FROM feedback WHERE card_uuid = $1 AND outcome = $2",
    )
    .bind(&f.card_uuid)
    .bind(f.outcome.as_str())
    .fetch_all(&mut **tx)
    .await?
    .iter()
    .map(|r| r.try_get(0))
    .collect::<Result<_, _>>()?;
    let same = lists.len();
    if f.outcome == crate::store::feedback::Outcome::Accepted {
        let mut named: Vec<&String> = f.accepted_suggestions.iter().collect();
        named.sort();
        named.dedup();
        // Our own rows, written by this writer: one that cannot be read
        // counts as naming nothing (said in the log), rather than refusing
        // the other requests of the batch.
        let earlier: Vec<Vec<String>> = lists
            .iter()
            .map(|l| {
                crate::store::read::stored_list(l)
                    .map_err(|e| tracing::warn!(error = %e, "a stored feedback item unreadable: counted as naming no suggestion"))
                    .unwrap_or_default()
            })
            .collect();
        for id in named {
            // Named by this item only: the first time for this card.
            let times = earlier.iter().filter(|l| l.contains(id)).count();
            if times != 1 {
                continue;
            }
            let what = card.offer_of(id);
            offers
                .entry((
                    card.tenant.clone(),
                    card.service.clone(),
                    card.rule.clone(),
                    card.day,
                    what,
                ))
                .or_default()[1] += 1;
        }
    }
    let slot = match f.outcome {
        crate::store::feedback::Outcome::Accepted => 1,
        crate::store::feedback::Outcome::Overridden => 2,
    };
    if same == 1 {
        daily
            .entry((
                card.tenant.clone(),
                card.service.clone(),
                card.rule.clone(),
                card.display,
                card.day,
            ))
            .or_default()[slot] += 1;
    }
    if f.outcome == crate::store::feedback::Outcome::Overridden {
        let code = f
            .reason
            .as_ref()
            .map(|r| r.code.clone())
            .unwrap_or_default();
        let shown = f
            .reason
            .as_ref()
            .and_then(|r| r.display.clone())
            .filter(|_| free_text)
            .unwrap_or_default();
        let category = f.category.unwrap_or_default().to_string();
        *reasons
            .entry((
                card.tenant,
                card.service,
                card.rule,
                card.day,
                code,
                shown,
                category,
            ))
            .or_default() += 1;
    }
    Ok(())
}

/// Deletes at most [`PURGE_STEP_ROWS`] rows per table.
async fn purge_step(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    before_ms: i64,
    now_unix: i64,
) -> Result<Purged, StoreError> {
    let feedback = sqlx::query(
        "DELETE FROM feedback WHERE (service_id, card_uuid, outcome, outcome_at) IN \
         (SELECT service_id, card_uuid, outcome, outcome_at FROM feedback WHERE received_at < $1 LIMIT $2)",
    )
    .bind(before_ms)
    .bind(PURGE_STEP_ROWS)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    let cards = sqlx::query(
        "DELETE FROM audit_card WHERE card_uuid IN \
         (SELECT card_uuid FROM audit_card WHERE issued_at < $1 LIMIT $2)",
    )
    .bind(before_ms)
    .bind(PURGE_STEP_ROWS)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    let replay_ids = sqlx::query(
        "DELETE FROM jwt_replay WHERE (issuer, jti) IN \
         (SELECT issuer, jti FROM jwt_replay WHERE expires_at < $1 LIMIT $2)",
    )
    .bind(now_unix)
    .bind(PURGE_STEP_ROWS)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    // Counters of days wholly before the cut-off go with their rows.
    let day = before_ms.div_euclid(DAY_MS);
    for table in ["report_daily", "report_reason", "report_suggestion"] {
        sqlx::query(&format!("DELETE FROM {table} WHERE day < $1"))
            .bind(day)
            .execute(&mut **tx)
            .await?;
    }
    sqlx::query("DELETE FROM report_unmatched WHERE day < $1")
        .bind(day)
        .execute(&mut **tx)
        .await?;
    Ok(Purged {
        cards,
        feedback,
        replay_ids,
    })
}
