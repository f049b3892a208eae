//! Delivered and failed notifications are kept for a while (the delivery
//! log, the per-number and per-organisation counts need a day of them),
//! then deleted with their tries, so the outboxes do not grow for ever.

use sqlx::AnyPool;

use crate::backend::db::begin_write;
use crate::errors::AppError;

/// Rows deleted per transaction: a short write lock each (SQLite).
const CHUNK: i64 = 500;

/// (outbox, its tries) tables.
const TABLES: [(&str, &str); 3] = [("notify_outbox", "notify_attempts"), ("sms_outbox", "sms_attempts"), ("mail_outbox", "mail_attempts")];

/// Deletes finished messages created before `before_ms`, and their tries;
/// pending ones stay whatever their age. Returns how many messages went.
pub async fn purge(pool: &AnyPool, before_ms: i64) -> Result<u64, AppError> {
    let mut deleted = 0;
    for (outbox, attempts) in TABLES {
        loop {
            let mut tx = begin_write(pool).await?;
            let ids: Vec<i64> = sqlx::query_scalar(&format!(
                "SELECT id FROM {outbox} WHERE created_at < $1 AND status <> 'pending' ORDER BY created_at LIMIT $2"
            ))
            .bind(before_ms)
            .bind(CHUNK)
            .fetch_all(&mut *tx)
            .await?;
            if ids.is_empty() {
                break;
            }
            let list = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
            // Status checked again: an admin may have sent one again meanwhile.
            sqlx::query(&format!(
                "DELETE FROM {attempts} WHERE outbox_id IN (SELECT id FROM {outbox} WHERE id IN ({list}) AND status <> 'pending')"
            ))
            .execute(&mut *tx)
            .await?;
            sqlx::query(&format!("DELETE FROM {outbox} WHERE id IN ({list}) AND status <> 'pending'")).execute(&mut *tx).await?;
            tx.commit().await?;
            deleted += ids.len() as u64;
            if (ids.len() as i64) < CHUNK {
                break;
            }
        }
    }
    Ok(deleted)
}
