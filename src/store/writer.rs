//! The one task that writes: it owns the only write connection, takes every
//! row handed to it while the previous transaction was being written, and
//! writes them as one transaction (multi-row inserts, one flush). Each
//! request waits for the outcome of its batch: committed, or refused.
//!
//! A failed batch fails every request in it; its transaction is rolled back
//! and its connection closed, and the next batch opens a fresh one, so the
//! store recovers by itself once the fault clears. With SQLite the file's
//! identity (device, inode) is checked before each batch: a database file
//! deleted or replaced under the service is never written into the void.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::Arc;
use std::time::Duration;

use sqlx::{AnyConnection, Connection, Executor, Row};
use tokio::sync::{mpsc, oneshot};

use super::{AuditCard, Backend, FeedbackRecord, Filed, Purged, StoreError};

mod batch;

use batch::write_batch;

/// Most requests in one transaction.
const MAX_BATCH: usize = 512;
/// Most cards in one INSERT statement (`batch::COLUMNS` values each).
const CARD_ROWS_PER_INSERT: usize = 200;
/// Rows deleted per table and purge step.
pub const PURGE_STEP_ROWS: i64 = 100;
const DAY_MS: i64 = 86_400_000;
/// Longest wait for a new write connection (the batch waiting is refused).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Whose cards a hook call recalls, and since when (see `Store::recall_for`).
#[derive(Clone)]
pub struct RecallQuery {
    pub patient_hmac: String,
    pub service_id: String,
    pub issuer: String,
    pub tenant: String,
    pub overrides_since_ms: i64,
    pub recent_since_ms: i64,
}

/// A token id to mark as used, in the same transaction as a request's rows.
pub struct Claim {
    pub issuer: String,
    pub jti: String,
    pub expires_at_unix: i64,
    pub now_unix: i64,
}

pub enum Op {
    /// A response's cards, with the claim of the token that asked for them:
    /// when the token is a replay, none is written.
    Cards(Vec<AuditCard>, Option<Claim>),
    /// Feedback items; `free_text`: the report counts an override reason's
    /// own display text (else only its code).
    Feedback {
        items: Vec<FeedbackRecord>,
        free_text: bool,
    },
    Claim(Claim),
    /// What a hook call recalls of one patient: read, not written, before
    /// the batch's transaction.
    Recall(RecallQuery),
    Probe,
    PurgeStep {
        before_ms: i64,
        now_unix: i64,
    },
}

pub enum Done {
    Written,
    Recalled(crate::recall::Memory),
    Feedback(Vec<Filed>),
    Claimed(bool),
    Purged(Purged),
}

pub struct Job {
    pub op: Op,
    pub reply: oneshot::Sender<Result<Done, StoreError>>,
    /// [`QUEUED`], then [`TAKEN`] by the writer or [`WITHDRAWN`] by the
    /// request that stopped waiting: never both.
    pub state: Arc<AtomicU8>,
}

pub const QUEUED: u8 = 0;
pub const TAKEN: u8 = 1;
pub const WITHDRAWN: u8 = 2;

/// What the writer shares with the store handles.
#[derive(Debug, Default)]
pub struct Health {
    /// The database file is not the one opened (deleted or replaced): no
    /// write is accepted until a restart.
    pub file_lost: AtomicBool,
    /// The writer is working on a batch: a read handed to it now would
    /// wait for the batch's flush.
    pub busy: AtomicBool,
}

/// Device and inode of a file.
pub type FileId = (u64, u64);

pub fn file_id(path: &std::path::Path) -> Option<FileId> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
    }
    #[cfg(not(unix))]
    {
        std::fs::metadata(path).ok().map(|_| (0, 0))
    }
}

pub struct Writer {
    pub url: String,
    pub backend: Backend,
    /// SQLite: the database file and its identity when first opened.
    pub file: Option<(std::path::PathBuf, FileId)>,
    pub health: Arc<Health>,
    pub conn: Option<AnyConnection>,
}

/// Opens a write connection with the settings every write relies on.
pub async fn connect(url: &str, backend: Backend) -> Result<AnyConnection, sqlx::Error> {
    let mut conn = AnyConnection::connect(url).await?;
    if backend == Backend::Sqlite {
        // WAL: readers never block the writer. FULL: each commit is on disk
        // before it returns.
        conn.execute("PRAGMA journal_mode = WAL").await?;
        conn.execute("PRAGMA synchronous = FULL").await?;
        conn.execute("PRAGMA busy_timeout = 5000").await?;
    }
    Ok(conn)
}

impl Writer {
    pub async fn run(mut self, mut rx: mpsc::Receiver<Job>) {
        let mut jobs: Vec<Job> = Vec::with_capacity(MAX_BATCH);
        loop {
            if rx.recv_many(&mut jobs, MAX_BATCH).await == 0 {
                break;
            }
            self.health.busy.store(true, Ordering::Relaxed);
            // A request that stopped waiting (timed out: answered 503) has
            // nothing written; the others are taken, and their requests
            // wait for this transaction's outcome.
            jobs.retain(|j| {
                !j.reply.is_closed()
                    && j.state
                        .compare_exchange(QUEUED, TAKEN, Ordering::AcqRel, Ordering::Acquire)
                        .is_ok()
            });
            if jobs.is_empty() {
                self.health.busy.store(false, Ordering::Relaxed);
                continue;
            }
            // A purge step runs in a transaction of its own, after the
            // requests of its batch are answered: a hook call waits for at
            // most one step, never for the purge.
            let (reads, rest): (Vec<Job>, Vec<Job>) = std::mem::take(&mut jobs)
                .into_iter()
                .partition(|j| matches!(j.op, Op::Recall(_)));
            // Reads first, each answered at once: they see only what is
            // committed and wait for no flush.
            if !reads.is_empty() {
                self.read(reads).await;
            }
            let (purge, batch): (Vec<Job>, Vec<Job>) = rest
                .into_iter()
                .partition(|j| matches!(j.op, Op::PurgeStep { .. }));
            if !batch.is_empty() {
                self.write(batch).await;
            }
            for step in purge {
                self.write(vec![step]).await;
            }
            self.health.busy.store(false, Ordering::Relaxed);
        }
        if let Some(conn) = self.conn.take() {
            let _ = conn.close().await;
        }
    }

    fn check_file(&self) -> Result<(), StoreError> {
        if self.health.file_lost.load(Ordering::Relaxed) {
            return Err(StoreError::Unavailable(
                "the database file was deleted or replaced".into(),
            ));
        }
        if let Some((path, id)) = &self.file {
            if file_id(path) != Some(*id) {
                self.health.file_lost.store(true, Ordering::Relaxed);
                tracing::error!(
                    "the database file was deleted or replaced while in use: writes refused until restart"
                );
                return Err(StoreError::Unavailable(
                    "the database file was deleted or replaced".into(),
                ));
            }
        }
        Ok(())
    }

    async fn write(&mut self, batch: Vec<Job>) {
        let result = match self.check_file() {
            Ok(()) => self.transaction(&batch).await,
            Err(e) => Err(e),
        };
        match result {
            Ok(done) => {
                for (job, d) in batch.into_iter().zip(done) {
                    let _ = job.reply.send(Ok(d));
                }
            }
            Err(e) => {
                // Discard the connection: whatever state the failure left it
                // in (an open transaction, a lock) goes with it.
                if let Some(conn) = self.conn.take() {
                    let _ = tokio::time::timeout(Duration::from_secs(1), conn.close()).await;
                }
                tracing::error!(error = %e, requests = batch.len(), "records not written: requests refused");
                let text = e.to_string();
                for job in batch {
                    let _ = job.reply.send(Err(StoreError::Unavailable(text.clone())));
                }
            }
        }
    }

    /// The reads waiting, on the write connection, outside any transaction,
    /// several queries to a statement; a failed read discards the connection
    /// as a failed write does.
    async fn read(&mut self, jobs: Vec<Job>) {
        let mut jobs = jobs.into_iter();
        // Once a read fails, the rest fail with it: no reconnection per chunk.
        let mut failed: Option<String> = None;
        loop {
            let chunk: Vec<Job> = jobs
                .by_ref()
                .take(super::read::RECALLS_PER_STATEMENT)
                .collect();
            if chunk.is_empty() {
                break;
            }
            let queries: Vec<&RecallQuery> = chunk
                .iter()
                .filter_map(|j| match &j.op {
                    Op::Recall(q) => Some(q),
                    _ => None,
                })
                .collect();
            // A file found lost refuses reads too; its identity is checked
            // before each write, not again for a read (a read of a replaced
            // file could only show more cards).
            let result = if let Some(text) = &failed {
                Err(StoreError::Unavailable(text.clone()))
            } else if self.health.file_lost.load(Ordering::Relaxed) {
                Err(StoreError::Unavailable(
                    "the database file was deleted or replaced".into(),
                ))
            } else {
                match self.connection().await {
                    Ok(conn) => super::read::recall(conn, &queries).await,
                    Err(e) => Err(e),
                }
            };
            drop(queries);
            match result {
                Ok(memories) => {
                    for (job, memory) in chunk.into_iter().zip(memories) {
                        let _ = job.reply.send(Ok(Done::Recalled(memory)));
                    }
                }
                Err(e) => {
                    if let Some(conn) = self.conn.take() {
                        let _ = tokio::time::timeout(Duration::from_secs(1), conn.close()).await;
                    }
                    if failed.is_none() {
                        tracing::error!(error = %e, reads = chunk.len(), "recall read failed");
                    }
                    let text = e.to_string();
                    failed = Some(text.clone());
                    for job in chunk {
                        let _ = job.reply.send(Err(StoreError::Unavailable(text.clone())));
                    }
                }
            }
        }
    }

    /// The write connection, opened again after a failure.
    async fn connection(&mut self) -> Result<&mut AnyConnection, StoreError> {
        if self.conn.is_none() {
            let conn = tokio::time::timeout(CONNECT_TIMEOUT, connect(&self.url, self.backend))
                .await
                .map_err(|_| {
                    StoreError::Unavailable("connecting to the database timed out".into())
                })??;
            self.conn = Some(conn);
        }
        Ok(self.conn.as_mut().expect("connected"))
    }

    async fn transaction(&mut self, batch: &[Job]) -> Result<Vec<Done>, StoreError> {
        let conn = self.connection().await?;
        let mut tx = conn.begin().await?;
        let done = write_batch(&mut tx, batch).await?;
        tx.commit().await?;
        Ok(done)
    }
}
