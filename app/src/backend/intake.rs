//! A customer's report arriving from the widget: guide sessions while they
//! walk, the guides offered for an asset, and the escalation (or recorded
//! self-fix) that creates the case, exactly once per submission.

use sqlx::AnyPool;

use super::auth::new_token;
use super::db::now_ms;
use super::digest::{submission_hash, token_digest};
use super::events::{append, lock_new_case};
use super::guides;
use super::orgs::org_by_key;
use super::terms;
use crate::domain::case_number;
use crate::domain::guide::Severity;
use crate::domain::intake::{self, valid_submission_id};
use crate::domain::promise::ServiceTerms;
use crate::errors::{AppError, Field, FieldError, Problem};
use crate::models::{CaseReceipt, CaseStatus, CaseSubmission, GuideOffer, GuideResult};

/// The kind of an asset that belongs to the organisation.
async fn asset_kind(pool: &AnyPool, org_id: i64, asset_id: i64) -> Result<Option<String>, AppError> {
    Ok(sqlx::query_scalar("SELECT kind FROM assets WHERE id = $1 AND org_id = $2").bind(asset_id).bind(org_id).fetch_optional(pool).await?)
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
    // The guides themselves are a cached bundle the browser fetches (and
    // keeps); a kind that cannot be a URL segment gets them inline.
    let (guides, guides_url) = if super::guide_bundle::valid_kind(&kind) {
        let url = super::guide_bundle::for_kind(pool, &kind).await?.map(|b| super::guide_bundle::url(&kind, &b.tag));
        (Vec::new(), url.unwrap_or_default())
    } else {
        (guides::for_equipment(pool, &kind).await?, String::new())
    };
    let (commissioned_on, warranty_months, manufacturer_months, components, zone): (String, i64, Option<i64>, String, String) = sqlx::query_as(
        "SELECT a.commissioned_on, a.warranty_months, a.manufacturer_months, a.component_terms, s.zone          FROM assets a JOIN sites s ON s.id = a.site_id WHERE a.id = $1",
    )
    .bind(asset_id)
    .fetch_one(pool)
    .await?;
    let t = terms::terms(pool, org.id).await?;
    let now = now_ms();
    let (off_duty_until, duty_phone) = super::notify::roster::duty_for_promise(pool, now, &t.working).await?;
    let warranty = crate::domain::calendar::Date::parse(&commissioned_on).map(|start| crate::domain::warranty::Warranty {
        start,
        months: u32::try_from(warranty_months).unwrap_or(0),
        manufacturer_months: manufacturer_months.and_then(|m| u32::try_from(m).ok()),
        components: crate::domain::warranty::parse_components(&components),
    });
    let terms = ServiceTerms {
        policy: t.policy,
        working: t.working,
        always: t.always,
        zone: crate::domain::clock::Zone::from_stored(&zone),
        warranty,
    };
    Ok(GuideOffer { asset_id, guides, guides_url, server_now_ms: now, terms: Some(terms), off_duty_until, duty_phone, received_at_ms: 0 })
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
    // The address joined the report later: without one, digests stay as they were.
    match s.email.trim() {
        "" => token_digest(&canonical.to_string()),
        email => token_digest(&format!("{canonical}{email}")),
    }
}

/// Validates everything, then creates the case in one transaction. A repeat
/// of the same submission (retry, double click, a reload after a crash)
/// returns the case already created, with a fresh token for this browser.
pub async fn submit(pool: &AnyPool, limits: &super::limits::Limits, mut s: CaseSubmission) -> Result<CaseReceipt, AppError> {
    let org = org_by_key(pool, &s.org_key).await?;
    if !valid_submission_id(&s.submission_id) {
        return Err(AppError::BadRequest);
    }
    let report =
        intake::Report { reporter_name: &s.reporter_name, phone: &s.phone, asset_id: s.asset_id, symptom: &s.symptom, email: &s.email };
    let mut errors = intake::validate(&report);
    let mut kind = None;
    if let Some(asset_id) = s.asset_id {
        kind = asset_kind(pool, org.id, asset_id).await?;
        if kind.is_none() {
            errors.push(FieldError { field: Field::Asset, problem: Problem::UnknownAsset });
        }
    }
    let guide = if s.guide_id.is_empty() { None } else { guides::find(pool, &s.guide_id, s.guide_version).await? };
    let fit = intake::check_walk(&s.guide_id, guide.as_deref(), kind.as_deref(), &s.steps, s.result);
    if s.session_id.as_deref().is_some_and(|id| !guides::valid_session_id(id)) {
        return Err(AppError::BadRequest);
    }
    if fit.is_none() {
        errors.push(FieldError { field: Field::Steps, problem: Problem::InvalidSteps });
    }
    let (Some(fit), true) = (fit, errors.is_empty()) else {
        return Err(AppError::invalid(errors));
    };
    let (severity, final_node) = (fit.severity, fit.final_node);

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
    use crate::domain::lifecycle::{Actor, CaseEvent};
    let now = now_ms();
    let steps_json = serde_json::to_string(&s.steps).map_err(AppError::internal)?;
    let inserted: Result<i64, sqlx::Error> = sqlx::query_scalar(
        "INSERT INTO cases (org_id, asset_id, submission_id, reporter_name, phone, symptom, status, \
         guide_id, guide_version, steps, created_at, severity, submission_digest, sms_opt_in, email, locale) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) RETURNING id",
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
    .bind(s.sms_opt_in as i64)
    .bind(intake::normalise_email(&s.email).unwrap_or_default())
    .bind(s.locale.unwrap_or_default().tag())
    .fetch_one(&mut *tx)
    .await;
    let id = match inserted {
        Ok(id) => id,
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => return Err(AppError::Conflict),
        Err(e) => return Err(e.into()),
    };
    let before = s.steps.clone();
    super::attachments::claim_walk_photos(tx, org_id, submission, id, &mut s.steps).await?;
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
    // The first event, written as every later one is.
    let asset_id = s.asset_id.ok_or(AppError::BadRequest)?;
    let case = lock_new_case(tx, id, org_id, asset_id).await?;
    let event = match status {
        CaseStatus::SelfResolved => CaseEvent::SelfResolved,
        _ => CaseEvent::Escalated { severity },
    };
    append(tx, &case, now, Actor::Customer, &event, &[]).await?;
    Ok(id)
}

/// Submission ids stored in plain text by earlier versions are replaced by
/// their hash (cases and walk photos). Returns how many were changed.
pub async fn hash_plain_submission_ids(pool: &AnyPool) -> Result<usize, AppError> {
    const UPGRADE: &str = "hash_submission_ids";
    let done: Option<i64> = sqlx::query_scalar("SELECT done_at FROM upgrades WHERE name = $1").bind(UPGRADE).fetch_optional(pool).await?;
    if done.is_some() {
        return Ok(0);
    }
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
    // Several instances may start at once: the first to record it wins.
    sqlx::query("INSERT INTO upgrades (name, done_at) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING")
        .bind(UPGRADE)
        .bind(super::db::now_ms())
        .execute(pool)
        .await?;
    Ok(changed)
}
