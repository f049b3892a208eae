//! Texts to customers who opted in at intake: written in the transaction of
//! the case event that causes them (one per event, `customer::enqueue`), delivered by the same
//! workers as the robots' messages under a lease, with each number's limits
//! (one per gap, ten a day) counted across instances, retried with backoff,
//! every try recorded.

use serde_json::{json, Map, Value};
use sqlx::{AnyConnection, AnyPool};

use super::send::{Answer, Sender};
use super::sms_account;
use super::sms_send::{self, Text};
use crate::backend::db::{begin_write, is_sqlite, now_ms};
use crate::domain::case_number;
use crate::domain::intake::normalise_phone;
use crate::domain::notify::next_try_in_ms;
use crate::domain::notify::sms::{is_mobile, mask_phone, next_slot, SmsMessage, PER_NUMBER_PER_DAY};
use crate::errors::{AppError, Field, FieldError, Problem};
use crate::models::notify::{SmsDelivery, TestOutcome};

/// Writes the text `message` to `phone`, in the caller's transaction (the
/// event's); `customer::enqueue` decides whether the customer gets one.
pub(super) async fn insert(
    conn: &mut AnyConnection,
    case_id: i64,
    event_id: i64,
    message: SmsMessage,
    phone: &str,
    params: &Map<String, Value>,
    at_ms: i64,
) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO sms_outbox (case_id, event_id, message, phone, params, dedupe_key, status, attempts, next_at, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 'pending', 0, $7, $7) ON CONFLICT (dedupe_key) DO NOTHING",
    )
    .bind(case_id)
    .bind(event_id)
    .bind(message.as_str())
    .bind(phone)
    .bind(Value::Object(params.clone()).to_string())
    .bind(format!("e{event_id}"))
    .bind(at_ms)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct Queued {
    org_id: Option<i64>,
    message: String,
    phone: String,
    params: String,
    status: String,
}

/// Delivers one taken text; `None` when it had to wait (the number's gap)
/// or is no longer this worker's.
pub async fn deliver(pool: &AnyPool, sender: &Sender, id: i64, lease: i64) -> Result<Option<Answer>, AppError> {
    let (queued, account) = {
        let mut conn = pool.acquire().await?;
        let q: Option<Queued> = sqlx::query_as(
            "SELECT c.org_id AS org_id, o.message AS message, o.phone AS phone, o.params AS params, o.status AS status \
             FROM sms_outbox o LEFT JOIN cases c ON c.id = o.case_id WHERE o.id = $1",
        )
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
        let Some(q) = q.filter(|q| q.status == "pending") else { return Ok(None) };
        (q, sms_account::load(&mut conn).await?)
    };
    let message = SmsMessage::parse(&queued.message).unwrap_or(SmsMessage::Test);
    let account = account.map(|a| a.form).filter(|a| a.active || message == SmsMessage::Test);
    let template = account.as_ref().map(|a| a.templates.get(message).to_string()).unwrap_or_default();
    let Some(account) = account.filter(|_| !template.is_empty()) else {
        finish(pool, id, lease, None, &Answer::gave_up("no active SMS account or no template for this message"), now_ms()).await?;
        return Ok(None);
    };
    let mut params: Map<String, Value> = serde_json::from_str(&queued.params).unwrap_or_default();
    if let Some(Value::String(link)) = params.get_mut("link") {
        if link.starts_with('/') {
            *link = format!("{}{link}", sender.public_url);
        }
    }
    let Some((attempt, lease)) = take_slot(pool, id, lease, &queued.phone, queued.org_id, message, sender).await? else { return Ok(None) };
    let answer = sender
        .send_sms(&Text {
            provider: account.provider,
            endpoint: &account.endpoint,
            key_id: &account.key_id,
            secret: &account.secret,
            sign_name: &account.sign_name,
            app_id: &account.app_id,
            template: &template,
            message: message.template(),
            phone: &queued.phone,
            params: &params,
        })
        .await;
    finish(pool, id, lease, Some(attempt), &answer, now_ms()).await?;
    if !answer.ok {
        tracing::warn!(sms = id, status = answer.status, "text not delivered");
    }
    Ok(Some(answer))
}

/// A try of the number's allowance (and its organisation's), as an attempt
/// row, with the lease renewed for the send. One account row lock
/// (PostgreSQL) makes instances count one at a time.
async fn take_slot(
    pool: &AnyPool,
    id: i64,
    lease: i64,
    phone: &str,
    org_id: Option<i64>,
    message: SmsMessage,
    sender: &Sender,
) -> Result<Option<(i64, i64)>, AppError> {
    let mut tx = begin_write(pool).await?;
    if !is_sqlite(pool) {
        sqlx::query("SELECT id FROM sms_account WHERE id = 1 FOR NO KEY UPDATE").execute(&mut *tx).await?;
    }
    let now = now_ms();
    let renewed = now + sender.lease_ms + (rand::random::<u16>() as i64);
    let held = sqlx::query("UPDATE sms_outbox SET lease_until = $1 WHERE id = $2 AND status = 'pending' AND lease_until = $3")
        .bind(renewed)
        .bind(id)
        .bind(lease)
        .execute(&mut *tx)
        .await?;
    if held.rows_affected() == 0 {
        return Ok(None);
    }
    // Texts sent or out now count; failed ones did not reach the phone.
    let recent: Vec<i64> =
        sqlx::query_scalar("SELECT at FROM sms_attempts WHERE phone = $1 AND at > $2 AND (ok = 1 OR done = 0) ORDER BY at DESC")
            .bind(phone)
            .bind(now - 86_400_000)
            .fetch_all(&mut *tx)
            .await?;
    // Older ones waiting (not those out now: `recent` counts them).
    let ahead: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM sms_outbox o WHERE o.phone = $1 AND o.status = 'pending' AND o.id < $2 \
         AND NOT EXISTS (SELECT 1 FROM sms_attempts a WHERE a.outbox_id = o.id AND a.done = 0)",
    )
    .bind(phone)
    .bind(id)
    .fetch_one(&mut *tx)
    .await?;
    // A try with no answer (timeout, cut connection) may have reached the
    // phone: the next waits the gap too (it does not count for the day).
    let unknown: Option<i64> =
        sqlx::query_scalar("SELECT MAX(at) FROM sms_attempts WHERE phone = $1 AND at > $2 AND done = 1 AND ok = 0 AND http_status = 0")
            .bind(phone)
            .bind(now - sender.sms_gap_ms)
            .fetch_one(&mut *tx)
            .await?;
    // The public form can name anyone's number: the texts it causes
    // ("received") are capped per organisation a day, so a script cannot
    // text thousands of strangers. Texts staff actions cause are not: spam
    // must not cost real customers their appointment.
    let org_full = match org_id {
        Some(org) if sender.sms_org_daily_cap > 0 && message == SmsMessage::Received => {
            let sent: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM sms_attempts a JOIN sms_outbox o ON o.id = a.outbox_id \
                 WHERE a.org_id = $1 AND a.at > $2 AND (a.ok = 1 OR a.done = 0) AND o.message = 'received'",
            )
            .bind(org)
            .bind(now - 86_400_000)
            .fetch_one(&mut *tx)
            .await?;
            sent >= sender.sms_org_daily_cap
        }
        _ => false,
    };
    let slot = match (next_slot(now, &recent, ahead, sender.sms_gap_ms), unknown) {
        _ if org_full => None,
        (Some(at), Some(t)) => Some(at.max(t + sender.sms_gap_ms)),
        (slot, _) => slot,
    };
    match slot {
        None => {
            let why = if org_full {
                format!("daily limit for this organisation reached ({} texts to new reporters in 24 hours)", sender.sms_org_daily_cap)
            } else {
                format!("daily limit for this number reached ({PER_NUMBER_PER_DAY} texts in 24 hours)")
            };
            sqlx::query("UPDATE sms_outbox SET status = 'failed', lease_until = 0, last_error = $1 WHERE id = $2")
                .bind(&why)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            tracing::warn!(sms = id, org = org_id, "text not sent: {why}");
            Ok(None)
        }
        Some(at) if at > now => {
            sqlx::query("UPDATE sms_outbox SET next_at = $1, lease_until = 0 WHERE id = $2").bind(at).bind(id).execute(&mut *tx).await?;
            tx.commit().await?;
            Ok(None)
        }
        Some(_) => {
            let attempt: i64 =
                sqlx::query_scalar("INSERT INTO sms_attempts (outbox_id, phone, org_id, at) VALUES ($1, $2, $3, $4) RETURNING id")
                    .bind(id)
                    .bind(phone)
                    .bind(org_id)
                    .bind(now)
                    .fetch_one(&mut *tx)
                    .await?;
            tx.commit().await?;
            Ok(Some((attempt, renewed)))
        }
    }
}

/// Records a try's answer and moves the text on: sent, due again later, or
/// failed (after the last try, at once for a test or a final refusal).
async fn finish(pool: &AnyPool, id: i64, lease: i64, attempt: Option<i64>, answer: &Answer, now: i64) -> Result<(), AppError> {
    let mut tx = begin_write(pool).await?;
    if let Some(attempt) = attempt {
        sqlx::query("UPDATE sms_attempts SET done = 1, ok = $1, latency_ms = $2, http_status = $3, answer = $4 WHERE id = $5")
            .bind(answer.ok as i64)
            .bind(answer.latency_ms)
            .bind(answer.status as i64)
            .bind(&answer.body)
            .bind(attempt)
            .execute(&mut *tx)
            .await?;
    }
    let (attempts, message): (i64, String) = sqlx::query_as("SELECT attempts, message FROM sms_outbox WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?
        .unwrap_or((0, String::new()));
    let attempts = attempts + attempt.is_some() as i64;
    let again = match attempt {
        _ if answer.ok => None,
        Some(_) if message != SmsMessage::Test.as_str() && !sms_send::is_final(answer) => {
            // A number's hourly limit waits the hour out.
            next_try_in_ms(attempts as u32, answer.rate_limited).map(|w| if sms_send::is_hourly_limit(answer) { 3_600_000 } else { w })
        }
        _ => None,
    };
    let (status, next_at) = match again {
        _ if answer.ok => ("sent", now),
        Some(wait) => ("pending", now + wait),
        None => ("failed", now),
    };
    let last_error: String = if answer.ok { String::new() } else { answer.body.chars().take(200).collect() };
    sqlx::query(
        "UPDATE sms_outbox SET status = $1, attempts = $2, next_at = $3, lease_until = 0, last_error = $4, \
         sent_at = CASE WHEN $1 = 'sent' THEN $3 ELSE sent_at END WHERE id = $5 AND status = 'pending' AND lease_until = $6",
    )
    .bind(status)
    .bind(attempts)
    .bind(next_at)
    .bind(if !answer.ok && last_error.is_empty() { format!("HTTP {}", answer.status) } else { last_error })
    .bind(id)
    .bind(lease)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// "Send a test text": the `received` template to `phone`, now, tried once.
pub async fn send_test(pool: &AnyPool, sender: &Sender, phone: &str) -> Result<TestOutcome, AppError> {
    let phone = normalise_phone(phone).filter(|p| is_mobile(p));
    let Some(phone) = phone else {
        return Err(AppError::invalid(vec![FieldError { field: Field::Phone, problem: Problem::InvalidPhone }]));
    };
    let now = now_ms();
    let mut tx = begin_write(pool).await?;
    let ready = sms_account::load(&mut tx).await?.is_some_and(|a| !a.form.templates.received.is_empty());
    if !ready {
        return Err(AppError::invalid(vec![FieldError { field: Field::SmsTemplate, problem: Problem::Required }]));
    }
    let nonce: u64 = rand::random();
    let lease = now + sender.lease_ms;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO sms_outbox (message, phone, params, dedupe_key, status, attempts, next_at, lease_until, created_at) \
         VALUES ('test', $1, $2, $3, 'pending', 0, $4, $5, $4) RETURNING id",
    )
    .bind(&phone)
    .bind(json!({ "number": case_number::format(0) }).to_string())
    .bind(format!("test:{now}:{nonce:016x}"))
    .bind(now)
    .bind(lease)
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    // Its own task: a request cut short must not leave a sent test pending.
    let gap_s = (sender.sms_gap_ms / 1000).clamp(1, 3600) as u32;
    let pool_for_status = pool.clone();
    let (pool, sender) = (pool.clone(), sender.clone());
    let sent = tokio::spawn(async move { deliver(&pool, &sender, id, lease).await }).await.map_err(AppError::internal)?;
    match sent? {
        Some(a) => Ok(TestOutcome { ok: a.ok, status: a.status, answer: a.body, latency_ms: a.latency_ms }),
        None => {
            let (status, last_error): (String, String) =
                sqlx::query_as("SELECT status, last_error FROM sms_outbox WHERE id = $1").bind(id).fetch_one(&pool_for_status).await?;
            match status.as_str() {
                // Not sent and never will be (the number's daily limit, say): why.
                "failed" => Ok(TestOutcome { ok: false, status: 0, answer: last_error, latency_ms: 0 }),
                // The number had a text a moment ago: the worker sends this one after the gap.
                _ => Err(AppError::RateLimited { retry_after_s: gap_s }),
            }
        }
    }
}

#[derive(sqlx::FromRow)]
struct LogRow {
    id: i64,
    case_id: Option<i64>,
    message: String,
    phone: String,
    status: String,
    attempts: i64,
    created_at: i64,
    sent_at: Option<i64>,
    last_error: String,
}

/// The newest 200 texts, of one case or all.
pub async fn list(pool: &AnyPool, case_number_text: &str) -> Result<Vec<SmsDelivery>, AppError> {
    let Some(case_id) = super::outbox::case_filter(case_number_text) else { return Ok(Vec::new()) };
    let rows: Vec<LogRow> = sqlx::query_as(
        "SELECT id, case_id, message, phone, status, attempts, created_at, sent_at, last_error FROM sms_outbox \
         WHERE ($1 = 0 OR case_id = $1) ORDER BY id DESC LIMIT 200",
    )
    .bind(case_id)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            Some(SmsDelivery {
                id: r.id,
                case_number: r.case_id.map(case_number::format),
                message: SmsMessage::parse(&r.message)?,
                phone: mask_phone(&r.phone),
                status: r.status,
                attempts: r.attempts,
                created_at_ms: r.created_at,
                sent_at_ms: r.sent_at,
                last_error: r.last_error,
            })
        })
        .collect())
}

/// Sends a failed text again, with a fresh set of tries (not a test).
pub async fn retry(pool: &AnyPool, id: i64) -> Result<(), AppError> {
    super::outbox::send_again(pool, super::outbox::Outbox::Texts, id, "message <> 'test'").await
}
