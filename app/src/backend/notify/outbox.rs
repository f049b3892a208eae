//! The transactional outbox: a message row is written in the transaction
//! of the case event it announces, one per subscribed channel; workers
//! (one per instance) take due messages under a lease (`FOR UPDATE SKIP
//! LOCKED` on PostgreSQL, the write lock on SQLite), keep each robot's
//! per-minute limit, retry with backoff, and record every attempt.

use sqlx::{AnyConnection, AnyPool};

use super::channels;
use super::message::{self, CaseFacts, OnDuty};
use super::send::{Answer, Outgoing, Sender};
use crate::backend::db::{begin_write, format_local, is_sqlite, now_ms};
use crate::domain::case_number;
use crate::domain::lifecycle::CaseEvent;
use crate::domain::notify::bundle;
use crate::domain::notify::{next_try_in_ms, Topic};
use crate::errors::AppError;
use crate::i18n::LocaleTexts;
use crate::models::notify::TestOutcome;

/// Writes a message for each active channel that takes `topic` for this
/// organisation, in the caller's transaction (the event's).
pub async fn enqueue(conn: &mut AnyConnection, case_id: i64, org_id: i64, event_id: i64, topic: Topic, at_ms: i64) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO notify_outbox (channel_id, case_id, event_id, topic, dedupe_key, status, attempts, next_at, created_at) \
         SELECT id, $1, $2, $3, $4 || CAST(id AS TEXT), 'pending', 0, $5, $5 FROM notify_channels \
         WHERE active = 1 AND deleted_at IS NULL AND (org_id IS NULL OR org_id = $6) AND (' ' || topics || ' ') LIKE $7 \
         ON CONFLICT (dedupe_key) DO NOTHING",
    )
    .bind(case_id)
    .bind(event_id)
    .bind(topic.as_str())
    .bind(format!("e{event_id}:c"))
    .bind(at_ms)
    .bind(org_id)
    .bind(format!("% {} %", topic.as_str()))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// An outbox: the robots' messages, the customers' texts or their e-mails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outbox {
    Robots,
    Texts,
    Mail,
}

impl Outbox {
    fn table(self) -> &'static str {
        match self {
            Outbox::Robots => "notify_outbox",
            Outbox::Texts => "sms_outbox",
            Outbox::Mail => "mail_outbox",
        }
    }
}

/// A delivery log's case filter: `Some(0)` for every case, the case's id,
/// or `None` when the text names no case (the log is then empty).
pub fn case_filter(text: &str) -> Option<i64> {
    match text.trim() {
        "" => Some(0),
        n => case_number::parse(n),
    }
}

/// Puts a failed message back in line with a fresh set of tries, where
/// `condition` (SQL on its row) allows; `Conflict` when it is not a failed
/// message that may be sent again.
pub async fn send_again(pool: &AnyPool, outbox: Outbox, id: i64, condition: &str) -> Result<(), AppError> {
    let mut tx = begin_write(pool).await?;
    let done = sqlx::query(&format!(
        "UPDATE {} SET status = 'pending', attempts = 0, next_at = $1, lease_until = 0, last_error = '' \
         WHERE id = $2 AND status = 'failed' AND ({condition})",
        outbox.table()
    ))
    .bind(now_ms())
    .bind(id)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    if done.rows_affected() == 0 {
        return Err(AppError::Conflict);
    }
    Ok(())
}

/// Takes up to `limit` due messages until `lease_until`, as (id, group:
/// messages of a group are delivered together); another worker (or
/// instance) skips them meanwhile. `lease_until` is also the lease's
/// token: a delivery writes only while the message still carries it.
pub async fn take_due(pool: &AnyPool, outbox: Outbox, now: i64, lease_until: i64, limit: i64) -> Result<Vec<(i64, i64)>, AppError> {
    let table = outbox.table();
    // A read first: an idle server takes no write lock every round.
    let due: Option<i64> =
        sqlx::query_scalar(&format!("SELECT id FROM {table} WHERE status = 'pending' AND next_at <= $1 AND lease_until <= $1 LIMIT 1"))
            .bind(now)
            .fetch_optional(pool)
            .await?;
    if due.is_none() {
        return Ok(Vec::new());
    }
    let lock = if is_sqlite(pool) { "" } else { " FOR UPDATE SKIP LOCKED" };
    // Robots' messages are delivered together per channel (a burst goes as
    // one); each text and e-mail goes alone.
    let group = match outbox {
        Outbox::Robots => "channel_id",
        Outbox::Texts | Outbox::Mail => "id",
    };
    let mut tx = begin_write(pool).await?;
    let mut taken: Vec<(i64, i64)> = sqlx::query_as(&format!(
        "UPDATE {table} SET lease_until = $1 WHERE id IN (SELECT id FROM {table} \
         WHERE status = 'pending' AND next_at <= $2 AND lease_until <= $2 ORDER BY next_at, id LIMIT $3{lock}) RETURNING id, {group}"
    ))
    .bind(lease_until)
    .bind(now)
    .bind(limit)
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    taken.sort_unstable();
    Ok(taken)
}

#[derive(sqlx::FromRow)]
struct Message {
    channel_id: i64,
    case_id: Option<i64>,
    event_id: Option<i64>,
    topic: String,
    status: String,
}

#[derive(sqlx::FromRow)]
struct FactsRow {
    id: i64,
    customer: String,
    asset: String,
    site: String,
    severity: String,
    next_deadline_ms: Option<i64>,
    timezone: String,
}

/// One message, rendered.
struct Part {
    id: i64,
    text: String,
    mentions: Vec<String>,
    case_number: Option<String>,
}

/// Delivers one taken message (`None` when it had to wait: the robot's
/// limit reached, or no longer pending).
pub async fn deliver(pool: &AnyPool, sender: &Sender, id: i64, lease: i64) -> Result<Option<Answer>, AppError> {
    Ok(deliver_group(pool, sender, &[id], lease).await?.into_iter().next())
}

/// Delivers messages taken together for one channel: a burst goes as few
/// messages of several parts (`domain::notify::bundle`), each taking one
/// slot of the robot's per-minute limit; every message records its try.
/// The answers of what was sent.
pub async fn deliver_group(pool: &AnyPool, sender: &Sender, ids: &[i64], lease: i64) -> Result<Vec<Answer>, AppError> {
    let now = now_ms();
    // Everything the messages say, read on one connection, given back
    // before any write transaction takes another.
    let mut parts = Vec::new();
    let mut channel = None;
    let mut gone = Vec::new();
    {
        let mut conn = pool.acquire().await?;
        let names: Vec<(i64, String)> = sqlx::query_as("SELECT id, display_name FROM staff_users").fetch_all(&mut *conn).await?;
        let mut on_duty_now: Option<Vec<OnDuty>> = None;
        for &id in ids {
            let m: Option<Message> = sqlx::query_as("SELECT channel_id, case_id, event_id, topic, status FROM notify_outbox WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut *conn)
                .await?;
            let Some(m) = m.filter(|m| m.status == "pending") else { continue };
            let topic = Topic::parse(&m.topic).unwrap_or(Topic::Test);
            if channel.as_ref().is_none_or(|c: &channels::Stored| c.id != m.channel_id) {
                channel = channels::load(&mut conn, m.channel_id).await?;
            }
            let Some(ch) = channel.as_ref().filter(|c| !c.removed && (c.active || topic == Topic::Test)) else {
                gone.push(id);
                continue;
            };
            let facts = match m.case_id {
                Some(case_id) => facts(&mut conn, case_id).await?,
                None => None,
            };
            let event = match m.event_id {
                Some(e) => {
                    let row: Option<(String, String)> =
                        sqlx::query_as("SELECT kind, data FROM case_events WHERE id = $1").bind(e).fetch_optional(&mut *conn).await?;
                    row.and_then(|(kind, data)| CaseEvent::from_stored(&kind, &data))
                }
                None => None,
            };
            let on_duty = if ch.mention_on_duty && (topic.mentions_on_duty() || topic == Topic::Test) {
                if on_duty_now.is_none() {
                    let mut people = super::roster::on_duty(&mut conn, now).await?;
                    let mut seen = std::collections::HashSet::new();
                    people.retain(|p| seen.insert(p.phone.clone()));
                    on_duty_now = Some(people);
                }
                on_duty_now.as_deref()
            } else {
                None
            };
            let text = message::render(ch.language, topic, facts.as_ref(), event.as_ref(), on_duty, &names, &sender.public_url);
            let mut mentions: Vec<String> = on_duty.unwrap_or_default().iter().map(|p| p.phone.clone()).collect();
            // A dispatch @-mentions the technician sent, by the roster's phone for their name.
            if let (true, Some(CaseEvent::Dispatched { technician, .. })) = (ch.mention_on_duty, &event) {
                if let Some((_, name)) = names.iter().find(|(id, _)| id == technician) {
                    mentions.extend(super::roster::phone_of(&mut conn, name).await?);
                }
            }
            parts.push(Part { id, text, mentions, case_number: m.case_id.map(case_number::format) });
        }
    }
    for id in gone {
        finish(pool, id, lease, None, &Answer::gave_up("channel inactive or removed"), now).await?;
    }
    let Some(channel) = channel.filter(|_| !parts.is_empty()) else { return Ok(Vec::new()) };
    let t = channel.language.console_texts();
    let heading = crate::i18n::fill(t.notify_head_bundle, parts.len());
    let lengths: Vec<usize> = parts.iter().map(|p| p.text.len()).collect();
    let mut answers = Vec::new();
    let runs = bundle::bundles(&lengths, heading.len() + 1, channel.kind.max_text_bytes());
    for (i, run) in runs.iter().enumerate() {
        let run = &parts[run.clone()];
        let heading = crate::i18n::fill(t.notify_head_bundle, run.len());
        let text = bundle::join(&heading, &run.iter().map(|p| p.text.as_str()).collect::<Vec<_>>());
        let mut mentions: Vec<String> = Vec::new();
        for m in run.iter().flat_map(|p| &p.mentions) {
            if !mentions.contains(m) {
                mentions.push(m.clone());
            }
        }
        let ids: Vec<i64> = run.iter().map(|p| p.id).collect();
        let Some((attempts, renewed)) = take_slot(pool, &ids, lease, channel.id, channel.kind.per_minute(), sender.lease_ms).await? else {
            continue;
        };
        let answer = sender
            .send(Outgoing {
                kind: channel.kind,
                url: &channel.url,
                secret: &channel.secret,
                text: &text,
                mentions: &mentions,
                // A mail filter's header names the case of a single message.
                case_number: if run.len() == 1 { run[0].case_number.as_deref() } else { None },
            })
            .await;
        for (id, attempt) in attempts {
            finish(pool, id, renewed, Some(attempt), &answer, now_ms()).await?;
        }
        let failed = !answer.ok;
        answers.push(answer);
        if failed {
            tracing::warn!(messages = ?ids, channel = channel.id, "notification not delivered; will retry");
            // The robot is failing: the rest of the burst waits for the
            // next round rather than each waiting out a timeout now.
            let rest: Vec<i64> = runs[i + 1..].iter().flat_map(|r| parts[r.clone()].iter().map(|p| p.id)).collect();
            release(pool, &rest, lease).await?;
            break;
        }
    }
    Ok(answers)
}

/// Lets messages this worker took go (the next round takes them again).
async fn release(pool: &AnyPool, ids: &[i64], lease: i64) -> Result<(), AppError> {
    if ids.is_empty() {
        return Ok(());
    }
    let mut tx = begin_write(pool).await?;
    move_lease(&mut tx, ids, lease, 0).await?;
    tx.commit().await?;
    Ok(())
}

/// Moves the lease of the pending messages among `ids` still held with
/// token `from` to `to` (0: let go); the ids it moved.
async fn move_lease(conn: &mut AnyConnection, ids: &[i64], from: i64, to: i64) -> Result<Vec<i64>, AppError> {
    let mut moved = Vec::new();
    for &id in ids {
        let done = sqlx::query("UPDATE notify_outbox SET lease_until = $1 WHERE id = $2 AND status = 'pending' AND lease_until = $3")
            .bind(to)
            .bind(id)
            .bind(from)
            .execute(&mut *conn)
            .await?;
        if done.rows_affected() == 1 {
            moved.push(id);
        }
    }
    Ok(moved)
}

async fn facts(conn: &mut AnyConnection, case_id: i64) -> Result<Option<CaseFacts>, AppError> {
    let row: Option<FactsRow> = sqlx::query_as(
        "SELECT c.id AS id, o.name AS customer, a.name AS asset, s.name AS site, c.severity AS severity, \
         c.next_deadline_ms AS next_deadline_ms, o.timezone AS timezone \
         FROM cases c JOIN organisations o ON o.id = c.org_id JOIN assets a ON a.id = c.asset_id JOIN sites s ON s.id = a.site_id \
         WHERE c.id = $1",
    )
    .bind(case_id)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.map(|r| CaseFacts {
        id: r.id,
        customer: r.customer,
        asset: format!("{} · {}", r.asset, r.site),
        severity: r.severity,
        deadline: r.next_deadline_ms.map(|ms| format_local(ms, &r.timezone)),
    }))
}

/// A slot of the channel's per-minute limit for messages sent as one, as
/// an attempt row each (only the first counts against the limit), and the
/// lease renewed for the send: (message, attempt) for each. `None` when a
/// lease was lost to another worker, or the limit is reached: the messages
/// wait until the oldest slot frees. The channel
/// row lock (PostgreSQL) makes instances count one at a time; the time is
/// read after it.
async fn take_slot(
    pool: &AnyPool,
    ids: &[i64],
    lease: i64,
    channel_id: i64,
    per_minute: u32,
    lease_ms: i64,
) -> Result<Option<(Vec<(i64, i64)>, i64)>, AppError> {
    let mut tx = begin_write(pool).await?;
    if !is_sqlite(pool) {
        sqlx::query("SELECT id FROM notify_channels WHERE id = $1 FOR NO KEY UPDATE").bind(channel_id).execute(&mut *tx).await?;
    }
    let now = now_ms();
    // A fresh token, unlike any other worker's (a random part against equal clocks).
    let renewed = now + lease_ms + (rand::random::<u16>() as i64);
    let held = move_lease(&mut tx, ids, lease, renewed).await?;
    if held.len() < ids.len() {
        // Some went to another worker (their lease ran out): the bundle's
        // text names them, so nothing is sent; the rest go next round.
        move_lease(&mut tx, &held, renewed, 0).await?;
        tx.commit().await?;
        return Ok(None);
    }
    let (used, oldest): (i64, Option<i64>) =
        sqlx::query_as("SELECT COUNT(*), MIN(at) FROM notify_attempts WHERE channel_id = $1 AND at > $2 AND counted = 1")
            .bind(channel_id)
            .bind(now - 60_000)
            .fetch_one(&mut *tx)
            .await?;
    if used >= per_minute as i64 {
        let free_at = oldest.unwrap_or(now) + 60_000 + 100;
        for &id in &held {
            sqlx::query("UPDATE notify_outbox SET next_at = $1, lease_until = 0 WHERE id = $2")
                .bind(free_at)
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        return Ok(None);
    }
    let mut attempts = Vec::new();
    for (i, &id) in held.iter().enumerate() {
        let attempt: i64 =
            sqlx::query_scalar("INSERT INTO notify_attempts (outbox_id, channel_id, at, counted) VALUES ($1, $2, $3, $4) RETURNING id")
                .bind(id)
                .bind(channel_id)
                .bind(now)
                .bind((i == 0) as i64)
                .fetch_one(&mut *tx)
                .await?;
        attempts.push((id, attempt));
    }
    tx.commit().await?;
    Ok(Some((attempts, renewed)))
}

/// Records an attempt's answer and moves the message on: sent, due again
/// later, or failed after the last try (or at once with no attempt: the
/// channel is gone).
async fn finish(pool: &AnyPool, id: i64, lease: i64, attempt: Option<i64>, answer: &Answer, now: i64) -> Result<(), AppError> {
    let mut tx = begin_write(pool).await?;
    if let Some(attempt) = attempt {
        sqlx::query("UPDATE notify_attempts SET latency_ms = $1, http_status = $2, ok = $3, answer = $4 WHERE id = $5")
            .bind(answer.latency_ms)
            .bind(answer.status as i64)
            .bind(answer.ok as i64)
            .bind(&answer.body)
            .bind(attempt)
            .execute(&mut *tx)
            .await?;
    }
    if answer.ok {
        sqlx::query(
            "UPDATE notify_outbox SET status = 'sent', sent_at = $1, attempts = attempts + 1, lease_until = 0, last_error = '' \
             WHERE id = $2 AND status = 'pending' AND lease_until = $3",
        )
        .bind(now)
        .bind(id)
        .bind(lease)
        .execute(&mut *tx)
        .await?;
    } else {
        let (attempts, topic): (i64, String) = sqlx::query_as("SELECT attempts, topic FROM notify_outbox WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?
            .unwrap_or((0, String::new()));
        let attempts = attempts + 1;
        // A test is tried once: its answer is what the admin wanted to see.
        let again = match attempt {
            Some(_) if topic != Topic::Test.as_str() => next_try_in_ms(attempts as u32, answer.rate_limited),
            _ => None,
        };
        let (give_up, wait) = (again.is_none(), again.unwrap_or(0));
        let last_error: String = answer.body.chars().take(200).collect();
        sqlx::query(
            "UPDATE notify_outbox SET status = $1, attempts = $2, next_at = $3, lease_until = 0, last_error = $4 \
             WHERE id = $5 AND status = 'pending' AND lease_until = $6",
        )
        .bind(if give_up { "failed" } else { "pending" })
        .bind(if attempt.is_some() { attempts } else { attempts - 1 })
        .bind(now + wait)
        .bind(if last_error.is_empty() { format!("HTTP {}", answer.status) } else { last_error })
        .bind(id)
        .bind(lease)
        .execute(&mut *tx)
        .await?;
        if give_up && attempt.is_some() {
            tracing::error!(message = id, attempts, "notification failed after the last try");
        }
    }
    tx.commit().await?;
    Ok(())
}

/// "Send a test": a message of its own (in the log too), delivered now.
pub async fn send_test(pool: &AnyPool, sender: &Sender, channel_id: i64) -> Result<TestOutcome, AppError> {
    let now = now_ms();
    let mut tx = begin_write(pool).await?;
    let channel = channels::load(&mut tx, channel_id).await?;
    if channel.is_none_or(|c| c.removed) {
        return Err(AppError::NotFound);
    }
    let nonce: u64 = rand::random();
    // Leased at once: the worker leaves it to this request.
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO notify_outbox (channel_id, topic, dedupe_key, status, attempts, next_at, lease_until, created_at) \
         VALUES ($1, 'test', $2, 'pending', 0, $3, $4, $3) RETURNING id",
    )
    .bind(channel_id)
    .bind(format!("test:{channel_id}:{now}:{nonce:016x}"))
    .bind(now)
    .bind(now + sender.lease_ms)
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    // Its own task: a request cut short must not leave a sent test pending.
    let (pool, sender, lease) = (pool.clone(), sender.clone(), now + sender.lease_ms);
    let sent = tokio::spawn(async move { deliver(&pool, &sender, id, lease).await }).await.map_err(AppError::internal)?;
    match sent? {
        Some(a) => Ok(TestOutcome { ok: a.ok, status: a.status, answer: a.body, latency_ms: a.latency_ms }),
        // The robot's per-minute limit is used up: the worker sends it later.
        None => Err(AppError::RateLimited { retry_after_s: 60 }),
    }
}
