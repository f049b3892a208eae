//! The lists staff work from: a technician's visits, return visits,
//! complaints, units out on loan or at the factory, technicians' ratings.

use std::collections::HashMap;

use sqlx::AnyPool;

use super::db::{format_local, now_ms};
use super::events::load_logs;
use super::terms;
use crate::domain::case_number;
use crate::domain::clock::ClockKind;
use crate::domain::lifecycle::{self, Actor, CaseEvent, CaseState};
use crate::errors::AppError;
use crate::models::{CaseStatus, ComplaintRow, FollowUps, ReturnVisitRow, StaffUser, SwapRow, TechnicianRating, VisitRow};

/// A case as the lists show it.
#[derive(sqlx::FromRow)]
struct CaseRow {
    id: i64,
    status: String,
    org_name: String,
    site: String,
    asset: String,
    symptom: String,
    reporter: String,
    phone: String,
    org_id: i64,
    zone: String,
}

async fn case_rows(pool: &AnyPool, filter: &str, bind: Option<i64>) -> Result<Vec<CaseRow>, AppError> {
    let sql = format!(
        "SELECT c.id, c.status, o.name AS org_name, s.name || ' · ' || s.address AS site, a.name || ' ' || a.model AS asset, c.symptom, \
         c.reporter_name AS reporter, c.phone, o.id AS org_id, s.zone \
         FROM cases c JOIN organisations o ON o.id = c.org_id JOIN assets a ON a.id = c.asset_id JOIN sites s ON s.id = a.site_id \
         WHERE {filter} ORDER BY c.id"
    );
    let q = sqlx::query_as(&sql);
    let q = match bind {
        Some(v) => q.bind(v),
        None => q,
    };
    Ok(q.fetch_all(pool).await?)
}

/// A technician's visits: dispatched or on site, and fixed jobs still
/// waiting for the customer's signature; appointment order.
pub async fn my_visits(pool: &AnyPool, user: &StaffUser) -> Result<Vec<VisitRow>, AppError> {
    let rows = case_rows(pool, "c.technician_id = $1 AND c.status IN ('dispatched', 'on_site', 'resolved')", Some(user.id)).await?;
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let logs = load_logs(pool, &ids).await?;
    let now = now_ms();
    let mut terms_cache: HashMap<i64, terms::Terms> = HashMap::new();
    let mut out = Vec::new();
    for CaseRow { id, status, org_name, site, asset, symptom, reporter, phone, org_id, .. } in rows {
        let Some(log) = logs.get(&id) else { continue };
        let state = CaseState::from_log(log);
        if state.status == CaseStatus::Resolved && (state.signed || !state.visited) {
            continue;
        }
        if let std::collections::hash_map::Entry::Vacant(e) = terms_cache.entry(org_id) {
            e.insert(terms::terms(pool, org_id).await?);
        }
        let terms = &terms_cache[&org_id];
        let appointment_ms = state.appointment_ms.unwrap_or(0);
        let today = terms.working.local_date(now.div_euclid(60_000));
        let hint = log.iter().rev().find_map(|e| match &e.event {
            CaseEvent::Dispatched { notes, .. } if !notes.is_empty() => Some(notes.clone()),
            _ => None,
        });
        out.push(VisitRow {
            number: case_number::format(id),
            status: CaseStatus::parse(&status).unwrap_or(state.status),
            org_name,
            site,
            asset_label: asset,
            symptom,
            contact: format!("{reporter} {phone}"),
            appointment: state.appointment_ms.map(|ms| format_local(ms, &terms.timezone)).unwrap_or_default(),
            appointment_ms,
            today: terms.working.local_date(appointment_ms.div_euclid(60_000)) == today,
            late: state.status == CaseStatus::Dispatched && appointment_ms < now,
            needs_signature: state.status == CaseStatus::Resolved,
            notes: hint,
        });
    }
    out.sort_by_key(|v| (v.needs_signature, v.appointment_ms));
    Ok(out)
}

/// Return visits due, open complaints with their answer clock, and swapped
/// units, loaners and factory returns not back yet.
pub async fn follow_ups(pool: &AnyPool) -> Result<FollowUps, AppError> {
    // Only cases that can still need something: fixed and not yet visited
    // back, or with a complaint or a swap on record.
    let filter = "(c.status IN ('resolved', 'closed') AND NOT EXISTS \
         (SELECT 1 FROM case_events e WHERE e.case_id = c.id AND e.kind = 'return_visited')) \
         OR EXISTS (SELECT 1 FROM case_events e WHERE e.case_id = c.id AND e.kind IN ('complaint_raised', 'unit_swapped'))";
    let rows = case_rows(pool, filter, None).await?;
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let logs = load_logs(pool, &ids).await?;
    let now = now_ms();
    let mut terms_cache: HashMap<i64, terms::Terms> = HashMap::new();
    let mut out = FollowUps::default();
    for CaseRow { id, org_name, asset, reporter, phone, org_id, zone, .. } in rows {
        let Some(log) = logs.get(&id) else { continue };
        let state = CaseState::from_log(log);
        let wants_visit = matches!(state.status, CaseStatus::Resolved | CaseStatus::Closed) && !state.return_visited;
        if !(wants_visit || state.complaint_open || !state.outstanding_swaps.is_empty()) {
            continue;
        }
        if let std::collections::hash_map::Entry::Vacant(e) = terms_cache.entry(org_id) {
            e.insert(terms::terms(pool, org_id).await?);
        }
        let terms = &terms_cache[&org_id];
        let clocks = terms.clocks(log, crate::domain::clock::Zone::from_stored(&zone), now);
        let due = |kind: ClockKind| clocks.iter().find(|c| c.kind == kind).map(|c| (c.deadline.map(|m| m * 60_000), c.breached));
        let number = case_number::format(id);
        if wants_visit {
            let (due_ms, overdue) = due(ClockKind::ReturnVisit).unwrap_or((None, false));
            let rating = log.iter().find_map(|e| match &e.event {
                CaseEvent::Rated { rating } => Some(rating.clone()),
                _ => None,
            });
            out.return_visits.push(ReturnVisitRow {
                number: number.clone(),
                org_name: org_name.clone(),
                contact: format!("{reporter} {phone}"),
                asset_label: asset.clone(),
                resolved_at: state.resolved_at_ms.map(|ms| format_local(ms, &terms.timezone)).unwrap_or_default(),
                due: due_ms.map(|ms| format_local(ms, &terms.timezone)).unwrap_or_default(),
                due_ms: due_ms.unwrap_or(0),
                overdue,
                confirmed: state.confirmed,
                rating,
            });
        }
        if state.complaint_open {
            let (due_ms, overdue) = due(ClockKind::Complaint).unwrap_or((None, false));
            if let Some((at, category, gravity, text)) = log.iter().rev().find_map(|e| match &e.event {
                CaseEvent::ComplaintRaised { category, gravity, text } => Some((e.at_ms, *category, *gravity, text.clone())),
                _ => None,
            }) {
                out.complaints.push(ComplaintRow {
                    number: number.clone(),
                    org_name: org_name.clone(),
                    category,
                    gravity,
                    text,
                    raised_at: format_local(at, &terms.timezone),
                    due: due_ms.map(|ms| format_local(ms, &terms.timezone)).unwrap_or_default(),
                    due_ms: due_ms.unwrap_or(0),
                    overdue,
                });
            }
        }
        for (kind, serial) in &state.outstanding_swaps {
            let since = log
                .iter()
                .rev()
                .find(|e| matches!(&e.event, CaseEvent::UnitSwapped { swap, serial: s, .. } if swap == kind && s == serial))
                .map(|e| format_local(e.at_ms, &terms.timezone))
                .unwrap_or_default();
            out.swaps.push(SwapRow { number: number.clone(), org_name: org_name.clone(), swap: *kind, serial: serial.clone(), since });
        }
    }
    out.return_visits.sort_by_key(|r| r.due_ms);
    out.complaints.sort_by_key(|r| r.due_ms);
    Ok(out)
}

/// Satisfaction per technician (the one dispatched on each rated case).
pub async fn ratings(pool: &AnyPool) -> Result<Vec<TechnicianRating>, AppError> {
    let ids: Vec<i64> = sqlx::query_scalar("SELECT DISTINCT case_id FROM case_events WHERE kind = 'rated'").fetch_all(pool).await?;
    let logs = load_logs(pool, &ids).await?;
    let dir = super::present::staff_directory(pool).await?;
    let mut by_tech: HashMap<Option<i64>, Vec<lifecycle::Rating>> = HashMap::new();
    for log in logs.values() {
        let state = CaseState::from_log(log);
        for e in log {
            if let CaseEvent::Rated { rating } = &e.event {
                by_tech.entry(state.technician).or_default().push(rating.clone());
            }
        }
    }
    let mut out: Vec<TechnicianRating> = by_tech
        .into_iter()
        .map(|(tech, list)| {
            let avg = |f: fn(&lifecycle::Rating) -> u8| {
                let sum: u32 = list.iter().map(|r| f(r) as u32).sum();
                (sum * 100 / list.len().max(1) as u32) as i64
            };
            TechnicianRating {
                technician: tech.map(|id| super::present::actor_name(Actor::Staff { id }, &dir, "", "")),
                jobs: list.len() as i64,
                attitude: avg(|r| r.attitude),
                skill: avg(|r| r.skill),
                punctuality: avg(|r| r.punctuality),
                promise_kept: avg(|r| r.promise_kept),
                comments: list.iter().map(|r| r.comment.clone()).filter(|c| !c.is_empty()).rev().take(5).collect(),
            }
        })
        .collect();
    out.sort_by(|a, b| a.technician.cmp(&b.technician));
    Ok(out)
}
