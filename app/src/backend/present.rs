//! A case as staff read it: clocks with local times, the timeline with
//! names, and the staff directory those names come from.

use std::collections::HashMap;

use super::db::format_local;
use crate::domain::clock::{self, ClockState};
use crate::domain::lifecycle::{Actor, CaseEvent, LoggedEvent};
use crate::errors::AppError;
use crate::models::{ClockView, Role, StaffOption, TimelineEntry};

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
    let rows: Vec<(i64, String, String)> =
        sqlx::query_as("SELECT id, display_name, role FROM staff_users WHERE active = 1").fetch_all(db).await?;
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

pub fn timeline(
    log: &[LoggedEvent],
    dir: &HashMap<i64, (String, Role)>,
    timezone: &str,
    customer: &str,
    system: &str,
) -> Vec<TimelineEntry> {
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
