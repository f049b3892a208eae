//! A customer on another device finds their case by its number and the
//! phone they reported it with; that browser gets a token of its own. The
//! answer is the same "not found" whether the number exists or the phone is
//! wrong, and the caller's rate limit (Submit) bounds guessing.

use sqlx::AnyPool;

use super::auth::new_token;
use super::db::{begin_write, is_sqlite, now_ms};
use super::digest::token_digest;
use crate::domain::case_number;
use crate::domain::intake::normalise_phone;
use crate::errors::AppError;
use crate::models::CaseReceipt;

/// Device tokens a case keeps at most: the oldest goes when one more is made.
const MAX_TOKENS: i64 = 20;

pub async fn find(pool: &AnyPool, org_key: &str, number: &str, phone: &str) -> Result<CaseReceipt, AppError> {
    let (Some(id), Some(phone)) = (case_number::parse(number.trim()), normalise_phone(phone)) else {
        return Err(AppError::NotFound);
    };
    // The case row locked (PostgreSQL; SQLite's write lock does it): finds
    // of one case at once trim its tokens one after another.
    let lock = if is_sqlite(pool) { "" } else { " FOR NO KEY UPDATE OF c" };
    let mut tx = begin_write(pool).await?;
    let found: Option<i64> = sqlx::query_scalar(&format!(
        "SELECT c.id FROM cases c JOIN organisations o ON o.id = c.org_id WHERE c.id = $1 AND o.widget_key = $2 AND c.phone = $3{lock}"
    ))
    .bind(id)
    .bind(org_key)
    .bind(&phone)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(id) = found else { return Err(AppError::NotFound) };
    let token = new_token();
    let now = now_ms();
    sqlx::query("INSERT INTO case_access_tokens (token_hash, case_id, created_at) VALUES ($1, $2, $3)")
        .bind(token_digest(&token))
        .bind(id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "DELETE FROM case_access_tokens WHERE case_id = $1 AND token_hash NOT IN \
         (SELECT token_hash FROM case_access_tokens WHERE case_id = $1 ORDER BY created_at DESC, token_hash LIMIT $2)",
    )
    .bind(id)
    .bind(MAX_TOKENS)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    tracing::info!(case = %case_number::format(id), "case found from another device");
    Ok(CaseReceipt { number: case_number::format(id), access_token: token })
}
