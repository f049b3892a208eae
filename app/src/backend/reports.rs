//! The service report (售后服务反馈单): built from the case and its log,
//! signed by the customer (the signed text and its SHA-256 go into the
//! event, so it can never change) and checked against its hash when shown.

use sha2::{Digest, Sha256};
use sqlx::{AnyConnection, AnyPool};

use super::attachments::{decode_png_data_url, store_attachment, AttachTo};
use super::db::{format_local, now_ms};
use super::events::{append, load_log, lock_case};
use super::live::Live;
use super::warranty::assess;
use crate::domain::case_number;
use crate::domain::lifecycle::{self, Actor, CaseEvent, CaseState, LoggedEvent, PartUsed};
use crate::errors::AppError;
use crate::models::{ReportPage, ReportView, Role, SignedReport, WorkView};

#[derive(sqlx::FromRow)]
struct ReportCaseRow {
    company: String,
    org_name: String,
    site_name: String,
    address: String,
    asset_label: String,
    asset_serial: String,
    reporter_name: String,
    symptom: String,
    created_at: i64,
    tz: String,
    org_id: i64,
}

/// The report as it stands now, built from the case and its log.
async fn build_report(conn: &mut AnyConnection, case_id: i64, log: &[LoggedEvent]) -> Result<ReportView, AppError> {
    let row: ReportCaseRow = sqlx::query_as(
        "SELECT co.name AS company, o.name AS org_name, s.name AS site_name, s.address, a.name || ' ' || a.model AS asset_label, \
         a.serial AS asset_serial, c.reporter_name, c.symptom, c.created_at, o.timezone AS tz, o.id AS org_id \
         FROM cases c JOIN organisations o ON o.id = c.org_id JOIN companies co ON co.id = o.company_id \
         JOIN assets a ON a.id = c.asset_id JOIN sites s ON s.id = a.site_id WHERE c.id = $1",
    )
    .bind(case_id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(AppError::NotFound)?;
    let ReportCaseRow { company, org_name, site_name, address, asset_label, asset_serial, reporter_name, symptom, created_at, tz, org_id } =
        row;
    let dir = super::present::staff_directory(&mut *conn).await?;
    let state = CaseState::from_log(log);
    let terms = super::terms::terms(&mut *conn, org_id).await?;
    let on = terms.working.local_date(created_at.div_euclid(60_000));
    let (_, billing) = assess(conn, case_id, on, state.diagnosis.as_ref()).await?;
    let name = |id: i64| super::present::actor_name(Actor::Staff { id }, &dir, "", "");
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
                by: super::present::actor_name(e.actor, &dir, "", ""),
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
            let verified = hex::encode(Sha256::digest(text.as_bytes())) == *hash;
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
            can_sign: lifecycle::signable(&state).is_ok(),
        }),
    }
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
        let role: Option<String> =
            sqlx::query_scalar("SELECT role FROM staff_users WHERE id = $1").bind(id).fetch_optional(&mut *tx).await?;
        let role = role.as_deref().and_then(Role::parse).ok_or(AppError::Forbidden)?;
        // Who may hold the screen for the customer; the case's state next.
        let gate = lifecycle::gate(&state, lifecycle::Act::CollectSignature, lifecycle::Staff { id, role }, false);
        if matches!(gate, Err(lifecycle::Refusal::Role | lifecycle::Refusal::NotOwner)) {
            return Err(AppError::Forbidden);
        }
    }
    // Refuse before storing anything.
    lifecycle::sign_report(&state, signer, 0, String::new(), String::new()).map_err(AppError::from)?;
    let report = build_report(&mut tx, case_id, &log).await?;
    let text = serde_json::to_string(&report).map_err(AppError::internal)?;
    let hash = hex::encode(Sha256::digest(text.as_bytes()));
    let signature = store_attachment(&mut tx, AttachTo::Case(case_id), "signature", "signature.png", &png, by).await?;
    let event = lifecycle::sign_report(&state, signer, signature, text, hash).map_err(AppError::from)?;
    append(&mut tx, &case, now_ms(), by, &event, &log).await?;
    tx.commit().await?;
    live.publish(pool, &case_number::format(case_id)).await;
    Ok(())
}
