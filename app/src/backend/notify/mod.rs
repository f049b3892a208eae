//! Notifications to chat robots (WeCom, DingTalk, Feishu): channels admins
//! configure, the on-duty roster, the outbox written with case events, and
//! the worker that delivers it.

pub mod answer;
pub mod channels;
pub mod email;
pub mod message;
pub mod outbox;
pub mod roster;
pub mod send;

use std::time::Duration;

use sqlx::AnyPool;

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
            loop {
                let now = super::db::now_ms();
                // The lease is also a token: a random part keeps two instances' apart.
                let lease = now + sender.lease_ms + (rand::random::<u16>() as i64);
                let ids = match outbox::take_due(&pool, now, lease, BATCH).await {
                    Ok(ids) => ids,
                    Err(e) => {
                        tracing::warn!(error = ?e, "taking due notifications failed; next round retries");
                        break;
                    }
                };
                let full = ids.len() as i64 == BATCH;
                let mut set = tokio::task::JoinSet::new();
                for id in ids {
                    let (pool, sender) = (pool.clone(), sender.clone());
                    set.spawn(async move { (id, outbox::deliver(&pool, &sender, id, lease).await) });
                }
                while let Some(done) = set.join_next().await {
                    if let Ok((id, Err(e))) = done {
                        tracing::warn!(message = id, error = ?e, "delivering a notification failed; its lease runs out and it is retried");
                    }
                }
                if !full {
                    break;
                }
            }
        }
    });
}
