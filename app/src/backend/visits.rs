//! After the fix: attachments (photos, signatures), the signed service
//! report, warranty with component terms and downtime, the customer's own
//! actions from the widget, and the lists staff work from (today's visits,
//! return visits, complaints, loaners, ratings).

use std::collections::HashMap;

use sha2::{Digest, Sha256};
use sqlx::{AnyConnection, AnyPool};

use super::db::{format_local, now_ms};
use super::lifecycle::{self as staff_actions, append, load_log, load_logs, lock_case};
use super::live::Live;
use super::service;
use crate::domain::calendar::Date;
use crate::domain::case_number;
use crate::domain::clock::ClockKind;
use crate::domain::lifecycle::{self, Actor, CaseEvent, CaseState, CustomerAction, Diagnosis, LoggedEvent, PartUsed};
use crate::domain::promise::WarrantyStatus;
use crate::domain::warranty::{self, BillingClass, Warranty};
use crate::errors::{AppError, UploadProblem};
use crate::models::{
    CaseStatus, ComplaintRow, FollowUps, ReportPage, ReportView, ReturnVisitRow, Role, SignedReport, StaffUser, SwapRow, TechnicianRating,
    VisitRow, WorkView,
};

pub const MAX_PHOTO_BYTES: usize = 5 * 1024 * 1024;
pub const MAX_SIGNATURE_BYTES: usize = 150 * 1024;

/// What kind of file: the bytes decide, never the name or the declared type.
pub fn sniff_image(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.len() > 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    }
}

/// Where a file belongs: a case, or a guide walk that is not a case yet
/// (the organisation and the widget's submission id).
#[derive(Debug, Clone, Copy)]
pub enum AttachTo<'a> {
    Case(i64),
    Walk { org_id: i64, submission_id: &'a str },
}

/// At most this many photos per guide walk before it becomes a case.
pub const MAX_WALK_PHOTOS: u32 = 6;
/// Walk photos never claimed by a case are deleted after this long.
pub const WALK_PHOTO_KEEP_MS: i64 = 7 * 24 * 3600 * 1000;

/// Stores a photo or signature; returns its id.
pub async fn store_attachment(
    conn: &mut AnyConnection,
    to: AttachTo<'_>,
    kind: &str,
    name: &str,
    bytes: &[u8],
    by: Actor,
) -> Result<i64, AppError> {
    let limit = if kind == "signature" { MAX_SIGNATURE_BYTES } else { MAX_PHOTO_BYTES };
    if bytes.is_empty() {
        return Err(AppError::InvalidUpload { problem: UploadProblem::Empty });
    }
    if bytes.len() > limit {
        return Err(AppError::InvalidUpload { problem: UploadProblem::TooLarge { max_kb: (limit / 1024) as u32 } });
    }
    let mime = sniff_image(bytes).ok_or(AppError::InvalidUpload { problem: UploadProblem::NotAnImage })?;
    if kind == "signature" && mime != "image/png" {
        return Err(AppError::InvalidUpload { problem: UploadProblem::NotAnImage });
    }
    let name: String = name.chars().filter(|c| !c.is_control()).take(120).collect();
    let digest = hex(&Sha256::digest(bytes));
    let (case_id, org_id, submission_id) = match to {
        AttachTo::Case(id) => (Some(id), None, None),
        AttachTo::Walk { org_id, submission_id } => (None, Some(org_id), Some(submission_id.to_string())),
    };
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO attachments (case_id, kind, mime, name, size, sha256, data, uploaded_by, created_at, org_id, submission_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
    )
    .bind(case_id)
    .bind(kind)
    .bind(mime)
    .bind(name)
    .bind(bytes.len() as i64)
    .bind(digest)
    .bind(bytes)
    .bind(by.encode())
    .bind(now_ms())
    .bind(org_id)
    .bind(submission_id)
    .fetch_one(&mut *conn)
    .await?;
    Ok(id)
}

/// Photos a customer may add to one case (the guide walk's included).
pub const MAX_CUSTOMER_PHOTOS_PER_CASE: i64 = 20;
/// Everything stored on one case, by anyone.
pub const MAX_CASE_BYTES: i64 = 200 * 1024 * 1024;
/// Walk photos an organisation may hold that no case has claimed yet: a
/// client can pick any number of submission ids, so this bounds the disk.
pub const MAX_UNCLAIMED_BYTES_PER_ORG: i64 = 100 * 1024 * 1024;

/// Uploads a photo to a case, by staff or by the customer's case token. A
/// technician may add photos only to a case dispatched to them.
pub async fn upload_photo(pool: &AnyPool, case_id: i64, name: &str, bytes: &[u8], by: Actor, role: Option<Role>) -> Result<i64, AppError> {
    let mut tx = super::db::begin_write(pool).await?;
    let technician: Option<Option<i64>> =
        sqlx::query_scalar("SELECT technician_id FROM cases WHERE id = $1").bind(case_id).fetch_optional(&mut *tx).await?;
    let technician = technician.ok_or(AppError::NotFound)?;
    if let (Actor::Staff { id }, Some(Role::Technician)) = (by, role) {
        if technician != Some(id) {
            return Err(AppError::Forbidden);
        }
    }
    let (count, size): (i64, Option<i64>) = sqlx::query_as(
        "SELECT COUNT(CASE WHEN uploaded_by = 'customer' THEN 1 END), CAST(SUM(size) AS BIGINT) FROM attachments WHERE case_id = $1",
    )
    .bind(case_id)
    .fetch_one(&mut *tx)
    .await?;
    if by == Actor::Customer && count >= MAX_CUSTOMER_PHOTOS_PER_CASE {
        return Err(AppError::InvalidUpload { problem: UploadProblem::TooMany { max: MAX_CUSTOMER_PHOTOS_PER_CASE as u32 } });
    }
    if size.unwrap_or(0) + bytes.len() as i64 > MAX_CASE_BYTES {
        return Err(AppError::InvalidUpload { problem: UploadProblem::StorageFull });
    }
    let id = store_attachment(&mut tx, AttachTo::Case(case_id), "photo", name, bytes, by).await?;
    tx.commit().await?;
    tracing::info!(case = case_id, attachment = id, size = bytes.len(), "photo uploaded");
    Ok(id)
}

/// A photo taken during a guide walk, before there is a case: kept against
/// the organisation and the hash of the widget's submission id until that
/// submission arrives (`claim_walk_photos`). A submission already made
/// takes photos through its case token instead.
pub async fn upload_walk_photo(pool: &AnyPool, org_key: &str, submission_id: &str, name: &str, bytes: &[u8]) -> Result<i64, AppError> {
    let org = super::cases::org_by_key(pool, org_key).await?;
    if !super::cases::valid_submission_id(submission_id) {
        return Err(AppError::BadRequest);
    }
    let submission = super::cases::submission_hash(submission_id);
    let mut tx = super::db::begin_write(pool).await?;
    let submitted: Option<i64> = sqlx::query_scalar("SELECT id FROM cases WHERE org_id = $1 AND submission_id = $2")
        .bind(org.id)
        .bind(&submission)
        .fetch_optional(&mut *tx)
        .await?;
    if submitted.is_some() {
        return Err(AppError::Conflict);
    }
    let held: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM attachments WHERE org_id = $1 AND submission_id = $2")
        .bind(org.id)
        .bind(&submission)
        .fetch_one(&mut *tx)
        .await?;
    if held >= i64::from(MAX_WALK_PHOTOS) {
        return Err(AppError::InvalidUpload { problem: UploadProblem::TooMany { max: MAX_WALK_PHOTOS } });
    }
    let unclaimed: Option<i64> = sqlx::query_scalar("SELECT CAST(SUM(size) AS BIGINT) FROM attachments WHERE org_id = $1 AND case_id IS NULL")
        .bind(org.id)
        .fetch_one(&mut *tx)
        .await?;
    if unclaimed.unwrap_or(0) + bytes.len() as i64 > MAX_UNCLAIMED_BYTES_PER_ORG {
        tracing::warn!(org = org.id, "walk photo refused: the organisation's unclaimed photo quota is full");
        return Err(AppError::InvalidUpload { problem: UploadProblem::StorageFull });
    }
    let id = store_attachment(&mut tx, AttachTo::Walk { org_id: org.id, submission_id: &submission }, "photo", name, bytes, Actor::Customer).await?;
    tx.commit().await?;
    tracing::info!(org = org.id, attachment = id, size = bytes.len(), "walk photo uploaded");
    Ok(id)
}

/// Moves a submission's walk photos onto its new case. Photo references in
/// the walk that are not this submission's (or were purged) are dropped, so
/// a walk can never point at another customer's file.
pub async fn claim_walk_photos(
    conn: &mut AnyConnection,
    org_id: i64,
    submission_id: &str,
    case_id: i64,
    steps: &mut [crate::domain::guide::WalkStep],
) -> Result<(), AppError> {
    sqlx::query("UPDATE attachments SET case_id = $1 WHERE org_id = $2 AND submission_id = $3 AND case_id IS NULL")
        .bind(case_id)
        .bind(org_id)
        .bind(submission_id)
        .execute(&mut *conn)
        .await?;
    for step in steps.iter_mut() {
        let Some(id) = step.photo else { continue };
        let ours: Option<i64> = sqlx::query_scalar("SELECT id FROM attachments WHERE id = $1 AND case_id = $2 AND kind = 'photo'")
            .bind(id)
            .bind(case_id)
            .fetch_optional(&mut *conn)
            .await?;
        if ours.is_none() {
            tracing::warn!(case = case_id, attachment = id, "walk names a photo that is not its own; dropped");
            step.photo = None;
        }
    }
    Ok(())
}

/// Deletes walk photos whose walk never became a case.
pub async fn purge_unclaimed_walk_photos(pool: &AnyPool, now: i64) -> Result<u64, AppError> {
    let done = sqlx::query("DELETE FROM attachments WHERE case_id IS NULL AND created_at < $1")
        .bind(now - WALK_PHOTO_KEEP_MS)
        .execute(pool)
        .await?;
    Ok(done.rows_affected())
}

/// A stored file for staff: (mime, bytes).
pub async fn attachment(pool: &AnyPool, id: i64) -> Result<(String, Vec<u8>), AppError> {
    let row: Option<(String, Vec<u8>)> =
        sqlx::query_as("SELECT mime, data FROM attachments WHERE id = $1").bind(id).fetch_optional(pool).await?;
    row.ok_or(AppError::NotFound)
}

/// Photo ids named in an event must be this case's photos.
async fn check_photos(conn: &mut AnyConnection, case_id: i64, photos: &[i64]) -> Result<(), AppError> {
    for id in photos {
        let found: Option<i64> = sqlx::query_scalar("SELECT id FROM attachments WHERE id = $1 AND case_id = $2 AND kind = 'photo'")
            .bind(*id)
            .bind(case_id)
            .fetch_optional(&mut *conn)
            .await?;
        if found.is_none() {
            return Err(AppError::BadRequest);
        }
    }
    Ok(())
}

pub fn photos_of(action: &lifecycle::CaseAction) -> &[i64] {
    match action {
        lifecycle::CaseAction::RecordWork { photos, .. } => photos,
        _ => &[],
    }
}

pub async fn check_action_photos(conn: &mut AnyConnection, case_id: i64, action: &lifecycle::CaseAction) -> Result<(), AppError> {
    check_photos(conn, case_id, photos_of(action)).await
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

// ---- Warranty ----------------------------------------------------------

/// Warranty on the day of the report and who pays, with the asset's
/// manufacturer and component terms, downtime of earlier covered repairs
/// added, and the diagnosis (cause, exclusion, component) applied.
pub async fn assess(conn: &mut AnyConnection, case_id: i64, on: Date, diagnosis: Option<&Diagnosis>) -> Result<(WarrantyStatus, BillingClass), AppError> {
    let (asset_id, created_at, commissioned_on, months, manufacturer, components): (i64, i64, String, i64, Option<i64>, String) = sqlx::query_as(
        "SELECT a.id, c.created_at, a.commissioned_on, a.warranty_months, a.manufacturer_months, a.component_terms \
         FROM cases c JOIN assets a ON a.id = c.asset_id WHERE c.id = $1",
    )
    .bind(case_id)
    .fetch_one(&mut *conn)
    .await?;
    let Some(start) = Date::parse(&commissioned_on) else {
        return Ok((WarrantyStatus::Unknown, warranty::billing_with_cause(false, false, diagnosis.map(|d| d.cause), diagnosis.and_then(|d| d.exclusion))));
    };
    let w = Warranty {
        start,
        months: u32::try_from(months).unwrap_or(0),
        manufacturer_months: manufacturer.and_then(|m| u32::try_from(m).ok()),
        components: warranty::parse_components(&components),
    };
    let component = diagnosis.map(|d| d.component.as_str()).filter(|c| !c.is_empty());
    // Downtime recorded on this unit's earlier repairs made while covered.
    let rows: Vec<(i64, String)> = sqlx::query_as(
        "SELECT c.created_at, e.data FROM case_events e JOIN cases c ON c.id = e.case_id \
         WHERE c.asset_id = $1 AND c.id <> $2 AND c.created_at < $3 AND e.kind = 'work_recorded'",
    )
    .bind(asset_id)
    .bind(case_id)
    .bind(created_at)
    .fetch_all(&mut *conn)
    .await?;
    let base_end = w.end(component, 0);
    let downtime: i64 = rows
        .iter()
        .filter(|(at, _)| Date::from_days(at.div_euclid(86_400_000)) <= base_end)
        .filter_map(|(_, data)| serde_json::from_str::<serde_json::Value>(data).ok()?.get("downtime_minutes")?.as_i64())
        .sum();
    let days = warranty::downtime_days(downtime);
    let covered = w.covers(on, component, days);
    let end = w.end(component, days);
    let status = if covered { WarrantyStatus::Covered { until: end } } else { WarrantyStatus::Expired { ended: end } };
    Ok((status, warranty::billing_with_cause(covered, false, diagnosis.map(|d| d.cause), diagnosis.and_then(|d| d.exclusion))))
}

// ---- Service report ----------------------------------------------------

/// The report as it stands now, built from the case and its log.
async fn build_report(conn: &mut AnyConnection, case_id: i64, log: &[LoggedEvent]) -> Result<ReportView, AppError> {
    type Row = (String, String, String, String, String, String, String, String, i64, String, i64);
    let row: Row = sqlx::query_as(
        "SELECT co.name, o.name, s.name, s.address, a.name || ' ' || a.model, a.serial, c.reporter_name, c.symptom, c.created_at, o.timezone, o.id \
         FROM cases c JOIN organisations o ON o.id = c.org_id JOIN companies co ON co.id = o.company_id \
         JOIN assets a ON a.id = c.asset_id JOIN sites s ON s.id = a.site_id WHERE c.id = $1",
    )
    .bind(case_id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(AppError::NotFound)?;
    let (company, org_name, site_name, address, asset_label, asset_serial, reporter_name, symptom, created_at, tz, org_id) = row;
    let dir = staff_actions::staff_directory(&mut *conn).await?;
    let state = CaseState::from_log(log);
    let terms = service::terms(&mut *conn, org_id).await?;
    let on = terms.working.local_date(created_at.div_euclid(60_000));
    let (_, billing) = assess(conn, case_id, on, state.diagnosis.as_ref()).await?;
    let name = |id: i64| staff_actions::actor_name(Actor::Staff { id }, &dir, "", "");
    let at = |pick: &dyn Fn(&CaseEvent) -> bool| log.iter().find(|e| pick(&e.event)).map(|e| format_local(e.at_ms, &tz));
    let mut work = Vec::new();
    let mut parts: Vec<PartUsed> = Vec::new();
    for e in log {
        if let CaseEvent::WorkRecorded { findings, actions, parts: used, minutes_worked, downtime_minutes, photos } = &e.event {
            for p in used {
                match parts.iter_mut().find(|q| q.name == p.name) {
                    Some(q) => q.quantity += p.quantity,
                    None => parts.push(p.clone()),
                }
            }
            work.push(WorkView {
                at: format_local(e.at_ms, &tz),
                by: staff_actions::actor_name(e.actor, &dir, "", ""),
                findings: findings.clone(),
                actions: actions.clone(),
                parts: used.clone(),
                minutes_worked: *minutes_worked,
                downtime_minutes: *downtime_minutes,
                photos: photos.clone(),
            });
        }
    }
    let summary = log
        .iter()
        .rev()
        .find_map(|e| match &e.event {
            CaseEvent::Resolved { summary } => Some(summary.clone()),
            _ => None,
        })
        .unwrap_or_default();
    Ok(ReportView {
        number: case_number::format(case_id),
        company,
        org_name,
        site: format!("{site_name} · {address}"),
        asset_label,
        asset_serial,
        reporter_name,
        reported_at: format_local(created_at, &tz),
        symptom,
        technician: state.technician.map(name),
        arrived_at: at(&|e| matches!(e, CaseEvent::CheckedIn)),
        resolved_at: at(&|e| matches!(e, CaseEvent::Resolved { .. })),
        summary,
        diagnosis: state.diagnosis.clone(),
        minutes_worked: work.iter().map(|w| w.minutes_worked).sum(),
        work,
        parts,
        billing,
    })
}

/// The report page: the signed text with its check, or the draft to sign.
pub async fn report(pool: &AnyPool, number: &str) -> Result<ReportPage, AppError> {
    let case_id = case_number::parse(number).ok_or(AppError::NotFound)?;
    let mut conn = pool.acquire().await?;
    let tz: String = sqlx::query_scalar("SELECT o.timezone FROM cases c JOIN organisations o ON o.id = c.org_id WHERE c.id = $1")
        .bind(case_id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(AppError::NotFound)?;
    let log = load_log(&mut conn, case_id).await?;
    let state = CaseState::from_log(&log);
    let signed = log.iter().find_map(|e| match &e.event {
        CaseEvent::ReportSigned { signer, signature, report, hash } => Some((e.at_ms, signer, *signature, report, hash)),
        _ => None,
    });
    match signed {
        Some((at, signer, signature, text, hash)) => {
            let verified = hex(&Sha256::digest(text.as_bytes())) == *hash;
            let report: ReportView = serde_json::from_str(text).map_err(AppError::internal)?;
            let corrections = log
                .iter()
                .filter_map(|e| match &e.event {
                    CaseEvent::ReportCorrected { notes } => Some((format_local(e.at_ms, &tz), notes.clone())),
                    _ => None,
                })
                .collect();
            Ok(ReportPage {
                signed: Some(SignedReport {
                    report,
                    signer: signer.clone(),
                    signed_at: format_local(at, &tz),
                    hash: hash.clone(),
                    verified,
                    signature_id: signature,
                    corrections,
                }),
                draft: None,
                can_sign: false,
            })
        }
        None => Ok(ReportPage {
            draft: Some(build_report(&mut conn, case_id, &log).await?),
            signed: None,
            can_sign: lifecycle::sign_report(&state, "x", 0, String::new(), String::new()).is_ok(),
        }),
    }
}

/// Decodes `data:image/png;base64,…` as drawn on the signature canvas.
pub fn decode_png_data_url(s: &str) -> Result<Vec<u8>, AppError> {
    let b64 = s.strip_prefix("data:image/png;base64,").ok_or(AppError::InvalidUpload { problem: UploadProblem::NotAnImage })?;
    if b64.len() > MAX_SIGNATURE_BYTES * 4 / 3 + 4 {
        return Err(AppError::InvalidUpload { problem: UploadProblem::TooLarge { max_kb: (MAX_SIGNATURE_BYTES / 1024) as u32 } });
    }
    base64_decode(b64).ok_or(AppError::InvalidUpload { problem: UploadProblem::NotAnImage })
}

fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let val = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let bytes: Vec<u8> = s.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    let trimmed: &[u8] = bytes.strip_suffix(b"==").or_else(|| bytes.strip_suffix(b"=")).unwrap_or(&bytes);
    let mut out = Vec::with_capacity(trimmed.len() * 3 / 4);
    for chunk in trimmed.chunks(4) {
        let mut acc = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            acc |= val(c)? << (18 - 6 * i);
        }
        let n = match chunk.len() {
            4 => 3,
            3 => 2,
            2 => 1,
            _ => return None,
        };
        out.extend_from_slice(&acc.to_be_bytes()[1..1 + n]);
    }
    Some(out)
}

/// The customer signs the report (on the technician's screen: `by` is the
/// staff member holding it; in the widget: the customer). The signed text
/// and its SHA-256 go into the event, so the report can never change.
pub async fn sign(pool: &AnyPool, live: &Live, case_id: i64, by: Actor, signer: &str, signature_png: &str) -> Result<(), AppError> {
    let png = decode_png_data_url(signature_png)?;
    let mut tx = super::db::begin_write(pool).await?;
    let case = lock_case(&mut tx, case_id).await?;
    let log = load_log(&mut tx, case_id).await?;
    let state = CaseState::from_log(&log);
    if let Actor::Staff { id } = by {
        let role: Option<String> = sqlx::query_scalar("SELECT role FROM staff_users WHERE id = $1").bind(id).fetch_optional(&mut *tx).await?;
        let lead = matches!(role.as_deref().and_then(Role::parse), Some(Role::Supervisor | Role::Admin));
        if !(lead || state.technician == Some(id) || state.owner == Some(id)) {
            return Err(AppError::Forbidden);
        }
    }
    // Refuse before storing anything.
    lifecycle::sign_report(&state, signer, 0, String::new(), String::new()).map_err(staff_actions::refusal_error)?;
    let report = build_report(&mut tx, case_id, &log).await?;
    let text = serde_json::to_string(&report).map_err(AppError::internal)?;
    let hash = hex(&Sha256::digest(text.as_bytes()));
    let signature = store_attachment(&mut tx, AttachTo::Case(case_id), "signature", "signature.png", &png, by).await?;
    let event = lifecycle::sign_report(&state, signer, signature, text, hash).map_err(staff_actions::refusal_error)?;
    append(&mut tx, &case, now_ms(), by, &event, &log).await?;
    tx.commit().await?;
    live.publish(pool, &case_number::format(case_id)).await;
    Ok(())
}

/// A customer action from the widget (case token already resolved).
pub async fn customer_act(pool: &AnyPool, live: &Live, case_id: i64, action: &CustomerAction) -> Result<(), AppError> {
    let mut tx = super::db::begin_write(pool).await?;
    let case = lock_case(&mut tx, case_id).await?;
    let log = load_log(&mut tx, case_id).await?;
    let event = lifecycle::customer_decide(&CaseState::from_log(&log), action).map_err(staff_actions::refusal_error)?;
    if let CustomerAction::AddInfo { photos, .. } = action {
        check_photos(&mut tx, case_id, photos).await?;
    }
    append(&mut tx, &case, now_ms(), Actor::Customer, &event, &log).await?;
    tx.commit().await?;
    tracing::info!(case = case_id, kind = event.kind(), "customer action");
    live.publish(pool, &case_number::format(case_id)).await;
    Ok(())
}

// ---- Lists staff work from ----------------------------------------------

type CaseRow = (i64, String, String, String, String, String, String, String, i64, String);

async fn case_rows(pool: &AnyPool, filter: &str, bind: Option<i64>) -> Result<Vec<CaseRow>, AppError> {
    let sql = format!(
        "SELECT c.id, c.status, o.name, s.name || ' · ' || s.address, a.name || ' ' || a.model, c.symptom, c.reporter_name, c.phone, o.id, s.zone \
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
    let ids: Vec<i64> = rows.iter().map(|r| r.0).collect();
    let logs = load_logs(pool, &ids).await?;
    let now = now_ms();
    let mut terms_cache: HashMap<i64, service::Terms> = HashMap::new();
    let mut out = Vec::new();
    for (id, status, org_name, site, asset, symptom, reporter, phone, org_id, _zone) in rows {
        let Some(log) = logs.get(&id) else { continue };
        let state = CaseState::from_log(log);
        if state.status == CaseStatus::Resolved && (state.signed || !state.visited) {
            continue;
        }
        if !terms_cache.contains_key(&org_id) {
            terms_cache.insert(org_id, service::terms(pool, org_id).await?);
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
    let ids: Vec<i64> = rows.iter().map(|r| r.0).collect();
    let logs = load_logs(pool, &ids).await?;
    let now = now_ms();
    let mut terms_cache: HashMap<i64, service::Terms> = HashMap::new();
    let mut out = FollowUps::default();
    for (id, _status, org_name, _site, asset, _symptom, reporter, phone, org_id, zone) in rows {
        let Some(log) = logs.get(&id) else { continue };
        let state = CaseState::from_log(log);
        let wants_visit = matches!(state.status, CaseStatus::Resolved | CaseStatus::Closed) && !state.return_visited;
        if !(wants_visit || state.complaint_open || !state.outstanding_swaps.is_empty()) {
            continue;
        }
        if !terms_cache.contains_key(&org_id) {
            terms_cache.insert(org_id, service::terms(pool, org_id).await?);
        }
        let terms = &terms_cache[&org_id];
        let clocks = staff_actions::clock_states(log, terms, service::parse_zone(&zone), now);
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
    let dir = staff_actions::staff_directory(pool).await?;
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
                technician: tech.map(|id| staff_actions::actor_name(Actor::Staff { id }, &dir, "", "")),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_are_known_by_their_bytes() {
        assert_eq!(sniff_image(b"\xFF\xD8\xFF\xE0rest"), Some("image/jpeg"));
        assert_eq!(sniff_image(b"\x89PNG\r\n\x1a\nrest"), Some("image/png"));
        assert_eq!(sniff_image(b"RIFF\0\0\0\0WEBPVP8 "), Some("image/webp"));
        assert_eq!(sniff_image(b"%PDF-1.7"), None);
        assert_eq!(sniff_image(b"<svg"), None);
    }

    #[test]
    fn base64_decodes_canvas_output() {
        assert_eq!(base64_decode("aGVsbG8=").unwrap(), b"hello");
        assert_eq!(base64_decode("aGVsbG8h").unwrap(), b"hello!");
        assert_eq!(base64_decode("aGk=").unwrap(), b"hi");
        assert!(base64_decode("a$==").is_none());
        assert!(decode_png_data_url("data:image/jpeg;base64,AAAA").is_err());
    }
}
