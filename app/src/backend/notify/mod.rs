//! Notifications: to chat robots and e-mail (channels admins configure),
//! to customers by text message (an SMS account) and e-mail, the on-duty roster, the
//! outboxes written with case events, and the worker that delivers them.

pub mod answer;
pub mod channels;
pub mod customer;
pub mod customer_mail;
pub mod delivery_log;
pub mod email;
pub mod message;
pub mod outbox;
pub mod retention;
pub mod roster;
pub mod send;
pub mod sms;
pub mod sms_account;
pub mod sms_send;

use std::time::Duration;

use sqlx::AnyPool;

use outbox::Outbox;
pub use send::Sender;

/// Messages a worker takes per round.
const BATCH: i64 = 20;

/// How often finished messages older than the retention period are deleted.
const PURGE_EVERY: Duration = Duration::from_secs(3600);

/// The delivery worker of this instance: every `every`, takes due messages
/// and delivers them side by side; a full batch is followed at once by the
/// next. Hourly, deletes finished messages older than `keep`.
pub fn spawn(pool: AnyPool, sender: Sender, every: Duration, keep: Duration) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut purged: Option<std::time::Instant> = None;
        loop {
            tick.tick().await;
            for outbox in [Outbox::Robots, Outbox::Texts, Outbox::Mail] {
                deliver_due(&pool, &sender, outbox).await;
            }
            if purged.is_none_or(|at| at.elapsed() >= PURGE_EVERY) {
                purged = Some(std::time::Instant::now());
                match retention::purge(&pool, super::db::now_ms() - keep.as_millis() as i64).await {
                    Ok(n) if n > 0 => tracing::info!(deleted = n, "old notifications purged"),
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = ?e, "purging old notifications failed; the next hour retries"),
                }
            }
        }
    });
}

/// Delivers what is due in one outbox, side by side; a full batch is
/// followed at once by the next.
async fn deliver_due(pool: &AnyPool, sender: &Sender, outbox: Outbox) {
    loop {
        let now = super::db::now_ms();
        // The lease is also a token: a random part keeps two instances' apart.
        let lease = now + sender.lease_ms + (rand::random::<u16>() as i64);
        let taken = match outbox::take_due(pool, outbox, now, lease, BATCH).await {
            Ok(taken) => taken,
            Err(e) => {
                tracing::warn!(error = ?e, "taking due notifications failed; next round retries");
                return;
            }
        };
        let full = taken.len() as i64 == BATCH;
        // In id order within each group: a burst reads in the order it happened.
        let mut groups: std::collections::BTreeMap<i64, Vec<i64>> = std::collections::BTreeMap::new();
        for (id, group) in taken {
            groups.entry(group).or_default().push(id);
        }
        let mut set = tokio::task::JoinSet::new();
        for (_, ids) in groups {
            let (pool, sender) = (pool.clone(), sender.clone());
            set.spawn(async move {
                let done = match outbox {
                    Outbox::Robots => outbox::deliver_group(&pool, &sender, &ids, lease).await.map(|_| ()),
                    Outbox::Texts => sms::deliver(&pool, &sender, ids[0], lease).await.map(|_| ()),
                    Outbox::Mail => customer_mail::deliver(&pool, &sender, ids[0], lease).await.map(|_| ()),
                };
                (ids, done)
            });
        }
        while let Some(done) = set.join_next().await {
            if let Ok((ids, Err(e))) = done {
                tracing::warn!(messages = ?ids, error = ?e, "delivering notifications failed; their lease runs out and they are retried");
            }
        }
        if !full {
            return;
        }
    }
}
