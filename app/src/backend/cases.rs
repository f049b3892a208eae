//! Cases in the database: creation from the widget, the staff queue and the
//! case page.

use sqlx::AnyPool;

use super::auth::{new_token, token_digest};
use super::db::{format_local, now_ms};
use super::guides;
use super::lifecycle as staff_actions;
use super::service;
use crate::domain::guide::{Guide, NodeKind, Outcome, Severity, WalkError, WalkStep};
use crate::domain::{case_number, intake};
use crate::errors::{AppError, Field, FieldError, Problem};
use crate::i18n::Locale;
use crate::domain::lifecycle::CaseState;
use crate::domain::calendar::Date;
use crate::domain::promise::ServiceTerms;
use crate::domain::warranty::{return_visit_of, should_replace_unit};
use crate::models::{
    AssetOption, CaseDetail, CaseReceipt, CaseStatus, CaseSubmission, GuideOffer, GuideResult, OutcomeView, Queue, QueueFilter,
    CaseTrack, QueueRow, RepeatFault, StaffUser, TranscriptLine, WidgetInfo,
};
use std::collections::HashMap;

pub(crate) struct Org {
    pub(crate) id: i64,
    name: String,
    company_name: String,
    hotline: String,
    allowed_origins: String,
    theme_color: String,
    logo_sha256: String,
}

/// Widget keys are short; anything else is not looked up.
fn plausible_key(key: &str) -> bool {
    !key.is_empty() && key.len() <= 64
}

pub(crate) async fn org_by_key(pool: &AnyPool, key: &str) -> Result<Org, AppError> {
    if !plausible_key(key) {
        return Err(AppError::NotFound);
    }
    let row: Option<(i64, String, String, String, String, String, String)> = sqlx::query_as(
        "SELECT o.id, o.name, c.name, c.hotline, o.allowed_origins, o.theme_color, o.logo_sha256 FROM organisations o \
         JOIN companies c ON c.id = o.company_id WHERE o.widget_key = $1",
    )
    .bind(key)
    .fetch_optional(pool)
    .await?;
    let (id, name, company_name, hotline, allowed_origins, theme_color, logo_sha256) = row.ok_or(AppError::NotFound)?;
    Ok(Org { id, name, company_name, hotline, allowed_origins, theme_color, logo_sha256 })
}

/// The organisation's logo for its widget: type, content hash and bytes.
pub async fn widget_logo(pool: &AnyPool, org_key: &str) -> Result<(String, String, Vec<u8>), AppError> {
    if !plausible_key(org_key) {
        return Err(AppError::NotFound);
    }
    let row: Option<(String, String, Option<Vec<u8>>)> =
        sqlx::query_as("SELECT logo_mime, logo_sha256, logo FROM organisations WHERE widget_key = $1").bind(org_key).fetch_optional(pool).await?;
    match row {
        Some((mime, sha256, Some(bytes))) if !mime.is_empty() => Ok((mime, sha256, bytes)),
        _ => Err(AppError::NotFound),
    }
}

pub async fn widget_info(pool: &AnyPool, org_key: &str) -> Result<WidgetInfo, AppError> {
    let org = org_by_key(pool, org_key).await?;
    let assets: Vec<(i64, String, String, String, String)> = sqlx::query_as(
        "SELECT a.id, a.name, a.model, s.name, a.serial FROM assets a JOIN sites s ON s.id = a.site_id \
         WHERE a.org_id = $1 ORDER BY s.name, a.name, a.id",
    )
    .bind(org.id)
    .fetch_all(pool)
    .await?;
    Ok(WidgetInfo {
        org_name: org.name,
        company_name: org.company_name,
        hotline: org.hotline,
        assets: assets
            .into_iter()
            .map(|(id, name, model, site, serial)| AssetOption { id, label: format!("{name} {model}（{site}）"), serial })
            .collect(),
        allowed_origins: org.allowed_origins.split_whitespace().map(String::from).collect(),
        theme_color: org.theme_color,
        logo_url: super::service::logo_url(org_key, &org.logo_sha256),
    })
}

/// The kind of an asset that belongs to the organisation.
async fn asset_kind(pool: &AnyPool, org_id: i64, asset_id: i64) -> Result<Option<String>, AppError> {
    Ok(sqlx::query_scalar("SELECT kind FROM assets WHERE id = $1 AND org_id = $2")
        .bind(asset_id)
        .bind(org_id)
        .fetch_optional(pool)
        .await?)
}

/// Starts a guide session (analytics) for a walk the widget begins.
pub async fn start_guide_session(pool: &AnyPool, org_key: &str, session_id: &str, guide_id: &str, version: u32) -> Result<(), AppError> {
    let org = org_by_key(pool, org_key).await?;
    if !guides::valid_session_id(session_id) {
        return Err(AppError::BadRequest);
    }
    let g = guides::find(pool, guide_id, version).await?.ok_or(AppError::NotFound)?;
    guides::start_session(pool, org.id, session_id, &g).await
}

pub async fn guide_progress(pool: &AnyPool, org_key: &str, session_id: &str, last_node: &str, steps: u32) -> Result<(), AppError> {
    let org = org_by_key(pool, org_key).await?;
    if !guides::valid_session_id(session_id) || last_node.is_empty() || last_node.len() > 64 || steps > 64 {
        return Err(AppError::BadRequest);
    }
    guides::record_progress(pool, org.id, session_id, last_node, steps).await
}

pub async fn guide_offer(pool: &AnyPool, org_key: &str, asset_id: i64) -> Result<GuideOffer, AppError> {
    let org = org_by_key(pool, org_key).await?;
    let kind = asset_kind(pool, org.id, asset_id).await?.ok_or(AppError::NotFound)?;
    let guides = guides::for_equipment(pool, &kind).await?;
    let (commissioned_on, warranty_months, manufacturer_months, components, zone): (String, i64, Option<i64>, String, String) = sqlx::query_as(
        "SELECT a.commissioned_on, a.warranty_months, a.manufacturer_months, a.component_terms, s.zone          FROM assets a JOIN sites s ON s.id = a.site_id WHERE a.id = $1",
    )
    .bind(asset_id)
    .fetch_one(pool)
    .await?;
    let t = service::terms(pool, org.id).await?;
    let warranty = crate::domain::calendar::Date::parse(&commissioned_on).map(|start| crate::domain::warranty::Warranty {
        start,
        months: u32::try_from(warranty_months).unwrap_or(0),
        manufacturer_months: manufacturer_months.and_then(|m| u32::try_from(m).ok()),
        components: crate::domain::warranty::parse_components(&components),
    });
    let terms = ServiceTerms { policy: t.policy, working: t.working, always: t.always, zone: service::parse_zone(&zone), warranty };
    Ok(GuideOffer { asset_id, guides, server_now_ms: now_ms(), terms: Some(terms), received_at_ms: 0 })
}

pub(crate) fn valid_submission_id(s: &str) -> bool {
    (16..=64).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// The submission id is a secret of the reporting browser (it proves a
/// retry is the same report): only its hash is stored.
pub(crate) fn submission_hash(submission_id: &str) -> String {
    format!("sha256:{}", token_digest(submission_id))
}

/// What a submission says, hashed: a replayed id gets the receipt only when
/// it carries the same report.
fn submission_digest(org_id: i64, s: &CaseSubmission, phone: &str) -> String {
    let canonical = serde_json::json!([
        org_id,
        s.asset_id,
        s.reporter_name.trim(),
        phone,
        s.symptom.trim(),
        s.guide_id,
        s.guide_version,
        s.steps,
        s.result,
        s.session_id,
    ]);
    token_digest(&canonical.to_string())
}

/// Validates everything, then creates the case in one transaction. A repeat
/// of the same submission (retry, double click, a reload after a crash)
/// returns the case already created, with a fresh token for this browser.
pub async fn submit(pool: &AnyPool, limits: &super::limits::Limits, mut s: CaseSubmission) -> Result<CaseReceipt, AppError> {
    let org = org_by_key(pool, &s.org_key).await?;
    if !valid_submission_id(&s.submission_id) {
        return Err(AppError::BadRequest);
    }
    let report = intake::Report { reporter_name: &s.reporter_name, phone: &s.phone, asset_id: s.asset_id, symptom: &s.symptom };
    let mut errors = intake::validate(&report);
    let mut kind = None;
    if let Some(asset_id) = s.asset_id {
        kind = asset_kind(pool, org.id, asset_id).await?;
        if kind.is_none() {
            errors.push(FieldError { field: Field::Asset, problem: Problem::UnknownAsset });
        }
    }
    // The walk must follow a guide offered for this asset. A customer may
    // escalate at any point (an unfinished walk), or with no guide at all;
    // a self-fix must have reached a "resolved" outcome.
    let mut final_node = None;
    let mut severity = Severity::General;
    let walk_fits = if s.guide_id.is_empty() {
        s.steps.is_empty() && s.result == GuideResult::Escalate
    } else {
        match guides::find(pool, &s.guide_id, s.guide_version).await? {
            Some(g) if kind.as_ref().is_none_or(|k| g.equipment.contains(k)) => {
                final_node = g.current(&s.steps).map(|n| n.id.clone());
                if let Ok(Outcome::Escalate { severity: suggested, .. }) = g.replay(&s.steps) {
                    severity = *suggested;
                }
                matches!(
                    (g.replay(&s.steps), s.result),
                    (Ok(Outcome::Resolved { .. }), GuideResult::SelfResolved)
                        | (Ok(Outcome::Escalate { .. }) | Err(WalkError::NotFinished), GuideResult::Escalate)
                )
            }
            _ => false,
        }
    };
    if s.session_id.as_deref().is_some_and(|id| !guides::valid_session_id(id)) {
        return Err(AppError::BadRequest);
    }
    if !walk_fits {
        errors.push(FieldError { field: Field::Steps, problem: Problem::InvalidSteps });
    }
    if !errors.is_empty() {
        return Err(AppError::invalid(errors));
    }

    let status = match s.result {
        GuideResult::SelfResolved => CaseStatus::SelfResolved,
        GuideResult::Escalate => CaseStatus::Escalated,
    };
    let phone = intake::normalise_phone(&s.phone).unwrap_or_default();
    let digest = submission_digest(org.id, &s, &phone);
    let submission = submission_hash(&s.submission_id);
    let token = new_token();
    // Two browsers racing with one id on PostgreSQL: the loser of the
    // unique index tries once more and finds the winner's case.
    for attempt in 0..2 {
        let mut tx = super::db::begin_write(pool).await?;
        let existing: Option<(i64, Option<String>)> =
            sqlx::query_as("SELECT id, submission_digest FROM cases WHERE org_id = $1 AND submission_id = $2")
                .bind(org.id)
                .bind(&submission)
                .fetch_optional(&mut *tx)
                .await?;
        let case_id = match existing {
            Some((id, stored)) if stored.as_deref() == Some(digest.as_str()) => id,
            Some(_) => {
                tracing::warn!(org = org.id, "a submission id was replayed with another report; refused");
                return Err(AppError::Conflict);
            }
            None => {
                limits.check_daily_cases(&mut tx, org.id, &s.org_key).await?;
                match create(&mut tx, org.id, &mut s, status, severity, &phone, &submission, &digest, final_node.as_deref()).await {
                    Ok(id) => id,
                    Err(AppError::Conflict) if attempt == 0 => {
                        tx.rollback().await?;
                        continue;
                    }
                    Err(e) => return Err(e),
                }
            }
        };
        sqlx::query("INSERT INTO case_access_tokens (token_hash, case_id, created_at) VALUES ($1, $2, $3)")
            .bind(token_digest(&token))
            .bind(case_id)
            .bind(now_ms())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        tracing::info!(case = %case_number::format(case_id), status = status.as_str(), "case submitted");
        return Ok(CaseReceipt { number: case_number::format(case_id), access_token: token });
    }
    Err(AppError::Conflict)
}

/// Inserts the case, its first event and its schedule; claims the walk's
/// photos and closes its guide session. `Conflict` when another request
/// stored the same submission first.
#[allow(clippy::too_many_arguments)]
async fn create(
    tx: &mut sqlx::AnyConnection,
    org_id: i64,
    s: &mut CaseSubmission,
    status: CaseStatus,
    severity: Severity,
    phone: &str,
    submission: &str,
    digest: &str,
    final_node: Option<&str>,
) -> Result<i64, AppError> {
    use crate::domain::lifecycle::{Actor, CaseEvent, LoggedEvent};
    let now = now_ms();
    let steps_json = serde_json::to_string(&s.steps).map_err(AppError::internal)?;
    let inserted: Result<i64, sqlx::Error> = sqlx::query_scalar(
        "INSERT INTO cases (org_id, asset_id, submission_id, reporter_name, phone, symptom, status, \
         guide_id, guide_version, steps, created_at, severity, submission_digest) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id",
    )
    .bind(org_id)
    .bind(s.asset_id)
    .bind(submission)
    .bind(s.reporter_name.trim())
    .bind(phone)
    .bind(s.symptom.trim())
    .bind(status.as_str())
    .bind(&s.guide_id)
    .bind(s.guide_version as i64)
    .bind(&steps_json)
    .bind(now)
    .bind(severity.as_str())
    .bind(digest)
    .fetch_one(&mut *tx)
    .await;
    let id = match inserted {
        Ok(id) => id,
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => return Err(AppError::Conflict),
        Err(e) => return Err(e.into()),
    };
    sqlx::query("INSERT INTO case_events (case_id, at, kind, actor, data) VALUES ($1, $2, $3, $4, $5)")
        .bind(id)
        .bind(now)
        .bind(status.as_str())
        .bind("customer")
        .bind(serde_json::json!({ "reporter": s.reporter_name.trim(), "severity": severity }).to_string())
        .execute(&mut *tx)
        .await?;
    let before = s.steps.clone();
    super::visits::claim_walk_photos(tx, org_id, submission, id, &mut s.steps).await?;
    if s.steps != before {
        sqlx::query("UPDATE cases SET steps = $1 WHERE id = $2")
            .bind(serde_json::to_string(&s.steps).map_err(AppError::internal)?)
            .bind(id)
            .execute(&mut *tx)
            .await?;
    }
    if let (Some(session), Some(node)) = (&s.session_id, final_node) {
        guides::finish_session(&mut *tx, org_id, session, node, s.steps.len() as u32, status.as_str(), id).await?;
    }
    let case = staff_actions::lock_case(tx, id).await?;
    let event = match status {
        CaseStatus::SelfResolved => CaseEvent::SelfResolved,
        _ => CaseEvent::Escalated { severity },
    };
    let log = [LoggedEvent { at_ms: now, actor: Actor::Customer, event }];
    super::schedule::store(tx, id, super::schedule::schedule(&log, &case.terms, case.zone, now)).await?;
    Ok(id)
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
    let mut conds = String::from(" WHERE c.status <> 'self_resolved'");
    let mut binds = Vec::new();
    let mut cond = |sql: &mut String, clause: &str, b: Bind| {
        binds.push(b);
        sql.push_str(&clause.replace("$?", &format!("${}", binds.len())));
    };
    let search = filter.search.trim();
    if let Some(status) = filter.status {
        cond(&mut conds, " AND c.status = $?", Bind::Text(status.as_str().into()));
    } else if search.is_empty() {
        // Exactly the queue index's condition, so it is used.
        conds.push_str(&format!(" AND c.status IN {OPEN_STATUSES}"));
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
    let from = " FROM cases c JOIN organisations o ON o.id = c.org_id JOIN assets a ON a.id = c.asset_id JOIN sites s ON s.id = a.site_id";
    let count_sql = format!("SELECT COUNT(*){from}{conds}");
    let total: i64 = {
        use sqlx::Row;
        bind_all(&count_sql, &binds).fetch_one(pool).await?.try_get(0)?
    };
    let sql = format!(
        "SELECT c.id, o.id, o.name, a.name, a.model, c.symptom, c.created_at, c.status, o.timezone, s.zone, c.owner_id{from}{conds} \
         ORDER BY c.next_deadline_ms, c.id LIMIT {}",
        filter.page_size()
    );
    type Row = (i64, i64, String, String, String, String, i64, String, String, String, Option<i64>);
    let rows: Vec<Row> = {
        use sqlx::FromRow;
        bind_all(&sql, &binds).fetch_all(pool).await?.iter().map(Row::from_row).collect::<Result<_, _>>()?
    };
    let logs = staff_actions::load_logs(pool, &rows.iter().map(|r| r.0).collect::<Vec<_>>()).await?;
    let dir = staff_actions::staff_directory(pool).await?;
    let mut terms_by_org = HashMap::new();
    let mut out = Vec::new();
    for (id, org_id, org_name, asset, model, symptom, created_at, status, tz, zone, owner) in rows {
        if !terms_by_org.contains_key(&org_id) {
            terms_by_org.insert(org_id, service::terms(pool, org_id).await?);
        }
        let terms = &terms_by_org[&org_id];
        let log = logs.get(&id).map(Vec::as_slice).unwrap_or_default();
        let state = CaseState::from_log(log);
        let clocks = staff_actions::clock_states(log, terms, service::parse_zone(&zone), now);
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
            next_clock: next.map(|c| staff_actions::clock_view(c, &tz)),
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
pub async fn detail(pool: &AnyPool, number: &str, locale: Locale) -> Result<CaseDetail, AppError> {
    let id = case_number::parse(number).ok_or(AppError::NotFound)?;
    let mut conn = pool.acquire().await?;
    type Row = (String, String, String, String, String, String, String, String, String, i64, String, i64, String, String, i64, String);
    let row: Option<Row> = sqlx::query_as(
        "SELECT c.status, o.name, s.name, a.name, a.model, a.serial, c.reporter_name, c.phone, c.symptom, \
         c.created_at, c.guide_id, c.guide_version, c.steps, o.timezone, o.id, s.zone FROM cases c \
         JOIN organisations o ON o.id = c.org_id JOIN assets a ON a.id = c.asset_id \
         JOIN sites s ON s.id = a.site_id WHERE c.id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    let (status, org_name, site_name, asset, model, serial, reporter_name, phone, symptom, created_at, guide_id, guide_version, steps, tz, org_id, zone) =
        row.ok_or(AppError::NotFound)?;
    let asset_id: i64 = sqlx::query_scalar("SELECT asset_id FROM cases WHERE id = $1").bind(id).fetch_one(&mut *conn).await?;
    let log = staff_actions::load_log(&mut conn, id).await?;
    let state = CaseState::from_log(&log);
    let terms = service::terms(&mut *conn, org_id).await?;
    let now = now_ms();
    let clocks = staff_actions::clock_states(&log, &terms, service::parse_zone(&zone), now);
    let dir = staff_actions::staff_directory(&mut *conn).await?;
    let t = locale.console_texts();
    let name = |id: Option<i64>| id.map(|i| staff_actions::actor_name(crate::domain::lifecycle::Actor::Staff { id: i }, &dir, "", ""));
    let reported_on = terms.working.local_date(created_at.div_euclid(60_000));
    let (warranty, billing) = super::visits::assess(&mut conn, id, reported_on, state.diagnosis.as_ref()).await?;
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
        paused: state.paused,
        clocks: clocks.iter().map(|c| staff_actions::clock_view(c, &tz)).collect(),
        timeline: staff_actions::timeline(&log, &dir, &tz, t.actor_customer, t.actor_system),
        responders: staff_actions::staff_options(&dir, false),
        technicians: staff_actions::staff_options(&dir, true),
        timezone_offset_minutes: terms.working.offsets.at_utc(now.div_euclid(60_000)),
        server_now_ms: now,
        warranty,
        billing,
        repeat,
        quote: state.quote.clone(),
        state,
    })
}

/// Earlier repairs of the same fault on the unit: the third flags "replace
/// the unit"; one resolved within 30 days makes this a free return visit.
async fn repeat_fault(pool: &AnyPool, case_id: i64, asset_id: i64, guide_id: &str, on: Date, terms: &service::Terms) -> Result<Option<RepeatFault>, AppError> {
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
    let logs = staff_actions::load_logs(pool, &earlier).await?;
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
    let row: Option<(i64, String, i64)> = sqlx::query_as(
        "SELECT c.id, c.symptom, c.created_at FROM case_access_tokens t JOIN cases c ON c.id = t.case_id \
         WHERE t.token_hash = $1 AND c.org_id = $2",
    )
    .bind(token_digest(valid_token(token)?))
    .bind(org.id)
    .fetch_optional(pool)
    .await?;
    let (id, symptom, created_at) = row.ok_or(AppError::NotFound)?;
    let mut conn = pool.acquire().await?;
    let log = staff_actions::load_log(&mut conn, id).await?;
    drop(conn);
    let state = CaseState::from_log(&log);
    let terms = service::terms(pool, org.id).await?;
    let dir = staff_actions::staff_directory(pool).await?;
    let t = locale.console_texts();
    let visible: Vec<_> = log
        .into_iter()
        .filter_map(|mut e| {
            e.event = match e.event {
                CaseEvent::Dispatched { technician, appointment_ms, late, .. } => {
                    CaseEvent::Dispatched { technician, appointment_ms, late, notes: String::new() }
                }
                CaseEvent::ReportSigned { signer, signature, hash, .. } => CaseEvent::ReportSigned { signer, signature, hash, report: String::new() },
                ev @ (CaseEvent::Escalated { .. }
                | CaseEvent::SelfResolved
                | CaseEvent::Claimed
                | CaseEvent::Paused { .. }
                | CaseEvent::Resumed
                | CaseEvent::CheckedIn
                | CaseEvent::Resolved { .. }
                | CaseEvent::QuoteIssued { .. }
                | CaseEvent::QuoteAnswered { .. }
                | CaseEvent::InfoAdded { .. }
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
    let name = |id: Option<i64>| id.map(|i| staff_actions::actor_name(Actor::Staff { id: i }, &dir, "", ""));
    Ok(CaseTrack {
        number: case_number::format(id),
        status: state.status,
        symptom,
        reported_at: format_local(created_at, &terms.timezone),
        technician: name(state.technician),
        appointment: state.appointment_ms.map(|ms| format_local(ms, &terms.timezone)),
        updates: staff_actions::timeline(&visible, &dir, &terms.timezone, t.actor_customer, t.actor_system),
        names: state.technician.into_iter().filter_map(|id| Some((id, dir.get(&id)?.0.clone()))).collect(),
        quote: state.quote.clone(),
        state,
    })
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
    sqlx::query_scalar(
        "SELECT c.id FROM case_access_tokens t JOIN cases c ON c.id = t.case_id WHERE t.token_hash = $1 AND c.org_id = $2",
    )
    .bind(token_digest(valid_token(token)?))
    .bind(org.id)
    .fetch_optional(pool)
    .await?
    .ok_or(AppError::NotFound)
}

/// Submission ids stored in plain text by earlier versions are replaced by
/// their hash (cases and walk photos). Returns how many were changed.
pub async fn hash_plain_submission_ids(pool: &AnyPool) -> Result<usize, AppError> {
    let mut changed = 0;
    for table in ["cases", "attachments"] {
        let rows: Vec<(i64, String)> = sqlx::query_as(&format!(
            "SELECT id, submission_id FROM {table} WHERE submission_id IS NOT NULL AND submission_id NOT LIKE 'sha256:%'"
        ))
        .fetch_all(pool)
        .await?;
        if rows.is_empty() {
            continue;
        }
        let mut tx = super::db::begin_write(pool).await?;
        for (id, plain) in &rows {
            sqlx::query(&format!("UPDATE {table} SET submission_id = $1 WHERE id = $2"))
                .bind(submission_hash(plain))
                .bind(*id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        changed += rows.len();
    }
    Ok(changed)
}
