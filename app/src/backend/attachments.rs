//! Photos and signatures: stored in the database, typed by their bytes,
//! within quotas per case, per walk and per organisation. Walk photos wait
//! for their case (`claim_walk_photos`) and are deleted if it never comes.

use base64::Engine;
use sha2::{Digest, Sha256};
use sqlx::{AnyConnection, AnyPool};

use super::db::now_ms;
use crate::domain::lifecycle::{self, Actor};
use crate::errors::{AppError, UploadProblem};
use crate::models::Role;

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
    let digest = hex::encode(Sha256::digest(bytes));
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
    if let (Actor::Staff { id }, Some(role)) = (by, role) {
        if !lifecycle::may_add_photos(lifecycle::Staff { id, role }, technician) {
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
    let org = super::orgs::org_by_key(pool, org_key).await?;
    if !crate::domain::intake::valid_submission_id(submission_id) {
        return Err(AppError::BadRequest);
    }
    let submission = super::digest::submission_hash(submission_id);
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
    let unclaimed: Option<i64> =
        sqlx::query_scalar("SELECT CAST(SUM(size) AS BIGINT) FROM attachments WHERE org_id = $1 AND case_id IS NULL")
            .bind(org.id)
            .fetch_one(&mut *tx)
            .await?;
    if unclaimed.unwrap_or(0) + bytes.len() as i64 > MAX_UNCLAIMED_BYTES_PER_ORG {
        tracing::warn!(org = org.id, "walk photo refused: the organisation's unclaimed photo quota is full");
        return Err(AppError::InvalidUpload { problem: UploadProblem::StorageFull });
    }
    let id =
        store_attachment(&mut tx, AttachTo::Walk { org_id: org.id, submission_id: &submission }, "photo", name, bytes, Actor::Customer)
            .await?;
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
    let done = super::db::execute_write(
        pool,
        sqlx::query("DELETE FROM attachments WHERE case_id IS NULL AND created_at < $1").bind(now - WALK_PHOTO_KEEP_MS),
    )
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
pub(super) async fn check_photos(conn: &mut AnyConnection, case_id: i64, photos: &[i64]) -> Result<(), AppError> {
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

/// Decodes `data:image/png;base64,…` as drawn on the signature canvas.
pub fn decode_png_data_url(s: &str) -> Result<Vec<u8>, AppError> {
    let b64 = s.strip_prefix("data:image/png;base64,").ok_or(AppError::InvalidUpload { problem: UploadProblem::NotAnImage })?;
    if b64.len() > MAX_SIGNATURE_BYTES * 4 / 3 + 4 {
        return Err(AppError::InvalidUpload { problem: UploadProblem::TooLarge { max_kb: (MAX_SIGNATURE_BYTES / 1024) as u32 } });
    }
    base64::engine::general_purpose::STANDARD.decode(b64.trim()).map_err(|_| AppError::InvalidUpload { problem: UploadProblem::NotAnImage })
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
    fn signatures_decode_from_canvas_output() {
        assert_eq!(decode_png_data_url("data:image/png;base64,aGVsbG8=").unwrap(), b"hello");
        assert_eq!(decode_png_data_url("data:image/png;base64,aGVsbG8h").unwrap(), b"hello!");
        assert!(decode_png_data_url("data:image/png;base64,a$==").is_err());
        assert!(decode_png_data_url("data:image/jpeg;base64,AAAA").is_err());
    }
}
