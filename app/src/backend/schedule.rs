//! A case's schedule, kept on its row: the nearest running deadline (what
//! the queue sorts and pages by, in SQL) and when the breach job must look
//! at it next. Both follow from the event log and the terms; they are
//! refreshed whenever an event is appended, and recomputed when settings
//! change or the server starts with rows not yet computed.

use sqlx::{AnyConnection, AnyPool};

use super::db::now_ms;
use super::lifecycle::{clock_states, load_logs};
use super::service::{self, Terms};
use crate::domain::breach::{self, MANAGEMENT_AFTER_MINUTES};
use crate::domain::clock::{self, ClockKind, Target, Zone};
use crate::domain::lifecycle::LoggedEvent;
use crate::errors::AppError;

/// Sorts after every real deadline: cases with no running clock (paused,
/// or every clock stopped).
pub const NO_DEADLINE: i64 = 9_000_000_000_000_000;

/// The statuses the queue lists by default (its partial index matches).
pub const OPEN_STATUSES: &str = "('escalated', 'acknowledged', 'dispatched', 'on_site')";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule {
    pub next_deadline_ms: i64,
    pub breach_check_at: Option<i64>,
}

pub fn schedule(log: &[LoggedEvent], terms: &Terms, zone: Zone, now: i64) -> Schedule {
    let clocks = clock_states(log, terms, zone, now);
    // When the dispatch clock reaches the management threshold: the same
    // clock computed with that threshold as its target.
    let mut policy = terms.policy.clone();
    policy.dispatch = Target { minutes: MANAGEMENT_AFTER_MINUTES, basis: policy.dispatch.basis };
    let management = clock::clocks(
        &crate::domain::lifecycle::clock_events(log),
        &policy,
        zone,
        &terms.always,
        &terms.working,
        now.div_euclid(60_000),
    )
    .into_iter()
    .find(|c| c.kind == ClockKind::Dispatch && c.stopped_at.is_none())
    .and_then(|c| c.deadline);
    Schedule {
        next_deadline_ms: breach::next_deadline(&clocks).map_or(NO_DEADLINE, |m| m * 60_000),
        breach_check_at: breach::next_check(log, &clocks, management).map(|m| m * 60_000),
    }
}

pub async fn store(conn: &mut AnyConnection, case_id: i64, s: Schedule) -> Result<(), AppError> {
    sqlx::query("UPDATE cases SET next_deadline_ms = $1, breach_check_at = $2 WHERE id = $3")
        .bind(s.next_deadline_ms)
        .bind(s.breach_check_at)
        .bind(case_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Computes the schedule of every case that has none (rows from before
/// the column existed), in batches of short transactions.
pub async fn backfill(pool: &AnyPool) -> Result<usize, AppError> {
    // Closed and self-fixed cases have no running clock: one statement.
    sqlx::query(&format!(
        "UPDATE cases SET next_deadline_ms = {NO_DEADLINE}, breach_check_at = NULL \
         WHERE next_deadline_ms IS NULL AND status NOT IN {OPEN_STATUSES}"
    ))
    .execute(pool)
    .await?;
    recompute(pool, "c.next_deadline_ms IS NULL").await
}

/// Computes missing schedules if there are any (one indexed look-up when
/// there are none): the queue and the breach job call it first.
pub async fn catch_up(pool: &AnyPool) -> Result<(), AppError> {
    let missing: Option<i64> = sqlx::query_scalar("SELECT id FROM cases WHERE next_deadline_ms IS NULL LIMIT 1").fetch_optional(pool).await?;
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
                terms_by_org.insert(*org_id, service::terms(pool, *org_id).await?);
            }
        }
        let now = now_ms();
        let mut tx = super::db::begin_write(pool).await?;
        for (id, org_id, zone, version) in &rows {
            let log = logs.get(id).map(Vec::as_slice).unwrap_or_default();
            let s = schedule(log, &terms_by_org[org_id], service::parse_zone(zone), now);
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
    sqlx::query(&format!("UPDATE cases SET next_deadline_ms = NULL WHERE status IN {OPEN_STATUSES}")).execute(pool).await?;
    let pool = pool.clone();
    tokio::spawn(async move {
        match backfill(&pool).await {
            Ok(n) => tracing::info!(cases = n, "case schedules recomputed after a settings change"),
            Err(e) => tracing::warn!(error = ?e, "recomputing case schedules failed; the queue retries"),
        }
    });
    Ok(())
}
