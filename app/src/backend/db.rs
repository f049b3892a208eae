//! Connecting and migrating. One query code path serves SQLite and
//! PostgreSQL through `sqlx::Any`: queries use `$1` placeholders, BIGINT
//! integers, TEXT, and timestamps as epoch milliseconds.

use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{install_default_drivers, AnyPoolOptions};
use sqlx::migrate::Migrator;
use sqlx::AnyPool;

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("../migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("../migrations/postgres");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn of(url: &str) -> Result<Backend, String> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else {
            Err(format!("unsupported DATABASE_URL '{}': use sqlite://PATH or postgres://…", redact(url)))
        }
    }
}

/// A URL fit for messages: no password.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let creds = &url[scheme_end + 3..at];
            match creds.split_once(':') {
                Some((user, _password)) => format!("{}{}:***{}", &url[..scheme_end + 3], user, &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// How many pooled connections, and how long a request may wait for one
/// before it is answered 503.
#[derive(Debug, Clone, Copy)]
pub struct PoolConfig {
    pub size: u32,
    pub acquire_timeout: Duration,
}

impl PoolConfig {
    /// The documented defaults: 8 on SQLite (readers run in parallel under
    /// WAL; writers queue in `group_commit`), 16 on PostgreSQL; 5 s wait.
    pub fn default_for(backend: Backend) -> PoolConfig {
        PoolConfig { size: if backend == Backend::Sqlite { 8 } else { 16 }, acquire_timeout: Duration::from_secs(5) }
    }
}

/// Opens the pool (creating the SQLite file and its folder if needed) and
/// runs the migrations. Errors are one line, fit to print at startup.
pub async fn connect(url: &str) -> Result<(AnyPool, Backend), String> {
    let backend = Backend::of(url)?;
    connect_with(url, PoolConfig::default_for(backend)).await
}

pub async fn connect_with(url: &str, config: PoolConfig) -> Result<(AnyPool, Backend), String> {
    install_default_drivers();
    let backend = Backend::of(url)?;
    let mut url = url.to_string();
    if backend == Backend::Sqlite {
        // Validate the URL and create the parent folder of the file.
        let opts = sqlx::sqlite::SqliteConnectOptions::from_str(&url).map_err(|e| format!("bad DATABASE_URL '{url}': {e}"))?;
        if let Some(dir) = opts.get_filename().parent() {
            if !dir.as_os_str().is_empty() {
                std::fs::create_dir_all(dir).map_err(|e| format!("cannot create folder {}: {e}", dir.display()))?;
            }
        }
        if !url.contains("mode=") {
            url.push_str(if url.contains('?') { "&mode=rwc" } else { "?mode=rwc" });
        }
    }
    // One direct connection first: the pool would retry until its timeout
    // and then hide the cause (refused, unknown database, bad password).
    use sqlx::Connection;
    sqlx::AnyConnection::connect(&url).await.map_err(|e| format!("cannot open database {}: {e}", redact(&url)))?.close().await.ok();
    let pool = AnyPoolOptions::new()
        .max_connections(config.size.max(2))
        .acquire_timeout(config.acquire_timeout)
        .after_connect(move |conn, _| {
            Box::pin(async move {
                if backend == Backend::Sqlite {
                    // WAL lets readers run during a write; wait instead of failing on a busy file.
                    sqlx::query("PRAGMA journal_mode = WAL").execute(&mut *conn).await?;
                    // Writers queue in `group_commit`; this covers other processes
                    // (admin commands, tests) that write the same file.
                    sqlx::query("PRAGMA busy_timeout = 10000").execute(&mut *conn).await?;
                    // Durable commits: an answered write survives a power
                    // cut (NORMAL could lose the last ones). Group commit
                    // (`group_commit`) pays the disk wait once per batch.
                    sqlx::query("PRAGMA synchronous = FULL").execute(&mut *conn).await?;
                    // The log is copied back by `spawn_checkpointer`, not by
                    // whichever commit crosses 1,000 pages (that copy and its
                    // disk waits stalled every writer queued behind it); this
                    // is the backstop should the task fall behind.
                    sqlx::query("PRAGMA wal_autocheckpoint = 10000").execute(&mut *conn).await?;
                    sqlx::query("PRAGMA journal_size_limit = 67108864").execute(&mut *conn).await?;
                    // Statement journals and sorts in memory: on disk, every
                    // write transaction with savepoints created, wrote and
                    // deleted a temporary file.
                    sqlx::query("PRAGMA temp_store = MEMORY").execute(&mut *conn).await?;
                    sqlx::query("PRAGMA foreign_keys = ON").execute(&mut *conn).await?;
                }
                Ok(())
            })
        })
        .connect(&url)
        .await
        .map_err(|e| format!("cannot open database {}: {e}", redact(&url)))?;
    let migrator = match backend {
        Backend::Sqlite => &SQLITE_MIGRATIONS,
        Backend::Postgres => &POSTGRES_MIGRATIONS,
    };
    migrator.run(&pool).await.map_err(|e| format!("database migration failed: {e}"))?;
    Ok((pool, backend))
}

/// Begins a transaction that will write. Never call it while holding
/// another connection or write transaction of the same pool.
pub async fn begin_write(pool: &AnyPool) -> Result<WriteTx, sqlx::Error> {
    if is_sqlite(pool) {
        Ok(WriteTx { inner: Some(Inner::Sqlite(super::group_commit::begin(pool).await?)) })
    } else {
        Ok(WriteTx { inner: Some(Inner::Postgres(pool.begin().await?)) })
    }
}

/// One statement that writes, in a write transaction of its own (on SQLite
/// it joins the writers' queue rather than waiting on the file lock).
pub async fn execute_write<'q>(
    pool: &AnyPool,
    query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
) -> Result<sqlx::any::AnyQueryResult, sqlx::Error> {
    let mut tx = begin_write(pool).await?;
    let done = query.execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(done)
}

/// A write transaction. On PostgreSQL a plain transaction; on SQLite this
/// writer's part of the open group commit (see `group_commit`). Derefs to
/// the connection, like a `Transaction`; dropped without `commit`, its
/// writes are undone.
pub struct WriteTx {
    inner: Option<Inner>,
}

enum Inner {
    Postgres(sqlx::Transaction<'static, sqlx::Any>),
    Sqlite(super::group_commit::Writer),
}

impl WriteTx {
    /// Returns once the writes are durable (on SQLite: once the group they
    /// joined has committed).
    pub async fn commit(mut self) -> Result<(), sqlx::Error> {
        match self.inner.take() {
            Some(Inner::Postgres(tx)) => tx.commit().await,
            Some(Inner::Sqlite(w)) => w.commit().await,
            None => Ok(()),
        }
    }

    pub async fn rollback(mut self) -> Result<(), sqlx::Error> {
        match self.inner.take() {
            Some(Inner::Postgres(tx)) => tx.rollback().await,
            Some(Inner::Sqlite(w)) => w.rollback().await,
            None => Ok(()),
        }
    }
}

impl std::ops::Deref for WriteTx {
    type Target = sqlx::AnyConnection;
    fn deref(&self) -> &Self::Target {
        match self.inner.as_ref().expect("write transaction in use") {
            Inner::Postgres(tx) => tx,
            Inner::Sqlite(w) => w.connection(),
        }
    }
}

impl std::ops::DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut Self::Target {
        match self.inner.as_mut().expect("write transaction in use") {
            Inner::Postgres(tx) => tx,
            Inner::Sqlite(w) => w.connection_mut(),
        }
    }
}

pub fn is_sqlite(pool: &AnyPool) -> bool {
    pool.connect_options().database_url.scheme() == "sqlite"
}

/// On SQLite, copies the write-ahead log back into the database file once
/// a second, without blocking writers or readers (a PASSIVE checkpoint on a
/// pooled connection): the log stays small and no request pays for it.
pub fn spawn_checkpointer(pool: AnyPool) {
    if !is_sqlite(&pool) {
        return;
    }
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").execute(&pool).await {
                tracing::warn!(error = %e, "checkpointing the SQLite log failed; the next second retries");
            }
        }
    });
}

pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// `2026-11-22 15:40` in the given IANA timezone (Asia/Shanghai if unknown).
pub fn format_local(ms: i64, timezone: &str) -> String {
    let tz: chrono_tz::Tz = timezone.parse().unwrap_or(chrono_tz::Asia::Shanghai);
    match chrono::DateTime::from_timestamp_millis(ms) {
        Some(t) => t.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backends_and_redaction() {
        assert_eq!(Backend::of("sqlite://data/x.db"), Ok(Backend::Sqlite));
        assert_eq!(Backend::of("postgresql://u@h/db"), Ok(Backend::Postgres));
        assert!(Backend::of("mysql://x").is_err());
        assert_eq!(redact("postgres://bob:secret@host/db"), "postgres://bob:***@host/db");
        assert_eq!(redact("sqlite://data/x.db"), "sqlite://data/x.db");
        assert_eq!(redact("postgres://bob@host/db"), "postgres://bob@host/db");
    }

    #[test]
    fn formats_in_shanghai_time() {
        // 2026-01-01T00:00:00Z is 08:00 in Shanghai.
        assert_eq!(format_local(1_767_225_600_000, "Asia/Shanghai"), "2026-01-01 08:00");
        assert_eq!(format_local(1_767_225_600_000, "not/a_zone"), "2026-01-01 08:00");
    }
}
