//! A case's schedule, kept on its row: the nearest running deadline (what
//! the queue sorts and pages by, in SQL) and when the breach job must look
//! at it next. Both follow from the event log and the terms; they are
//! refreshed whenever an event is appended, and recomputed when settings
//! change or the server starts with rows not yet computed.

use sqlx::AnyPool;

use super::db::now_ms;
use super::events::load_logs;
use super::terms::{self, Terms};
use crate::domain::breach::{schedule, NO_DEADLINE};
use crate::errors::AppError;

/// The statuses the queue lists by default (its partial index matches).
pub const OPEN_STATUSES: &str = "('escalated', 'acknowledged', 'dispatched', 'on_site')";

/// Computes the schedule of every case that has none (rows from before
/// the column existed), in batches of short transactions.
pub async fn backfill(pool: &AnyPool) -> Result<usize, AppError> {
    // Closed and self-fixed cases have no running clock: one statement.
    super::db::execute_write(
        pool,
        sqlx::query(&format!(
            "UPDATE cases SET next_deadline_ms = {NO_DEADLINE}, breach_check_at = NULL \
         WHERE next_deadline_ms IS NULL AND status NOT IN {OPEN_STATUSES}"
        )),
    )
    .await?;
    recompute(pool, "c.next_deadline_ms IS NULL").await
}

/// Computes missing schedules if there are any (one indexed look-up when
/// there are none): the queue and the breach job call it first.
pub async fn catch_up(pool: &AnyPool) -> Result<(), AppError> {
    // SQLite's planner, with statistics taken while many schedules were
    // missing, scans every case for this; the partial index answers at once.
    let sql = if super::db::is_sqlite(pool) {
        "SELECT id FROM cases INDEXED BY cases_unscheduled WHERE next_deadline_ms IS NULL LIMIT 1"
    } else {
        "SELECT id FROM cases WHERE next_deadline_ms IS NULL LIMIT 1"
    };
    let missing: Option<i64> = sqlx::query_scalar(sql).fetch_optional(pool).await?;
    if missing.is_some() {
        backfill(pool).await?;
    }
    Ok(())
}

/// Recomputes the schedule of the cases `filter` selects, 500 at a time.
/// A case changed meanwhile (its `version` moved on) keeps what its own
/// change wrote.
async fn recompute(pool: &AnyPool, filter: &str) -> Result<usize, AppError> {
    let mut done = 0;
    let mut after = 0i64;
    loop {
        let rows: Vec<(i64, i64, String, i64)> = sqlx::query_as(&format!(
            "SELECT c.id, c.org_id, s.zone, c.version FROM cases c JOIN assets a ON a.id = c.asset_id \
             JOIN sites s ON s.id = a.site_id WHERE {filter} AND c.id > $1 ORDER BY c.id LIMIT 500"
        ))
        .bind(after)
        .fetch_all(pool)
        .await?;
        let Some(last) = rows.last() else { return Ok(done) };
        after = last.0;
        let logs = load_logs(pool, &rows.iter().map(|r| r.0).collect::<Vec<_>>()).await?;
        let mut terms_by_org: std::collections::HashMap<i64, Terms> = Default::default();
        for (_, org_id, _, _) in &rows {
            if !terms_by_org.contains_key(org_id) {
                terms_by_org.insert(*org_id, terms::terms(pool, *org_id).await?);
            }
        }
        let now = now_ms();
        let mut tx = super::db::begin_write(pool).await?;
        for (id, org_id, zone, version) in &rows {
            let log = logs.get(id).map(Vec::as_slice).unwrap_or_default();
            let s = schedule(log, &terms_by_org[org_id], crate::domain::clock::Zone::from_stored(zone), now);
            sqlx::query("UPDATE cases SET next_deadline_ms = $1, breach_check_at = $2 WHERE id = $3 AND version = $4")
                .bind(s.next_deadline_ms)
                .bind(s.breach_check_at)
                .bind(*id)
                .bind(*version)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        done += rows.len();
    }
}

/// Settings changed (calendar, targets, zones): every open case's schedule
/// is marked for recomputing at once (the queue catches up before it
/// answers) and recomputed in the background.
pub async fn refresh_open(pool: &AnyPool) -> Result<(), AppError> {
    let sql = format!("UPDATE cases SET next_deadline_ms = NULL WHERE status IN {OPEN_STATUSES}");
    super::db::execute_write(pool, sqlx::query(&sql)).await?;
    let pool = pool.clone();
    tokio::spawn(async move {
        match backfill(&pool).await {
            Ok(n) => tracing::info!(cases = n, "case schedules recomputed after a settings change"),
            Err(e) => tracing::warn!(error = ?e, "recomputing case schedules failed; the queue retries"),
        }
    });
    Ok(())
}
