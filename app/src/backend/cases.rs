//! Cases as people read them: the staff queue, the case page, and the
//! customer's tracker (by case token).

use sqlx::AnyPool;

use super::db::{format_local, now_ms};
use super::digest::token_digest;
use super::guides;
use super::orgs::org_by_key;
use super::terms;
use crate::domain::calendar::Date;
use crate::domain::case_number;
use crate::domain::clock::ClockKind;
use crate::domain::guide::{Guide, NodeKind, Outcome, WalkStep};
use crate::domain::lifecycle::{self, CaseState};
use crate::domain::warranty::{return_visit_of, should_replace_unit};
use crate::errors::AppError;
use crate::i18n::Locale;
use crate::i18n::LocaleTexts;
use crate::models::{CaseDetail, CaseStatus, CaseTrack, OutcomeView, Queue, QueueFilter, QueueRow, RepeatFault, StaffUser, TranscriptLine};
use std::collections::HashMap;

/// A queue line as read from the database (named columns: a wrong order
/// cannot swap two fields).
#[derive(sqlx::FromRow)]
struct QueueCaseRow {
    id: i64,
    org_id: i64,
    org_name: String,
    asset: String,
    model: String,
    symptom: String,
    created_at: i64,
    status: String,
    tz: String,
    zone: String,
    owner: Option<i64>,
}

/// The case page's own columns.
#[derive(sqlx::FromRow)]
struct CaseDetailRow {
    status: String,
    org_name: String,
    site_name: String,
    asset_id: i64,
    asset: String,
    model: String,
    serial: String,
    reporter_name: String,
    phone: String,
    email: String,
    symptom: String,
    created_at: i64,
    guide_id: String,
    guide_version: i64,
    steps: String,
    tz: String,
    org_id: i64,
    zone: String,
}

enum Bind {
    Int(i64),
    Text(String),
}

fn bind_all<'q>(sql: &'q str, binds: &'q [Bind]) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    let mut q = sqlx::query(sql);
    for b in binds {
        q = match b {
            Bind::Int(i) => q.bind(*i),
            Bind::Text(t) => q.bind(t.as_str()),
        };
    }
    q
}

/// Escalated work for staff, the nearest deadline first (kept on the case
/// row, so sorting and paging happen in SQL), with the total matched.
/// Without a status or a search only open cases are listed; a search finds
/// closed ones too.
pub async fn queue(pool: &AnyPool, user: &StaffUser, filter: &QueueFilter) -> Result<Queue, AppError> {
    use super::schedule::OPEN_STATUSES;
    super::schedule::catch_up(pool).await?;
    let now = now_ms();
    // Self-fixes are never in the queue. Not said beside the open-status
    // list, which excludes them already: there the redundant condition made
    // SQLite read every open case's row to count them.
    let mut conds = String::from(" WHERE 1 = 1");
    let mut binds = Vec::new();
    let mut cond = |sql: &mut String, clause: &str, b: Bind| {
        binds.push(b);
        sql.push_str(&clause.replace("$?", &format!("${}", binds.len())));
    };
    let search = filter.search.trim();
    if let Some(status) = filter.status {
        cond(&mut conds, " AND c.status = $?", Bind::Text(status.as_str().into()));
        // Self-fixes are never in the queue, whatever the filter says.
        conds.push_str(" AND c.status <> 'self_resolved'");
    } else if search.is_empty() {
        // Exactly the queue index's condition, so it is used.
        conds.push_str(&format!(" AND c.status IN {OPEN_STATUSES}"));
    } else {
        conds.push_str(" AND c.status <> 'self_resolved'");
    }
    if let Some(sev) = filter.severity {
        cond(&mut conds, " AND c.severity = $?", Bind::Text(sev.as_str().into()));
    }
    if let Some(org) = filter.org {
        cond(&mut conds, " AND c.org_id = $?", Bind::Int(org));
    }
    if filter.mine {
        cond(&mut conds, " AND (c.owner_id = $?", Bind::Int(user.id));
        cond(&mut conds, " OR c.technician_id = $?)", Bind::Int(user.id));
    }
    if filter.overdue {
        cond(&mut conds, " AND c.next_deadline_ms <= $?", Bind::Int(now));
    }
    if !search.is_empty() {
        let search: String = search.chars().take(64).collect();
        let like = format!("%{}%", search.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")).to_uppercase();
        let id = case_number::parse(&search).or_else(|| search.parse::<i64>().ok()).unwrap_or(-1);
        cond(&mut conds, " AND (c.id = $?", Bind::Int(id));
        cond(&mut conds, " OR c.phone LIKE $? ESCAPE '\\'", Bind::Text(like.clone()));
        cond(&mut conds, " OR UPPER(c.reporter_name) LIKE $? ESCAPE '\\'", Bind::Text(like.clone()));
        cond(&mut conds, " OR UPPER(a.serial) LIKE $? ESCAPE '\\')", Bind::Text(like));
    }
    // SQLite's planner reads and sorts every open case by the status index
    // rather than walk the queue index in deadline order (4 ms against 0.1
    // at 10,000 open cases): it is told.
    let by_deadline =
        if super::db::is_sqlite(pool) && filter.status.is_none() && search.is_empty() { " INDEXED BY cases_queue" } else { "" };
    let from = format!(
        " FROM cases c{by_deadline} JOIN organisations o ON o.id = c.org_id JOIN assets a ON a.id = c.asset_id JOIN sites s ON s.id = a.site_id"
    );
    // Without a search every condition is on the case row: count the
    // cases alone (an index count), not the join.
    let count_from = if search.is_empty() { " FROM cases c" } else { from.as_str() };
    let count_sql = format!("SELECT COUNT(*){count_from}{conds}");
    let total: i64 = {
        use sqlx::Row;
        bind_all(&count_sql, &binds).fetch_one(pool).await?.try_get(0)?
    };
    let sql = format!(
        "SELECT c.id, o.id AS org_id, o.name AS org_name, a.name AS asset, a.model, c.symptom, c.created_at, c.status, \
         o.timezone AS tz, s.zone, c.owner_id AS owner{from}{conds} \
         ORDER BY c.next_deadline_ms, c.id LIMIT {}",
        filter.page_size()
    );
    let rows: Vec<QueueCaseRow> = {
        use sqlx::FromRow;
        bind_all(&sql, &binds).fetch_all(pool).await?.iter().map(QueueCaseRow::from_row).collect::<Result<_, _>>()?
    };
    let logs = super::events::load_logs(pool, &rows.iter().map(|r| r.id).collect::<Vec<_>>()).await?;
    let dir = super::present::staff_directory(pool).await?;
    let mut terms_by_org = HashMap::new();
    let mut out = Vec::new();
    for QueueCaseRow { id, org_id, org_name, asset, model, symptom, created_at, status, tz, zone, owner } in rows {
        if let std::collections::hash_map::Entry::Vacant(e) = terms_by_org.entry(org_id) {
            e.insert(terms::terms(pool, org_id).await?);
        }
        let terms = &terms_by_org[&org_id];
        let log = logs.get(&id).map(Vec::as_slice).unwrap_or_default();
        let state = CaseState::from_log(log);
        let clocks = terms.clocks(log, crate::domain::clock::Zone::from_stored(&zone), now);
        let running: Vec<_> = clocks.iter().filter(|c| c.stopped_at.is_none()).collect();
        let overdue = running.iter().any(|c| c.breached);
        let next = running.iter().filter(|c| c.deadline.is_some()).min_by_key(|c| c.deadline).or(running.first());
        out.push(QueueRow {
            number: case_number::format(id),
            org_name,
            asset_label: format!("{asset} {model}"),
            symptom,
            reported_at: format_local(created_at, &tz),
            status: parse_status(&status)?,
            severity: state.severity,
            owner: owner.and_then(|o| dir.get(&o).map(|(n, _)| n.clone())),
            paused: state.paused,
            next_clock: next.map(|c| super::present::clock_view(c, &tz)),
            overdue,
        });
    }
    let organisations = sqlx::query_as("SELECT id, name FROM organisations ORDER BY name, id").fetch_all(pool).await?;
    Ok(Queue { rows: out, total, limited: Vec::new(), organisations, server_now_ms: now })
}

fn parse_status(s: &str) -> Result<CaseStatus, AppError> {
    CaseStatus::parse(s).ok_or_else(|| AppError::internal(format!("unknown case status '{s}'")))
}

/// The walk in words: each prompt with the customer's answer.
fn transcript(g: &Guide, steps: &[WalkStep], locale: Locale) -> (Vec<TranscriptLine>, Option<OutcomeView>) {
    let t = locale.console_texts();
    let lines = steps
        .iter()
        .enumerate()
        .filter_map(|(i, s)| {
            let seconds = i.checked_sub(1).map(|p| (s.at_ms - steps[p].at_ms).max(0) / 1000);
            let node = g.node(&s.node)?;
            let (prompt, answer) = match &node.kind {
                NodeKind::Question { prompt, choices } => {
                    (prompt, choices.iter().find(|c| c.id == s.choice)?.label.get(locale).to_string())
                }
                NodeKind::Instruction { text, .. } => (text, if s.choice == "yes" { t.helped_yes } else { t.helped_no }.to_string()),
                NodeKind::Collect { prompt, .. } => (prompt, s.value.clone().unwrap_or_else(|| t.skipped.to_string())),
                NodeKind::Check { prompt, .. } => (prompt, t.check_done.to_string()),
                NodeKind::Outcome(_) => return None,
            };
            let value = match &node.kind {
                NodeKind::Check { .. } => s.value.clone(),
                _ => None,
            };
            Some(TranscriptLine { prompt: prompt.get(locale).to_string(), answer, value, seconds, photo: s.photo })
        })
        .collect();
    let outcome = g.current(steps).and_then(|n| match &n.kind {
        NodeKind::Outcome(Outcome::Resolved { message }) => {
            Some(OutcomeView { message: message.get(locale).to_string(), severity: None, tier: None, technician_hint: None })
        }
        NodeKind::Outcome(Outcome::Escalate { message, severity, tier, technician_hint }) => Some(OutcomeView {
            message: message.get(locale).to_string(),
            severity: Some(*severity),
            tier: Some(*tier),
            technician_hint: Some(technician_hint.get(locale).to_string()),
        }),
        _ => None,
    });
    (lines, outcome)
}

/// The case page. Everything is read on one pooled connection, released
/// before the guide is looked up: a request never holds one connection
/// while it waits for another.
pub async fn detail(pool: &AnyPool, number: &str, viewer: &StaffUser, locale: Locale) -> Result<CaseDetail, AppError> {
    let id = case_number::parse(number).ok_or(AppError::NotFound)?;
    let mut conn = pool.acquire().await?;
    let row: Option<CaseDetailRow> = sqlx::query_as(
        "SELECT c.status, o.name AS org_name, s.name AS site_name, c.asset_id, a.name AS asset, a.model, a.serial, c.reporter_name, \
         c.phone, c.email, c.symptom, c.created_at, c.guide_id, c.guide_version, c.steps, o.timezone AS tz, o.id AS org_id, s.zone FROM cases c \
         JOIN organisations o ON o.id = c.org_id JOIN assets a ON a.id = c.asset_id \
         JOIN sites s ON s.id = a.site_id WHERE c.id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    let CaseDetailRow {
        status,
        org_name,
        site_name,
        asset_id,
        asset,
        model,
        serial,
        reporter_name,
        phone,
        email,
        symptom,
        created_at,
        guide_id,
        guide_version,
        steps,
        tz,
        org_id,
        zone,
    } = row.ok_or(AppError::NotFound)?;
    let log = super::events::load_log(&mut conn, id).await?;
    let state = CaseState::from_log(&log);
    let terms = terms::terms(&mut *conn, org_id).await?;
    let now = now_ms();
    let clocks = terms.clocks(&log, crate::domain::clock::Zone::from_stored(&zone), now);
    let dir = super::present::staff_directory(&mut *conn).await?;
    let t = locale.console_texts();
    let name = |id: Option<i64>| id.map(|i| super::present::actor_name(crate::domain::lifecycle::Actor::Staff { id: i }, &dir, "", ""));
    let reported_on = terms.working.local_date(created_at.div_euclid(60_000));
    let (warranty, billing) = super::warranty::assess(&mut conn, id, reported_on, state.diagnosis.as_ref()).await?;
    drop(conn);
    let repeat = repeat_fault(pool, id, asset_id, &guide_id, reported_on, &terms).await?;
    let steps: Vec<WalkStep> = serde_json::from_str(&steps).map_err(AppError::internal)?;
    let guide_version = u32::try_from(guide_version).unwrap_or_default();
    let guide = guides::find(pool, &guide_id, guide_version).await?;
    let (transcript, guide_outcome) = guide.as_ref().map(|g| transcript(g, &steps, locale)).unwrap_or_default();
    Ok(CaseDetail {
        number: case_number::format(id),
        status: parse_status(&status)?,
        org_name,
        site_name,
        asset_label: format!("{asset} {model}"),
        asset_serial: serial,
        reporter_name,
        phone,
        email,
        symptom,
        reported_at: format_local(created_at, &tz),
        guide_title: guide.as_ref().map(|g| g.title.get(locale).to_string()).unwrap_or_default(),
        guide_id,
        guide_version,
        steps,
        transcript,
        guide_outcome,
        severity: state.severity,
        owner_id: state.owner,
        owner: name(state.owner),
        technician_id: state.technician,
        technician: name(state.technician),
        appointment: state.appointment_ms.map(|ms| format_local(ms, &tz)),
        eta: state.eta_ms.map(|ms| eta_text(ms, &tz)),
        paused: state.paused,
        clocks: clocks.iter().map(|c| super::present::clock_view(c, &tz)).collect(),
        timeline: super::present::timeline(&log, &dir, &tz, t.actor_customer, t.actor_system),
        responders: super::present::staff_options(&dir, false),
        technicians: super::present::staff_options(&dir, true),
        timezone_offset_minutes: terms.working.offsets.at_utc(now.div_euclid(60_000)),
        server_now_ms: now,
        warranty,
        billing,
        repeat,
        quote: state.quote.clone(),
        permits: lifecycle::permitted(
            &state,
            lifecycle::Staff { id: viewer.id, role: viewer.role },
            crate::domain::warranty::needs_quote_approval(billing),
        ),
        state,
    })
}

/// Earlier repairs of the same fault on the unit: the third flags "replace
/// the unit"; one resolved within 30 days makes this a free return visit.
async fn repeat_fault(
    pool: &AnyPool,
    case_id: i64,
    asset_id: i64,
    guide_id: &str,
    on: Date,
    terms: &super::terms::Terms,
) -> Result<Option<RepeatFault>, AppError> {
    if guide_id.is_empty() {
        return Ok(None);
    }
    let earlier: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM cases WHERE asset_id = $1 AND guide_id = $2 AND id < $3 AND status IN ('resolved', 'closed') ORDER BY id",
    )
    .bind(asset_id)
    .bind(guide_id)
    .bind(case_id)
    .fetch_all(pool)
    .await?;
    if earlier.is_empty() {
        return Ok(None);
    }
    let logs = super::events::load_logs(pool, &earlier).await?;
    let history: Vec<(Date, &str, i64)> = earlier
        .iter()
        .filter_map(|id| {
            let resolved = CaseState::from_log(logs.get(id)?).resolved_at_ms?;
            Some((terms.working.local_date(resolved.div_euclid(60_000)), guide_id, *id))
        })
        .collect();
    if history.is_empty() {
        return Ok(None);
    }
    Ok(Some(RepeatFault {
        occurrence: history.len() + 1,
        replace_unit: should_replace_unit(&history, guide_id),
        return_visit_of: return_visit_of(&history, guide_id, on).map(case_number::format),
    }))
}

/// A customer's view of their case, by the token the widget kept. The case
/// must belong to the widget's organisation; staff notes never leave.
pub async fn track(pool: &AnyPool, org_key: &str, token: &str, locale: Locale) -> Result<CaseTrack, AppError> {
    use crate::domain::lifecycle::{Actor, CaseEvent};
    let org = org_by_key(pool, org_key).await?;
    let row: Option<(i64, String, i64, String)> = sqlx::query_as(
        "SELECT c.id, c.symptom, c.created_at, s.zone FROM case_access_tokens t JOIN cases c ON c.id = t.case_id \
         JOIN assets a ON a.id = c.asset_id JOIN sites s ON s.id = a.site_id WHERE t.token_hash = $1 AND c.org_id = $2",
    )
    .bind(token_digest(valid_token(token)?))
    .bind(org.id)
    .fetch_optional(pool)
    .await?;
    let (id, symptom, created_at, zone) = row.ok_or(AppError::NotFound)?;
    let mut conn = pool.acquire().await?;
    let log = super::events::load_log(&mut conn, id).await?;
    drop(conn);
    let state = CaseState::from_log(&log);
    let terms = terms::terms(pool, org.id).await?;
    // The clocks the promise named, as they stand now.
    let promised = [ClockKind::Response, ClockKind::Arrival, ClockKind::Resolution];
    let clocks: Vec<_> = terms
        .clocks(&log, crate::domain::clock::Zone::from_stored(&zone), now_ms())
        .iter()
        .filter(|c| promised.contains(&c.kind))
        .map(|c| super::present::clock_view(c, &terms.timezone))
        .collect();
    let dir = super::present::staff_directory(pool).await?;
    let t = locale.console_texts();
    let visible: Vec<_> = log
        .into_iter()
        .filter_map(|mut e| {
            e.event = match e.event {
                // Staff's notes and the "later than the on-site deadline"
                // flag are for staff; the customer sees who comes and when.
                CaseEvent::Dispatched { technician, appointment_ms, .. } => {
                    CaseEvent::Dispatched { technician, appointment_ms, late: false, notes: String::new() }
                }
                CaseEvent::ReportSigned { signer, signature, hash, .. } => {
                    CaseEvent::ReportSigned { signer, signature, hash, report: String::new() }
                }
                ev @ (CaseEvent::Escalated { .. }
                | CaseEvent::SelfResolved
                | CaseEvent::Claimed
                | CaseEvent::Paused { .. }
                | CaseEvent::Resumed
                | CaseEvent::OnTheWay { .. }
                | CaseEvent::CheckedIn
                | CaseEvent::Resolved { .. }
                | CaseEvent::QuoteIssued { .. }
                | CaseEvent::QuoteAnswered { .. }
                | CaseEvent::InfoAdded { .. }
                | CaseEvent::CustomerMessaged { .. }
                | CaseEvent::Confirmed { .. }
                | CaseEvent::Rated { .. }
                | CaseEvent::ComplaintRaised { .. }
                | CaseEvent::ComplaintAnswered { .. }
                | CaseEvent::UnitSwapped { .. }
                | CaseEvent::UnitReturned { .. }
                | CaseEvent::Closed) => ev,
                _ => return None,
            };
            Some(e)
        })
        .collect();
    let name = |id: Option<i64>| id.map(|i| super::present::actor_name(Actor::Staff { id: i }, &dir, "", ""));
    Ok(CaseTrack {
        number: case_number::format(id),
        status: state.status,
        symptom,
        reported_at: format_local(created_at, &terms.timezone),
        technician: name(state.technician),
        appointment: state.appointment_ms.map(|ms| format_local(ms, &terms.timezone)),
        eta: state.eta_ms.map(|ms| eta_text(ms, &terms.timezone)),
        updates: super::present::timeline(&visible, &dir, &terms.timezone, t.actor_customer, t.actor_system),
        names: state.technician.into_iter().filter_map(|id| Some((id, dir.get(&id)?.0.clone()))).collect(),
        quote: state.quote.clone(),
        state,
        clocks,
    })
}

/// An arrival time as the customer reads it: `14:30` (it is hours away at most).
fn eta_text(ms: i64, timezone: &str) -> String {
    let local = format_local(ms, timezone);
    local.get(11..).unwrap_or(&local).to_string()
}

fn valid_token(token: &str) -> Result<&str, AppError> {
    if token.len() == 64 && token.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(token)
    } else {
        Err(AppError::NotFound)
    }
}

/// The case a customer's token opens, within the widget's organisation.
pub async fn case_for_token(pool: &AnyPool, org_key: &str, token: &str) -> Result<i64, AppError> {
    let org = org_by_key(pool, org_key).await?;
    sqlx::query_scalar("SELECT c.id FROM case_access_tokens t JOIN cases c ON c.id = t.case_id WHERE t.token_hash = $1 AND c.org_id = $2")
        .bind(token_digest(valid_token(token)?))
        .bind(org.id)
        .fetch_optional(pool)
        .await?
        .ok_or(AppError::NotFound)
}
