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
    loop {
        match sqlx::postgres::PgListener::connect(&url).await {
            Ok(mut listener) => {
                if let Err(e) = listener.listen(CHANNEL).await {
                    tracing::warn!(error = %e, "LISTEN failed");
                } else {
                    loop {
                        match listener.recv().await {
                            Ok(n) => {
                                let _ = tx.send(n.payload().to_string());
                            }
                            Err(e) => {
                                tracing::warn!(error = %e, "live updates interrupted; reconnecting");
                                break;
                            }
                        }
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "cannot listen for live updates; retrying"),
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}
