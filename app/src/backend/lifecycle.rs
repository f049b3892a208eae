//! Staff actions on cases: each one appends an event in a transaction that
//! first locks the case, then refreshes the cached columns and tells every
//! instance's live queue.

use std::collections::HashMap;

use sqlx::{AnyConnection, AnyPool};

use super::db::{format_local, now_ms};
use super::live::Live;
use super::service::{self, Terms};
use crate::domain::case_number;
use crate::domain::clock::{self, ClockKind, ClockState};
use crate::domain::lifecycle::{self, Actor, CaseAction, CaseEvent, CaseState, LoggedEvent, Refusal};
use crate::errors::AppError;
use crate::models::{ClockView, Role, StaffOption, StaffUser, TimelineEntry};

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
    let rows: Vec<(i64, i64, String, String, String)> =
        sqlx::query_as(&format!("SELECT case_id, at, actor, kind, data FROM case_events WHERE case_id IN ({list}) ORDER BY id"))
            .fetch_all(pool)
            .await?;
    for (case_id, at, actor, kind, data) in rows {
        out.entry(case_id).or_default().extend(rows_to_log(vec![(at, actor, kind, data)]));
    }
    Ok(out)
}

pub fn clock_states(log: &[LoggedEvent], terms: &Terms, zone: clock::Zone, now: i64) -> Vec<ClockState> {
    clock::clocks(&lifecycle::clock_events(log), &terms.policy, zone, &terms.always, &terms.working, now.div_euclid(60_000))
}

pub fn clock_view(c: &ClockState, timezone: &str) -> ClockView {
    ClockView {
        kind: c.kind,
        target_minutes: c.target.minutes,
        working_time: c.target.basis == clock::Basis::Working,
        deadline_ms: c.deadline.map(|m| m * 60_000),
        deadline_label: c.deadline.map(|m| format_local(m * 60_000, timezone)),
        stopped_at_ms: c.stopped_at.map(|m| m * 60_000),
        paused: c.paused,
        breached: c.breached,
        used_minutes: c.used,
    }
}

/// Active staff, id → (name, role).
pub async fn staff_directory<'c, E: sqlx::Executor<'c, Database = sqlx::Any>>(db: E) -> Result<HashMap<i64, (String, Role)>, AppError> {
    let rows: Vec<(i64, String, String)> = sqlx::query_as("SELECT id, display_name, role FROM staff_users WHERE active = 1")
        .fetch_all(db)
        .await?;
    Ok(rows.into_iter().filter_map(|(id, name, role)| Some((id, (name, Role::parse(&role)?)))).collect())
}

pub fn staff_options(dir: &HashMap<i64, (String, Role)>, technicians: bool) -> Vec<StaffOption> {
    let mut v: Vec<StaffOption> = dir
        .iter()
        .filter(|(_, (_, role))| (*role == Role::Technician) == technicians)
        .map(|(id, (name, role))| StaffOption { id: *id, name: name.clone(), role: *role })
        .collect();
    v.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
    v
}

pub fn actor_name(actor: Actor, dir: &HashMap<i64, (String, Role)>, customer: &str, system: &str) -> String {
    match actor {
        Actor::Customer => customer.to_string(),
        Actor::System => system.to_string(),
        Actor::Staff { id } => dir.get(&id).map_or_else(|| format!("#{id}"), |(n, _)| n.clone()),
    }
}

pub fn timeline(log: &[LoggedEvent], dir: &HashMap<i64, (String, Role)>, timezone: &str, customer: &str, system: &str) -> Vec<TimelineEntry> {
    log.iter()
        .map(|e| {
            // The signed text is on the report page; the timeline only says who signed.
            let event = match &e.event {
                CaseEvent::ReportSigned { signer, signature, hash, .. } => {
                    CaseEvent::ReportSigned { signer: signer.clone(), signature: *signature, hash: hash.clone(), report: String::new() }
                }
                other => other.clone(),
            };
            TimelineEntry { at: format_local(e.at_ms, timezone), actor: actor_name(e.actor, dir, customer, system), event }
        })
        .collect()
}

pub(crate) fn refusal_error(r: Refusal) -> AppError {
    match r {
        Refusal::Role | Refusal::NotOwner => AppError::Forbidden,
        Refusal::State => AppError::Conflict,
        Refusal::Input => AppError::BadRequest,
        Refusal::QuoteNotApproved => AppError::QuoteNotApproved,
        Refusal::NotSigned => AppError::NotSigned,
    }
}

/// Appends an event to a locked case and refreshes its cached columns and
/// its schedule. The caller holds the write transaction (`db::begin_write`)
/// and passed it here: this is the only way an event is written after a
/// case exists.
pub async fn append(conn: &mut AnyConnection, case: &Locked, at_ms: i64, actor: Actor, event: &CaseEvent, log: &[LoggedEvent]) -> Result<(), AppError> {
    sqlx::query("INSERT INTO case_events (case_id, at, kind, actor, data) VALUES ($1, $2, $3, $4, $5)")
        .bind(case.id)
        .bind(at_ms)
        .bind(event.kind())
        .bind(actor.encode())
        .bind(event.to_stored())
        .execute(&mut *conn)
        .await?;
    let mut all = log.to_vec();
    all.push(LoggedEvent { at_ms, actor, event: event.clone() });
    let s = CaseState::from_log(&all);
    let sched = super::schedule::schedule(&all, &case.terms, case.zone, at_ms.max(now_ms()));
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
    pub zone: clock::Zone,
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
    let terms = service::terms(&mut *conn, org_id).await?;
    Ok(Locked { id: case_id, org_id, zone: service::parse_zone(&zone), terms })
}

/// Runs a staff action on a case: authorised, checked against the case's
/// state, recorded as one event. One connection: the write transaction.
pub async fn act(pool: &AnyPool, live: &Live, user: &StaffUser, number: &str, action: &CaseAction) -> Result<CaseEvent, AppError> {
    let case_id = case_number::parse(number).ok_or(AppError::NotFound)?;
    let mut tx = super::db::begin_write(pool).await?;
    let now = now_ms();
    let case = lock_case(&mut tx, case_id).await?;
    let dir = staff_directory(&mut *tx).await?;
    let log = load_log(&mut tx, case_id).await?;
    let state = CaseState::from_log(&log);
    let arrival_deadline_ms = clock_states(&log, &case.terms, case.zone, now)
        .iter()
        .find(|c| c.kind == ClockKind::Arrival)
        .and_then(|c| c.deadline)
        .map(|m| m * 60_000);
    super::visits::check_action_photos(&mut tx, case_id, action).await?;
    let event = {
        let paid_job = paid_job(&mut tx, case_id, &case.terms, &state).await?;
        let is_responder = |id: i64| dir.get(&id).is_some_and(|(_, r)| *r != Role::Technician);
        let is_technician = |id: i64| dir.get(&id).is_some_and(|(_, r)| *r == Role::Technician);
        let cx = lifecycle::Context {
            actor_id: user.id,
            role: user.role,
            now_ms: now,
            is_responder: &is_responder,
            is_technician: &is_technician,
            arrival_deadline_ms,
            paid_job,
        };
        lifecycle::decide(&state, action, &cx).map_err(refusal_error)?
    };
    append(&mut tx, &case, now, Actor::Staff { id: user.id }, &event, &log).await?;
    tx.commit().await?;
    tracing::info!(case = number, user = %user.username, kind = event.kind(), "case action");
    live.publish(pool, number).await;
    Ok(event)
}

/// Paid (class A: out of warranty on the day of the report, or an
/// exclusion found at diagnosis): dispatch and resolution need an approved quote.
async fn paid_job(conn: &mut AnyConnection, case_id: i64, terms: &Terms, state: &CaseState) -> Result<bool, AppError> {
    let created_at: i64 = sqlx::query_scalar("SELECT created_at FROM cases WHERE id = $1").bind(case_id).fetch_one(&mut *conn).await?;
    let on = terms.working.local_date(created_at.div_euclid(60_000));
    let (_, billing) = super::visits::assess(conn, case_id, on, state.diagnosis.as_ref()).await?;
    Ok(crate::domain::warranty::needs_quote_approval(billing))
}

/// The customer approves or declines the pending quote from the widget.
pub async fn answer_quote(pool: &AnyPool, live: &Live, case_id: i64, approved: bool) -> Result<(), AppError> {
    let mut tx = super::db::begin_write(pool).await?;
    let case = lock_case(&mut tx, case_id).await?;
    let log = load_log(&mut tx, case_id).await?;
    let event = lifecycle::answer_quote(&CaseState::from_log(&log), approved).map_err(refusal_error)?;
    append(&mut tx, &case, now_ms(), Actor::Customer, &event, &log).await?;
    tx.commit().await?;
    live.publish(pool, &case_number::format(case_id)).await;
    Ok(())
}
