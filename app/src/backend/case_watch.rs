//! A customer's tracker waiting for news of its cases: the request is held
//! until one of them changes (on any instance: `Live`) or 25 s pass, so the
//! widget shows a dispatch or a fix at once rather than on its next poll.
//! No database connection is held while waiting.

use std::time::Duration;

use sqlx::AnyPool;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::Semaphore;

use super::cases::case_for_token;
use super::live::Live;
use crate::domain::case_number;
use crate::errors::AppError;

/// The tracker shows at most 5 cases.
pub const MAX_TOKENS: usize = 5;
/// Under the server's 30 s request deadline and common proxies' 60 s.
pub const WAIT: Duration = Duration::from_secs(25);
/// Trackers waiting at once on this instance; beyond it they are told to
/// come back later (and poll meanwhile).
const MAX_WAITERS: usize = 2_000;

static WAITERS: Semaphore = Semaphore::const_new(MAX_WAITERS);

/// `true` when one of the cases behind `tokens` changed, `false` after
/// [`WAIT`] without news.
pub async fn wait(pool: &AnyPool, live: &Live, org_key: &str, tokens: &[String]) -> Result<bool, AppError> {
    if tokens.is_empty() || tokens.len() > MAX_TOKENS {
        return Err(AppError::BadRequest);
    }
    let _permit = WAITERS.try_acquire().map_err(|_| AppError::Unavailable)?;
    // Listening before looking the cases up: nothing in between is missed.
    let mut news = live.subscribe();
    let mut numbers = Vec::with_capacity(tokens.len());
    for token in tokens {
        match case_for_token(pool, org_key, token).await {
            Ok(id) => numbers.push(case_number::format(id)),
            Err(AppError::NotFound | AppError::BadRequest) => {}
            Err(e) => return Err(e),
        }
    }
    if numbers.is_empty() {
        return Err(AppError::NotFound);
    }
    let deadline = tokio::time::sleep(WAIT);
    tokio::pin!(deadline);
    loop {
        tokio::select! {
            _ = &mut deadline => return Ok(false),
            got = news.recv() => match got {
                Ok(number) if numbers.contains(&number) => return Ok(true),
                Ok(_) => {}
                // Too much news to keep up with: ours may have been in it.
                Err(RecvError::Lagged(_)) => return Ok(true),
                Err(RecvError::Closed) => return Ok(false),
            },
        }
    }
}
