//! The breach job: raises cases whose clocks ran out. Not acknowledged in
//! time, or not dispatched within the dispatch target → supervisor; still
//! not dispatched at 4 h → management. Each raise is one case event, never
//! repeated. With several instances on PostgreSQL, a transaction-scoped
//! advisory lock lets exactly one of them run a round.

use std::time::Duration;

use sqlx::AnyPool;

use super::db::{now_ms, Backend};
use super::lifecycle::{append, clock_states, load_log, lock_case};
use super::live::Live;
use super::service;
use crate::domain::case_number;
use crate::domain::clock::ClockKind;
use crate::domain::lifecycle::{Actor, BreachLevel, CaseEvent, LoggedEvent};
use crate::errors::AppError;
use crate::models::CaseStatus;

/// Any constant shared by all instances.
const LOCK_KEY: i64 = 0x4669_786c_696e_65;
/// Undispatched this long → management.
const MANAGEMENT_AFTER_MINUTES: i64 = 4 * 60;

pub fn spawn(pool: AnyPool, backend: Backend, live: Live, every: Duration) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match run_once(&pool, backend, &live).await {
                Ok(Some(n)) if n > 0 => tracing::info!(raised = n, "breach job raised cases"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = ?e, "breach job failed; next round retries"),
            }
            match super::visits::purge_unclaimed_walk_photos(&pool, now_ms()).await {
                Ok(n) if n > 0 => tracing::info!(deleted = n, "unclaimed walk photos purged"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = ?e, "purging walk photos failed; next round retries"),
            }
        }
    });
}

/// One round. `None` when another instance holds the lock.
pub async fn run_once(pool: &AnyPool, backend: Backend, live: &Live) -> Result<Option<usize>, AppError> {
    // The lock lives as long as this transaction; the raises themselves
    // run in short transactions of their own.
    let mut guard = pool.begin().await?;
    if backend == Backend::Postgres {
        let got: bool = sqlx::query_scalar("SELECT pg_try_advisory_xact_lock($1)").bind(LOCK_KEY).fetch_one(&mut *guard).await?;
        if !got {
            return Ok(None);
        }
    }
    let candidates: Vec<i64> = sqlx::query_scalar("SELECT id FROM cases WHERE status IN ($1, $2) ORDER BY id")
        .bind(CaseStatus::Escalated.as_str())
        .bind(CaseStatus::Acknowledged.as_str())
        .fetch_all(pool)
        .await?;
    let now = now_ms();
    let mut raised = 0;
    for case_id in candidates {
        let mut conn = pool.acquire().await?;
        if due(pool, &mut conn, case_id, now).await?.is_empty() {
            continue;
        }
        drop(conn);
        // Lock the case, then decide again on what is now certain.
        let mut tx = pool.begin().await?;
        lock_case(&mut tx, case_id).await?;
        let mut log = load_log(&mut tx, case_id).await?;
        for (clock, level) in due(pool, &mut tx, case_id, now).await? {
            let event = CaseEvent::BreachRaised { clock, level };
            append(&mut tx, case_id, now, Actor::System, &event, &log).await?;
            log.push(LoggedEvent { at_ms: now, actor: Actor::System, event });
        }
        tx.commit().await?;
        live.publish(pool, &case_number::format(case_id)).await;
        raised += 1;
    }
    guard.commit().await?;
    Ok(Some(raised))
}

/// The raises a case needs now and has not had yet.
async fn due(pool: &AnyPool, conn: &mut sqlx::AnyConnection, case_id: i64, now: i64) -> Result<Vec<(ClockKind, BreachLevel)>, AppError> {
    let (org_id, zone): (i64, String) =
        sqlx::query_as("SELECT c.org_id, s.zone FROM cases c JOIN assets a ON a.id = c.asset_id JOIN sites s ON s.id = a.site_id WHERE c.id = $1")
            .bind(case_id)
            .fetch_one(&mut *conn)
            .await?;
    let log = load_log(conn, case_id).await?;
    let terms = service::terms(pool, org_id).await?;
    let mut out = Vec::new();
    for c in clock_states(&log, &terms, service::parse_zone(&zone), now) {
        if c.stopped_at.is_some() || !matches!(c.kind, ClockKind::Response | ClockKind::Dispatch) {
            continue;
        }
        if c.breached {
            out.push((c.kind, BreachLevel::Supervisor));
        }
        if c.kind == ClockKind::Dispatch && c.used >= MANAGEMENT_AFTER_MINUTES {
            out.push((c.kind, BreachLevel::Management));
        }
    }
    out.retain(|&(clock, level)| !log.iter().any(|e| e.event == CaseEvent::BreachRaised { clock, level }));
    Ok(out)
}
