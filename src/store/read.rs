//! Reading the store back, on the reader pool (never the writer's
//! connection): one card's audit record, the feedback on a card, and the
//! report's daily counters. A stored row that cannot be read is an error,
//! never an empty answer.

use sqlx::any::AnyRow;
use sqlx::Row;

use super::*;

/// Whose cards a hook call recalls: one patient (its keyed hash) as seen by
/// one issuer and tenant, for one service. Patient ids are the EHR's own, so
/// they are never matched across issuers or tenants.
pub struct Whose<'a> {
    pub patient_hmac: &'a str,
    pub service_id: &'a str,
    pub issuer: &'a str,
    pub tenant: &'a str,
}

impl Store {
    /// The audit record of one card, if any.
    pub async fn card(&self, card_uuid: &str) -> Result<Option<AuditCard>, StoreError> {
        let row = sqlx::query(
            "SELECT card_uuid, service_id, hook, hook_instance, rule_system, rule_code, rule_display, \
             indicator, summary, suggestion_uuids, policy_version, service_version, patient_hmac, issued_at, \
             issuer, tenant, drafts_key, status, follows, suggestion_keys FROM audit_card WHERE card_uuid = $1",
        )
        .bind(card_uuid)
        .fetch_optional(&self.inner.readers)
        .await?;
        row.map(|r| audit_card(&r)).transpose()
    }

    /// What `recall` needs of one patient (its keyed hash), for one issuer,
    /// tenant and service: the cards overridden since `overrides_since_ms`
    /// and the cards first shown (not re-sent) since `recent_since_ms`. The
    /// time of an override is when the service received it, by its own
    /// clock: a client's `outcomeTimestamp` cannot stretch the period.
    ///
    /// Read by the writer on its own connection when it is idle (one hook
    /// call at a time): the pages it just wrote are in its cache, where a
    /// reader connection would read them again from the log, and several
    /// waiting reads go in one statement. While the writer is busy with a
    /// batch, or when it does not answer, a reader connection answers
    /// instead: a call waits for at most one other call's flush.
    pub async fn recall_for(
        &self,
        whose: &Whose<'_>,
        overrides_since_ms: i64,
        recent_since_ms: i64,
    ) -> Result<crate::recall::Memory, StoreError> {
        let query = writer::RecallQuery {
            patient_hmac: whose.patient_hmac.to_string(),
            service_id: whose.service_id.to_string(),
            issuer: whose.issuer.to_string(),
            tenant: whose.tenant.to_string(),
            overrides_since_ms,
            recent_since_ms,
        };
        let busy = self
            .inner
            .health
            .busy
            .load(std::sync::atomic::Ordering::Relaxed);
        if !busy {
            // The writer may take up a batch between the look and the
            // hand-off: then this read waits for that one flush. Should the
            // writer not answer at all, a reader does.
            if let Ok(Done::Recalled(memory)) = self.submit(Op::Recall(query.clone())).await {
                return Ok(memory);
            }
        }
        let mut conn = self.inner.readers.acquire().await?;
        recall(&mut conn, &[&query])
            .await?
            .pop()
            .ok_or_else(|| StoreError::Config("a recall read gave no answer".into()))
    }

    /// Card uuids recorded, oldest first.
    pub async fn card_uuids(&self) -> Result<Vec<String>, StoreError> {
        let rows = sqlx::query("SELECT card_uuid FROM audit_card ORDER BY issued_at, card_uuid")
            .fetch_all(&self.inner.readers)
            .await?;
        rows.iter()
            .map(|r| r.try_get::<String, _>(0).map_err(Into::into))
            .collect()
    }

    /// Stored feedback items for a card.
    pub async fn feedback_for(&self, card_uuid: &str) -> Result<Vec<FeedbackRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT service_id, card_uuid, outcome, outcome_at, accepted_suggestions, reason_system, \
             reason_code, reason_display, reason_category, user_comment, received_at, issuer \
             FROM feedback WHERE card_uuid = $1 ORDER BY outcome_at, outcome",
        )
        .bind(card_uuid)
        .fetch_all(&self.inner.readers)
        .await?;
        rows.iter().map(feedback_record).collect()
    }

    /// The acceptance report for cards issued from `since_ms` on, read from
    /// the daily counters: its cost grows with days, not with rows. `tenant`:
    /// that tenant's figures only (an admin bound to one tenant).
    pub async fn report(&self, since_ms: i64, tenant: Option<&str>) -> Result<Report, StoreError> {
        let since_day = since_ms.div_euclid(86_400_000);
        let mut conn = self.inner.readers.acquire().await?;
        let daily = counter_rows(
            &mut conn,
            "SELECT service_id, rule_code, rule_display, day, CAST(SUM(shown) AS BIGINT), \
             CAST(SUM(accepted) AS BIGINT), CAST(SUM(overridden) AS BIGINT), \
             CAST(SUM(suppressed) AS BIGINT) \
             FROM report_daily WHERE day >= $1 AND ($3 = 0 OR tenant = $2) \
             GROUP BY service_id, rule_code, rule_display, day",
            since_day,
            tenant,
        )
        .await?
        .iter()
        .map(|r| {
            Ok(report::DailyRow {
                service: r.try_get(0)?,
                rule: r.try_get(1)?,
                rule_display: r.try_get(2)?,
                day: r.try_get(3)?,
                shown: r.try_get(4)?,
                accepted: r.try_get(5)?,
                overridden: r.try_get(6)?,
                suppressed: r.try_get(7)?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
        let reasons = counter_rows(
            &mut conn,
            "SELECT service_id, rule_code, reason_code, reason_display, reason_category, \
             CAST(SUM(items) AS BIGINT) FROM report_reason WHERE day >= $1 AND ($3 = 0 OR tenant = $2) \
             GROUP BY service_id, rule_code, reason_code, reason_display, reason_category",
            since_day,
            tenant,
        )
        .await?
        .iter()
        .map(|r| {
            Ok(report::ReasonRow {
                service: r.try_get(0)?,
                rule: r.try_get(1)?,
                code: r.try_get(2)?,
                display: r.try_get(3)?,
                category: r.try_get(4)?,
                count: r.try_get(5)?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
        let unmatched = counter_rows(
            &mut conn,
            "SELECT service_id, CAST(SUM(items) AS BIGINT) FROM report_unmatched \
             WHERE day >= $1 AND ($3 = 0 OR tenant = $2) GROUP BY service_id",
            since_day,
            tenant,
        )
        .await?
        .iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
        .collect::<Result<Vec<(String, i64)>, sqlx::Error>>()?;
        let suggestions = counter_rows(
            &mut conn,
            "SELECT service_id, rule_code, suggestion, CAST(SUM(offered) AS BIGINT), \
             CAST(SUM(accepted) AS BIGINT) FROM report_suggestion \
             WHERE day >= $1 AND ($3 = 0 OR tenant = $2) GROUP BY service_id, rule_code, suggestion",
            since_day,
            tenant,
        )
        .await?
        .iter()
        .map(|r| {
            Ok(report::SuggestionRow {
                service: r.try_get(0)?,
                rule: r.try_get(1)?,
                suggestion: r.try_get(2)?,
                offered: r.try_get(3)?,
                accepted: r.try_get(4)?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
        Ok(Report::build(since_ms, daily, reasons, unmatched).with_suggestions(suggestions))
    }
}

/// The rows of one counter query of the report: `$1` the first day, `$2`
/// the tenant, ignored when `$3` is 0 (every tenant).
async fn counter_rows(
    conn: &mut sqlx::pool::PoolConnection<sqlx::Any>,
    sql: &str,
    since_day: i64,
    tenant: Option<&str>,
) -> Result<Vec<AnyRow>, sqlx::Error> {
    sqlx::query(sql)
        .bind(since_day)
        .bind(tenant.unwrap_or_default())
        .bind(i64::from(tenant.is_some()))
        .fetch_all(&mut **conn)
        .await
}

/// A stored list of suggestion uuids or keys (a JSON array of strings). A row that
/// does not hold one is corrupt: an error, never read as an empty list.
pub(super) fn stored_list(text: &str) -> Result<Vec<String>, StoreError> {
    serde_json::from_str(text)
        .map_err(|e| StoreError::Config(format!("a stored suggestion list is corrupt: {e}")))
}

fn audit_card(r: &AnyRow) -> Result<AuditCard, StoreError> {
    let suggestions: String = r.try_get(9)?;
    Ok(AuditCard {
        card_uuid: r.try_get(0)?,
        service_id: r.try_get(1)?,
        hook: r.try_get(2)?,
        hook_instance: r.try_get(3)?,
        rule_system: r.try_get(4)?,
        rule_code: r.try_get(5)?,
        rule_display: r.try_get(6)?,
        indicator: r.try_get(7)?,
        summary: r.try_get(8)?,
        suggestion_uuids: stored_list(&suggestions)?,
        suggestion_keys: stored_list(&r.try_get::<String, _>(19)?)?,
        policy_version: r.try_get(10)?,
        service_version: r.try_get(11)?,
        patient_hmac: r.try_get(12)?,
        issued_at_ms: r.try_get(13)?,
        issuer: r.try_get(14)?,
        tenant: r.try_get(15)?,
        drafts_key: r.try_get(16)?,
        status: {
            let status: String = r.try_get(17)?;
            audit::CardStatus::from_columns(&status, r.try_get(18)?)
                .ok_or_else(|| StoreError::Config(format!("stored card status {status:?}")))?
        },
    })
}

fn feedback_record(r: &AnyRow) -> Result<FeedbackRecord, StoreError> {
    let outcome: String = r.try_get(2)?;
    let suggestions: String = r.try_get(4)?;
    let system: Option<String> = r.try_get(5)?;
    let code: Option<String> = r.try_get(6)?;
    let category: Option<String> = r.try_get(8)?;
    Ok(FeedbackRecord {
        service_id: r.try_get(0)?,
        card_uuid: r.try_get(1)?,
        outcome: feedback::Outcome::parse(&outcome)
            .ok_or_else(|| StoreError::Config(format!("stored outcome {outcome:?}")))?,
        outcome_at_ms: r.try_get(3)?,
        accepted_suggestions: stored_list(&suggestions)?,
        reason: match (system, code) {
            (Some(system), Some(code)) => Some(feedback::ReasonCoding {
                system,
                code,
                display: r.try_get(7)?,
            }),
            _ => None,
        },
        category: category.as_deref().and_then(feedback::category_code),
        user_comment: r.try_get(9)?,
        received_at_ms: r.try_get(10)?,
        issuer: r.try_get(11)?,
        tenant: String::new(),
    })
}

/// Most recall queries in one statement (two compound terms each; SQLite
/// allows 500).
pub(super) const RECALLS_PER_STATEMENT: usize = 100;

/// The recall queries of several hook calls (see [`Store::recall_for`]) in
/// one statement, two index ranges each, every row tagged with its query:
/// one round trip to the database for all the calls waiting.
pub(super) async fn recall(
    conn: &mut sqlx::AnyConnection,
    queries: &[&writer::RecallQuery],
) -> Result<Vec<crate::recall::Memory>, StoreError> {
    let mut sql = String::new();
    for i in 0..queries.len() {
        let p = |k: usize| format!("${}", i * 6 + k);
        if i > 0 {
            sql.push_str(" UNION ALL ");
        }
        let (hmac, service, issuer, tenant, overridden, recent) =
            (p(1), p(2), p(3), p(4), p(5), p(6));
        sql.push_str(&format!(
            "SELECT {i}, card_uuid, rule_code, indicator, summary, drafts_key, overridden_at, 1 \
             FROM audit_card WHERE patient_hmac = {hmac} AND overridden_at >= {overridden} \
             AND service_id = {service} AND issuer = {issuer} AND tenant = {tenant} \
             AND status <> 'suppressed' \
             UNION ALL \
             SELECT {i}, card_uuid, rule_code, indicator, summary, drafts_key, issued_at, 0 \
             FROM audit_card WHERE patient_hmac = {hmac} AND issued_at >= {recent} \
             AND service_id = {service} AND issuer = {issuer} AND tenant = {tenant} \
             AND status = 'shown'"
        ));
    }
    let mut statement = sqlx::query(&sql);
    for q in queries {
        statement = statement
            .bind(q.patient_hmac.as_str())
            .bind(q.service_id.as_str())
            .bind(q.issuer.as_str())
            .bind(q.tenant.as_str())
            .bind(q.overrides_since_ms)
            .bind(q.recent_since_ms);
    }
    let rows = statement.fetch_all(&mut *conn).await?;
    let mut memories: Vec<crate::recall::Memory> = queries
        .iter()
        .map(|_| crate::recall::Memory::default())
        .collect();
    for r in &rows {
        let memory = usize::try_from(r.try_get::<i64, _>(0)?)
            .ok()
            .and_then(|i| memories.get_mut(i))
            .ok_or_else(|| StoreError::Config("a recall row names no query".into()))?;
        let overridden: i64 = r.try_get(7)?;
        if overridden == 1 {
            memory.overrides.push(crate::recall::Overridden {
                card_uuid: r.try_get(1)?,
                rule_code: r.try_get(2)?,
                indicator: r.try_get(3)?,
                summary: r.try_get(4)?,
                drafts_key: r.try_get(5)?,
                at_ms: r.try_get(6)?,
            });
        } else {
            memory.recent.push(crate::recall::Recent {
                rule_code: r.try_get(2)?,
                indicator: r.try_get(3)?,
                summary: r.try_get(4)?,
                drafts_key: r.try_get(5)?,
            });
        }
    }
    Ok(memories)
}
