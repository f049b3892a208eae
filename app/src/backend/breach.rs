//! The breach job: raises cases whose clocks ran out. Not acknowledged in
//! time, or not dispatched within the dispatch target → supervisor; still
//! not dispatched at 4 h → management. Before that, a reminder when an
//! unclaimed case nears its response deadline or a return visit comes due.
//! Each raise and reminder is one case event, never repeated. With several instances on PostgreSQL, a transaction-scoped
//! advisory lock lets exactly one of them run a round.

use std::time::Duration;

use sqlx::{AnyPool, Connection};

use super::db::{now_ms, Backend};
use super::events::{append, load_log, lock_case, store_schedule};
use super::live::Live;
use crate::domain::breach;
use crate::domain::case_number;
use crate::domain::lifecycle::{Actor, CaseEvent, LoggedEvent};
use crate::errors::AppError;

/// Any constant shared by all instances.
const LOCK_KEY: i64 = 0x0046_6978_6c69_6e65;
/// Cases looked at per batch.
const BATCH: i64 = 200;

pub fn spawn(pool: AnyPool, backend: Backend, database_url: String, live: Live, every: Duration) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match run_once(&pool, backend, &database_url, &live).await {
                Ok(Some(n)) if n > 0 => tracing::info!(raised = n, "breach job raised cases"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = ?e, "breach job failed; next round retries"),
            }
            match super::attachments::purge_unclaimed_walk_photos(&pool, now_ms()).await {
                Ok(n) if n > 0 => tracing::info!(deleted = n, "unclaimed walk photos purged"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = ?e, "purging walk photos failed; next round retries"),
            }
        }
    });
}

/// One round. `None` when another instance holds the lock. Looks only at
/// cases whose `breach_check_at` has come (kept by `schedule`), so an idle
/// server with many open cases does next to nothing.
pub async fn run_once(pool: &AnyPool, backend: Backend, database_url: &str, live: &Live) -> Result<Option<usize>, AppError> {
    // On PostgreSQL one instance runs each round: a session lock on a
    // connection of its own, outside the pool, so the job never holds a
    // pooled connection while it takes others.
    let _lock = if backend == Backend::Postgres {
        let mut conn = sqlx::AnyConnection::connect(database_url).await?;
        let got: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)").bind(LOCK_KEY).fetch_one(&mut conn).await?;
        if !got {
            conn.close().await.ok();
            return Ok(None);
        }
        Some(conn) // closing it (at the end of the round) releases the lock
    } else {
        None
    };
    super::schedule::catch_up(pool).await?;
    let now = now_ms();
    let mut raised = 0;
    let mut after = 0i64;
    loop {
        let batch: Vec<i64> = sqlx::query_scalar("SELECT id FROM cases WHERE breach_check_at <= $1 AND id > $2 ORDER BY id LIMIT $3")
            .bind(now)
            .bind(after)
            .bind(BATCH)
            .fetch_all(pool)
            .await?;
        let Some(&last) = batch.last() else { break };
        after = last;
        for case_id in batch {
            // Lock the case, then decide on what is now certain.
            let mut tx = super::db::begin_write(pool).await?;
            let case = lock_case(&mut tx, case_id).await?;
            let mut log = load_log(&mut tx, case_id).await?;
            let clocks = case.terms.clocks(&log, case.zone, now);
            let raises = breach::due(&log, &clocks).into_iter().map(|(clock, level)| CaseEvent::BreachRaised { clock, level });
            let reminders = breach::warnings_due(&log, &clocks).into_iter().map(|clock| CaseEvent::DeadlineNear { clock });
            let due: Vec<CaseEvent> = raises.chain(reminders).collect();
            for event in due.iter().cloned() {
                append(&mut tx, &case, now, Actor::System, &event, &log).await?;
                log.push(LoggedEvent { at_ms: now, actor: Actor::System, event });
            }
            if due.is_empty() {
                // Looked too early (minute rounding): look again next round.
                let mut s = breach::schedule(&log, &case.terms, case.zone, now);
                if s.breach_check_at.is_some_and(|at| at <= now) {
                    s.breach_check_at = Some(now + 60_000);
                }
                store_schedule(&mut tx, case_id, s).await?;
            }
            tx.commit().await?;
            if !due.is_empty() {
                live.publish(pool, &case_number::format(case_id)).await;
                raised += 1;
            }
        }
    }
    Ok(Some(raised))
}
