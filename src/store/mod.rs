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
mod read;
pub use read::Whose;
pub mod report;
mod writer;

use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sqlx::any::AnyPoolOptions;
use sqlx::AnyPool;
use tokio::sync::{mpsc, oneshot};

pub use audit::{AuditCard, AuditKey, CardStatus};
pub use feedback::FeedbackRecord;

/// What became of one feedback item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Filed {
    /// Stored and counted.
    New,
    /// Already stored: left as it was.
    Repeated,
    /// On a card shown to another token issuer: not stored.
    NotYours,
}
pub use report::Report;

use writer::{Done, Job, Op};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("database schema: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("{0}")]
    Config(String),
    /// Nothing was written (the request must be refused).
    #[error("records cannot be written: {0}")]
    Unavailable(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The database: cloning shares the writer and the readers.
///
/// Every write goes through one writer task (see `writer`); reads (the
/// report, look-ups) use their own small pool, so a long read never holds
/// up a write.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
    /// Longest wait for the writer to take a request's rows; once taken,
    /// the request waits for the commit, so that a request refused for
    /// time has nothing written.
    write_timeout: Duration,
}

/// How long a request waits for the writer to take its rows by default.
pub const WRITE_TIMEOUT: Duration = Duration::from_secs(2);

struct Inner {
    backend: Backend,
    /// Readers: the report and look-ups.
    readers: AnyPool,
    writer: Mutex<Option<mpsc::Sender<Job>>>,
    writer_done: Mutex<Option<tokio::task::JoinHandle<()>>>,
    health: Arc<writer::Health>,
    /// The last readiness probe: when, and its outcome.
    probe: tokio::sync::Mutex<Option<(Instant, Result<(), String>)>>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.inner.backend)
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

/// The file of a SQLite URL; `Err` for an in-memory database, which the
/// store refuses: each connection would see its own empty database, and
/// nothing acknowledged would outlive the process.
pub fn sqlite_file(url: &str) -> Result<PathBuf, StoreError> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url);
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    if path.is_empty() || path == ":memory:" || query.split('&').any(|kv| kv == "mode=memory") {
        return Err(StoreError::Config(
            "an in-memory SQLite database keeps nothing: name a database file".into(),
        ));
    }
    Ok(PathBuf::from(path))
}

/// Longest wait for the readiness probe's write.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);
/// How long a probe's outcome is reused.
const PROBE_CACHE: Duration = Duration::from_secs(1);
/// Longest a report statement may run on PostgreSQL.
const REPORT_STATEMENT_TIMEOUT_MS: u64 = 10_000;

/// Makes the database file and its companions readable by their owner only:
/// they hold feedback comments. A new file is created 0600 before SQLite
/// opens it; SQLite gives the -wal and -shm files the mode of the database.
fn private_files(path: &Path) -> Result<(), StoreError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        if !path.exists() {
            std::fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(false)
                .mode(0o600)
                .open(path)
                .map_err(|e| StoreError::Config(format!("{}: {e}", path.display())))?;
        }
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let p = PathBuf::from(format!("{}{suffix}", path.display()));
            if let Ok(m) = std::fs::metadata(&p) {
                if m.permissions().mode() & 0o077 != 0 {
                    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600))
                        .map_err(|e| StoreError::Config(format!("{}: {e}", p.display())))?;
                }
            }
        }
    }
    Ok(())
}

impl Store {
    /// Connects, brings the schema up to date and starts the writer.
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
        let file = if sqlite {
            let path = sqlite_file(url)?;
            private_files(&path)?;
            Some(path)
        } else {
            None
        };
        let mut conn = writer::connect(url, backend).await?;
        MIGRATOR.run(&mut conn).await?;
        if let Some(path) = &file {
            // The -wal and -shm files exist now.
            private_files(path)?;
        }
        let file = match file {
            Some(path) => {
                let id = writer::file_id(&path).ok_or_else(|| {
                    StoreError::Config(format!("{}: not found after opening", path.display()))
                })?;
                Some((path, id))
            }
            None => None,
        };
        let readers = AnyPoolOptions::new()
            .max_connections(2)
            .min_connections(0)
            .acquire_timeout(Duration::from_secs(5))
            .test_before_acquire(false)
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if sqlite {
                        sqlx::query("PRAGMA busy_timeout = 5000")
                            .execute(&mut *conn)
                            .await?;
                        sqlx::query("PRAGMA query_only = ON")
                            .execute(&mut *conn)
                            .await?;
                    } else {
                        sqlx::query(&format!(
                            "SET statement_timeout = {REPORT_STATEMENT_TIMEOUT_MS}"
                        ))
                        .execute(&mut *conn)
                        .await?;
                    }
                    Ok(())
                })
            })
            .connect_lazy(url)?;
        let health = Arc::new(writer::Health::default());
        let (tx, rx) = mpsc::channel(4096);
        let task = tokio::spawn(
            writer::Writer {
                url: url.to_string(),
                backend,
                file,
                health: health.clone(),
                conn: Some(conn),
            }
            .run(rx),
        );
        Ok(Store {
            write_timeout: WRITE_TIMEOUT,
            inner: Arc::new(Inner {
                backend,
                readers,
                writer: Mutex::new(Some(tx)),
                writer_done: Mutex::new(Some(task)),
                health,
                probe: tokio::sync::Mutex::new(None),
            }),
        })
    }

    pub fn backend(&self) -> Backend {
        self.inner.backend
    }

    /// This store, waiting at most `timeout` for the writer to take a
    /// request's rows.
    pub fn with_write_timeout(mut self, timeout: Duration) -> Store {
        self.write_timeout = timeout;
        self
    }

    /// Hands `op` to the writer and waits until its batch is committed.
    ///
    /// The wait is bounded by the write timeout only until the writer takes
    /// the job: a job still queued when time runs out is withdrawn (the
    /// writer skips it) and refused; a job already in a transaction is
    /// waited for, so that "refused" always means "nothing written".
    async fn submit(&self, op: Op) -> Result<Done, StoreError> {
        let sender = self
            .inner
            .writer
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
            .ok_or_else(|| StoreError::Unavailable("the store is closed".into()))?;
        let (reply, mut done) = oneshot::channel();
        let state = Arc::new(AtomicU8::new(writer::QUEUED));
        let deadline = tokio::time::Instant::now() + self.write_timeout;
        let job = Job {
            op,
            reply,
            state: state.clone(),
        };
        match tokio::time::timeout_at(deadline, sender.send(job)).await {
            Ok(Ok(())) => {}
            Ok(Err(_)) => return Err(StoreError::Unavailable("the store is closed".into())),
            Err(_) => {
                return Err(StoreError::Unavailable(
                    "the writer is busy: timed out".into(),
                ))
            }
        }
        let stopped = |_| StoreError::Unavailable("the writer stopped".into());
        tokio::select! {
            r = &mut done => r.map_err(stopped)?,
            _ = tokio::time::sleep_until(deadline) => {
                if state
                    .compare_exchange(writer::QUEUED, writer::WITHDRAWN, Ordering::AcqRel, Ordering::Acquire)
                    .is_ok()
                {
                    return Err(StoreError::Unavailable("the writer is busy: timed out".into()));
                }
                // Taken: its transaction decides.
                done.await.map_err(stopped)?
            }
        }
    }

    /// Records the cards of one response, all or none.
    pub async fn record_cards(&self, cards: &[AuditCard]) -> Result<(), StoreError> {
        if cards.is_empty() {
            return Ok(());
        }
        self.submit(Op::Cards(cards.to_vec(), None))
            .await
            .map(|_| ())
    }

    /// Records the cards of one response and marks the token that asked for
    /// them as used, in one transaction: `Ok(false)` when the token was a
    /// replay (then no card is written).
    pub async fn record_cards_claiming(
        &self,
        cards: &[AuditCard],
        issuer: &str,
        jti: &str,
        expires_at_unix: i64,
    ) -> Result<bool, StoreError> {
        let claim = writer::Claim {
            issuer: issuer.to_string(),
            jti: jti.to_string(),
            expires_at_unix,
            now_unix: chrono::Utc::now().timestamp(),
        };
        match self.submit(Op::Cards(cards.to_vec(), Some(claim))).await? {
            Done::Claimed(first) => Ok(first),
            _ => Err(StoreError::Unavailable("unexpected writer answer".into())),
        }
    }

    /// Stores feedback items; an item already stored is left as it is, and
    /// an item on a card shown to another issuer is not stored. Returns what
    /// became of each item. `free_text`: the report counts an override
    /// reason's own display text.
    pub async fn record_feedback(
        &self,
        items: &[FeedbackRecord],
        free_text: bool,
    ) -> Result<Vec<Filed>, StoreError> {
        if items.is_empty() {
            return Ok(vec![]);
        }
        let op = Op::Feedback {
            items: items.to_vec(),
            free_text,
        };
        match self.submit(op).await? {
            Done::Feedback(new) => Ok(new),
            _ => Err(StoreError::Unavailable("unexpected writer answer".into())),
        }
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
        let op = Op::Claim(writer::Claim {
            issuer: issuer.to_string(),
            jti: jti.to_string(),
            expires_at_unix,
            now_unix: chrono::Utc::now().timestamp(),
        });
        match self.submit(op).await? {
            Done::Claimed(first) => Ok(first),
            _ => Err(StoreError::Unavailable("unexpected writer answer".into())),
        }
    }

    /// Deletes cards issued and feedback received before `before_ms`, and
    /// replay records expired by `now_unix`: a few hundred rows per
    /// transaction, so that the writes of hook calls wait milliseconds, not
    /// the whole purge.
    pub async fn purge(&self, before_ms: i64, now_unix: i64) -> Result<Purged, StoreError> {
        let mut total = Purged::default();
        loop {
            let step = match self
                .submit(Op::PurgeStep {
                    before_ms,
                    now_unix,
                })
                .await?
            {
                Done::Purged(p) => p,
                _ => return Err(StoreError::Unavailable("unexpected writer answer".into())),
            };
            total.cards += step.cards;
            total.feedback += step.feedback;
            total.replay_ids += step.replay_ids;
            let full = writer::PURGE_STEP_ROWS as u64;
            if step.cards < full && step.feedback < full && step.replay_ids < full {
                return Ok(total);
            }
            tokio::task::yield_now().await;
        }
    }

    /// Whether a write reaches the database now (readiness): a one-row write
    /// through the writer, bounded in time; its outcome is reused for a
    /// second so that probes cannot load the store.
    pub async fn ready(&self) -> Result<(), String> {
        if self.inner.health.file_lost.load(Ordering::Relaxed) {
            return Err("the database file was deleted or replaced".into());
        }
        if self
            .inner
            .writer
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_none()
        {
            return Err("the store is closed".into());
        }
        let mut last = self.inner.probe.lock().await;
        if let Some((at, outcome)) = &*last {
            if at.elapsed() < PROBE_CACHE {
                return outcome.clone();
            }
        }
        let outcome = match tokio::time::timeout(PROBE_TIMEOUT, self.submit(Op::Probe)).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(e.to_string()),
            Err(_) => Err("the write probe timed out".into()),
        };
        *last = Some((Instant::now(), outcome.clone()));
        outcome
    }

    /// Whether the database answers a trivial query on a reader.
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.inner.readers).await?;
        Ok(())
    }

    /// Stops the writer once what it holds is written, and closes every
    /// connection; later writes are refused.
    pub async fn close(&self) {
        let sender = self
            .inner
            .writer
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        drop(sender);
        let task = self
            .inner
            .writer_done
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        self.inner.readers.close().await;
        if let Some(task) = task {
            let _ = task.await;
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_in_memory_sqlite_database_is_refused_and_a_file_is_named() {
        for url in [
            "sqlite::memory:",
            "sqlite://:memory:",
            "sqlite://x.db?mode=memory&cache=shared",
            "sqlite:",
        ] {
            let e = sqlite_file(url).unwrap_err().to_string();
            assert!(e.contains("in-memory"), "{url}: {e}");
        }
        assert_eq!(
            sqlite_file("sqlite:///var/lib/x/records.sqlite?mode=rwc").unwrap(),
            PathBuf::from("/var/lib/x/records.sqlite")
        );
        assert_eq!(
            sqlite_file(&sqlite_url(Path::new("rel/records.sqlite"))).unwrap(),
            PathBuf::from("rel/records.sqlite")
        );
    }
}
