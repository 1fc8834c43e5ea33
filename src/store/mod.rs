//! What we advised and what clinicians did with it: the card audit, CDS Hooks
//! feedback and the JWT replay store, in one SQL database.
//!
//! One code path for both back ends through sqlx's `Any` driver: a SQLite
//! file by default (WAL, `synchronous = FULL`: a committed row survives a
//! crash of the process or the machine), PostgreSQL when several replicas
//! share the data. The schema (`migrations/`) uses only types and statements
//! both understand; times are Unix milliseconds.

pub mod audit;
pub mod feedback;
pub mod report;

use std::path::Path;
use std::pin::Pin;
use std::time::Duration;

use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Row};

pub use audit::{AuditCard, AuditKey};
pub use feedback::FeedbackRecord;
pub use report::Report;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("database schema: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("{0}")]
    Config(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The database: cloning shares the connection pool.
#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend)
            .finish()
    }
}

/// What `purge` removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Purged {
    pub cards: u64,
    pub feedback: u64,
    pub replay_ids: u64,
}

/// A `--database` value as a sqlx URL: a `postgres://` or `sqlite:` URL as
/// given, anything else a SQLite file path (created when absent).
pub fn database_url(database: &str) -> String {
    if database.starts_with("postgres://")
        || database.starts_with("postgresql://")
        || database.starts_with("sqlite:")
    {
        database.to_string()
    } else {
        sqlite_url(Path::new(database))
    }
}

pub fn sqlite_url(path: &Path) -> String {
    format!("sqlite://{}?mode=rwc", path.display())
}

impl Store {
    /// Connects and brings the schema up to date.
    pub async fn open(url: &str) -> Result<Store, StoreError> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            return Err(StoreError::Config(
                "database must be a SQLite file or a postgres:// URL".into(),
            ));
        };
        let sqlite = backend == Backend::Sqlite;
        let pool = AnyPoolOptions::new()
            .max_connections(if sqlite { 4 } else { 8 })
            .acquire_timeout(Duration::from_secs(5))
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if sqlite {
                        // WAL: readers never block the writer. FULL: each
                        // commit is on disk before it returns.
                        sqlx::query("PRAGMA journal_mode = WAL")
                            .execute(&mut *conn)
                            .await?;
                        sqlx::query("PRAGMA synchronous = FULL")
                            .execute(&mut *conn)
                            .await?;
                        sqlx::query("PRAGMA busy_timeout = 5000")
                            .execute(&mut *conn)
                            .await?;
                    }
                    Ok(())
                })
            })
            .connect(url)
            .await?;
        MIGRATOR.run(&pool).await?;
        Ok(Store { pool, backend })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Records the cards of one response, all or none.
    pub async fn record_cards(&self, cards: &[AuditCard]) -> Result<(), StoreError> {
        if cards.is_empty() {
            return Ok(());
        }
        let mut tx = self.pool.begin().await?;
        for c in cards {
            sqlx::query(
                "INSERT INTO audit_card (card_uuid, service_id, hook, hook_instance, rule_system, rule_code, \
                 rule_display, indicator, summary, suggestion_uuids, policy_version, service_version, \
                 patient_hmac, issued_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
            )
            .bind(&c.card_uuid)
            .bind(&c.service_id)
            .bind(&c.hook)
            .bind(&c.hook_instance)
            .bind(&c.rule_system)
            .bind(&c.rule_code)
            .bind(&c.rule_display)
            .bind(&c.indicator)
            .bind(&c.summary)
            .bind(serde_json::to_string(&c.suggestion_uuids).expect("strings serialise"))
            .bind(&c.policy_version)
            .bind(&c.service_version)
            .bind(&c.patient_hmac)
            .bind(c.issued_at_ms)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Stores feedback items; an item already stored is left as it is.
    /// Returns, per item, whether it was new.
    pub async fn record_feedback(&self, items: &[FeedbackRecord]) -> Result<Vec<bool>, StoreError> {
        let mut new = Vec::with_capacity(items.len());
        let mut tx = self.pool.begin().await?;
        for f in items {
            let r = sqlx::query(
                "INSERT INTO feedback (service_id, card_uuid, outcome, outcome_at, accepted_suggestions, \
                 reason_system, reason_code, reason_display, reason_category, user_comment, received_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
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
            .execute(&mut *tx)
            .await?;
            new.push(r.rows_affected() == 1);
        }
        tx.commit().await?;
        Ok(new)
    }

    /// Marks a JWT id as used until `expires_at_unix` (seconds). `true`: its
    /// first use; `false`: a replay. An id whose earlier record has expired
    /// counts as new (the token carrying it is refused as expired anyway).
    pub async fn claim_jti(
        &self,
        issuer: &str,
        jti: &str,
        expires_at_unix: i64,
    ) -> Result<bool, StoreError> {
        let now = chrono::Utc::now().timestamp();
        let r = sqlx::query(
            "INSERT INTO jwt_replay (issuer, jti, expires_at) VALUES ($1, $2, $3) \
             ON CONFLICT (issuer, jti) DO UPDATE SET expires_at = excluded.expires_at \
             WHERE jwt_replay.expires_at < $4",
        )
        .bind(issuer)
        .bind(jti)
        .bind(expires_at_unix)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    /// Deletes cards issued and feedback received before `before_ms`, and
    /// replay records expired by `now_unix`.
    pub async fn purge(&self, before_ms: i64, now_unix: i64) -> Result<Purged, StoreError> {
        let mut tx = self.pool.begin().await?;
        let feedback = sqlx::query("DELETE FROM feedback WHERE received_at < $1")
            .bind(before_ms)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        let cards = sqlx::query("DELETE FROM audit_card WHERE issued_at < $1")
            .bind(before_ms)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        let replay_ids = sqlx::query("DELETE FROM jwt_replay WHERE expires_at < $1")
            .bind(now_unix)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(Purged {
            cards,
            feedback,
            replay_ids,
        })
    }

    /// The audit record of one card, if any.
    pub async fn card(&self, card_uuid: &str) -> Result<Option<AuditCard>, StoreError> {
        let row = sqlx::query(
            "SELECT card_uuid, service_id, hook, hook_instance, rule_system, rule_code, rule_display, \
             indicator, summary, suggestion_uuids, policy_version, service_version, patient_hmac, issued_at \
             FROM audit_card WHERE card_uuid = $1",
        )
        .bind(card_uuid)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| audit_card(&r)).transpose()
    }

    /// Card uuids recorded, oldest first.
    pub async fn card_uuids(&self) -> Result<Vec<String>, StoreError> {
        let rows = sqlx::query("SELECT card_uuid FROM audit_card ORDER BY issued_at, card_uuid")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| r.try_get::<String, _>(0).map_err(Into::into))
            .collect()
    }

    /// Stored feedback items for a card.
    pub async fn feedback_for(&self, card_uuid: &str) -> Result<Vec<FeedbackRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT service_id, card_uuid, outcome, outcome_at, accepted_suggestions, reason_system, \
             reason_code, reason_display, reason_category, user_comment, received_at \
             FROM feedback WHERE card_uuid = $1 ORDER BY outcome_at, outcome",
        )
        .bind(card_uuid)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(feedback_record).collect()
    }

    /// The acceptance report for cards issued from `since_ms` on.
    pub async fn report(&self, since_ms: i64) -> Result<Report, StoreError> {
        let daily = sqlx::query(
            "SELECT a.service_id, a.rule_code, a.rule_display, a.issued_at / 86400000 AS day, \
             COUNT(*) AS shown, \
             SUM(CASE WHEN EXISTS (SELECT 1 FROM feedback f WHERE f.card_uuid = a.card_uuid \
                 AND f.outcome = 'accepted') THEN 1 ELSE 0 END) AS accepted, \
             SUM(CASE WHEN EXISTS (SELECT 1 FROM feedback f WHERE f.card_uuid = a.card_uuid \
                 AND f.outcome = 'overridden') THEN 1 ELSE 0 END) AS overridden \
             FROM audit_card a WHERE a.issued_at >= $1 \
             GROUP BY a.service_id, a.rule_code, a.rule_display, a.issued_at / 86400000",
        )
        .bind(since_ms)
        .fetch_all(&self.pool)
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
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
        let reasons = sqlx::query(
            "SELECT a.service_id, a.rule_code, COALESCE(f.reason_code, ''), COALESCE(f.reason_display, ''), \
             COALESCE(f.reason_category, ''), COUNT(*) \
             FROM feedback f JOIN audit_card a ON a.card_uuid = f.card_uuid \
             WHERE f.outcome = 'overridden' AND a.issued_at >= $1 \
             GROUP BY a.service_id, a.rule_code, f.reason_code, f.reason_display, f.reason_category",
        )
        .bind(since_ms)
        .fetch_all(&self.pool)
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
        let unmatched = sqlx::query(
            "SELECT f.service_id, COUNT(*) FROM feedback f WHERE f.received_at >= $1 \
             AND NOT EXISTS (SELECT 1 FROM audit_card a WHERE a.card_uuid = f.card_uuid) \
             GROUP BY f.service_id",
        )
        .bind(since_ms)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
        .collect::<Result<Vec<(String, i64)>, sqlx::Error>>()?;
        Ok(Report::build(since_ms, daily, reasons, unmatched))
    }

    /// Whether the database answers a trivial query (readiness).
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// Closes the pool (waits for connections to finish).
    pub async fn close(&self) {
        self.pool.close().await;
    }
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
        suggestion_uuids: serde_json::from_str(&suggestions).unwrap_or_default(),
        policy_version: r.try_get(10)?,
        service_version: r.try_get(11)?,
        patient_hmac: r.try_get(12)?,
        issued_at_ms: r.try_get(13)?,
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
        accepted_suggestions: serde_json::from_str(&suggestions).unwrap_or_default(),
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
    })
}

/// The replay store of the JWT verifier, in this database.
impl crate::auth::ReplayStore for Store {
    fn claim<'a>(
        &'a self,
        issuer: &'a str,
        jti: &'a str,
        expires_at_unix: i64,
    ) -> Pin<Box<dyn std::future::Future<Output = Result<bool, String>> + Send + 'a>> {
        Box::pin(async move {
            self.claim_jti(issuer, jti, expires_at_unix)
                .await
                .map_err(|e| e.to_string())
        })
    }
}
