//! E-mails to customers who gave an address at intake: written in the
//! transaction of the case event that causes them (one per event), in the
//! language they reported in, delivered by the notification worker through
//! the server's SMTP relay under a lease, retried with backoff while the
//! relay says "later", every try recorded. The public form can name anyone's
//! address: each address gets at most `PER_ADDRESS_PER_DAY` a day, and the
//! "received" mails new reporters cause count against the organisation's
//! daily cap (`--sms-daily-cap`), as texts do.

use serde_json::{Map, Value};
use sqlx::{AnyConnection, AnyPool};

use super::answer::Answer;
use super::send::Sender;
use crate::backend::db::{begin_write, is_sqlite, now_ms};
use crate::domain::case_number;
use crate::domain::notify::next_try_in_ms;
use crate::domain::notify::sms::SmsMessage;
use crate::errors::AppError;
use crate::i18n::{ConsoleTexts, Locale, LocaleTexts};
use crate::models::notify::MailDelivery;

/// E-mails to one address in 24 hours.
pub const PER_ADDRESS_PER_DAY: i64 = 10;

/// Who an e-mail goes to, and about which case.
pub struct Recipient<'a> {
    pub case_id: i64,
    pub org_id: i64,
    pub address: &'a str,
    pub locale: &'a str,
}

/// Writes the e-mail `message` in the caller's transaction (the event's).
pub(super) async fn insert(
    conn: &mut AnyConnection,
    to: &Recipient<'_>,
    event_id: i64,
    message: SmsMessage,
    params: &Map<String, Value>,
    at_ms: i64,
) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO mail_outbox (case_id, org_id, event_id, message, address, locale, params, dedupe_key, status, attempts, next_at, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', 0, $9, $9) ON CONFLICT (dedupe_key) DO NOTHING",
    )
    .bind(to.case_id)
    .bind(to.org_id)
    .bind(event_id)
    .bind(message.as_str())
    .bind(to.address)
    .bind(to.locale)
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
    address: String,
    locale: String,
    params: String,
    status: String,
    company: Option<String>,
    hotline: Option<String>,
    widget_key: Option<String>,
}

/// Delivers one taken e-mail; `None` when it is no longer this worker's or
/// a daily limit stopped it.
pub async fn deliver(pool: &AnyPool, sender: &Sender, id: i64, lease: i64) -> Result<Option<Answer>, AppError> {
    let queued: Option<Queued> = sqlx::query_as(
        "SELECT m.org_id AS org_id, m.message AS message, m.address AS address, m.locale AS locale, m.params AS params, \
         m.status AS status, co.name AS company, co.hotline AS hotline, o.widget_key AS widget_key \
         FROM mail_outbox m LEFT JOIN organisations o ON o.id = m.org_id LEFT JOIN companies co ON co.id = o.company_id WHERE m.id = $1",
    )
    .bind(id)
    .fetch_optional(pool)
    .await?;
    let Some(q) = queued.filter(|q| q.status == "pending") else { return Ok(None) };
    let Some(mailer) = &sender.mailer else {
        finish(pool, id, lease, None, &Answer::gave_up("no SMTP relay configured (--smtp-url)"), now_ms()).await?;
        return Ok(None);
    };
    let Some(message) = SmsMessage::parse(&q.message) else {
        finish(pool, id, lease, None, &Answer::gave_up("unknown message"), now_ms()).await?;
        return Ok(None);
    };
    let Some((attempt, lease)) = take_slot(pool, id, lease, &q.address, q.org_id, message, sender).await? else { return Ok(None) };
    let params: Map<String, Value> = serde_json::from_str(&q.params).unwrap_or_default();
    let param = |k: &str| params.get(k).and_then(Value::as_str).unwrap_or_default().to_string();
    let link = match param("link") {
        l if l.starts_with('/') => format!("{}{l}", sender.public_url),
        _ => format!("{}/widget/{}", sender.public_url, q.widget_key.unwrap_or_default()),
    };
    let locale = Locale::from_tag(&q.locale).unwrap_or_default();
    let number = param("number");
    let text = render(
        locale.console_texts(),
        message,
        &Facts {
            number: &number,
            time: &param("time"),
            amount: &param("amount"),
            link: &link,
            company: q.company.as_deref().unwrap_or_default(),
            hotline: q.hotline.as_deref().unwrap_or_default(),
        },
    );
    let answer = mailer.send(&[q.address.as_str()], Some(&number), &text).await;
    finish(pool, id, lease, Some(attempt), &answer, now_ms()).await?;
    if !answer.ok {
        tracing::warn!(mail = id, code = answer.status, "customer e-mail not delivered");
    }
    Ok(Some(answer))
}

/// What an e-mail fills in.
pub struct Facts<'a> {
    pub number: &'a str,
    pub time: &'a str,
    pub amount: &'a str,
    pub link: &'a str,
    pub company: &'a str,
    pub hotline: &'a str,
}

/// The e-mail's text: its subject on the first line, then what happened,
/// the link to follow (or answer, or rate) the case, and who sends it.
pub fn render(t: &ConsoleTexts, message: SmsMessage, f: &Facts) -> String {
    let (subject, body) = match message {
        SmsMessage::Received | SmsMessage::Test => (t.mail_received_subject, t.mail_received),
        SmsMessage::Appointment => (t.mail_appointment_subject, t.mail_appointment),
        SmsMessage::OnTheWay => (t.mail_on_the_way_subject, t.mail_on_the_way),
        SmsMessage::Quote => (t.mail_quote_subject, t.mail_quote),
        SmsMessage::Fixed => (t.mail_fixed_subject, t.mail_fixed),
    };
    let fill = |s: &str| {
        s.replace("{number}", f.number)
            .replace("{time}", f.time)
            .replace("{amount}", f.amount)
            .replace("{company}", f.company)
            .replace("{hotline}", f.hotline)
            .replace("{link}", f.link)
    };
    [fill(subject), String::new(), fill(body), fill(t.mail_link), String::new(), fill(t.mail_footer)].join("\n")
}

/// A try of the address's daily allowance (and, for "received", the
/// organisation's), as an attempt row, with the lease renewed for the send.
/// On PostgreSQL a transaction lock on the address (and organisation) makes
/// instances count one at a time; SQLite's write lock already does.
async fn take_slot(
    pool: &AnyPool,
    id: i64,
    lease: i64,
    address: &str,
    org_id: Option<i64>,
    message: SmsMessage,
    sender: &Sender,
) -> Result<Option<(i64, i64)>, AppError> {
    let mut tx = begin_write(pool).await?;
    let capped_org = org_id.filter(|_| message == SmsMessage::Received && sender.sms_org_daily_cap > 0);
    if !is_sqlite(pool) {
        sqlx::query("SELECT pg_advisory_xact_lock(hashtext('mail:' || $1))").bind(address).execute(&mut *tx).await?;
        if let Some(org) = capped_org {
            sqlx::query("SELECT pg_advisory_xact_lock(hashtext('mail-org:' || CAST($1 AS TEXT)))").bind(org).execute(&mut *tx).await?;
        }
    }
    let now = now_ms();
    let renewed = now + sender.lease_ms + (rand::random::<u16>() as i64);
    let held = sqlx::query("UPDATE mail_outbox SET lease_until = $1 WHERE id = $2 AND status = 'pending' AND lease_until = $3")
        .bind(renewed)
        .bind(id)
        .bind(lease)
        .execute(&mut *tx)
        .await?;
    if held.rows_affected() == 0 {
        return Ok(None);
    }
    // Mails sent, or out now, count; refused ones did not arrive.
    let counted = "(m.status = 'sent' OR EXISTS (SELECT 1 FROM mail_attempts a WHERE a.outbox_id = m.id AND a.done = 0))";
    let day_ago = now - 86_400_000;
    let to_address: i64 =
        sqlx::query_scalar(&format!("SELECT COUNT(*) FROM mail_outbox m WHERE m.address = $1 AND m.created_at > $2 AND {counted}"))
            .bind(address)
            .bind(day_ago)
            .fetch_one(&mut *tx)
            .await?;
    let for_org: i64 = match capped_org {
        Some(org) => {
            sqlx::query_scalar(&format!(
                "SELECT COUNT(*) FROM mail_outbox m WHERE m.org_id = $1 AND m.created_at > $2 AND m.message = 'received' AND {counted}"
            ))
            .bind(org)
            .bind(day_ago)
            .fetch_one(&mut *tx)
            .await?
        }
        None => 0,
    };
    let full = if to_address >= PER_ADDRESS_PER_DAY {
        Some(format!("daily limit for this address reached ({PER_ADDRESS_PER_DAY} e-mails in 24 hours)"))
    } else if capped_org.is_some() && for_org >= sender.sms_org_daily_cap {
        Some(format!("daily limit for this organisation reached ({} e-mails to new reporters in 24 hours)", sender.sms_org_daily_cap))
    } else {
        None
    };
    if let Some(why) = full {
        sqlx::query("UPDATE mail_outbox SET status = 'failed', lease_until = 0, last_error = $1 WHERE id = $2")
            .bind(&why)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        tracing::warn!(mail = id, org = org_id, "customer e-mail not sent: {why}");
        return Ok(None);
    }
    let attempt: i64 = sqlx::query_scalar("INSERT INTO mail_attempts (outbox_id, at) VALUES ($1, $2) RETURNING id")
        .bind(id)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(Some((attempt, renewed)))
}

/// A relay's answer that no retry changes: a 5xx reply (no such mailbox,
/// address refused) or a message that could not be built.
fn is_final(answer: &Answer) -> bool {
    (500..600).contains(&answer.status) || answer.body.starts_with("bad recipient") || answer.body.starts_with("message not built")
}

/// Records a try's answer and moves the e-mail on: sent, due again later,
/// or failed (after the last try, or at once when the relay refused for good).
async fn finish(pool: &AnyPool, id: i64, lease: i64, attempt: Option<i64>, answer: &Answer, now: i64) -> Result<(), AppError> {
    let mut tx = begin_write(pool).await?;
    if let Some(attempt) = attempt {
        sqlx::query("UPDATE mail_attempts SET done = 1, ok = $1, latency_ms = $2, smtp_code = $3, answer = $4 WHERE id = $5")
            .bind(answer.ok as i64)
            .bind(answer.latency_ms)
            .bind(answer.status as i64)
            .bind(&answer.body)
            .bind(attempt)
            .execute(&mut *tx)
            .await?;
    }
    let attempts: i64 =
        sqlx::query_scalar("SELECT attempts FROM mail_outbox WHERE id = $1").bind(id).fetch_optional(&mut *tx).await?.unwrap_or(0);
    let attempts = attempts + attempt.is_some() as i64;
    let again = match attempt {
        Some(_) if !answer.ok && !is_final(answer) => next_try_in_ms(attempts as u32, false),
        _ => None,
    };
    let (status, next_at) = match again {
        _ if answer.ok => ("sent", now),
        Some(wait) => ("pending", now + wait),
        None => ("failed", now),
    };
    let last_error: String = if answer.ok { String::new() } else { answer.body.chars().take(200).collect() };
    sqlx::query(
        "UPDATE mail_outbox SET status = $1, attempts = $2, next_at = $3, lease_until = 0, last_error = $4, \
         sent_at = CASE WHEN $1 = 'sent' THEN $3 ELSE sent_at END WHERE id = $5 AND status = 'pending' AND lease_until = $6",
    )
    .bind(status)
    .bind(attempts)
    .bind(next_at)
    .bind(last_error)
    .bind(id)
    .bind(lease)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct LogRow {
    id: i64,
    case_id: Option<i64>,
    message: String,
    address: String,
    status: String,
    attempts: i64,
    created_at: i64,
    sent_at: Option<i64>,
    last_error: String,
}

/// The newest 200 customer e-mails, of one case or all, addresses masked.
pub async fn list(pool: &AnyPool, case_number_text: &str) -> Result<Vec<MailDelivery>, AppError> {
    let Some(case_id) = super::outbox::case_filter(case_number_text) else { return Ok(Vec::new()) };
    let rows: Vec<LogRow> = sqlx::query_as(
        "SELECT id, case_id, message, address, status, attempts, created_at, sent_at, last_error FROM mail_outbox \
         WHERE ($1 = 0 OR case_id = $1) ORDER BY id DESC LIMIT 200",
    )
    .bind(case_id)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            Some(MailDelivery {
                id: r.id,
                case_number: r.case_id.map(case_number::format),
                message: SmsMessage::parse(&r.message)?,
                address: crate::domain::notify::mask_address(&r.address),
                status: r.status,
                attempts: r.attempts,
                created_at_ms: r.created_at,
                sent_at_ms: r.sent_at,
                last_error: r.last_error,
            })
        })
        .collect())
}

/// Sends a failed e-mail again, with a fresh set of tries.
pub async fn retry(pool: &AnyPool, id: i64) -> Result<(), AppError> {
    super::outbox::send_again(pool, super::outbox::Outbox::Mail, id, "1 = 1").await
}
