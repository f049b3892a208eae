//! SQLite's writers share transactions (group commit).
//!
//! SQLite has one writer at a time, and with `synchronous = FULL` each
//! commit waits for the disk, so a commit that was answered survives a
//! power cut. Committing once per request made the disk the limit and let
//! writers queue on the file lock. Instead, this process's writers queue
//! here, before they take a connection: the writer at the head runs its
//! statements inside a savepoint of the open batch transaction, then hands
//! the batch on. When nobody else is queued (or the batch is full or old)
//! the batch commits once for everyone in it, and each writer's `commit`
//! returns only then, with the batch's result. A writer that fails or is
//! dropped undoes only its own savepoint.
//!
//! Every path out of a writer's turn (commit, rollback, drop, cancellation
//! while queued) ends in `end`, run as a task of its own so it cannot be
//! cancelled halfway, which commits the batch if no one else will.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use sqlx::pool::PoolConnection;
use sqlx::AnyPool;
use tokio::sync::{oneshot, Mutex, MutexGuard};

/// A batch commits when this many writers are in it…
const MAX_WRITERS: usize = 64;
/// …or when it has been open this long, even if writers are still queued.
const MAX_AGE: Duration = Duration::from_millis(20);

/// The batch's transaction is begun and ended with plain statements on a
/// pooled connection (not sqlx's `Transaction`, whose bookkeeping is left
/// wrong when SQLite itself rolls back, e.g. on a full disk): a connection
/// whose transaction did not end cleanly is closed, never pooled again.
struct Batch {
    conn: PoolConnection<sqlx::Any>,
    /// Until a COMMIT or ROLLBACK succeeded.
    in_transaction: bool,
    /// Writers whose part is in the batch, waiting for its commit.
    waiting: Vec<oneshot::Sender<Result<(), String>>>,
    writers: usize,
    opened: Instant,
}

impl Drop for Batch {
    fn drop(&mut self) {
        if self.in_transaction {
            self.conn.close_on_drop();
        }
    }
}

type Slot = MutexGuard<'static, Option<Batch>>;

/// The open batch, if any; holding the lock is holding the writer's turn.
/// One per process: the server has one pool (a second SQLite pool in the
/// same process would have to get its own).
static OPEN: Mutex<Option<Batch>> = Mutex::const_new(None);
/// Writers waiting for their turn: while there are any, a batch stays open
/// for them.
static QUEUED: AtomicUsize = AtomicUsize::new(0);

/// This writer's turn: its statements run on the batch's connection. A
/// turn must never wait for another task's progress (the batch, and every
/// writer already in it, waits for the turn to end).
pub struct Writer {
    slot: Option<Slot>,
}

/// Counts a writer while it waits for its turn.
struct Queued {
    served: bool,
}

impl Drop for Queued {
    fn drop(&mut self) {
        QUEUED.fetch_sub(1, Ordering::SeqCst);
        if !self.served {
            // Cancelled while queued: a writer before it may have left the
            // batch open for it, so commit it if no one else is coming.
            spawn(async {
                let slot = OPEN.lock().await;
                flush(slot, false).await;
            });
        }
    }
}

enum Outcome {
    Keep(oneshot::Sender<Result<(), String>>),
    Undo(Option<oneshot::Sender<Result<(), String>>>),
}

pub async fn begin(pool: &AnyPool) -> Result<Writer, sqlx::Error> {
    QUEUED.fetch_add(1, Ordering::SeqCst);
    let mut queued = Queued { served: false };
    let mut slot = OPEN.lock().await;
    queued.served = true;
    drop(queued);
    if slot.is_none() {
        // Into the slot only once begun: a failure or cancellation before
        // that drops (and so closes) the connection.
        let mut batch =
            Batch { conn: pool.acquire().await?, in_transaction: true, waiting: Vec::new(), writers: 0, opened: Instant::now() };
        sqlx::query("BEGIN IMMEDIATE").execute(&mut *batch.conn).await?;
        *slot = Some(batch);
    }
    let mut writer = Writer { slot: Some(slot) };
    // Dropped from here on (an error or cancellation), `Drop` ends the turn.
    sqlx::query("SAVEPOINT fixline_writer").execute(writer.connection_mut()).await?;
    Ok(writer)
}

impl Writer {
    fn batch(&self) -> &Batch {
        self.slot.as_ref().and_then(|s| s.as_ref()).expect("a writer's batch is open during its turn")
    }

    pub fn connection(&self) -> &sqlx::AnyConnection {
        &self.batch().conn
    }

    pub fn connection_mut(&mut self) -> &mut sqlx::AnyConnection {
        let batch = self.slot.as_mut().and_then(|s| s.as_mut()).expect("a writer's batch is open during its turn");
        &mut batch.conn
    }

    /// Keeps this writer's statements; returns once the batch committed.
    pub async fn commit(mut self) -> Result<(), sqlx::Error> {
        let (answer, answered) = oneshot::channel();
        if let Some(slot) = self.slot.take() {
            tokio::spawn(end(slot, Outcome::Keep(answer)));
        }
        match answered.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(message)) => Err(sqlx::Error::Protocol(message)),
            Err(_) => Err(sqlx::Error::Protocol("the write batch was abandoned".into())),
        }
    }

    /// Undoes this writer's statements (the batch goes on).
    pub async fn rollback(mut self) -> Result<(), sqlx::Error> {
        let (answer, answered) = oneshot::channel();
        if let Some(slot) = self.slot.take() {
            tokio::spawn(end(slot, Outcome::Undo(Some(answer))));
        }
        match answered.await {
            Ok(Ok(())) | Err(_) => Ok(()),
            Ok(Err(message)) => Err(sqlx::Error::Protocol(message)),
        }
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        if let Some(slot) = self.slot.take() {
            spawn(end(slot, Outcome::Undo(None)));
        }
    }
}

/// Runs a turn's end as a task of its own (never inside a runtime that is
/// shutting down, where the process is going anyway).
fn spawn(work: impl std::future::Future<Output = ()> + Send + 'static) {
    if let Ok(runtime) = tokio::runtime::Handle::try_current() {
        runtime.spawn(work);
    }
}

/// Ends a writer's turn: releases or undoes its savepoint, then commits
/// the batch if it is full, old, or no one is queued for it.
async fn end(mut slot: Slot, outcome: Outcome) {
    let Some(batch) = slot.as_mut() else { return };
    let step = match &outcome {
        Outcome::Keep(_) => sqlx::query("RELEASE fixline_writer").execute(&mut *batch.conn).await.map(|_| ()),
        Outcome::Undo(_) => undo_savepoint(&mut batch.conn).await,
    };
    if let Err(e) = step {
        // The transaction may be gone with it: fail the whole batch rather
        // than tell anyone their write is kept.
        tracing::error!(error = %e, "a write batch failed; its writers get an error");
        let message = e.to_string();
        if let Some(mut b) = slot.take() {
            // Whatever this answers, the connection is closed (see `Batch`).
            let _ = sqlx::query("ROLLBACK").execute(&mut *b.conn).await;
            for w in std::mem::take(&mut b.waiting) {
                let _ = w.send(Err(message.clone()));
            }
        }
        match outcome {
            Outcome::Keep(answer) | Outcome::Undo(Some(answer)) => {
                let _ = answer.send(Err(message));
            }
            Outcome::Undo(None) => {}
        }
        return;
    }
    batch.writers += 1;
    match outcome {
        Outcome::Keep(answer) => batch.waiting.push(answer),
        Outcome::Undo(answer) => {
            if let Some(answer) = answer {
                let _ = answer.send(Ok(()));
            }
        }
    }
    let due = batch.writers >= MAX_WRITERS || batch.opened.elapsed() >= MAX_AGE;
    flush(slot, due).await;
}

async fn undo_savepoint(conn: &mut sqlx::AnyConnection) -> Result<(), sqlx::Error> {
    sqlx::query("ROLLBACK TO fixline_writer").execute(&mut *conn).await?;
    sqlx::query("RELEASE fixline_writer").execute(&mut *conn).await?;
    Ok(())
}

/// Commits the open batch if `now`, or if no writer is queued for it, and
/// answers everyone in it.
async fn flush(mut slot: Slot, now: bool) {
    if !now && QUEUED.load(Ordering::SeqCst) > 0 {
        return; // the next writer in the queue carries the batch on
    }
    let Some(mut b) = slot.take() else { return };
    let result = match sqlx::query("COMMIT").execute(&mut *b.conn).await {
        Ok(_) => {
            b.in_transaction = false;
            Ok(())
        }
        Err(e) => {
            tracing::error!(error = %e, writers = b.writers, "committing a write batch failed");
            let _ = sqlx::query("ROLLBACK").execute(&mut *b.conn).await;
            Err(e.to_string())
        }
    };
    for w in std::mem::take(&mut b.waiting) {
        let _ = w.send(result.clone());
    }
}
