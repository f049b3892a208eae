//! The guide library: shipped guide files and staff imports, stored as
//! immutable versions in the database. Parsed guides are cached by
//! (id, version), which never change once stored.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use sqlx::AnyPool;

use super::db::now_ms;
use crate::domain::guide::{self, Guide};
use crate::errors::AppError;

/// Guides by (id, version): a version never changes once stored.
type GuideCache = Mutex<HashMap<(String, u32), Arc<Guide>>>;

fn cache() -> &'static GuideCache {
    static CACHE: OnceLock<GuideCache> = OnceLock::new();
    CACHE.get_or_init(Default::default)
}

fn digest(guide: &Guide) -> String {
    let canonical = serde_json::to_string(guide).unwrap_or_default();
    super::digest::sha256_hex(canonical.as_bytes())
}

/// Validates every shipped guide and stores versions the database does not
/// have yet. A shipped version that differs from the stored one is refused:
/// its `version` must be raised. Returns the number of shipped guides.
pub async fn sync_shipped(pool: &AnyPool) -> Result<usize, String> {
    let mut problems = Vec::new();
    let mut guides = Vec::new();
    for (file, json) in guide::SHIPPED {
        match guide::parse(file, json) {
            Ok(g) => guides.push((file, g)),
            Err(p) => problems.extend(p),
        }
    }
    if !problems.is_empty() {
        return Err(format!("invalid guides:\n{}", problems.join("\n")));
    }
    for (file, g) in &guides {
        let stored: Option<String> = sqlx::query_scalar("SELECT digest FROM guides WHERE id = $1 AND version = $2")
            .bind(&g.id)
            .bind(g.version as i64)
            .fetch_optional(pool)
            .await
            .map_err(|e| e.to_string())?;
        match stored {
            Some(d) if d == digest(g) => {}
            Some(_) => {
                return Err(format!("{file}: guide '{}' version {} differs from the stored one; raise its version", g.id, g.version))
            }
            None => {
                let inserted = sqlx::query(
                    "INSERT INTO guides (id, version, body, digest, source, created_at) VALUES ($1, $2, $3, $4, 'shipped', $5)",
                )
                .bind(&g.id)
                .bind(g.version as i64)
                .bind(serde_json::to_string(g).map_err(|e| e.to_string())?)
                .bind(digest(g))
                .bind(now_ms())
                .execute(pool)
                .await;
                // Another instance may have stored it a moment ago.
                if let Err(e) = inserted {
                    if !matches!(&e, sqlx::Error::Database(d) if d.is_unique_violation()) {
                        return Err(e.to_string());
                    }
                }
            }
        }
    }
    Ok(guides.len())
}

fn parse_stored(id: String, version: i64, body: &str) -> Result<Arc<Guide>, AppError> {
    let key = (id, u32::try_from(version).unwrap_or_default());
    if let Some(g) = cache().lock().ok().and_then(|c| c.get(&key).cloned()) {
        return Ok(g);
    }
    let g: Guide = serde_json::from_str(body).map_err(AppError::internal)?;
    let g = Arc::new(g);
    if let Ok(mut c) = cache().lock() {
        c.insert(key, g.clone());
    }
    Ok(g)
}

pub async fn find(pool: &AnyPool, id: &str, version: u32) -> Result<Option<Arc<Guide>>, AppError> {
    // A stored version never changes: a cached one needs no query.
    if let Some(g) = cache().lock().ok().and_then(|c| c.get(&(id.to_string(), version)).cloned()) {
        return Ok(Some(g));
    }
    let row: Option<(String, i64, String)> = sqlx::query_as("SELECT id, version, body FROM guides WHERE id = $1 AND version = $2")
        .bind(id)
        .bind(version as i64)
        .fetch_optional(pool)
        .await?;
    row.map(|(id, v, body)| parse_stored(id, v, &body)).transpose()
}

/// The newest version of every guide: one small query for the version
/// numbers (another instance may have imported one), bodies from the cache.
pub async fn latest(pool: &AnyPool) -> Result<Vec<Arc<Guide>>, AppError> {
    let newest: Vec<(String, i64)> = sqlx::query_as("SELECT id, MAX(version) FROM guides GROUP BY id ORDER BY id").fetch_all(pool).await?;
    let mut guides = Vec::with_capacity(newest.len());
    for (id, version) in newest {
        if let Some(g) = find(pool, &id, u32::try_from(version).unwrap_or_default()).await? {
            guides.push(g);
        }
    }
    Ok(guides)
}

/// `latest`, remembered for a moment: the widget asks for it on every
/// asset a customer picks. An import on this instance is seen at once;
/// another instance's within `RECENT`.
pub async fn latest_recent(pool: &AnyPool) -> Result<Arc<Vec<Arc<Guide>>>, AppError> {
    const RECENT: std::time::Duration = std::time::Duration::from_secs(2);
    if let Some((at, guides)) = recent().lock().ok().and_then(|r| r.clone()) {
        if at.elapsed() < RECENT {
            return Ok(guides);
        }
    }
    let guides = Arc::new(latest(pool).await?);
    if let Ok(mut r) = recent().lock() {
        *r = Some((std::time::Instant::now(), guides.clone()));
    }
    Ok(guides)
}

type Recent = Mutex<Option<(std::time::Instant, Arc<Vec<Arc<Guide>>>)>>;

fn recent() -> &'static Recent {
    static RECENT: OnceLock<Recent> = OnceLock::new();
    RECENT.get_or_init(Default::default)
}

/// The newest guides offered for an asset kind.
pub async fn for_equipment(pool: &AnyPool, kind: &str) -> Result<Vec<Guide>, AppError> {
    Ok(latest(pool).await?.into_iter().filter(|g| g.equipment.iter().any(|e| e == kind)).map(|g| (*g).clone()).collect())
}

/// Stores an uploaded guide as the next version of its id (whatever version
/// the file says). Returns (id, version). Imports racing for one id each
/// get their own version: the loser of the unique key tries again.
pub async fn import(pool: &AnyPool, json: &str, staff_id: i64) -> Result<(String, u32), Vec<String>> {
    let mut g = guide::parse("upload", json)?;
    let failed = |e: sqlx::Error| {
        tracing::error!(error = %e, "storing an imported guide failed");
        vec!["upload: the guide could not be stored just now; try again".to_string()]
    };
    for _ in 0..5 {
        let mut tx = super::db::begin_write(pool).await.map_err(failed)?;
        let max: Option<i64> =
            sqlx::query_scalar("SELECT MAX(version) FROM guides WHERE id = $1").bind(&g.id).fetch_one(&mut *tx).await.map_err(failed)?;
        g.version = u32::try_from(max.unwrap_or(0) + 1).unwrap_or(u32::MAX);
        let inserted = sqlx::query(
            "INSERT INTO guides (id, version, body, digest, source, imported_by, created_at) VALUES ($1, $2, $3, $4, 'imported', $5, $6)",
        )
        .bind(&g.id)
        .bind(g.version as i64)
        .bind(serde_json::to_string(&g).unwrap_or_default())
        .bind(digest(&g))
        .bind(staff_id)
        .bind(now_ms())
        .execute(&mut *tx)
        .await;
        match inserted {
            Ok(_) => {
                tx.commit().await.map_err(failed)?;
                if let Ok(mut r) = recent().lock() {
                    *r = None;
                }
                return Ok((g.id, g.version));
            }
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => continue,
            Err(e) => return Err(failed(e)),
        }
    }
    Err(vec!["upload: the guide could not be stored just now; try again".to_string()])
}

pub fn valid_session_id(s: &str) -> bool {
    (16..=64).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// A customer began walking a guide. Repeats (a reload) are ignored.
pub async fn start_session(pool: &AnyPool, org_id: i64, session_id: &str, g: &Guide) -> Result<(), AppError> {
    let now = now_ms();
    let inserted = super::db::execute_write(
        pool,
        sqlx::query(
            "INSERT INTO guide_sessions (id, org_id, guide_id, guide_version, started_at, updated_at, last_node, steps) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, 0)",
        )
        .bind(session_id)
        .bind(org_id)
        .bind(&g.id)
        .bind(g.version as i64)
        .bind(now)
        .bind(now)
        .bind(&g.root),
    )
    .await;
    match inserted {
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Ok(()),
        other => other.map(|_| ()).map_err(Into::into),
    }
}

/// Where an unfinished walk stands (sent when the customer leaves the page).
pub async fn record_progress(pool: &AnyPool, org_id: i64, session_id: &str, last_node: &str, steps: u32) -> Result<(), AppError> {
    super::db::execute_write(
        pool,
        sqlx::query(
            "UPDATE guide_sessions SET last_node = $1, steps = $2, updated_at = $3 \
         WHERE id = $4 AND org_id = $5 AND result IS NULL",
        )
        .bind(last_node)
        .bind(steps as i64)
        .bind(now_ms())
        .bind(session_id)
        .bind(org_id),
    )
    .await?;
    Ok(())
}

/// Closes a walk with the case it produced.
pub async fn finish_session(
    tx: &mut sqlx::AnyConnection,
    org_id: i64,
    session_id: &str,
    last_node: &str,
    steps: u32,
    result: &str,
    case_id: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE guide_sessions SET last_node = $1, steps = $2, result = $3, case_id = $4, updated_at = $5 \
         WHERE id = $6 AND org_id = $7",
    )
    .bind(last_node)
    .bind(steps as i64)
    .bind(result)
    .bind(case_id)
    .bind(now_ms())
    .bind(session_id)
    .bind(org_id)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Per-guide counts: (guide id, result or None, last node, sessions).
pub async fn session_counts(pool: &AnyPool) -> Result<Vec<(String, Option<String>, String, i64)>, AppError> {
    Ok(sqlx::query_as("SELECT guide_id, result, last_node, COUNT(*) FROM guide_sessions GROUP BY guide_id, result, last_node")
        .fetch_all(pool)
        .await?)
}
