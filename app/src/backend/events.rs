//! A case's events: the log is the case. Load it, lock the case for a
//! write, and append (the only way an event is written), which also keeps
//! the row's cached status and schedule.

use std::collections::HashMap;

use sqlx::{AnyConnection, AnyPool};

use super::db::now_ms;
use super::terms::{self, Terms};
use crate::domain::breach::{schedule, Schedule};
use crate::domain::clock::Zone;
use crate::domain::lifecycle::{Actor, CaseEvent, CaseState, LoggedEvent};
use crate::errors::AppError;

pub async fn load_log(conn: &mut AnyConnection, case_id: i64) -> Result<Vec<LoggedEvent>, AppError> {
    let rows: Vec<(i64, String, String, String)> =
        sqlx::query_as("SELECT at, actor, kind, data FROM case_events WHERE case_id = $1 ORDER BY id")
            .bind(case_id)
            .fetch_all(&mut *conn)
            .await?;
    Ok(rows_to_log(rows))
}

fn rows_to_log(rows: Vec<(i64, String, String, String)>) -> Vec<LoggedEvent> {
    rows.into_iter()
        .filter_map(|(at_ms, actor, kind, data)| {
            let event = CaseEvent::from_stored(&kind, &data);
            if event.is_none() {
                tracing::warn!(kind, "unreadable case event skipped");
            }
            Some(LoggedEvent { at_ms, actor: Actor::decode(&actor), event: event? })
        })
        .collect()
}

/// Logs of many cases in one query.
pub async fn load_logs(pool: &AnyPool, case_ids: &[i64]) -> Result<HashMap<i64, Vec<LoggedEvent>>, AppError> {
    let mut out: HashMap<i64, Vec<LoggedEvent>> = HashMap::new();
    if case_ids.is_empty() {
        return Ok(out);
    }
    let list = case_ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
    // The ids are integers from our own query, so inlining them is safe.
    // The events come as one JSON array in one row: hundreds of rows would
    // each be a round trip through the database driver's worker thread.
    let sql = if super::db::is_sqlite(pool) {
        format!(
            "SELECT json_group_array(json_array(case_id, at, actor, kind, data)) FROM \
             (SELECT case_id, at, actor, kind, data FROM case_events WHERE case_id IN ({list}) ORDER BY id)"
        )
    } else {
        format!(
            "SELECT COALESCE(json_agg(json_build_array(case_id, at, actor, kind, data) ORDER BY id)::text, '[]') \
             FROM case_events WHERE case_id IN ({list})"
        )
    };
    let json: String = sqlx::query_scalar(&sql).fetch_one(pool).await?;
    let rows: Vec<(i64, i64, String, String, String)> = serde_json::from_str(&json).map_err(AppError::internal)?;
    for (case_id, at, actor, kind, data) in rows {
        out.entry(case_id).or_default().extend(rows_to_log(vec![(at, actor, kind, data)]));
    }
    Ok(out)
}

/// Appends an event to a locked case, refreshes its cached columns and
/// its schedule, and writes the messages it causes (the outbox). The caller holds the write transaction (`db::begin_write`)
/// and passed it here: this is the only way an event is written after a
/// case exists.
pub async fn append(
    conn: &mut AnyConnection,
    case: &Locked,
    at_ms: i64,
    actor: Actor,
    event: &CaseEvent,
    log: &[LoggedEvent],
) -> Result<(), AppError> {
    let event_id: i64 =
        sqlx::query_scalar("INSERT INTO case_events (case_id, at, kind, actor, data) VALUES ($1, $2, $3, $4, $5) RETURNING id")
            .bind(case.id)
            .bind(at_ms)
            .bind(event.kind())
            .bind(actor.encode())
            .bind(event.to_stored())
            .fetch_one(&mut *conn)
            .await?;
    // Its messages commit or roll back with the event.
    if let Some(topic) = crate::domain::notify::topic_of(event) {
        super::notify::outbox::enqueue(conn, case.id, case.org_id, event_id, topic, at_ms).await?;
    }
    super::notify::customer::enqueue(conn, case.id, event_id, event, at_ms).await?;
    let mut all = log.to_vec();
    all.push(LoggedEvent { at_ms, actor, event: event.clone() });
    let s = CaseState::from_log(&all);
    let sched = schedule(&all, &case.terms, case.zone, at_ms.max(now_ms()));
    sqlx::query(
        "UPDATE cases SET status = $1, severity = $2, owner_id = $3, technician_id = $4, next_deadline_ms = $5, breach_check_at = $6 WHERE id = $7",
    )
    .bind(s.status.as_str())
    .bind(s.severity.as_str())
    .bind(s.owner)
    .bind(s.technician)
    .bind(sched.next_deadline_ms)
    .bind(sched.breach_check_at)
    .bind(case.id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A case locked for this transaction, with what its clocks need.
pub struct Locked {
    pub id: i64,
    pub org_id: i64,
    pub zone: Zone,
    pub terms: Terms,
}

/// Locks the case for this transaction (row lock on PostgreSQL; SQLite's
/// write transaction already excludes every other writer) and reads its
/// organisation's terms and the site's zone on the same connection.
pub async fn lock_case(conn: &mut AnyConnection, case_id: i64) -> Result<Locked, AppError> {
    let changed = sqlx::query("UPDATE cases SET version = version + 1 WHERE id = $1").bind(case_id).execute(&mut *conn).await?;
    if changed.rows_affected() == 0 {
        return Err(AppError::NotFound);
    }
    let (org_id, zone): (i64, String) = sqlx::query_as(
        "SELECT c.org_id, s.zone FROM cases c JOIN assets a ON a.id = c.asset_id JOIN sites s ON s.id = a.site_id WHERE c.id = $1",
    )
    .bind(case_id)
    .fetch_one(&mut *conn)
    .await?;
    let terms = terms::terms(&mut *conn, org_id).await?;
    Ok(Locked { id: case_id, org_id, zone: Zone::from_stored(&zone), terms })
}

/// A case this transaction has just inserted: nobody else can see it yet,
/// so there is nothing to lock; its zone and its organisation's terms come
/// in one query (each statement is a round trip, and this is the busiest
/// write path).
pub async fn lock_new_case(conn: &mut AnyConnection, case_id: i64, org_id: i64, asset_id: i64) -> Result<Locked, AppError> {
    let row: Option<(String, String, String, Option<String>)> = sqlx::query_as(
        "SELECT s.zone, o.timezone, o.policy, k.data FROM assets a JOIN sites s ON s.id = a.site_id \
         JOIN organisations o ON o.id = $2 LEFT JOIN service_calendars k ON k.id = o.calendar_id WHERE a.id = $1",
    )
    .bind(asset_id)
    .bind(org_id)
    .fetch_optional(&mut *conn)
    .await?;
    let (zone, timezone, policy, calendar) = row.ok_or(AppError::NotFound)?;
    Ok(Locked { id: case_id, org_id, zone: Zone::from_stored(&zone), terms: terms::terms_from(&timezone, &policy, calendar.as_deref()) })
}

/// Keeps a case's schedule on its row (the breach job, after looking).
pub async fn store_schedule(conn: &mut AnyConnection, case_id: i64, s: Schedule) -> Result<(), AppError> {
    sqlx::query("UPDATE cases SET next_deadline_ms = $1, breach_check_at = $2 WHERE id = $3")
        .bind(s.next_deadline_ms)
        .bind(s.breach_check_at)
        .bind(case_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
