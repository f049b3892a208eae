//! Notifications: to chat robots and e-mail (channels admins configure),
//! to customers by text message (an SMS account), the on-duty roster, the
//! outboxes written with case events, and the worker that delivers them.

pub mod answer;
pub mod channels;
pub mod email;
pub mod message;
pub mod outbox;
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

/// The delivery worker of this instance: every `every`, takes due messages
/// and delivers them side by side; a full batch is followed at once by the
/// next.
pub fn spawn(pool: AnyPool, sender: Sender, every: Duration) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            for outbox in [Outbox::Robots, Outbox::Texts] {
                deliver_due(&pool, &sender, outbox).await;
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
        let ids = match outbox::take_due(pool, outbox, now, lease, BATCH).await {
            Ok(ids) => ids,
            Err(e) => {
                tracing::warn!(error = ?e, "taking due notifications failed; next round retries");
                return;
            }
        };
        let full = ids.len() as i64 == BATCH;
        let mut set = tokio::task::JoinSet::new();
        for id in ids {
            let (pool, sender) = (pool.clone(), sender.clone());
            set.spawn(async move {
                let done = match outbox {
                    Outbox::Robots => outbox::deliver(&pool, &sender, id, lease).await.map(|_| ()),
                    Outbox::Texts => sms::deliver(&pool, &sender, id, lease).await.map(|_| ()),
                };
                (id, done)
            });
        }
        while let Some(done) = set.join_next().await {
            if let Ok((id, Err(e))) = done {
                tracing::warn!(message = id, error = ?e, "delivering a notification failed; its lease runs out and it is retried");
            }
        }
        if !full {
            return;
        }
    }
}
