//! Live updates for the console: "case FX-000123 changed". On SQLite (one
//! instance) changes go straight to this process's subscribers; on
//! PostgreSQL they go through NOTIFY, so every instance behind the load
//! balancer hears every change, its own included.

use std::time::Duration;

use sqlx::AnyPool;
use tokio::sync::broadcast;

use super::db::Backend;

const CHANNEL: &str = "fixline_cases";

#[derive(Clone)]
pub struct Live {
    tx: broadcast::Sender<String>,
    backend: Backend,
}

impl Live {
    /// On PostgreSQL, also starts the listener that relays notifications.
    pub fn start(backend: Backend, database_url: &str) -> Live {
        let (tx, _) = broadcast::channel(256);
        if backend == Backend::Postgres {
            tokio::spawn(relay(database_url.to_string(), tx.clone()));
        }
        Live { tx, backend }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<String> {
        self.tx.subscribe()
    }

    /// Tells every instance that a case changed. Best effort: a lost
    /// notice only delays a screen until its next refresh.
    pub async fn publish(&self, pool: &AnyPool, case_number: &str) {
        match self.backend {
            Backend::Sqlite => {
                let _ = self.tx.send(case_number.to_string());
            }
            Backend::Postgres => {
                if let Err(e) = sqlx::query("SELECT pg_notify($1, $2)").bind(CHANNEL).bind(case_number).execute(pool).await {
                    tracing::warn!(error = %e, "live update not sent");
                }
            }
        }
    }
}

async fn relay(url: String, tx: broadcast::Sender<String>) {
    let mut interrupted = false;
    loop {
        match sqlx::postgres::PgListener::connect(&url).await {
            Ok(mut listener) => {
                if let Err(e) = listener.listen(CHANNEL).await {
                    tracing::warn!(error = %e, "LISTEN failed");
                } else {
                    if interrupted {
                        // Changes made while we were not listening are lost:
                        // tell every open screen to catch up.
                        tracing::info!("live updates listening again");
                        let _ = tx.send("*".to_string());
                    }
                    loop {
                        // try_recv says when the connection dropped (Ok(None));
                        // recv would reconnect silently and lose what was
                        // sent meanwhile without telling anyone.
                        match listener.try_recv().await {
                            Ok(Some(n)) => {
                                let _ = tx.send(n.payload().to_string());
                            }
                            Ok(None) => {
                                tracing::warn!("live updates connection lost; reconnecting");
                                interrupted = true;
                                break;
                            }
                            Err(e) => {
                                tracing::warn!(error = %e, "live updates interrupted; reconnecting");
                                interrupted = true;
                                break;
                            }
                        }
                    }
                }
            }
            Err(e) => {
                interrupted = true;
                tracing::warn!(error = %e, "cannot listen for live updates; retrying");
            }
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}
