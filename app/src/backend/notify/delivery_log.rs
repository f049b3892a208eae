//! The robots' delivery log: the newest messages matching a filter, and
//! sending a failed one again.

use sqlx::AnyPool;

use crate::domain::case_number;
use crate::domain::notify::Topic;
use crate::errors::AppError;
use crate::models::notify::{Delivery, DeliveryFilter};

#[derive(sqlx::FromRow)]
struct LogRow {
    id: i64,
    channel_id: i64,
    channel_name: String,
    kind: String,
    topic: String,
    case_id: Option<i64>,
    status: String,
    attempts: i64,
    created_at: i64,
    sent_at: Option<i64>,
    next_at: i64,
    last_error: String,
}

/// The newest 200 messages matching the filter.
pub async fn list(pool: &AnyPool, filter: &DeliveryFilter) -> Result<Vec<Delivery>, AppError> {
    let Some(case_id) = super::outbox::case_filter(&filter.case_number) else { return Ok(Vec::new()) };
    let status = filter.status.as_deref().filter(|s| ["pending", "sent", "failed"].contains(s)).unwrap_or("");
    let rows: Vec<LogRow> = sqlx::query_as(
        "SELECT o.id AS id, o.channel_id AS channel_id, ch.name AS channel_name, ch.kind AS kind, o.topic AS topic, \
         o.case_id AS case_id, o.status AS status, o.attempts AS attempts, o.created_at AS created_at, o.sent_at AS sent_at, \
         o.next_at AS next_at, o.last_error AS last_error \
         FROM notify_outbox o JOIN notify_channels ch ON ch.id = o.channel_id \
         WHERE ($1 = 0 OR o.case_id = $1) AND ($2 = 0 OR o.channel_id = $2) AND ($3 = '' OR o.status = $3) \
         ORDER BY o.id DESC LIMIT 200",
    )
    .bind(case_id)
    .bind(filter.channel_id.unwrap_or(0))
    .bind(status)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            Some(Delivery {
                id: r.id,
                channel_id: r.channel_id,
                channel_name: r.channel_name,
                kind: crate::domain::notify::ChannelKind::parse(&r.kind)?,
                topic: Topic::parse(&r.topic)?,
                case_number: r.case_id.map(case_number::format),
                status: r.status,
                attempts: r.attempts,
                created_at_ms: r.created_at,
                sent_at_ms: r.sent_at,
                next_at_ms: r.next_at,
                last_error: r.last_error,
            })
        })
        .collect())
}

/// Sends a failed message again, with a fresh set of tries (not a test:
/// it is tried once, and "send a test" makes another; not to a deleted channel).
pub async fn retry(pool: &AnyPool, id: i64) -> Result<(), AppError> {
    let live_channel = "topic <> 'test' AND channel_id IN (SELECT id FROM notify_channels WHERE deleted_at IS NULL)";
    super::outbox::send_again(pool, super::outbox::Outbox::Robots, id, live_channel).await
}
